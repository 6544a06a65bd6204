//! Scenario: random OTLP batches of every signal (resources and scopes present or missing,
//! empty containers, spans with events and links, every metric type, `chaos.path` already
//! there as a string, an empty string, an int or twice), some of them mutated (bytes flipped,
//! truncated, inserted, so strings stop being UTF-8 or the bytes stop decoding), with a right
//! or a wrong item count, handed to the process C ABI exactly as Go hands them
//! (`otelcol_rust_process`, the batch borrowed) through random chains of 1 to 5 `rust_chaos`
//! processors in every mode (unchanged, roundtrip, reencode, keep_every 1..3, append_path
//! under three ids, fail_retryable, fail_permanent, panic, drop_all); each answer's memory is
//! read, then released.
//!
//! Guarantees: no input crashes the process or hangs; every answer is well formed (a known
//! status, stages_run within the chain, a UTF-8 reason of at most 1 KiB on errors only, a
//! replacement or an edit script, never both, a bitmap of `items` bits, an `output` to release
//! exactly when memory is handed over); and for a batch prost decodes whose count is right it
//! is exactly what a model written with prost says: the status and reason of the stage that
//! ended the run, `stages_run`, and the batch Go would build (the replacement, or the edit
//! script applied to the decoded batch with pdata's PutStr/PutInt/Remove) equal to the model's,
//! with the keep mask of the stage that dropped; a batch that does not decode fails at the
//! first stage that must decode it. The instances shut down and none stays live.
//!
//! Seeded random fuzzing on stable Rust, as `fuzz_export.rs`. FUZZ_EXECS sets the number of
//! batches (default 2000), FUZZ_SEED the seed.
#![allow(unsafe_code)] // Calls the C ABI exports exactly as Go does; that is the point.
#![allow(missing_docs)]
#![allow(clippy::expect_used)] // Test code: a failed expectation is a test failure.
#![allow(clippy::panic)]

use std::time::Instant;

mod common;

// The component under test, linked into this binary (its registration with it).
use rust_chaos as _;

use common::{
    c_RustExtensions_create_and_start, c_RustExtensions_live_instances, c_RustExtensions_shutdown,
    call, fuzz_settings, take, Rng, ShutdownRequestView, Slot, StartRequestView, StringView,
};
use otelcol_rust_ffi::boundary::process::{
    otelcol_rust_process, otelcol_rust_process_release, ProcessResult, PROCESS_MESSAGE_CAPACITY,
    PROCESS_OK, PROCESS_PERMANENT, PROCESS_RETRYABLE,
};
use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
use otelcol_rust_sdk::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_rust_sdk::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use otelcol_rust_sdk::proto::metrics::v1::{
    exponential_histogram_data_point, metric, ExponentialHistogram, ExponentialHistogramDataPoint,
    Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics,
    Sum, Summary, SummaryDataPoint,
};
use otelcol_rust_sdk::proto::resource::v1::Resource;
use otelcol_rust_sdk::proto::trace::v1::{span, ResourceSpans, ScopeSpans, Span};

const TRACES: u32 = 0;
const METRICS: u32 = 1;
const LOGS: u32 = 2;
const PATH_KEY: &str = "chaos.path";

// ---- Batches, as messages --------------------------------------------------------------------

/// A decoded batch of any signal.
#[derive(Debug, Clone, PartialEq)]
enum Batch {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
}

impl Batch {
    fn decode(signal: u32, bytes: &[u8]) -> Option<Self> {
        match signal {
            TRACES => ExportTraceServiceRequest::decode(bytes)
                .ok()
                .map(Self::Traces),
            METRICS => ExportMetricsServiceRequest::decode(bytes)
                .ok()
                .map(Self::Metrics),
            _ => ExportLogsServiceRequest::decode(bytes).ok().map(Self::Logs),
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            Self::Traces(request) => request.encode_to_vec(),
            Self::Metrics(request) => request.encode_to_vec(),
            Self::Logs(request) => request.encode_to_vec(),
        }
    }

