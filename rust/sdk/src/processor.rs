//! Processors: a component in the middle of a pipeline that sees each batch and answers what
//! it did to it (docs/writing-a-processor.md, docs/boundary.md).
//!
//! A processor answers the cheapest [`Processed`] that describes its work: `Unchanged`, a
//! keep flag per item, attribute [`Edits`], or a whole new batch. The collector applies the
//! first three in place, without decoding anything; only a new batch is decoded again.
//! Consecutive Rust processors of a pipeline run in one crossing, each seeing the batch as the
//! ones before left it.
//!
//! ```
//! use otelcol_rust_sdk::{
//!     Config, CreateSettings, Error, ProcessBatch, ProcessContext, ProcessError, Processed,
//!     Processor, ProcessorFactory, Signal,
//! };
//! use serde::{Deserialize, Serialize};
//!
//! /// Drops spans named `health`.
//! #[derive(Debug, Default, Serialize, Deserialize)]
//! pub struct DropHealthConfig {}
//! impl Config for DropHealthConfig {
//!     fn validate(&self) -> Result<(), Error> {
//!         Ok(())
//!     }
//! }
//!
//! pub struct DropHealth;
//!
//! impl Processor for DropHealth {
//!     fn process(&self, batch: &ProcessBatch<'_>, _: &ProcessContext) -> Result<Processed, ProcessError> {
//!         let request = batch.traces().map_err(|err| ProcessError::permanent(err.to_string()))?;
//!         let keep = request
//!             .resource_spans
//!             .iter()
//!             .flat_map(|resource| &resource.scope_spans)
//!             .flat_map(|scope| &scope.spans)
//!             .map(|span| span.name != "health")
//!             .collect();
//!         Ok(Processed::Keep(keep))
//!     }
//! }
//!
//! pub struct DropHealthFactory;
//!
//! impl ProcessorFactory for DropHealthFactory {
//!     const TYPE: &'static str = "drop_health";
//!     const SIGNALS: &'static [Signal] = &[Signal::Traces];
//!     type Config = DropHealthConfig;
//!     type Processor = DropHealth;
//!
//!     fn create(&self, _: &CreateSettings, _: DropHealthConfig) -> Result<DropHealth, Error> {
//!         Ok(DropHealth)
//!     }
//! }
//!
//! otelcol_rust_sdk::register_processor!(DropHealthFactory);
//! ```

use std::cell::OnceCell;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::attributes::{Decoded, Edit, count_items, encode_script};
use crate::proto::collector::logs::v1::ExportLogsServiceRequest;
use crate::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::proto::collector::trace::v1::ExportTraceServiceRequest;
use crate::registry::ErasedProcessor;
use crate::{
    AttributeMap, ComponentId, Config, CreateSettings, Edits, Error, Host, LifecycleContext,
    Signal, Stability,
};

/// A processor: sees every batch of its pipelines and answers what it did to it.
///
/// `start` is called at most once; `process` only after `start` returned `Ok` and before
/// `shutdown` begins, from several threads at once (every receiver goroutine that sends into
/// the pipeline), hence `Sync`; `shutdown` after the calls in flight ended.
///
/// `process` is synchronous on purpose: it runs on the collector's calling thread, with the
/// batch borrowed, and has no deadline. Keep it CPU work; a processor that needs I/O should do
/// it in a task it spawns at start ([`Host::spawn`]) and read the result from memory. A panic
/// in `process` fails that batch with a permanent error (`rust processor panicked: ...`), is
/// logged and counted, and the processor stays in service.
pub trait Processor: Send + Sync + 'static {
    /// Starts the processor. An error fails the collector's start-up with this message. Does
    /// nothing by default.
    fn start(
        &mut self,
        ctx: &LifecycleContext,
        host: &Host,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = (ctx, host);
        async { Ok(()) }
    }

    /// Processes one batch: answers what it did, or an error that goes back to the sender.
    fn process(
        &self,
        batch: &ProcessBatch<'_>,
        ctx: &ProcessContext,
    ) -> Result<Processed, ProcessError>;

    /// Stops the processor and releases what it holds. Does nothing by default.
    fn shutdown(
        &mut self,
        ctx: &LifecycleContext,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }
}

