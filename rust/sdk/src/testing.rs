//! Unit-testing a component without a collector: decode a config as the collector would,
//! create and start the extension with a [`TestHost`] that records its status reports, wait
//! for a status, shut it down and check that its background tasks are gone. An exporter is
//! created with [`TestHost::exporter`], started with [`TestHost::start_exporter`], given
//! batches with [`TestHost::export`] (guarded as the collector guards them: deadline, panics)
//! and shut down with [`TestHost::shutdown_exporter`]. A receiver is created with
//! [`TestHost::receiver`] and started with [`TestHost::start_receiver`], which answers the
//! [`TestConsumers`] playing its pipelines (recording what it sends, answering the outcome the
//! test sets), and shut down with [`TestHost::shutdown_receiver`]; the [`receiver`](crate::receiver)
//! module has an example.
//!
//! The `heartbeat` extension of docs/writing-an-extension.md, reporting `Status::Ok` as soon as
//! its task runs (at the first tick, which tokio's `interval` fires at once), and its test
//! (docs/testing-a-component.md walks through it):
//!
//! ```
//! # use std::time::Duration;
//! # use otelcol_rust_sdk::{
//! #     Config, ConfigProblems, CreateSettings, Error, Extension, ExtensionFactory, Host,
//! #     LifecycleContext, Status,
//! # };
//! # use serde::{Deserialize, Serialize};
//! # use tokio::task::AbortHandle;
//! #
//! # #[derive(Debug, Serialize, Deserialize)]
//! # #[serde(default)]
//! # pub struct HeartbeatConfig {
//! #     #[serde(with = "otelcol_rust_sdk::duration")]
//! #     pub interval: Duration,
//! # }
//! #
//! # impl Default for HeartbeatConfig {
//! #     fn default() -> Self {
//! #         Self { interval: Duration::from_secs(5) }
//! #     }
//! # }
//! #
//! # impl Config for HeartbeatConfig {
//! #     fn validate(&self) -> Result<(), Error> {
//! #         let mut problems = ConfigProblems::new();
//! #         if self.interval.is_zero() {
//! #             problems.add("interval", "must be greater than 0");
//! #         }
//! #         problems.into_result()
//! #     }
//! # }
//! #
//! # pub struct Heartbeat {
//! #     config: HeartbeatConfig,
//! #     task: Option<AbortHandle>,
//! # }
//! #
//! # impl Extension for Heartbeat {
//! #     async fn start(&mut self, _ctx: &LifecycleContext, host: &Host) -> Result<(), Error> {
//! #         let interval = self.config.interval;
//! #         let reporter = host.clone();
//! #         self.task = Some(host.spawn(async move {
//! #             let mut ticks = tokio::time::interval(interval);
//! #             ticks.tick().await; // the first tick is at once
//! #             reporter.report_status(Status::Ok);
//! #             loop {
//! #                 ticks.tick().await;
//! #             }
//! #         }));
//! #         Ok(())
//! #     }
//! #
//! #     async fn shutdown(&mut self, _ctx: &LifecycleContext) -> Result<(), Error> {
//! #         if let Some(task) = self.task.take() {
//! #             task.abort();
//! #         }
//! #         Ok(())
//! #     }
//! # }
//! #
//! # pub struct HeartbeatFactory;
//! #
//! # impl ExtensionFactory for HeartbeatFactory {
//! #     const TYPE: &'static str = "heartbeat";
//! #     type Config = HeartbeatConfig;
//! #     type Extension = Heartbeat;
//! #
//! #     fn create(&self, _: &CreateSettings, config: HeartbeatConfig) -> Result<Heartbeat, Error> {
//! #         Ok(Heartbeat { config, task: None })
//! #     }
//! # }
//! #
//! use otelcol_rust_sdk::testing::TestHost;
//!
//! // In the component's crate: `#[tokio::test]` on it.
//! async fn beats_then_stops() -> Result<(), Box<dyn std::error::Error>> {
//!     let host = TestHost::new("heartbeat");
//!     // The user's keys over the defaults, validated: what the collector hands `create`.
//!     let mut heartbeat = host.create(&HeartbeatFactory, r#"{"interval": "10ms"}"#)?;
//!     host.start(&mut heartbeat).await?;
//!     host.wait_for(|status| *status == Status::Ok, Duration::from_secs(5))
//!         .await?;
//!     host.shutdown(&mut heartbeat).await?;
//!     // Shutdown stopped what start spawned (the collector would abort it, but later).
//!     host.wait_tasks_ended(Duration::from_secs(5)).await?;
//!     Ok(())
//! }
//!
//! // The same, for a config the collector refuses.
//! fn refuses_a_zero_interval() {
//!     let host = TestHost::new("heartbeat");
//!     let refused = host.create(&HeartbeatFactory, r#"{"interval": "0s"}"#);
//!     let message = refused.err().map(|err| err.to_string());
//!     assert_eq!(message.as_deref(), Some("interval: must be greater than 0"));
//! }
//! #
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! #     refuses_a_zero_interval();
//! #     beats_then_stops().await
//! # }
//! ```
//!
//! `#[tokio::test]`'s default runtime has one thread: tasks spawned with [`Host::spawn`] run
//! while the test awaits (on [`TestHost::wait_for`], I/O, timers). A test that blocks its
//! thread (a blocking client, `std::thread::sleep`) starves them; give it
//! `#[tokio::test(flavor = "multi_thread")]`, which also runs the component on several
//! threads, as the collector does.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::processor::check_answer;
use crate::registry::BoxFuture;
use crate::{
    Batch, BuildInfo, ComponentId, ConsumeError, Consumer, Consumers, CreateSettings, Deliver,
    Error, ExportContext, ExportOutcome, Exporter, ExporterFactory, Extension, ExtensionFactory,
    Host, LifecycleContext, Payload, ProcessBatch, ProcessContext, ProcessEnd, ProcessError,
    Processed, Processor, ProcessorFactory, Receiver, ReceiverFactory, Signal, Status,
    StatusReporter, decode_config, guarded_export, guarded_process,
};

