//! Tests of the processors' data path: the C ABI `otelcol_rust_process` and its release, and
//! the host's fused run behind it, with the real registry and runtime, `rust_chaos`'s
//! processor and a fixture processor, called from plain threads as Go's are.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
use otelcol_rust_sdk::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_rust_sdk::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use otelcol_rust_sdk::proto::metrics::v1::{
    metric, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Summary,
    SummaryDataPoint,
};
use otelcol_rust_sdk::proto::resource::v1::Resource;
use otelcol_rust_sdk::proto::trace::v1::{span, ResourceSpans, ScopeSpans, Span};
use otelcol_rust_sdk::{
    Config, CreateSettings, Edits, Error, ProcessBatch, ProcessContext, ProcessError, Processed,
    Processor, ProcessorFactory, Signal,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::boundary::process::{
    otelcol_rust_process, otelcol_rust_process_release, ProcessResult, PROCESS_MESSAGE_CAPACITY,
    PROCESS_OK, PROCESS_PERMANENT, PROCESS_RETRYABLE,
};
use crate::boundary::{
    ConfigRequest, DrainRequest, RustExtensions, RustExtensionsImpl as Rust, ShutdownRequest,
    StartRequest,
};
use crate::host;

// The processor under test: linked in with its registration.
use rust_chaos as _;

const TRACES: u32 = 0;
const METRICS: u32 = 1;
const LOGS: u32 = 2;

/// The process counters are global: the tests that process take turns, so that those that
/// count crossings count only their own.
static COUNTING: Mutex<()> = Mutex::new(());

fn counting() -> MutexGuard<'static, ()> {
    COUNTING.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---- A fixture processor -------------------------------------------------------------------

/// Test-only fixture processor: traces and logs only.
struct ProcessFixture;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct FixtureConfig {
    /// `gate` (waits until the test opens the tag's gate), `log` (logs "fixture processes"
    /// at info), `edit` (sets `fixture` to the tag in map `map`, from the map number alone:
    /// the batch is never read), anything else answers Unchanged.
    behaviour: String,
    /// Names this instance in the gates and tallies.
    tag: String,
    /// The map `edit` edits.
    map: u32,
}

impl Config for FixtureConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

struct FixtureProcessor {
    config: FixtureConfig,
    in_flight: AtomicU64,
}

/// Counts a tag's events and lets a test wait for a count without sleeping.
#[derive(Default)]
struct Tally {
    counts: Mutex<HashMap<String, u64>>,
    changed: Condvar,
}

impl Tally {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, u64>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn add(&self, tag: &str, n: u64) {
        *self.lock().entry(tag.to_owned()).or_default() += n;
        self.changed.notify_all();
    }

    fn get(&self, tag: &str) -> u64 {
        self.lock().get(tag).copied().unwrap_or(0)
    }

    /// Waits until the tag's count reaches `n`; answers whether it did within 10 s.
    fn wait(&self, tag: &str, n: u64) -> bool {
        let counts = self.lock();
        let (counts, _) = self
            .changed
            .wait_timeout_while(counts, Duration::from_secs(10), |counts| {
                counts.get(tag).copied().unwrap_or(0) < n
            })
            .unwrap_or_else(PoisonError::into_inner);
        counts.get(tag).copied().unwrap_or(0) >= n
    }
}

/// Process calls that began, by tag.
static ENTERED: LazyLock<Tally> = LazyLock::new(Tally::default);
/// Calls in flight when the instance's shutdown ran, plus one (0: shutdown has not run).
static SHUT_DOWN: LazyLock<Tally> = LazyLock::new(Tally::default);
/// Open gates (1), by tag.
static GATES: LazyLock<Tally> = LazyLock::new(Tally::default);

/// Decrements the in-flight count when a call ends.
struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Processor for FixtureProcessor {
    fn process(
        &self,
        _: &ProcessBatch<'_>,
        ctx: &ProcessContext,
    ) -> Result<Processed, ProcessError> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _in_flight = InFlight(&self.in_flight);
        let tag = self.config.tag.as_str();
        ENTERED.add(tag, 1);
        match self.config.behaviour.as_str() {
            "gate" => {
                assert!(GATES.wait(tag, 1), "the test never opened gate {tag}");
            }
            "log" => tracing::info!(id = %ctx.id, "fixture processes"),
            "edit" => {
                let mut edits = Edits::new();
                edits.set_str(self.config.map, "fixture", tag);
                return Ok(Processed::Edits(edits));
            }
            _ => {}
        }
        Ok(Processed::Unchanged)
    }

    async fn shutdown(&mut self, _: &otelcol_rust_sdk::LifecycleContext) -> Result<(), Error> {
        SHUT_DOWN.add(&self.config.tag, self.in_flight.load(Ordering::SeqCst) + 1);
        Ok(())
    }
}