/// Creates processors of one type. Register an implementation with
/// [`register_processor!`](crate::register_processor).
pub trait ProcessorFactory: Send + Sync + 'static {
    /// The component type users write in the collector config, lower_snake_case.
    const TYPE: &'static str;
    /// How mature the component is (see [`Stability`]).
    const STABILITY: Stability = Stability::Development;
    /// The pipelines the processor can be in; at least one.
    const SIGNALS: &'static [Signal];
    /// The configuration struct.
    type Config: Config;
    /// The processor this factory creates.
    type Processor: Processor;

    /// Creates an instance from an already validated config, at the collector's `Start`,
    /// once per pipeline the processor is in. Declare the instance's instruments here.
    fn create(
        &self,
        settings: &CreateSettings,
        config: Self::Config,
    ) -> Result<Self::Processor, Error>;
}

/// What one process call knows besides the batch.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProcessContext {
    /// The processor's id in the collector config.
    pub id: ComponentId,
}

impl ProcessContext {
    /// The context of a call to the processor `id`.
    pub fn new(id: ComponentId) -> Self {
        Self { id }
    }
}

/// What a processor did to a batch, the cheapest description first.
#[derive(Debug, Clone, PartialEq)]
pub enum Processed {
    /// Nothing: the batch goes on as it came.
    Unchanged,
    /// One flag per item of the batch (spans; metric data points of every type; log records)
    /// in document order: `true` keeps it. Must be exactly [`ProcessBatch::items`] long.
    /// Scopes, resources and metrics left without items by a drop are removed; a batch left
    /// empty goes no further.
    Keep(Vec<bool>),
    /// Changes to attribute values, applied in place.
    Edits(Edits),
    /// A new batch of the same signal.
    Replace(Replacement),
}

/// A whole new batch, of the signal of the batch it replaces.
#[derive(Debug, Clone, PartialEq)]
pub enum Replacement {
    /// New traces.
    Traces(ExportTraceServiceRequest),
    /// New metrics.
    Metrics(ExportMetricsServiceRequest),
    /// New logs.
    Logs(ExportLogsServiceRequest),
    /// An already encoded OTLP export request of the batch's signal.
    Encoded(Vec<u8>),
}

/// Why a processor failed a batch. The error goes back to the sender: a retryable one asks it
/// to send again (a receiver answers its client "try later"), a permanent one says not to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ProcessError {
    retryable: bool,
    reason: String,
}

impl ProcessError {
    /// A failure the sender may retry (the same batch could pass later).
    pub fn retryable(reason: impl Into<String>) -> Self {
        Self {
            retryable: true,
            reason: reason.into(),
        }
    }

    /// A failure that retrying cannot mend.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self {
            retryable: false,
            reason: reason.into(),
        }
    }

    /// Whether the sender may retry.
    pub fn is_retryable(&self) -> bool {
        self.retryable
    }

    /// What went wrong.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The bytes a batch holds: the caller's, a replacement's, or none yet (the decoded message is
/// newer and is encoded when asked).
#[derive(Debug)]
enum Bytes<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
    Stale(OnceCell<Vec<u8>>),
}

/// One batch as a processor sees it: the OTLP export request, as bytes or decoded (once, on
/// first use, shared by every processor of a fused run).
#[derive(Debug)]
pub struct ProcessBatch<'a> {
    signal: Signal,
    items: u64,
    bytes: Bytes<'a>,
    decoded: OnceCell<Result<Decoded, String>>,
}

impl<'a> ProcessBatch<'a> {
    /// A batch of `signal` with these protobuf bytes and item count, as the host makes one (and
    /// a test, from a request it encoded with [`prost::Message::encode_to_vec`]).
    pub fn new(signal: Signal, bytes: &'a [u8], items: u64) -> Self {
        Self {
            signal,
            items,
            bytes: Bytes::Borrowed(bytes),
            decoded: OnceCell::new(),
        }
    }

    /// The batch's signal: one the factory declared.
    pub fn signal(&self) -> Signal {
        self.signal
    }

    /// Spans, metric data points or log records in the batch.
    pub fn items(&self) -> u64 {
        self.items
    }

