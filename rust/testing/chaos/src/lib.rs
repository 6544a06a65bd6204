//! `rust_chaos`: a TEST-ONLY extension that misbehaves on request, one failure mode per config
//! key, for the reliability tests (go/reliability), an exporter of the same type (see
//! [`exporter`]) that answers batches as told and counts them, and a processor of the same
//! type (see [`processor`]) that answers every kind of processor result. It is linked only
//! into the archive built with the ffi crate's `test-components` feature and never ships in
//! the default build.
#![allow(clippy::panic)] // Panicking on request is this crate's whole purpose.

pub mod exporter;
pub mod processor;

use std::time::Duration;

use otelcol_rust_sdk::tracing::{debug, error, info, trace, warn};
use otelcol_rust_sdk::{
    Config, CreateSettings, Error, Extension, ExtensionFactory, Gauge, Histogram, Host, KeyValue,
    LifecycleContext, Stability, Status, UpDownCounter,
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
    /// In start, log one record per level ("rust_chaos <level> record", with fields n, flag,
    /// ratio and text) and one through the `log` crate.
    pub log_at_start: bool,
    /// Log "rust_chaos task record" once from a background task.
    pub log_in_task: bool,
    /// Log "rust_chaos shutting down" in shutdown.
    pub log_on_shutdown: bool,
    /// Log "rust_chaos loop record" (field i) every millisecond from a background task.
    pub log_loop: bool,
    /// Status reports made 20 ms apart from a background task after start: "ok",
    /// "recoverable_error:<message>", "permanent_error:<message>" or "fatal_error:<message>".
    pub statuses: Vec<String>,
    /// Declare one instrument of each kind and update them in start (see `Metrics`).
    pub metrics: bool,
}

impl Config for ChaosConfig {
    fn validate(&self) -> Result<(), Error> {
        if self.panic_in == "validate" {
            panic!("rust_chaos panics in validate");
        }
        for status in &self.statuses {
            parse_status(status).map_err(|err| Error::invalid_field("statuses", err))?;
        }
        Ok(())
    }
}

fn parse_status(text: &str) -> Result<Status, String> {
    let (kind, message) = text.split_once(':').unwrap_or((text, ""));
    let message = message.to_owned();
    match kind {
        "ok" => Ok(Status::Ok),
        "recoverable_error" => Ok(Status::RecoverableError(message)),
        "permanent_error" => Ok(Status::PermanentError(message)),
        "fatal_error" => Ok(Status::FatalError(message)),
        _ => Err(format!("unknown status {text:?}")),
    }
}

/// The instruments `metrics: true` declares, one of each kind (the counter is used in start
/// straight from the meter's handle).
struct Metrics {
    events: otelcol_rust_sdk::Counter,
    inflight: UpDownCounter,
    ratio: Gauge,
    latency: Histogram,
}

impl Metrics {
    fn declare(settings: &CreateSettings) -> Self {
        let meter = &settings.meter;
        Self {
            events: meter
                .counter("rust_chaos_events")
                .description("events")
                .unit("{event}")
                .build(),
            inflight: meter.up_down_counter("rust_chaos_inflight").build(),
            ratio: meter.gauge("rust_chaos_ratio").build(),
            latency: meter
                .histogram("rust_chaos_latency")
                .unit("ms")
                .buckets(&[1.0, 10.0, 100.0])
                .build(),
        }
    }

    fn update(&self) {
        self.events
            .with_attributes(&[KeyValue::new("kind", "start")])
            .add(3);
        self.events.add(1);
        self.inflight.add(5);
        self.inflight.add(-2);
        self.ratio.record(0.25);
        for value in [0.5, 5.0, 5.0, 50.0, 500.0] {
            self.latency.record(value);
        }
    }
}

fn log_at_every_level() {
    let text = "hello \"quoted\"";
    trace!(
        n = 1,
        flag = true,
        ratio = 0.5,
        text,
        "rust_chaos trace record"
    );
    debug!(
        n = 2,
        flag = true,
        ratio = 0.5,
        text,
        "rust_chaos debug record"
    );
    info!(
        n = 3,
        flag = true,
        ratio = 0.5,
        text,
        "rust_chaos info record"
    );
    warn!(
        n = 4,
        flag = true,
        ratio = 0.5,
        text,
        "rust_chaos warn record"
    );
    error!(
        n = 5,
        flag = true,
        ratio = 0.5,
        text,
        "rust_chaos error record"
    );
    log::info!("rust_chaos log-crate record");
}

/// A `rust_chaos` instance.
pub struct Chaos {
    config: ChaosConfig,
    metrics: Option<Metrics>,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Chaos {
    async fn maybe_block(&self, phase: &str) {
        if self.config.block_in != phase {
            return;
        }
        if self.config.block_thread {
            std::thread::sleep(Duration::from_secs(3));
        } else {
            std::future::pending::<()>().await;
        }
    }
}

impl Extension for Chaos {
    async fn start(&mut self, _: &LifecycleContext, host: &Host) -> Result<(), Error> {
        let config = &self.config;
        if config.fail_start {
            return Err(Error::lifecycle(format!(
                "rust_chaos fails start as asked; it got {config:?}"
            )));
        }
        if config.log_at_start {
            log_at_every_level();
        }
        if let Some(metrics) = &self.metrics {
            metrics.update();
        }
        match config.panic_in.as_str() {
            "start" => panic!("rust_chaos panics in start"),
            "background" => {
                let delay = Duration::from_millis(config.panic_after_ms);
                self.tasks.push(host.spawn(async move {
                    tokio::time::sleep(delay).await;
                    panic!("rust_chaos panics in a background task");
                }));
            }
            _ => {}
        }
        if config.fatal_loop {
            let reporter = host.clone();
            self.tasks.push(host.spawn(async move {
                for n in 0u64.. {
                    reporter.report_fatal(format!("rust_chaos fatal error {n}"));
                    tokio::task::yield_now().await;
                }
            }));
        }
        if config.log_in_task {
            self.tasks.push(host.spawn(async {
                info!("rust_chaos task record");
            }));
        }
        if config.log_loop {
            self.tasks.push(host.spawn(async {
                let mut ticks = tokio::time::interval(Duration::from_millis(1));
                for i in 0u64.. {
                    ticks.tick().await;
                    info!(i, "rust_chaos loop record");
                }
            }));
        }
        if !config.statuses.is_empty() {
            let statuses: Vec<Status> = config
                .statuses
                .iter()
                .filter_map(|status| parse_status(status).ok())
                .collect();
            let reporter = host.clone();
            self.tasks.push(host.spawn(async move {
                for status in statuses {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    reporter.report_status(status);
                }
            }));
        }
        self.maybe_block("start").await;
        Ok(())
    }

    async fn shutdown(&mut self, _: &LifecycleContext) -> Result<(), Error> {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        if self.config.log_on_shutdown {
            info!("rust_chaos shutting down");
        }
        if self.config.panic_in == "shutdown" {
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

    fn create(&self, settings: &CreateSettings, config: ChaosConfig) -> Result<Chaos, Error> {
        Ok(Chaos {
            metrics: config.metrics.then(|| Metrics::declare(settings)),
            config,
            tasks: Vec::new(),
        })
    }
}

otelcol_rust_sdk::register_extension!(ChaosFactory);