impl ProcessorFactory for ProcessFixture {
    const TYPE: &'static str = "test_processor";
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Logs];
    type Config = FixtureConfig;
    type Processor = FixtureProcessor;

    fn create(&self, _: &CreateSettings, config: FixtureConfig) -> Result<FixtureProcessor, Error> {
        Ok(FixtureProcessor {
            config,
            in_flight: AtomicU64::new(0),
        })
    }
}

otelcol_rust_sdk::register_processor!(ProcessFixture);

// ---- Instances -----------------------------------------------------------------------------

fn context(component_type: &str, name: &str, scope: u64) -> String {
    serde_json::json!({
        "id": {"type": component_type, "name": name},
        "deadline_remaining_ns": 5_000_000_000u64,
        "scope": scope,
    })
    .to_string()
}

fn start_scoped(component_type: &str, name: &str, config: Value, scope: u64) -> u64 {
    let reply = Rust::create_and_start(StartRequest {
        kind: "processor".to_owned(),
        component_type: component_type.to_owned(),
        config_json: config.to_string(),
        context_json: context(component_type, name, scope),
        host_json: "{}".to_owned(),
    });
    assert!(reply.ok, "{}", reply.error);
    reply.handle
}

/// A `rust_chaos` processor named `name` (its id is `rust_chaos/<name>`).
fn chaos(name: &str, mode: &str) -> u64 {
    start_scoped("rust_chaos", name, serde_json::json!({"mode": mode}), 0)
}

fn fixture(config: Value) -> u64 {
    start_scoped("test_processor", "t", config, 0)
}

fn shutdown(handle: u64) {
    let reply = Rust::shutdown(ShutdownRequest {
        handle,
        context_json: context("rust_chaos", "", 0),
    });
    assert!(reply.ok, "{}", reply.error);
}

// ---- The C ABI, as Go calls it -------------------------------------------------------------

/// One edit of the edit script.
#[derive(Debug, Clone, PartialEq)]
enum Edit {
    SetStr(u32, String, String),
    SetInt(u32, String, i64),
    Remove(u32, String),
}

/// What a process call answered, copied out of Rust's memory before the release.
#[derive(Debug)]
struct Answer {
    status: u32,
    stages_run: u32,
    message: String,
    replacement: Option<Vec<u8>>,
    edits: Vec<Edit>,
    /// The bitmap and its item count.
    keep: Option<(Vec<u8>, u64)>,
    /// Whether the answer held Rust memory (a nonzero `output`).
    held: bool,
}

fn take<'a>(script: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, rest) = script.split_at(n);
    *script = rest;
    head
}

fn take_u32(script: &mut &[u8]) -> u32 {
    u32::from_le_bytes(take(script, 4).try_into().expect("4 bytes"))
}

fn take_text(script: &mut &[u8]) -> String {
    let len = take_u32(script) as usize;
    String::from_utf8(take(script, len).to_vec()).expect("UTF-8")
}

/// Reads an edit script as the spec writes it (section 2).
fn decode_script(mut script: &[u8]) -> Vec<Edit> {
    let mut edits = Vec::new();
    while !script.is_empty() {
        let map = take_u32(&mut script);
        let op = take(&mut script, 1)[0];
        let key = take_text(&mut script);
        edits.push(match op {
            0 => Edit::SetStr(map, key, take_text(&mut script)),
            1 => Edit::SetInt(
                map,
                key,
                i64::from_le_bytes(take(&mut script, 8).try_into().expect("8 bytes")),
            ),
            2 => Edit::Remove(map, key),
            other => panic!("unknown edit op {other}"),
        });
    }
    edits
}

/// Reads `n` Rust bytes at `ptr` (none for a null pointer).
fn rust_bytes(ptr: *const u8, n: u64) -> Option<Vec<u8>> {
    if ptr.is_null() {
        assert_eq!(n, 0, "a length without bytes");
        return None;
    }
    let n = usize::try_from(n).expect("length");
    // Allowed: reading what the answer points to, as Go does.
    #[allow(unsafe_code)]
    // SAFETY: the answer's pointers are valid for their lengths until the release, which
    // comes after this copy.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, n) }.to_vec();
    Some(bytes)
}

