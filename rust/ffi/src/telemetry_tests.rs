//! Tests of the telemetry path through the boundary: records, panics, statuses and metrics
//! of a fixture instance, as Go reads them.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::tracing::{self, debug, error, info};
use otelcol_rust_sdk::{
    scope, Config, Counter, CreateSettings, Error, Extension, ExtensionFactory, Gauge, Histogram,
    Host, KeyValue, LifecycleContext, Status, UpDownCounter,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::boundary::{
    CallRequest, DrainRequest, LevelRequest, MetricsRequest, RustExtensions,
    RustExtensionsImpl as Rust, ShutdownRequest, StartRequest,
};
use crate::{host, logs};

/// The log buffer is global: tests that drain it or fill it take turns.
static BUFFER_USERS: Mutex<()> = Mutex::new(());

pub(crate) fn exclusive() -> MutexGuard<'static, ()> {
    BUFFER_USERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Test-only fixture: logs, reports and measures in every phase.
struct Telemetry;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct TelemetryConfig {
    /// Fail `start` (after logging), so the library's cleanup shutdown runs.
    fail_start: bool,
}

impl Config for TelemetryConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

struct TelemetryExtension {
    fail_start: bool,
    requests: Counter,
    inflight: UpDownCounter,
    ratio: Gauge,
    latency: Histogram,
}

impl Extension for TelemetryExtension {
    async fn start(&mut self, _: &LifecycleContext, host: &Host) -> Result<(), Error> {
        info!(phase = "start", n = 7_i64, "start record");
        debug!("debug record");
        log::info!("log crate record");
        self.requests.add(2);
        self.requests
            .with_attributes(&[KeyValue::new("code", 404)])
            .add(1);
        self.inflight.add(5);
        self.inflight
            .with_attributes(&[KeyValue::new("queue", "a")])
            .add(-7);
        self.ratio.record(0.25);
        self.latency.record(3.0);
        self.latency
            .with_attributes(&[KeyValue::new("ok", false)])
            .record(9.0);
        if self.fail_start {
            return Err(Error::lifecycle("failing as configured"));
        }
        let reporter = host.clone();
        host.spawn(async move {
            info!("task record");
            reporter.report_status(Status::RecoverableError("slow".to_owned()));
            reporter.report_status(Status::Ok);
        });
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        info!("shutdown record");
        Ok(())
    }
}

impl ExtensionFactory for Telemetry {
    const TYPE: &'static str = "test_telemetry";
    type Config = TelemetryConfig;
    type Extension = TelemetryExtension;

    fn create(
        &self,
        settings: &CreateSettings,
        config: TelemetryConfig,
    ) -> Result<TelemetryExtension, Error> {
        info!("create record");
        let meter = &settings.meter;
        // Declared and never recorded: a gauge without a value is not read.
        let _ = meter.gauge("unrecorded").build();
        Ok(TelemetryExtension {
            fail_start: config.fail_start,
            requests: meter.counter("requests").unit("{request}").build(),
            inflight: meter
                .up_down_counter("inflight")
                .description("in flight")
                .build(),
            ratio: meter.gauge("ratio").build(),
            latency: meter.histogram("latency").buckets(&[1.0, 5.0]).build(),
        })
    }
}

otelcol_rust_sdk::register_extension!(Telemetry);

const SCOPE: u64 = 4_000_001;

/// Every buffered record of `scope`, draining the buffer.
fn drain_scope(scope: u64) -> Vec<Value> {
    let reply = Rust::drain_logs(DrainRequest {
        max_records: u64::MAX,
    });
    assert!(reply.ok, "{}", reply.error);
    let batch: Value = serde_json::from_str(&reply.json).unwrap_or_default();
    batch["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|record| record["scope"] == scope)
        .collect()
}

fn set_level(level: &str) {
    let reply = Rust::set_log_level(LevelRequest {
        level: level.to_owned(),
    });
    assert!(reply.ok, "{}", reply.error);
}

/// Guarantees: records of create, start, a spawned task (`tracing` and `log`) and shutdown
/// carry the instance's scope, with fields typed and the caller's file; a debug record is not
/// buffered at level info; status reports come out of `wait_event` in order; the instruments
/// declared in create are answered by the start and read back with their values.
#[test]
fn an_instance_logs_reports_and_measures_in_its_scope() {
    let _turn = exclusive();
    set_level("info");
    let _ = drain_scope(SCOPE);
    let reply = Rust::create_and_start(StartRequest {
        kind: "extension".to_owned(),
        component_type: "test_telemetry".to_owned(),
        config_json: "{}".to_owned(),
        context_json: json!({"id": {"type": "test_telemetry", "name": ""}, "scope": SCOPE})
            .to_string(),
        host_json: "{}".to_owned(),
    });
    assert!(reply.ok, "{}", reply.error);
    let handle = reply.handle;
    let instruments: Value = serde_json::from_str(&reply.json).unwrap_or_default();
    assert_eq!(
        instruments,
        json!([
            {"name": "unrecorded", "kind": "gauge", "description": "", "unit": ""},
            {"name": "requests", "kind": "counter", "description": "", "unit": "{request}"},
            {"name": "inflight", "kind": "up_down_counter", "description": "in flight", "unit": ""},
            {"name": "ratio", "kind": "gauge", "description": "", "unit": ""},
            {"name": "latency", "kind": "histogram", "description": "", "unit": "", "buckets": [1.0, 5.0]},
        ])
    );

    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while events.len() < 2 && Instant::now() < deadline {
        match host::wait_event(handle, Duration::from_millis(100)) {
            host::Event::None => {}
            event => events.push(event),
        }
    }
    assert_eq!(
        events,
        [
            host::Event::Status {
                status: "recoverable_error",
                message: "slow".to_owned()
            },
            host::Event::Status {
                status: "ok",
                message: String::new()
            },
        ]
    );

    let metrics: Value = serde_json::from_str(&Rust::read_metrics(MetricsRequest { handle }).json)
        .unwrap_or_default();
    assert_eq!(
        metrics,
        json!([
            {"instrument": 1, "attributes": [], "value": 2},
            {"instrument": 1, "attributes": [{"key": "code", "value": 404}], "value": 1},
            {"instrument": 2, "attributes": [], "value": 5},
            {"instrument": 2, "attributes": [{"key": "queue", "value": "a"}], "value": -7},
            {"instrument": 3, "attributes": [], "value": 0.25},
            {"instrument": 4, "attributes": [], "count": 1, "sum": 3.0,
             "bucket_counts": [0, 1, 0], "bucket_sums": [0.0, 3.0, 0.0]},
            {"instrument": 4, "attributes": [{"key": "ok", "value": false}], "count": 1, "sum": 9.0,
             "bucket_counts": [0, 0, 1], "bucket_sums": [0.0, 0.0, 9.0]},
        ])
    );
    let unknown = Rust::read_metrics(MetricsRequest { handle: u64::MAX });
    assert!(unknown.ok && unknown.json == "[]", "{}", unknown.json);

    let stopped = Rust::shutdown(ShutdownRequest {
        handle,
        context_json: json!({"id": {"type": "test_telemetry", "name": ""}, "scope": SCOPE})
            .to_string(),
    });
    assert!(stopped.ok, "{}", stopped.error);
    let records = drain_scope(SCOPE);
    let messages: Vec<&str> = records
        .iter()
        .filter_map(|record| record["message"].as_str())
        .collect();
    for want in [
        "create record",
        "start record",
        "log crate record",
        "task record",
        "shutdown record",
    ] {
        assert!(
            messages.contains(&want),
            "{want:?} missing from {messages:?}"
        );
    }
    assert!(!messages.contains(&"debug record"), "{messages:?}");
    let start = records
        .iter()
        .find(|record| record["message"] == "start record")
        .cloned()
        .unwrap_or_default();
    assert_eq!(start["level"], "info");
    assert_eq!(
        start["fields"],
        json!([{"key": "phase", "value": "start"}, {"key": "n", "value": 7}])
    );
    assert!(start["file"]
        .as_str()
        .is_some_and(|file| file.ends_with("telemetry_tests.rs")));
    assert!(start["target"]
        .as_str()
        .is_some_and(|target| target.ends_with("telemetry_tests")));
}

/// Guarantees: a full buffer drops records and counts them, once per drain and in total,
/// and takes records again once drained.
#[test]
fn a_full_buffer_drops_and_counts() {
    let _turn = exclusive();
    set_level("info");
    let _ = drain_scope(0);
    let dropped_before = logs::dropped_total();
    let _scope = scope::enter(SCOPE + 1);
    for i in 0..5000 {
        info!(i, "flood");
    }
    let reply = Rust::drain_logs(DrainRequest {
        max_records: u64::MAX,
    });
    let batch: Value = serde_json::from_str(&reply.json).unwrap_or_default();
    let kept = batch["records"].as_array().map_or(0, |records| {
        records
            .iter()
            .filter(|record| record["scope"] == SCOPE + 1)
            .count() as u64
    });
    let dropped = batch["dropped"].as_u64().unwrap_or_default();
    // Other tests may log meanwhile (their records take room, their drops count too).
    assert!(
        kept <= 4096 && dropped > 0,
        "{kept} kept, {dropped} dropped"
    );
    assert!(kept + dropped >= 5000, "every record kept or counted");
    assert!(logs::dropped_total() - dropped_before >= dropped);
    info!("after the flood");
    assert_eq!(drain_scope(SCOPE + 1).len(), 1);
}

/// Guarantees: a panic becomes one error record of the scope it happened in, with its
/// message and location, and is counted.
#[test]
fn a_panic_is_one_record() {
    let _turn = exclusive();
    logs::install();
    let panics_before = logs::panics_caught();
    let caught = std::panic::catch_unwind(|| {
        let _scope = scope::enter(SCOPE + 2);
        #[allow(clippy::panic)]
        {
            panic!("boom {}", 42);
        }
    });
    assert!(caught.is_err());
    let records = drain_scope(SCOPE + 2);
    assert_eq!(records.len(), 1, "{records:?}");
    let record = &records[0];
    assert_eq!(record["level"], "error");
    assert_eq!(record["message"], "Rust code panicked");
    assert_eq!(
        record["fields"][0],
        json!({"key": "panic.message", "value": "boom 42"})
    );
    assert!(record["fields"][1]["value"]
        .as_str()
        .is_some_and(|location| location.contains("telemetry_tests.rs:")));
    assert!(logs::panics_caught() > panics_before);
}

/// Guarantees: an unknown level is refused with its name.
#[test]
fn unknown_levels_are_refused() {
    let reply = Rust::set_log_level(LevelRequest {
        level: "verbose".to_owned(),
    });
    assert!(!reply.ok);
    assert!(reply.error.contains("\"verbose\""), "{}", reply.error);
}

/// The records of `scope` among everything drained until `done` accepts them or 5 s passed
/// (records of a background task or a cleanup arrive after the call that caused them).
fn drain_scope_until(scope: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut records = drain_scope(scope);
    while !done(&records) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
        records.extend(drain_scope(scope));
    }
    records
}

fn messages(records: &[Value]) -> Vec<&str> {
    records
        .iter()
        .filter_map(|record| record["message"].as_str())
        .collect()
}

/// Guarantees: the level Go sets is the one `tracing` and `log` check before building a
/// record: below it a record is never built nor buffered; at `debug` debug records of both
/// arrive; at `off` nothing does, except a panic's record.
#[test]
fn levels_are_pushed_down_to_tracing_and_log() {
    let _turn = exclusive();
    logs::install();
    let scope = SCOPE + 3;
    let emit = |tag: &str| {
        let _scope = scope::enter(scope);
        debug!(tag, "tracing debug");
        log::debug!("log debug {tag}");
        error!(tag, "tracing error");
    };

    set_level("info");
    assert_eq!(
        tracing::level_filters::LevelFilter::current(),
        tracing::level_filters::LevelFilter::INFO
    );
    assert_eq!(log::max_level(), log::LevelFilter::Info);
    assert!(!tracing::enabled!(tracing::Level::DEBUG));
    assert!(!log::log_enabled!(log::Level::Debug));
    emit("info");
    assert_eq!(messages(&drain_scope(scope)), ["tracing error"]);

    set_level("debug");
    assert!(tracing::enabled!(tracing::Level::DEBUG));
    assert!(
        !tracing::enabled!(tracing::Level::TRACE),
        "trace is never forwarded"
    );
    assert_eq!(log::max_level(), log::LevelFilter::Debug);
    emit("debug");
    assert_eq!(
        messages(&drain_scope(scope)),
        ["tracing debug", "log debug debug", "tracing error"]
    );

    set_level("off");
    assert_eq!(log::max_level(), log::LevelFilter::Off);
    emit("off");
    let caught = std::panic::catch_unwind(|| {
        let _scope = scope::enter(scope);
        #[allow(clippy::panic)]
        {
            panic!("at level off");
        }
    });
    assert!(caught.is_err());
    assert_eq!(messages(&drain_scope(scope)), ["Rust code panicked"]);
    set_level("info");
}

/// Guarantees: a `log` record's target, file and line are its own, and the bridge's `log.*`
/// fields are not forwarded; a `tracing` field that merely starts with `log.` is.
#[test]
fn bridged_log_records_keep_their_origin() {
    let _turn = exclusive();
    set_level("info");
    let scope = SCOPE + 4;
    {
        let _scope = scope::enter(scope);
        log::warn!(target: "some::crate", "bridged {}", 1);
        info!(log.kind = "mine", "dotted field");
    }
    let records = drain_scope(scope);
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[0]["message"], "bridged 1");
    assert_eq!(records[0]["level"], "warn");
    assert_eq!(records[0]["target"], "some::crate");
    assert!(records[0]["file"]
        .as_str()
        .is_some_and(|file| file.ends_with("telemetry_tests.rs")));
    assert!(records[0]["line"].as_u64().is_some_and(|line| line > 0));
    assert_eq!(records[0]["fields"], json!([]));
    assert_eq!(
        records[1]["fields"],
        json!([{"key": "log.kind", "value": "mine"}])
    );
}

