//! What a component author implements: a factory and an extension with start and shutdown.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::{Config, Error};

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

/// What a component can see of the collector hosting it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Host {
    /// The collector build.
    pub build: BuildInfo,
    /// Ids (`type[/name]`) of the other extensions configured in this collector.
    pub extensions: Vec<String>,
}

/// A running extension instance.
///
/// Contract (checked by the SDK's host, so implementations need not guard against it):
/// `start` is called at most once, `shutdown` at most once and only after `start` was called
/// (also when `start` failed or ran out of time, so it must release whatever `start` took).
/// Both run on the library's tokio runtime and are cut off at the context's deadline: spawn
/// background work with `tokio::spawn` and stop it in `shutdown`.
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
    /// The configuration struct.
    type Config: Config;
    /// The extension this factory creates.
    type Extension: Extension;

    /// Creates an instance from an already validated config. Called by the collector's `Start`,
    /// right before [`Extension::start`]; keep it cheap and side-effect free.
    fn create(&self, id: &ComponentId, config: Self::Config) -> Result<Self::Extension, Error>;

    /// Ids (`type[/name]`) of extensions that must start before this instance and shut down
    /// after it. Most extensions depend on nothing.
    fn dependencies(&self, config: &Self::Config) -> Vec<String> {
        let _ = config;
        Vec::new()
    }
}
