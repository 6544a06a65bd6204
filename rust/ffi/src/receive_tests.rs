//! Tests of the receivers' path: a fixture receiver started through the boundary trait with
//! host_json's `receiver`, its consumers' sends going through the real delivery pool to a
//! delivery function registered with `otelcol_rust_set_deliver`, as Go's is. The function here
//! plays Go's `otelcolRustDeliver`: it answers what the test scripted for the receiver's token.
//!
//! The registered function is process-wide, so every test shares it (keyed by token), and the
//! tests take turns ([`turn`]): some fill the pool's threads, which would starve the others.
//! The test without any registered function is a binary of its own
//! (tests/receive_without_callback.rs).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, LazyLock, Mutex, MutexGuard, Once, PoisonError};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::{
    Config, ConsumeError, Consumer, Consumers, CreateSettings, Error, Host, LifecycleContext,
    Payload, Receiver, ReceiverFactory, Signal,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::boundary::export::{ExportResult, EXPORT_MESSAGE_CAPACITY};
use crate::boundary::receive::{
    otelcol_rust_set_deliver, DELIVER_ACCEPTED, DELIVER_MALFORMED, DELIVER_PERMANENT,
    DELIVER_RETRYABLE,
};
use crate::boundary::{
    ConfigRequest, Reply, RustExtensions, RustExtensionsImpl as Rust, ShutdownRequest, StartRequest,
};
use crate::{delivery, host};

// ---- A fixture receiver --------------------------------------------------------------------

/// Test-only fixture receiver: traces and logs. It hands the consumers it is started with to
/// the test ([`CONSUMERS`], by tag), which sends through them.
struct ReceiveFixture;

#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
struct FixtureConfig {
    /// Names this instance in CONSUMERS and SHUT_DOWN.
    tag: String,
    /// `panic_start`, `fail_start`, or nothing.
    behaviour: String,
}

impl Config for FixtureConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

struct FixtureReceiver(FixtureConfig);

/// The consumers each started fixture got, by tag.
static CONSUMERS: LazyLock<Mutex<HashMap<String, Consumers>>> = LazyLock::new(Mutex::default);

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

    fn add(&self, tag: &str) {
        *self.lock().entry(tag.to_owned()).or_default() += 1;
        self.changed.notify_all();
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

/// Fixture instances whose shutdown ran, by tag.
static SHUT_DOWN: LazyLock<Tally> = LazyLock::new(Tally::default);

impl Receiver for FixtureReceiver {
    async fn start(
        &mut self,
        _: &LifecycleContext,
        _: &Host,
        consumers: Consumers,
    ) -> Result<(), Error> {
        match self.0.behaviour.as_str() {
            "panic_start" => panic!("fixture panics in start"),
            "fail_start" => return Err(Error::lifecycle("port in use")),
            _ => {}
        }
        lock(&CONSUMERS).insert(self.0.tag.clone(), consumers);
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        SHUT_DOWN.add(&self.0.tag);
        Ok(())
    }
}

impl ReceiverFactory for ReceiveFixture {
    const TYPE: &'static str = "test_receiver";
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Logs];
    const TRANSPORT: &'static str = "test";
    type Config = FixtureConfig;
    type Receiver = FixtureReceiver;

    fn create(&self, _: &CreateSettings, config: FixtureConfig) -> Result<FixtureReceiver, Error> {
        Ok(FixtureReceiver(config))
    }
}

otelcol_rust_sdk::register_receiver!(ReceiveFixture);

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ---- The delivery function, playing Go's ---------------------------------------------------

/// What the delivery function does for one token.
#[derive(Clone, Default)]
struct Script {
    /// The outcome it writes (`None`: it writes nothing).
    outcome: Option<u32>,
    retry_after_ns: u64,
    message: String,
    /// Overrides the message length it writes.
    message_len: Option<u64>,
    /// Waits for the token's gate ([`GATES`]) before answering.
    gated: bool,
}