    /// The batch encoded with every missing resource and scope made empty: what pdata makes
    /// of either (the host's edits of a decoded batch may fill them in).
    fn normalized(&self) -> Vec<u8> {
        let mut batch = self.clone();
        match &mut batch {
            Self::Traces(request) => {
                for rs in &mut request.resource_spans {
                    rs.resource.get_or_insert_with(Resource::default);
                    for ss in &mut rs.scope_spans {
                        ss.scope.get_or_insert_with(InstrumentationScope::default);
                    }
                }
            }
            Self::Metrics(request) => {
                for rm in &mut request.resource_metrics {
                    rm.resource.get_or_insert_with(Resource::default);
                    for sm in &mut rm.scope_metrics {
                        sm.scope.get_or_insert_with(InstrumentationScope::default);
                    }
                }
            }
            Self::Logs(request) => {
                for rl in &mut request.resource_logs {
                    rl.resource.get_or_insert_with(Resource::default);
                    for sl in &mut rl.scope_logs {
                        sl.scope.get_or_insert_with(InstrumentationScope::default);
                    }
                }
            }
        }
        batch.encode()
    }

    /// Every attribute map in the spec's document order, with whether it is an item's
    /// (span, data point, log record). A missing resource or scope counts as one map (None
    /// here: `rust_chaos` never edits one).
    fn maps(&mut self) -> Vec<(Option<&mut Vec<KeyValue>>, bool)> {
        fn resource(resource: &mut Option<Resource>) -> Option<&mut Vec<KeyValue>> {
            resource.as_mut().map(|resource| &mut resource.attributes)
        }
        fn scope(scope: &mut Option<InstrumentationScope>) -> Option<&mut Vec<KeyValue>> {
            scope.as_mut().map(|scope| &mut scope.attributes)
        }
        let mut maps = Vec::new();
        match self {
            Self::Traces(request) => {
                for rs in &mut request.resource_spans {
                    maps.push((resource(&mut rs.resource), false));
                    for ss in &mut rs.scope_spans {
                        maps.push((scope(&mut ss.scope), false));
                        for span in &mut ss.spans {
                            maps.push((Some(&mut span.attributes), true));
                            for event in &mut span.events {
                                maps.push((Some(&mut event.attributes), false));
                            }
                            for link in &mut span.links {
                                maps.push((Some(&mut link.attributes), false));
                            }
                        }
                    }
                }
            }
            Self::Metrics(request) => {
                for rm in &mut request.resource_metrics {
                    maps.push((resource(&mut rm.resource), false));
                    for sm in &mut rm.scope_metrics {
                        maps.push((scope(&mut sm.scope), false));
                        for metric in &mut sm.metrics {
                            match &mut metric.data {
                                Some(metric::Data::Gauge(d)) => maps.extend(
                                    d.data_points
                                        .iter_mut()
                                        .map(|p| (Some(&mut p.attributes), true)),
                                ),
                                Some(metric::Data::Sum(d)) => maps.extend(
                                    d.data_points
                                        .iter_mut()
                                        .map(|p| (Some(&mut p.attributes), true)),
                                ),
                                Some(metric::Data::Histogram(d)) => maps.extend(
                                    d.data_points
                                        .iter_mut()
                                        .map(|p| (Some(&mut p.attributes), true)),
                                ),
                                Some(metric::Data::ExponentialHistogram(d)) => maps.extend(
                                    d.data_points
                                        .iter_mut()
                                        .map(|p| (Some(&mut p.attributes), true)),
                                ),
                                Some(metric::Data::Summary(d)) => maps.extend(
                                    d.data_points
                                        .iter_mut()
                                        .map(|p| (Some(&mut p.attributes), true)),
                                ),
                                None => {}
                            }
                        }
                    }
                }
            }
            Self::Logs(request) => {
                for rl in &mut request.resource_logs {
                    maps.push((resource(&mut rl.resource), false));
                    for sl in &mut rl.scope_logs {
                        maps.push((scope(&mut sl.scope), false));
                        for record in &mut sl.log_records {
                            maps.push((Some(&mut record.attributes), true));
                        }
                    }
                }
            }
        }
        maps
    }