/// One process call through the C ABI, as Go makes it: the result starts as garbage, so every
/// field the answer uses must be written; its memory is copied out and released.
fn process(handles: &[u64], signal: u32, batch: &[u8], items: u64) -> Answer {
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
    // Go passes a null pointer for an empty slice.
    let batch_ptr = if batch.is_empty() {
        std::ptr::null()
    } else {
        batch.as_ptr()
    };
    // Allowed: this is how Go calls it.
    #[allow(unsafe_code)]
    // SAFETY: `handles` and `batch` are valid for their lengths and unchanged during the
    // call; `out` is an initialised result nobody else touches.
    unsafe {
        otelcol_rust_process(
            handles.as_ptr(),
            handles.len(),
            signal,
            batch_ptr,
            batch.len(),
            items,
            &mut out,
        );
    }
    assert!(out.status <= PROCESS_PERMANENT, "status {}", out.status);
    assert!(
        out.stages_run as usize <= handles.len(),
        "{}",
        out.stages_run
    );
    let len = usize::try_from(out.message_len).expect("length");
    assert!(len <= PROCESS_MESSAGE_CAPACITY);
    let message = String::from_utf8(out.message[..len].to_vec()).expect("UTF-8 reason");
    assert!(out.replaced <= 1 && out.has_keep <= 1);
    let replacement = rust_bytes(out.replacement, out.replacement_len);
    let edits = rust_bytes(out.edits, out.edits_len).unwrap_or_default();
    assert_eq!(replacement.is_some(), out.replaced == 1);
    let keep = (out.has_keep == 1).then(|| {
        let bytes = out.keep_items.div_ceil(8);
        (
            rust_bytes(out.keep, bytes).expect("a bitmap"),
            out.keep_items,
        )
    });
    if out.has_keep == 0 {
        assert!(out.keep.is_null() && out.keep_items == 0);
    }
    if out.status != PROCESS_OK {
        assert!(!message.is_empty(), "an error without a reason");
        assert_eq!(out.output, 0, "an error holding output");
    } else {
        assert!(message.is_empty(), "ok with a reason: {message}");
    }
    assert!(
        replacement.is_none() || edits.is_empty(),
        "both a replacement and edits"
    );
    let held = out.output != 0;
    assert_eq!(
        held,
        replacement.is_some() || !edits.is_empty() || keep.is_some(),
        "output {} for what it holds",
        out.output
    );
    // Allowed: this is how Go gives the memory back.
    #[allow(unsafe_code)]
    // SAFETY: `output` is this answer's, released once, and nothing reads its pointers after.
    unsafe {
        otelcol_rust_process_release(out.output);
    }
    Answer {
        status: out.status,
        stages_run: out.stages_run,
        message,
        edits: decode_script(&edits),
        replacement,
        keep,
        held,
    }
}

// ---- Batches -------------------------------------------------------------------------------

fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

fn named_span(name: &str) -> Span {
    Span {
        name: name.to_owned(),
        attributes: vec![kv("k", "v")],
        ..Span::default()
    }
}

/// Two resources: the first with one scope of 2 spans (the first with an event and a link),
/// the second with one scope of 1 span: 3 spans. Maps in document order: 0 resource, 1 scope,
/// 2 span a, 3 its event, 4 its link, 5 span b, 6 resource, 7 scope, 8 span c.
fn traces() -> ExportTraceServiceRequest {
    let mut a = named_span("a");
    a.events = vec![span::Event::default()];
    a.links = vec![span::Link::default()];
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![a, named_span("b")],
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            },
            ResourceSpans {
                scope_spans: vec![ScopeSpans {
                    spans: vec![named_span("c")],
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            },
        ],
    }
}

const SPAN_MAPS: [u32; 3] = [2, 5, 8];

/// One gauge of 2 points and one summary of 1: 3 data points, maps 2, 3 and 4.
fn metrics() -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![
                    Metric {
                        name: "g".to_owned(),
                        data: Some(metric::Data::Gauge(Gauge {
                            data_points: vec![NumberDataPoint::default(); 2],
                        })),
                        ..Metric::default()
                    },
                    Metric {
                        name: "s".to_owned(),
                        data: Some(metric::Data::Summary(Summary {
                            data_points: vec![SummaryDataPoint::default()],
                        })),
                        ..Metric::default()
                    },
                ],
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
}