    /// The protobuf bytes of the export request: the collector's own, lent for the call, or
    /// encoded again when a processor before this one in the same run changed the batch.
    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Borrowed(bytes) => bytes,
            Bytes::Owned(bytes) => bytes,
            Bytes::Stale(encoded) => encoded.get_or_init(|| match self.decoded.get() {
                Some(Ok(decoded)) => decoded.encode(),
                // Unreachable: bytes go stale only when the decoded message changed.
                _ => Vec::new(),
            }),
        }
    }

    /// The batch decoded as a trace export request.
    ///
    /// Decoding can fail on a batch the collector accepted: pdata carries strings that are not
    /// UTF-8 and values nested deeper than prost's recursion limit, which prost refuses.
    pub fn traces(&self) -> Result<&ExportTraceServiceRequest, Error> {
        match self.decoded()? {
            Decoded::Traces(request) => Ok(request),
            other => Err(self.not(other.signal())),
        }
    }

    /// The batch decoded as a metrics export request (see [`ProcessBatch::traces`]).
    pub fn metrics(&self) -> Result<&ExportMetricsServiceRequest, Error> {
        match self.decoded()? {
            Decoded::Metrics(request) => Ok(request),
            other => Err(self.not(other.signal())),
        }
    }

    /// The batch decoded as a logs export request (see [`ProcessBatch::traces`]).
    pub fn logs(&self) -> Result<&ExportLogsServiceRequest, Error> {
        match self.decoded()? {
            Decoded::Logs(request) => Ok(request),
            other => Err(self.not(other.signal())),
        }
    }

    /// Calls `visit` with every attribute map of the batch, numbered as [`Edits`] address
    /// them (the order is in [`crate::attributes`]'s documentation and docs/boundary.md).
    pub fn for_each_attributes(&self, visit: impl FnMut(AttributeMap<'_>)) -> Result<(), Error> {
        self.decoded()?.for_each(visit);
        Ok(())
    }

    fn decoded(&self) -> Result<&Decoded, Error> {
        self.decoded
            .get_or_init(|| {
                Decoded::decode(self.signal, self.bytes()).map_err(|err| err.to_string())
            })
            .as_ref()
            .map_err(|reason| Error::MalformedBatch {
                signal: self.signal,
                reason: reason.clone(),
            })
    }

    fn not(&self, held: Signal) -> Error {
        Error::MalformedBatch {
            signal: self.signal,
            reason: format!("the batch holds {held}, not {}", self.signal),
        }
    }

    /// The decoded message, for changing it: the bytes go stale.
    fn decoded_mut(&mut self) -> Result<&mut Decoded, ProcessError> {
        if let Err(err) = self.decoded() {
            return Err(ProcessError::permanent(err.to_string()));
        }
        self.bytes = Bytes::Stale(OnceCell::new());
        match self.decoded.get_mut() {
            Some(Ok(decoded)) => Ok(decoded),
            _ => Err(ProcessError::permanent("the batch is not decoded")),
        }
    }

    /// The current bytes, owned.
    fn into_bytes(self) -> Vec<u8> {
        match self.bytes {
            Bytes::Borrowed(bytes) => bytes.to_vec(),
            Bytes::Owned(bytes) => bytes,
            Bytes::Stale(encoded) => {
                encoded
                    .into_inner()
                    .unwrap_or_else(|| match self.decoded.into_inner() {
                        Some(Ok(decoded)) => decoded.encode(),
                        _ => Vec::new(),
                    })
            }
        }
    }
}

/// What a run of processors hands back (the boundary's result): a new batch, or the edits to
/// make to the one the run received, and the keep bitmap of the run's last stage.
#[doc(hidden)]
#[derive(Debug, Default, PartialEq)]
pub struct RunOutput {
    /// The new batch's bytes, when a stage replaced it.
    pub replacement: Option<Vec<u8>>,
    /// The edit script (docs/boundary.md) for the batch the run received; empty for none or
    /// when replaced.
    pub edit_script: Vec<u8>,
    /// The last stage's keep flags, when it dropped something.
    pub keep: Option<KeepBitmap>,
}

/// Keep flags as the boundary carries them: bit `i % 8` of byte `i / 8` is item `i`.
#[doc(hidden)]
#[derive(Debug, PartialEq, Eq)]
pub struct KeepBitmap {
    /// The bits.
    pub bitmap: Vec<u8>,
    /// How many items the bits cover.
    pub items: u64,
}

/// One fused run of processors over one batch, as the host drives it: each stage processes
/// [`ProcessRun::batch`], then [`ProcessRun::apply`] takes its answer; the run ends after a
/// stage that changed the item count (a `Keep` that dropped something, a replacement with
/// another count), so the stages before the last never change it.
#[doc(hidden)]
#[derive(Debug)]
pub struct ProcessRun<'a> {
    batch: ProcessBatch<'a>,
    replaced: bool,
    edits: Vec<Edit>,
    keep: Option<KeepBitmap>,
    ended: bool,
}