/// Guarantees: a text above 16 KiB is cut on a character boundary and says so; the buffer's
/// byte bound (4 MiB) refuses records long before its record bound, and counts them.
#[test]
fn long_texts_are_cut_and_the_byte_bound_drops() {
    let _turn = exclusive();
    set_level("info");
    let _ = drain_scope(0);
    let scope = SCOPE + 5;
    let _scope = scope::enter(scope);
    // 'é' is two bytes: 16 KiB falls inside no character, 16 KiB + 1 would.
    let long = format!("x{}", "é".repeat(10_000));
    info!(long = long.as_str(), "{long}");
    let record = drain_scope(scope).pop().unwrap_or_default();
    let message = record["message"].as_str().unwrap_or_default();
    assert!(message.ends_with("…(truncated)"), "{}", message.len());
    assert_eq!(message.len(), 16 * 1024 - 1 + "…(truncated)".len());
    assert_eq!(record["fields"][0]["value"], message);

    let dropped_before = logs::dropped_total();
    let big = "y".repeat(16 * 1024);
    for _ in 0..400 {
        info!("{big}");
    }
    let reply = Rust::drain_logs(DrainRequest {
        max_records: u64::MAX,
    });
    let batch: Value = serde_json::from_str(&reply.json).unwrap_or_default();
    let kept = batch["records"].as_array().map_or(0, |records| {
        records
            .iter()
            .filter(|record| record["scope"] == scope)
            .count()
    });
    // 4 MiB hold 255 records of 16 KiB and a little.
    assert!((200..=256).contains(&kept), "{kept} kept");
    assert!(batch["dropped"].as_u64().unwrap_or_default() >= (400 - kept) as u64);
    assert!(logs::dropped_total() - dropped_before >= (400 - kept) as u64);
}

