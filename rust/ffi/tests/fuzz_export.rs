//! Scenario: random and mutated OTLP export requests (truncated, bytes flipped or inserted,
//! lengths made huge, seeds spliced, attribute values up to 1 MiB, 10,000 attributes,
//! key-value lists nested up to 100,000 deep, random bytes, the wrong signal, a wrong item
//! count, an expired deadline, a cancelled call, a null empty batch) handed to the export C
//! ABI exactly as Go hands them (`otelcol_rust_export`, the batch borrowed), against
//! `rust_chaos` decoding every batch (`decode: true`), `rust_chaos` panicking, and
//! `rust_otlphttp` sending to a local HTTP server that answers 200, a partial success, 400,
//! 429, 503 with Retry-After or closes the connection; each input is also decoded through
//! the SDK's `Batch::decode_*`.
//!
//! Guarantees: no input crashes the process or hangs; every answer is well formed (a known
//! outcome, a UTF-8 reason of at most 1 KiB, a retry hint only on retryable, rejected items
//! only on partial) and is the expected one: for `rust_chaos`, Ok exactly when prost decodes
//! the bytes as the signal's request holding the announced item count, else permanent; for
//! `rust_otlphttp`, what the server's answer means per the OTLP/HTTP spec, with the server
//! having received the very bytes (uncompressed instance) or a gzip body; an expired
//! deadline or a cancelled call is retryable and leaves no call token registered; a panic is
//! permanent and the instance keeps answering; `Batch::decode_*` agrees with prost; the
//! instances shut down and none stays live.
//!
//! Seeded random fuzzing on stable Rust, as `fuzz_entry_points.rs` (not coverage-guided).
//! FUZZ_EXECS sets the number of mutated inputs (default 2000), FUZZ_SEED the seed, FUZZ_BIG=0
//! leaves out the three big inputs.
#![allow(unsafe_code)] // Calls the C ABI exports exactly as Go does; that is the point.
#![allow(missing_docs)]
#![allow(clippy::expect_used)] // Test code: a failed expectation is a test failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

// The components under test, linked into this binary (their registrations with them).
use rust_chaos as _;
use rust_otlphttp as _;

use common::{
    c_RustExtensions_create_and_start, c_RustExtensions_live_instances, c_RustExtensions_shutdown,
    call, fuzz_settings, take, Rng, ShutdownRequestView, Slot, StartRequestView, StringView,
};
use otelcol_rust_ffi::boundary::export::{
    otelcol_rust_export, ExportResult, EXPORT_MESSAGE_CAPACITY, EXPORT_OK, EXPORT_PARTIAL,
    EXPORT_PERMANENT, EXPORT_RETRYABLE,
};
use otelcol_rust_ffi::host;
use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use otelcol_rust_sdk::proto::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use otelcol_rust_sdk::proto::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use otelcol_rust_sdk::proto::common::v1::{
    any_value, AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList,
};
use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use otelcol_rust_sdk::proto::metrics::v1::{
    exponential_histogram_data_point, metric, number_data_point, summary_data_point,
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use otelcol_rust_sdk::proto::resource::v1::Resource;
use otelcol_rust_sdk::proto::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use otelcol_rust_sdk::{Batch, Signal};

// ---- Inputs --------------------------------------------------------------------------------

const TRACES: u32 = 0;
const METRICS: u32 = 1;
const LOGS: u32 = 2;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

/// One attribute of every value type, nested ones included.
fn every_value() -> Vec<KeyValue> {
    use any_value::Value as V;
    vec![
        kv("string", V::StringValue("value ✓".to_owned())),
        kv("bool", V::BoolValue(true)),
        kv("int", V::IntValue(i64::MIN)),
        kv("double", V::DoubleValue(f64::NEG_INFINITY)),
        kv("bytes", V::BytesValue(vec![0, 0xff, 0x80])),
        kv(
            "array",
            V::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(V::IntValue(1)),
                }],
            }),
        ),
        kv(
            "kvlist",
            V::KvlistValue(KeyValueList {
                values: vec![kv("inner", V::StringValue(String::new()))],
            }),
        ),
        KeyValue {
            key: "empty".to_owned(),
            value: None,
            ..KeyValue::default()
        },
    ]
}

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: every_value(),
        dropped_attributes_count: 1,
        ..Resource::default()
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "fuzz".to_owned(),
        version: "1".to_owned(),
        attributes: every_value(),
        dropped_attributes_count: 2,
    })
}