/// `n` log records in one scope: maps 2..2+n.
fn logs(n: usize) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord::default(); n],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}

fn set_path(map: u32, path: &str) -> Edit {
    Edit::SetStr(map, "chaos.path".to_owned(), path.to_owned())
}

/// The process counters now: crossings, stages, errors, panics.
fn counters() -> [u64; 4] {
    let metrics = host::library_metrics();
    [
        metrics.process_crossings,
        metrics.process_stages,
        metrics.process_errors,
        metrics.process_panics,
    ]
}

fn counted_since(before: [u64; 4]) -> [u64; 4] {
    let now = counters();
    [0, 1, 2, 3].map(|i| now[i] - before[i])
}

// ---- Tests ---------------------------------------------------------------------------------

/// Guarantees: every kind of answer crosses the C ABI as the spec writes it: unchanged holds
/// nothing (output 0); a replacement holds the new batch's bytes (the stage's own bytes for
/// an encoded one, the decoded message encoded again for a message); a keep answer holds the
/// bitmap, LSB first, 1 = keep; edits hold the edit script; errors are retryable or permanent
/// with their reason and hold nothing; every signal is numbered as the spec numbers it.
#[test]
fn every_answer_kind_crosses_the_abi() {
    let _turn = counting();
    let bytes = traces().encode_to_vec();
    let handles: HashMap<&str, u64> = [
        "unchanged",
        "roundtrip",
        "reencode",
        "append_path",
        "panic",
        "fail_retryable",
        "fail_permanent",
        "drop_all",
    ]
    .into_iter()
    .map(|mode| (mode, chaos(mode, mode)))
    .collect();
    let keep_every = start_scoped(
        "rust_chaos",
        "keep",
        serde_json::json!({"mode": "keep_every", "every": 2}),
        0,
    );
    let before = counters();

    let answer = process(&[handles["unchanged"]], TRACES, &bytes, 3);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));
    assert!(!answer.held, "{answer:?}");

    let answer = process(&[handles["roundtrip"]], TRACES, &bytes, 3);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));
    assert_eq!(answer.replacement.as_deref(), Some(&bytes[..]));

    for (signal, bytes, items) in [
        (TRACES, traces().encode_to_vec(), 3),
        (METRICS, metrics().encode_to_vec(), 3),
        (LOGS, logs(4).encode_to_vec(), 4),
    ] {
        let answer = process(&[handles["reencode"]], signal, &bytes, items);
        assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));
        // prost encodes a message it decoded as it was (these have no unknown fields).
        assert_eq!(answer.replacement.as_deref(), Some(&bytes[..]), "{signal}");
    }

    let answer = process(&[handles["append_path"]], TRACES, &bytes, 3);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));
    assert_eq!(answer.replacement, None);
    assert_eq!(
        answer.edits,
        SPAN_MAPS.map(|map| set_path(map, "rust_chaos/append_path"))
    );
    let answer = process(
        &[handles["append_path"]],
        METRICS,
        &metrics().encode_to_vec(),
        3,
    );
    assert_eq!(
        answer.edits,
        [2, 3, 4].map(|map| set_path(map, "rust_chaos/append_path"))
    );

    // 10 records, every second dropped: kept 0, 2, 4, 6, 8 -> 0b0101_0101, 0b01.
    let answer = process(&[keep_every], LOGS, &logs(10).encode_to_vec(), 10);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));
    assert_eq!(answer.keep, Some((vec![0b0101_0101, 0b01], 10)));
    assert!(answer.edits.is_empty() && answer.replacement.is_none());
    let answer = process(&[handles["drop_all"]], LOGS, &logs(9).encode_to_vec(), 9);
    assert_eq!(answer.keep, Some((vec![0, 0], 9)));

    let answer = process(&[handles["fail_retryable"]], TRACES, &bytes, 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (PROCESS_RETRYABLE, 1, "rust_chaos says retryable")
    );
    let answer = process(&[handles["fail_permanent"]], TRACES, &bytes, 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (PROCESS_PERMANENT, 1, "rust_chaos says permanent")
    );
    let answer = process(&[handles["panic"]], TRACES, &bytes, 3);
    assert_eq!(
        (answer.status, answer.message.as_str()),
        (
            PROCESS_PERMANENT,
            "rust processor panicked: rust_chaos panics in process"
        )
    );
    // 12 calls of one stage each; 3 errors, 1 of them a panic.
    assert_eq!(counted_since(before), [12, 12, 3, 1]);

    for handle in handles.into_values().chain([keep_every]) {
        shutdown(handle);
    }
}

