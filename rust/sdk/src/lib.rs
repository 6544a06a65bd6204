//! The SDK for writing OpenTelemetry Collector extensions in Rust.
//!
//! A component author
//! 1. writes a serde config struct and implements [`Config`] (its `validate`),
//! 2. implements [`Extension`] (start, shutdown) and [`ExtensionFactory`] (type, create),
//!    logging with [`tracing`], reporting its [`Status`] through the [`Host`] and declaring
//!    its instruments on the [`Meter`] in [`CreateSettings`],
//! 3. registers the factory with one line: `otelcol_rust_sdk::register_extension!(MyFactory);`
//!
//! A collector distribution lists the crate in its manifest (`cargo:`, see
//! `docs/distribution.md`); the one static library built for it holds every registered
//! factory, and Go turns each into a collector `extension.Factory`.
//! See `docs/writing-an-extension.md` for the walk-through.

mod config;
pub mod duration;
mod error;
mod lifecycle;
pub mod metrics;
mod registry;
#[doc(hidden)]
pub mod scope;
mod stability;
pub mod testing;
mod tree;

pub use config::{Config, decode as decode_config, encode as encode_config};
pub use error::{ConfigProblem, ConfigProblems, Error};
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
// The registry's internals: for `register_extension!`'s expansion and the host
// (otelcol-rust-ffi), not components, so hidden from the API (docs/versioning.md).
#[doc(hidden)]
pub use registry::{
    BoxFuture, EXTENSION_FACTORIES, ErasedExtension, ErasedExtensionFactory, Registration,
    extension_factories, find_extension_factory,
};

/// The version of this SDK (`otelcol-rust-sdk`'s crate version). [`register_extension!`]
/// records it in each registration; the collector's Go side refuses a library whose
/// registrations record a version it cannot run by Cargo's caret rule (in 0.x a minor release
/// is breaking; see docs/versioning.md).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub use stability::Stability;

#[doc(hidden)]
pub use linkme;
/// The logging API components use: records reach the component's logger in the collector
/// (docs/telemetry.md). Re-exported so a component needs no version of its own.
pub use tracing;