fn traces(spans: usize, attributes: Vec<KeyValue>) -> Vec<u8> {
    let span = Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        parent_span_id: vec![3; 8],
        trace_state: "a=b".to_owned(),
        name: "span".to_owned(),
        kind: 2,
        start_time_unix_nano: 1,
        end_time_unix_nano: u64::MAX,
        attributes,
        events: vec![span::Event {
            name: "event".to_owned(),
            attributes: every_value(),
            ..span::Event::default()
        }],
        links: vec![span::Link {
            trace_id: vec![4; 16],
            span_id: vec![5; 8],
            attributes: every_value(),
            flags: 0x101,
            ..span::Link::default()
        }],
        status: Some(Status {
            message: "error".to_owned(),
            code: 2,
        }),
        ..Span::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans: vec![span; spans],
                schema_url: "https://opentelemetry.io/schemas/1.0.0".to_owned(),
            }],
            schema_url: String::new(),
        }],
    }
    .encode_to_vec()
}

fn metrics() -> Vec<u8> {
    let number = |value| NumberDataPoint {
        attributes: every_value(),
        time_unix_nano: 7,
        value: Some(value),
        ..NumberDataPoint::default()
    };
    let metric = |name: &str, data| Metric {
        name: name.to_owned(),
        description: "d".to_owned(),
        unit: "1".to_owned(),
        data: Some(data),
        ..Metric::default()
    };
    let metrics = vec![
        metric(
            "gauge",
            metric::Data::Gauge(Gauge {
                data_points: vec![
                    number(number_data_point::Value::AsInt(-1)),
                    number(number_data_point::Value::AsDouble(f64::NAN)),
                ],
            }),
        ),
        metric(
            "sum",
            metric::Data::Sum(Sum {
                data_points: vec![number(number_data_point::Value::AsInt(5))],
                aggregation_temporality: 2,
                is_monotonic: true,
            }),
        ),
        metric(
            "histogram",
            metric::Data::Histogram(Histogram {
                data_points: vec![HistogramDataPoint {
                    count: 3,
                    sum: Some(6.0),
                    bucket_counts: vec![1, 1, 1],
                    explicit_bounds: vec![1.0, 2.0],
                    min: Some(1.0),
                    max: Some(3.0),
                    ..HistogramDataPoint::default()
                }],
                aggregation_temporality: 1,
            }),
        ),
        metric(
            "exp_histogram",
            metric::Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint {
                    count: 4,
                    scale: -3,
                    zero_count: 1,
                    positive: Some(exponential_histogram_data_point::Buckets {
                        offset: -2,
                        bucket_counts: vec![1, 2],
                    }),
                    negative: Some(exponential_histogram_data_point::Buckets {
                        offset: 0,
                        bucket_counts: vec![0],
                    }),
                    zero_threshold: 1e-9,
                    ..ExponentialHistogramDataPoint::default()
                }],
                aggregation_temporality: 2,
            }),
        ),
        metric(
            "summary",
            metric::Data::Summary(Summary {
                data_points: vec![SummaryDataPoint {
                    count: 2,
                    sum: 3.5,
                    quantile_values: vec![summary_data_point::ValueAtQuantile {
                        quantile: 0.99,
                        value: 3.0,
                    }],
                    ..SummaryDataPoint::default()
                }],
            }),
        ),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
    .encode_to_vec()
}

