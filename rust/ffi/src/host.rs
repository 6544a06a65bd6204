//! The Rust side of the host: the tokio runtime, the instance table and the safe functions the
//! boundary delegates to. Nothing here knows about FFI, so all of it is unit-tested directly.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{
    Arc, Condvar, LazyLock, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, RwLockReadGuard,
    RwLockWriteGuard,
};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::{
    exporter_factories, extension_factories, find_exporter_factory, find_extension_factory,
    find_processor_factory, find_receiver_factory, guarded_export, guarded_process,
    processor_factories, receiver_factories, scope, BoxFuture, ComponentId, Consumer, Consumers,
    CreateSettings, ErasedExporter, ErasedExporterFactory, ErasedExtension, ErasedExtensionFactory,
    ErasedFactory, ErasedProcessor, ErasedProcessorFactory, ErasedReceiver, ErasedReceiverFactory,
    ExportContext, ExportEnd, ExportOutcome, Host, LifecycleContext, Meter, ProcessBatch,
    ProcessContext, ProcessEnd, ProcessError, ProcessRun, Processed, RunOutput, Signal,
    SpawnedTasks, Status, StatusReporter,
};
use serde::Deserialize;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::delivery::{self, ReceiverSink};

pub use otelcol_rust_sdk::panic_message;

/// How long an instance whose start failed gets to release what it took. It runs in the
/// background, so it never delays the failed start's answer.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a finished shutdown waits for the instance's aborted tasks to be dropped (they
/// drop at their next poll, so this is reached only by a task that blocks its thread).
const ABORT_WAIT: Duration = Duration::from_secs(1);

/// The same wait after a shutdown that ran out of time or was cancelled: short, because the
/// caller's deadline has already passed.
const ABORT_GRACE: Duration = Duration::from_millis(20);

/// Failures of a boundary call, as Go will read them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SDK refused (unknown type, invalid config, deadline...).
    #[error(transparent)]
    Sdk(#[from] otelcol_rust_sdk::Error),
    /// Go sent JSON this side cannot read: a bug on the Go side, reported rather than guessed.
    #[error("malformed {what} sent by Go: {reason}")]
    BadRequest {
        /// Which request field.
        what: &'static str,
        /// What serde reported.
        reason: String,
    },
    /// The handle was never issued or is already shut down.
    #[error("unknown instance handle {0}")]
    UnknownHandle(u64),
    /// The runtime could not be built, or a lifecycle task ended without an answer (the
    /// runtime is going away).
    #[error("rust runtime: {0}")]
    Runtime(String),
    /// The component panicked; the panic was contained.
    #[error("rust component panicked: {0}")]
    Panic(String),
    /// A receiver's shutdown ended, but batches it had handed to the pipeline were still being
    /// delivered at the deadline.
    #[error("{in_flight} batch(es) still being delivered to the pipeline after {waited:?}")]
    DeliveriesInFlight {
        /// How many.
        in_flight: usize,
        /// How long shutdown waited for them.
        waited: Duration,
    },
}

/// How many status reports of one instance wait for Go at most (Go collects them every
/// 200 ms), so a component reporting in a loop costs bounded memory.
const MAX_PENDING_EVENTS: usize = 16;

/// The JSON shape of a Go `context.Context` (see `boundary::StartRequest`).
#[derive(Deserialize)]
struct WireContext {
    id: ComponentId,
    #[serde(default)]
    cancelled: bool,
    #[serde(default)]
    deadline_remaining_ns: Option<u64>,
    /// The token Go cancels this call with (`cancel_call`); 0 when the call cannot be
    /// cancelled.
    #[serde(default)]
    call: u64,
    /// The telemetry scope Go assigned to the instance (0: none).
    #[serde(default)]
    scope: u64,
}

/// A started instance of any kind, in the one table of instances.
struct Instance {
    context: LifecycleContext,
    scope: u64,
    meter: Meter,
    running: Running,
    events: Arc<Events>,
    tasks: SpawnedTasks,
}

/// A component of any kind, owned (before it is in the table, and once it is out of it).
enum Component {
    Extension(Box<dyn ErasedExtension>),
    Exporter(Box<dyn ErasedExporter>),
    Processor(Box<dyn ErasedProcessor>),
    Receiver(Box<dyn ErasedReceiver>),
}

impl Component {
    /// Starts the component; a receiver is given `consumers`, the other kinds take none.
    fn start<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
        host: &'a Host,
        consumers: Consumers,
    ) -> BoxFuture<'a, Result<(), otelcol_rust_sdk::Error>> {
        match self {
            Self::Extension(extension) => extension.start(ctx, host),
            Self::Exporter(exporter) => exporter.start(ctx, host),
            Self::Processor(processor) => processor.start(ctx, host),
            Self::Receiver(receiver) => receiver.start(ctx, host, consumers),
        }
    }

    fn shutdown<'a>(
        &'a mut self,
        ctx: &'a LifecycleContext,
    ) -> BoxFuture<'a, Result<(), otelcol_rust_sdk::Error>> {
        match self {
            Self::Extension(extension) => extension.shutdown(ctx),
            Self::Exporter(exporter) => exporter.shutdown(ctx),
            Self::Processor(processor) => processor.shutdown(ctx),
            Self::Receiver(receiver) => receiver.shutdown(ctx),
        }
    }
}