/// Guarantees: a fused run of 1, 2 and 3 stages crosses once and runs each stage in order,
/// each seeing the edits of the stages before it (append_path extends the path they set),
/// and answers the edits of them all; a replacement mid-run carries the earlier edits and
/// takes the later ones in; a stage after a replacement sees the new batch.
#[test]
fn fused_runs_see_earlier_stages() {
    let _turn = counting();
    let [a, b, c] = ["a", "b", "c"].map(|name| chaos(name, "append_path"));
    let roundtrip = chaos("roundtrip", "roundtrip");
    let reencode = chaos("reencode", "reencode");
    let bytes = traces().encode_to_vec();

    let before = counters();
    let chain = [a, b, c];
    for stages in 1..=3 {
        let answer = process(&chain[..stages], TRACES, &bytes, 3);
        assert_eq!(
            (answer.status, answer.stages_run),
            (PROCESS_OK, stages as u32)
        );
        let path = ["rust_chaos/a", "rust_chaos/b", "rust_chaos/c"][..stages].join("/");
        // Edits of one map stay in the order given: every stage's set_str is there, the
        // last one setting the whole path.
        let mut want = Vec::new();
        for map in SPAN_MAPS {
            for stage in 1..=stages {
                let prefix = ["rust_chaos/a", "rust_chaos/b", "rust_chaos/c"][..stage].join("/");
                want.push(set_path(map, &prefix));
            }
        }
        assert_eq!(answer.edits, want, "{stages} stages");
        assert!(answer.edits.ends_with(&[set_path(8, &path)]));
    }
    assert_eq!(counted_since(before), [3, 6, 0, 0]);

    // a, then the batch re-encoded with a's edits, then b: the replacement has both paths.
    for middle in [roundtrip, reencode] {
        let answer = process(&[a, middle, b], TRACES, &bytes, 3);
        assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 3));
        assert!(answer.edits.is_empty());
        let replaced = ExportTraceServiceRequest::decode(
            answer.replacement.as_deref().expect("a replacement"),
        )
        .expect("decodes");
        let mut want = traces();
        // Editing the decoded batch makes its missing resources and scopes empty ones, which
        // pdata does as well.
        for resource in &mut want.resource_spans {
            resource.resource = Some(Resource::default());
            for scope in &mut resource.scope_spans {
                scope.scope = Some(InstrumentationScope::default());
            }
        }
        for span in want
            .resource_spans
            .iter_mut()
            .flat_map(|resource| &mut resource.scope_spans)
            .flat_map(|scope| &mut scope.spans)
        {
            span.attributes
                .push(kv("chaos.path", "rust_chaos/a/rust_chaos/b"));
        }
        assert_eq!(replaced, want);
    }
    for handle in [a, b, c, roundtrip, reencode] {
        shutdown(handle);
    }
}

/// Guarantees: a stage that drops items ends the run there (later stages do not run;
/// `stages_run` says so) with the earlier stages' edits and its keep bitmap; a stage that
/// drops nothing is Unchanged and the run goes on; an error mid-chain ends the run with that
/// stage's error and no output; a panicking stage answers the panic as a permanent error and
/// its instance keeps answering.
#[test]
fn runs_end_at_drops_errors_and_panics() {
    let _turn = counting();
    let a = chaos("a", "append_path");
    let c = chaos("c", "append_path");
    let keep = start_scoped(
        "rust_chaos",
        "keep",
        serde_json::json!({"mode": "keep_every", "every": 2}),
        0,
    );
    // Every fourth item of 3: none.
    let keep_all = start_scoped(
        "rust_chaos",
        "keep_all",
        serde_json::json!({"mode": "keep_every", "every": 4}),
        0,
    );
    let drop_all = chaos("drop_all", "drop_all");
    let retryable = chaos("retryable", "fail_retryable");
    let panics = chaos("panics", "panic");
    let bytes = logs(3).encode_to_vec();
    let before = counters();

    let answer = process(&[a, keep, c], LOGS, &bytes, 3);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 2));
    assert_eq!(answer.keep, Some((vec![0b101], 3)));
    assert_eq!(
        answer.edits,
        [2, 3, 4].map(|map| set_path(map, "rust_chaos/a"))
    );

    let answer = process(&[drop_all, a], LOGS, &bytes, 3);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));
    assert_eq!(answer.keep, Some((vec![0], 3)));
    assert!(answer.edits.is_empty());

    // Keeping everything is no drop: c runs too.
    let answer = process(&[keep_all, c], LOGS, &bytes, 3);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 2));
    assert_eq!(answer.keep, None);
    assert_eq!(
        answer.edits,
        [2, 3, 4].map(|map| set_path(map, "rust_chaos/c"))
    );

    let answer = process(&[a, retryable, c], LOGS, &bytes, 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (PROCESS_RETRYABLE, 2, "rust_chaos says retryable")
    );
    assert!(!answer.held);

    for _ in 0..2 {
        let answer = process(&[a, panics, c], LOGS, &bytes, 3);
        assert_eq!(
            (answer.status, answer.stages_run, answer.message.as_str()),
            (
                PROCESS_PERMANENT,
                2,
                "rust processor panicked: rust_chaos panics in process"
            )
        );
    }
    assert_eq!(counted_since(before), [6, 11, 3, 2]);
    for handle in [a, c, keep, keep_all, drop_all, retryable, panics] {
        shutdown(handle);
    }
}

