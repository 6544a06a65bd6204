//! What a receiver author implements: a factory and a receiver that brings telemetry into the
//! collector's pipelines. At start a receiver gets a [`Consumer`] per signal that has a
//! pipeline ([`Consumers`]); [`Consumer::send`] hands one OTLP export request (protobuf or
//! OTLP/JSON bytes, or a message encoded with [`Consumer::send_traces`] and the others) to the
//! pipeline and resolves to its outcome: accepted, or a [`ConsumeError`] saying whether the
//! client should retry. `rust/components/rust_otlphttp` has a real one (OTLP/HTTP).
//!
//! A minimal receiver, sending one log record per tick into the logs pipelines (this example
//! is compiled and run with the SDK's doc tests):
//!
//! ```
//! use std::time::Duration;
//!
//! use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
//! use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
//! use otelcol_rust_sdk::{
//!     Config, Consumers, CreateSettings, Error, Host, LifecycleContext, Receiver,
//!     ReceiverFactory, Signal,
//! };
//! use serde::{Deserialize, Serialize};
//! use tokio::task::AbortHandle;
//!
//! #[derive(Serialize, Deserialize)]
//! #[serde(default)]
//! pub struct TickConfig {
//!     #[serde(with = "otelcol_rust_sdk::duration")]
//!     pub interval: Duration,
//! }
//!
//! impl Default for TickConfig {
//!     fn default() -> Self {
//!         Self { interval: Duration::from_secs(1) }
//!     }
//! }
//!
//! impl Config for TickConfig {
//!     fn validate(&self) -> Result<(), Error> {
//!         if self.interval.is_zero() {
//!             return Err(Error::invalid_field("interval", "must be greater than 0"));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! pub struct Ticker {
//!     config: TickConfig,
//!     task: Option<AbortHandle>,
//! }
//!
//! fn tick() -> ExportLogsServiceRequest {
//!     let record = LogRecord::default();
//!     ExportLogsServiceRequest {
//!         resource_logs: vec![ResourceLogs {
//!             scope_logs: vec![ScopeLogs {
//!                 log_records: vec![record],
//!                 ..ScopeLogs::default()
//!             }],
//!             ..ResourceLogs::default()
//!         }],
//!     }
//! }
//!
//! impl Receiver for Ticker {
//!     async fn start(
//!         &mut self,
//!         _ctx: &LifecycleContext,
//!         host: &Host,
//!         consumers: Consumers,
//!     ) -> Result<(), Error> {
//!         // The factory declares logs only, so this is the one consumer there can be.
//!         let Some(logs) = consumers.logs().cloned() else {
//!             return Ok(());
//!         };
//!         let interval = self.config.interval;
//!         self.task = Some(host.spawn(async move {
//!             let mut ticks = tokio::time::interval(interval);
//!             loop {
//!                 ticks.tick().await;
//!                 // Awaiting the outcome is the back-pressure: a slow pipeline slows the ticks.
//!                 if let Err(err) = logs.send_logs(&tick()).await {
//!                     // A receiver with a client tells it (retry, or give up); this one has
//!                     // none, so it only logs.
//!                     otelcol_rust_sdk::tracing::warn!(%err, retryable = err.is_retryable(), "tick refused");
//!                 }
//!             }
//!         }));
//!         Ok(())
//!     }
//!
//!     async fn shutdown(&mut self, _ctx: &LifecycleContext) -> Result<(), Error> {
//!         if let Some(task) = self.task.take() {
//!             task.abort();
//!         }
//!         Ok(())
//!     }
//! }
//!
//! pub struct TickFactory;
//!
//! impl ReceiverFactory for TickFactory {
//!     const TYPE: &'static str = "tick";
//!     const SIGNALS: &'static [Signal] = &[Signal::Logs];
//!     type Config = TickConfig;
//!     type Receiver = Ticker;
//!
//!     fn create(&self, _: &CreateSettings, config: TickConfig) -> Result<Ticker, Error> {
//!         Ok(Ticker { config, task: None })
//!     }
//! }
//!
//! otelcol_rust_sdk::register_receiver!(TickFactory);
//!
//! // Its unit test (in the component's crate: `#[tokio::test]` on it), with `TestHost` playing
//! // the pipeline: it records what the receiver sends and answers a chosen outcome.
//! use otelcol_rust_sdk::prost::Message;
//! use otelcol_rust_sdk::testing::TestHost;
//! use otelcol_rust_sdk::{ConsumeError, Encoding};
//!
//! async fn ticks_reach_the_pipeline() -> Result<(), Box<dyn std::error::Error>> {
//!     let host = TestHost::new("tick");
//!     let mut ticker = host.receiver(&TickFactory, r#"{"interval": "10ms"}"#)?;
//!     let pipeline = host.start_receiver(&mut ticker, &[Signal::Logs]).await?;
//!     let sent = pipeline.wait_for_received(2, Duration::from_secs(5)).await?;
//!     let (signal, payload) = &sent[0];
//!     assert_eq!((*signal, payload.encoding()), (Signal::Logs, Encoding::Protobuf));
//!     assert_eq!(ExportLogsServiceRequest::decode(payload.bytes())?, tick());
//!     // A refusing pipeline: the receiver sees the error (and here only logs it).
//!     pipeline.set_outcome(Err(ConsumeError::retryable("memory limit reached")));
//!     host.shutdown_receiver(&mut ticker).await?;
//!     host.wait_tasks_ended(Duration::from_secs(5)).await?;
//!     Ok(())
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! #     ticks_reach_the_pipeline().await
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use prost::Message;