/// The deadline [`TestHost::start`] and [`TestHost::shutdown`] give a call unless
/// [`TestHost::with_deadline`] says otherwise: generous, so only a call that hangs reaches it.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// What a wait of [`TestHost`] ran into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WaitError {
    /// No status report matched within the timeout.
    #[error("no status report matched within {waited:?}; reported: {reported:?}")]
    NoMatchingStatus {
        /// How long it waited.
        waited: Duration,
        /// Every report the component made, in order.
        reported: Vec<Status>,
    },
    /// Fewer payloads than asked reached the [`TestConsumers`] within the timeout.
    #[error("{received} payload(s) received within {waited:?}, waited for {wanted}")]
    TooFewReceived {
        /// How long it waited.
        waited: Duration,
        /// How many it waited for.
        wanted: usize,
        /// How many had arrived.
        received: usize,
    },
    /// Deliveries were still in flight when a receiver's shutdown reached its deadline.
    #[error("{in_flight} delivery(ies) still in flight after {waited:?}")]
    DeliveriesInFlight {
        /// How long it waited.
        waited: Duration,
        /// How many were left.
        in_flight: usize,
    },
    /// Tasks spawned with [`Host::spawn`] were still running at the timeout.
    #[error("{running} spawned task(s) still running after {waited:?}")]
    TasksRunning {
        /// How long it waited.
        waited: Duration,
        /// How many were left.
        running: usize,
    },
}

/// Plays the collector for one component instance in a unit test: creates it from a JSON
/// config, starts and shuts it down with a deadline, and records what it reports.
///
/// Runs the lifecycle calls on the test's own tokio runtime (`#[tokio::test]`), where
/// [`Host::spawn`] works too. Unlike the collector, it aborts nothing the instance left
/// running after shutdown, so a test can check the component stopped its own tasks
/// ([`TestHost::wait_tasks_ended`]).
#[derive(Debug)]
pub struct TestHost {
    settings: CreateSettings,
    host: Host,
    deadline: Duration,
    reports: Arc<watch::Sender<Vec<Status>>>,
    /// The pipelines [`TestHost::start_receiver`] gave receivers, closed by
    /// [`TestHost::shutdown_receiver`].
    pipelines: Mutex<Vec<TestConsumers>>,
}

impl TestHost {
    /// A host for the instance `id`, written as in the collector's config: `type` or
    /// `type/name`.
    pub fn new(id: &str) -> Self {
        let (kind, name) = id.split_once('/').unwrap_or((id, ""));
        let id = ComponentId {
            kind: kind.to_owned(),
            name: name.to_owned(),
        };
        let reports = Arc::new(watch::Sender::new(Vec::new()));
        let recorded = Arc::clone(&reports);
        let host = Host {
            status: StatusReporter::new(move |status| {
                recorded.send_modify(|reports| reports.push(status));
            }),
            ..Host::default()
        };
        Self {
            settings: CreateSettings::new(id),
            host,
            deadline: DEADLINE,
            reports,
            pipelines: Mutex::default(),
        }
    }

    /// Gives each lifecycle call `deadline` instead of [`DEADLINE`] (to test how the
    /// component behaves when the collector's deadline is short).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the collector build the component sees in [`Host::build`].
    pub fn with_build(mut self, build: BuildInfo) -> Self {
        self.host.build = build;
        self
    }

    /// Sets the other extensions the component sees in [`Host::extensions`].
    pub fn with_extensions(mut self, extensions: Vec<String>) -> Self {
        self.host.extensions = extensions;
        self
    }

    /// The [`Host`] handed to `start`: pass it yourself to call [`Extension::start`] directly.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The settings [`TestHost::create`] passes: the instance's id and its meter.
    pub fn settings(&self) -> &CreateSettings {
        &self.settings
    }

    /// A context for one lifecycle call of this instance, with a deadline [`DEADLINE`] (or
    /// [`TestHost::with_deadline`]'s) away.
    pub fn context(&self) -> LifecycleContext {
        LifecycleContext {
            id: self.settings.id.clone(),
            deadline: Some(Instant::now() + self.deadline),
        }
    }

    /// Creates an instance as the collector does: `config_json` (the user's keys, `{}` for
    /// none) decoded over the config's defaults, unknown keys and wrong types refused,
    /// validated ([`decode_config`]), then [`ExtensionFactory::create`] with
    /// [`TestHost::settings`]. The host's id must be of the factory's type
    /// ([`Error::TypeMismatch`] otherwise), as it always is in the collector.
    pub fn create<F: ExtensionFactory>(
        &self,
        factory: &F,
        config_json: &str,
    ) -> Result<F::Extension, Error> {
        self.check_type(F::TYPE)?;
        factory.create(&self.settings, decode_config(config_json)?)
    }

    /// Creates an exporter as the collector does, like [`TestHost::create`] for an extension:
    /// `config_json` (the exporter's own keys, `{}` for none) decoded over the defaults,
    /// checked and validated, then [`ExporterFactory::create`]. The host's id must be of the
    /// factory's type ([`Error::TypeMismatch`] otherwise).
    pub fn exporter<F: ExporterFactory>(
        &self,
        factory: &F,
        config_json: &str,
    ) -> Result<F::Exporter, Error> {
        self.check_type(F::TYPE)?;
        factory.create(&self.settings, decode_config(config_json)?)
    }

    /// Creates a processor as the collector does, like [`TestHost::exporter`] for an
    /// exporter: `config_json` decoded over the defaults, validated, then
    /// [`ProcessorFactory::create`].
    pub fn processor<F: ProcessorFactory>(
        &self,
        factory: &F,
        config_json: &str,
    ) -> Result<F::Processor, Error> {
        self.check_type(F::TYPE)?;
        factory.create(&self.settings, decode_config(config_json)?)
    }

    /// Starts `processor` with this host, cut off at the context's deadline:
    /// [`Error::DeadlineExceeded`].
    pub async fn start_processor<P: Processor>(&self, processor: &mut P) -> Result<(), Error> {
        let ctx = self.context();
        within_deadline(self.deadline, processor.start(&ctx, &self.host)).await
    }

    /// Processes `batch` the way the collector's host does, with the same guard: a panic
    /// answers a permanent [`ProcessError`] (`rust processor panicked: ...`) and the processor
    /// stays usable. An answer the collector cannot use is the permanent error it would be
    /// there: keep flags of another length than [`ProcessBatch::items`], an edit of a map past
    /// the batch's last, a replacement that is not an export request of the batch's signal.
    /// What the collector then does with the answer is in docs/boundary.md.
    pub fn process<P: Processor>(
        &self,
        processor: &P,
        batch: &ProcessBatch<'_>,
    ) -> Result<Processed, ProcessError> {
        let ctx = ProcessContext::new(self.settings.id.clone());
        let answer = match guarded_process(processor, batch, &ctx) {
            ProcessEnd::Answered(answer) => answer?,
            ProcessEnd::Panicked(message) => {
                return Err(ProcessError::permanent(format!(
                    "rust processor panicked: {message}"
                )));
            }
        };
        check_answer(batch, &answer)?;
        Ok(answer)
    }