/// Scenario: a stage answers edits computed without reading the batch (as a processor that
/// walks the bytes itself does), on a batch prost refuses to decode (a string that is not
/// UTF-8, which pdata carries) and with a map past the batch's last.
/// Guarantees: the last stage's edits go to Go as they are, the batch never decoded (Go makes
/// them, and refuses a map past the last); a stage another follows has its edits made to the
/// decoded batch, so there an undecodable batch or a map past the last is its permanent error.
#[test]
fn the_last_stages_edits_are_left_to_go() {
    let _turn = counting();
    let mut request = traces();
    request.resource_spans[0].scope_spans[0].spans[0].name = "NOT-UTF-8".to_owned();
    let mut not_utf8 = request.encode_to_vec();
    let at = not_utf8
        .windows(9)
        .position(|window| window == b"NOT-UTF-8")
        .expect("the name is in the bytes");
    not_utf8[at] = 0xff;
    assert!(ExportTraceServiceRequest::decode(&not_utf8[..]).is_err());
    let valid = traces().encode_to_vec();
    let edit = |tag: &str, map: u32| {
        start_scoped(
            "test_processor",
            tag,
            serde_json::json!({"behaviour": "edit", "tag": tag, "map": map}),
            0,
        )
    };
    let first = edit("first", 2);
    let past = edit("past", 99);
    let unchanged = fixture(serde_json::json!({"tag": "unchanged"}));
    let fixture_edit =
        |map: u32, tag: &str| Edit::SetStr(map, "fixture".to_owned(), tag.to_owned());

    let answer = process(&[first], TRACES, &not_utf8, 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (PROCESS_OK, 1, "")
    );
    assert_eq!(answer.edits, [fixture_edit(2, "first")]);
    let answer = process(&[past], TRACES, &valid, 3);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));
    assert_eq!(answer.edits, [fixture_edit(99, "past")]);

    // Another stage follows, but prost cannot decode the batch to show it the edit: the run
    // ends after the editing stage (Go makes the edit; the next crosses again), as unfused.
    let answer = process(&[first, unchanged], TRACES, &not_utf8, 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (PROCESS_OK, 1, "")
    );
    assert_eq!(answer.edits, [fixture_edit(2, "first")]);
    let answer = process(&[past, unchanged], TRACES, &valid, 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (
            PROCESS_PERMANENT,
            1,
            "an edit names attribute map 99, but the batch has 9"
        )
    );
    for handle in [first, past, unchanged] {
        shutdown(handle);
    }
}

