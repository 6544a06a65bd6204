//! `rust_sample`: a Rust collector extension that serves its own status as JSON.
//!
//! Each request is logged at debug level (method, path, status) and counted in the
//! `rust_sample_requests` counter, per status code: the collector's log and metrics show both.
//!
//! When enabled, `start` binds `endpoint` and answers `GET /` with the component id, the host's
//! build version and the uptime; `shutdown` frees the port at once and gives open connections
//! up to `timeout_ms` to finish. The server runs under `Host::spawn`, as the SDK asks, so a
//! panic in it reaches the collector as this component's fatal error. It exists to show the
//! SDK end to end and to make the lifecycle observable. It declares no stability level, so it
//! is `Development`, the SDK's default: a sample is not for production.

mod config;
mod server;

use otelcol_rust_sdk::{CreateSettings, Error, ExtensionFactory};

pub use config::SampleConfig;
pub use server::SampleExtension;

/// Creates `rust_sample` extensions.
pub struct SampleFactory;

impl ExtensionFactory for SampleFactory {
    const TYPE: &'static str = "rust_sample";
    type Config = SampleConfig;
    type Extension = SampleExtension;

    fn create(
        &self,
        settings: &CreateSettings,
        config: SampleConfig,
    ) -> Result<SampleExtension, Error> {
        Ok(SampleExtension::new(settings, config))
    }

    fn dependencies(&self, config: &SampleConfig) -> Vec<String> {
        config.depends_on.clone()
    }
}

otelcol_rust_sdk::register_extension!(SampleFactory);