    /// Shuts `processor` down, cut off at the context's deadline.
    pub async fn shutdown_processor<P: Processor>(&self, processor: &mut P) -> Result<(), Error> {
        let ctx = self.context();
        within_deadline(self.deadline, processor.shutdown(&ctx)).await
    }

    fn check_type(&self, factory_type: &'static str) -> Result<(), Error> {
        if self.settings.id.kind == factory_type {
            Ok(())
        } else {
            Err(Error::TypeMismatch {
                id: self.settings.id.to_string(),
                factory_type,
            })
        }
    }

    /// Starts `extension` with this host, cut off at the context's deadline as the collector
    /// does (the start future is dropped there): [`Error::DeadlineExceeded`].
    pub async fn start<E: Extension>(&self, extension: &mut E) -> Result<(), Error> {
        let ctx = self.context();
        within_deadline(self.deadline, extension.start(&ctx, &self.host)).await
    }

    /// Shuts `extension` down, cut off at the context's deadline like [`TestHost::start`].
    pub async fn shutdown<E: Extension>(&self, extension: &mut E) -> Result<(), Error> {
        let ctx = self.context();
        within_deadline(self.deadline, extension.shutdown(&ctx)).await
    }

    /// Starts `exporter` with this host, cut off at the context's deadline as the collector
    /// does: [`Error::DeadlineExceeded`].
    pub async fn start_exporter<E: Exporter>(&self, exporter: &mut E) -> Result<(), Error> {
        let ctx = self.context();
        within_deadline(self.deadline, exporter.start(&ctx, &self.host)).await
    }

    /// A context for one export of this instance, with a deadline [`DEADLINE`] (or
    /// [`TestHost::with_deadline`]'s) away: what the collector's `timeout` gives an export.
    pub fn export_context(&self) -> ExportContext {
        ExportContext {
            id: self.settings.id.clone(),
            deadline: Some(Instant::now() + self.deadline),
        }
    }

    /// Exports `batch` the way the collector's host does, with the same code: an export still
    /// running at the deadline is dropped there and answers [`ExportOutcome::Retryable`]
    /// (`export timed out after ...`), a panic answers [`ExportOutcome::Permanent`]
    /// (`rust exporter panicked: ...`) and the exporter stays usable. Unlike the collector,
    /// it sends any signal: the collector never gives an exporter a batch of a signal its
    /// factory does not declare. Call it from several tasks at once to test concurrent exports.
    pub async fn export<E: Exporter>(&self, exporter: &E, batch: Batch<'_>) -> ExportOutcome {
        let ctx = self.export_context();
        let export = Box::pin(exporter.export(batch, &ctx));
        guarded_export(export, &ctx, std::future::pending())
            .await
            .into_outcome()
    }

    /// Shuts `exporter` down, cut off at the context's deadline like
    /// [`TestHost::start_exporter`].
    pub async fn shutdown_exporter<E: Exporter>(&self, exporter: &mut E) -> Result<(), Error> {
        let ctx = self.context();
        within_deadline(self.deadline, exporter.shutdown(&ctx)).await
    }

    /// Creates a receiver as the collector does, like [`TestHost::exporter`] for an exporter:
    /// `config_json` (the receiver's keys, `{}` for none) decoded over the defaults,
    /// validated, then [`ReceiverFactory::create`].
    pub fn receiver<F: ReceiverFactory>(
        &self,
        factory: &F,
        config_json: &str,
    ) -> Result<F::Receiver, Error> {
        self.check_type(F::TYPE)?;
        factory.create(&self.settings, decode_config(config_json)?)
    }

    /// Starts `receiver` with this host as if it were in a pipeline of each of `signals`,
    /// cut off at the context's deadline ([`Error::DeadlineExceeded`]). Answers the pipelines:
    /// they record every payload the receiver sends and answer `Ok` until
    /// [`TestConsumers::set_outcome`] says otherwise. (The collector only gives a receiver
    /// signals its factory declares; this host gives what the test asks.)
    pub async fn start_receiver<R: Receiver>(
        &self,
        receiver: &mut R,
        signals: &[Signal],
    ) -> Result<TestConsumers, Error> {
        let pipeline = TestConsumers::new();
        self.pipelines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(pipeline.clone());
        let ctx = self.context();
        let consumers = pipeline.consumers(signals);
        within_deadline(self.deadline, receiver.start(&ctx, &self.host, consumers)).await?;
        Ok(pipeline)
    }