/// One delivery as the function saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    signal: u32,
    encoding: u32,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct Calls {
    /// Every delivery, by token.
    seen: HashMap<u64, Vec<Seen>>,
    /// Deliveries inside the function now, and the most there ever were at once, by token.
    inside: HashMap<u64, usize>,
    most_inside: HashMap<u64, usize>,
    /// Tokens whose gate is open.
    open: Vec<u64>,
    /// Events in order ("delivered <token>", or what a test adds), for ordering checks.
    events: Vec<String>,
}

static SCRIPTS: LazyLock<Mutex<HashMap<u64, Script>>> = LazyLock::new(Mutex::default);
static CALLS: LazyLock<Mutex<Calls>> = LazyLock::new(Mutex::default);
/// Signalled whenever CALLS changes.
static CALLS_CHANGED: Condvar = Condvar::new();

fn record() -> MutexGuard<'static, Calls> {
    lock(&CALLS)
}

fn changed(calls: MutexGuard<'static, Calls>) {
    drop(calls);
    CALLS_CHANGED.notify_all();
}

/// Waits until `done` holds of CALLS; answers whether it did within 10 s.
fn wait_calls(mut done: impl FnMut(&Calls) -> bool) -> bool {
    let (calls, _) = CALLS_CHANGED
        .wait_timeout_while(record(), Duration::from_secs(10), |calls| !done(calls))
        .unwrap_or_else(PoisonError::into_inner);
    done(&calls)
}

fn open_gate(token: u64) {
    let mut calls = record();
    calls.open.push(token);
    changed(calls);
}

fn event(what: String) {
    let mut calls = record();
    calls.events.push(what);
    changed(calls);
}

/// What the function does with one delivery, as Go's would: records it and answers its
/// token's script (unknown tokens: retryable `receiver is shut down`, as Go answers them).
fn behave(token: u64, seen: Seen) -> Script {
    let script = lock(&SCRIPTS).get(&token).cloned();
    let Some(script) = script else {
        return Script {
            outcome: Some(DELIVER_RETRYABLE),
            message: "receiver is shut down".to_owned(),
            ..Script::default()
        };
    };
    let mut calls = record();
    calls.seen.entry(token).or_default().push(seen);
    let inside = calls.inside.entry(token).or_default();
    *inside += 1;
    let now = *inside;
    let most = calls.most_inside.entry(token).or_default();
    *most = (*most).max(now);
    changed(calls);
    if script.gated {
        let (calls, _) = CALLS_CHANGED
            .wait_timeout_while(record(), Duration::from_secs(30), |calls| {
                !calls.open.contains(&token)
            })
            .unwrap_or_else(PoisonError::into_inner);
        drop(calls);
    }
    let mut calls = record();
    *calls.inside.entry(token).or_default() -= 1;
    calls.events.push(format!("delivered {token}"));
    changed(calls);
    script
}

// Allowed: this function plays Go's exported delivery function, which reads the bytes Rust
// lends and writes the result Rust lends.
#[allow(unsafe_code)]
unsafe extern "C" fn test_deliver(
    token: u64,
    signal: u32,
    encoding: u32,
    data: *const u8,
    len: usize,
    out: *mut ExportResult,
) {
    let bytes = if len == 0 {
        Vec::new()
    } else {
        // SAFETY: the delivery contract: `data` is valid for reads of `len` bytes during the
        // call. Copied, as Go copies what it keeps.
        unsafe { std::slice::from_raw_parts(data, len) }.to_vec()
    };
    let script = behave(
        token,
        Seen {
            signal,
            encoding,
            bytes,
        },
    );
    let Some(outcome) = script.outcome else {
        return;
    };
    // SAFETY: the delivery contract: `out` is an initialised result Rust lends for the call
    // and nothing else touches during it.
    let out = unsafe { &mut *out };
    out.outcome = outcome;
    out.retry_after_ns = script.retry_after_ns;
    let message = script.message.as_bytes();
    let len = message.len().min(EXPORT_MESSAGE_CAPACITY);
    out.message[..len].copy_from_slice(&message[..len]);
    out.message_len = script.message_len.unwrap_or(len as u64);
}