/// Guarantees: a stage whose handle is unknown, shut down or not a processor, or whose type
/// does not declare the batch's signal, is that stage's permanent error (the stages before
/// it ran); a malformed signal, null pointers and an empty chain are permanent errors too;
/// releasing 0 does nothing.
#[test]
fn bad_stages_are_permanent_errors() {
    let _turn = counting();
    let a = chaos("a", "append_path");
    let traces_only = fixture(serde_json::json!({"tag": "signals"}));
    let gone = chaos("gone", "unchanged");
    shutdown(gone);
    let exporter = Rust::create_and_start(StartRequest {
        kind: "exporter".to_owned(),
        component_type: "rust_chaos".to_owned(),
        config_json: "{}".to_owned(),
        context_json: context("rust_chaos", "exporter", 0),
        host_json: "{}".to_owned(),
    });
    assert!(exporter.ok, "{}", exporter.error);
    let bytes = traces().encode_to_vec();

    for (stage, message) in [
        (0, "no running processor instance 0".to_owned()),
        (
            u64::MAX,
            format!("no running processor instance {}", u64::MAX),
        ),
        (gone, format!("no running processor instance {gone}")),
        (
            exporter.handle,
            format!("no running processor instance {}", exporter.handle),
        ),
    ] {
        let answer = process(&[a, stage, a], TRACES, &bytes, 3);
        // Retryable: an instance shut down in a reload is not the batch's fault.
        assert_eq!(
            (answer.status, answer.stages_run, answer.message),
            (PROCESS_RETRYABLE, 2, message)
        );
    }
    let answer = process(&[a, traces_only], METRICS, &metrics().encode_to_vec(), 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (
            PROCESS_PERMANENT,
            2,
            "this processor does not process metrics (its type declares traces, logs)"
        )
    );
    let answer = process(&[a], 3, &bytes, 3);
    assert_eq!(
        (answer.status, answer.message.as_str()),
        (PROCESS_PERMANENT, "malformed signal sent by Go: 3")
    );
    let answer = process(&[], TRACES, &bytes, 3);
    assert_eq!(
        (answer.status, answer.stages_run, answer.message.as_str()),
        (PROCESS_PERMANENT, 0, "no processor to run")
    );
    // An empty batch (a null pointer, as Go's nil slice) is a batch of no items.
    let answer = process(&[a], TRACES, &[], 0);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_OK, 1));

    let mut out = ProcessResult {
        status: u32::MAX,
        stages_run: u32::MAX,
        output: u64::MAX,
        replaced: 0,
        has_keep: 0,
        replacement: std::ptr::null(),
        replacement_len: 0,
        edits: std::ptr::null(),
        edits_len: 0,
        keep: std::ptr::null(),
        keep_items: 0,
        message_len: 0,
        message: [0; PROCESS_MESSAGE_CAPACITY],
    };
    // Allowed: malformed calls, as a buggy caller would make them.
    #[allow(unsafe_code)]
    // SAFETY: null pointers with nonzero lengths are what the call must refuse without
    // reading them; `out` is initialised and only this call touches it.
    unsafe {
        otelcol_rust_process(std::ptr::null(), 2, TRACES, bytes.as_ptr(), 1, 3, &mut out);
        assert_eq!(
            (out.status, out.stages_run, out.output),
            (PROCESS_PERMANENT, 1, 0)
        );
        let handles = [a];
        otelcol_rust_process(
            handles.as_ptr(),
            1,
            TRACES,
            std::ptr::null(),
            5,
            3,
            &mut out,
        );
        assert_eq!(
            &out.message[..usize::try_from(out.message_len).expect("length")],
            b"malformed batch sent by Go: null pointer"
        );
        otelcol_rust_process_release(0);
    }

    shutdown(a);
    shutdown(traces_only);
    assert!(
        Rust::shutdown(ShutdownRequest {
            handle: exporter.handle,
            context_json: context("rust_chaos", "exporter", 0),
        })
        .ok
    );
}

/// Guarantees: a processor's shutdown waits for the process calls in flight on it (its
/// shutdown runs once they have ended), and a call that comes once the shutdown began
/// answers that the instance is gone.
#[test]
fn shutdown_waits_for_process_calls_in_flight() {
    let _turn = counting();
    let handle = fixture(serde_json::json!({"behaviour": "gate", "tag": "in-flight"}));
    let bytes = logs(1).encode_to_vec();
    std::thread::scope(|threads| {
        let call = threads.spawn(|| process(&[handle], LOGS, &bytes, 1));
        assert!(ENTERED.wait("in-flight", 1), "the call never began");
        let stop = threads.spawn(|| shutdown(handle));
        // Once the shutdown took the instance out of the table (then it waits for the call),
        // the instance takes no more calls.
        let waiting = std::time::Instant::now();
        while host::wait_event(handle, Duration::ZERO) != host::Event::Closed {
            assert!(waiting.elapsed() < Duration::from_secs(10), "no shutdown");
            std::thread::yield_now();
        }
        let late = host::process(&[handle], Signal::Logs, &bytes, 1);
        assert!(matches!(
            late.outcome,
            Err(err) if err.reason() == format!("no running processor instance {handle}")
        ));
        assert_eq!(SHUT_DOWN.get("in-flight"), 0, "shut down under a call");
        GATES.add("in-flight", 1);
        let answer = call.join().expect("the call answers");
        assert_eq!(answer.status, PROCESS_OK, "{answer:?}");
        stop.join().expect("the shutdown answers");
    });
    // 1: no call was in flight when the processor's shutdown ran.
    assert_eq!(SHUT_DOWN.get("in-flight"), 1);
}