    /// Shuts `receiver` down as the collector's host does: [`Receiver::shutdown`] cut off at
    /// the context's deadline, then the pipelines are closed (a send answers retryable
    /// `receiver is shut down` and is not recorded) and the deliveries in flight (a
    /// [`TestConsumers::set_delay`] not over) are waited for until the same deadline
    /// ([`Error::DeadlineExceeded`] when they outlast it).
    pub async fn shutdown_receiver<R: Receiver>(&self, receiver: &mut R) -> Result<(), Error> {
        let ctx = self.context();
        let stopped = within_deadline(self.deadline, receiver.shutdown(&ctx)).await;
        let pipelines = std::mem::take(
            &mut *self
                .pipelines
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let left = ctx.remaining().unwrap_or(Duration::ZERO);
        for pipeline in pipelines {
            pipeline.close();
            if pipeline.wait_idle(left).await.is_err() {
                return Err(Error::DeadlineExceeded(self.deadline));
            }
        }
        stopped
    }

    /// Every status the instance reported so far, in order ([`Host::report_fatal`] included).
    pub fn statuses(&self) -> Vec<Status> {
        self.reports.borrow().clone()
    }

    /// Waits until the instance has reported a status that `matches` accepts (reports made
    /// before the call count too) and answers the first such one; after `timeout`, an error
    /// listing every report.
    pub async fn wait_for(
        &self,
        mut matches: impl FnMut(&Status) -> bool,
        timeout: Duration,
    ) -> Result<Status, WaitError> {
        let mut reports = self.reports.subscribe();
        let mut found = None;
        // Sender held by `self`: the wait ends by a match or the timeout, never by a close.
        let _ = tokio::time::timeout(
            timeout,
            reports.wait_for(|reports| {
                found = reports.iter().find(|status| matches(status)).cloned();
                found.is_some()
            }),
        )
        .await;
        found.ok_or_else(|| WaitError::NoMatchingStatus {
            waited: timeout,
            reported: self.statuses(),
        })
    }

    /// How many tasks the instance spawned with [`Host::spawn`] are still running.
    pub fn running_tasks(&self) -> usize {
        self.host.tasks.running()
    }

    /// Waits until every task the instance spawned with [`Host::spawn`] has ended and been
    /// dropped (with what it owned: a listening socket is closed); after `timeout`, an error
    /// saying how many are left. Call it after [`TestHost::shutdown`] to check that shutdown
    /// stops what start spawned.
    pub async fn wait_tasks_ended(&self, timeout: Duration) -> Result<(), WaitError> {
        tokio::time::timeout(timeout, self.host.tasks.all_ended())
            .await
            .map_err(|_| WaitError::TasksRunning {
                waited: timeout,
                running: self.running_tasks(),
            })
    }
}

/// Plays the pipelines a receiver sends to: records every payload that reaches them and
/// answers the outcome the test chose, after an optional delay. Cloning it gives another
/// handle on the same record. [`TestHost::start_receiver`] makes one; make one with
/// [`TestConsumers::new`] to call [`Receiver::start`] yourself.
#[derive(Clone, Debug, Default)]
pub struct TestConsumers(Arc<Pipeline>);

#[derive(Debug, Default)]
struct Pipeline {
    // Shared with the deliveries in flight, which count themselves out when they end.
    state: Arc<watch::Sender<PipelineState>>,
}

#[derive(Debug)]
struct PipelineState {
    received: Vec<(Signal, Payload)>,
    outcome: Result<(), ConsumeError>,
    delay: Duration,
    /// Deliveries that passed the closed check and have not answered (nor been dropped).
    in_flight: usize,
    closed: bool,
}

impl Default for PipelineState {
    fn default() -> Self {
        Self {
            received: Vec::new(),
            outcome: Ok(()),
            delay: Duration::ZERO,
            in_flight: 0,
            closed: false,
        }
    }
}

impl TestConsumers {
    /// Open pipelines answering `Ok` at once, with nothing received yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The consumers of `signals` that deliver here, as [`Receiver::start`] takes them.
    pub fn consumers(&self, signals: &[Signal]) -> Consumers {
        let consumer = |signal| {
            signals
                .contains(&signal)
                .then(|| Consumer::new(signal, Arc::clone(&self.0) as Arc<dyn Deliver>))
        };
        Consumers::new(
            consumer(Signal::Traces),
            consumer(Signal::Metrics),
            consumer(Signal::Logs),
        )
    }

    /// What every later delivery answers (`Ok` until set): the pipeline refusing, as the
    /// collector's would with [`ConsumeError::retryable`] (memory limiter, full queue),
    /// [`ConsumeError::permanent`] or [`ConsumeError::malformed`] (bytes it cannot decode).
    /// Payloads are recorded whatever the outcome.
    pub fn set_outcome(&self, outcome: Result<(), ConsumeError>) {
        self.0.state.send_modify(|state| state.outcome = outcome);
    }

    /// Makes every later delivery take `delay` before it answers (a slow pipeline), to test
    /// back-pressure and what shutdown does with sends in flight.
    pub fn set_delay(&self, delay: Duration) {
        self.0.state.send_modify(|state| state.delay = delay);
    }

    /// Every payload delivered so far, in order, with its signal.
    pub fn received(&self) -> Vec<(Signal, Payload)> {
        self.0.state.borrow().received.clone()
    }

    /// How many deliveries are in flight (received, not answered yet).
    pub fn in_flight(&self) -> usize {
        self.0.state.borrow().in_flight
    }

    /// Waits until at least `count` payloads have been delivered (earlier ones count) and
    /// answers them all; after `timeout`, an error saying how many came.
    pub async fn wait_for_received(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<(Signal, Payload)>, WaitError> {
        let mut state = self.0.state.subscribe();
        // The sender lives in `self`: the wait ends by a match or the timeout.
        let _ = tokio::time::timeout(
            timeout,
            state.wait_for(|state| state.received.len() >= count),
        )
        .await;
        let received = self.received();
        if received.len() >= count {
            Ok(received)
        } else {
            Err(WaitError::TooFewReceived {
                waited: timeout,
                wanted: count,
                received: received.len(),
            })
        }
    }

    /// Refuses every later delivery (retryable `receiver is shut down`), as the collector's
    /// host does once a receiver is shut down.
    fn close(&self) {
        self.0.state.send_modify(|state| state.closed = true);
    }

    /// Waits until no delivery is in flight.
    async fn wait_idle(&self, timeout: Duration) -> Result<(), WaitError> {
        let mut state = self.0.state.subscribe();
        let _ = tokio::time::timeout(timeout, state.wait_for(|state| state.in_flight == 0)).await;
        match self.in_flight() {
            0 => Ok(()),
            in_flight => Err(WaitError::DeliveriesInFlight {
                waited: timeout,
                in_flight,
            }),
        }
    }
}

/// Counts a delivery in flight until it answers or its future is dropped.
struct InFlight(Arc<watch::Sender<PipelineState>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|state| state.in_flight -= 1);
    }
}

impl Deliver for Pipeline {
    fn deliver(
        &self,
        signal: Signal,
        payload: Payload,
    ) -> BoxFuture<'static, Result<(), ConsumeError>> {
        // Admitted or refused at once, under the state's lock, so a shutdown that closed the
        // pipeline and saw nothing in flight cannot be followed by a delivery.
        let mut admitted = None;
        self.state.send_if_modified(|state| {
            if state.closed {
                return false;
            }
            state.in_flight += 1;
            state.received.push((signal, payload));
            admitted = Some((state.outcome.clone(), state.delay));
            true
        });
        let Some((outcome, delay)) = admitted else {
            return Box::pin(async { Err(ConsumeError::retryable("receiver is shut down")) });
        };
        let in_flight = InFlight(Arc::clone(&self.state));
        Box::pin(async move {
            let _in_flight = in_flight;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            outcome
        })
    }
}

