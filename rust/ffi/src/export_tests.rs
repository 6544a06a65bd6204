//! Tests of the export path: the C ABI `otelcol_rust_export` and the host behind it, with the
//! real registry, the real runtime and a fixture exporter, called from plain threads as Go's
//! are.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::{
    Batch, Config, CreateSettings, Error, ExportContext, ExportOutcome, Exporter, ExporterFactory,
    LifecycleContext, Signal,
};
use serde::{Deserialize, Serialize};

use crate::boundary::export::{
    otelcol_rust_export, ExportResult, EXPORT_MESSAGE_CAPACITY, EXPORT_OK, EXPORT_PARTIAL,
    EXPORT_PERMANENT, EXPORT_RETRYABLE,
};
use crate::boundary::{
    Reply, RustExtensions, RustExtensionsImpl as Rust, ShutdownRequest, StartRequest,
};
use crate::host::{self, ExportCall};

/// Test-only fixture exporter.
struct ExportFixture;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct FixtureConfig {
    /// What each export does: `ok`, `panic`, `hang` (never ends), `gate` (waits until the
    /// test opens the tag's gate), `rendezvous` (waits until `rendezvous` exports of the tag
    /// are in flight at once), `reason` (answers `reason` as a partial success) or
    /// `retry_after`, or `address` (answers the address of the bytes it read as the reason),
    /// `hang_spawn_on_drop` (never ends; dropping it spawns a task), `nested_wait` (its waker
    /// fires while it blocks the thread on a std channel, then it answers Ok).
    behaviour: String,
    /// Names this instance in ENTERED, GATES and SHUT_DOWN.
    tag: String,
    rendezvous: u64,
    reason: String,
}

impl Config for FixtureConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

struct FixtureExporter {
    config: FixtureConfig,
    in_flight: AtomicU64,
    items: AtomicU64,
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

/// Exports that began, by tag.
static ENTERED: LazyLock<Tally> = LazyLock::new(Tally::default);
/// Exports in flight when the instance's shutdown ran, plus one (0: shutdown has not run).
static SHUT_DOWN: LazyLock<Tally> = LazyLock::new(Tally::default);
/// Open gates, by tag.
static GATES: LazyLock<tokio::sync::watch::Sender<Vec<String>>> =
    LazyLock::new(|| tokio::sync::watch::Sender::new(Vec::new()));

/// Decrements the in-flight count when an export ends, also when it is dropped unfinished.
struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Spawns a task when dropped, as cleanup guards do: it needs the runtime's context.
struct SpawnOnDrop;

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        drop(tokio::spawn(async {}));
    }
}

/// Registers the export's waker, has another thread fire it while this thread is blocked on a
/// std channel (whose wait parks the thread and so takes the park token the wake-up left),
/// then returns Pending; answers Ok once polled again.
async fn nested_wait() -> ExportOutcome {
    let (woken, mut wake) = tokio::sync::oneshot::channel::<()>();
    let mut woken = Some(woken);
    std::future::poll_fn(move |cx| {
        if std::future::Future::poll(std::pin::Pin::new(&mut wake), cx).is_ready() {
            return std::task::Poll::Ready(());
        }
        if let Some(woken) = woken.take() {
            let (done, wait) = std::sync::mpsc::channel::<()>();
            std::thread::spawn(move || {
                // Both sleeps leave this thread parked inside `recv` when each message comes.
                std::thread::sleep(Duration::from_millis(20));
                let _ = woken.send(());
                std::thread::sleep(Duration::from_millis(20));
                let _ = done.send(());
            });
            let _ = wait.recv();
        }
        std::task::Poll::Pending
    })
    .await;
    ExportOutcome::Ok
}

