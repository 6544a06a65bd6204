//! `rust_chaos`: a TEST-ONLY extension that misbehaves on request, one failure mode per config
//! key, for the reliability tests (go/reliability). It is linked only into the archive built
//! with the ffi crate's `test-components` feature and never ships in the default build.
#![allow(clippy::panic)] // Panicking on request is this crate's whole purpose.

use std::time::Duration;

use otelcol_rust_sdk::{
    ComponentId, Config, Error, Extension, ExtensionFactory, Host, LifecycleContext, Stability,
};
use serde::{Deserialize, Serialize};

/// Which misbehaviour to show. Everything off is a well-behaved no-op extension.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosConfig {
    /// Panic in `validate`, `start`, `shutdown` or `background` (a task spawned by start).
    pub panic_in: String,
    /// Never finish `start` or `shutdown`.
    pub block_in: String,
    /// Block the thread (`std::thread::sleep`) instead of awaiting forever.
    pub block_thread: bool,
    /// Delay before the background panic, in milliseconds.
    pub panic_after_ms: u64,
    /// Fail `start`, quoting the config as `start` received it (`Debug` form), so tests can
    /// check exactly what reached Rust through the collector's config path.
    pub fail_start: bool,
    /// Report fatal errors in a loop from a background task, as fast as the runtime allows.
    pub fatal_loop: bool,
}

impl Config for ChaosConfig {
    fn validate(&self) -> Result<(), Error> {
        if self.panic_in == "validate" {
            panic!("rust_chaos panics in validate");
        }
        Ok(())
    }
}

/// A `rust_chaos` instance.
pub struct Chaos(ChaosConfig, Option<tokio::task::AbortHandle>);

impl Chaos {
    async fn maybe_block(&self, phase: &str) {
        if self.0.block_in != phase {
            return;
        }
        if self.0.block_thread {
            std::thread::sleep(Duration::from_secs(3));
        } else {
            std::future::pending::<()>().await;
        }
    }
}

impl Extension for Chaos {
    async fn start(&mut self, _: &LifecycleContext, host: &Host) -> Result<(), Error> {
        if self.0.fail_start {
            return Err(Error::lifecycle(format!(
                "rust_chaos fails start as asked; it got {:?}",
                self.0
            )));
        }
        match self.0.panic_in.as_str() {
            "start" => panic!("rust_chaos panics in start"),
            "background" => {
                let delay = Duration::from_millis(self.0.panic_after_ms);
                self.1 = Some(host.spawn(async move {
                    tokio::time::sleep(delay).await;
                    panic!("rust_chaos panics in a background task");
                }));
            }
            _ => {}
        }
        if self.0.fatal_loop {
            let reporter = host.clone();
            self.1 = Some(host.spawn(async move {
                for n in 0u64.. {
                    reporter.report_fatal(format!("rust_chaos fatal error {n}"));
                    tokio::task::yield_now().await;
                }
            }));
        }
        self.maybe_block("start").await;
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        if let Some(task) = self.1.take() {
            task.abort();
        }
        if self.0.panic_in == "shutdown" {
            panic!("rust_chaos panics in shutdown");
        }
        self.maybe_block("shutdown").await;
        Ok(())
    }
}

/// Creates `rust_chaos` extensions.
pub struct ChaosFactory;

impl ExtensionFactory for ChaosFactory {
    const TYPE: &'static str = "rust_chaos";
    // A test-only component has no real maturity; it declares a level other than the default
    // so the Go tests can see a declared level reach the collector's factory.
    const STABILITY: Stability = Stability::Alpha;
    type Config = ChaosConfig;
    type Extension = Chaos;

    fn create(&self, _: &ComponentId, config: ChaosConfig) -> Result<Chaos, Error> {
        Ok(Chaos(config, None))
    }
}

otelcol_rust_sdk::register_extension!(ChaosFactory);
