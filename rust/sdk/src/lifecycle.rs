//! What a component author implements: a factory and an extension with start and shutdown.

use std::any::Any;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::scope::InScope;
use crate::{Config, Error, Meter, Stability};

/// A component's id as the collector writes it: `type` or `type/name`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ComponentId {
    /// The component type, e.g. `rust_sample`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The optional name after the slash; empty when absent.
    #[serde(default)]
    pub name: String,
}

impl std::fmt::Display for ComponentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.name.is_empty() {
            f.write_str(&self.kind)
        } else {
            write!(f, "{}/{}", self.kind, self.name)
        }
    }
}

/// The Go `context.Context` of a lifecycle call, as far as Rust needs it.
#[derive(Debug, Clone)]
pub struct LifecycleContext {
    /// The component this call is for.
    pub id: ComponentId,
    /// When the call must be finished; `None` when Go gave no deadline.
    pub deadline: Option<Instant>,
}

impl LifecycleContext {
    /// Time left before the deadline (zero once it has passed), or `None` without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }
}

/// Build information of the collector binary hosting the component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct BuildInfo {
    /// Executable name, e.g. `otelcol-rust`.
    pub command: String,
    /// Human-readable description of the distribution.
    pub description: String,
    /// Version of the distribution.
    pub version: String,
}

/// What a factory's `create` gets besides the config: the instance's id and its meter.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CreateSettings {
    /// The component id of the instance being created.
    pub id: ComponentId,
    /// Declare the instance's instruments here, in `create` (see [`Meter`]).
    pub meter: Meter,
}

impl CreateSettings {
    /// Settings for `id` with a meter of its own (which exports nothing unless the library
    /// made it): what a unit test of a factory passes.
    pub fn new(id: ComponentId) -> Self {
        Self {
            id,
            meter: Meter::default(),
        }
    }
}

/// A component's health, as the collector's `componentstatus` names it. Status watchers (the
/// health check extension, zpages) see each report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Working normally (again).
    Ok,
    /// Something is wrong that may pass without intervention (a backend is unreachable).
    RecoverableError(String),
    /// Something is wrong that needs a person (a credential was refused); the component goes on.
    PermanentError(String),
    /// The component cannot go on. For an extension the collector shuts down; for an
    /// exporter it is logged and reported as a permanent error, and exports go on (see
    /// [`Host::report_fatal`]).
    FatalError(String),
}

/// What a component can see of the collector hosting it, and its way to report trouble.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Host {
    /// The collector build.
    pub build: BuildInfo,
    /// Ids (`type[/name]`) of the other extensions configured in this collector.
    pub extensions: Vec<String>,
    /// Where status reports (fatal errors included) go; set by the library before `start`.
    #[serde(skip)]
    pub status: StatusReporter,
    /// The background work this instance spawned; the library aborts what is left of it once
    /// the instance is shut down (also when its shutdown fails or runs out of time).
    #[serde(skip)]
    pub tasks: SpawnedTasks,
    /// The instance's telemetry scope (see `scope`); set by the library.
    #[doc(hidden)]
    #[serde(skip)]
    pub scope: u64,
}

impl Host {
    /// Tells the collector this component failed for good.
    ///
    /// From an extension, the collector then shuts down, as it does for a Go component's
    /// `componentstatus` fatal error: it logs the error and its `Run` returns no error, so an
    /// ocb-built distribution exits 0. A `main` that wants a non-zero exit checks
    /// `rustextension.FatalError()` (the development collector does).
    ///
    /// From an exporter, the collector does not shut down: the error is logged and reported
    /// to status watchers as a permanent error, and the collector keeps calling `export`
    /// (the collector never tells an exporter when it reads fatal errors, and one it does
    /// not read hangs it; `go/internal/rustcomponent/fatal.go`). Answer each batch's outcome
    /// instead; only the first fatal error of an instance is reported, later ones are counted
    /// in one log line.
    pub fn report_fatal(&self, message: impl Into<String>) {
        self.status.report(Status::FatalError(message.into()));
    }

    /// Reports the component's status to the collector's status watchers, at any time after
    /// `start` began; reports arrive in order. `Status::FatalError` is [`Host::report_fatal`].
    pub fn report_status(&self, status: Status) {
        self.status.report(status);
    }