/// Guarantees: when start fails, the library's cleanup shutdown runs in the instance's
/// scope too, and the instance declared no live handle.
#[test]
fn a_failed_start_cleans_up_in_its_scope() {
    let _turn = exclusive();
    set_level("info");
    let scope = SCOPE + 6;
    let reply = Rust::create_and_start(StartRequest {
        kind: "extension".to_owned(),
        component_type: "test_telemetry".to_owned(),
        config_json: r#"{"fail_start": true}"#.to_owned(),
        context_json: json!({"id": {"type": "test_telemetry", "name": "f"}, "scope": scope})
            .to_string(),
        host_json: "{}".to_owned(),
    });
    assert!(!reply.ok);
    assert_eq!(reply.error, "failing as configured");
    let records = drain_scope_until(scope, |records| {
        messages(records).contains(&"shutdown record")
    });
    assert_eq!(
        messages(&records),
        [
            "create record",
            "start record",
            "log crate record",
            "shutdown record"
        ]
    );
}

/// Guarantees: `rust_sample` logs each request at debug (method, path, status) in its
/// instance's scope and counts it per status code, as the collector reads both.
#[test]
fn rust_sample_logs_and_counts_requests() {
    use std::io::{Read, Write};

    let _turn = exclusive();
    set_level("debug");
    let scope = SCOPE + 7;
    // A free port: the OS picks one, the probe lets it go, the instance binds it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|probe| probe.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_default();
    let context = json!({"id": {"type": "rust_sample", "name": "t"}, "scope": scope}).to_string();
    let reply = Rust::create_and_start(StartRequest {
        kind: "extension".to_owned(),
        component_type: "rust_sample".to_owned(),
        config_json: json!({"endpoint": format!("127.0.0.1:{port}")}).to_string(),
        context_json: context.clone(),
        host_json: "{}".to_owned(),
    });
    assert!(reply.ok, "{}", reply.error);
    assert_eq!(
        serde_json::from_str::<Value>(&reply.json).unwrap_or_default()[0]["name"],
        "rust_sample_requests"
    );
    for path in ["/", "/", "/nope"] {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("writes");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("reads");
    }
    let metrics: Value = serde_json::from_str(
        &Rust::read_metrics(MetricsRequest {
            handle: reply.handle,
        })
        .json,
    )
    .unwrap_or_default();
    let stopped = Rust::shutdown(ShutdownRequest {
        handle: reply.handle,
        context_json: context,
    });
    set_level("info");
    assert!(stopped.ok, "{}", stopped.error);
    assert_eq!(
        metrics,
        json!([
            {"instrument": 0, "attributes": [{"key": "http.response.status_code", "value": 200}], "value": 2},
            {"instrument": 0, "attributes": [{"key": "http.response.status_code", "value": 404}], "value": 1},
        ])
    );
    let requests: Vec<Value> = drain_scope(scope)
        .into_iter()
        .filter(|record| record["message"] == "request")
        .collect();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert_eq!(requests[2]["level"], "debug");
    assert_eq!(
        requests[2]["fields"],
        json!([
            {"key": "method", "value": "GET"},
            {"key": "path", "value": "/nope"},
            {"key": "status", "value": 404},
        ])
    );
}

/// Guarantees: boundary calls are counted (lifecycle, config, level, cancellation), failed
/// ones also as errors, and live instances are reported.
#[test]
fn library_counters_count_boundary_calls() {
    let before = host::library_metrics();
    // Calls that change no shared state: other tests run meanwhile.
    assert!(Rust::component_types().ok);
    let refused = Rust::set_log_level(LevelRequest {
        level: "loud".to_owned(),
    });
    assert!(!refused.ok);
    Rust::cancel_call(CallRequest { token: 0 });
    Rust::release_call(CallRequest { token: 0 });
    let after = host::library_metrics();
    assert!(
        after.boundary_calls >= before.boundary_calls + 4,
        "{before:?} {after:?}"
    );
    assert!(after.boundary_errors > before.boundary_errors);
    let reply: Value = serde_json::from_str(&Rust::library_metrics().json).unwrap_or_default();
    for key in [
        "boundary_calls",
        "boundary_errors",
        "panics_caught",
        "live_instances",
        "log_records_dropped",
    ] {
        assert!(reply[key].is_u64(), "{key} in {reply}");
    }
}
