//! Tests of the lifecycle bounds through the boundary trait: cancellation, deadlines that leave
//! nothing of an instance behind, panics while dropping, bounded fatal events.

use std::net::{SocketAddr, TcpListener};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use otelcol_rust_sdk::{
    Config, CreateSettings, Error, Extension, ExtensionFactory, Host, LifecycleContext,
};
use serde::{Deserialize, Serialize};

use crate::boundary::{
    CallRequest, Reply, RustExtensions, RustExtensionsImpl as Rust, ShutdownRequest, StartRequest,
};
use crate::host;

/// Test-only fixture for this file's scenarios.
struct LifecycleFixture;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct LifecycleConfig {
    /// Never finish `start` (awaiting forever).
    block_start: bool,
    /// Never finish `shutdown` (awaiting forever).
    block_shutdown: bool,
    /// Panic when the extension is dropped.
    panic_on_drop: bool,
    /// Hold one listener in the extension and one in a task spawned with `Host::spawn`.
    hold_ports: bool,
    /// Report this many fatal errors from `start`.
    fatal_reports: u32,
    /// Report a fatal error from `shutdown`.
    fatal_in_shutdown: bool,
    /// Recorded in CLEANED_UP when the instance's shutdown runs.
    tag: String,
}

impl Config for LifecycleConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Tags of the instances whose shutdown ran.
static CLEANED_UP: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// The ports the last `hold_ports` instance bound (extension's, task's).
static HELD_PORTS: Mutex<Vec<SocketAddr>> = Mutex::new(Vec::new());

struct LifecycleExtension {
    config: LifecycleConfig,
    _listener: Option<TcpListener>,
    host: Option<Host>,
}

impl Drop for LifecycleExtension {
    fn drop(&mut self) {
        if self.config.panic_on_drop {
            panic!("lifecycle fixture panics in drop");
        }
    }
}

