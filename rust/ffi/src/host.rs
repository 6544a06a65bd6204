//! The Rust side of the host: the tokio runtime, the instance table and the safe functions the
//! boundary delegates to. Nothing here knows about FFI, so all of it is unit-tested directly.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::{
    extension_factories, find_extension_factory, BoxFuture, ComponentId, ErasedExtension, Host,
    LifecycleContext, StatusReporter,
};
use serde::Deserialize;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

pub use otelcol_rust_sdk::panic_message;

/// How long an instance whose start failed gets to release what it took. It runs in the
/// background, so it never delays the failed start's answer.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);

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
    #[error("unknown extension handle {0}")]
    UnknownHandle(u64),
    /// The runtime could not be built.
    #[error("cannot start the Rust runtime: {0}")]
    Runtime(String),
    /// The component panicked; the panic was contained.
    #[error("rust component panicked: {0}")]
    Panic(String),
}

/// The JSON shape of a Go `context.Context` (see `boundary::StartRequest`).
#[derive(Deserialize)]
struct WireContext {
    id: ComponentId,
    #[serde(default)]
    cancelled: bool,
    #[serde(default)]
    deadline_remaining_ns: Option<u64>,
}

struct Instance {
    context: LifecycleContext,
    extension: Box<dyn ErasedExtension>,
    events: Arc<Events>,
}

/// Fatal errors an instance reported, waiting for Go to collect them with `wait_event`.
#[derive(Default)]
struct Events {
    state: Mutex<EventState>,
    changed: Condvar,
}

#[derive(Default)]
struct EventState {
    fatal: VecDeque<String>,
    closed: bool,
}

/// What `wait_event` found.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", content = "message", rename_all = "snake_case")]
pub enum Event {
    /// Nothing happened within the wait.
    None,
    /// The instance reported a fatal error.
    Fatal(String),
    /// The instance was shut down; no more events will come.
    Closed,
}

impl Events {
    fn lock(&self) -> MutexGuard<'_, EventState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push_fatal(&self, message: String) {
        self.lock().fatal.push_back(message);
        self.changed.notify_all();
    }

    fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    fn wait(&self, timeout: Duration) -> Event {
        let state = self.lock();
        let (mut state, _) = self
            .changed
            .wait_timeout_while(state, timeout, |state| {
                state.fatal.is_empty() && !state.closed
            })
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(message) = state.fatal.pop_front() {
            Event::Fatal(message)
        } else if state.closed {
            Event::Closed
        } else {
            Event::None
        }
    }
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
static INSTANCES: LazyLock<Mutex<HashMap<u64, Instance>>> = LazyLock::new(Mutex::default);
/// Handles start at 1 and are never reused within a process.
static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

/// The library's runtime for component work, built on first use.
fn runtime() -> Result<&'static Runtime, Error> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("otelcol-rust")
        .enable_all()
        .build()
        .map_err(|err| Error::Runtime(err.to_string()))?;
    // Two first calls may race to build one; the loser's runtime is dropped unused.
    Ok(RUNTIME.get_or_init(|| built))
}

fn instances() -> MutexGuard<'static, HashMap<u64, Instance>> {
    // No component code runs under this lock, so a poisoned lock still holds a sound table.
    INSTANCES.lock().unwrap_or_else(PoisonError::into_inner)
}

fn parse<'a, T: Deserialize<'a>>(what: &'static str, json: &'a str) -> Result<T, Error> {
    serde_json::from_str(json).map_err(|err| Error::BadRequest {
        what,
        reason: err.to_string(),
    })
}

/// Turns the wire context into the SDK's, refusing a cancelled or expired one up front.
fn lifecycle_context(json: &str) -> Result<LifecycleContext, Error> {
    let wire: WireContext = parse("context", json)?;
    if wire.cancelled {
        return Err(otelcol_rust_sdk::Error::Cancelled.into());
    }
    let remaining = wire.deadline_remaining_ns.map(Duration::from_nanos);
    if remaining == Some(Duration::ZERO) {
        return Err(otelcol_rust_sdk::Error::DeadlineExceeded(Duration::ZERO).into());
    }
    Ok(LifecycleContext {
        id: wire.id,
        deadline: remaining.map(|left| Instant::now() + left),
    })
}

/// Spawns `work` on the runtime and waits for it until the context's deadline, from a thread
/// outside the runtime. The wait uses a std channel, not a tokio timer: a component that
/// blocks its worker thread (or all of them) cannot delay the answer. On timeout the task is
/// left running and handed back.
fn run_until_deadline<T: Send + 'static>(
    runtime: &Runtime,
    context: &LifecycleContext,
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T, (Error, Option<JoinHandle<T>>)> {
    let (finished, finish_seen) = mpsc::sync_channel::<()>(1);
    let task = runtime.spawn(async move {
        let value = work.await;
        let _ = finished.send(());
        value
    });
    if let Some(left) = context.remaining() {
        if let Err(RecvTimeoutError::Timeout) = finish_seen.recv_timeout(left) {
            return Err((
                otelcol_rust_sdk::Error::DeadlineExceeded(left).into(),
                Some(task),
            ));
        }
    } else {
        // No deadline (only in tests; Go always sends one): wait for the task to end.
        let _ = finish_seen.recv();
    }
    // The task sent its signal, or dropped the sender by ending: joining returns at once.
    match runtime.block_on(task) {
        Ok(value) => Ok(value),
        // The task body catches panics itself, so this means the runtime is going away.
        Err(err) => Err((Error::Runtime(err.to_string()), None)),
    }
}

