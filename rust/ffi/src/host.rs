//! The Rust side of the host: the tokio runtime, the instance table and the safe functions the
//! boundary delegates to. Nothing here knows about FFI, so all of it is unit-tested directly.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use otelcol_rust_sdk::{
    extension_factories, find_extension_factory, ComponentId, ErasedExtension, Host,
    LifecycleContext,
};
use serde::Deserialize;
use tokio::runtime::Runtime;

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

/// Awaits `work` until the context's deadline.
async fn within_deadline<T>(
    ctx: &LifecycleContext,
    work: impl Future<Output = Result<T, otelcol_rust_sdk::Error>>,
) -> Result<T, otelcol_rust_sdk::Error> {
    match ctx.remaining() {
        None => work.await,
        Some(left) => tokio::time::timeout(left, work)
            .await
            .map_err(|_| otelcol_rust_sdk::Error::DeadlineExceeded(left))?,
    }
}

/// The registered extension types, sorted.
pub fn extension_types() -> Result<Vec<&'static str>, Error> {
    Ok(extension_factories()?
        .iter()
        .map(|factory| factory.component_type())
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

/// Creates and starts an instance; answers its handle. A failed start registers nothing.
pub fn create_and_start(
    kind: &str,
    config_json: &str,
    context_json: &str,
    host_json: &str,
) -> Result<u64, Error> {
    let factory = find_extension_factory(kind)?;
    let context = lifecycle_context(context_json)?;
    let host: Host = parse("host info", host_json)?;
    let mut extension = factory.create(&context.id, config_json)?;
    let runtime = runtime()?;

    // A panicking start is caught here, not only at the boundary, so that the instance still
    // gets its cleanup shutdown (the Extension contract promises one after any failed start).
    let started = catch_unwind(AssertUnwindSafe(|| {
        runtime
            .block_on(within_deadline(&context, extension.start(&context, &host)))
            .map_err(Error::from)
    }))
    .unwrap_or_else(|payload| Err(Error::Panic(panic_message(payload.as_ref()))));
    if let Err(err) = started {
        runtime.spawn(async move {
            let cleanup = LifecycleContext {
                deadline: Some(Instant::now() + CLEANUP_TIMEOUT),
                ..context
            };
            // A panic here ends only this task (tokio contains it).
            let _ = within_deadline(&cleanup, extension.shutdown(&cleanup)).await;
        });
        return Err(err);
    }

    let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
    instances().insert(handle, Instance { context, extension });
    Ok(handle)
}

/// Shuts down the instance behind `handle`. The handle is forgotten whatever the outcome.
pub fn shutdown(handle: u64, context_json: &str) -> Result<(), Error> {
    let context = lifecycle_context(context_json);
    let Instance {
        context: started_with,
        mut extension,
    } = instances()
        .remove(&handle)
        .ok_or(Error::UnknownHandle(handle))?;
    // A cancelled or expired context still shuts down: the instance was already removed and
    // must not keep running. It gets the cleanup bound instead.
    let context = context.unwrap_or(LifecycleContext {
        deadline: Some(Instant::now() + CLEANUP_TIMEOUT),
        ..started_with
    });
    let runtime = runtime()?;
    runtime.block_on(within_deadline(&context, extension.shutdown(&context)))?;
    Ok(())
}

/// How many instances are started and not shut down.
pub fn live_instances() -> u64 {
    instances().len() as u64
}

/// The text of a caught panic.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}