impl<'a> ProcessRun<'a> {
    /// A run over the caller's batch.
    pub fn new(signal: Signal, bytes: &'a [u8], items: u64) -> Self {
        Self {
            batch: ProcessBatch::new(signal, bytes, items),
            replaced: false,
            edits: Vec::new(),
            keep: None,
            ended: false,
        }
    }

    /// The batch the next stage processes.
    pub fn batch(&self) -> &ProcessBatch<'a> {
        &self.batch
    }

    /// Whether the run must stop here.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Takes the answer of a stage another stage may follow. An answer the run cannot use
    /// (keep flags of the wrong length, an edit past the last map, a replacement that does not
    /// decode) is that stage's permanent error. Edits are made to the decoded batch (decoding
    /// it first) so that the next stage sees them.
    pub fn apply(&mut self, answer: Processed) -> Result<(), ProcessError> {
        self.take(answer, true)
    }

    /// Takes the answer of the run's last stage: as [`ProcessRun::apply`], except that edits
    /// to the batch the run received are only recorded for the collector, which makes them
    /// itself. Making them to a decoded copy nobody reads would decode the batch for nothing:
    /// a processor that computes its edits from the bytes would pay for a full decode anyway,
    /// and a batch prost refuses (pdata carries strings that are not UTF-8) would fail. The
    /// collector refuses an edit past the last map as this stage's permanent error.
    pub fn apply_last(&mut self, answer: Processed) -> Result<(), ProcessError> {
        self.take(answer, false)
    }

    fn take(&mut self, answer: Processed, read_later: bool) -> Result<(), ProcessError> {
        match answer {
            Processed::Unchanged => Ok(()),
            Processed::Edits(edits) => {
                if edits.is_empty() {
                    return Ok(());
                }
                let edits = edits.into_sorted();
                // A replacement is handed over encoded, so it must hold every later edit.
                if read_later || self.replaced {
                    match self.batch.decoded_mut() {
                        Ok(decoded) => decoded.apply(&edits).map_err(ProcessError::permanent)?,
                        // prost refuses what pdata carries (strings that are not UTF-8), so
                        // the next stages cannot see these edits in Rust: the run ends here,
                        // the collector makes them, and the next Rust processor crosses again
                        // from the batch it made. Unfused, the batch would pass: so it must.
                        Err(_) if !self.replaced => self.ended = true,
                        Err(err) => return Err(err),
                    }
                }
                if !self.replaced {
                    self.edits.extend(edits);
                }
                Ok(())
            }
            Processed::Keep(flags) => {
                let items = self.batch.items;
                if flags.len() as u64 != items {
                    return Err(ProcessError::permanent(format!(
                        "the processor answered {} keep flags for a batch of {items} items",
                        flags.len()
                    )));
                }
                if flags.iter().all(|keep| *keep) {
                    return Ok(());
                }
                let mut bitmap = vec![0u8; flags.len().div_ceil(8)];
                for (i, keep) in flags.iter().enumerate() {
                    if *keep {
                        bitmap[i / 8] |= 1 << (i % 8);
                    }
                }
                self.keep = Some(KeepBitmap { bitmap, items });
                self.ended = true;
                Ok(())
            }
            Processed::Replace(replacement) => {
                let signal = self.batch.signal;
                let (batch, items) = match replacement {
                    Replacement::Encoded(bytes) => {
                        let items = count_items(signal, &bytes).map_err(|reason| {
                            ProcessError::permanent(format!(
                                "the replacement is not a {signal} export request: {reason}"
                            ))
                        })?;
                        let batch = ProcessBatch {
                            signal,
                            items,
                            bytes: Bytes::Owned(bytes),
                            decoded: OnceCell::new(),
                        };
                        (batch, items)
                    }
                    Replacement::Traces(request) => self.decoded_batch(Decoded::Traces(request))?,
                    Replacement::Metrics(request) => {
                        self.decoded_batch(Decoded::Metrics(request))?
                    }
                    Replacement::Logs(request) => self.decoded_batch(Decoded::Logs(request))?,
                };
                if items != self.batch.items {
                    self.ended = true;
                }
                self.batch = batch;
                self.replaced = true;
                self.edits.clear();
                Ok(())
            }
        }
    }

    /// A replacement message as the next stage's batch, with its item count.
    fn decoded_batch(&self, decoded: Decoded) -> Result<(ProcessBatch<'a>, u64), ProcessError> {
        let signal = self.batch.signal;
        if decoded.signal() != signal {
            return Err(ProcessError::permanent(format!(
                "the processor replaced a {signal} batch with {}",
                decoded.signal()
            )));
        }
        let items = decoded.items();
        let batch = ProcessBatch {
            signal,
            items,
            bytes: Bytes::Stale(OnceCell::new()),
            decoded: OnceCell::from(Ok(decoded)),
        };
        Ok((batch, items))
    }

    /// What the run hands back.
    pub fn finish(self) -> Result<RunOutput, ProcessError> {
        let mut output = RunOutput {
            keep: self.keep,
            ..RunOutput::default()
        };
        if self.replaced {
            output.replacement = Some(self.batch.into_bytes());
        } else {
            // Each stage's edits are sorted by map, their concatenation is not: the script
            // must be (Go applies it in one pass over the maps). The sort is stable, so the
            // edits of one map stay in the order the stages made them.
            let mut edits = self.edits;
            edits.sort_by_key(|edit| edit.map);
            encode_script(&edits, &mut output.edit_script);
        }
        Ok(output)
    }
}

