//! `git_sample`: a component crate that depends on otelcol-rust-sdk by git, for the builder's
//! end-to-end test. The test commits it to a temporary git repository with a Cargo.toml naming
//! the SDK's git URL; it logs its greeting at start and at shutdown, which the test reads.

use otelcol_rust_sdk::{
    Config, CreateSettings, Error, Extension, ExtensionFactory, Host, LifecycleContext,
    tracing::info,
};
use serde::{Deserialize, Serialize};

/// The greeting to log.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GreetingConfig {
    /// Logged at start and shutdown.
    pub greeting: String,
}

impl Default for GreetingConfig {
    fn default() -> Self {
        Self {
            greeting: "hello".into(),
        }
    }
}

impl Config for GreetingConfig {
    fn validate(&self) -> Result<(), Error> {
        if self.greeting.is_empty() {
            return Err(Error::invalid_field("greeting", "must not be empty"));
        }
        Ok(())
    }
}

/// Logs its greeting.
pub struct Greeter(String);

impl Extension for Greeter {
    async fn start(&mut self, _: &LifecycleContext, _: &Host) -> Result<(), Error> {
        info!("git_sample started: {}", self.0);
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        info!("git_sample stopped: {}", self.0);
        Ok(())
    }
}

/// Creates `git_sample` extensions.
pub struct GreeterFactory;

impl ExtensionFactory for GreeterFactory {
    const TYPE: &'static str = "git_sample";
    type Config = GreetingConfig;
    type Extension = Greeter;

    fn create(&self, _: &CreateSettings, config: GreetingConfig) -> Result<Greeter, Error> {
        Ok(Greeter(config.greeting))
    }
}

otelcol_rust_sdk::register_extension!(GreeterFactory);