impl Exporter for FixtureExporter {
    async fn export<'a>(&'a self, batch: Batch<'a>, _: &'a ExportContext) -> ExportOutcome {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let _in_flight = InFlight(&self.in_flight);
        self.items.fetch_add(batch.items(), Ordering::SeqCst);
        let tag = self.config.tag.as_str();
        ENTERED.add(tag, 1);
        match self.config.behaviour.as_str() {
            "panic" => panic!("fixture panics in export"),
            "hang" => std::future::pending().await,
            "hang_spawn_on_drop" => {
                let _cleanup = SpawnOnDrop;
                std::future::pending().await
            }
            "nested_wait" => nested_wait().await,
            "gate" => {
                let mut open = GATES.subscribe();
                let _ = open.wait_for(|open| open.iter().any(|t| t == tag)).await;
                ExportOutcome::Ok
            }
            "rendezvous" => {
                let mut entered = 0;
                while entered < self.config.rendezvous {
                    // Polls until every export of the round has entered: all of them are in
                    // flight at once, or none finishes (the deadline then fails the test).
                    tokio::task::yield_now().await;
                    entered = ENTERED.get(tag);
                }
                ExportOutcome::Ok
            }
            "reason" => ExportOutcome::partial(batch.items(), self.config.reason.clone()),
            "address" => ExportOutcome::partial(0, format!("{}", batch.bytes().as_ptr() as usize)),
            "retry_after" => {
                ExportOutcome::retry_after(self.config.reason.clone(), Duration::from_millis(1500))
            }
            _ => ExportOutcome::Ok,
        }
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        SHUT_DOWN.add(&self.config.tag, self.in_flight.load(Ordering::SeqCst) + 1);
        Ok(())
    }
}

impl ExporterFactory for ExportFixture {
    const TYPE: &'static str = "test_exporter";
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Logs];
    type Config = FixtureConfig;
    type Exporter = FixtureExporter;

    fn create(&self, _: &CreateSettings, config: FixtureConfig) -> Result<FixtureExporter, Error> {
        Ok(FixtureExporter {
            config,
            in_flight: AtomicU64::new(0),
            items: AtomicU64::new(0),
        })
    }
}

otelcol_rust_sdk::register_exporter!(ExportFixture);

fn context(deadline_ms: u64) -> String {
    serde_json::json!({
        "id": {"type": "test_exporter", "name": "t"},
        "deadline_remaining_ns": deadline_ms * 1_000_000,
    })
    .to_string()
}

fn start(config: serde_json::Value) -> u64 {
    let reply = Rust::create_and_start(StartRequest {
        kind: "exporter".to_owned(),
        component_type: "test_exporter".to_owned(),
        config_json: config.to_string(),
        context_json: context(5_000),
        host_json: "{}".to_owned(),
    });
    assert!(reply.ok, "{}", reply.error);
    reply.handle
}

fn shutdown(handle: u64, deadline_ms: u64) -> Reply {
    Rust::shutdown(ShutdownRequest {
        handle,
        context_json: context(deadline_ms),
    })
}

/// One export through the C ABI, as Go makes it.
fn export_abi(
    handle: u64,
    signal: u32,
    batch: &[u8],
    deadline: Option<Duration>,
    call: u64,
) -> ExportResult {
    let mut out = ExportResult {
        outcome: u32::MAX,
        retry_after_ns: u64::MAX,
        rejected: u64::MAX,
        message_len: u64::MAX,
        message: [0; EXPORT_MESSAGE_CAPACITY],
    };
    let deadline = deadline.map_or(-1, |left| {
        i64::try_from(left.as_nanos()).unwrap_or(i64::MAX)
    });
    // Allowed: this is how Go calls it.
    #[allow(unsafe_code)]
    // SAFETY: `batch` is valid for its length and unchanged during the call; `out` is an
    // initialised result nobody else touches.
    unsafe {
        otelcol_rust_export(
            handle,
            signal,
            batch.as_ptr(),
            batch.len(),
            7,
            deadline,
            call,
            &mut out,
        );
    }
    out
}

fn message(out: &ExportResult) -> &str {
    let len = usize::try_from(out.message_len).expect("length");
    std::str::from_utf8(&out.message[..len]).expect("UTF-8")
}

/// A safe export of `items` log records' worth of nothing.
fn export(handle: u64, items: u64, deadline: Option<Duration>, call: u64) -> ExportOutcome {
    host::export(ExportCall {
        handle,
        batch: Batch::new(Signal::Logs, b"", items),
        deadline,
        call,
    })
}

const DEADLINE: Option<Duration> = Some(Duration::from_secs(10));

