//! Tests of the host through the boundary trait, with the real registry and the real runtime.

use std::time::{Duration, Instant};

use otelcol_rust_sdk::{
    Config, CreateSettings, Error, Extension, ExtensionFactory, Host, LifecycleContext, Stability,
};
use serde::{Deserialize, Serialize};

use crate::boundary::{
    ConfigRequest, Reply, RustExtensions, RustExtensionsImpl as Rust, ShutdownRequest, StartRequest,
};

// A dev-dependency: registers `rust_sample` in this test binary.
use rust_sample as _;

/// Test-only fixture: a component that misbehaves on request. Registered only in this test
/// binary, never in the shipped library.
struct Fixture;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct FixtureConfig {
    panic_in: String,
    block_start: bool,
    /// Recorded in SHUT_DOWN when the instance's shutdown runs.
    tag: String,
}

/// Tags of the fixture instances whose shutdown ran.
static SHUT_DOWN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

impl Config for FixtureConfig {
    fn validate(&self) -> Result<(), Error> {
        if self.panic_in == "validate" {
            panic!("fixture panics in validate");
        }
        Ok(())
    }
}

struct FixtureExtension(FixtureConfig);

impl Extension for FixtureExtension {
    async fn start(&mut self, _: &LifecycleContext, _: &Host) -> Result<(), Error> {
        if self.0.panic_in == "start" {
            panic!("fixture panics in start");
        }
        if self.0.block_start {
            std::future::pending::<()>().await;
        }
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        SHUT_DOWN.lock().expect("lock").push(self.0.tag.clone());
        if self.0.panic_in == "shutdown" {
            panic!("fixture panics in shutdown");
        }
        Ok(())
    }
}

impl ExtensionFactory for Fixture {
    const TYPE: &'static str = "test_fixture";
    // Not the default, so the registry test sees a declared level cross the boundary.
    const STABILITY: Stability = Stability::Beta;
    type Config = FixtureConfig;
    type Extension = FixtureExtension;

    fn create(&self, _: &CreateSettings, config: FixtureConfig) -> Result<FixtureExtension, Error> {
        Ok(FixtureExtension(config))
    }
}

otelcol_rust_sdk::register_extension!(Fixture);

fn context(deadline_ms: Option<u64>) -> String {
    serde_json::json!({
        "id": {"type": "test_fixture", "name": ""},
        "cancelled": false,
        "deadline_remaining_ns": deadline_ms.map(|ms| ms * 1_000_000),
    })
    .to_string()
}

fn start(kind: &str, config: &str, context_json: String) -> Reply {
    Rust::create_and_start(StartRequest {
        kind: "extension".to_owned(),
        component_type: kind.to_owned(),
        config_json: config.to_owned(),
        context_json,
        host_json: r#"{"build":{"version":"1.2.3"},"extensions":[]}"#.to_owned(),
    })
}

fn shutdown(handle: u64) -> Reply {
    Rust::shutdown(ShutdownRequest {
        handle,
        context_json: context(Some(5_000)),
    })
}

fn config_request(kind: &str, config: &str) -> ConfigRequest {
    ConfigRequest {
        kind: "extension".to_owned(),
        component_type: kind.to_owned(),
        config_json: config.to_owned(),
    }
}

/// Guarantees: the shipped component and the fixture are both in the registry, sorted, each with
/// the stability level its factory declares (the default for rust_sample), its Rust path and the
/// SDK version its registration recorded (the one SDK, of this crate's version), which Go checks.
#[test]
fn registry_lists_linked_components() {
    let reply = Rust::component_types();
    assert!(reply.ok, "{}", reply.error);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&reply.json).expect("JSON");
    // The exporters come first (export_tests checks them).
    let listed: Vec<_> = listed
        .into_iter()
        .filter(|entry| entry["kind"] == "extension")
        .collect();
    let version = env!("CARGO_PKG_VERSION");
    let entry = |kind: &str, stability: &str, factory: &str| {
        serde_json::json!({
            "kind": "extension", "type": kind, "stability": stability, "factory": factory,
            "sdk_version": version,
        })
    };
    assert_eq!(
        serde_json::Value::from(listed),
        serde_json::json!([
            // Linked by the processor tests (process_tests.rs), with its extension.
            entry("rust_chaos", "Alpha", "rust_chaos::ChaosFactory"),
            entry("rust_sample", "Development", "rust_sample::SampleFactory"),
            entry("test_fixture", "Beta", "otelcol_rust_ffi::tests::Fixture"),
            entry(
                "test_lifecycle",
                "Development",
                "otelcol_rust_ffi::lifecycle_tests::LifecycleFixture"
            ),
            entry(
                "test_telemetry",
                "Development",
                "otelcol_rust_ffi::telemetry_tests::Telemetry"
            ),
        ])
    );
}