use crate::proto::collector::logs::v1::ExportLogsServiceRequest;
use crate::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::proto::collector::trace::v1::ExportTraceServiceRequest;
use crate::registry::BoxFuture;
use crate::{Config, CreateSettings, Error, Host, LifecycleContext, Signal, Stability};

/// A running receiver instance.
///
/// Contract (kept by the host, so implementations need not guard against it): `start` is
/// called at most once; `shutdown` at most once and only after `start` was called (also when
/// `start` failed or ran out of time, so it must release whatever `start` took). Both run on a
/// task of the library's tokio runtime, and the host stops waiting at the context's deadline.
/// Listen, read or poll in tasks spawned with [`Host::spawn`] (a panic there is reported as a
/// fatal error of the component), each holding a clone of the [`Consumer`]s it sends to.
///
/// In the collector one instance serves every pipeline the receiver's id is in (as Go's
/// `otlpreceiver` does): its [`Consumers`] hold one consumer per signal with a pipeline.
pub trait Receiver: Send + 'static {
    /// Starts listening or reading, keeping `consumers` (clone a [`Consumer`] into each task
    /// that sends). An error fails the collector's start-up with this message.
    fn start(
        &mut self,
        ctx: &LifecycleContext,
        host: &Host,
        consumers: Consumers,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Stops accepting, finishes what is in flight (delivers it or refuses it to its client)
    /// and releases everything, within `ctx.deadline`. Does nothing by default.
    ///
    /// Once it returns (or runs out of time) the host closes the consumers: a send made
    /// after that answers [`ConsumeError`] retryable `receiver is shut down` without
    /// reaching the pipeline. Sends already handed to the pipeline are waited for, within
    /// the same deadline, before the collector is told the receiver stopped.
    fn shutdown(
        &mut self,
        ctx: &LifecycleContext,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }
}

/// Creates receivers of one type. Register an implementation with
/// [`register_receiver!`](crate::register_receiver).
pub trait ReceiverFactory: Send + Sync + 'static {
    /// The component type users write in the collector config, lower_snake_case. A receiver
    /// may share its type with a component of another kind (they are told apart by kind).
    const TYPE: &'static str;
    /// How mature the component is (see [`Stability`]).
    const STABILITY: Stability = Stability::Development;
    /// The pipelines the receiver can be in; at least one (checked with the registry).
    const SIGNALS: &'static [Signal];
    /// The `transport` the collector's receiver metrics and spans carry (`receiverhelper`'s):
    /// `http`, `grpc`, `file`... Empty by default.
    const TRANSPORT: &'static str = "";
    /// The configuration struct: the receiver's own keys.
    type Config: Config;
    /// The receiver this factory creates.
    type Receiver: Receiver;

    /// Creates an instance from an already validated config. Called by the collector's
    /// `Start`, right before [`Receiver::start`], once per component id (not per signal);
    /// keep it cheap and side-effect free. Declare the instance's instruments here, from
    /// `settings.meter`.
    fn create(
        &self,
        settings: &CreateSettings,
        config: Self::Config,
    ) -> Result<Self::Receiver, Error>;
}

/// The consumers a receiver sends to: one per signal that has a pipeline with this receiver
/// in it (a receiver in a traces and a logs pipeline gets two). Cheap to clone.
#[derive(Clone, Default)]
pub struct Consumers {
    traces: Option<Consumer>,
    metrics: Option<Consumer>,
    logs: Option<Consumer>,
}