    /// Spawns background work on the library's runtime. A panic in it does not take the
    /// process down: it is reported as a fatal error of this component (see
    /// [`Host::report_fatal`] for what the collector does with one: an extension's shuts the
    /// collector down, an exporter's becomes a permanent-error status). Stop the work in
    /// `shutdown` with the returned handle. Whatever still runs when the instance's shutdown
    /// ends (or runs out of time) is aborted by the library, which waits briefly for it to be
    /// dropped before it answers the collector: a task that yields is gone, with what it
    /// owns (a listening socket), before a reloaded instance starts. A task that blocks its
    /// thread cannot be aborted until it yields.
    ///
    /// What the task logs goes to this component's logger in the collector.
    pub fn spawn<F>(&self, work: F) -> tokio::task::AbortHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let task = tokio::spawn(InScope::new(self.scope, work));
        let abort = task.abort_handle();
        let status = self.status.clone();
        // Counted before the monitor can see the task end.
        let live = self.tasks.count_one();
        // The monitor ends once the task has ended and been dropped, aborted or not.
        let monitor = tokio::spawn(async move {
            // Dropped last: the task counts as running until its panic has been reported.
            let _live = live;
            if let Err(err) = task.await
                && err.is_panic()
            {
                let message = panic_message(err.into_panic().as_ref());
                status.report(Status::FatalError(format!(
                    "background task panicked: {message}"
                )));
            }
        });
        self.tasks.track(abort.clone(), monitor);
        abort
    }
}

/// The tasks an instance spawned with [`Host::spawn`], so the library can abort them when the
/// instance is gone. Finished tasks are forgotten as new ones are tracked.
#[derive(Clone, Default)]
pub struct SpawnedTasks(Arc<TaskState>);

struct TaskState {
    list: Mutex<TaskList>,
    /// How many spawned tasks have not ended and been dropped, for waiting until none is left.
    live: tokio::sync::watch::Sender<usize>,
}

impl Default for TaskState {
    fn default() -> Self {
        Self {
            list: Mutex::default(),
            live: tokio::sync::watch::Sender::new(0),
        }
    }
}

/// One running task in [`TaskState::live`]; uncounted when dropped (by the task's monitor once
/// the task is gone, or with the monitor if the runtime drops it first).
struct LiveTask(tokio::sync::watch::Sender<usize>);

impl Drop for LiveTask {
    fn drop(&mut self) {
        self.0.send_modify(|live| *live -= 1);
    }
}

#[derive(Default)]
struct TaskList {
    /// Each task's abort handle and the join handle of its monitor, which ends once the task
    /// has been dropped.
    tasks: Vec<(tokio::task::AbortHandle, tokio::task::JoinHandle<()>)>,
    /// Set by [`SpawnedTasks::abort_all`]: a task spawned later is aborted at once.
    closed: bool,
}

impl SpawnedTasks {
    fn lock(&self) -> MutexGuard<'_, TaskList> {
        // Only pushes and drains happen under this lock; a poisoned one still holds a sound list.
        self.0.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count_one(&self) -> LiveTask {
        self.0.live.send_modify(|live| *live += 1);
        LiveTask(self.0.live.clone())
    }

    fn track(&self, task: tokio::task::AbortHandle, monitor: tokio::task::JoinHandle<()>) {
        let mut list = self.lock();
        if list.closed {
            task.abort();
        }
        list.tasks.retain(|(_, monitor)| !monitor.is_finished());
        list.tasks.push((task, monitor));
    }

    /// Aborts every task that has not finished, and every task spawned from now on; the
    /// returned future resolves once each of them has been dropped. Called by the library
    /// once the instance is shut down.
    #[doc(hidden)]
    pub fn abort_all(&self) -> impl Future<Output = ()> + Send + 'static {
        let monitors: Vec<_> = {
            let mut list = self.lock();
            list.closed = true;
            list.tasks.drain(..).collect()
        };
        for (task, _) in &monitors {
            task.abort();
        }
        async move {
            for (_, monitor) in monitors {
                let _ = monitor.await;
            }
        }
    }

    /// How many spawned tasks have not ended (and been dropped) yet.
    #[doc(hidden)]
    pub fn running(&self) -> usize {
        *self.0.live.borrow()
    }

    /// Resolves once no spawned task is running (at once if none is). Aborts nothing: for
    /// checking that a component's shutdown stopped its own tasks (`testing::TestHost`).
    #[doc(hidden)]
    pub fn all_ended(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut live = self.0.live.subscribe();
        async move {
            // An error means every sender is gone, so no task can still be counted.
            let _ = live.wait_for(|live| *live == 0).await;
        }
    }
}

impl std::fmt::Debug for SpawnedTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpawnedTasks({} running)", self.running())
    }
}

/// Delivers a component's status reports to the collector. The default reporter drops them
/// (for unit tests of a component without a collector).
#[derive(Clone, Default)]
pub struct StatusReporter(Option<Arc<dyn Fn(Status) + Send + Sync>>);

