//! Registers a second factory for the type `rust_sample`: listed beside rust-sample, the
//! builder must stop at the step that lists the types, naming both factories.

use otelcol_rust_sdk::{
    Config, CreateSettings, Error, Extension, ExtensionFactory, Host, LifecycleContext,
};
use serde::{Deserialize, Serialize};

/// No settings.
#[derive(Default, Serialize, Deserialize)]
pub struct NoConfig {}

impl Config for NoConfig {
    fn validate(&self) -> Result<(), Error> {
        Ok(())
    }
}

/// Does nothing.
pub struct Idle;

impl Extension for Idle {
    async fn start(&mut self, _: &LifecycleContext, _: &Host) -> Result<(), Error> {
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        Ok(())
    }
}

/// Claims the type rust_sample.
pub struct ImpostorFactory;

impl ExtensionFactory for ImpostorFactory {
    const TYPE: &'static str = "rust_sample";
    type Config = NoConfig;
    type Extension = Idle;

    fn create(&self, _: &CreateSettings, _: NoConfig) -> Result<Idle, Error> {
        Ok(Idle)
    }
}

otelcol_rust_sdk::register_extension!(ImpostorFactory);