/// The factory of a kind and type.
#[derive(Clone, Copy)]
enum Factory {
    Extension(&'static dyn ErasedExtensionFactory),
    Exporter(&'static dyn ErasedExporterFactory),
    Processor(&'static dyn ErasedProcessorFactory),
    Receiver(&'static dyn ErasedReceiverFactory),
}

/// A started component, as the table holds it.
enum Running {
    /// Behind a mutex only so the table is `Sync` (an extension need not be): it is only
    /// taken out, by shutdown.
    Extension(Mutex<Box<dyn ErasedExtension>>),
    /// Shared with the exports in flight.
    Exporter(Arc<RunningExporter>),
    /// Shared with the process calls in flight.
    Processor(Arc<RunningProcessor>),
    /// Behind a mutex like an extension; its consumers deliver through the sink, which its
    /// shutdown closes.
    Receiver(Mutex<Box<dyn ErasedReceiver>>, ReceiverSink),
}

/// A started exporter or processor, which serves data calls (exports, process calls) from
/// many threads at once. Every call holds `component` for reading while it runs; shutdown
/// takes it for writing, which waits for the calls in flight, and leaves `None`.
struct Shared<C: ?Sized> {
    id: ComponentId,
    scope: u64,
    signals: &'static [Signal],
    component: tokio::sync::RwLock<Option<Box<C>>>,
}

type RunningExporter = Shared<dyn ErasedExporter>;
type RunningProcessor = Shared<dyn ErasedProcessor>;

impl<C: ?Sized> Shared<C> {
    fn new(id: ComponentId, scope: u64, signals: &'static [Signal], component: Box<C>) -> Self {
        Self {
            id,
            scope,
            signals,
            component: tokio::sync::RwLock::new(Some(component)),
        }
    }
}

/// Status reports of an instance (fatal errors included), waiting for Go to collect them with
/// `wait_event`, in the order they were made.
#[derive(Default)]
struct Events {
    state: Mutex<EventState>,
    changed: Condvar,
}

#[derive(Default)]
struct EventState {
    reports: VecDeque<Status>,
    /// Reports refused because the queue was full; told to Go with the next fatal error.
    dropped: u64,
    closed: bool,
}

/// What `wait_event` found.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Nothing happened within the wait.
    None,
    /// The instance reported a fatal error.
    Fatal {
        /// What the component said.
        message: String,
    },
    /// The instance reported another status.
    Status {
        /// `ok`, `recoverable_error` or `permanent_error`.
        status: &'static str,
        /// What the component said (empty for `ok`).
        message: String,
    },
    /// The instance was shut down; no more events will come.
    Closed,
}

impl Events {
    fn lock(&self) -> MutexGuard<'_, EventState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a report unless the instance is closed or the queue is full (then it is
    /// counted). Answers whether it was queued.
    fn push(&self, report: Status) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        if state.reports.len() >= MAX_PENDING_EVENTS {
            // A fatal error is never the one refused: it makes room by dropping the oldest
            // other report (the collector acts on the first fatal error; the others only say
            // how the component was doing before).
            let other = state
                .reports
                .iter()
                .position(|queued| !matches!(queued, Status::FatalError(_)));
            match (&report, other) {
                (Status::FatalError(_), Some(oldest)) => {
                    state.reports.remove(oldest);
                    state.dropped += 1;
                }
                _ => {
                    state.dropped += 1;
                    return false;
                }
            }
        }
        state.reports.push_back(report);
        drop(state);
        self.changed.notify_all();
        true
    }

    /// Refuses further reports and answers the fatal errors nobody collected (the overflow
    /// count included), so the caller can still log them. Other reports are moot once the
    /// instance is gone.
    fn close(&self) -> Vec<String> {
        let mut state = self.lock();
        state.closed = true;
        let mut left: Vec<String> = state
            .reports
            .drain(..)
            .filter_map(|report| match report {
                Status::FatalError(message) => Some(message),
                _ => None,
            })
            .collect();
        if state.dropped > 0 {
            left.push(format!(
                "{} more status reports were not queued",
                state.dropped
            ));
        }
        drop(state);
        self.changed.notify_all();
        left
    }

    fn wait(&self, timeout: Duration) -> Event {
        let state = self.lock();
        let (mut state, _) = self
            .changed
            .wait_timeout_while(state, timeout, |state| {
                state.reports.is_empty() && !state.closed
            })
            .unwrap_or_else(PoisonError::into_inner);
        match state.reports.pop_front() {
            Some(Status::FatalError(mut message)) => {
                if state.dropped > 0 {
                    message = format!(
                        "{message} ({} more status reports were not queued)",
                        std::mem::take(&mut state.dropped)
                    );
                }
                Event::Fatal { message }
            }
            Some(Status::Ok) => Event::Status {
                status: "ok",
                message: String::new(),
            },
            Some(Status::RecoverableError(message)) => Event::Status {
                status: "recoverable_error",
                message,
            },
            Some(Status::PermanentError(message)) => Event::Status {
                status: "permanent_error",
                message,
            },
            None if state.closed => Event::Closed,
            None => Event::None,
        }
    }
}

/// Go's way to interrupt a lifecycle call that is waiting: `cancel_call` with the token the
/// call's context carries. Either side may come first (Go cancels a context at any time), so
/// whichever arrives first creates the entry; the call removes it when it ends, and Go
/// releases an entry its late cancel left behind (`release_call`).
#[derive(Default)]
struct CallSignal {
    /// `(finished, cancelled)`, for the thread waiting outside the runtime.
    state: Mutex<(bool, bool)>,
    changed: Condvar,
    /// The same cancellation, for the task: it stops the lifecycle future it runs.
    cancelled: tokio::sync::watch::Sender<bool>,
}

/// Why [`CallSignal::wait`] returned.
#[derive(Debug, PartialEq, Eq)]
enum WaitOutcome {
    Finished,
    Cancelled,
    TimedOut,
}

impl CallSignal {
    fn lock(&self) -> MutexGuard<'_, (bool, bool)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn finish(&self) {
        self.lock().0 = true;
        self.changed.notify_all();
    }

    fn cancel(&self) {
        self.lock().1 = true;
        self.cancelled.send_replace(true);
        self.changed.notify_all();
    }

    fn is_cancelled(&self) -> bool {
        self.lock().1
    }

    /// Resolves when the call is cancelled; never, otherwise.
    fn cancellation(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut cancelled = self.cancelled.subscribe();
        async move {
            if cancelled.wait_for(|cancelled| *cancelled).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Waits until the call finished or was cancelled, at most `timeout` (forever if `None`).
    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
        let state = self.lock();
        let pending = |state: &mut (bool, bool)| !state.0 && !state.1;
        let state = match timeout {
            Some(timeout) => {
                self.changed
                    .wait_timeout_while(state, timeout, pending)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => self
                .changed
                .wait_while(state, pending)
                .unwrap_or_else(PoisonError::into_inner),
        };
        match *state {
            (true, _) => WaitOutcome::Finished,
            (false, true) => WaitOutcome::Cancelled,
            (false, false) => WaitOutcome::TimedOut,
        }
    }
}

/// The cancellable calls in flight, by token.
static CALLS: LazyLock<Mutex<HashMap<u64, Arc<CallSignal>>>> = LazyLock::new(Mutex::default);

fn calls() -> MutexGuard<'static, HashMap<u64, Arc<CallSignal>>> {
    // Only inserts and removals happen under this lock.
    CALLS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The signal of a call; token 0 (not cancellable) gets one of its own.
fn call_signal(token: u64) -> Arc<CallSignal> {
    if token == 0 {
        return Arc::default();
    }
    Arc::clone(calls().entry(token).or_default())
}

/// Ends a call's registration when it returns.
struct CallGuard(u64);

impl Drop for CallGuard {
    fn drop(&mut self) {
        if self.0 != 0 {
            calls().remove(&self.0);
        }
    }
}

/// Cancels the call with this token: a start or shutdown waiting for it returns `cancelled`
/// at once and the lifecycle future is stopped. A token not yet seen is remembered, so a
/// cancel that overtakes its call still counts.
pub fn cancel_call(token: u64) {
    if token != 0 {
        call_signal(token).cancel();
    }
}

/// Forgets a token Go cancelled, once the call has returned (a cancel that came after the call
/// ended would otherwise stay in the table).
pub fn release_call(token: u64) {
    calls().remove(&token);
}

/// Whether a call token is registered (for leak checks).
pub fn call_registered(token: u64) -> bool {
    calls().contains_key(&token)
}

/// Turns a panic while polling the inner future into an error. The inner future is boxed, so
/// it is `Unpin` and no pin projection (and no unsafe) is needed.
struct CatchUnwind<'a, T>(BoxFuture<'a, Result<T, otelcol_rust_sdk::Error>>);

impl<T> Future for CatchUnwind<'_, T> {
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => Poll::Ready(result.map_err(Error::from)),
            Err(payload) => Poll::Ready(Err(Error::Panic(panic_message(payload.as_ref())))),
        }
    }
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Every started instance, of every kind. A lock for reading and writing: every export looks
/// its instance up, from as many threads as the collector has queue consumers.
static INSTANCES: LazyLock<RwLock<HashMap<u64, Instance>>> = LazyLock::new(RwLock::default);
/// Handles start at 1 and are never reused within a process.
static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