impl StatusReporter {
    /// A reporter that calls `deliver` with each report.
    pub fn new(deliver: impl Fn(Status) + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(deliver)))
    }

    /// Reports a status.
    pub fn report(&self, status: Status) {
        if let Some(deliver) = &self.0 {
            deliver(status);
        }
    }

    /// Reports a fatal error.
    pub fn report_fatal(&self, message: String) {
        self.report(Status::FatalError(message));
    }
}

impl std::fmt::Debug for StatusReporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "StatusReporter(connected)"
        } else {
            "StatusReporter(unconnected)"
        })
    }
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

/// A running extension instance.
///
/// Contract (checked by the SDK's host, so implementations need not guard against it):
/// `start` is called at most once, `shutdown` at most once and only after `start` was called
/// (also when `start` failed or ran out of time, so it must release whatever `start` took).
/// Both run on a task of the library's tokio runtime and the caller stops waiting at the
/// context's deadline (even if the method blocks its thread). Spawn background work with
/// [`Host::spawn`] (a panic there becomes a fatal error reported to the collector) and stop it
/// in `shutdown`.
pub trait Extension: Send + 'static {
    /// Starts the extension. An error fails the collector's start-up with this message.
    fn start(
        &mut self,
        ctx: &LifecycleContext,
        host: &Host,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Stops the extension and releases everything it holds.
    fn shutdown(
        &mut self,
        ctx: &LifecycleContext,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Creates extensions of one type. Register an implementation with
/// [`register_extension!`](crate::register_extension).
pub trait ExtensionFactory: Send + Sync + 'static {
    /// The component type users write in the collector config, lower_snake_case.
    const TYPE: &'static str;
    /// How mature the component is: `components` shows it, and the collector logs what it
    /// means when it creates an instance. Raise it as the component earns it.
    const STABILITY: Stability = Stability::Development;
    /// The configuration struct.
    type Config: Config;
    /// The extension this factory creates.
    type Extension: Extension;

    /// Creates an instance from an already validated config. Called by the collector's `Start`,
    /// right before [`Extension::start`]; keep it cheap and side-effect free. Declare the
    /// instance's instruments here, from `settings.meter`.
    fn create(
        &self,
        settings: &CreateSettings,
        config: Self::Config,
    ) -> Result<Self::Extension, Error>;

    /// Ids (`type[/name]`) of extensions that must start before this instance and shut down
    /// after it. Most extensions depend on nothing.
    fn dependencies(&self, config: &Self::Config) -> Vec<String> {
        let _ = config;
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scope;

    /// Guarantees: a task spawned with `Host::spawn` runs every poll in the instance's scope,
    /// also after it yields (and may resume on another worker); a future it polls inside
    /// another scope sees that one and gives the task's back; a task it starts with
    /// `tokio::spawn` directly has no scope; the spawning thread's scope is untouched.
    #[test]
    fn spawned_tasks_run_in_the_instance_scope() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap_or_else(|err| unreachable!("runtime: {err}"));
        let host = Host {
            scope: 42,
            ..Host::default()
        };
        let seen = runtime.block_on(async {
            let (seen, saw) = tokio::sync::oneshot::channel();
            host.spawn(async move {
                let first = scope::current();
                tokio::task::yield_now().await;
                let after_yield = scope::current();
                let nested = scope::InScope::new(7, async {
                    tokio::task::yield_now().await;
                    scope::current()
                })
                .await;
                let after_nested = scope::current();
                let direct = tokio::spawn(async { scope::current() }).await.ok();
                let _ = seen.send((first, after_yield, nested, after_nested, direct));
            });
            (saw.await.ok(), scope::current())
        });
        assert_eq!(seen, (Some((42, 42, 7, 42, Some(0))), 0));
        assert_eq!(scope::current(), 0);
    }

    /// Guarantees: reports reach the reporter in the order they were made; `report_fatal` is
    /// `Status::FatalError`.
    #[test]
    fn statuses_are_delivered_in_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let delivered = Arc::clone(&seen);
        let host = Host {
            status: StatusReporter::new(move |status| {
                delivered
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(status);
            }),
            ..Host::default()
        };
        host.report_status(Status::RecoverableError("slow".to_owned()));
        host.report_status(Status::Ok);
        host.report_status(Status::PermanentError("refused".to_owned()));
        host.report_fatal("gone");
        assert_eq!(
            *seen.lock().unwrap_or_else(PoisonError::into_inner),
            [
                Status::RecoverableError("slow".to_owned()),
                Status::Ok,
                Status::PermanentError("refused".to_owned()),
                Status::FatalError("gone".to_owned()),
            ]
        );
    }
}