    fn items(&mut self) -> u64 {
        self.maps().iter().filter(|(_, item)| *item).count() as u64
    }

    /// What `append_path` does, written against pdata's semantics directly.
    fn append_path(&mut self, id: &str) {
        for (map, item) in self.maps() {
            let (Some(map), true) = (map, item) else {
                continue;
            };
            let previous = map
                .iter()
                .find(|kv| kv.key == PATH_KEY)
                .and_then(|kv| kv.value.as_ref())
                .and_then(|value| match &value.value {
                    Some(any_value::Value::StringValue(text)) if !text.is_empty() => {
                        Some(text.clone())
                    }
                    _ => None,
                });
            let path = match previous {
                Some(previous) => format!("{previous}/{id}"),
                None => id.to_owned(),
            };
            put(map, PATH_KEY, any_value::Value::StringValue(path));
        }
    }

    /// Applies an edit script as Go does (section 2 of the spec).
    fn apply(&mut self, mut script: &[u8]) {
        let mut maps = self.maps();
        let mut last = 0;
        while !script.is_empty() {
            let map = take_u32(&mut script) as usize;
            // Go applies the script in one walk of the maps: it refuses records out of order.
            assert!(
                map >= last,
                "map {map} after map {last}: the script is not sorted"
            );
            last = map;
            let op = take_bytes(&mut script, 1)[0];
            let key = take_text(&mut script);
            let attributes = maps
                .get_mut(map)
                .expect("an edit of a map that exists")
                .0
                .as_deref_mut()
                .expect("an edit of a missing resource or scope");
            match op {
                0 => put(
                    attributes,
                    &key,
                    any_value::Value::StringValue(take_text(&mut script)),
                ),
                1 => {
                    let value =
                        i64::from_le_bytes(take_bytes(&mut script, 8).try_into().expect("8"));
                    put(attributes, &key, any_value::Value::IntValue(value));
                }
                2 => {
                    // pcommon.Map.Remove: the first entry with the key swapped with the last.
                    if let Some(at) = attributes.iter().position(|kv| kv.key == key) {
                        attributes.swap_remove(at);
                    }
                }
                other => panic!("unknown edit op {other}"),
            }
        }
    }
}

/// pcommon.Map.PutStr / PutInt: the first entry with the key takes the value, else appended.
fn put(map: &mut Vec<KeyValue>, key: &str, value: any_value::Value) {
    let value = Some(AnyValue { value: Some(value) });
    match map.iter_mut().find(|kv| kv.key == key) {
        Some(kv) => kv.value = value,
        None => map.push(KeyValue {
            key: key.to_owned(),
            value,
            ..KeyValue::default()
        }),
    }
}

fn take_bytes<'a>(script: &mut &'a [u8], n: usize) -> &'a [u8] {
    assert!(script.len() >= n, "a truncated edit script");
    let (head, rest) = script.split_at(n);
    *script = rest;
    head
}

fn take_u32(script: &mut &[u8]) -> u32 {
    u32::from_le_bytes(take_bytes(script, 4).try_into().expect("4 bytes"))
}

fn take_text(script: &mut &[u8]) -> String {
    let len = take_u32(script) as usize;
    String::from_utf8(take_bytes(script, len).to_vec()).expect("UTF-8 text in the edit script")
}

// ---- Random batches --------------------------------------------------------------------------

fn string(rng: &mut Rng) -> String {
    ["", "a", "x/y", "✓ unicode", "rust_chaos/p1"][rng.below(5)].to_owned()
}

fn attributes(rng: &mut Rng) -> Vec<KeyValue> {
    let mut out = Vec::new();
    for _ in 0..rng.below(4) {
        let key = ["k", PATH_KEY, "other", ""][rng.below(4)].to_owned();
        let value = match rng.below(4) {
            0 => any_value::Value::IntValue(rng.next() as i64),
            1 => any_value::Value::BoolValue(rng.chance(2)),
            _ => any_value::Value::StringValue(string(rng)),
        };
        out.push(KeyValue {
            key,
            value: (!rng.chance(8)).then_some(AnyValue { value: Some(value) }),
            ..KeyValue::default()
        });
    }
    out
}