/// The library's runtime for component work, built on first use.
pub(crate) fn runtime() -> Result<&'static Runtime, Error> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    crate::logs::install();
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("otelcol-rust")
        .enable_all()
        .build()
        .map_err(|err| Error::Runtime(format!("cannot start: {err}")))?;
    // Two first calls may race to build one; the loser's runtime is dropped unused.
    Ok(RUNTIME.get_or_init(|| built))
}

fn instances() -> RwLockReadGuard<'static, HashMap<u64, Instance>> {
    // No component code runs under this lock, so a poisoned lock still holds a sound table.
    INSTANCES.read().unwrap_or_else(PoisonError::into_inner)
}

fn instances_mut() -> RwLockWriteGuard<'static, HashMap<u64, Instance>> {
    INSTANCES.write().unwrap_or_else(PoisonError::into_inner)
}

fn parse<'a, T: Deserialize<'a>>(what: &'static str, json: &'a str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|err| Error::BadRequest {
        what,
        reason: err.to_string(),
    })
}

/// A lifecycle call's context: the SDK's view plus the call's cancellation.
struct CallContext {
    context: LifecycleContext,
    scope: u64,
    signal: Arc<CallSignal>,
    _registration: CallGuard,
}

/// Turns the wire context into the SDK's, refusing a cancelled or expired one up front.
fn call_context(json: &str) -> Result<CallContext, Error> {
    let wire: WireContext = parse("context", json)?;
    let registration = CallGuard(wire.call);
    let signal = call_signal(wire.call);
    if wire.cancelled || signal.is_cancelled() {
        return Err(otelcol_rust_sdk::Error::Cancelled.into());
    }
    let remaining = wire.deadline_remaining_ns.map(Duration::from_nanos);
    if remaining == Some(Duration::ZERO) {
        return Err(otelcol_rust_sdk::Error::DeadlineExceeded(Duration::ZERO).into());
    }
    Ok(CallContext {
        context: LifecycleContext {
            id: wire.id,
            deadline: remaining.map(|left| Instant::now() + left),
        },
        scope: wire.scope,
        signal,
        _registration: registration,
    })
}

/// Spawns `work` on the runtime and waits for it until the context's deadline or its
/// cancellation, from a thread outside the runtime. The wait is a condition variable, not a
/// tokio timer: a component that blocks its worker thread (or all of them) cannot delay the
/// answer. When the wait ends first, the task is handed back still running.
fn run_until_deadline<T: Send + 'static>(
    runtime: &Runtime,
    call: &CallContext,
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T, (Error, Option<JoinHandle<T>>)> {
    let signal = Arc::clone(&call.signal);
    let task = runtime.spawn(scope::InScope::new(call.scope, async move {
        let value = work.await;
        signal.finish();
        value
    }));
    let left = call.context.remaining();
    match call.signal.wait(left) {
        WaitOutcome::Finished => {}
        WaitOutcome::Cancelled => {
            return Err((otelcol_rust_sdk::Error::Cancelled.into(), Some(task)));
        }
        WaitOutcome::TimedOut => {
            let waited = left.unwrap_or_default();
            let err = otelcol_rust_sdk::Error::DeadlineExceeded(waited).into();
            return Err((err, Some(task)));
        }
    }
    // The task said it finished: joining returns at once.
    match runtime.block_on(task) {
        Ok(value) => Ok(value),
        // The task bodies catch panics themselves; report one that escaped as what it is.
        Err(err) if err.is_panic() => {
            Err((Error::Panic(panic_message(err.into_panic().as_ref())), None))
        }
        Err(err) => Err((Error::Runtime(err.to_string()), None)),
    }
}

/// Runs a lifecycle call with panics caught and, inside the task, cut off at the deadline or
/// the cancellation: an async start that never finishes is dropped there, which frees the
/// extension for cleanup.
async fn run_guarded<T>(
    context: &LifecycleContext,
    cancellation: impl Future<Output = ()>,
    call: BoxFuture<'_, Result<T, otelcol_rust_sdk::Error>>,
) -> Result<T, Error> {
    let deadline = async {
        match context.remaining() {
            Some(left) => {
                tokio::time::sleep(left).await;
                otelcol_rust_sdk::Error::DeadlineExceeded(left)
            }
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = CatchUnwind(call) => result,
        err = deadline => Err(err.into()),
        () = cancellation => Err(otelcol_rust_sdk::Error::Cancelled.into()),
    }
}

/// Drops a component, containing a panic in its `Drop`.
fn drop_component(component: Component) -> Result<(), Error> {
    catch_unwind(AssertUnwindSafe(move || drop(component))).map_err(|payload| {
        Error::Panic(format!(
            "while dropping: {}",
            panic_message(payload.as_ref())
        ))
    })
}

/// Shuts an instance down in the background, bounded by [`CLEANUP_TIMEOUT`], then aborts
/// what it left running.
fn clean_up(
    component: Component,
    context: LifecycleContext,
    scope: u64,
    tasks: SpawnedTasks,
) -> impl Future<Output = ()> + Send + 'static {
    scope::InScope::new(scope, clean_up_in_scope(component, context, tasks))
}

async fn clean_up_in_scope(
    mut component: Component,
    context: LifecycleContext,
    tasks: SpawnedTasks,
) {
    let cleanup = LifecycleContext {
        deadline: Some(Instant::now() + CLEANUP_TIMEOUT),
        ..context
    };
    let _ = run_guarded(
        &cleanup,
        std::future::pending(),
        component.shutdown(&cleanup),
    )
    .await;
    let _ = drop_component(component);
    tasks.abort_all().await;
}

/// A component kind, as the boundary names it (`ConfigRequest::kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `extension`
    Extension,
    /// `exporter`
    Exporter,
    /// `processor`
    Processor,
    /// `receiver`
    Receiver,
}