/// Registers [`test_deliver`] (once: the tests share it) and takes this test's turn.
fn turn() -> MutexGuard<'static, ()> {
    static REGISTER: Once = Once::new();
    static TURN: Mutex<()> = Mutex::new(());
    REGISTER.call_once(|| {
        // Allowed: registering the delivery function is what Go's init does.
        #[allow(unsafe_code)]
        // SAFETY: `test_deliver` has the delivery function's signature, keeps its contract
        // and is a plain function, callable from any thread for the rest of the process.
        unsafe {
            otelcol_rust_set_deliver(Some(test_deliver));
        }
    });
    lock(&TURN)
}

/// A token no other test uses, with `script`.
fn token(script: Script) -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1_000);
    let token = NEXT.fetch_add(1, Ordering::Relaxed);
    lock(&SCRIPTS).insert(token, script);
    token
}

fn accept() -> Script {
    Script {
        outcome: Some(DELIVER_ACCEPTED),
        ..Script::default()
    }
}

fn context(deadline_ms: u64) -> String {
    json!({
        "id": {"type": "test_receiver", "name": "t"},
        "deadline_remaining_ns": deadline_ms * 1_000_000,
    })
    .to_string()
}

fn start_with(config: Value, host_json: Value) -> Reply {
    Rust::create_and_start(StartRequest {
        kind: "receiver".to_owned(),
        component_type: "test_receiver".to_owned(),
        config_json: config.to_string(),
        context_json: context(5_000),
        host_json: host_json.to_string(),
    })
}

/// Starts a fixture tagged `tag` delivering to `token` for `signals`; answers its handle and
/// its consumers.
fn start(tag: &str, token: u64, signals: &[&str]) -> (u64, Consumers) {
    let reply = start_with(
        json!({"tag": tag}),
        json!({"build": {}, "receiver": {"token": token, "signals": signals}}),
    );
    assert!(reply.ok, "{}", reply.error);
    let consumers = lock(&CONSUMERS).remove(tag).expect("started");
    (reply.handle, consumers)
}

fn shutdown(handle: u64, deadline_ms: u64) -> Reply {
    Rust::shutdown(ShutdownRequest {
        handle,
        context_json: context(deadline_ms),
    })
}

/// One send, awaited from this (non-runtime) thread, as a receiver's task awaits it.
fn send(consumer: &Consumer, payload: Payload) -> Result<(), ConsumeError> {
    host::runtime()
        .expect("runtime")
        .block_on(consumer.send(payload))
}

/// One send on the library's runtime, answered through the returned channel.
fn spawn_send(
    consumer: &Consumer,
    payload: Payload,
) -> std::sync::mpsc::Receiver<Result<(), ConsumeError>> {
    let (answer, answered) = std::sync::mpsc::channel();
    let consumer = consumer.clone();
    host::runtime().expect("runtime").spawn(async move {
        let _ = answer.send(consumer.send(payload).await);
    });
    answered
}

/// Waits until `done` holds of state the pool does not signal (its hand-off's room, the
/// pending gauge): they change as the sends the test started make progress, which takes
/// microseconds, so the wait yields the thread between looks. Answers whether it held
/// within 10 s.
fn until(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::yield_now();
    }
    true
}

fn seen(token: u64) -> Vec<Seen> {
    record().seen.get(&token).cloned().unwrap_or_default()
}

const TRACES: u32 = 0;
const LOGS: u32 = 2;

// ---- Tests -----------------------------------------------------------------------------------