/// Runs a lifecycle call until its deadline, as the library does.
async fn within_deadline(
    deadline: Duration,
    call: impl Future<Output = Result<(), Error>>,
) -> Result<(), Error> {
    tokio::time::timeout(deadline, call)
        .await
        .unwrap_or(Err(Error::DeadlineExceeded(deadline)))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use tokio::sync::oneshot;

    use super::*;
    use crate::Config;

    #[derive(Default, Serialize, Deserialize)]
    #[serde(default)]
    struct ProbeConfig {
        /// Report these statuses from a spawned task, in order.
        report: Vec<String>,
        /// Keep the spawned task running after shutdown.
        leak_task: bool,
        /// Never finish start.
        hang: bool,
        /// Panic in the spawned task.
        panic: bool,
    }

    impl Config for ProbeConfig {
        fn validate(&self) -> Result<(), Error> {
            Ok(())
        }
    }

    struct Probe {
        config: ProbeConfig,
        stop: Option<oneshot::Sender<()>>,
        id: Option<String>,
    }

    impl Extension for Probe {
        async fn start(&mut self, ctx: &LifecycleContext, host: &Host) -> Result<(), Error> {
            self.id = Some(ctx.id.to_string());
            if self.config.hang {
                std::future::pending::<()>().await;
            }
            let (stop, stopped) = oneshot::channel::<()>();
            self.stop = Some(stop);
            let reports = std::mem::take(&mut self.config.report);
            let (reporter, panic) = (host.clone(), self.config.panic);
            host.spawn(async move {
                // A task that yields before it reports: the test's waits must let it run.
                tokio::task::yield_now().await;
                for report in reports {
                    reporter.report_status(match report.as_str() {
                        "ok" => Status::Ok,
                        other => Status::RecoverableError(other.to_owned()),
                    });
                }
                assert!(!panic, "probe panics");
                let _ = stopped.await;
            });
            Ok(())
        }

        async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
            // Dropping the sender ends the task; keeping it leaks the task.
            if !self.config.leak_task {
                self.stop = None;
            }
            Ok(())
        }
    }

    struct ProbeFactory;

    impl ExtensionFactory for ProbeFactory {
        const TYPE: &'static str = "probe";
        type Config = ProbeConfig;
        type Extension = Probe;

        fn create(&self, _: &CreateSettings, config: ProbeConfig) -> Result<Probe, Error> {
            Ok(Probe {
                config,
                stop: None,
                id: None,
            })
        }
    }

    /// Guarantees: on `#[tokio::test]`'s default one-thread runtime, a task spawned with
    /// `Host::spawn` runs while the test waits; `wait_for` answers the first matching report,
    /// also one made before it was called; `statuses` lists every report in order; after
    /// shutdown stopped the task, `wait_tasks_ended` sees none left.
    #[tokio::test]
    async fn reports_reach_the_test_and_tasks_end() {
        let host = TestHost::new("probe/one");
        let mut probe = host
            .create(&ProbeFactory, r#"{"report":["slow","ok"]}"#)
            .expect("valid");
        host.start(&mut probe).await.expect("starts");
        assert_eq!(probe.id.as_deref(), Some("probe/one"));
        assert_eq!(host.running_tasks(), 1);
        let ok = host.wait_for(|status| *status == Status::Ok, Duration::from_secs(5));
        assert_eq!(ok.await, Ok(Status::Ok));
        let slow = host.wait_for(
            |status| matches!(status, Status::RecoverableError(_)),
            Duration::from_secs(5),
        );
        assert_eq!(slow.await, Ok(Status::RecoverableError("slow".to_owned())));
        assert_eq!(
            host.statuses(),
            [Status::RecoverableError("slow".to_owned()), Status::Ok]
        );
        host.shutdown(&mut probe).await.expect("stops");
        assert_eq!(host.wait_tasks_ended(Duration::from_secs(5)).await, Ok(()));
        assert_eq!(host.running_tasks(), 0);
    }

    /// Guarantees: the same on a multi-thread runtime.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn works_on_a_multi_thread_runtime() {
        let host = TestHost::new("probe");
        let mut probe = host
            .create(&ProbeFactory, r#"{"report":["ok"]}"#)
            .expect("valid");
        host.start(&mut probe).await.expect("starts");
        let ok = host.wait_for(|status| *status == Status::Ok, Duration::from_secs(5));
        assert_eq!(ok.await, Ok(Status::Ok));
        host.shutdown(&mut probe).await.expect("stops");
        assert_eq!(host.wait_tasks_ended(Duration::from_secs(5)).await, Ok(()));
    }

    /// Guarantees: a wait that times out says so and lists what was reported; a task that
    /// shutdown left running is reported as such (the test host aborts nothing).
    #[tokio::test]
    async fn timeouts_say_what_was_seen() {
        let host = TestHost::new("probe");
        let mut probe = host
            .create(&ProbeFactory, r#"{"report":["slow"],"leak_task":true}"#)
            .expect("valid");
        host.start(&mut probe).await.expect("starts");
        let waited = Duration::from_millis(50);
        let err = host
            .wait_for(|status| *status == Status::Ok, waited)
            .await
            .expect_err("never ok");
        assert_eq!(
            err.to_string(),
            "no status report matched within 50ms; reported: [RecoverableError(\"slow\")]"
        );
        host.shutdown(&mut probe).await.expect("stops");
        let err = host.wait_tasks_ended(waited).await.expect_err("leaked");
        assert_eq!(
            err.to_string(),
            "1 spawned task(s) still running after 50ms"
        );
    }

    /// Guarantees: a panic in a spawned task reaches the test as the fatal error the collector
    /// would get, and the task counts as ended.
    #[tokio::test]
    async fn a_panicking_task_is_a_fatal_error() {
        let host = TestHost::new("probe");
        let mut probe = host
            .create(&ProbeFactory, r#"{"panic":true}"#)
            .expect("valid");
        host.start(&mut probe).await.expect("starts");
        let fatal = host.wait_for(
            |status| matches!(status, Status::FatalError(_)),
            Duration::from_secs(5),
        );
        assert_eq!(
            fatal.await,
            Ok(Status::FatalError(
                "background task panicked: probe panics".to_owned()
            ))
        );
        assert_eq!(host.wait_tasks_ended(Duration::from_secs(5)).await, Ok(()));
    }

    /// Guarantees: a host whose id is of another type than the factory's refuses to create
    /// (the collector never hands a factory another type's id), naming both.
    #[test]
    fn the_id_must_be_of_the_factorys_type() {
        let host = TestHost::new("prob/one");
        let err = host.create(&ProbeFactory, "{}").err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("component id \"prob/one\" is not of the factory's type \"probe\"")
        );
    }

    /// Guarantees: the config is decoded over the defaults and checked as in the collector;
    /// a start that never finishes is cut off at the deadline.
    #[tokio::test]
    async fn configs_are_checked_and_start_is_bounded() {
        let host = TestHost::new("probe").with_deadline(Duration::from_millis(50));
        let err = host
            .create(&ProbeFactory, r#"{"reprot":[]}"#)
            .err()
            .map(|err| err.to_string());
        assert_eq!(err.as_deref(), Some("reprot: unknown configuration key"));
        let mut probe = host
            .create(&ProbeFactory, r#"{"hang":true}"#)
            .expect("valid");
        assert_eq!(
            host.start(&mut probe).await,
            Err(Error::DeadlineExceeded(Duration::from_millis(50)))
        );
    }

    #[derive(Default, Serialize, Deserialize)]
    #[serde(default)]
    struct SinkConfig {
        /// What every export does: "ok", "panic", "hang" or "refuse".
        behaviour: String,
    }

    impl Config for SinkConfig {
        fn validate(&self) -> Result<(), Error> {
            match self.behaviour.as_str() {
                "" | "ok" | "panic" | "hang" | "refuse" => Ok(()),
                _ => Err(Error::invalid_field("behaviour", "unknown behaviour")),
            }
        }
    }

    struct Sink {
        config: SinkConfig,
        started: bool,
        items: std::sync::atomic::AtomicU64,
    }

    impl Exporter for Sink {
        async fn start(&mut self, _: &LifecycleContext, _: &Host) -> Result<(), Error> {
            self.started = true;
            Ok(())
        }

        // The elided form of the signature is accepted too.
        async fn export(&self, batch: Batch<'_>, ctx: &ExportContext) -> ExportOutcome {
            assert!(self.started, "export before start");
            assert!(ctx.remaining().is_some());
            // A yield, so the hosts' polling across a pending point is exercised.
            tokio::task::yield_now().await;
            match self.config.behaviour.as_str() {
                "panic" => panic!("sink panics"),
                "hang" => std::future::pending().await,
                "refuse" => ExportOutcome::partial(batch.items(), "refused"),
                _ => {
                    self.items
                        .fetch_add(batch.items(), std::sync::atomic::Ordering::Relaxed);
                    ExportOutcome::Ok
                }
            }
        }
    }

    struct SinkFactory;

    impl ExporterFactory for SinkFactory {
        const TYPE: &'static str = "sink";
        const SIGNALS: &'static [crate::Signal] = &[crate::Signal::Logs];
        type Config = SinkConfig;
        type Exporter = Sink;

        fn create(&self, _: &CreateSettings, config: SinkConfig) -> Result<Sink, Error> {
            Ok(Sink {
                config,
                started: false,
                items: std::sync::atomic::AtomicU64::new(0),
            })
        }
    }

    fn logs(items: u64) -> Batch<'static> {
        Batch::new(crate::Signal::Logs, &[], items)
    }

    /// Guarantees: an exporter is created from its keys over the defaults (unknown keys and
    /// invalid values refused, an id of another type refused), started, given batches from
    /// several tasks at once and shut down.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn exporters_are_created_started_fed_and_shut_down() {
        let host = TestHost::new("sink/one");
        let err = host.exporter(&SinkFactory, r#"{"behavior":"ok"}"#).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("behavior: unknown configuration key")
        );
        let err = host.exporter(&SinkFactory, r#"{"behaviour":"odd"}"#).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("behaviour: unknown behaviour")
        );
        let err = TestHost::new("sunk").exporter(&SinkFactory, "{}").err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("component id \"sunk\" is not of the factory's type \"sink\"")
        );

        let mut sink = host.exporter(&SinkFactory, "{}").expect("valid");
        host.start_exporter(&mut sink).await.expect("starts");
        let sink = Arc::new(sink);
        let host = Arc::new(host);
        let mut exports = tokio::task::JoinSet::new();
        for n in 1..=8 {
            let (sink, host) = (Arc::clone(&sink), Arc::clone(&host));
            exports.spawn(async move { host.export(&*sink, logs(n)).await });
        }
        while let Some(outcome) = exports.join_next().await {
            assert_eq!(outcome.ok(), Some(ExportOutcome::Ok));
        }
        assert_eq!(sink.items.load(std::sync::atomic::Ordering::Relaxed), 36);
        let mut sink = Arc::into_inner(sink).expect("exports ended");
        host.shutdown_exporter(&mut sink).await.expect("stops");
    }

    /// Guarantees: `TestHost::export` answers as the collector's host does: the component's
    /// outcome, Permanent for a panic (and the exporter still serves the next batch),
    /// Retryable for an export cut off at the deadline.
    #[tokio::test]
    async fn exports_are_guarded_as_in_the_collector() {
        let host = TestHost::new("sink").with_deadline(Duration::from_millis(50));
        let refusing = host
            .exporter(&SinkFactory, r#"{"behaviour":"refuse"}"#)
            .expect("valid");
        let mut refusing = refusing;
        host.start_exporter(&mut refusing).await.expect("starts");
        assert_eq!(
            host.export(&refusing, logs(3)).await,
            ExportOutcome::partial(3, "refused")
        );

        let mut panicking = host
            .exporter(&SinkFactory, r#"{"behaviour":"panic"}"#)
            .expect("valid");
        host.start_exporter(&mut panicking).await.expect("starts");
        for _ in 0..2 {
            assert_eq!(
                host.export(&panicking, logs(1)).await,
                ExportOutcome::permanent("rust exporter panicked: sink panics")
            );
        }

        let mut hanging = host
            .exporter(&SinkFactory, r#"{"behaviour":"hang"}"#)
            .expect("valid");
        host.start_exporter(&mut hanging).await.expect("starts");
        assert_eq!(
            host.export(&hanging, logs(1)).await,
            ExportOutcome::retryable("export timed out after 50ms")
        );
        host.shutdown_exporter(&mut hanging).await.expect("stops");
    }

    #[derive(Default, Serialize, Deserialize)]
    #[serde(default)]
    struct AnswerConfig {
        /// `unchanged`, `keep_one` (one keep flag whatever the batch), `edit` (set_str in map
        /// `map`), `reencode` (the decoded batch), `garbage` (a replacement that does not
        /// decode), `panic` or `fail`.
        answer: String,
        map: u32,
    }

    impl Config for AnswerConfig {
        fn validate(&self) -> Result<(), Error> {
            Ok(())
        }
    }

    /// Answers as configured, and records whether it was started.
    struct Answerer {
        config: AnswerConfig,
        started: bool,
    }

    impl Processor for Answerer {
        async fn start(&mut self, _: &LifecycleContext, _: &Host) -> Result<(), Error> {
            self.started = true;
            Ok(())
        }

        fn process(
            &self,
            batch: &ProcessBatch<'_>,
            ctx: &ProcessContext,
        ) -> Result<Processed, ProcessError> {
            assert!(self.started, "processing before start");
            Ok(match self.config.answer.as_str() {
                "keep_one" => Processed::Keep(vec![false]),
                "edit" => {
                    let mut edits = crate::Edits::new();
                    edits.set_str(self.config.map, "by", ctx.id.to_string());
                    Processed::Edits(edits)
                }
                "reencode" => Processed::Replace(crate::Replacement::Logs(
                    batch
                        .logs()
                        .map_err(|err| ProcessError::permanent(err.to_string()))?
                        .clone(),
                )),
                "garbage" => Processed::Replace(crate::Replacement::Encoded(vec![0x0a, 0x05])),
                "panic" => panic!("answerer panics"),
                "fail" => return Err(ProcessError::retryable("answerer fails")),
                _ => Processed::Unchanged,
            })
        }
    }

    struct AnswererFactory;

    impl ProcessorFactory for AnswererFactory {
        const TYPE: &'static str = "answerer";
        const SIGNALS: &'static [crate::Signal] = &[crate::Signal::Logs];
        type Config = AnswerConfig;
        type Processor = Answerer;

        fn create(&self, _: &CreateSettings, config: AnswerConfig) -> Result<Answerer, Error> {
            Ok(Answerer {
                config,
                started: false,
            })
        }
    }

    /// Scenario: processors of every answer, on a logs batch of 2 records in 1 resource and 1
    /// scope (maps 0 to 3).
    /// Guarantees: `TestHost::process` answers as the collector would: the processor's answer
    /// (with its id in the context), its error, a panic as a permanent error (and the
    /// processor serves the next batch), and an answer the collector cannot use (keep flags
    /// of another length, an edit past the last map, a replacement that does not decode) as
    /// a permanent error; an id of another type is refused.
    #[tokio::test]
    async fn processors_are_guarded_as_in_the_collector() {
        use crate::proto::collector::logs::v1::ExportLogsServiceRequest;
        use crate::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
        use prost::Message;

        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord::default(); 2],
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        };
        let bytes = request.encode_to_vec();
        let batch = ProcessBatch::new(crate::Signal::Logs, &bytes, 2);
        let host = TestHost::new("answerer/one");
        let err = TestHost::new("other")
            .processor(&AnswererFactory, "{}")
            .err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("component id \"other\" is not of the factory's type \"answerer\"")
        );
        let host = &host;
        let processor = |config: &'static str| async move {
            let mut processor = host.processor(&AnswererFactory, config).expect("valid");
            host.start_processor(&mut processor).await.expect("starts");
            processor
        };

        let unchanged = processor("{}").await;
        assert_eq!(host.process(&unchanged, &batch), Ok(Processed::Unchanged));
        let mut edit = processor(r#"{"answer":"edit","map":3}"#).await;
        let mut want = crate::Edits::new();
        want.set_str(3, "by", "answerer/one");
        assert_eq!(host.process(&edit, &batch), Ok(Processed::Edits(want)));
        let reencode = processor(r#"{"answer":"reencode"}"#).await;
        assert_eq!(
            host.process(&reencode, &batch),
            Ok(Processed::Replace(crate::Replacement::Logs(request)))
        );
        let fail = processor(r#"{"answer":"fail"}"#).await;
        assert_eq!(
            host.process(&fail, &batch),
            Err(ProcessError::retryable("answerer fails"))
        );
        let panics = processor(r#"{"answer":"panic"}"#).await;
        for _ in 0..2 {
            assert_eq!(
                host.process(&panics, &batch),
                Err(ProcessError::permanent(
                    "rust processor panicked: answerer panics"
                ))
            );
        }

        let (processor, batch) = (&processor, &batch);
        let refused = |config: &'static str| async move {
            let processor = processor(config).await;
            host.process(&processor, batch)
                .err()
                .map(|err| (err.is_retryable(), err.reason().to_owned()))
        };
        assert_eq!(
            refused(r#"{"answer":"keep_one"}"#).await,
            Some((
                false,
                "the processor answered 1 keep flags for a batch of 2 items".to_owned()
            ))
        );
        assert_eq!(
            refused(r#"{"answer":"edit","map":4}"#).await,
            Some((
                false,
                "an edit names attribute map 4, but the batch has 4".to_owned()
            ))
        );
        let garbage = refused(r#"{"answer":"garbage"}"#).await;
        assert!(
            garbage
                .as_ref()
                .is_some_and(|(retryable, reason)| !retryable
                    && reason.starts_with("the replacement is not a logs export request")),
            "{garbage:?}"
        );
        host.shutdown_processor(&mut edit).await.expect("stops");
    }

    #[derive(Default, Serialize, Deserialize)]
    #[serde(default)]
    struct RelayConfig {
        /// Refuse to start.
        fail: bool,
    }

    impl Config for RelayConfig {
        fn validate(&self) -> Result<(), Error> {
            Ok(())
        }
    }

    /// Hands the consumers it is started with to the test, which sends through them.
    struct Relay {
        config: RelayConfig,
        started: Option<oneshot::Sender<Consumers>>,
        stopped: bool,
    }

    impl Receiver for Relay {
        async fn start(
            &mut self,
            _: &LifecycleContext,
            _: &Host,
            consumers: Consumers,
        ) -> Result<(), Error> {
            if self.config.fail {
                return Err(Error::lifecycle("port in use"));
            }
            if let Some(started) = self.started.take() {
                let _ = started.send(consumers);
            }
            Ok(())
        }

        async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
            self.stopped = true;
            Ok(())
        }
    }

    struct RelayFactory;

    impl ReceiverFactory for RelayFactory {
        const TYPE: &'static str = "relay";
        const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];
        type Config = RelayConfig;
        type Receiver = Relay;

        fn create(&self, _: &CreateSettings, config: RelayConfig) -> Result<Relay, Error> {
            Ok(Relay {
                config,
                started: None,
                stopped: false,
            })
        }
    }

    /// A started relay and the consumers it was given.
    async fn started_relay(
        host: &TestHost,
        signals: &[Signal],
    ) -> (Relay, TestConsumers, Consumers) {
        let mut relay = host.receiver(&RelayFactory, "{}").expect("valid");
        let (started, consumers) = oneshot::channel();
        relay.started = Some(started);
        let pipeline = host
            .start_receiver(&mut relay, signals)
            .await
            .expect("starts");
        (relay, pipeline, consumers.await.expect("started"))
    }

    /// Guarantees: a receiver is created from its keys (unknown keys and an id of another
    /// type refused) and started with a consumer for each signal asked and no other; what it
    /// sends is recorded in order with its signal and encoding and answered with the outcome
    /// the test set; a failing start is the receiver's error.
    #[tokio::test]
    async fn receivers_send_to_the_test_pipelines() {
        let host = TestHost::new("relay/one");
        let err = host.receiver(&RelayFactory, r#"{"fial":true}"#).err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("fial: unknown configuration key")
        );
        let err = TestHost::new("relax").receiver(&RelayFactory, "{}").err();
        assert!(matches!(err, Some(Error::TypeMismatch { .. })));
        let mut failing = host
            .receiver(&RelayFactory, r#"{"fail":true}"#)
            .expect("valid");
        let refused = host.start_receiver(&mut failing, &[Signal::Logs]).await;
        assert_eq!(refused.err(), Some(Error::lifecycle("port in use")));

        let (mut relay, pipeline, consumers) =
            started_relay(&host, &[Signal::Logs, Signal::Traces]).await;
        assert_eq!(
            consumers.signals().collect::<Vec<_>>(),
            [Signal::Traces, Signal::Logs]
        );
        let (traces, logs) = (
            consumers.traces().expect("asked"),
            consumers.logs().expect("asked"),
        );
        assert_eq!(logs.send(Payload::json(b"{}".to_vec())).await, Ok(()));
        let busy = ConsumeError::retryable("busy").with_retry_after(Duration::from_secs(2));
        pipeline.set_outcome(Err(busy.clone()));
        assert_eq!(traces.send(Payload::protobuf(vec![10, 0])).await, Err(busy));
        pipeline.set_outcome(Ok(()));
        assert_eq!(logs.send(Payload::protobuf(Vec::new())).await, Ok(()));
        assert_eq!(
            pipeline.received(),
            [
                (Signal::Logs, Payload::json(b"{}".to_vec())),
                (Signal::Traces, Payload::protobuf(vec![10, 0])),
                (Signal::Logs, Payload::protobuf(Vec::new())),
            ]
        );
        assert_eq!(
            pipeline
                .wait_for_received(3, Duration::from_secs(5))
                .await
                .map(|received| received.len()),
            Ok(3)
        );
        let err = pipeline
            .wait_for_received(4, Duration::from_millis(20))
            .await
            .err()
            .map(|err| err.to_string());
        assert_eq!(
            err.as_deref(),
            Some("3 payload(s) received within 20ms, waited for 4")
        );
        host.shutdown_receiver(&mut relay).await.expect("stops");
        assert!(relay.stopped);
    }

    /// Guarantees: shutting a receiver down waits for the deliveries in flight (they answer
    /// their outcome), then refuses every later send with retryable `receiver is shut down`
    /// without recording it; deliveries that outlast the deadline make shutdown answer
    /// `DeadlineExceeded`.
    #[tokio::test]
    async fn shutdown_waits_for_deliveries_then_refuses_sends() {
        let host = TestHost::new("relay");
        let (mut relay, pipeline, consumers) = started_relay(&host, &[Signal::Metrics]).await;
        let metrics = consumers.metrics().expect("asked").clone();
        pipeline.set_delay(Duration::from_millis(50));
        let (sent, in_flight) = oneshot::channel();
        let slow = tokio::spawn(async move {
            let answer = metrics.send(Payload::protobuf(vec![1]));
            tokio::pin!(answer);
            // Polled once, so it is delivered (in flight) before the test shuts down.
            assert!(futures_poll_once(answer.as_mut()).await.is_none());
            let _ = sent.send(());
            answer.await
        });
        in_flight.await.expect("delivered");
        assert_eq!(pipeline.in_flight(), 1);
        host.shutdown_receiver(&mut relay).await.expect("stops");
        // The delivery in flight answered before shutdown did.
        assert!(slow.is_finished());
        assert_eq!(slow.await.ok(), Some(Ok(())));

        let metrics = consumers.metrics().expect("asked");
        assert_eq!(
            metrics.send(Payload::protobuf(vec![2])).await,
            Err(ConsumeError::retryable("receiver is shut down"))
        );
        assert_eq!(
            pipeline.received(),
            [(Signal::Metrics, Payload::protobuf(vec![1]))]
        );

        let host = TestHost::new("relay").with_deadline(Duration::from_millis(30));
        let (mut relay, pipeline, consumers) = started_relay(&host, &[Signal::Logs]).await;
        pipeline.set_delay(Duration::from_secs(3600));
        let logs = consumers.logs().expect("asked").clone();
        let (sent, in_flight) = oneshot::channel();
        let stuck = tokio::spawn(async move {
            let answer = logs.send(Payload::protobuf(vec![1]));
            tokio::pin!(answer);
            assert!(futures_poll_once(answer.as_mut()).await.is_none());
            let _ = sent.send(());
            answer.await
        });
        in_flight.await.expect("delivered");
        assert_eq!(
            host.shutdown_receiver(&mut relay).await,
            Err(Error::DeadlineExceeded(Duration::from_millis(30)))
        );
        stuck.abort();
        // A dropped send counts itself out.
        let _ = stuck.await;
        assert_eq!(pipeline.in_flight(), 0);
    }

    /// Polls `future` once: its answer if it was ready.
    async fn futures_poll_once<F: Future + Unpin>(mut future: F) -> Option<F::Output> {
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut future).poll(cx) {
                std::task::Poll::Ready(out) => Some(out),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