impl Consumers {
    /// The consumers given, for the host: each must be of its slot's signal.
    #[doc(hidden)]
    pub fn new(
        traces: Option<Consumer>,
        metrics: Option<Consumer>,
        logs: Option<Consumer>,
    ) -> Self {
        Self {
            traces,
            metrics,
            logs,
        }
    }

    /// The consumer of `signal`, if a pipeline of that signal has this receiver.
    pub fn get(&self, signal: Signal) -> Option<&Consumer> {
        match signal {
            Signal::Traces => self.traces.as_ref(),
            Signal::Metrics => self.metrics.as_ref(),
            Signal::Logs => self.logs.as_ref(),
        }
    }

    /// The traces consumer, if a traces pipeline has this receiver.
    pub fn traces(&self) -> Option<&Consumer> {
        self.traces.as_ref()
    }

    /// The metrics consumer, if a metrics pipeline has this receiver.
    pub fn metrics(&self) -> Option<&Consumer> {
        self.metrics.as_ref()
    }

    /// The logs consumer, if a logs pipeline has this receiver.
    pub fn logs(&self) -> Option<&Consumer> {
        self.logs.as_ref()
    }

    /// The signals that have a consumer, in the order traces, metrics, logs.
    pub fn signals(&self) -> impl Iterator<Item = Signal> + '_ {
        [&self.traces, &self.metrics, &self.logs]
            .into_iter()
            .flatten()
            .map(Consumer::signal)
    }
}

impl fmt::Debug for Consumers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.signals()).finish()
    }
}

/// The pipelines of one signal, as a receiver sees them. Cheap to clone: clone it into every
/// task that sends.
#[derive(Clone)]
pub struct Consumer {
    signal: Signal,
    sink: Arc<dyn Deliver>,
}

impl Consumer {
    /// A consumer of `signal` delivering through `sink`, for the host and `testing::TestHost`.
    #[doc(hidden)]
    pub fn new(signal: Signal, sink: Arc<dyn Deliver>) -> Self {
        Self { signal, sink }
    }

    /// The signal this consumer takes.
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// Hands one OTLP export request of this consumer's signal
    /// (`Export{Trace,Metrics,Logs}ServiceRequest`, as protobuf or OTLP/JSON bytes) to the
    /// pipeline and resolves to its outcome. The collector decodes the bytes (as its
    /// `otlpreceiver` does): bytes it cannot decode answer [`ConsumeErrorKind::Malformed`].
    ///
    /// The send waits (asynchronously) for a delivery slot when every one is busy: that is
    /// the back-pressure, so bound how many sends a receiver has in flight. Dropping the
    /// future loses nothing of the receiver's memory, but a payload already handed to the
    /// pipeline may still be consumed: answer the client only what the outcome says.
    pub async fn send(&self, payload: Payload) -> Result<(), ConsumeError> {
        self.sink.deliver(self.signal, payload).await
    }

    /// Encodes `request` as protobuf and sends it ([`Consumer::send`]). On a consumer of
    /// another signal it answers [`ConsumeErrorKind::Malformed`] without sending.
    pub async fn send_traces(
        &self,
        request: &ExportTraceServiceRequest,
    ) -> Result<(), ConsumeError> {
        self.send_message(Signal::Traces, request).await
    }

    /// Encodes `request` as protobuf and sends it, like [`Consumer::send_traces`].
    pub async fn send_metrics(
        &self,
        request: &ExportMetricsServiceRequest,
    ) -> Result<(), ConsumeError> {
        self.send_message(Signal::Metrics, request).await
    }

    /// Encodes `request` as protobuf and sends it, like [`Consumer::send_traces`].
    pub async fn send_logs(&self, request: &ExportLogsServiceRequest) -> Result<(), ConsumeError> {
        self.send_message(Signal::Logs, request).await
    }

    async fn send_message(
        &self,
        signal: Signal,
        request: &impl Message,
    ) -> Result<(), ConsumeError> {
        if signal != self.signal {
            return Err(ConsumeError::malformed(format!(
                "a {signal} request sent to the {} consumer",
                self.signal
            )));
        }
        self.send(Payload::protobuf(request.encode_to_vec())).await
    }
}

impl fmt::Debug for Consumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("signal", &self.signal)
            .finish_non_exhaustive()
    }
}

/// How a payload's bytes encode the OTLP export request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Protobuf (`application/x-protobuf`), as prost encodes a message.
    Protobuf,
    /// OTLP/JSON (`application/json`), as the OTLP specification writes it.
    Json,
}