/// Checks a processor's answer as the collector's side does when the processor is a run's
/// only stage: an answer the host refuses ([`ProcessRun::apply_last`]) or an edit past the
/// batch's last map (which Go refuses) is the stage's permanent error. For
/// `testing::TestHost`, so that a unit test sees what the collector would do.
pub(crate) fn check_answer(
    batch: &ProcessBatch<'_>,
    answer: &Processed,
) -> Result<(), ProcessError> {
    let mut run = ProcessRun::new(batch.signal(), batch.bytes(), batch.items());
    run.apply_last(answer.clone())?;
    if let Processed::Edits(edits) = answer
        && let Some(highest) = edits.highest_map()
    {
        let mut maps = 0u32;
        // A batch that does not decode cannot be counted here; Go still checks it.
        if batch.for_each_attributes(|_| maps += 1).is_ok() && highest >= maps {
            return Err(ProcessError::permanent(format!(
                "an edit names attribute map {highest}, but the batch has {maps}"
            )));
        }
    }
    Ok(())
}

/// How a guarded process call ended.
#[doc(hidden)]
#[derive(Debug)]
pub enum ProcessEnd {
    /// The processor answered.
    Answered(Result<Processed, ProcessError>),
    /// It panicked, with this message.
    Panicked(String),
}