/// Guarantees: each outcome crosses the C ABI as the spec numbers it, with its retry-after
/// hint, rejected count and reason; a reason longer than the buffer is cut at a char
/// boundary; the batch reaches the component whole, and so does the item count.
#[test]
fn outcomes_cross_the_abi() {
    let ok = start(serde_json::json!({"tag": "abi-ok"}));
    let out = export_abi(ok, 0, b"spans", DEADLINE, 0);
    assert_eq!(
        (out.outcome, out.message_len, out.rejected),
        (EXPORT_OK, 0, 0)
    );
    assert_eq!(out.retry_after_ns, 0);

    let retry = start(serde_json::json!({"behaviour": "retry_after", "reason": "busy"}));
    let out = export_abi(retry, 2, b"", DEADLINE, 0);
    assert_eq!(out.outcome, EXPORT_RETRYABLE);
    assert_eq!(out.retry_after_ns, 1_500_000_000);
    assert_eq!(message(&out), "busy");

    // 1023 ASCII bytes then a 2-byte char: the char does not fit and is left out whole.
    let long = format!("{}é and more", "x".repeat(EXPORT_MESSAGE_CAPACITY - 1));
    let partial = start(serde_json::json!({"behaviour": "reason", "reason": long}));
    let out = export_abi(partial, 2, b"", DEADLINE, 0);
    assert_eq!((out.outcome, out.rejected), (EXPORT_PARTIAL, 7));
    assert_eq!(message(&out), &long[..EXPORT_MESSAGE_CAPACITY - 1]);

    // Metrics are not among the fixture's signals; 9 is no signal.
    let out = export_abi(ok, 1, b"", DEADLINE, 0);
    assert_eq!(out.outcome, EXPORT_PERMANENT);
    assert_eq!(
        message(&out),
        "this exporter does not export metrics (its type declares traces, logs)"
    );
    let out = export_abi(ok, 9, b"", DEADLINE, 0);
    assert_eq!(
        (out.outcome, message(&out)),
        (EXPORT_PERMANENT, "malformed signal sent by Go: 9")
    );
    for handle in [ok, retry, partial] {
        assert!(shutdown(handle, 5_000).ok);
    }
}