impl Encoding {
    /// The name the collector's receiver metrics give it (`format`): `protobuf` or `json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Protobuf => "protobuf",
            Self::Json => "json",
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One OTLP export request's bytes and their encoding, as a receiver sends it. The bytes are
/// passed to the pipeline as they are (the collector decodes them).
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    encoding: Encoding,
    bytes: Vec<u8>,
}

impl Payload {
    /// Protobuf bytes of an export request (what an OTLP client sent, or prost encoded).
    pub fn protobuf(bytes: Vec<u8>) -> Self {
        Self {
            encoding: Encoding::Protobuf,
            bytes,
        }
    }

    /// OTLP/JSON bytes of an export request.
    pub fn json(bytes: Vec<u8>) -> Self {
        Self {
            encoding: Encoding::Json,
            bytes,
        }
    }

    /// How the bytes are encoded.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, taken out.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl fmt::Debug for Payload {
    /// The encoding and the length: the bytes of a large request would drown a test's output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("encoding", &self.encoding)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// What the pipeline answered instead of accepting a payload, as the collector's
/// `consumererror` says it (the next consumer's error), or why the host could not deliver it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumeError {
    kind: ConsumeErrorKind,
    reason: String,
    retry_after: Option<Duration>,
}

/// Whether and how a client should send a refused payload again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConsumeErrorKind {
    /// Not permanent downstream (memory_limiter refusing, a full queue, an exporter failing
    /// with the queue disabled...), or the host cannot deliver now (the receiver is shutting
    /// down, no pipeline is attached): the client should retry. OTLP/HTTP answers 503 with
    /// `Retry-After`.
    Retryable,
    /// `consumererror.IsPermanent` downstream: retrying cannot mend it. OTLP/HTTP answers 500,
    /// as Go's `otlpreceiver` does.
    Permanent,
    /// The payload could not be decoded as an export request of its signal: the client's
    /// fault. OTLP/HTTP answers 400.
    Malformed,
}

impl ConsumeError {
    /// A refusal the client should retry.
    pub fn retryable(reason: impl Into<String>) -> Self {
        Self::new(ConsumeErrorKind::Retryable, reason)
    }

    /// A refusal retrying cannot mend.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::new(ConsumeErrorKind::Permanent, reason)
    }

    /// A payload that does not decode.
    pub fn malformed(reason: impl Into<String>) -> Self {
        Self::new(ConsumeErrorKind::Malformed, reason)
    }

    fn new(kind: ConsumeErrorKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// The same error, saying how long the client should wait before it retries.
    pub fn with_retry_after(self, retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..self
        }
    }

    /// What kind of refusal it is.
    pub fn kind(&self) -> ConsumeErrorKind {
        self.kind
    }

    /// What the pipeline said (the error's message).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// How long to wait before a retry, when the pipeline said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether the client should retry: [`ConsumeErrorKind::Retryable`].
    pub fn is_retryable(&self) -> bool {
        self.kind == ConsumeErrorKind::Retryable
    }
}

impl fmt::Display for ConsumeError {
    /// The reason, as the pipeline's Go error reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for ConsumeError {}

/// Where a [`Consumer`]'s payloads go: the host's delivery into the Go pipeline, or
/// `testing::TestHost`'s recorder. Components never implement it.
#[doc(hidden)]
pub trait Deliver: Send + Sync + 'static {
    /// Delivers one payload of `signal` and resolves to the pipeline's outcome.
    fn deliver(
        &self,
        signal: Signal,
        payload: Payload,
    ) -> BoxFuture<'static, Result<(), ConsumeError>>;
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records what reaches it and answers a fixed outcome.
    #[derive(Default)]
    struct Record {
        seen: Mutex<Vec<(Signal, Payload)>>,
    }