/// Runs one process call as the host does, for the host and `testing::TestHost` alike: a
/// panic is caught and its payload dropped with its own panic contained.
#[doc(hidden)]
pub fn guarded_process(
    processor: &dyn ErasedProcessor,
    batch: &ProcessBatch<'_>,
    ctx: &ProcessContext,
) -> ProcessEnd {
    match catch_unwind(AssertUnwindSafe(|| processor.process(batch, ctx))) {
        Ok(answer) => ProcessEnd::Answered(answer),
        Err(payload) => {
            let message = crate::panic_message(payload.as_ref());
            if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                std::mem::forget(again);
            }
            ProcessEnd::Panicked(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::MapKind;
    use crate::proto::common::v1::any_value::Value;
    use crate::proto::common::v1::{AnyValue, KeyValue};
    use crate::proto::metrics::v1::{
        Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
        ScopeMetrics, Sum, metric::Data,
    };
    use crate::proto::resource::v1::Resource;
    use crate::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, span::Event, span::Link};

    fn kv(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(value.to_owned())),
            }),
            ..KeyValue::default()
        }
    }

    fn span(name: &str, events: usize, links: usize) -> Span {
        Span {
            name: name.to_owned(),
            attributes: vec![kv("name", name)],
            events: (0..events).map(|_| Event::default()).collect(),
            links: (0..links).map(|_| Link::default()).collect(),
            ..Span::default()
        }
    }

    /// Two resources (the second without a resource message), spans with events and links.
    fn traces() -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans {
                    resource: Some(Resource {
                        attributes: vec![kv("service.name", "a")],
                        ..Resource::default()
                    }),
                    scope_spans: vec![ScopeSpans {
                        spans: vec![span("s0", 2, 1), span("s1", 0, 0)],
                        ..ScopeSpans::default()
                    }],
                    ..ResourceSpans::default()
                },
                ResourceSpans {
                    scope_spans: vec![ScopeSpans {
                        spans: vec![span("s2", 0, 2)],
                        ..ScopeSpans::default()
                    }],
                    ..ResourceSpans::default()
                },
            ],
        }
    }

    fn kinds(batch: &ProcessBatch<'_>) -> Vec<(u32, MapKind)> {
        let mut maps = Vec::new();
        batch
            .for_each_attributes(|map| maps.push((map.index, map.kind)))
            .unwrap_or_else(|err| panic!("{err}"));
        maps
    }

    #[test]
    fn trace_maps_are_numbered_in_document_order() {
        let bytes = traces().encode_to_vec();
        let batch = ProcessBatch::new(Signal::Traces, &bytes, 3);
        use MapKind::*;
        let expected = [
            Resource, Scope, Span, SpanEvent, SpanEvent, SpanLink, Span, Resource, Scope, Span,
            SpanLink, SpanLink,
        ];
        let got = kinds(&batch);
        assert_eq!(got.iter().map(|m| m.1).collect::<Vec<_>>(), expected);
        assert_eq!(
            got.iter().map(|m| m.0).collect::<Vec<_>>(),
            (0..12).collect::<Vec<_>>()
        );
    }

    #[test]
    fn data_points_of_every_metric_type_are_items_and_maps() {
        let point = NumberDataPoint::default();
        let request = ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![
                        Metric {
                            data: Some(Data::Gauge(Gauge {
                                data_points: vec![point.clone(), point.clone()],
                            })),
                            ..Metric::default()
                        },
                        Metric::default(),
                        Metric {
                            data: Some(Data::Sum(Sum {
                                data_points: vec![point],
                                ..Sum::default()
                            })),
                            ..Metric::default()
                        },
                        Metric {
                            data: Some(Data::Histogram(Histogram {
                                data_points: vec![HistogramDataPoint::default()],
                                ..Histogram::default()
                            })),
                            ..Metric::default()
                        },
                    ],
                    ..ScopeMetrics::default()
                }],
                ..ResourceMetrics::default()
            }],
        };
        let bytes = request.encode_to_vec();
        assert_eq!(count_items(Signal::Metrics, &bytes), Ok(4));
        let batch = ProcessBatch::new(Signal::Metrics, &bytes, 4);
        let got: Vec<MapKind> = kinds(&batch).into_iter().map(|m| m.1).collect();
        assert_eq!(
            got,
            [
                MapKind::Resource,
                MapKind::Scope,
                MapKind::DataPoint,
                MapKind::DataPoint,
                MapKind::DataPoint,
                MapKind::DataPoint
            ]
        );
    }

    #[test]
    fn edits_have_pdata_semantics() {
        let mut attributes = vec![kv("a", "1"), kv("b", "2"), kv("c", "3"), kv("a", "4")];
        let request = ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource {
                    attributes: attributes.clone(),
                    ..Resource::default()
                }),
                ..ResourceSpans::default()
            }],
        };
        let bytes = request.encode_to_vec();
        let mut run = ProcessRun::new(Signal::Traces, &bytes, 0);
        let mut edits = Edits::new();
        edits.remove(0, "a"); // the last entry moves into the first "a"'s place
        edits.set_str(0, "b", "x"); // in place
        edits.set_int(0, "d", 7); // appended
        edits.remove(0, "missing");
        run.apply(Processed::Edits(edits))
            .unwrap_or_else(|err| panic!("{err}"));
        attributes.swap_remove(0);
        attributes[1] = kv("b", "x");
        attributes.push(KeyValue {
            key: "d".to_owned(),
            value: Some(AnyValue {
                value: Some(Value::IntValue(7)),
            }),
            ..KeyValue::default()
        });
        let seen = run.batch().traces().unwrap_or_else(|err| panic!("{err}"));
        let resource = seen.resource_spans[0]
            .resource
            .as_ref()
            .map(|r| r.attributes.clone());
        assert_eq!(resource, Some(attributes));
        let output = run.finish().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(output.replacement, None);
        let mut script = Vec::new();
        script.extend_from_slice(&0u32.to_le_bytes());
        script.push(2);
        script.extend_from_slice(&1u32.to_le_bytes());
        script.push(b'a');
        script.extend_from_slice(&0u32.to_le_bytes());
        script.push(0);
        script.extend_from_slice(&1u32.to_le_bytes());
        script.push(b'b');
        script.extend_from_slice(&1u32.to_le_bytes());
        script.push(b'x');
        script.extend_from_slice(&0u32.to_le_bytes());
        script.push(1);
        script.extend_from_slice(&1u32.to_le_bytes());
        script.push(b'd');
        script.extend_from_slice(&7i64.to_le_bytes());
        script.extend_from_slice(&0u32.to_le_bytes());
        script.push(2);
        script.extend_from_slice(&7u32.to_le_bytes());
        script.extend_from_slice(b"missing");
        assert_eq!(output.edit_script, script);
    }

    #[test]
    fn a_run_shows_each_stage_the_previous_edits_and_ends_after_a_drop() {
        let bytes = traces().encode_to_vec();
        let mut run = ProcessRun::new(Signal::Traces, &bytes, 3);
        let mut edits = Edits::new();
        edits.set_str(2, "seen", "first");
        run.apply(Processed::Edits(edits))
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(!run.ended());
        let mut seen = None;
        run.batch()
            .for_each_attributes(|map| {
                if map.index == 2 {
                    seen = map.attributes.iter().find(|kv| kv.key == "seen").cloned();
                }
            })
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(seen, Some(kv("seen", "first")));
        // The bytes a later stage reads carry the edit too.
        let again = ExportTraceServiceRequest::decode(run.batch().bytes())
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(
            again.resource_spans[0].scope_spans[0].spans[0]
                .attributes
                .contains(&kv("seen", "first"))
        );
        run.apply(Processed::Keep(vec![true, true, true]))
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(!run.ended(), "keeping everything changes nothing");
        run.apply(Processed::Keep(vec![true, false, true]))
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(run.ended());
        let output = run.finish().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            output.keep,
            Some(KeepBitmap {
                bitmap: vec![0b101],
                items: 3
            })
        );
        assert!(!output.edit_script.is_empty());
    }

    /// Scenario: two stages edit maps 2 and 0, then 0 and 2.
    /// Guarantees: the run's script is sorted by map, each map's edits in stage order.
    #[test]
    fn a_runs_script_is_sorted_by_map_across_stages() {
        let bytes = traces().encode_to_vec();
        let mut run = ProcessRun::new(Signal::Traces, &bytes, 3);
        for stage in ["one", "two"] {
            let mut edits = Edits::new();
            edits.set_str(2, "k", stage);
            edits.set_str(0, "k", stage);
            run.apply(Processed::Edits(edits))
                .unwrap_or_else(|err| panic!("{err}"));
        }
        let output = run.finish().unwrap_or_else(|err| panic!("{err}"));
        let mut script = Vec::new();
        for (map, value) in [(0u32, "one"), (0, "two"), (2, "one"), (2, "two")] {
            script.extend_from_slice(&map.to_le_bytes());
            script.push(0);
            script.extend_from_slice(&1u32.to_le_bytes());
            script.push(b'k');
            script.extend_from_slice(&3u32.to_le_bytes());
            script.extend_from_slice(value.as_bytes());
        }
        assert_eq!(output.edit_script, script);
    }

    #[test]
    fn answers_the_run_cannot_use_are_the_stages_errors() {
        let bytes = traces().encode_to_vec();
        let mut run = ProcessRun::new(Signal::Traces, &bytes, 3);
        let err = run.apply(Processed::Keep(vec![true])).err();
        assert_eq!(
            err.map(|e| e.reason().to_owned()),
            Some("the processor answered 1 keep flags for a batch of 3 items".to_owned())
        );
        let mut edits = Edits::new();
        edits.set_str(12, "k", "v");
        let err = run.apply(Processed::Edits(edits)).err();
        assert_eq!(
            err.map(|e| e.reason().to_owned()),
            Some("an edit names attribute map 12, but the batch has 12".to_owned())
        );
        let err = run
            .apply(Processed::Replace(Replacement::Encoded(vec![0x0a, 0x05])))
            .err();
        assert!(err.is_some_and(|e| !e.is_retryable()));
    }

    #[test]
    fn edits_after_a_replacement_go_into_it_and_a_count_change_ends_the_run() {
        let bytes = traces().encode_to_vec();
        let mut run = ProcessRun::new(Signal::Traces, &bytes, 3);
        run.apply(Processed::Replace(Replacement::Encoded(bytes.clone())))
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(!run.ended(), "the same count goes on");
        let mut edits = Edits::new();
        edits.set_str(0, "after", "yes");
        run.apply(Processed::Edits(edits))
            .unwrap_or_else(|err| panic!("{err}"));
        let mut fewer = traces();
        fewer.resource_spans.pop();
        run.apply(Processed::Replace(Replacement::Traces(fewer.clone())))
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(run.ended());
        let output = run.finish().unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(output.replacement, Some(fewer.encode_to_vec()));
        assert!(output.edit_script.is_empty());
    }

    /// Scenario: the last stage of a run answers edits on a batch prost refuses (a span name
    /// that is not UTF-8, which pdata carries), then on a replacement an earlier stage made.
    /// Guarantees: the last stage's edits to the batch the run received are only recorded
    /// (the batch is not decoded: the collector makes them; a stage another follows is in
    /// `edits_to_a_batch_prost_refuses_end_the_run_instead_of_failing_it`); after a
    /// replacement the last stage's edits are made to it, since it is handed over encoded.
    #[test]
    fn the_last_stages_edits_are_recorded_not_made() {
        let mut request = traces();
        request.resource_spans[0].scope_spans[0].spans[0].name = "NOT-UTF-8".to_owned();
        let mut bytes = request.encode_to_vec();
        let at = bytes
            .windows(9)
            .position(|window| window == b"NOT-UTF-8")
            .unwrap_or_else(|| panic!("the name is in the bytes"));
        bytes[at] = 0xff;
        let mut edits = Edits::new();
        edits.set_str(2, "k", "v");

        let mut run = ProcessRun::new(Signal::Traces, &bytes, 3);
        run.apply_last(Processed::Edits(edits.clone()))
            .unwrap_or_else(|err| panic!("{err}"));
        let output = run.finish().unwrap_or_else(|err| panic!("{err}"));
        let mut script = Vec::new();
        script.extend_from_slice(&2u32.to_le_bytes());
        script.push(0);
        script.extend_from_slice(&1u32.to_le_bytes());
        script.push(b'k');
        script.extend_from_slice(&1u32.to_le_bytes());
        script.push(b'v');
        assert_eq!(output.edit_script, script);
        assert_eq!(output.replacement, None);

        let valid = traces().encode_to_vec();
        let mut run = ProcessRun::new(Signal::Traces, &valid, 3);
        run.apply(Processed::Replace(Replacement::Encoded(valid.clone())))
            .unwrap_or_else(|err| panic!("{err}"));
        run.apply_last(Processed::Edits(edits))
            .unwrap_or_else(|err| panic!("{err}"));
        let output = run.finish().unwrap_or_else(|err| panic!("{err}"));
        assert!(output.edit_script.is_empty());
        let replaced =
            ExportTraceServiceRequest::decode(output.replacement.as_deref().unwrap_or_default())
                .unwrap_or_else(|err| panic!("{err}"));
        assert!(
            replaced.resource_spans[0].scope_spans[0].spans[0]
                .attributes
                .contains(&kv("k", "v"))
        );
    }

    #[test]
    fn edits_to_a_batch_prost_refuses_end_the_run_instead_of_failing_it() {
        // pdata carries strings that are not UTF-8; prost refuses them. Unfused, such a batch
        // passes a processor that edits from the bytes; fused, it must too.
        let mut request = traces();
        request.resource_spans[0].scope_spans[0].spans[0].name = "MARKER".to_owned();
        let mut bytes = request.encode_to_vec();
        let at = bytes
            .windows(6)
            .position(|w| w == b"MARKER")
            .unwrap_or_else(|| panic!("marker not encoded"));
        bytes[at] = 0xff;
        let mut run = ProcessRun::new(Signal::Traces, &bytes, 3);
        let mut edits = Edits::new();
        edits.set_str(2, "k", "v");
        run.apply(Processed::Edits(edits))
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(run.ended(), "the next stage cannot see the edit in Rust");
        let output = run.finish().unwrap_or_else(|err| panic!("{err}"));
        assert!(
            !output.edit_script.is_empty(),
            "the collector makes the edit"
        );
        assert_eq!(output.replacement, None);
    }

    struct Panics;

    impl Processor for Panics {
        fn process(
            &self,
            _: &ProcessBatch<'_>,
            _: &ProcessContext,
        ) -> Result<Processed, ProcessError> {
            panic!("boom");
        }
    }

    #[test]
    fn a_panic_is_caught() {
        let batch = ProcessBatch::new(Signal::Logs, &[], 0);
        let ctx = ProcessContext::new(ComponentId {
            kind: "p".to_owned(),
            name: String::new(),
        });
        match guarded_process(&Panics, &batch, &ctx) {
            ProcessEnd::Panicked(message) => assert_eq!(message, "boom"),
            ProcessEnd::Answered(answer) => panic!("answered {answer:?}"),
        }
    }
}
