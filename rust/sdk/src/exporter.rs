//! What an exporter author implements: a factory and an exporter that receives the collector's
//! batches as OTLP protobuf bytes, borrowed for the call. `docs/writing-an-exporter.md` walks
//! through writing, testing and shipping one; `rust/components/rust_otlphttp` is a real one.
//!
//! A minimal exporter, counting the spans, data points and log records it is given (this
//! example is compiled and run with the SDK's doc tests):
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! use otelcol_rust_sdk::{
//!     Batch, Config, CreateSettings, Error, ExportContext, ExportOutcome, Exporter,
//!     ExporterFactory, Signal,
//! };
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Default, Serialize, Deserialize)]
//! #[serde(default)]
//! pub struct CountConfig {
//!     /// Refuse batches larger than this many items (0: no limit).
//!     pub max_items: u64,
//! }
//!
//! impl Config for CountConfig {
//!     fn validate(&self) -> Result<(), Error> {
//!         Ok(())
//!     }
//! }
//!
//! pub struct Count {
//!     config: CountConfig,
//!     // `export` takes `&self` and runs on several threads at once: state is shared.
//!     items: AtomicU64,
//! }
//!
//! impl Exporter for Count {
//!     // `start` and `shutdown` have defaults that do nothing.
//!     async fn export<'a>(&'a self, batch: Batch<'a>, _ctx: &'a ExportContext) -> ExportOutcome {
//!         if self.config.max_items > 0 && batch.items() > self.config.max_items {
//!             return ExportOutcome::permanent("batch too large");
//!         }
//!         if batch.signal() == Signal::Traces {
//!             // Decoding is optional: the bytes can also be forwarded as they are.
//!             if let Err(err) = batch.decode_traces() {
//!                 return ExportOutcome::permanent(err.to_string());
//!             }
//!         }
//!         self.items.fetch_add(batch.items(), Ordering::Relaxed);
//!         ExportOutcome::Ok
//!     }
//! }
//!
//! pub struct CountFactory;
//!
//! impl ExporterFactory for CountFactory {
//!     const TYPE: &'static str = "count";
//!     const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Logs];
//!     type Config = CountConfig;
//!     type Exporter = Count;
//!
//!     fn create(&self, _: &CreateSettings, config: CountConfig) -> Result<Count, Error> {
//!         Ok(Count { config, items: AtomicU64::new(0) })
//!     }
//! }
//!
//! otelcol_rust_sdk::register_exporter!(CountFactory);
//!
//! // Its unit test (in the component's crate: `#[tokio::test]` on it), with `TestHost`
//! // guarding each export as the collector does (deadline, panics):
//! use otelcol_rust_sdk::prost::Message;
//! use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest;
//! use otelcol_rust_sdk::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
//! use otelcol_rust_sdk::testing::TestHost;
//!
//! async fn counts_spans() -> Result<(), Box<dyn std::error::Error>> {
//!     // A batch as the collector makes one: an encoded OTLP export request.
//!     let bytes = ExportTraceServiceRequest {
//!         resource_spans: vec![ResourceSpans {
//!             scope_spans: vec![ScopeSpans {
//!                 spans: vec![Span { name: "hello".to_owned(), ..Span::default() }],
//!                 ..ScopeSpans::default()
//!             }],
//!             ..ResourceSpans::default()
//!         }],
//!     }
//!     .encode_to_vec();
//!
//!     let host = TestHost::new("count");
//!     let mut exporter = host.exporter(&CountFactory, r#"{"max_items": 10}"#)?;
//!     host.start_exporter(&mut exporter).await?;
//!     let outcome = host.export(&exporter, Batch::new(Signal::Traces, &bytes, 1)).await;
//!     assert_eq!(outcome, ExportOutcome::Ok);
//!     assert_eq!(exporter.items.load(Ordering::Relaxed), 1);
//!     let outcome = host.export(&exporter, Batch::new(Signal::Traces, &bytes, 11)).await;
//!     assert_eq!(outcome, ExportOutcome::permanent("batch too large"));
//!     host.shutdown_exporter(&mut exporter).await?;
//!     Ok(())
//! }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! #     counts_spans().await
//! # }
//! ```

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Poll;
use std::time::{Duration, Instant};

use prost::Message;
use serde::Serialize;

use crate::proto::collector::logs::v1::ExportLogsServiceRequest;
use crate::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::proto::collector::trace::v1::ExportTraceServiceRequest;
use crate::registry::BoxFuture;
use crate::{ComponentId, Config, CreateSettings, Error, Host, LifecycleContext, Stability};