fn logs() -> Vec<u8> {
    let log_records = every_value()
        .into_iter()
        .map(|attribute| LogRecord {
            severity_number: 9,
            severity_text: "INFO".to_owned(),
            body: attribute.value, // every kind of body, and none
            attributes: every_value(),
            trace_id: vec![1; 16],
            span_id: vec![2; 8],
            ..LogRecord::default()
        })
        .collect();
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
    .encode_to_vec()
}

/// A traces request with one attribute whose string value has `len` bytes.
fn huge_value(len: usize) -> Vec<u8> {
    traces(
        1,
        vec![kv("huge", any_value::Value::StringValue("x".repeat(len)))],
    )
}

/// A traces request with one span of `n` attributes.
fn many_attributes(n: usize) -> Vec<u8> {
    let attributes = (0..n)
        .map(|i| {
            kv(
                &format!("attribute.{i}"),
                any_value::Value::IntValue(i as i64),
            )
        })
        .collect();
    traces(1, attributes)
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A traces request whose one span has an attribute nested `depth` key-value lists deep,
/// written header by header from the inside out (encoding it with prost would recurse as
/// deep as the nesting).
fn deep_traces(depth: usize) -> Vec<u8> {
    let leaf: &[u8] = &[0x0a, 4, b'l', b'e', b'a', b'f']; // AnyValue{string_value: "leaf"}
    let mut headers: Vec<Vec<u8>> = Vec::with_capacity(3 * depth + 5);
    let mut len = leaf.len();
    let mut wrap = |prefix: &[u8], key: u8| {
        let mut header = prefix.to_vec();
        header.push(key);
        put_varint(&mut header, len as u64);
        len += header.len();
        headers.push(header);
    };
    for _ in 0..depth {
        wrap(&[0x0a, 1, b'k'], 0x12); // KeyValue{key: "k", value: AnyValue}
        wrap(&[], 0x0a); // KeyValueList{values: [KeyValue]}
        wrap(&[], 0x32); // AnyValue{kvlist_value: KeyValueList}
    }
    wrap(&[0x0a, 4, b'd', b'e', b'e', b'p'], 0x12); // KeyValue{key: "deep", value}
    wrap(&[], 0x4a); // Span{attributes: [KeyValue]}
    wrap(&[], 0x12); // ScopeSpans{spans: [Span]}
    wrap(&[], 0x12); // ResourceSpans{scope_spans: [ScopeSpans]}
    wrap(&[], 0x0a); // ExportTraceServiceRequest{resource_spans: [ResourceSpans]}
    let mut out = Vec::with_capacity(len);
    for header in headers.iter().rev() {
        out.extend_from_slice(header);
    }
    out.extend_from_slice(leaf);
    out
}

fn mutate(rng: &mut Rng, seeds: &[(u32, Vec<u8>)], input: &mut Vec<u8>) {
    match rng.below(10) {
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
            let len = 1 + rng.below(64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            input.splice(at..at, bytes);
        }
        3 => {
            // A length or varint made huge (10 continuation bytes overflow a varint).
            let at = rng.below(input.len() + 1);
            let huge: &[u8] = match rng.below(3) {
                0 => &[0xff, 0xff, 0xff, 0xff, 0x0f],
                1 => &[0x80; 10],
                _ => &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            };
            input.splice(at..at, huge.iter().copied());
        }
        4 => {
            let (_, other) = &seeds[rng.below(seeds.len())];
            let from = rng.below(other.len() + 1);
            let to = from + rng.below(other.len() - from + 1);
            let at = rng.below(input.len() + 1);
            input.splice(at..at, other[from..to].iter().copied());
        }
        5 if !input.is_empty() => {
            let from = rng.below(input.len());
            let to = from + rng.below((input.len() - from).min(4096) + 1);
            let copy = input[from..to].to_vec();
            input.extend_from_slice(&copy);
        }
        6 => *input = deep_traces(rng.below(200)),
        7 if rng.chance(8) => *input = huge_value(rng.below(256 << 10)),
        8 => {
            let len = rng.below(512);
            *input = (0..len).map(|_| rng.next() as u8).collect();
        }
        _ => {
            // Overwrite a byte with a wire-type-changing value.
            if !input.is_empty() {
                let at = rng.below(input.len());
                input[at] = [0x08, 0x0a, 0x12, 0x0d, 0x09, 0x00, 0x7f][rng.below(7)];
            }
        }
    }
}

// ---- Oracle --------------------------------------------------------------------------------

/// The items prost finds in `bytes` as `signal`'s request, counted as pdata counts them
/// (spans, data points, log records); None when the bytes do not decode.
fn items_in(signal: u32, bytes: &[u8]) -> Option<u64> {
    match signal {
        TRACES => ExportTraceServiceRequest::decode(bytes)
            .ok()
            .map(|request| {
                request
                    .resource_spans
                    .iter()
                    .flat_map(|r| &r.scope_spans)
                    .map(|s| s.spans.len() as u64)
                    .sum()
            }),
        METRICS => ExportMetricsServiceRequest::decode(bytes)
            .ok()
            .map(|request| {
                request
                    .resource_metrics
                    .iter()
                    .flat_map(|r| &r.scope_metrics)
                    .flat_map(|s| &s.metrics)
                    .map(|m| match &m.data {
                        Some(metric::Data::Gauge(d)) => d.data_points.len() as u64,
                        Some(metric::Data::Sum(d)) => d.data_points.len() as u64,
                        Some(metric::Data::Histogram(d)) => d.data_points.len() as u64,
                        Some(metric::Data::ExponentialHistogram(d)) => d.data_points.len() as u64,
                        Some(metric::Data::Summary(d)) => d.data_points.len() as u64,
                        None => 0,
                    })
                    .sum()
            }),
        LOGS => ExportLogsServiceRequest::decode(bytes).ok().map(|request| {
            request
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .map(|s| s.log_records.len() as u64)
                .sum()
        }),
        _ => None,
    }
}

/// The SDK's decoding agrees with prost on whether the bytes are the signal's request.
fn check_sdk_decode(signal: u32, bytes: &[u8]) {
    for (number, kind) in [
        (TRACES, Signal::Traces),
        (METRICS, Signal::Metrics),
        (LOGS, Signal::Logs),
    ] {
        let batch = Batch::new(kind, bytes, 0);
        let decoded = match kind {
            Signal::Traces => batch.decode_traces().is_ok(),
            Signal::Metrics => batch.decode_metrics().is_ok(),
            Signal::Logs => batch.decode_logs().is_ok(),
        };
        if number == signal || signal > LOGS {
            assert_eq!(
                decoded,
                items_in(number, bytes).is_some(),
                "Batch::decode_{kind} and prost disagree on {} bytes",
                bytes.len()
            );
        }
    }
}

// ---- The C ABI, as Go calls it -------------------------------------------------------------

/// What an export answered, checked to be well formed.
#[derive(Debug)]
struct Answer {
    outcome: u32,
    retry_after_ns: u64,
    rejected: u64,
    message: String,
}

fn export(
    handle: u64,
    signal: u32,
    batch: &[u8],
    items: u64,
    deadline_ns: i64,
    token: u64,
) -> Answer {
    // Garbage first: every field the answer uses must be written.
    let mut out = ExportResult {
        outcome: u32::MAX,
        retry_after_ns: u64::MAX,
        rejected: u64::MAX,
        message_len: u64::MAX,
        message: [0xff; EXPORT_MESSAGE_CAPACITY],
    };
    // Go passes a null pointer for an empty (nil) slice.
    let ptr = if batch.is_empty() {
        std::ptr::null()
    } else {
        batch.as_ptr()
    };
    // SAFETY: `batch` is valid for `batch.len()` bytes and not written during the call; `out`
    // is initialised and only this call accesses it.
    unsafe {
        otelcol_rust_export(
            handle,
            signal,
            ptr,
            batch.len(),
            items,
            deadline_ns,
            token,
            &mut out,
        )
    };
    assert!(
        out.outcome <= EXPORT_PARTIAL,
        "unknown outcome {}",
        out.outcome
    );
    let len = usize::try_from(out.message_len).unwrap_or(usize::MAX);
    assert!(len <= EXPORT_MESSAGE_CAPACITY, "message_len {len}");
    let message = String::from_utf8(out.message[..len].to_vec()).expect("the reason is UTF-8");
    if out.outcome != EXPORT_RETRYABLE {
        assert_eq!(
            out.retry_after_ns, 0,
            "a retry hint on outcome {}",
            out.outcome
        );
    }
    if out.outcome != EXPORT_PARTIAL {
        assert_eq!(out.rejected, 0, "rejected items on outcome {}", out.outcome);
    }
    if out.outcome == EXPORT_OK {
        assert!(message.is_empty(), "ok with a reason: {message}");
    } else {
        assert!(
            !message.is_empty(),
            "outcome {} without a reason",
            out.outcome
        );
    }
    Answer {
        outcome: out.outcome,
        retry_after_ns: out.retry_after_ns,
        rejected: out.rejected,
        message,
    }
}

fn context(component_type: &str) -> String {
    format!(
        r#"{{"id":{{"type":"{component_type}","name":"fuzz"}},"deadline_remaining_ns":5000000000}}"#
    )
}

fn start(component_type: &str, config: &str) -> u64 {
    let context = context(component_type);
    let host = r#"{"build":{"version":"fuzz"},"extensions":[]}"#;
    let request = StartRequestView {
        kind: StringView::of(b"exporter"),
        component_type: StringView::of(component_type.as_bytes()),
        config_json: StringView::of(config.as_bytes()),
        context_json: StringView::of(context.as_bytes()),
        host_json: StringView::of(host.as_bytes()),
    };
    let started = call(c_RustExtensions_create_and_start, &request);
    assert!(
        started.ok,
        "{component_type} did not start: {}",
        started.error
    );
    started.handle
}

fn shutdown(component_type: &str, handle: u64) {
    let context = context(component_type);
    let request = ShutdownRequestView {
        handle,
        context_json: StringView::of(context.as_bytes()),
    };
    let stopped = call(c_RustExtensions_shutdown, &request);
    assert!(stopped.ok, "{component_type} shutdown: {}", stopped.error);
}

fn live_instances() -> u64 {
    let mut slot: Slot = [std::ptr::null(); 2];
    // SAFETY: the export fills `slot`; `take` reads and frees it once.
    unsafe {
        c_RustExtensions_live_instances(&mut slot);
        take(slot).handle
    }
}

// ---- A local OTLP/HTTP destination ---------------------------------------------------------

/// What the destination answers to the next request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answering {
    Ok,
    /// 200 with a protobuf partial success rejecting 3 items.
    Partial,
    /// 200 with a protobuf body that does not decode.
    Garbage,
    BadRequest,
    TooManyRequests,
    /// 503 with `Retry-After: 2`.
    Unavailable,
    /// Reads the request and closes the connection without answering.
    Close,
}