/// Guarantees: a started receiver gets consumers for exactly the signals host_json names; what
/// it sends reaches the registered delivery function with its token, signal, encoding and
/// bytes intact, and an accepted delivery answers Ok; the counters count it.
#[test]
fn sends_reach_the_delivery_function_intact() {
    let _turn = turn();
    let token = token(accept());
    let (handle, consumers) = start("intact", token, &["logs", "traces"]);
    assert_eq!(
        consumers.signals().collect::<Vec<_>>(),
        [Signal::Traces, Signal::Logs]
    );
    assert!(consumers.metrics().is_none());
    let before = host::library_metrics();
    let traces = consumers.traces().expect("traces");
    let logs = consumers.logs().expect("logs");
    let protobuf: Vec<u8> = (0..=255).collect();
    assert_eq!(send(traces, Payload::protobuf(protobuf.clone())), Ok(()));
    assert_eq!(
        send(logs, Payload::json(br#"{"resourceLogs":[]}"#.to_vec())),
        Ok(())
    );
    assert_eq!(send(logs, Payload::protobuf(Vec::new())), Ok(()));
    assert_eq!(
        seen(token),
        [
            Seen {
                signal: TRACES,
                encoding: 0,
                bytes: protobuf
            },
            Seen {
                signal: LOGS,
                encoding: 1,
                bytes: br#"{"resourceLogs":[]}"#.to_vec()
            },
            Seen {
                signal: LOGS,
                encoding: 0,
                bytes: Vec::new()
            },
        ]
    );
    let after = host::library_metrics();
    assert_eq!(after.receive_deliveries - before.receive_deliveries, 3);
    assert_eq!(after.receive_accepted - before.receive_accepted, 3);
    assert_eq!(after.receive_refused, before.receive_refused);
    assert_eq!(after.receive_pending, 0);
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: the outcomes Go writes (0 accepted, 1 retryable, 2 permanent, 3 malformed)
/// reach the send as Ok and the three error kinds, with Go's message and retry delay; a
/// message length past the buffer is read as the buffer; an outcome Go does not define, or
/// none written, fails closed as permanent.
#[test]
fn outcomes_map_to_consume_errors() {
    let _turn = turn();
    let answer = |outcome: Option<u32>, retry_after_ns: u64, message: &str| {
        let token = token(Script {
            outcome,
            retry_after_ns,
            message: message.to_owned(),
            ..Script::default()
        });
        let (handle, consumers) = start(&format!("outcome-{token}"), token, &["traces"]);
        let outcome = send(
            consumers.traces().expect("traces"),
            Payload::protobuf(vec![1]),
        );
        assert!(shutdown(handle, 5_000).ok);
        outcome
    };
    assert_eq!(answer(Some(DELIVER_ACCEPTED), 0, ""), Ok(()));
    assert_eq!(
        answer(
            Some(DELIVER_RETRYABLE),
            2_500_000_000,
            "memory limit reached"
        ),
        Err(ConsumeError::retryable("memory limit reached")
            .with_retry_after(Duration::from_millis(2_500)))
    );
    assert_eq!(
        answer(Some(DELIVER_RETRYABLE), 0, "queue is full"),
        Err(ConsumeError::retryable("queue is full"))
    );
    assert_eq!(
        answer(Some(DELIVER_PERMANENT), 0, "refused for good"),
        Err(ConsumeError::permanent("refused for good"))
    );
    assert_eq!(
        answer(
            Some(DELIVER_MALFORMED),
            0,
            "malformed traces request: bad wire type"
        ),
        Err(ConsumeError::malformed(
            "malformed traces request: bad wire type"
        ))
    );
    assert_eq!(
        answer(Some(7), 0, "what"),
        Err(ConsumeError::permanent(
            "malformed delivery result from Go: outcome 7: what"
        ))
    );
    assert_eq!(
        answer(None, 0, ""),
        Err(ConsumeError::permanent(
            "the delivery callback wrote no outcome"
        ))
    );

    let long = "x".repeat(EXPORT_MESSAGE_CAPACITY);
    let token = token(Script {
        outcome: Some(DELIVER_PERMANENT),
        message: long.clone(),
        message_len: Some(u64::MAX),
        ..Script::default()
    });
    let (handle, consumers) = start("outcome-long", token, &["logs"]);
    let refused = send(consumers.logs().expect("logs"), Payload::protobuf(vec![1]));
    assert_eq!(refused, Err(ConsumeError::permanent(long)));
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: once a receiver is shut down its consumers answer retryable `receiver is shut
/// down` and nothing more reaches the delivery function; a receiver that failed to start
/// delivers nothing either; the refusals are counted.
#[test]
fn shutdown_closes_the_consumers() {
    let _turn = turn();
    let token = token(accept());
    let (handle, consumers) = start("closed", token, &["traces"]);
    let traces = consumers.traces().expect("traces").clone();
    assert_eq!(send(&traces, Payload::protobuf(vec![1])), Ok(()));
    let reply = shutdown(handle, 5_000);
    assert!(reply.ok, "{}", reply.error);
    assert!(SHUT_DOWN.wait("closed", 1));
    let before = host::library_metrics();
    let refused = send(&traces, Payload::protobuf(vec![2]));
    assert_eq!(
        refused,
        Err(ConsumeError::retryable("receiver is shut down"))
    );
    assert_eq!(seen(token).len(), 1, "the refused send reached Go");
    let after = host::library_metrics();
    assert_eq!(after.receive_refused - before.receive_refused, 1);
    assert_eq!(after.receive_deliveries, before.receive_deliveries);
}

/// Guarantees: a receiver's shutdown answers only after the deliveries it handed over have
/// been answered (the pipeline consumed them before the collector hears the receiver
/// stopped); with deliveries still running at the deadline it answers that error at the
/// deadline, and they finish afterwards.
#[test]
fn shutdown_waits_for_deliveries_in_flight() {
    let _turn = turn();
    let token = token(Script {
        gated: true,
        ..accept()
    });
    let (handle, consumers) = start("in-flight", token, &["logs"]);
    let answered = spawn_send(consumers.logs().expect("logs"), Payload::protobuf(vec![1]));
    assert!(wait_calls(|calls| calls.inside.get(&token) == Some(&1)));
    let stopping = std::thread::spawn(move || {
        let reply = shutdown(handle, 10_000);
        event("shutdown answered".to_owned());
        reply
    });
    // The receiver's own shutdown has run: the host now waits for the delivery.
    assert!(SHUT_DOWN.wait("in-flight", 1));
    open_gate(token);
    let reply = stopping.join().expect("no panic");
    assert!(reply.ok, "{}", reply.error);
    assert_eq!(answered.recv().expect("answered"), Ok(()));
    let events = record().events.clone();
    let delivered = events
        .iter()
        .position(|e| *e == format!("delivered {token}"));
    let answered = events.iter().position(|e| e == "shutdown answered");
    assert!(
        matches!((delivered, answered), (Some(d), Some(a)) if d < a),
        "{events:?}"
    );

    let token = self::token(Script {
        gated: true,
        ..accept()
    });
    let (handle, consumers) = start("stuck", token, &["logs"]);
    let answered = spawn_send(consumers.logs().expect("logs"), Payload::protobuf(vec![1]));
    assert!(wait_calls(|calls| calls.inside.get(&token) == Some(&1)));
    let began = Instant::now();
    let reply = shutdown(handle, 100);
    let took = began.elapsed();
    assert!(!reply.ok);
    assert!(
        reply
            .error
            .starts_with("1 batch(es) still being delivered to the pipeline after "),
        "{}",
        reply.error
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
    open_gate(token);
    assert_eq!(answered.recv().expect("answered"), Ok(()));
}

/// Guarantees: the pool never runs more deliveries at once than it has threads; the sends
/// beyond wait (none refused, none lost) and all are delivered once the pipeline frees up;
/// the pending gauge counts them while they wait and returns to zero.
#[test]
fn the_pool_bounds_concurrent_deliveries() {
    let _turn = turn();
    let threads = delivery::threads();
    let sends = 3 * threads;
    let token = token(Script {
        gated: true,
        ..accept()
    });
    let (handle, consumers) = start("bounded", token, &["traces"]);
    let before = host::library_metrics();
    let traces = consumers.traces().expect("traces");
    let answers: Vec<_> = (0..sends)
        .map(|n| spawn_send(traces, Payload::protobuf(n.to_le_bytes().to_vec())))
        .collect();
    assert!(wait_calls(
        |calls| calls.inside.get(&token) == Some(&threads)
    ));
    // Every send is pending: `threads` in a call, as many handed over, the rest waiting for
    // room; and still only `threads` calls.
    assert!(until(|| {
        delivery::room() == 0 && host::library_metrics().receive_pending == sends as u64
    }));
    assert_eq!(record().inside.get(&token), Some(&threads));
    open_gate(token);
    for answer in answers {
        assert_eq!(answer.recv().expect("answered"), Ok(()));
    }
    assert_eq!(record().most_inside.get(&token), Some(&threads));
    let mut delivered: Vec<Vec<u8>> = seen(token).into_iter().map(|seen| seen.bytes).collect();
    delivered.sort();
    let mut sent: Vec<Vec<u8>> = (0..sends).map(|n| n.to_le_bytes().to_vec()).collect();
    sent.sort();
    assert_eq!(delivered, sent);
    let after = host::library_metrics();
    assert_eq!(
        after.receive_deliveries - before.receive_deliveries,
        sends as u64
    );
    assert_eq!(after.receive_pending, 0);
    assert!(shutdown(handle, 5_000).ok);
}

/// Guarantees: a send still waiting for room in the hand-off when its receiver shuts down is
/// refused (retryable `receiver is shut down`) and never reaches the delivery function, even
/// though room frees up later.
#[test]
fn a_send_waiting_for_room_is_refused_at_shutdown() {
    let _turn = turn();
    let threads = delivery::threads();
    let busy = token(Script {
        gated: true,
        ..accept()
    });
    let (busy_handle, busy_consumers) = start("busy", busy, &["traces"]);
    // Every thread in a call and the hand-off full: `2 × threads` sends handed over.
    let fill: Vec<_> = (0..2 * threads)
        .map(|_| {
            spawn_send(
                busy_consumers.traces().expect("traces"),
                Payload::protobuf(vec![]),
            )
        })
        .collect();
    assert!(wait_calls(|calls| calls.inside.get(&busy) == Some(&threads)));
    assert!(until(|| delivery::room() == 0));

    let late = token(accept());
    let (late_handle, late_consumers) = start("late", late, &["logs"]);
    let waiting = spawn_send(
        late_consumers.logs().expect("logs"),
        Payload::protobuf(vec![1]),
    );
    // It waits for room: pending, beside the busy receiver's.
    let pending = 2 * threads as u64 + 1;
    assert!(until(|| host::library_metrics().receive_pending == pending));
    // The late receiver handed nothing over: its shutdown does not wait for the busy one's.
    let reply = shutdown(late_handle, 5_000);
    assert!(reply.ok, "{}", reply.error);
    open_gate(busy);
    assert_eq!(
        waiting.recv().expect("answered"),
        Err(ConsumeError::retryable("receiver is shut down"))
    );
    for answer in fill {
        assert_eq!(answer.recv().expect("answered"), Ok(()));
    }
    assert!(seen(late).is_empty());
    assert!(shutdown(busy_handle, 5_000).ok);
}

/// Guarantees: a panic in a receiver's start is an error reply, not an unwind into Go, and a
/// failed start leaves no instance; its consumers deliver nothing.
#[test]
fn a_panicking_start_is_caught() {
    let _turn = turn();
    let token = token(accept());
    let host_json = json!({"receiver": {"token": token, "signals": ["traces"]}});
    let reply = start_with(
        json!({"tag": "panics", "behaviour": "panic_start"}),
        host_json.clone(),
    );
    assert!(!reply.ok);
    assert_eq!(
        reply.error,
        "rust component panicked: fixture panics in start"
    );
    assert_eq!(reply.handle, 0);
    let reply = start_with(
        json!({"tag": "fails", "behaviour": "fail_start"}),
        host_json,
    );
    assert_eq!(reply.error, "port in use");
    assert!(seen(token).is_empty());
}

/// Guarantees: host_json must say where a receiver delivers: a missing `receiver`, token 0,
/// no signal, or a signal the factory does not declare (named in the error) refuses the start
/// before the receiver is created.
#[test]
fn receiver_host_info_is_checked() {
    let _turn = turn();
    let refused = |host_json: Value| {
        let reply = start_with(json!({"tag": "refused"}), host_json);
        assert!(!reply.ok);
        reply.error
    };
    assert_eq!(
        refused(json!({"build": {}})),
        "malformed host info sent by Go: a receiver needs \"receiver\": {\"token\": .., \"signals\": [..]}"
    );
    assert_eq!(
        refused(json!({"receiver": {"token": 0, "signals": ["traces"]}})),
        "malformed host info sent by Go: receiver token 0"
    );
    assert_eq!(
        refused(json!({"receiver": {"token": 5, "signals": []}})),
        "malformed host info sent by Go: a receiver with no signals"
    );
    assert_eq!(
        refused(json!({"receiver": {"token": 5, "signals": ["traces", "metrics"]}})),
        "malformed host info sent by Go: signal \"metrics\": receiver type \"test_receiver\" \
         declares traces, logs"
    );
    assert!(refused(json!({"receiver": {"token": "5"}}))
        .starts_with("malformed host info sent by Go: "));
    assert!(lock(&CONSUMERS).get("refused").is_none());
}

/// Guarantees: receivers are a kind: listed after the processors with their signals and
/// transport; their configs are defaulted and validated under the receiver kind; they have
/// no dependencies; the receive counters are in `library_metrics`.
#[test]
fn receivers_are_a_kind() {
    let reply = Rust::component_types();
    assert!(reply.ok, "{}", reply.error);
    let types: Vec<Value> = serde_json::from_str(&reply.json).expect("JSON");
    let fixture = types
        .iter()
        .find(|entry| entry["kind"] == "receiver" && entry["type"] == "test_receiver")
        .expect("listed");
    assert_eq!(
        *fixture,
        json!({
            "kind": "receiver", "type": "test_receiver", "stability": "Development",
            "factory": "otelcol_rust_ffi::receive_tests::ReceiveFixture",
            "sdk_version": env!("CARGO_PKG_VERSION"), "signals": ["traces", "logs"],
            "transport": "test",
        })
    );
    let kinds: Vec<&str> = types
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert!(kinds.is_sorted(), "{kinds:?}");

    let request = |config: &str| ConfigRequest {
        kind: "receiver".to_owned(),
        component_type: "test_receiver".to_owned(),
        config_json: config.to_owned(),
    };
    let reply = Rust::default_config(request(""));
    assert_eq!(reply.json, r#"{"behaviour":"","tag":""}"#);
    let reply = Rust::validate_config(request(r#"{"tga":"x"}"#));
    assert_eq!(reply.error, "tga: unknown configuration key");
    let reply = Rust::dependencies(request("{}"));
    assert_eq!(
        reply.error,
        "malformed component kind sent by Go: only extensions have dependencies, not receivers"
    );
    let reply = Rust::default_config(ConfigRequest {
        kind: "connector".to_owned(),
        ..request("")
    });
    assert_eq!(
        reply.error,
        "malformed component kind sent by Go: unknown kind \"connector\" (want \"extension\", \
         \"exporter\", \"processor\" or \"receiver\")"
    );

    let reply = Rust::library_metrics();
    let metrics: Value = serde_json::from_str(&reply.json).expect("JSON");
    for key in [
        "receive_deliveries",
        "receive_accepted",
        "receive_refused",
        "receive_pending",
    ] {
        assert!(metrics[key].is_u64(), "{key} in {metrics}");
    }
}