/// The kind of telemetry a pipeline carries, and so a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Spans (`ExportTraceServiceRequest`).
    Traces,
    /// Metric data points (`ExportMetricsServiceRequest`).
    Metrics,
    /// Log records (`ExportLogsServiceRequest`).
    Logs,
}

impl Signal {
    /// The signal's name as the collector writes it: `traces`, `metrics` or `logs`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Traces => "traces",
            Self::Metrics => "metrics",
            Self::Logs => "logs",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One export request: the OTLP protobuf `Export{Trace,Metrics,Logs}ServiceRequest` the
/// collector marshalled (the bytes a Go OTLP exporter would send), borrowed for the duration of
/// the export call: the host never copies it, and the component copies only what it keeps
/// beyond the call.
#[derive(Clone, Copy, Debug)]
pub struct Batch<'a> {
    signal: Signal,
    bytes: &'a [u8],
    items: u64,
}

impl<'a> Batch<'a> {
    /// A batch of `signal` with these bytes and item count, as the host makes one (and a
    /// test, from a request it encoded with [`prost::Message::encode_to_vec`]).
    pub fn new(signal: Signal, bytes: &'a [u8], items: u64) -> Self {
        Self {
            signal,
            bytes,
            items,
        }
    }

    /// The batch's signal: always one the factory declared in
    /// [`ExporterFactory::SIGNALS`].
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// The protobuf bytes of the export request, valid for the export call.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Spans, metric data points or log records in the batch, as the collector counted them.
    pub fn items(&self) -> u64 {
        self.items
    }

    /// Decodes the bytes as a trace export request.
    ///
    /// This can fail on a batch the collector marshalled: pdata carries strings that are not
    /// UTF-8 and attribute values nested deeper than prost's recursion limit, which prost
    /// refuses. An exporter that answers such a failure `permanent` drops data a Go exporter
    /// would deliver; forward [`Batch::bytes`] as they are where you can, and decode only what
    /// you must.
    pub fn decode_traces(&self) -> Result<ExportTraceServiceRequest, Error> {
        self.decode()
    }

    /// Decodes the bytes as a metrics export request (see [`Batch::decode_traces`]).
    pub fn decode_metrics(&self) -> Result<ExportMetricsServiceRequest, Error> {
        self.decode()
    }

    /// Decodes the bytes as a logs export request (see [`Batch::decode_traces`]).
    pub fn decode_logs(&self) -> Result<ExportLogsServiceRequest, Error> {
        self.decode()
    }

    fn decode<M: Message + Default>(&self) -> Result<M, Error> {
        M::decode(self.bytes).map_err(|err| Error::MalformedBatch {
            signal: self.signal,
            reason: err.to_string(),
        })
    }
}

/// The Go `context.Context` of one export, as far as Rust needs it.
#[derive(Debug, Clone)]
pub struct ExportContext {
    /// The exporter instance this export is for.
    pub id: ComponentId,
    /// When the export must be finished (the exporter's `timeout`); `None` when there is none.
    /// The host drops the export future there and answers [`ExportOutcome::Retryable`].
    pub deadline: Option<Instant>,
}

impl ExportContext {
    /// Time left before the deadline (zero once it has passed), or `None` without a deadline.
    /// Give it to the client a component sends with, so the request ends on its own terms.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()))
    }
}

/// How an export ended. The collector's exporterhelper acts on it as on a Go exporter's error:
/// it retries, drops or counts the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportOutcome {
    /// The destination accepted the whole batch.
    Ok,
    /// Try the whole batch again later (exporterhelper's `retry_on_failure`), after
    /// `retry_after` if given (a server's `Retry-After`).
    Retryable {
        /// Why, lower-case; the collector logs it with the component's id.
        reason: String,
        /// The earliest the destination wants the batch again.
        retry_after: Option<Duration>,
    },
    /// Never retry: the batch is dropped and counted (`otelcol_exporter_send_failed_*`).
    Permanent {
        /// Why, lower-case.
        reason: String,
    },
    /// The destination accepted the batch except `rejected` items, which it refused for good
    /// (an OTLP partial success). The batch is not retried; the rejection is logged and counted.
    Partial {
        /// How many items (spans, data points, log records) were refused.
        rejected: u64,
        /// Why, as the destination said.
        reason: String,
    },
}

