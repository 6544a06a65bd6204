//! Tests of the telemetry path through the boundary: records, panics, statuses and metrics
//! of a fixture instance, as Go reads them.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::tracing::{debug, info};
use otelcol_rust_sdk::{
    scope, Config, Counter, CreateSettings, Error, Extension, ExtensionFactory, Histogram, Host,
    KeyValue, LifecycleContext, Status,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::boundary::{
    DrainRequest, LevelRequest, MetricsRequest, RustExtensions, RustExtensionsImpl as Rust,
    ShutdownRequest, StartRequest,
};
use crate::{host, logs};

/// The log buffer is global: tests that drain it or fill it take turns.
static BUFFER_USERS: Mutex<()> = Mutex::new(());

fn exclusive() -> MutexGuard<'static, ()> {
    BUFFER_USERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Test-only fixture: logs, reports and measures in every phase.
struct Telemetry;

#[derive(Default, Serialize, Deserialize)]
struct TelemetryConfig {}

impl Config for TelemetryConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

struct TelemetryExtension {
    requests: Counter,
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
        self.latency.record(3.0);
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
        _: TelemetryConfig,
    ) -> Result<TelemetryExtension, Error> {
        info!("create record");
        Ok(TelemetryExtension {
            requests: settings.meter.counter("requests").unit("{request}").build(),
            latency: settings
                .meter
                .histogram("latency")
                .buckets(&[1.0, 5.0])
                .build(),
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
        extension_type: "test_telemetry".to_owned(),
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
            {"name": "requests", "kind": "counter", "description": "", "unit": "{request}"},
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
            {"instrument": 0, "attributes": [], "value": 2},
            {"instrument": 0, "attributes": [{"key": "code", "value": 404}], "value": 1},
            {"instrument": 1, "attributes": [], "count": 1, "sum": 3.0,
             "bucket_counts": [0, 1, 0], "bucket_sums": [0.0, 3.0, 0.0]},
        ])
    );

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
