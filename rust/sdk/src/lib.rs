//! The SDK for writing OpenTelemetry Collector components in Rust: extensions, exporters,
//! processors and receivers.
//!
//! A component author
//! 1. writes a serde config struct and implements [`Config`] (its `validate`),
//! 2. implements [`Extension`] (start, shutdown) and [`ExtensionFactory`] (type, create), or
//!    [`Exporter`] (export, and optionally start and shutdown) and [`ExporterFactory`] (type,
//!    signals, create), or [`Processor`] (a synchronous process answering [`Processed`]) and
//!    [`ProcessorFactory`], or [`Receiver`] (start, given a [`Consumer`] per signal to
//!    [`Consumer::send`] to, and shutdown) and [`ReceiverFactory`], logging with [`tracing`], reporting its [`Status`] through the
//!    [`Host`] and declaring its instruments on the [`Meter`] in [`CreateSettings`],
//! 3. registers the factory with one line: `otelcol_rust_sdk::register_extension!(MyFactory);`,
//!    `otelcol_rust_sdk::register_exporter!(MyFactory);`,
//!    `otelcol_rust_sdk::register_processor!(MyFactory);` or
//!    `otelcol_rust_sdk::register_receiver!(MyFactory);`
//!
//! A collector distribution lists the crate in its manifest (`cargo:`, see
//! `docs/distribution.md`); the one static library built for it holds every registered
//! factory, and Go turns each into a collector `extension.Factory`, `exporter.Factory`,
//! `processor.Factory` or `receiver.Factory` (an exporter gets the collector's
//! `sending_queue`, `retry_on_failure` and `timeout`; a processor the standard processor
//! metrics, and consecutive Rust processors cross to Rust once per batch; a receiver the
//! standard receiver metrics and spans). See `docs/writing-an-extension.md`,
//! `docs/writing-an-exporter.md`, `docs/writing-a-processor.md` and
//! `docs/writing-a-receiver.md` for the walk-throughs, the [`exporter`] module for a minimal
//! exporter and its unit test, the [`processor`] module for a minimal processor and the
//! [`receiver`] module for a minimal receiver and its test.

pub mod attributes;
mod config;
pub mod duration;
mod error;
pub mod exporter;
mod lifecycle;
pub mod metrics;
pub mod processor;
pub mod receiver;
mod registry;
#[doc(hidden)]
pub mod scope;
mod stability;
pub mod testing;
mod tree;
pub mod value;

pub use attributes::{AttributeMap, Edits, MapKind};
pub use config::{Config, decode as decode_config, encode as encode_config};
pub use error::{ConfigProblem, ConfigProblems, Error};
pub use exporter::{Batch, ExportContext, ExportOutcome, Exporter, ExporterFactory, Signal};
pub use processor::{
    ProcessBatch, ProcessContext, ProcessError, Processed, Processor, ProcessorFactory, Replacement,
};
pub use receiver::{
    ConsumeError, ConsumeErrorKind, Consumer, Consumers, Encoding, Payload, Receiver,
    ReceiverFactory,
};
// A consumer's delivery: for the host (otelcol-rust-ffi) and `testing::TestHost`.
#[doc(hidden)]
pub use receiver::Deliver;
// The fused run and the guarded process call: for the host (otelcol-rust-ffi) and
// `testing::TestHost`.
#[doc(hidden)]
pub use processor::{KeepBitmap, ProcessEnd, ProcessRun, RunOutput, guarded_process};
// The guarded export runner: for the host (otelcol-rust-ffi) and `testing::TestHost`, which
// run exports the same way.
#[doc(hidden)]
pub use exporter::{ExportEnd, guarded_export};
pub use lifecycle::{
    BuildInfo, ComponentId, CreateSettings, Extension, ExtensionFactory, Host, LifecycleContext,
    SpawnedTasks, Status, StatusReporter, panic_message,
};
pub use metrics::{Counter, Gauge, Histogram, KeyValue, Meter, UpDownCounter};

/// Makes a future log as the component it was created in (every poll of it runs in the
/// current component's scope). Tasks started with [`Host::spawn`] are in the component's
/// scope already; wrap the future of a task started any other way (`tokio::spawn`, a
/// `JoinSet`), or its records go to the library's logger instead of the component's:
///
/// ```
/// # async fn serve_connection() {}
/// # async fn example() {
/// let mut connections = tokio::task::JoinSet::new();
/// connections.spawn(otelcol_rust_sdk::in_current_scope(serve_connection()));
/// # }
/// ```
pub fn in_current_scope<F: std::future::Future>(
    future: F,
) -> impl std::future::Future<Output = F::Output> {
    scope::in_current_scope(future)
}
// The registry's internals: for the `register_*!` macros' expansions and the host
// (otelcol-rust-ffi), not components, so hidden from the API (docs/versioning.md).
#[doc(hidden)]
pub use registry::{
    AsExporter, AsExtension, AsProcessor, AsReceiver, BoxFuture, EXPORTER_FACTORIES,
    EXTENSION_FACTORIES, ErasedExporter, ErasedExporterFactory, ErasedExtension,
    ErasedExtensionFactory, ErasedFactory, ErasedProcessor, ErasedProcessorFactory, ErasedReceiver,
    ErasedReceiverFactory, ExporterRegistration, FactoryConfig, PROCESSOR_FACTORIES,
    ProcessorRegistration, RECEIVER_FACTORIES, ReceiverRegistration, Registration,
    exporter_factories, extension_factories, find_exporter_factory, find_extension_factory,
    find_processor_factory, find_receiver_factory, processor_factories, receiver_factories,
};

/// The version of this SDK (`otelcol-rust-sdk`'s crate version). [`register_extension!`],
/// [`register_exporter!`], [`register_processor!`] and [`register_receiver!`] record it in
/// each registration; the
/// collector's Go side refuses a library whose registrations record a version it cannot run by
/// Cargo's caret rule (in 0.x a minor release is breaking; see docs/versioning.md).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub use stability::Stability;

#[doc(hidden)]
pub use linkme;
/// The OTLP protobuf messages ([`Batch::decode_traces`] and the others answer them), from
/// `opentelemetry-proto`: `otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest`,
/// `otelcol_rust_sdk::proto::trace::v1::Span`, ... Re-exported so every component of a
/// distribution uses the one version.
pub use opentelemetry_proto::tonic as proto;
/// The protobuf runtime the [`proto`] messages implement `Message` with: encode and decode
/// with it, not a `prost` of the component's own.
pub use prost;
/// The logging API components use: records reach the component's logger in the collector
/// (docs/telemetry.md). Re-exported so a component needs no version of its own.
pub use tracing;