impl ExportOutcome {
    /// [`ExportOutcome::Retryable`] with no retry-after hint.
    pub fn retryable(reason: impl Into<String>) -> Self {
        Self::Retryable {
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// [`ExportOutcome::Retryable`], to be retried no sooner than `after`.
    pub fn retry_after(reason: impl Into<String>, after: Duration) -> Self {
        Self::Retryable {
            reason: reason.into(),
            retry_after: Some(after),
        }
    }

    /// [`ExportOutcome::Permanent`].
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent {
            reason: reason.into(),
        }
    }

    /// [`ExportOutcome::Partial`]: `rejected` items were refused for good.
    pub fn partial(rejected: u64, reason: impl Into<String>) -> Self {
        Self::Partial {
            rejected,
            reason: reason.into(),
        }
    }
}

/// A running exporter instance. The collector creates one per (component id, signal), so an
/// instance sees one signal, but a component must not rely on that.
///
/// Contract (checked by the host, so implementations need not guard against it): `start` is
/// called at most once; `export` only after `start` returned `Ok` and before `shutdown`
/// begins, from several threads AT ONCE (the queue's consumers: up to
/// `sending_queue.num_consumers`; with the queue disabled, every caller at once, within the
/// process-wide bound on exports inside Rust), hence `Sync`; `shutdown` after the in-flight
/// exports ended (also when `start` failed, to release what it took).
///
/// An export future is polled on the Go caller's thread (that is how the batch stays borrowed
/// with no copy); it may `.await` I/O and timers and spawn tasks on the library's runtime, but
/// whatever it spawns must own its data (`batch.bytes().to_vec()`, or
/// `bytes::Bytes::copy_from_slice` with the `bytes` crate, which the SDK does not
/// re-export). The host drops the export future at the call's deadline (the
/// exporter's `timeout`) or cancellation and answers [`ExportOutcome::Retryable`]; a panic in
/// it answers [`ExportOutcome::Permanent`] (`rust exporter panicked: ...`), is logged and
/// counted, and the instance stays in service. An export that blocks its thread instead of
/// awaiting cannot be cut off: await, or use `tokio::task::spawn_blocking`.
///
/// Status: an exporter's [`Host::report_fatal`] (and a panic in a [`Host::spawn`] task) does
/// not stop the collector, unlike an extension's: it is logged and reported as a permanent
/// error, and exports go on. What happens to a batch is its [`ExportOutcome`].
pub trait Exporter: Send + Sync + 'static {
    /// Starts the exporter (connect, spawn background work with [`Host::spawn`]). An error
    /// fails the collector's start-up with this message. Does nothing by default.
    fn start(
        &mut self,
        ctx: &LifecycleContext,
        host: &Host,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = (ctx, host);
        async { Ok(()) }
    }

    /// Sends one batch. See the trait's documentation for the threading and the deadline.
    fn export<'a>(
        &'a self,
        batch: Batch<'a>,
        ctx: &'a ExportContext,
    ) -> impl Future<Output = ExportOutcome> + Send + 'a;

    /// Stops the exporter and releases everything it holds. Does nothing by default.
    fn shutdown(
        &mut self,
        ctx: &LifecycleContext,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }
}

/// Creates exporters of one type. Register an implementation with
/// [`register_exporter!`](crate::register_exporter).
pub trait ExporterFactory: Send + Sync + 'static {
    /// The component type users write in the collector config, lower_snake_case. An exporter
    /// may share its type with an extension (they are told apart by kind).
    const TYPE: &'static str;
    /// How mature the component is (see [`Stability`]).
    const STABILITY: Stability = Stability::Development;
    /// The pipelines the exporter can be in; at least one (checked with the registry).
    const SIGNALS: &'static [Signal];
    /// The configuration struct: the exporter's own keys. The collector adds `timeout`,
    /// `sending_queue` and `retry_on_failure` itself, so the struct must not use those names.
    type Config: Config;
    /// The exporter this factory creates.
    type Exporter: Exporter;

    /// Creates an instance from an already validated config. Called by the collector's
    /// `Start`, right before [`Exporter::start`], once per signal of the component; keep it
    /// cheap and side-effect free. Declare the instance's instruments here, from
    /// `settings.meter`.
    fn create(
        &self,
        settings: &CreateSettings,
        config: Self::Config,
    ) -> Result<Self::Exporter, Error>;
}

/// How a guarded export ended (see [`guarded_export`]).
#[doc(hidden)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportEnd {
    /// The export future answered.
    Returned(ExportOutcome),
    /// It panicked, with this message.
    Panicked(String),
    /// It was still running at the deadline, this long after the export began.
    TimedOut(Duration),
    /// It was cancelled.
    Cancelled,
}