/// Guarantees: the component reads Go's bytes where they are (the address it sees is the
/// caller's): no copy in between.
#[test]
fn the_batch_is_borrowed_not_copied() {
    let handle = start(serde_json::json!({"behaviour": "address"}));
    let bytes = vec![1_u8; 4096];
    let out = export_abi(handle, 0, &bytes, DEADLINE, 0);
    assert_eq!(out.outcome, EXPORT_PARTIAL);
    assert_eq!(message(&out), (bytes.as_ptr() as usize).to_string());
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: a panic in an export answers Permanent with its message and is counted; the
/// instance serves the next batch and shuts down normally.
#[test]
fn a_panic_is_that_batchs_error() {
    let before = host::library_metrics();
    let handle = start(serde_json::json!({"behaviour": "panic", "tag": "panic"}));
    for _ in 0..3 {
        assert_eq!(
            export(handle, 1, DEADLINE, 0),
            ExportOutcome::permanent("rust exporter panicked: fixture panics in export")
        );
    }
    let after = host::library_metrics();
    assert!(after.export_panics >= before.export_panics + 3);
    assert!(after.export_errors >= before.export_errors + 3);
    assert!(after.exports >= before.exports + 3);
    assert!(after.panics_caught >= before.panics_caught + 3);
    // Every export ended, its guard dropped: shutdown saw none in flight.
    assert!(shutdown(handle, 5_000).ok);
    assert_eq!(SHUT_DOWN.get("panic"), 1);
}

/// Guarantees: an export still pending at its deadline is dropped there and answers
/// Retryable; an expired deadline answers at once without running the export.
#[test]
fn the_deadline_cuts_a_pending_export() {
    let handle = start(serde_json::json!({"behaviour": "hang", "tag": "deadline"}));
    let began = Instant::now();
    let outcome = export(handle, 1, Some(Duration::from_millis(50)), 0);
    assert_eq!(
        outcome,
        ExportOutcome::retryable("export timed out after 50ms")
    );
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(
        export(handle, 1, Some(Duration::ZERO), 0),
        ExportOutcome::retryable("export timed out after 0ns")
    );
    assert_eq!(ENTERED.get("deadline"), 1);
    // The cut export's guard was dropped with its future: nothing is in flight.
    assert!(shutdown(handle, 5_000).ok);
    assert_eq!(SHUT_DOWN.get("deadline"), 1);
}

/// Scenario: both of the runtime's workers are blocked (two tasks sleep on them for 2 s), so
/// no tokio timer fires; an export that never ends has a 100 ms deadline.
/// Guarantees: the export still answers at its deadline, retryable "timed out": the calling
/// thread keeps the deadline itself.
#[test]
fn the_deadline_holds_while_the_runtime_is_blocked() {
    let handle = start(serde_json::json!({"behaviour": "hang", "tag": "blocked"}));
    let runtime = host::runtime().expect("runtime");
    // Both workers, and this thread, meet here: then both workers are surely blocked.
    let blocked = std::sync::Arc::new(std::sync::Barrier::new(3));
    let sleepers: Vec<_> = (0..2)
        .map(|_| {
            let blocked = std::sync::Arc::clone(&blocked);
            runtime.spawn(async move {
                blocked.wait();
                std::thread::sleep(Duration::from_secs(2));
            })
        })
        .collect();
    blocked.wait();
    let began = Instant::now();
    let outcome = export(handle, 1, Some(Duration::from_millis(100)), 0);
    let took = began.elapsed();
    assert_eq!(
        outcome,
        ExportOutcome::retryable("export timed out after 100ms")
    );
    assert!(
        took < Duration::from_millis(1500),
        "answered after {took:?}"
    );
    for sleeper in sleepers {
        runtime.block_on(sleeper).expect("sleeper");
    }
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: an export cut at its deadline is dropped inside the runtime's context, so a
/// destructor that spawns (a cleanup guard) does not turn the timeout into a panic.
#[test]
fn a_cut_export_is_dropped_inside_the_runtime() {
    let handle = start(serde_json::json!({"behaviour": "hang_spawn_on_drop", "tag": "drop"}));
    assert_eq!(
        export(handle, 1, Some(Duration::from_millis(50)), 0),
        ExportOutcome::retryable("export timed out after 50ms")
    );
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: a wake-up is not lost when the component itself parks the calling thread (a
/// std channel wait inside the export takes the thread's park token): the export is polled
/// again and answers long before its deadline.
#[test]
fn a_wake_up_survives_a_nested_park() {
    let handle = start(serde_json::json!({"behaviour": "nested_wait", "tag": "nested"}));
    let began = Instant::now();
    assert_eq!(
        export(handle, 1, Some(Duration::from_secs(5)), 0),
        ExportOutcome::Ok
    );
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "answered after {:?}",
        began.elapsed()
    );
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: `cancel_call` with the export's token ends a running export with Retryable;
/// a token cancelled before the export answers at once; neither leaves the token behind.
#[test]
fn cancellation_ends_an_export() {
    let handle = start(serde_json::json!({"behaviour": "hang", "tag": "cancel"}));
    let token = 0x00ca_ca11;
    let exporting = std::thread::spawn(move || export(handle, 1, None, token));
    assert!(ENTERED.wait("cancel", 1));
    host::cancel_call(token);
    assert_eq!(
        exporting.join().expect("no panic"),
        ExportOutcome::retryable("export cancelled")
    );
    assert!(!host::call_registered(token));

    let early = token + 1;
    host::cancel_call(early);
    assert_eq!(
        export(handle, 1, DEADLINE, early),
        ExportOutcome::retryable("export cancelled")
    );
    assert!(!host::call_registered(early));
    assert_eq!(ENTERED.get("cancel"), 1);
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: a handle that was never issued, is shut down, or names an extension answers
/// Permanent; so does a null batch with a length.
#[test]
fn only_running_exporters_export() {
    assert_eq!(
        export(1 << 60, 1, DEADLINE, 0),
        ExportOutcome::permanent(format!("no running exporter instance {}", 1_u64 << 60))
    );
    let handle = start(serde_json::json!({}));
    assert!(shutdown(handle, 5_000).ok);
    assert_eq!(
        export(handle, 1, DEADLINE, 0),
        ExportOutcome::permanent(format!("no running exporter instance {handle}"))
    );
    let extension = Rust::create_and_start(StartRequest {
        kind: "extension".to_owned(),
        component_type: "rust_sample".to_owned(),
        config_json: r#"{"enabled":false}"#.to_owned(),
        context_json: context(5_000),
        host_json: "{}".to_owned(),
    });
    assert!(extension.ok, "{}", extension.error);
    assert_eq!(
        export(extension.handle, 1, DEADLINE, 0),
        ExportOutcome::permanent(format!("no running exporter instance {}", extension.handle))
    );
    assert!(shutdown(extension.handle, 5_000).ok);

    let mut out = ExportResult {
        outcome: u32::MAX,
        retry_after_ns: 0,
        rejected: 0,
        message_len: 0,
        message: [0; EXPORT_MESSAGE_CAPACITY],
    };
    #[allow(unsafe_code)]
    // SAFETY: a null batch is what is tested; `out` is valid.
    unsafe {
        otelcol_rust_export(1, 0, std::ptr::null(), 10, 1, -1, 0, &mut out);
        // A null `out` is ignored.
        otelcol_rust_export(1, 0, std::ptr::null(), 0, 1, -1, 0, std::ptr::null_mut());
    }
    assert_eq!(
        (out.outcome, message(&out)),
        (EXPORT_PERMANENT, "malformed batch sent by Go: null bytes")
    );
}

/// Scenario: 8 threads export 200 batches each into one instance; then 8 exports must all be
/// in flight at once to finish.
/// Guarantees: exports run concurrently on the callers' threads (none waits for another),
/// every batch arrives once, with its item count.
#[test]
fn exports_run_concurrently_from_many_threads() {
    let handle = start(serde_json::json!({"tag": "many"}));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(move || {
                (0..200).all(|n| export(handle, n, DEADLINE, 0) == ExportOutcome::Ok)
            })
        })
        .collect();
    for thread in threads {
        assert!(thread.join().expect("no panic"));
    }
    assert_eq!(ENTERED.get("many"), 1600);
    assert!(shutdown(handle, 5_000).ok);

    let handle =
        start(serde_json::json!({"behaviour": "rendezvous", "rendezvous": 8, "tag": "together"}));
    let threads: Vec<_> = (0..8)
        .map(|_| std::thread::spawn(move || export(handle, 1, DEADLINE, 0)))
        .collect();
    for thread in threads {
        assert_eq!(thread.join().expect("no panic"), ExportOutcome::Ok);
    }
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: shutdown waits for the exports in flight: the component's shutdown runs after
/// they ended. When one is still running at the shutdown's deadline, shutdown answers that
/// error at once, and the component's shutdown runs once the export ends.
#[test]
fn shutdown_waits_for_exports_in_flight() {
    let handle = start(serde_json::json!({"behaviour": "gate", "tag": "gate"}));
    let exporting = std::thread::spawn(move || export(handle, 1, DEADLINE, 0));
    assert!(ENTERED.wait("gate", 1));
    let stopping = std::thread::spawn(move || shutdown(handle, 5_000));
    GATES.send_modify(|open| open.push("gate".to_owned()));
    assert_eq!(exporting.join().expect("no panic"), ExportOutcome::Ok);
    let stopped = stopping.join().expect("no panic");
    assert!(stopped.ok, "{}", stopped.error);
    assert_eq!(
        SHUT_DOWN.get("gate"),
        1,
        "shutdown ran with an export in flight"
    );

    let handle = start(serde_json::json!({"behaviour": "hang", "tag": "stuck"}));
    let token = 0x0057_0c4e;
    let exporting = std::thread::spawn(move || export(handle, 1, None, token));
    assert!(ENTERED.wait("stuck", 1));
    let stopped = shutdown(handle, 100);
    assert!(!stopped.ok);
    assert!(
        stopped.error.starts_with("deadline exceeded after "),
        "{}",
        stopped.error
    );
    assert_eq!(
        SHUT_DOWN.get("stuck"),
        0,
        "shutdown ran with an export in flight"
    );
    host::cancel_call(token);
    assert_eq!(
        exporting.join().expect("no panic"),
        ExportOutcome::retryable("export cancelled")
    );
    assert!(SHUT_DOWN.wait("stuck", 1));
    assert_eq!(SHUT_DOWN.get("stuck"), 1);
}

/// Guarantees: the exporter kind is listed with its signals, before the extensions, the
/// processors and the receivers.
#[test]
fn exporters_are_listed_with_their_signals() {
    let reply = Rust::component_types();
    assert!(reply.ok, "{}", reply.error);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&reply.json).expect("JSON");
    let exporters: Vec<&serde_json::Value> = listed
        .iter()
        .take_while(|entry| entry["kind"] == "exporter")
        .collect();
    // rust_chaos's exporter is linked by the processor tests (process_tests.rs).
    assert_eq!(exporters.len(), 2, "{listed:?}");
    assert_eq!(exporters[0]["type"], "rust_chaos");
    assert_eq!(
        *exporters[1],
        serde_json::json!({
            "kind": "exporter", "type": "test_exporter", "stability": "Development",
            "factory": "otelcol_rust_ffi::export_tests::ExportFixture",
            "sdk_version": env!("CARGO_PKG_VERSION"), "signals": ["traces", "logs"],
        })
    );
    let kinds: Vec<&str> = listed[2..]
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert!(kinds
        .iter()
        .all(|kind| ["extension", "processor", "receiver"].contains(kind)));
    assert!(kinds.is_sorted(), "{kinds:?}");
}