/// Guarantees: defaults and normalized configs come back as JSON; errors say what is wrong.
#[test]
fn config_calls_answer_json_or_errors() {
    let reply = Rust::default_config(config_request("rust_sample", ""));
    assert!(reply.ok, "{}", reply.error);
    let defaults: serde_json::Value = serde_json::from_str(&reply.json).expect("json");
    assert_eq!(defaults["endpoint"], "localhost:8080");
    assert_eq!(defaults["timeout_ms"], 5000);

    let reply = Rust::validate_config(config_request("rust_sample", r#"{"enabled":false}"#));
    assert!(reply.ok, "{}", reply.error);
    let normalized: serde_json::Value = serde_json::from_str(&reply.json).expect("json");
    assert_eq!(normalized["enabled"], false);
    assert_eq!(normalized["timeout_ms"], 5000);

    let reply = Rust::validate_config(config_request("rust_sample", r#"{"timeout_ms":0}"#));
    assert!(!reply.ok);
    assert_eq!(reply.error, "timeout_ms: must be greater than 0");

    let reply = Rust::default_config(config_request("nope", ""));
    assert_eq!(reply.error, r#"unknown extension type "nope""#);

    // Every lookup is by kind and type: rust_sample is no exporter.
    let reply = Rust::default_config(ConfigRequest {
        kind: "exporter".to_owned(),
        ..config_request("rust_sample", "")
    });
    assert_eq!(reply.error, r#"unknown exporter type "rust_sample""#);
    let reply = Rust::default_config(ConfigRequest {
        kind: "receiver".to_owned(),
        ..config_request("rust_sample", "")
    });
    assert_eq!(reply.error, r#"unknown receiver type "rust_sample""#);
    let reply = Rust::default_config(ConfigRequest {
        kind: "connector".to_owned(),
        ..config_request("rust_sample", "")
    });
    assert_eq!(
        reply.error,
        r#"malformed component kind sent by Go: unknown kind "connector" (want "extension", "exporter", "processor" or "receiver")"#
    );

    let reply = Rust::dependencies(config_request(
        "rust_sample",
        r#"{"depends_on":["zpages"]}"#,
    ));
    assert_eq!(reply.json, r#"["zpages"]"#);
}

/// Guarantees: a config error's reply also lists each problem with its key path (Go turns
/// each into an error of its own); other errors list none.
#[test]
fn config_errors_list_their_problems() {
    let reply = Rust::validate_config(config_request(
        "rust_sample",
        r#"{"timeout_ms":0,"endpoint":""}"#,
    ));
    assert!(!reply.ok);
    assert_eq!(
        reply.error,
        "timeout_ms: must be greater than 0; endpoint: cannot be empty"
    );
    assert_eq!(
        reply.json,
        r#"[{"path":"timeout_ms","message":"must be greater than 0"},{"path":"endpoint","message":"cannot be empty"}]"#
    );

    let reply = Rust::validate_config(config_request("rust_sample", r#"{"depends_on":["a",5]}"#));
    assert_eq!(
        reply.json,
        r#"[{"path":"depends_on[1]","message":"invalid type: integer `5`, expected a string"}]"#
    );

    let reply = Rust::default_config(config_request("nope", ""));
    assert!(!reply.ok);
    assert_eq!(reply.json, "");
}

/// Guarantees: a value Go marks as provider-substituted reaches the component as a Go
/// component would get it (a String field gets the text), at validation and at start, and
/// integers keep every digit up to the u64 maximum.
#[test]
fn substituted_values_and_big_integers_reach_the_component() {
    let config = r#"{"enabled":false,"endpoint":{"$otelcol.expanded":{"value":8080,"original":"8080"}},"timeout_ms":18446744073709551615}"#;
    let reply = Rust::validate_config(config_request("rust_sample", config));
    assert!(reply.ok, "{}", reply.error);
    let normalized: serde_json::Value = serde_json::from_str(&reply.json).expect("json");
    assert_eq!(normalized["endpoint"], "8080");
    assert_eq!(normalized["timeout_ms"], u64::MAX);

    let started = start("rust_sample", config, context(Some(5_000)));
    assert!(started.ok, "{}", started.error);
    assert!(shutdown(started.handle).ok);
}

/// Scenario: start, shut down, shut down again.
/// Guarantees: handles are issued once, shut down once; unknown handles touch nothing.
#[test]
fn handle_table_lifecycle() {
    let first = start("rust_sample", r#"{"enabled":false}"#, context(Some(5_000)));
    assert!(first.ok, "{}", first.error);
    let second = start("rust_sample", r#"{"enabled":false}"#, context(None));
    assert!(second.ok, "{}", second.error);
    assert!(first.handle > 0 && second.handle > first.handle);

    assert!(shutdown(first.handle).ok);
    let again = shutdown(first.handle);
    assert!(!again.ok);
    assert_eq!(
        again.error,
        format!("unknown instance handle {}", first.handle)
    );
    assert!(!shutdown(0).ok);
    assert!(!shutdown(u64::MAX).ok);
    assert!(
        shutdown(second.handle).ok,
        "the other instance is untouched"
    );
}

/// Guarantees: start re-validates, so a config that skipped config load still fails.
#[test]
fn start_revalidates_config() {
    let reply = start("rust_sample", r#"{"timeout_ms":0}"#, context(Some(5_000)));
    assert!(!reply.ok);
    assert_eq!(reply.error, "timeout_ms: must be greater than 0");
    assert_eq!(reply.handle, 0);
}

/// Guarantees: a panic in validate, start or shutdown becomes an error reply, never unwinds.
#[test]
fn panics_are_contained() {
    let reply = Rust::validate_config(config_request("test_fixture", r#"{"panic_in":"validate"}"#));
    assert!(!reply.ok);
    assert_eq!(
        reply.error,
        "rust component panicked: fixture panics in validate"
    );

    let reply = start(
        "test_fixture",
        r#"{"panic_in":"start"}"#,
        context(Some(5_000)),
    );
    assert_eq!(
        reply.error,
        "rust component panicked: fixture panics in start"
    );

    let started = start(
        "test_fixture",
        r#"{"panic_in":"shutdown"}"#,
        context(Some(5_000)),
    );
    assert!(started.ok, "{}", started.error);
    let reply = shutdown(started.handle);
    assert_eq!(
        reply.error,
        "rust component panicked: fixture panics in shutdown"
    );
    assert!(!shutdown(started.handle).ok, "a panicked instance is gone");
}

/// Guarantees: a start that never finishes is cut off at the deadline and leaves no instance.
#[test]
fn blocked_start_honours_deadline() {
    let began = Instant::now();
    let reply = start(
        "test_fixture",
        r#"{"block_start":true}"#,
        context(Some(200)),
    );
    let took = began.elapsed();
    assert!(!reply.ok);
    assert!(
        reply.error.starts_with("deadline exceeded"),
        "{}",
        reply.error
    );
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// Guarantees: a cancelled context or malformed request fails before any component code runs.
#[test]
fn cancelled_and_malformed_requests() {
    let cancelled = r#"{"id":{"type":"rust_sample"},"cancelled":true}"#.to_owned();
    let reply = start("rust_sample", r#"{"enabled":false}"#, cancelled);
    assert_eq!(reply.error, "context cancelled");

    let reply = start("rust_sample", "{}", "not json".to_owned());
    assert!(
        reply.error.starts_with("malformed context sent by Go"),
        "{}",
        reply.error
    );
}

/// Guarantees: an instance whose start panicked or timed out still gets its shutdown (in the
/// background), as the Extension contract promises.
#[test]
fn failed_start_is_followed_by_shutdown() {
    let panicked = start(
        "test_fixture",
        r#"{"panic_in":"start","tag":"panicked-start"}"#,
        context(Some(5_000)),
    );
    assert!(!panicked.ok);
    let timed_out = start(
        "test_fixture",
        r#"{"block_start":true,"tag":"timed-out-start"}"#,
        context(Some(50)),
    );
    assert!(!timed_out.ok);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = SHUT_DOWN.lock().expect("lock").clone();
        if seen.iter().any(|tag| tag == "panicked-start")
            && seen.iter().any(|tag| tag == "timed-out-start")
        {
            break;
        }
        assert!(Instant::now() < deadline, "no cleanup shutdown: {seen:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