impl ExportEnd {
    /// The outcome the collector gets: a cut-off export is retryable, a panic permanent.
    pub fn into_outcome(self) -> ExportOutcome {
        match self {
            Self::Returned(outcome) => outcome,
            Self::Panicked(message) => {
                ExportOutcome::permanent(format!("rust exporter panicked: {message}"))
            }
            Self::TimedOut(after) => {
                ExportOutcome::retryable(format!("export timed out after {:?}", to_millis(after)))
            }
            Self::Cancelled => ExportOutcome::retryable("export cancelled"),
        }
    }
}

/// `after` to the nearest millisecond, for messages: the time left is measured a moment after
/// the collector set its deadline (`5s` reads better than `4.999987s`). Shorter ones stay.
fn to_millis(after: Duration) -> Duration {
    if after < Duration::from_millis(1) {
        return after;
    }
    let millis = (after.as_micros() + 500) / 1000;
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// Runs one export as the collector's host does, for the host and `testing::TestHost` alike:
/// polls `export` with panics caught, raced against `ctx.deadline` (a tokio timer, so it
/// needs a runtime with time enabled) and `cancellation`. When either ends first the export
/// future is dropped there. A panic while dropping the future is contained too.
#[doc(hidden)]
pub async fn guarded_export(
    export: BoxFuture<'_, ExportOutcome>,
    ctx: &ExportContext,
    cancellation: impl Future<Output = ()>,
) -> ExportEnd {
    /// The panic's message; the payload is dropped with its own panic contained (forgotten),
    /// so nothing unwinds out of the export.
    fn message(payload: Box<dyn std::any::Any + Send>) -> String {
        let message = crate::panic_message(payload.as_ref());
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
        message
    }
    let allowed = ctx.remaining();
    if allowed == Some(Duration::ZERO) {
        return ExportEnd::TimedOut(Duration::ZERO);
    }
    let mut export = Some(export);
    let polled = std::future::poll_fn(|cx| {
        let Some(running) = export.as_mut() else {
            // Unreachable: the future is taken only once it has answered or panicked.
            return Poll::Pending;
        };
        match catch_unwind(AssertUnwindSafe(|| running.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(outcome)) => Poll::Ready(ExportEnd::Returned(outcome)),
            Err(payload) => Poll::Ready(ExportEnd::Panicked(message(payload))),
        }
    });
    let deadline = async {
        match (ctx.deadline, allowed) {
            (Some(deadline), Some(allowed)) => {
                tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)).await;
                allowed
            }
            _ => std::future::pending().await,
        }
    };
    let end = tokio::select! {
        // An export that has answered wins over a deadline reached in the same poll.
        biased;
        end = polled => end,
        after = deadline => ExportEnd::TimedOut(after),
        () = cancellation => ExportEnd::Cancelled,
    };
    // Dropping a cut-off export runs the component's code (its destructors).
    if let Some(running) = export.take()
        && let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(running)))
    {
        let dropping = message(payload);
        if !matches!(end, ExportEnd::Panicked(_)) {
            return ExportEnd::Panicked(dropping);
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::common::v1::{AnyValue, KeyValue, any_value};
    use crate::proto::resource::v1::Resource;
    use crate::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};

    fn context(deadline: Option<Duration>) -> ExportContext {
        ExportContext {
            id: ComponentId {
                kind: "probe".to_owned(),
                name: String::new(),
            },
            deadline: deadline.map(|left| Instant::now() + left),
        }
    }

    fn traces(spans: usize) -> Vec<u8> {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![KeyValue {
                        key: "service.name".to_owned(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue("probe".to_owned())),
                        }),
                        ..KeyValue::default()
                    }],
                    ..Resource::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans: (0..spans)
                        .map(|i| Span {
                            name: format!("span {i}"),
                            ..Span::default()
                        })
                        .collect(),
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        }
        .encode_to_vec()
    }

    /// Guarantees: a batch gives back what it was made of, decodes into the OTLP message of
    /// its signal, and refuses bytes that are not one, naming the signal.
    #[test]
    fn batches_decode_into_otlp_messages() {
        let bytes = traces(3);
        let batch = Batch::new(Signal::Traces, &bytes, 3);
        assert_eq!(
            (batch.signal(), batch.bytes().len(), batch.items()),
            (Signal::Traces, bytes.len(), 3)
        );
        let request = batch.decode_traces().expect("decodes");
        let spans = &request.resource_spans[0].scope_spans[0].spans;
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[2].name, "span 2");

        let garbage = [0xff_u8, 0xff, 0xff];
        let err = Batch::new(Signal::Logs, &garbage, 1)
            .decode_logs()
            .expect_err("not a message");
        assert!(
            err.to_string().starts_with("malformed logs batch: "),
            "{err}"
        );
        // Empty bytes are an empty request, as in protobuf.
        let empty = Batch::new(Signal::Metrics, &[], 0).decode_metrics();
        assert_eq!(empty, Ok(ExportMetricsServiceRequest::default()));
    }

    /// Guarantees: signals are named as the collector names them, in text and in JSON.
    #[test]
    fn signals_are_named_as_in_the_collector() {
        for (signal, name) in [
            (Signal::Traces, "traces"),
            (Signal::Metrics, "metrics"),
            (Signal::Logs, "logs"),
        ] {
            assert_eq!(signal.to_string(), name);
            assert_eq!(serde_json::to_value(signal).ok(), Some(name.into()));
        }
    }

    /// Guarantees: the constructors build the variants they name.
    #[test]
    fn outcome_constructors() {
        assert_eq!(
            ExportOutcome::retryable("busy"),
            ExportOutcome::Retryable {
                reason: "busy".to_owned(),
                retry_after: None
            }
        );
        assert_eq!(
            ExportOutcome::retry_after("busy", Duration::from_secs(2)),
            ExportOutcome::Retryable {
                reason: "busy".to_owned(),
                retry_after: Some(Duration::from_secs(2))
            }
        );
        assert_eq!(
            ExportOutcome::permanent("no"),
            ExportOutcome::Permanent {
                reason: "no".to_owned()
            }
        );
        assert_eq!(
            ExportOutcome::partial(4, "bad"),
            ExportOutcome::Partial {
                rejected: 4,
                reason: "bad".to_owned()
            }
        );
    }

    fn never() -> impl Future<Output = ()> {
        std::future::pending()
    }

    /// Guarantees: an answering export answers; a panicking one answers Permanent with the
    /// panic's message; one still pending at the deadline is dropped there and answers
    /// Retryable; so is a cancelled one; an expired deadline answers at once.
    #[tokio::test]
    async fn exports_are_guarded() {
        let ctx = context(Some(Duration::from_secs(10)));
        let ok = guarded_export(Box::pin(async { ExportOutcome::Ok }), &ctx, never()).await;
        assert_eq!(ok.into_outcome(), ExportOutcome::Ok);

        let panicked = guarded_export(
            Box::pin(async {
                tokio::task::yield_now().await;
                #[allow(clippy::panic)]
                {
                    panic!("boom")
                }
            }),
            &ctx,
            never(),
        )
        .await;
        assert_eq!(panicked, ExportEnd::Panicked("boom".to_owned()));
        assert_eq!(
            panicked.into_outcome(),
            ExportOutcome::permanent("rust exporter panicked: boom")
        );

        let (dropped, was_dropped) = tokio::sync::oneshot::channel::<()>();
        let short = context(Some(Duration::from_millis(20)));
        let timed_out = guarded_export(
            Box::pin(async move {
                let _dropped_with_the_future = dropped;
                std::future::pending().await
            }),
            &short,
            never(),
        )
        .await;
        assert!(
            matches!(timed_out, ExportEnd::TimedOut(after) if after <= Duration::from_millis(20) && after > Duration::ZERO)
        );
        // The future is gone when the answer comes, with what it held.
        assert!(was_dropped.await.is_err());
        assert!(matches!(
            timed_out.into_outcome(),
            ExportOutcome::Retryable { reason, retry_after: None } if reason.starts_with("export timed out after ")
        ));

        let cancelled = guarded_export(
            Box::pin(std::future::pending()),
            &ctx,
            std::future::ready(()),
        )
        .await;
        assert_eq!(
            cancelled.into_outcome(),
            ExportOutcome::retryable("export cancelled")
        );

        let expired = context(Some(Duration::ZERO));
        let at_once = guarded_export(Box::pin(async { ExportOutcome::Ok }), &expired, never());
        assert_eq!(at_once.await, ExportEnd::TimedOut(Duration::ZERO));
    }

    /// Guarantees: without a deadline an export runs until it answers.
    #[tokio::test]
    async fn no_deadline_means_no_cut() {
        let ctx = context(None);
        let slow = guarded_export(
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                ExportOutcome::partial(1, "one")
            }),
            &ctx,
            never(),
        );
        assert_eq!(
            slow.await,
            ExportEnd::Returned(ExportOutcome::partial(1, "one"))
        );
    }
}