    impl Deliver for Record {
        fn deliver(
            &self,
            signal: Signal,
            payload: Payload,
        ) -> BoxFuture<'static, Result<(), ConsumeError>> {
            let answer = if payload.bytes().is_empty() {
                Err(ConsumeError::permanent("empty").with_retry_after(Duration::from_secs(1)))
            } else {
                Ok(())
            };
            self.seen
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((signal, payload));
            Box::pin(async move { answer })
        }
    }

    fn seen(record: &Record) -> Vec<(Signal, Payload)> {
        record
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Guarantees: `Consumers` answers the consumer of each signal it holds, lists its signals
    /// in the order traces, metrics, logs, and none when empty.
    #[test]
    fn consumers_per_signal() {
        let sink: Arc<dyn Deliver> = Arc::new(Record::default());
        let consumers = Consumers::new(
            Some(Consumer::new(Signal::Traces, Arc::clone(&sink))),
            None,
            Some(Consumer::new(Signal::Logs, sink)),
        );
        assert_eq!(
            consumers.signals().collect::<Vec<_>>(),
            [Signal::Traces, Signal::Logs]
        );
        assert_eq!(
            consumers.get(Signal::Traces).map(Consumer::signal),
            Some(Signal::Traces)
        );
        assert!(consumers.get(Signal::Metrics).is_none());
        assert!(consumers.metrics().is_none());
        assert_eq!(consumers.logs().map(Consumer::signal), Some(Signal::Logs));
        assert_eq!(
            consumers.traces().map(Consumer::signal),
            Some(Signal::Traces)
        );
        assert_eq!(format!("{consumers:?}"), "[Traces, Logs]");
        assert_eq!(Consumers::default().signals().count(), 0);
    }

    /// Guarantees: `send` hands the payload, unchanged, with the consumer's signal, and answers
    /// the sink's outcome; `send_*` encode the message as protobuf; a message of another signal
    /// is refused as malformed and never reaches the sink.
    #[tokio::test]
    async fn sends_reach_the_sink() {
        let record = Arc::new(Record::default());
        let logs = Consumer::new(Signal::Logs, Arc::clone(&record) as Arc<dyn Deliver>);
        assert_eq!(logs.send(Payload::json(b"{}".to_vec())).await, Ok(()));
        let refused = logs.send(Payload::protobuf(Vec::new())).await;
        assert_eq!(
            refused,
            Err(ConsumeError::permanent("empty").with_retry_after(Duration::from_secs(1)))
        );

        let request = ExportLogsServiceRequest {
            resource_logs: vec![Default::default()],
        };
        assert_eq!(logs.send_logs(&request).await, Ok(()));
        let wrong = logs
            .send_traces(&ExportTraceServiceRequest::default())
            .await;
        assert_eq!(
            wrong,
            Err(ConsumeError::malformed(
                "a traces request sent to the logs consumer"
            ))
        );
        let wrong = logs
            .send_metrics(&ExportMetricsServiceRequest::default())
            .await;
        assert_eq!(
            wrong.map_err(|err| err.kind()),
            Err(ConsumeErrorKind::Malformed)
        );

        assert_eq!(
            seen(&record),
            [
                (Signal::Logs, Payload::json(b"{}".to_vec())),
                (Signal::Logs, Payload::protobuf(Vec::new())),
                (Signal::Logs, Payload::protobuf(request.encode_to_vec())),
            ]
        );
    }

    /// Guarantees: the constructors build the kinds they name, the retry delay is kept, only
    /// retryable errors are retryable, and the message is the reason.
    #[test]
    fn consume_errors() {
        let busy = ConsumeError::retryable("busy").with_retry_after(Duration::from_secs(3));
        assert_eq!(
            (
                busy.kind(),
                busy.reason(),
                busy.retry_after(),
                busy.is_retryable()
            ),
            (
                ConsumeErrorKind::Retryable,
                "busy",
                Some(Duration::from_secs(3)),
                true
            )
        );
        assert_eq!(busy.to_string(), "busy");
        let permanent = ConsumeError::permanent("no");
        assert_eq!(
            (
                permanent.kind(),
                permanent.retry_after(),
                permanent.is_retryable()
            ),
            (ConsumeErrorKind::Permanent, None, false)
        );
        let malformed = ConsumeError::malformed("bad bytes");
        assert_eq!(
            (malformed.kind(), malformed.is_retryable()),
            (ConsumeErrorKind::Malformed, false)
        );
    }

    /// Guarantees: payloads give back what they were made of, encodings are named as the
    /// collector's receiver metrics name them, and a payload's debug form holds its length,
    /// not its bytes.
    #[test]
    fn payloads() {
        let payload = Payload::protobuf(vec![1, 2, 3]);
        assert_eq!(
            (payload.encoding(), payload.bytes()),
            (Encoding::Protobuf, &[1_u8, 2, 3][..])
        );
        assert_eq!(
            format!("{payload:?}"),
            "Payload { encoding: Protobuf, len: 3 }"
        );
        assert_eq!(payload.into_bytes(), [1, 2, 3]);
        assert_eq!(Payload::json(Vec::new()).encoding(), Encoding::Json);
        assert_eq!(
            (Encoding::Protobuf.to_string(), Encoding::Json.as_str()),
            ("protobuf".to_owned(), "json")
        );
    }
}
