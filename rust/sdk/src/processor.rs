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
//! impl Config for DropHealthConfig {}
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

    /// Takes a stage's answer. An answer the run cannot use (keep flags of the wrong length,
    /// an edit past the last map, a replacement that does not decode) is that stage's
    /// permanent error.
    pub fn apply(&mut self, answer: Processed) -> Result<(), ProcessError> {
        match answer {
            Processed::Unchanged => Ok(()),
            Processed::Edits(edits) => {
                if edits.is_empty() {
                    return Ok(());
                }
                let edits = edits.into_sorted();
                self.batch
                    .decoded_mut()?
                    .apply(&edits)
                    .map_err(ProcessError::permanent)?;
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
            encode_script(&self.edits, &mut output.edit_script);
        }
        Ok(output)
    }
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