impl Extension for LifecycleExtension {
    async fn start(&mut self, _: &LifecycleContext, host: &Host) -> Result<(), Error> {
        if self.config.hold_ports {
            let own = TcpListener::bind("127.0.0.1:0")
                .map_err(|err| Error::lifecycle(err.to_string()))?;
            let task = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|err| Error::lifecycle(err.to_string()))?;
            let mut held = HELD_PORTS.lock().expect("lock");
            held.clear();
            held.extend([
                own.local_addr().expect("addr"),
                task.local_addr().expect("addr"),
            ]);
            self._listener = Some(own);
            host.spawn(async move {
                let _keep = task;
                std::future::pending::<()>().await;
            });
        }
        for n in 0..self.config.fatal_reports {
            host.report_fatal(format!("fatal {n}"));
        }
        self.host = Some(host.clone());
        if self.config.block_start {
            std::future::pending::<()>().await;
        }
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        CLEANED_UP
            .lock()
            .expect("lock")
            .push(self.config.tag.clone());
        if let (true, Some(host)) = (self.config.fatal_in_shutdown, &self.host) {
            host.report_fatal("fatal while shutting down");
        }
        if self.config.block_shutdown {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

impl ExtensionFactory for LifecycleFixture {
    const TYPE: &'static str = "test_lifecycle";
    type Config = LifecycleConfig;
    type Extension = LifecycleExtension;

    fn create(
        &self,
        _: &CreateSettings,
        config: LifecycleConfig,
    ) -> Result<LifecycleExtension, Error> {
        Ok(LifecycleExtension {
            config,
            _listener: None,
            host: None,
        })
    }
}

otelcol_rust_sdk::register_extension!(LifecycleFixture);

fn context(deadline_ms: Option<u64>, call: u64) -> String {
    serde_json::json!({
        "id": {"type": "test_lifecycle", "name": ""},
        "deadline_remaining_ns": deadline_ms.map(|ms| ms * 1_000_000),
        "call": call,
    })
    .to_string()
}

fn start(config: &str, context_json: String) -> Reply {
    Rust::create_and_start(StartRequest {
        kind: "extension".to_owned(),
        component_type: "test_lifecycle".to_owned(),
        config_json: config.to_owned(),
        context_json,
        host_json: "{}".to_owned(),
    })
}

fn shutdown(handle: u64, deadline_ms: u64, call: u64) -> Reply {
    Rust::shutdown(ShutdownRequest {
        handle,
        context_json: context(Some(deadline_ms), call),
    })
}

fn cleaned_up(tag: &str) -> bool {
    CLEANED_UP
        .lock()
        .expect("lock")
        .iter()
        .any(|seen| seen == tag)
}

/// Polls `done` for up to 5 s (for effects that happen on the runtime after a call returned).
fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "not within 5 s: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Guarantees: a cancel that overtakes its call still cancels it, and leaves no token behind.
#[test]
fn cancel_before_the_call_counts() {
    let token = 9_000_001;
    Rust::cancel_call(CallRequest { token });
    let reply = start("{}", context(None, token));
    assert!(!reply.ok);
    assert_eq!(reply.error, "context cancelled");
    Rust::release_call(CallRequest { token });
    assert!(!host::call_registered(token));
}

/// Guarantees: cancelling a start with no deadline that never finishes answers at once, stops
/// the start and cleans the instance up; the token is gone afterwards.
#[test]
fn cancel_ends_a_start_that_never_finishes() {
    let token = 9_000_002;
    let tag = "cancelled-start";
    let config = format!(r#"{{"block_start":true,"tag":"{tag}"}}"#);
    let starter = std::thread::spawn(move || start(&config, context(None, token)));
    eventually("the start registered its token", || {
        host::call_registered(token)
    });
    let cancelled_at = Instant::now();
    Rust::cancel_call(CallRequest { token });
    let reply = starter.join().expect("start thread");
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        cancelled_at.elapsed()
    );
    assert!(!reply.ok);
    assert_eq!(reply.error, "context cancelled");
    eventually("the cancelled start was cleaned up", || cleaned_up(tag));
    Rust::release_call(CallRequest { token });
    assert!(!host::call_registered(token));
}

/// Serialises the tests that read HELD_PORTS.
static PORT_TESTS: Mutex<()> = Mutex::new(());

/// Starts a `hold_ports` instance with `config`; answers its handle and the two ports it holds.
fn start_holding_ports(config: &str) -> (u64, Vec<SocketAddr>) {
    let reply = start(config, context(Some(5_000), 0));
    assert!(reply.ok, "{}", reply.error);
    let ports = HELD_PORTS.lock().expect("lock").clone();
    assert_eq!(ports.len(), 2);
    for port in &ports {
        assert!(
            TcpListener::bind(port).is_err(),
            "{port} should be held while running"
        );
    }
    (reply.handle, ports)
}

fn assert_free(ports: Vec<SocketAddr>) {
    for port in ports {
        assert!(
            TcpListener::bind(port).is_ok(),
            "{port} still held after shutdown answered"
        );
    }
}

/// Guarantees: when a shutdown answers, the tasks the instance spawned and did not stop are
/// gone, with the port they held: a reloaded instance can bind it at once.
#[test]
fn shutdown_answers_after_leftover_tasks_are_dropped() {
    let _serial = PORT_TESTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (handle, ports) = start_holding_ports(r#"{"hold_ports":true}"#);
    let reply = shutdown(handle, 5_000, 0);
    assert!(reply.ok, "{}", reply.error);
    assert_free(ports);
}

/// Guarantees: a shutdown that runs out of time leaves nothing behind either: before it
/// answers, the extension is dropped and the tasks it spawned are aborted, so both of its
/// ports are free.
#[test]
fn shutdown_at_the_deadline_frees_what_the_instance_held() {
    let _serial = PORT_TESTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (handle, ports) = start_holding_ports(r#"{"hold_ports":true,"block_shutdown":true}"#);
    let began = Instant::now();
    let reply = shutdown(handle, 200, 0);
    assert!(!reply.ok);
    assert!(
        reply.error.starts_with("deadline exceeded"),
        "{}",
        reply.error
    );
    assert!(began.elapsed() >= Duration::from_millis(200));
    // Dropped within the 20 ms grace on a quiet machine; polled here so a loaded one does not
    // fail the test over scheduling.
    for port in ports {
        eventually(&format!("{port} is free"), || {
            TcpListener::bind(port).is_ok()
        });
    }
}

/// Guarantees: cancelling a shutdown answers at once and aborts it too.
#[test]
fn cancel_ends_a_shutdown_that_never_finishes() {
    let tag = "cancelled-shutdown";
    let reply = start(
        &format!(r#"{{"block_shutdown":true,"tag":"{tag}"}}"#),
        context(Some(5_000), 0),
    );
    assert!(reply.ok, "{}", reply.error);
    let token = 9_000_003;
    let handle = reply.handle;
    let stopper = std::thread::spawn(move || shutdown(handle, 60_000, token));
    eventually("the shutdown began", || cleaned_up(tag));
    let cancelled_at = Instant::now();
    Rust::cancel_call(CallRequest { token });
    let reply = stopper.join().expect("shutdown thread");
    assert!(cancelled_at.elapsed() < Duration::from_secs(2));
    assert_eq!(reply.error, "context cancelled");
}

/// Guarantees: a panic in the extension's `Drop` during shutdown is reported as a panic.
#[test]
fn panic_while_dropping_is_reported_as_a_panic() {
    let reply = start(r#"{"panic_on_drop":true}"#, context(Some(5_000), 0));
    assert!(reply.ok, "{}", reply.error);
    let reply = shutdown(reply.handle, 5_000, 0);
    assert!(!reply.ok);
    assert_eq!(
        reply.error,
        "rust component panicked: while dropping: lifecycle fixture panics in drop"
    );
}

/// Guarantees: fatal errors reported in a loop wait in a bounded queue (the overflow is counted
/// in the first message); none is queued once the instance is shut down.
#[test]
fn fatal_events_are_bounded() {
    let reply = start(r#"{"fatal_reports":1000}"#, context(Some(5_000), 0));
    assert!(reply.ok, "{}", reply.error);
    let handle = reply.handle;
    let first = host::wait_event(handle, Duration::ZERO);
    assert_eq!(
        first,
        host::Event::Fatal {
            message: "fatal 0 (984 more status reports were not queued)".to_owned()
        }
    );
    let mut queued = 1;
    while let host::Event::Fatal { .. } = host::wait_event(handle, Duration::ZERO) {
        queued += 1;
    }
    assert_eq!(queued, 16);
    assert!(shutdown(handle, 5_000, 0).ok);
    assert_eq!(
        host::wait_event(handle, Duration::ZERO),
        host::Event::Closed
    );
}

/// Guarantees: fatal errors Go has not collected when it shuts the instance down (queued since
/// its last poll, or reported by `shutdown` itself) come back in the shutdown's reply, so none
/// vanishes unlogged.
#[test]
fn uncollected_fatal_errors_come_back_with_the_shutdown() {
    let reply = start(
        r#"{"fatal_reports":2,"fatal_in_shutdown":true}"#,
        context(Some(5_000), 0),
    );
    assert!(reply.ok, "{}", reply.error);
    let reply = shutdown(reply.handle, 5_000, 0);
    assert!(reply.ok, "{}", reply.error);
    assert_eq!(
        reply.json,
        r#"["fatal 0","fatal 1","fatal while shutting down"]"#
    );
}