const ANSWERS: [Answering; 7] = [
    Answering::Ok,
    Answering::Partial,
    Answering::Garbage,
    Answering::BadRequest,
    Answering::TooManyRequests,
    Answering::Unavailable,
    Answering::Close,
];

struct Received {
    path: String,
    gzip: bool,
    body: Vec<u8>,
}

/// A small HTTP/1.1 server on a loopback port (keep-alive, Content-Length bodies), answering
/// each request as `answering` says and sending what it received to the test.
struct Destination {
    address: String,
    answering: Arc<AtomicU8>,
    received: Receiver<Received>,
}

impl Destination {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let answering = Arc::new(AtomicU8::new(0));
        let (sender, received) = channel();
        let mode = Arc::clone(&answering);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (sender, mode) = (sender.clone(), Arc::clone(&mode));
                std::thread::spawn(move || serve(stream, &sender, &mode));
            }
        });
        Self {
            address,
            answering,
            received,
        }
    }

    fn answer(&self, answering: Answering) {
        let index = ANSWERS.iter().position(|a| *a == answering).unwrap_or(0);
        self.answering.store(index as u8, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, sender: &Sender<Received>, mode: &AtomicU8) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let (mut length, mut gzip) = (0usize, false);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end().to_ascii_lowercase();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
            if line == "content-encoding: gzip" {
                gzip = true;
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let answering = ANSWERS[usize::from(mode.load(Ordering::SeqCst))];
        let _ = sender.send(Received {
            path: path.clone(),
            gzip,
            body,
        });
        let (status, headers, body): (&str, &str, Vec<u8>) = match answering {
            Answering::Ok => ("200 OK", "", Vec::new()),
            Answering::Partial => (
                "200 OK",
                "content-type: application/x-protobuf\r\n",
                partial_success(&path),
            ),
            Answering::Garbage => (
                "200 OK",
                "content-type: application/x-protobuf\r\n",
                vec![0xff; 7],
            ),
            Answering::BadRequest => ("400 Bad Request", "", b"no".to_vec()),
            Answering::TooManyRequests => ("429 Too Many Requests", "", Vec::new()),
            Answering::Unavailable => ("503 Service Unavailable", "retry-after: 2\r\n", Vec::new()),
            Answering::Close => return,
        };
        // One write: a head and a body written apart wait for a delayed ACK (Nagle).
        let mut response = format!(
            "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(&body);
        if writer.write_all(&response).is_err() {
            return;
        }
    }
}

fn partial_success(path: &str) -> Vec<u8> {
    let message = "3 refused".to_owned();
    if path.ends_with("/v1/metrics") {
        ExportMetricsServiceResponse {
            partial_success: Some(ExportMetricsPartialSuccess {
                rejected_data_points: 3,
                error_message: message,
            }),
        }
        .encode_to_vec()
    } else if path.ends_with("/v1/logs") {
        ExportLogsServiceResponse {
            partial_success: Some(ExportLogsPartialSuccess {
                rejected_log_records: 3,
                error_message: message,
            }),
        }
        .encode_to_vec()
    } else {
        ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess {
                rejected_spans: 3,
                error_message: message,
            }),
        }
        .encode_to_vec()
    }
}