impl Kind {
    /// The kind Go named; an unknown one is a Go bug, reported as such.
    pub fn parse(name: &str) -> Result<Self, Error> {
        match name {
            "extension" => Ok(Self::Extension),
            "exporter" => Ok(Self::Exporter),
            "processor" => Ok(Self::Processor),
            "receiver" => Ok(Self::Receiver),
            _ => Err(Error::BadRequest {
                what: "component kind",
                reason: format!(
                    "unknown kind {name:?} (want \"extension\", \"exporter\", \"processor\" or \"receiver\")"
                ),
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Extension => "extension",
            Self::Exporter => "exporter",
            Self::Processor => "processor",
            Self::Receiver => "receiver",
        }
    }
}

/// The registered component types of every kind, sorted by kind then type, each as
/// `{"kind":..,"type":..,"stability":..,"factory":..,"sdk_version":..}` plus, for an
/// exporter, a processor or a receiver, `"signals":[..]`, and for a receiver `"transport":..`
/// (receiverhelper's attribute, possibly empty): the level the factory declares (named as
/// Go's `component.StabilityLevel` reads it), its Rust path and the SDK version its
/// registration recorded, which the Go module checks against the SDK version it speaks
/// (docs/versioning.md). A malformed or duplicate type refuses the whole list.
pub fn component_types() -> Result<Vec<serde_json::Value>, Error> {
    let describe = |kind: Kind, factory: &dyn ErasedFactory, sdk_version: &str| {
        serde_json::json!({
            "kind": kind.name(),
            "type": factory.component_type(),
            "stability": factory.stability(),
            "factory": factory.factory_name(),
            "sdk_version": sdk_version,
        })
    };
    // "exporter" sorts before "extension", before "processor", before "receiver"; each registry
    // is sorted by type.
    let mut types: Vec<serde_json::Value> = exporter_factories()?
        .iter()
        .map(|registration| {
            let mut entry = describe(
                Kind::Exporter,
                registration.factory,
                registration.sdk_version,
            );
            entry["signals"] = serde_json::json!(registration.factory.signals());
            entry
        })
        .collect();
    types.extend(extension_factories()?.iter().map(|registration| {
        describe(
            Kind::Extension,
            registration.factory,
            registration.sdk_version,
        )
    }));
    types.extend(processor_factories()?.iter().map(|registration| {
        let mut entry = describe(
            Kind::Processor,
            registration.factory,
            registration.sdk_version,
        );
        entry["signals"] = serde_json::json!(registration.factory.signals());
        entry
    }));
    types.extend(receiver_factories()?.iter().map(|registration| {
        let mut entry = describe(
            Kind::Receiver,
            registration.factory,
            registration.sdk_version,
        );
        entry["signals"] = serde_json::json!(registration.factory.signals());
        entry["transport"] = serde_json::json!(registration.factory.transport());
        entry
    }));
    Ok(types)
}

/// The factory of `kind` and `component_type`, seen as what every kind has.
fn find_factory(kind: &str, component_type: &str) -> Result<&'static dyn ErasedFactory, Error> {
    Ok(match Kind::parse(kind)? {
        Kind::Extension => find_extension_factory(component_type)?,
        Kind::Exporter => find_exporter_factory(component_type)?,
        Kind::Processor => find_processor_factory(component_type)?,
        Kind::Receiver => find_receiver_factory(component_type)?,
    })
}

/// The default config of `component_type` in `kind`.
pub fn default_config(kind: &str, component_type: &str) -> Result<serde_json::Value, Error> {
    Ok(find_factory(kind, component_type)?.default_config()?)
}

/// The normalized form of a valid config of `component_type` in `kind`.
pub fn validate_config(
    kind: &str,
    component_type: &str,
    config_json: &str,
) -> Result<serde_json::Value, Error> {
    Ok(find_factory(kind, component_type)?.validate_config(config_json)?)
}

/// The extensions an instance of the extension `component_type` with this config depends on.
/// Only extensions have dependencies.
pub fn dependencies(
    kind: &str,
    component_type: &str,
    config_json: &str,
) -> Result<Vec<String>, Error> {
    if Kind::parse(kind)? != Kind::Extension {
        return Err(Error::BadRequest {
            what: "component kind",
            reason: format!("only extensions have dependencies, not {kind}s"),
        });
    }
    Ok(find_extension_factory(component_type)?.dependencies(config_json)?)
}

/// Creates and starts an instance; answers its handle and the instruments it declared. A
/// failed start registers nothing and is followed by a background cleanup shutdown (the
/// `Extension` contract promises one).
pub fn create_and_start(
    kind: &str,
    component_type: &str,
    config_json: &str,
    context_json: &str,
    host_json: &str,
) -> Result<(u64, serde_json::Value), Error> {
    let kind = Kind::parse(kind)?;
    // Found before anything else: an unknown type is the first thing to report.
    let factory = match kind {
        Kind::Extension => Factory::Extension(find_extension_factory(component_type)?),
        Kind::Exporter => Factory::Exporter(find_exporter_factory(component_type)?),
        Kind::Processor => Factory::Processor(find_processor_factory(component_type)?),
        Kind::Receiver => Factory::Receiver(find_receiver_factory(component_type)?),
    };
    let call = call_context(context_json)?;
    let mut host: Host = parse("host info", host_json)?;
    let (sink, consumers) = match factory {
        Factory::Receiver(factory) => {
            let (sink, consumers) = receiver_consumers(factory, host_json)?;
            (Some(sink), consumers)
        }
        _ => (None, Consumers::default()),
    };
    let settings = CreateSettings::new(call.context.id.clone());
    let mut component = {
        let _scope = scope::enter(call.scope);
        match factory {
            Factory::Extension(factory) => {
                Component::Extension(factory.create(&settings, config_json)?)
            }
            Factory::Exporter(factory) => {
                Component::Exporter(factory.create(&settings, config_json)?)
            }
            Factory::Processor(factory) => {
                Component::Processor(factory.create(&settings, config_json)?)
            }
            Factory::Receiver(factory) => {
                Component::Receiver(factory.create(&settings, config_json)?)
            }
        }
    };
    let signals = match factory {
        Factory::Extension(_) => &[][..],
        Factory::Exporter(factory) => factory.signals(),
        Factory::Processor(factory) => factory.signals(),
        Factory::Receiver(factory) => factory.signals(),
    };
    let meter = settings.meter;
    meter.seal();
    let instruments = serde_json::to_value(meter.descriptions())
        .map_err(|err| Error::Runtime(format!("cannot encode the instruments: {err}")))?;
    let runtime = runtime()?;

    let events = Arc::new(Events::default());
    let reported = Arc::clone(&events);
    host.status = StatusReporter::new(move |report| {
        reported.push(report);
    });
    host.scope = call.scope;
    let scope = call.scope;
    let tasks = host.tasks.clone();

    let task_context = call.context.clone();
    let cancellation = call.signal.cancellation();
    let start = async move {
        let started = run_guarded(
            &task_context,
            cancellation,
            component.start(&task_context, &host, consumers),
        )
        .await;
        (component, started)
    };
    let context = call.context.clone();
    match run_until_deadline(runtime, &call, start) {
        Ok((component, Ok(()))) => {
            let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
            let running = match component {
                Component::Extension(extension) => Running::Extension(Mutex::new(extension)),
                Component::Exporter(exporter) => Running::Exporter(Arc::new(Shared::new(
                    context.id.clone(),
                    scope,
                    signals,
                    exporter,
                ))),
                Component::Processor(processor) => Running::Processor(Arc::new(Shared::new(
                    context.id.clone(),
                    scope,
                    signals,
                    processor,
                ))),
                Component::Receiver(receiver) => match sink {
                    Some(sink) => Running::Receiver(Mutex::new(receiver), sink),
                    // Unreachable: a receiver's sink was made with its component.
                    None => return Err(Error::Runtime("a receiver started without a sink".into())),
                },
            };
            let instance = Instance {
                context,
                scope,
                meter,
                running,
                events,
                tasks,
            };
            instances_mut().insert(handle, instance);
            Ok((handle, instruments))
        }
        Ok((component, Err(err))) => {
            // Go forgets the token of a receiver that did not start: nothing more reaches it.
            if let Some(sink) = &sink {
                sink.close();
            }
            runtime.spawn(clean_up(component, context, scope, tasks));
            Err(err)
        }
        Err((err, still_running)) => {
            if let Some(sink) = &sink {
                sink.close();
            }
            // The task ends soon: its own deadline or the cancellation stops the start (unless
            // the component blocks its thread); then it is cleaned up like any failed start.
            runtime.spawn(async move {
                let finished = match still_running {
                    Some(task) => task.await.ok(),
                    None => None,
                };
                match finished {
                    Some((component, _)) => clean_up(component, context, scope, tasks).await,
                    None => tasks.abort_all().await,
                }
            });
            Err(err)
        }
    }
}

/// What host_json says to a receiver (`"receiver": {"token": .., "signals": [..]}`); the
/// SDK's [`Host`] does not show it to the component.
#[derive(Deserialize)]
struct WireReceiverHost {
    receiver: Option<WireReceiver>,
}

#[derive(Deserialize)]
struct WireReceiver {
    /// The Go receiver's token, passed back with every delivery.
    token: u64,
    /// The signals with a pipeline: the receiver gets a consumer for each.
    signals: Vec<String>,
}

/// The sink of a receiver instance and its consumers, for exactly the signals host_json
/// names; each must be one the factory declares (Go creates a receiver only for those, so
/// another one is a Go bug).
fn receiver_consumers(
    factory: &dyn ErasedReceiverFactory,
    host_json: &str,
) -> Result<(ReceiverSink, Consumers), Error> {
    let malformed = |reason: String| Error::BadRequest {
        what: "host info",
        reason,
    };
    let wire: WireReceiverHost = parse("host info", host_json)?;
    let Some(wire) = wire.receiver else {
        return Err(malformed(
            "a receiver needs \"receiver\": {\"token\": .., \"signals\": [..]}".to_owned(),
        ));
    };
    if wire.token == 0 {
        return Err(malformed("receiver token 0".to_owned()));
    }
    if wire.signals.is_empty() {
        return Err(malformed("a receiver with no signals".to_owned()));
    }
    let declared = factory.signals();
    let mut signals = Vec::new();
    for name in &wire.signals {
        let signal = declared
            .iter()
            .copied()
            .find(|signal| signal.as_str() == name);
        let Some(signal) = signal else {
            let declared: Vec<&str> = declared.iter().map(|signal| signal.as_str()).collect();
            return Err(malformed(format!(
                "signal {name:?}: receiver type {:?} declares {}",
                factory.component_type(),
                declared.join(", ")
            )));
        };
        signals.push(signal);
    }
    let sink = ReceiverSink::new(wire.token);
    let deliver: Arc<dyn otelcol_rust_sdk::Deliver> = Arc::new(sink.clone());
    let consumer = |signal: Signal| {
        signals
            .contains(&signal)
            .then(|| Consumer::new(signal, Arc::clone(&deliver)))
    };
    let consumers = Consumers::new(
        consumer(Signal::Traces),
        consumer(Signal::Metrics),
        consumer(Signal::Logs),
    );
    Ok((sink, consumers))
}

/// Shuts down the instance behind `handle` within the context's deadline. The handle is
/// forgotten whatever the outcome, and nothing of the instance outlives the answer: every task
/// it spawned with `Host::spawn` is aborted, and a shutdown still running at the deadline (or
/// cancelled) is aborted too, which drops the component. The answer waits for those drops,
/// up to [`ABORT_WAIT`] after a shutdown that finished and [`ABORT_GRACE`] after one that did
/// not (only code that blocks its thread takes longer to drop).
///
/// An exporter's shutdown first waits, within the same deadline, for the exports in flight
/// (no new one can begin: the handle is gone). If some are still running at the deadline,
/// the answer is that error, and the exporter is shut down (bounded by [`CLEANUP_TIMEOUT`])
/// and dropped in the background once they end: each ends by its own deadline or
/// cancellation. A processor's shutdown waits the same way for the process calls running its
/// stages (they have no deadline: a processor is synchronous CPU work that returns).
///
/// A receiver's shutdown is followed, whatever its outcome, by the closing of its consumers
/// (a send answers retryable `receiver is shut down` without reaching Go); then the answer
/// waits for the batches it already handed to the delivery threads, until the context's
/// deadline (`CLEANUP_TIMEOUT`, 5 s, without one). Batches still being delivered then make the
/// answer [`Error::DeliveriesInFlight`] (unless shutdown failed already); they finish in the
/// background, and Go answers them retryable once it has forgotten the receiver's token.
///
/// Answers, beside the outcome, the fatal errors the instance reported that Go has not
/// collected: those queued since Go's last poll and those reported while it shut down.
pub fn shutdown(handle: u64, context_json: &str) -> (Vec<String>, Result<(), Error>) {
    let Some(instance) = instances_mut().remove(&handle) else {
        return (Vec::new(), Err(Error::UnknownHandle(handle)));
    };
    let events = Arc::clone(&instance.events);
    let result = stop(instance, context_json);
    (events.close(), result)
}

/// The body of [`shutdown`] once the instance is out of the table.
fn stop(instance: Instance, context_json: &str) -> Result<(), Error> {
    let call = call_context(context_json);
    let Instance {
        context: started_with,
        scope,
        running,
        tasks,
        ..
    } = instance;
    // A cancelled or expired context still shuts down: the instance was already removed and
    // must not keep running. It gets the cleanup bound instead.
    let call = call.unwrap_or_else(|_| CallContext {
        context: LifecycleContext {
            deadline: Some(Instant::now() + CLEANUP_TIMEOUT),
            ..started_with.clone()
        },
        scope,
        signal: Arc::default(),
        _registration: CallGuard(0),
    });
    // The instance's records belong to the scope it started in, whatever Go sends now.
    let call = CallContext { scope, ..call };
    let runtime = runtime()?;
    let task_context = call.context.clone();
    let signal = Arc::clone(&call.signal);
    let mut sink = None;
    let (owned, in_service) = match running {
        Running::Extension(extension) => (
            Some(Component::Extension(
                extension
                    .into_inner()
                    .unwrap_or_else(PoisonError::into_inner),
            )),
            None,
        ),
        Running::Exporter(exporter) => (None, Some(InService::Exporter(exporter))),
        Running::Processor(processor) => (None, Some(InService::Processor(processor))),
        Running::Receiver(receiver, receiver_sink) => {
            sink = Some(receiver_sink);
            (
                Some(Component::Receiver(
                    receiver
                        .into_inner()
                        .unwrap_or_else(PoisonError::into_inner),
                )),
                None,
            )
        }
    };
    let served = in_service.clone();
    let stop = async move {
        let component = match (owned, served) {
            (Some(component), _) => component,
            (None, Some(served)) => match calls_ended(&served, &task_context, &signal).await? {
                Some(component) => component,
                None => return Ok(()),
            },
            (None, None) => return Ok(()),
        };
        shut_down(component, &task_context, signal.cancellation()).await
    };
    let (mut result, still_running) = match run_until_deadline(runtime, &call, stop) {
        Ok(stopped) => (stopped, None),
        Err((err, task)) => (Err(err), task),
    };
    if let Some(sink) = sink {
        // Waited for from this thread: the delivery threads are not the runtime's, and a
        // component blocking the runtime's workers cannot hold the answer past the deadline.
        let waited = call.context.remaining().unwrap_or(CLEANUP_TIMEOUT);
        let in_flight = sink.close_and_wait(waited);
        if in_flight > 0 && result.is_ok() {
            result = Err(Error::DeliveriesInFlight { in_flight, waited });
        }
    }
    if let (Some(in_service), Err(_)) = (in_service, &result) {
        // Calls still in flight kept the exporter or processor (or the stop was cut short): it
        // is shut down once they end, unless the stop took it already.
        runtime.spawn(shut_down_later(
            in_service,
            started_with,
            scope,
            tasks.clone(),
        ));
    }
    let wait = match (&still_running, call.context.remaining()) {
        (Some(_), _) => ABORT_GRACE,
        (None, Some(left)) => left.min(ABORT_WAIT),
        (None, None) => ABORT_WAIT,
    };
    let aborted = tasks.abort_all();
    let dropped = async move {
        if let Some(task) = still_running {
            task.abort();
            let _ = task.await;
        }
        aborted.await;
    };
    // Waited for from this thread, not with a tokio timer: the worker threads that drive
    // tokio's timers may be the ones a component blocks.
    let (all_dropped, seen) = std::sync::mpsc::sync_channel::<()>(1);
    runtime.spawn(async move {
        dropped.await;
        let _ = all_dropped.send(());
    });
    let _ = seen.recv_timeout(wait);
    result
}

/// Runs a component's shutdown, bounded by the context, then drops it.
async fn shut_down(
    mut component: Component,
    context: &LifecycleContext,
    cancellation: impl Future<Output = ()>,
) -> Result<(), Error> {
    let stopped = run_guarded(context, cancellation, component.shutdown(context)).await;
    let dropped = drop_component(component);
    stopped.and(dropped)
}

/// A started exporter or processor being shut down: it is shared with the data calls in
/// flight, which shutdown waits for.
#[derive(Clone)]
enum InService {
    Exporter(Arc<RunningExporter>),
    Processor(Arc<RunningProcessor>),
}

impl InService {
    /// Waits until no data call is in flight and takes the component out (`None` if
    /// something took it already).
    async fn take(&self) -> Option<Component> {
        match self {
            Self::Exporter(exporter) => exporter
                .component
                .write()
                .await
                .take()
                .map(Component::Exporter),
            Self::Processor(processor) => processor
                .component
                .write()
                .await
                .take()
                .map(Component::Processor),
        }
    }
}

/// [`InService::take`], bounded by the context.
async fn calls_ended(
    in_service: &InService,
    context: &LifecycleContext,
    signal: &CallSignal,
) -> Result<Option<Component>, Error> {
    let write = Box::pin(async { Ok(in_service.take().await) });
    run_guarded(context, signal.cancellation(), write).await
}

/// Shuts an exporter or processor down (bounded by [`CLEANUP_TIMEOUT`]) once its calls in
/// flight have ended, unless something took it already.
async fn shut_down_later(
    in_service: InService,
    context: LifecycleContext,
    scope: u64,
    tasks: SpawnedTasks,
) {
    if let Some(taken) = in_service.take().await {
        clean_up(taken, context, scope, tasks).await;
    }
}

/// Exports answered (every call of `otelcol_rust_export`), those that answered Retryable or
/// Permanent, and those whose component panicked.
pub static EXPORTS: AtomicU64 = AtomicU64::new(0);
/// See [`EXPORTS`].
pub static EXPORT_ERRORS: AtomicU64 = AtomicU64::new(0);
/// See [`EXPORTS`].
pub static EXPORT_PANICS: AtomicU64 = AtomicU64::new(0);

/// One export call as Go makes it: the batch is borrowed for the call.
#[derive(Debug, Clone, Copy)]
pub struct ExportCall<'a> {
    /// The exporter instance.
    pub handle: u64,
    /// The batch.
    pub batch: otelcol_rust_sdk::Batch<'a>,
    /// Time left before the export's deadline; `None` without one.
    pub deadline: Option<Duration>,
    /// The token `cancel_call` cancels this export with; 0 for none.
    pub call: u64,
}