/// Runs a lifecycle call with panics caught and, inside the task, cut off at the deadline: an
/// async start that never finishes is dropped there, which frees the extension for cleanup.
async fn run_guarded<T>(
    context: &LifecycleContext,
    call: BoxFuture<'_, Result<T, otelcol_rust_sdk::Error>>,
) -> Result<T, Error> {
    match context.remaining() {
        None => CatchUnwind(call).await,
        Some(left) => tokio::time::timeout(left, CatchUnwind(call))
            .await
            .unwrap_or_else(|_| Err(otelcol_rust_sdk::Error::DeadlineExceeded(left).into())),
    }
}

/// Shuts an instance down in the background, bounded by [`CLEANUP_TIMEOUT`].
async fn clean_up(mut extension: Box<dyn ErasedExtension>, context: LifecycleContext) {
    let cleanup = LifecycleContext {
        deadline: Some(Instant::now() + CLEANUP_TIMEOUT),
        ..context
    };
    let _ = run_guarded(&cleanup, extension.shutdown(&cleanup)).await;
}

/// The registered extension types, sorted, each as `{"type":..,"stability":..}` (the level the
/// factory declares, named as Go's `component.StabilityLevel` reads it).
pub fn extension_types() -> Result<Vec<serde_json::Value>, Error> {
    Ok(extension_factories()?
        .iter()
        .map(|factory| {
            serde_json::json!({
                "type": factory.component_type(),
                "stability": factory.stability(),
            })
        })
        .collect())
}

/// The default config of `kind`.
pub fn default_config(kind: &str) -> Result<serde_json::Value, Error> {
    Ok(find_extension_factory(kind)?.default_config()?)
}

/// The normalized form of a valid config of `kind`.
pub fn validate_config(kind: &str, config_json: &str) -> Result<serde_json::Value, Error> {
    Ok(find_extension_factory(kind)?.validate_config(config_json)?)
}

/// The extensions an instance of `kind` with this config depends on.
pub fn dependencies(kind: &str, config_json: &str) -> Result<Vec<String>, Error> {
    Ok(find_extension_factory(kind)?.dependencies(config_json)?)
}

/// Creates and starts an instance; answers its handle. A failed start registers nothing and
/// is followed by a background cleanup shutdown (the `Extension` contract promises one).
pub fn create_and_start(
    kind: &str,
    config_json: &str,
    context_json: &str,
    host_json: &str,
) -> Result<u64, Error> {
    let factory = find_extension_factory(kind)?;
    let context = lifecycle_context(context_json)?;
    let mut host: Host = parse("host info", host_json)?;
    let mut extension = factory.create(&context.id, config_json)?;
    let runtime = runtime()?;

    let events = Arc::new(Events::default());
    let reported = Arc::clone(&events);
    host.status = StatusReporter::new(move |message| reported.push_fatal(message));

    let task_context = context.clone();
    let start = async move {
        let started = run_guarded(&task_context, extension.start(&task_context, &host)).await;
        (extension, started)
    };
    match run_until_deadline(runtime, &context, start) {
        Ok((extension, Ok(()))) => {
            let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
            let instance = Instance {
                context,
                extension,
                events,
            };
            instances().insert(handle, instance);
            Ok(handle)
        }
        Ok((extension, Err(err))) => {
            runtime.spawn(clean_up(extension, context));
            Err(err)
        }
        Err((err, still_running)) => {
            if let Some(task) = still_running {
                runtime.spawn(async move {
                    if let Ok((extension, _)) = task.await {
                        clean_up(extension, context).await;
                    }
                });
            }
            Err(err)
        }
    }
}

/// Shuts down the instance behind `handle` within the context's deadline. The handle is
/// forgotten whatever the outcome; a shutdown still running at the deadline is left to finish
/// in the background.
pub fn shutdown(handle: u64, context_json: &str) -> Result<(), Error> {
    let context = lifecycle_context(context_json);
    let Instance {
        context: started_with,
        mut extension,
        events,
    } = instances()
        .remove(&handle)
        .ok_or(Error::UnknownHandle(handle))?;
    events.close();
    // A cancelled or expired context still shuts down: the instance was already removed and
    // must not keep running. It gets the cleanup bound instead.
    let context = context.unwrap_or(LifecycleContext {
        deadline: Some(Instant::now() + CLEANUP_TIMEOUT),
        ..started_with
    });
    let runtime = runtime()?;
    let task_context = context.clone();
    let stop = async move {
        let stopped = run_guarded(&task_context, extension.shutdown(&task_context)).await;
        drop(extension);
        stopped
    };
    run_until_deadline(runtime, &context, stop).map_err(|(err, _)| err)?
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

/// How many instances are started and not shut down.
pub fn live_instances() -> u64 {
    instances().len() as u64
}