// ---- The run -------------------------------------------------------------------------------

/// The deadline of an export that must not be cut: a minute, for the slowest run (the
/// debug build under valgrind, `tools/leakcheck.sh`).
const DEADLINE_NS: i64 = 60_000_000_000;

/// How an export's call is set up besides the batch.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// A deadline far enough not to cut the slowest run (valgrind) and a cancellable token.
    Normal,
    /// No deadline, no token (a context that can never be cancelled).
    Unbounded,
    /// The deadline already passed.
    Expired,
    /// The token was cancelled before the call (and released after, as Go does).
    Cancelled,
}

struct Exporters {
    chaos: u64,
    panicking: u64,
    plain: u64,
    gzip: u64,
    destination: Destination,
    next_token: u64,
}

impl Exporters {
    fn start() -> Self {
        let destination = Destination::start();
        let endpoint = format!("http://{}", destination.address);
        Self {
            chaos: start("rust_chaos", r#"{"decode":true}"#),
            panicking: start("rust_chaos", r#"{"outcomes":["panic"]}"#),
            plain: start(
                "rust_otlphttp",
                &format!(r#"{{"endpoint":"{endpoint}","compression":"none"}}"#),
            ),
            gzip: start("rust_otlphttp", &format!(r#"{{"endpoint":"{endpoint}"}}"#)),
            destination,
            next_token: 1 << 40, // apart from any token Go would use
        }
    }

    /// Exports through `handle` as `how` says, checking the token is gone afterwards. Answers
    /// None when the call's setup decides the outcome (expired, cancelled), after checking it.
    fn export(
        &mut self,
        handle: u64,
        signal: u32,
        batch: &[u8],
        items: u64,
        how: Call,
    ) -> Option<Answer> {
        self.next_token += 1;
        let token = self.next_token;
        let answer = match how {
            Call::Normal => export(handle, signal, batch, items, DEADLINE_NS, token),
            Call::Unbounded => export(handle, signal, batch, items, -1, 0),
            Call::Expired => export(handle, signal, batch, items, 0, token),
            Call::Cancelled => {
                host::cancel_call(token);
                let answer = export(handle, signal, batch, items, DEADLINE_NS, token);
                host::release_call(token);
                answer
            }
        };
        assert!(
            !host::call_registered(token),
            "call token {token} left registered ({how:?})"
        );
        if signal > LOGS {
            assert_eq!(answer.outcome, EXPORT_PERMANENT, "{answer:?}");
            assert!(answer.message.contains("malformed signal"), "{answer:?}");
            return None;
        }
        match how {
            Call::Expired => {
                assert_eq!(answer.outcome, EXPORT_RETRYABLE, "{answer:?}");
                assert!(answer.message.contains("export timed out"), "{answer:?}");
                None
            }
            Call::Cancelled => {
                assert_eq!(answer.outcome, EXPORT_RETRYABLE, "{answer:?}");
                assert_eq!(answer.message, "export cancelled");
                None
            }
            Call::Normal | Call::Unbounded => Some(answer),
        }
    }

    /// rust_chaos decoding the batch: Ok exactly when prost decodes it with `items` items.
    fn chaos(&mut self, signal: u32, batch: &[u8], items: u64, how: Call) {
        let Some(answer) = self.export(self.chaos, signal, batch, items, how) else {
            return;
        };
        match items_in(signal, batch) {
            Some(n) if n == items => {
                assert_eq!(answer.outcome, EXPORT_OK, "{n} items decoded: {answer:?}")
            }
            Some(n) => {
                assert_eq!(answer.outcome, EXPORT_PERMANENT, "{answer:?}");
                assert_eq!(
                    answer.message,
                    format!("decoded {n} items, the collector counted {items}")
                );
            }
            None => assert_eq!(
                answer.outcome, EXPORT_PERMANENT,
                "bytes prost refuses: {answer:?}"
            ),
        }
    }

    /// rust_chaos panicking: permanent, and the next export is answered again.
    fn panicking(&mut self, signal: u32, batch: &[u8], items: u64) {
        if let Some(answer) = self.export(self.panicking, signal, batch, items, Call::Normal) {
            assert_eq!(answer.outcome, EXPORT_PERMANENT, "{answer:?}");
            assert_eq!(
                answer.message,
                "rust exporter panicked: rust_chaos panics in export"
            );
        }
    }

    /// rust_otlphttp: the outcome the destination's answer means, the bytes sent as given.
    fn otlphttp(&mut self, rng: &mut Rng, signal: u32, batch: &[u8], items: u64, how: Call) {
        let answering = ANSWERS[rng.below(ANSWERS.len())];
        self.destination.answer(answering);
        let gzip = rng.chance(2);
        let handle = if gzip { self.gzip } else { self.plain };
        let Some(answer) = self.export(handle, signal, batch, items, how) else {
            return;
        };
        let received = self
            .destination
            .received
            .recv_timeout(Duration::from_secs(60))
            .expect("the destination received the request");
        let path = ["/v1/traces", "/v1/metrics", "/v1/logs"][signal as usize];
        assert_eq!(received.path, path);
        assert_eq!(received.gzip, gzip);
        if gzip {
            assert_eq!(&received.body[..2], &[0x1f, 0x8b], "not a gzip body");
        } else {
            assert!(received.body == batch, "the body is not the batch's bytes");
        }
        let (outcome, retry_after_ns, rejected) = match answering {
            Answering::Ok | Answering::Garbage => (EXPORT_OK, 0, 0),
            Answering::Partial => (EXPORT_PARTIAL, 0, 3),
            Answering::BadRequest => (EXPORT_PERMANENT, 0, 0),
            Answering::TooManyRequests | Answering::Close => (EXPORT_RETRYABLE, 0, 0),
            Answering::Unavailable => (EXPORT_RETRYABLE, 2_000_000_000, 0),
        };
        assert_eq!(
            (answer.outcome, answer.retry_after_ns, answer.rejected),
            (outcome, retry_after_ns, rejected),
            "destination answering {answering:?}: {answer:?}"
        );
    }

    fn shutdown(self) {
        shutdown("rust_chaos", self.chaos);
        shutdown("rust_chaos", self.panicking);
        shutdown("rust_otlphttp", self.plain);
        shutdown("rust_otlphttp", self.gzip);
    }
}

#[test]
fn malformed_batches_get_a_well_formed_outcome() {
    let (execs, mut rng) = fuzz_settings(0x5EED_0F0C_E4F0_0001);
    // Mutated often: small requests of every signal (and empty ones).
    let seeds: Vec<(u32, Vec<u8>)> = vec![
        (TRACES, traces(3, every_value())),
        (METRICS, metrics()),
        (LOGS, logs()),
        (TRACES, deep_traces(20)),
        (TRACES, deep_traces(40)),
        (TRACES, Vec::new()),
        (METRICS, Vec::new()),
        (LOGS, Vec::new()),
    ];
    // Exported as they are, once each: big ones (mutations make smaller big inputs). Left
    // out with FUZZ_BIG=0 (tools/leakcheck.sh: under valgrind they take half a minute).
    let big: Vec<(u32, Vec<u8>)> = if std::env::var("FUZZ_BIG").is_ok_and(|v| v == "0") {
        Vec::new()
    } else {
        vec![
            (TRACES, many_attributes(10_000)),
            (TRACES, huge_value(1 << 20)),
            (TRACES, deep_traces(100_000)),
        ]
    };
    let before = live_instances();
    let mut exporters = Exporters::start();
    let began = Instant::now();
    let (mut decoded, mut refused) = (0u64, 0u64);
    for exec in 0..execs + big.len() {
        let (mut signal, mut input) = if exec < big.len() {
            big[exec].clone()
        } else {
            seeds[exec % seeds.len()].clone()
        };
        // Every seed once as it is, then mutations.
        if exec >= big.len() + seeds.len() {
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &seeds, &mut input);
            }
            if rng.chance(16) {
                signal = rng.below(3) as u32;
            }
            if rng.chance(64) {
                signal = [3, 7, u32::MAX][rng.below(3)];
            }
        }
        let counted = items_in(signal, &input);
        match counted {
            Some(_) => decoded += 1,
            None => refused += 1,
        }
        let items = match counted {
            Some(n) if !rng.chance(8) => n,
            _ => rng.next() % 1000,
        };
        check_sdk_decode(signal, &input);
        let how = match rng.below(32) {
            0 => Call::Expired,
            1 => Call::Cancelled,
            2..=7 => Call::Unbounded,
            _ => Call::Normal,
        };
        exporters.chaos(signal, &input, items, how);
        if exec < big.len() || rng.chance(4) {
            exporters.otlphttp(&mut rng, signal, &input, items, how);
        }
        if rng.chance(64) {
            exporters.panicking(signal, &input, items);
        }
    }
    println!(
        "fuzzed {} batches in {:?}: {decoded} decoded as their signal, {refused} refused",
        execs + big.len(),
        began.elapsed()
    );
    exporters.shutdown();
    assert_eq!(live_instances(), before, "exporter instances left");
    assert!(decoded > 0 && refused > 0, "the inputs lack variety");
}