fn maybe_resource(rng: &mut Rng) -> Option<Resource> {
    (!rng.chance(4)).then(|| Resource {
        attributes: attributes(rng),
        ..Resource::default()
    })
}

fn maybe_scope(rng: &mut Rng) -> Option<InstrumentationScope> {
    (!rng.chance(4)).then(|| InstrumentationScope {
        name: string(rng),
        attributes: attributes(rng),
        ..InstrumentationScope::default()
    })
}

fn random_traces(rng: &mut Rng) -> ExportTraceServiceRequest {
    let resource_spans = (0..rng.below(3))
        .map(|_| ResourceSpans {
            resource: maybe_resource(rng),
            scope_spans: (0..rng.below(3))
                .map(|_| ScopeSpans {
                    scope: maybe_scope(rng),
                    spans: (0..rng.below(4))
                        .map(|_| Span {
                            name: string(rng),
                            attributes: attributes(rng),
                            events: (0..rng.below(2))
                                .map(|_| span::Event {
                                    attributes: attributes(rng),
                                    ..span::Event::default()
                                })
                                .collect(),
                            links: (0..rng.below(2))
                                .map(|_| span::Link {
                                    attributes: attributes(rng),
                                    ..span::Link::default()
                                })
                                .collect(),
                            ..Span::default()
                        })
                        .collect(),
                    ..ScopeSpans::default()
                })
                .collect(),
            ..ResourceSpans::default()
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

fn random_metric(rng: &mut Rng) -> Metric {
    let n = rng.below(3);
    let number = |rng: &mut Rng| NumberDataPoint {
        attributes: attributes(rng),
        ..NumberDataPoint::default()
    };
    let data = match rng.below(6) {
        0 => Some(metric::Data::Gauge(Gauge {
            data_points: (0..n).map(|_| number(rng)).collect(),
        })),
        1 => Some(metric::Data::Sum(Sum {
            data_points: (0..n).map(|_| number(rng)).collect(),
            ..Sum::default()
        })),
        2 => Some(metric::Data::Histogram(Histogram {
            data_points: (0..n)
                .map(|_| HistogramDataPoint {
                    attributes: attributes(rng),
                    ..HistogramDataPoint::default()
                })
                .collect(),
            ..Histogram::default()
        })),
        3 => Some(metric::Data::ExponentialHistogram(ExponentialHistogram {
            data_points: (0..n)
                .map(|_| ExponentialHistogramDataPoint {
                    attributes: attributes(rng),
                    positive: Some(exponential_histogram_data_point::Buckets::default()),
                    ..ExponentialHistogramDataPoint::default()
                })
                .collect(),
            ..ExponentialHistogram::default()
        })),
        4 => Some(metric::Data::Summary(Summary {
            data_points: (0..n)
                .map(|_| SummaryDataPoint {
                    attributes: attributes(rng),
                    ..SummaryDataPoint::default()
                })
                .collect(),
        })),
        _ => None,
    };
    Metric {
        name: string(rng),
        data,
        ..Metric::default()
    }
}

fn random_metrics(rng: &mut Rng) -> ExportMetricsServiceRequest {
    let resource_metrics = (0..rng.below(3))
        .map(|_| ResourceMetrics {
            resource: maybe_resource(rng),
            scope_metrics: (0..rng.below(3))
                .map(|_| ScopeMetrics {
                    scope: maybe_scope(rng),
                    metrics: (0..rng.below(4)).map(|_| random_metric(rng)).collect(),
                    ..ScopeMetrics::default()
                })
                .collect(),
            ..ResourceMetrics::default()
        })
        .collect();
    ExportMetricsServiceRequest { resource_metrics }
}

fn random_logs(rng: &mut Rng) -> ExportLogsServiceRequest {
    let resource_logs = (0..rng.below(3))
        .map(|_| ResourceLogs {
            resource: maybe_resource(rng),
            scope_logs: (0..rng.below(3))
                .map(|_| ScopeLogs {
                    scope: maybe_scope(rng),
                    log_records: (0..rng.below(4))
                        .map(|_| LogRecord {
                            attributes: attributes(rng),
                            body: Some(AnyValue {
                                value: Some(any_value::Value::StringValue(string(rng))),
                            }),
                            ..LogRecord::default()
                        })
                        .collect(),
                    ..ScopeLogs::default()
                })
                .collect(),
            ..ResourceLogs::default()
        })
        .collect();
    ExportLogsServiceRequest { resource_logs }
}

fn random_batch(rng: &mut Rng) -> (u32, Vec<u8>) {
    match rng.below(3) {
        0 => (TRACES, random_traces(rng).encode_to_vec()),
        1 => (METRICS, random_metrics(rng).encode_to_vec()),
        _ => (LOGS, random_logs(rng).encode_to_vec()),
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    match rng.below(4) {
        0 if !input.is_empty() => {
            let at = rng.below(input.len());
            input[at] ^= 1 << rng.below(8);
        }
        1 if !input.is_empty() => {
            let at = rng.below(input.len());
            input.truncate(at);
        }
        2 => {
            let at = rng.below(input.len() + 1);
            let bytes: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
            input.splice(at..at, bytes);
        }
        _ if !input.is_empty() => {
            // A byte that is never valid in UTF-8.
            let at = rng.below(input.len());
            input[at] = 0xff;
        }
        _ => {}
    }
}

// ---- The chain and its model -----------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unchanged,
    Roundtrip,
    Reencode,
    KeepEvery(u64),
    AppendPath(usize),
    FailRetryable,
    FailPermanent,
    Panic,
    DropAll,
}

const MODES: [Mode; 13] = [
    Mode::Unchanged,
    Mode::Roundtrip,
    Mode::Reencode,
    Mode::KeepEvery(1),
    Mode::KeepEvery(2),
    Mode::KeepEvery(3),
    Mode::AppendPath(0),
    Mode::AppendPath(1),
    Mode::AppendPath(2),
    Mode::FailRetryable,
    Mode::FailPermanent,
    Mode::Panic,
    Mode::DropAll,
];

const PATH_IDS: [&str; 3] = ["p1", "p2", "p3"];

impl Mode {
    /// The instance name and config of the `rust_chaos` processor in this mode.
    fn config(self) -> (String, String) {
        match self {
            Mode::KeepEvery(every) => (
                format!("keep{every}"),
                format!(r#"{{"mode":"keep_every","every":{every}}}"#),
            ),
            Mode::AppendPath(n) => (
                PATH_IDS[n].to_owned(),
                r#"{"mode":"append_path"}"#.to_owned(),
            ),
            other => {
                let mode = match other {
                    Mode::Unchanged => "unchanged",
                    Mode::Roundtrip => "roundtrip",
                    Mode::Reencode => "reencode",
                    Mode::FailRetryable => "fail_retryable",
                    Mode::FailPermanent => "fail_permanent",
                    Mode::Panic => "panic",
                    _ => "drop_all",
                };
                (mode.to_owned(), format!(r#"{{"mode":"{mode}"}}"#))
            }
        }
    }
}

/// What the model says a run answers.
#[derive(Debug)]
enum Expected {
    Ok {
        stages_run: u32,
        batch: Batch,
        keep: Option<Vec<bool>>,
    },
    Failed {
        status: u32,
        stages_run: u32,
        /// None: any reason (a decoding error's text is prost's).
        reason: Option<&'static str>,
    },
}

/// Runs the chain on a batch prost decodes, holding `items` items, as the spec's fused run.
fn model(chain: &[Mode], mut batch: Batch, items: u64) -> Expected {
    for (n, mode) in chain.iter().enumerate() {
        let stages_run = n as u32 + 1;
        let failed = |status, reason| Expected::Failed {
            status,
            stages_run,
            reason: Some(reason),
        };
        let keep = match *mode {
            Mode::Unchanged | Mode::Roundtrip | Mode::Reencode => None,
            Mode::KeepEvery(every) => Some((0..items).map(|i| i % every != every - 1).collect()),
            Mode::DropAll => Some(vec![false; items as usize]),
            Mode::AppendPath(id) => {
                batch.append_path(&format!("rust_chaos/{}", PATH_IDS[id]));
                None
            }
            Mode::FailRetryable => return failed(PROCESS_RETRYABLE, "rust_chaos says retryable"),
            Mode::FailPermanent => return failed(PROCESS_PERMANENT, "rust_chaos says permanent"),
            Mode::Panic => {
                return failed(
                    PROCESS_PERMANENT,
                    "rust processor panicked: rust_chaos panics in process",
                )
            }
        };
        if let Some(keep) = keep {
            if keep.contains(&false) {
                return Expected::Ok {
                    stages_run,
                    batch,
                    keep: Some(keep),
                };
            }
        }
    }
    Expected::Ok {
        stages_run: chain.len() as u32,
        batch,
        keep: None,
    }
}

/// What a run on bytes prost refuses answers, as far as the model knows.
#[derive(Debug)]
enum Refused {
    /// This status at this stage (the first that decodes, or answers an error).
    Fails(u32, u32),
    /// Ok: no stage decodes before a drop ends the run, or none decodes at all.
    Ok,
    /// A roundtrip comes first: the host counts the replacement's items with a scan of the
    /// wire format, not prost, so it may pass the bytes on (and end the run when its count
    /// differs) or fail there.
    Unknown,
}

fn refused(chain: &[Mode], items: u64) -> Refused {
    for (n, mode) in chain.iter().enumerate() {
        let stage = n as u32 + 1;
        match *mode {
            Mode::Reencode | Mode::AppendPath(_) | Mode::Panic | Mode::FailPermanent => {
                return Refused::Fails(PROCESS_PERMANENT, stage);
            }
            Mode::FailRetryable => return Refused::Fails(PROCESS_RETRYABLE, stage),
            // Some index % every == every - 1: a drop ends the run.
            Mode::KeepEvery(every) if items >= every => return Refused::Ok,
            Mode::DropAll if items > 0 => return Refused::Ok,
            Mode::Roundtrip => return Refused::Unknown,
            _ => {}
        }
    }
    Refused::Ok
}

// ---- The C ABI, as Go calls it -------------------------------------------------------------

#[derive(Debug)]
struct Answer {
    status: u32,
    stages_run: u32,
    message: String,
    replacement: Option<Vec<u8>>,
    edits: Vec<u8>,
    keep: Option<Vec<bool>>,
}

fn rust_bytes(ptr: *const u8, n: u64) -> Option<Vec<u8>> {
    if ptr.is_null() {
        assert_eq!(n, 0, "a length without bytes");
        return None;
    }
    // SAFETY: the answer's pointers are valid for their lengths until the release, which comes
    // after this copy.
    Some(unsafe { std::slice::from_raw_parts(ptr, usize::try_from(n).expect("length")) }.to_vec())
}

fn process(handles: &[u64], signal: u32, batch: &[u8], items: u64) -> Answer {
    // Garbage first: every field the answer uses must be written.
    let mut out = ProcessResult {
        status: u32::MAX,
        stages_run: u32::MAX,
        output: u64::MAX,
        replaced: u32::MAX,
        has_keep: u32::MAX,
        replacement: std::ptr::dangling(),
        replacement_len: u64::MAX,
        edits: std::ptr::dangling(),
        edits_len: u64::MAX,
        keep: std::ptr::dangling(),
        keep_items: u64::MAX,
        message_len: u64::MAX,
        message: [0xff; PROCESS_MESSAGE_CAPACITY],
    };
    let ptr = if batch.is_empty() {
        std::ptr::null()
    } else {
        batch.as_ptr()
    };
    // SAFETY: `handles` and `batch` are valid for their lengths and not written during the
    // call; `out` is initialised and only this call accesses it.
    unsafe {
        otelcol_rust_process(
            handles.as_ptr(),
            handles.len(),
            signal,
            ptr,
            batch.len(),
            items,
            &mut out,
        )
    };
    assert!(out.status <= PROCESS_PERMANENT, "status {}", out.status);
    assert!(
        (1..=handles.len() as u32).contains(&out.stages_run),
        "stages_run {} of {}",
        out.stages_run,
        handles.len()
    );
    let len = usize::try_from(out.message_len).unwrap_or(usize::MAX);
    assert!(len <= PROCESS_MESSAGE_CAPACITY, "message_len {len}");
    let message = String::from_utf8(out.message[..len].to_vec()).expect("the reason is UTF-8");
    assert!(
        out.replaced <= 1 && out.has_keep <= 1,
        "flags {} {}",
        out.replaced,
        out.has_keep
    );
    let replacement = rust_bytes(out.replacement, out.replacement_len);
    let edits = rust_bytes(out.edits, out.edits_len).unwrap_or_default();
    assert_eq!(replacement.is_some(), out.replaced == 1);
    assert!(
        replacement.is_none() || edits.is_empty(),
        "a replacement and edits"
    );
    let keep = if out.has_keep == 1 {
        assert_eq!(out.keep_items, items, "a bitmap of another length");
        let bitmap = rust_bytes(out.keep, items.div_ceil(8)).expect("a bitmap");
        Some(
            (0..items as usize)
                .map(|i| bitmap[i / 8] & (1 << (i % 8)) != 0)
                .collect::<Vec<bool>>(),
        )
    } else {
        assert!(
            out.keep.is_null() && out.keep_items == 0,
            "a bitmap without has_keep"
        );
        None
    };
    if out.status == PROCESS_OK {
        assert!(message.is_empty(), "ok with a reason: {message}");
    } else {
        assert!(
            !message.is_empty(),
            "status {} without a reason",
            out.status
        );
        assert_eq!(out.output, 0, "an error holding output");
        assert!(replacement.is_none() && edits.is_empty() && keep.is_none());
    }
    assert_eq!(
        out.output != 0,
        replacement.is_some() || !edits.is_empty() || keep.is_some(),
        "output {} for what it holds",
        out.output
    );
    // SAFETY: `output` is this answer's, released once; its pointers are not read again.
    unsafe { otelcol_rust_process_release(out.output) };
    Answer {
        status: out.status,
        stages_run: out.stages_run,
        message,
        replacement,
        edits,
        keep,
    }
}

fn context(name: &str) -> String {
    format!(
        r#"{{"id":{{"type":"rust_chaos","name":"{name}"}},"deadline_remaining_ns":5000000000}}"#
    )
}

fn start(name: &str, config: &str) -> u64 {
    let context = context(name);
    let host = r#"{"build":{"version":"fuzz"},"extensions":[]}"#;
    let request = StartRequestView {
        kind: StringView::of(b"processor"),
        component_type: StringView::of(b"rust_chaos"),
        config_json: StringView::of(config.as_bytes()),
        context_json: StringView::of(context.as_bytes()),
        host_json: StringView::of(host.as_bytes()),
    };
    let started = call(c_RustExtensions_create_and_start, &request);
    assert!(
        started.ok,
        "rust_chaos {name} did not start: {}",
        started.error
    );
    started.handle
}

fn shutdown(handle: u64) {
    let context = context("");
    let request = ShutdownRequestView {
        handle,
        context_json: StringView::of(context.as_bytes()),
    };
    let stopped = call(c_RustExtensions_shutdown, &request);
    assert!(stopped.ok, "shutdown: {}", stopped.error);
}

fn live_instances() -> u64 {
    let mut slot: Slot = [std::ptr::null(); 2];
    // SAFETY: the export fills `slot`; `take` reads and frees it once.
    unsafe {
        c_RustExtensions_live_instances(&mut slot);
        take(slot).handle
    }
}

/// Checks an answer for a batch prost decodes with its right count against the model.
fn check_modelled(
    chain: &[Mode],
    signal: u32,
    bytes: &[u8],
    decoded: Batch,
    items: u64,
    answer: &Answer,
) {
    match model(chain, decoded, items) {
        Expected::Failed {
            status,
            stages_run,
            reason,
        } => {
            assert_eq!(
                (answer.status, answer.stages_run),
                (status, stages_run),
                "{chain:?}: {answer:?}"
            );
            if let Some(reason) = reason {
                assert_eq!(answer.message, reason);
            }
        }
        Expected::Ok {
            stages_run,
            batch,
            keep,
        } => {
            assert_eq!(
                (answer.status, answer.stages_run),
                (PROCESS_OK, stages_run),
                "{chain:?}: {answer:?}"
            );
            let built = match &answer.replacement {
                Some(replacement) => {
                    Batch::decode(signal, replacement).expect("the replacement decodes")
                }
                None => {
                    let mut built = Batch::decode(signal, bytes).expect("decodes");
                    built.apply(&answer.edits);
                    built
                }
            };
            // Compared encoded: equal messages encode equally, and NaN is not equal to itself.
            assert!(
                built.normalized() == batch.normalized(),
                "{chain:?}: Go would build\n{built:?}\nthe model says\n{batch:?}"
            );
            assert_eq!(answer.keep, keep, "{chain:?}");
        }
    }
}

#[test]
fn fused_runs_answer_as_the_model() {
    let (execs, mut rng) = fuzz_settings(0x5EED_0F0C_E4F0_0002);
    let before = live_instances();
    let handles: Vec<u64> = MODES
        .iter()
        .map(|mode| {
            let (name, config) = mode.config();
            start(&name, &config)
        })
        .collect();
    let began = Instant::now();
    let (mut modelled, mut refused_bytes, mut ended_early) = (0u64, 0u64, 0u64);
    for _ in 0..execs {
        let (signal, mut bytes) = random_batch(&mut rng);
        let mutated = rng.chance(4);
        if mutated {
            for _ in 0..=rng.below(2) {
                mutate(&mut rng, &mut bytes);
            }
        }
        let picks: Vec<usize> = (0..1 + rng.below(5))
            .map(|_| rng.below(MODES.len()))
            .collect();
        let chain: Vec<Mode> = picks.iter().map(|&i| MODES[i]).collect();
        let stages: Vec<u64> = picks.iter().map(|&i| handles[i]).collect();
        let decoded = Batch::decode(signal, &bytes);
        let counted = decoded.clone().map(|mut batch| batch.items());
        let items = match counted {
            Some(n) if !rng.chance(16) => n,
            _ => rng.next() % 8,
        };
        let answer = process(&stages, signal, &bytes, items);
        if (answer.stages_run as usize) < chain.len() && answer.status == PROCESS_OK {
            ended_early += 1;
        }
        match (decoded, counted) {
            // Mutated bytes prost decodes are modelled when they are what prost would write:
            // otherwise the host's count of a roundtrip's items (a wire scan) may see
            // what prost drops (a metric with two kinds of data) and end the run.
            (Some(decoded), Some(n)) if n == items && (!mutated || decoded.encode() == bytes) => {
                modelled += 1;
                check_modelled(&chain, signal, &bytes, decoded, items, &answer);
            }
            (None, _) => {
                refused_bytes += 1;
                match refused(&chain, items) {
                    Refused::Fails(status, stage) => assert_eq!(
                        (answer.status, answer.stages_run),
                        (status, stage),
                        "{chain:?} on bytes prost refuses: {answer:?}"
                    ),
                    Refused::Ok => assert_eq!(answer.status, PROCESS_OK, "{chain:?}: {answer:?}"),
                    Refused::Unknown => {}
                }
            }
            // A wrong count: only well-formedness (checked in `process`).
            _ => {}
        }
    }
    println!(
        "fuzzed {execs} runs in {:?}: {modelled} checked against the model, {refused_bytes} on \
         bytes prost refuses, {ended_early} ended early by a drop",
        began.elapsed()
    );
    for handle in handles {
        shutdown(handle);
    }
    assert_eq!(live_instances(), before, "processor instances left");
    assert!(
        modelled > 0 && refused_bytes > 0 && ended_early > 0,
        "the inputs lack variety"
    );
}