/// Guarantees: a stage logs in its own instance's telemetry scope (each stage of one run in
/// its own), with its id in the context; a panicking stage's error record is in its scope.
#[test]
fn stages_log_in_their_own_scope() {
    let _turn = counting();
    let _buffer = crate::telemetry_tests::exclusive();
    const FIRST: u64 = 5_000_001;
    const SECOND: u64 = 5_000_002;
    const PANICS: u64 = 5_000_003;
    let first = start_scoped(
        "test_processor",
        "first",
        serde_json::json!({"behaviour": "log"}),
        FIRST,
    );
    let second = start_scoped(
        "test_processor",
        "second",
        serde_json::json!({"behaviour": "log"}),
        SECOND,
    );
    let panics = start_scoped(
        "rust_chaos",
        "panics",
        serde_json::json!({"mode": "panic"}),
        PANICS,
    );
    let _ = Rust::drain_logs(DrainRequest {
        max_records: u64::MAX,
    });
    let answer = process(&[first, second, panics], LOGS, &logs(1).encode_to_vec(), 1);
    assert_eq!((answer.status, answer.stages_run), (PROCESS_PERMANENT, 3));
    let reply = Rust::drain_logs(DrainRequest {
        max_records: u64::MAX,
    });
    let drained: Value = serde_json::from_str(&reply.json).expect("JSON");
    let records = drained["records"].as_array().cloned().unwrap_or_default();
    let in_scope = |scope: u64| -> Vec<String> {
        records
            .iter()
            .filter(|record| record["scope"] == scope)
            .map(|record| {
                let id = record["fields"]
                    .as_array()
                    .and_then(|fields| fields.iter().find(|field| field["key"] == "id"))
                    .map(|field| field["value"].to_string())
                    .unwrap_or_default();
                format!("{} {id}", record["message"].as_str().unwrap_or_default())
            })
            .collect()
    };
    assert_eq!(
        in_scope(FIRST),
        [r#"fixture processes "test_processor/first""#]
    );
    assert_eq!(
        in_scope(SECOND),
        [r#"fixture processes "test_processor/second""#]
    );
    let panicked = in_scope(PANICS);
    assert!(
        panicked.iter().any(|record| record
            .starts_with("rust processor panicked: rust_chaos panics in process; the batch fails")),
        "{panicked:?}"
    );
    for handle in [first, second, panics] {
        shutdown(handle);
    }
}

/// Guarantees: processors are listed with their kind and signals, their configs are
/// validated under the processor kind, and the library counters are in `library_metrics`.
#[test]
fn processors_are_a_kind() {
    let _turn = counting();
    let reply = Rust::component_types();
    let types: Vec<Value> = serde_json::from_str(&reply.json).expect("JSON");
    let chaos = types
        .iter()
        .find(|entry| entry["kind"] == "processor" && entry["type"] == "rust_chaos")
        .expect("rust_chaos is a processor");
    assert_eq!(
        chaos["signals"],
        serde_json::json!(["traces", "metrics", "logs"])
    );
    assert_eq!(
        chaos["factory"],
        "rust_chaos::processor::ChaosProcessorFactory"
    );
    let kinds: Vec<&str> = types
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert!(kinds.is_sorted(), "{kinds:?}");

    let reply = Rust::validate_config(ConfigRequest {
        kind: "processor".to_owned(),
        component_type: "rust_chaos".to_owned(),
        config_json: r#"{"mode":"keep_every","every":0}"#.to_owned(),
    });
    assert!(!reply.ok);
    assert_eq!(reply.error, "every: keep_every needs every >= 1");

    let reply = Rust::library_metrics();
    let metrics: Value = serde_json::from_str(&reply.json).expect("JSON");
    for key in [
        "process_crossings",
        "process_stages",
        "process_errors",
        "process_panics",
    ] {
        assert!(metrics[key].is_u64(), "{key} in {metrics}");
    }
}