/// Runs one export on the calling thread (which must not be one of the runtime's) and answers
/// its outcome; counts it in the library metrics. See `boundary::otelcol_rust_export` for the
/// semantics.
pub fn export(call: ExportCall<'_>) -> ExportOutcome {
    let outcome = export_uncounted(call);
    EXPORTS.fetch_add(1, Ordering::Relaxed);
    if matches!(
        outcome,
        ExportOutcome::Retryable { .. } | ExportOutcome::Permanent { .. }
    ) {
        EXPORT_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    outcome
}

fn export_uncounted(call: ExportCall<'_>) -> ExportOutcome {
    let _registration = CallGuard(call.call);
    let signal = call_signal(call.call);
    if signal.is_cancelled() {
        return ExportEnd::Cancelled.into_outcome();
    }
    if call.deadline == Some(Duration::ZERO) {
        return ExportEnd::TimedOut(Duration::ZERO).into_outcome();
    }
    let exporter = match instances()
        .get(&call.handle)
        .map(|instance| &instance.running)
    {
        Some(Running::Exporter(exporter)) => Arc::clone(exporter),
        _ => return no_running_exporter(call.handle),
    };
    let batch = call.batch;
    if !exporter.signals.contains(&batch.signal()) {
        let declared: Vec<&str> = exporter.signals.iter().map(|s| s.as_str()).collect();
        return ExportOutcome::permanent(format!(
            "this exporter does not export {} (its type declares {})",
            batch.signal(),
            declared.join(", ")
        ));
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(err) => return ExportOutcome::permanent(err.to_string()),
    };
    let ctx = ExportContext {
        id: exporter.id.clone(),
        deadline: call.deadline.map(|left| Instant::now() + left),
    };
    let deadline = ctx.deadline;
    let run = scope::InScope::new(exporter.scope, async {
        let export = Box::pin(async {
            // Held for the whole export: shutdown waits for it.
            let running = exporter.component.read().await;
            match running.as_deref() {
                Some(running) => running.export(batch, &ctx).await,
                None => no_running_exporter(call.handle),
            }
        });
        guarded_export(export, &ctx, signal.cancellation()).await
    });
    // Polled on this (Go's) thread, which is how the batch stays borrowed with no copy. The
    // runtime's workers drive its timers and I/O; this thread keeps the deadline itself, so
    // an export still ends at it when a component blocks both workers. The runtime's context
    // stays entered until a cut export is dropped too: its destructors may spawn or make timers.
    let _runtime = runtime.enter();
    let end = match poll_until(deadline, run) {
        Ok(end) => end,
        // Dropped in the instance's scope (`InScope` enters it), panics contained.
        Err(cut) => match catch_unwind(AssertUnwindSafe(move || drop(cut))) {
            Ok(()) => ExportEnd::TimedOut(call.deadline.unwrap_or_default()),
            Err(payload) => ExportEnd::Panicked(panic_message(payload.as_ref())),
        },
    };
    if let ExportEnd::Panicked(message) = &end {
        EXPORT_PANICS.fetch_add(1, Ordering::Relaxed);
        let _scope = scope::enter(exporter.scope);
        tracing::error!(
            signal = batch.signal().as_str(),
            items = batch.items(),
            "rust exporter panicked: {message}; the batch is dropped as a permanent error"
        );
    }
    end.into_outcome()
}

/// Wakes the thread [`poll_until`] parks. The thread's park token is shared with anything
/// else that parks it (a component waiting on a std channel inside its export consumes it),
/// so a wake-up is also recorded in `woken`, which only this waker sets.
struct Unparker {
    thread: std::thread::Thread,
    woken: AtomicBool,
}

impl std::task::Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Polls `future` on the calling thread, which the caller has put inside the runtime's context
/// (so the I/O and timers it awaits register with the runtime's drivers, which its workers
/// run), parking between polls,
/// until it answers or `deadline` passes; then it answers the future back undropped. Unlike
/// `Handle::block_on`, which waits only for wake-ups the workers send, this keeps the deadline
/// with the thread's own timed park: a runtime whose workers are blocked cannot hold an
/// export past it. Anything that wakes the future (a cancellation too) unparks the thread.
fn poll_until<F: Future + Unpin>(deadline: Option<Instant>, mut future: F) -> Result<F::Output, F> {
    let unparker = Arc::new(Unparker {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = std::task::Waker::from(Arc::clone(&unparker));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = Pin::new(&mut future).poll(&mut cx) {
            return Ok(output);
        }
        // Park until this waker fired (a wake-up in between leaves `woken` set) or the
        // deadline passed; other unparks of the thread only cost a check.
        loop {
            let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Err(future);
            }
            if unparker.woken.swap(false, Ordering::Acquire) {
                break;
            }
            match left {
                None => std::thread::park(),
                Some(left) => std::thread::park_timeout(left),
            }
        }
    }
}

fn no_running_exporter(handle: u64) -> ExportOutcome {
    ExportOutcome::permanent(format!("no running exporter instance {handle}"))
}

/// Process calls (every call of `otelcol_rust_process`: one per fused run of processors), the
/// stages they ran, the stages that answered an error (a panic included) and those that
/// panicked.
pub static PROCESS_CROSSINGS: AtomicU64 = AtomicU64::new(0);
/// See [`PROCESS_CROSSINGS`].
pub static PROCESS_STAGES: AtomicU64 = AtomicU64::new(0);
/// See [`PROCESS_CROSSINGS`].
pub static PROCESS_ERRORS: AtomicU64 = AtomicU64::new(0);
/// See [`PROCESS_CROSSINGS`].
pub static PROCESS_PANICS: AtomicU64 = AtomicU64::new(0);

/// What a process call answers: how its last stage ended and, when it succeeded, the run's
/// output (a new batch or edits, and the last stage's keep mask).
#[derive(Debug)]
pub struct ProcessAnswer {
    /// The stages that ran (the last one ran ended the run).
    pub stages_run: u32,
    /// The run's output, or the error of its last stage.
    pub outcome: Result<RunOutput, ProcessError>,
}

/// Runs the processor instances behind `handles`, in order, on one batch (borrowed for the
/// call) on the calling thread, as one fused run; counts it in the library metrics. See
/// `boundary::process::otelcol_rust_process` for the semantics.
pub fn process(handles: &[u64], signal: Signal, bytes: &[u8], items: u64) -> ProcessAnswer {
    PROCESS_CROSSINGS.fetch_add(1, Ordering::Relaxed);
    if handles.is_empty() {
        return ProcessAnswer {
            stages_run: 0,
            outcome: Err(ProcessError::permanent("no processor to run")),
        };
    }
    let mut run = ProcessRun::new(signal, bytes, items);
    let mut stages_run = 0;
    for (stage, &handle) in handles.iter().enumerate() {
        stages_run += 1;
        PROCESS_STAGES.fetch_add(1, Ordering::Relaxed);
        let last = stage + 1 == handles.len();
        let applied = run_stage(handle, run.batch()).and_then(|answer| {
            // The last stage's edits are left to Go: nothing in Rust reads the batch again.
            if last {
                run.apply_last(answer)
            } else {
                run.apply(answer)
            }
        });
        if let Err(err) = applied {
            // The stage's own error, or an answer the run cannot use (keep flags of the wrong
            // length, an edit past the last map): that stage's error ends the run.
            PROCESS_ERRORS.fetch_add(1, Ordering::Relaxed);
            return ProcessAnswer {
                stages_run,
                outcome: Err(err),
            };
        }
        if run.ended() {
            break;
        }
    }
    let outcome = run.finish();
    if outcome.is_err() {
        PROCESS_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    ProcessAnswer {
        stages_run,
        outcome,
    }
}

/// Runs one stage: the processor behind `handle` on `batch`, in its instance's telemetry
/// scope, its panic contained (then logged and counted).
fn run_stage(handle: u64, batch: &ProcessBatch<'_>) -> Result<Processed, ProcessError> {
    let processor = match instances().get(&handle).map(|instance| &instance.running) {
        Some(Running::Processor(processor)) => Arc::clone(processor),
        _ => return Err(no_running_processor(handle)),
    };
    if !processor.signals.contains(&batch.signal()) {
        let declared: Vec<&str> = processor.signals.iter().map(|s| s.as_str()).collect();
        return Err(ProcessError::permanent(format!(
            "this processor does not process {} (its type declares {})",
            batch.signal(),
            declared.join(", ")
        )));
    }
    let _scope = scope::enter(processor.scope);
    // Never blocks: it fails only while a shutdown holds the processor or waits for it (and
    // then the instance is already gone from the table).
    let Ok(running) = processor.component.try_read() else {
        return Err(no_running_processor(handle));
    };
    let Some(running) = running.as_deref() else {
        return Err(no_running_processor(handle));
    };
    let ctx = ProcessContext::new(processor.id.clone());
    match guarded_process(running, batch, &ctx) {
        ProcessEnd::Answered(answer) => answer,
        ProcessEnd::Panicked(message) => {
            PROCESS_PANICS.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                signal = batch.signal().as_str(),
                items = batch.items(),
                "rust processor panicked: {message}; the batch fails with a permanent error"
            );
            Err(ProcessError::permanent(format!(
                "rust processor panicked: {message}"
            )))
        }
    }
}

/// Retryable: a processor shut down in a reload while a batch was on its way is not the
/// batch's fault, and its resend reaches the new instance.
fn no_running_processor(handle: u64) -> ProcessError {
    ProcessError::retryable(format!("no running processor instance {handle}"))
}

/// Waits up to `timeout` for the next event of the instance behind `handle`.
pub fn wait_event(handle: u64, timeout: Duration) -> Event {
    let events = instances()
        .get(&handle)
        .map(|instance| Arc::clone(&instance.events));
    match events {
        Some(events) => events.wait(timeout),
        None => Event::Closed,
    }
}

/// The cumulative value of every series of the instance's instruments (see
/// `Meter::read`); empty for an unknown handle.
pub fn read_metrics(handle: u64) -> Vec<serde_json::Value> {
    let meter = instances()
        .get(&handle)
        .map(|instance| instance.meter.clone());
    meter.map(|meter| meter.read()).unwrap_or_default()
}

/// Takes up to `max` buffered log records.
pub fn drain_logs(max: u64) -> crate::logs::Batch {
    crate::logs::drain(max)
}

/// Sets the most verbose level Rust forwards to Go.
pub fn set_log_level(level: &str) -> Result<(), Error> {
    crate::logs::set_level(level).map_err(|reason| Error::BadRequest {
        what: "log level",
        reason,
    })
}

/// Boundary calls answered, and those that answered an error (counted by the boundary).
pub static BOUNDARY_CALLS: AtomicU64 = AtomicU64::new(0);
/// See [`BOUNDARY_CALLS`].
pub static BOUNDARY_ERRORS: AtomicU64 = AtomicU64::new(0);

/// The library's own counters.
#[derive(Debug, serde::Serialize)]
pub struct LibraryMetrics {
    /// Go->Rust calls answered, except `ping` and the calls Go makes on its own schedule to
    /// collect telemetry (`drain_logs`, `read_metrics`, `library_metrics`).
    pub boundary_calls: u64,
    /// Those that answered an error.
    pub boundary_errors: u64,
    /// Panics contained anywhere in the library and its components.
    pub panics_caught: u64,
    /// Instances started and not shut down.
    pub live_instances: u64,
    /// Log records the full buffer refused.
    pub log_records_dropped: u64,
    /// Exports answered (calls of `otelcol_rust_export`, whatever their outcome).
    pub exports: u64,
    /// Those that answered Retryable or Permanent (a partial success is not counted).
    pub export_errors: u64,
    /// Those whose export panicked (also counted in `panics_caught` and `export_errors`).
    pub export_panics: u64,
    /// Process calls (calls of `otelcol_rust_process`: one per fused run of processors).
    pub process_crossings: u64,
    /// The processor stages those calls ran.
    pub process_stages: u64,
    /// The stages that answered an error (a retryable or permanent one, a panic included).
    pub process_errors: u64,
    /// The stages whose processor panicked (also counted in `panics_caught` and
    /// `process_errors`).
    pub process_panics: u64,
    /// Batches Rust receivers handed to Go (calls of the delivery callback).
    pub receive_deliveries: u64,
    /// Receivers' sends the pipeline accepted.
    pub receive_accepted: u64,
    /// Receivers' sends refused: retryable, permanent or malformed, by Go or by Rust without
    /// calling Go (a shut-down receiver, no delivery callback).
    pub receive_refused: u64,
    /// Receivers' sends waiting for or in a delivery slot now (a gauge).
    pub receive_pending: u64,
}

/// Reads the library's own counters.
pub fn library_metrics() -> LibraryMetrics {
    LibraryMetrics {
        boundary_calls: BOUNDARY_CALLS.load(Ordering::Relaxed),
        boundary_errors: BOUNDARY_ERRORS.load(Ordering::Relaxed),
        panics_caught: crate::logs::panics_caught(),
        live_instances: live_instances(),
        log_records_dropped: crate::logs::dropped_total(),
        exports: EXPORTS.load(Ordering::Relaxed),
        export_errors: EXPORT_ERRORS.load(Ordering::Relaxed),
        export_panics: EXPORT_PANICS.load(Ordering::Relaxed),
        process_crossings: PROCESS_CROSSINGS.load(Ordering::Relaxed),
        process_stages: PROCESS_STAGES.load(Ordering::Relaxed),
        process_errors: PROCESS_ERRORS.load(Ordering::Relaxed),
        process_panics: PROCESS_PANICS.load(Ordering::Relaxed),
        receive_deliveries: delivery::RECEIVE_DELIVERIES.load(Ordering::Relaxed),
        receive_accepted: delivery::RECEIVE_ACCEPTED.load(Ordering::Relaxed),
        receive_refused: delivery::RECEIVE_REFUSED.load(Ordering::Relaxed),
        receive_pending: delivery::RECEIVE_PENDING.load(Ordering::Relaxed),
    }
}

/// How many instances are started and not shut down.
pub fn live_instances() -> u64 {
    instances().len() as u64
}

#[cfg(test)]
mod event_tests {
    use super::*;

    /// Guarantees: a fatal error reported after the queue filled up with other reports is
    /// still handed to Go (it displaces the oldest other report, which is counted).
    #[test]
    fn a_fatal_error_is_never_refused() {
        let events = Events::default();
        for n in 0..20 {
            events.push(Status::RecoverableError(format!("slow {n}")));
        }
        assert!(events.push(Status::FatalError("gone".to_owned())));
        let mut fatal = None;
        for _ in 0..MAX_PENDING_EVENTS {
            if let Event::Fatal { message } = events.wait(Duration::ZERO) {
                fatal = Some(message);
            }
        }
        assert_eq!(
            fatal.as_deref(),
            Some("gone (5 more status reports were not queued)")
        );
    }
}
