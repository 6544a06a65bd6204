//! `rust_otlphttp`: an OpenTelemetry Collector extension written in Rust.
//!
//! Every `interval` it logs `message` from a background task, through `tracing`, so the record
//! reaches the collector's log with this component's id; the first beat reports `Status::Ok` to
//! the collector's status watchers. `shutdown` stops the task. Replace the beat with the
//! component's own work (otelcol-rust's docs/writing-an-extension.md walks through the SDK).

mod config;

use otelcol_rust_sdk::tracing::info;
use otelcol_rust_sdk::{
    CreateSettings, Error, Extension, ExtensionFactory, Host, LifecycleContext, Stability, Status,
};
use tokio::task::AbortHandle;

pub use config::RustOtlphttpConfig;

/// Creates `rust_otlphttp` extensions.
pub struct RustOtlphttpFactory;

impl ExtensionFactory for RustOtlphttpFactory {
    const TYPE: &'static str = "rust_otlphttp";
    // How mature the component is, as `components` lists it: raise it as the component matures.
    const STABILITY: Stability = Stability::Development;
    type Config = RustOtlphttpConfig;
    type Extension = RustOtlphttpExtension;

    fn create(
        &self,
        _settings: &CreateSettings,
        config: RustOtlphttpConfig,
    ) -> Result<RustOtlphttpExtension, Error> {
        Ok(RustOtlphttpExtension { config, task: None })
    }
}

otelcol_rust_sdk::register_extension!(RustOtlphttpFactory);

/// A `rust_otlphttp` extension instance.
pub struct RustOtlphttpExtension {
    config: RustOtlphttpConfig,
    /// The background task, from `start` until `shutdown`.
    task: Option<AbortHandle>,
}

impl Extension for RustOtlphttpExtension {
    async fn start(&mut self, _ctx: &LifecycleContext, host: &Host) -> Result<(), Error> {
        let interval = self.config.interval;
        let message = self.config.message.clone();
        let reporter = host.clone();
        // Host::spawn, not tokio::spawn: a panic in the task reaches the collector as this
        // component's fatal error, and what the task logs carries the component's id.
        self.task = Some(host.spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            // The first tick completes at once: beats start one interval after start.
            ticks.tick().await;
            let mut beats: u64 = 0;
            loop {
                ticks.tick().await;
                beats += 1;
                info!(beats, "{message}");
                if beats == 1 {
                    reporter.report_status(Status::Ok);
                }
            }
        }));
        Ok(())
    }

    async fn shutdown(&mut self, _ctx: &LifecycleContext) -> Result<(), Error> {
        // The collector also calls shutdown after a failed or cancelled start: stop only what
        // start began.
        if let Some(task) = self.task.take() {
            task.abort();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use otelcol_rust_sdk::testing::TestHost;

    use super::*;

    /// How long a test waits for what takes milliseconds.
    const WAIT: Duration = Duration::from_secs(5);

    /// Scenario: an instance with a 10 ms interval, created from a JSON config and started by a
    /// test host as the collector would.
    /// Guarantees: its task beats (the first beat reports `Ok`), and shutdown stops the task.
    #[tokio::test]
    async fn beats_until_shutdown() -> Result<(), Box<dyn std::error::Error>> {
        let host = TestHost::new("rust_otlphttp");
        let mut extension = host.create(&RustOtlphttpFactory, r#"{"interval": "10ms"}"#)?;
        host.start(&mut extension).await?;
        host.wait_for(|status| *status == Status::Ok, WAIT).await?;
        host.shutdown(&mut extension).await?;
        host.wait_tasks_ended(WAIT).await?;
        Ok(())
    }

    /// Guarantees: shutdown without start succeeds and reports nothing (the collector calls it
    /// after a failed start).
    #[tokio::test]
    async fn shutdown_without_start() -> Result<(), Box<dyn std::error::Error>> {
        let host = TestHost::new("rust_otlphttp/unstarted");
        let mut extension = host.create(&RustOtlphttpFactory, "{}")?;
        host.shutdown(&mut extension).await?;
        assert_eq!(host.statuses(), []);
        Ok(())
    }

    /// Guarantees: a config the collector would refuse never reaches `create`.
    #[test]
    fn invalid_config_is_refused() {
        let host = TestHost::new("rust_otlphttp");
        let refused = host
            .create(&RustOtlphttpFactory, r#"{"interval": "0s"}"#)
            .err();
        let message = refused.map(|err| err.to_string());
        assert_eq!(message.as_deref(), Some("interval: must be greater than 0"));
    }
}
