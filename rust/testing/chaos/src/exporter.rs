//! The `rust_chaos` EXPORTER (the same type as the extension, in the other kind): answers each
//! batch as its config says, and counts what it received, for the Go tests of the export path.
//!
//! Config:
//! - `outcomes`: what the batches answer, in the order they arrive; the last one repeats
//!   (none: every batch is `ok`). Each is `ok`, `retryable`, `retryable:<retry_after_ms>`,
//!   `permanent`, `partial:<rejected>`, `panic`, `hang` (a future that never ends: the host's
//!   deadline or cancellation cuts it) or `address` (a partial success rejecting nothing
//!   whose reason is `batch at 0x<address> len <n>`: the address of the bytes Rust read, for
//!   the test that proves the batch is not copied).
//! - `delay_ms`: sleep (awaiting) this long before answering each batch.
//! - `reason`: the reason of the non-ok outcomes (default `rust_chaos says <outcome>`).
//! - `decode`: decode each batch as its signal's OTLP request and answer permanent
//!   `decoded <n> items, the collector counted <m>` when the counts differ (or the bytes do not
//!   decode), so a test proves the bytes arrived whole.
//!
//! Counters, read with the instance's metrics (every batch, whatever it answers):
//! `rust_chaos_batches` and `rust_chaos_items` (the collector's item count) and
//! `rust_chaos_bytes`, each with a `signal` attribute; `rust_chaos_decoded_items` (with
//! `decode`), counted from the decoded messages.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use otelcol_rust_sdk::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_rust_sdk::proto::metrics::v1::metric::Data;
use otelcol_rust_sdk::{
    Batch, Config, Counter, CreateSettings, Error, ExportContext, ExportOutcome, Exporter,
    ExporterFactory, KeyValue, Signal, Stability,
};
use serde::{Deserialize, Serialize};

/// What one batch answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Ok,
    Retryable(Option<Duration>),
    Permanent,
    Partial(u64),
    Panic,
    Hang,
    Address,
}

fn parse_behaviour(text: &str) -> Result<Behaviour, String> {
    let (name, argument) = text.split_once(':').unwrap_or((text, ""));
    let number = || {
        argument
            .parse::<u64>()
            .map_err(|_| format!("{text:?}: {argument:?} is not a number"))
    };
    match (name, argument.is_empty()) {
        ("ok", true) => Ok(Behaviour::Ok),
        ("retryable", true) => Ok(Behaviour::Retryable(None)),
        ("retryable", false) => Ok(Behaviour::Retryable(Some(Duration::from_millis(number()?)))),
        ("permanent", true) => Ok(Behaviour::Permanent),
        ("partial", false) => Ok(Behaviour::Partial(number()?)),
        ("panic", true) => Ok(Behaviour::Panic),
        ("hang", true) => Ok(Behaviour::Hang),
        ("address", true) => Ok(Behaviour::Address),
        _ => Err(format!("unknown outcome {text:?}")),
    }
}

/// The exporter's config (see the module documentation).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosExporterConfig {
    /// What the batches answer, in arrival order; the last one repeats.
    pub outcomes: Vec<String>,
    /// Sleep this long before answering each batch.
    pub delay_ms: u64,
    /// The reason of the non-ok outcomes.
    pub reason: String,
    /// Decode each batch and check its item count.
    pub decode: bool,
}

impl Config for ChaosExporterConfig {
    fn validate(&self) -> Result<(), Error> {
        for (i, outcome) in self.outcomes.iter().enumerate() {
            parse_behaviour(outcome)
                .map_err(|err| Error::invalid_field(format!("outcomes[{i}]"), err))?;
        }
        Ok(())
    }
}

struct Counters {
    batches: Counter,
    items: Counter,
    bytes: Counter,
    decoded_items: Counter,
}

/// A `rust_chaos` exporter instance.
pub struct ChaosExporter {
    outcomes: Vec<Behaviour>,
    delay: Duration,
    reason: String,
    decode: bool,
    /// Batches seen, to pick each one's outcome.
    seen: AtomicU64,
    counters: Counters,
}

impl ChaosExporter {
    fn behaviour(&self) -> Behaviour {
        let n = usize::try_from(self.seen.fetch_add(1, Ordering::Relaxed)).unwrap_or(usize::MAX);
        self.outcomes
            .get(n)
            .or(self.outcomes.last())
            .copied()
            .unwrap_or(Behaviour::Ok)
    }

    fn reason(&self, outcome: &str) -> String {
        if self.reason.is_empty() {
            format!("rust_chaos says {outcome}")
        } else {
            self.reason.clone()
        }
    }

    fn count(&self, batch: &Batch<'_>) {
        let signal = [KeyValue::new("signal", batch.signal().as_str())];
        self.counters.batches.with_attributes(&signal).add(1);
        self.counters
            .items
            .with_attributes(&signal)
            .add(batch.items());
        self.counters
            .bytes
            .with_attributes(&signal)
            .add(batch.bytes().len() as u64);
    }

    /// Decodes the batch and counts its items as pdata does (spans, data points, log records).
    fn check(&self, batch: &Batch<'_>) -> Result<(), String> {
        let decoded = match batch.signal() {
            Signal::Traces => batch.decode_traces().map(|request| {
                request
                    .resource_spans
                    .iter()
                    .flat_map(|resource| &resource.scope_spans)
                    .map(|scope| scope.spans.len() as u64)
                    .sum()
            }),
            Signal::Metrics => batch.decode_metrics().map(|request| data_points(&request)),
            Signal::Logs => batch.decode_logs().map(|request| {
                request
                    .resource_logs
                    .iter()
                    .flat_map(|resource| &resource.scope_logs)
                    .map(|scope| scope.log_records.len() as u64)
                    .sum()
            }),
        }
        .map_err(|err| err.to_string())?;
        let signal = [KeyValue::new("signal", batch.signal().as_str())];
        self.counters
            .decoded_items
            .with_attributes(&signal)
            .add(decoded);
        if decoded == batch.items() {
            Ok(())
        } else {
            Err(format!(
                "decoded {decoded} items, the collector counted {}",
                batch.items()
            ))
        }
    }
}

/// Data points as pdata's `DataPointCount` counts them.
fn data_points(request: &ExportMetricsServiceRequest) -> u64 {
    request
        .resource_metrics
        .iter()
        .flat_map(|resource| &resource.scope_metrics)
        .flat_map(|scope| &scope.metrics)
        .map(|metric| match &metric.data {
            Some(Data::Gauge(gauge)) => gauge.data_points.len(),
            Some(Data::Sum(sum)) => sum.data_points.len(),
            Some(Data::Histogram(histogram)) => histogram.data_points.len(),
            Some(Data::ExponentialHistogram(histogram)) => histogram.data_points.len(),
            Some(Data::Summary(summary)) => summary.data_points.len(),
            None => 0,
        } as u64)
        .sum()
}

impl Exporter for ChaosExporter {
    async fn export<'a>(&'a self, batch: Batch<'a>, _: &'a ExportContext) -> ExportOutcome {
        self.count(&batch);
        let behaviour = self.behaviour();
        if self.decode
            && let Err(err) = self.check(&batch)
        {
            return ExportOutcome::permanent(err);
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        match behaviour {
            Behaviour::Ok => ExportOutcome::Ok,
            Behaviour::Retryable(None) => ExportOutcome::retryable(self.reason("retryable")),
            Behaviour::Retryable(Some(after)) => {
                ExportOutcome::retry_after(self.reason("retryable"), after)
            }
            Behaviour::Permanent => ExportOutcome::permanent(self.reason("permanent")),
            Behaviour::Partial(rejected) => {
                ExportOutcome::partial(rejected, self.reason("partial"))
            }
            Behaviour::Panic => panic!("rust_chaos panics in export"),
            Behaviour::Hang => std::future::pending().await,
            Behaviour::Address => ExportOutcome::partial(
                0,
                format!(
                    "batch at {:#x} len {}",
                    batch.bytes().as_ptr() as usize,
                    batch.bytes().len()
                ),
            ),
        }
    }
}

/// Creates `rust_chaos` exporters.
pub struct ChaosExporterFactory;

impl ExporterFactory for ChaosExporterFactory {
    const TYPE: &'static str = "rust_chaos";
    const STABILITY: Stability = Stability::Alpha;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];
    type Config = ChaosExporterConfig;
    type Exporter = ChaosExporter;

    fn create(
        &self,
        settings: &CreateSettings,
        config: ChaosExporterConfig,
    ) -> Result<ChaosExporter, Error> {
        let outcomes = config
            .outcomes
            .iter()
            .map(|outcome| parse_behaviour(outcome).map_err(Error::invalid_config))
            .collect::<Result<_, _>>()?;
        let meter = &settings.meter;
        Ok(ChaosExporter {
            outcomes,
            delay: Duration::from_millis(config.delay_ms),
            reason: config.reason,
            decode: config.decode,
            seen: AtomicU64::new(0),
            counters: Counters {
                batches: meter.counter("rust_chaos_batches").unit("{batch}").build(),
                items: meter.counter("rust_chaos_items").unit("{item}").build(),
                bytes: meter.counter("rust_chaos_bytes").unit("By").build(),
                decoded_items: meter
                    .counter("rust_chaos_decoded_items")
                    .unit("{item}")
                    .build(),
            },
        })
    }
}

otelcol_rust_sdk::register_exporter!(ChaosExporterFactory);

#[cfg(test)]
mod tests {
    use otelcol_rust_sdk::prost::Message;
    use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
    use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use otelcol_rust_sdk::testing::TestHost;

    use super::*;

    fn logs(records: usize) -> Vec<u8> {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord::default(); records],
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        }
        .encode_to_vec()
    }

    /// Guarantees: the outcomes come in the configured order, the last repeating; the
    /// decode check passes a whole batch and refuses one whose count disagrees; `address`
    /// names the bytes the exporter read.
    #[tokio::test]
    async fn answers_as_configured() {
        let host = TestHost::new("rust_chaos").with_deadline(Duration::from_millis(100));
        let config = r#"{"outcomes":["retryable:250","partial:2","permanent","ok"],"decode":true}"#;
        let mut exporter = host.exporter(&ChaosExporterFactory, config).expect("valid");
        host.start_exporter(&mut exporter).await.expect("starts");
        let bytes = logs(3);
        let batch = Batch::new(Signal::Logs, &bytes, 3);
        let mut answers = Vec::new();
        for _ in 0..5 {
            answers.push(host.export(&exporter, batch).await);
        }
        assert_eq!(
            answers,
            [
                ExportOutcome::retry_after("rust_chaos says retryable", Duration::from_millis(250)),
                ExportOutcome::partial(2, "rust_chaos says partial"),
                ExportOutcome::permanent("rust_chaos says permanent"),
                ExportOutcome::Ok,
                ExportOutcome::Ok,
            ]
        );
        let miscounted = host
            .export(&exporter, Batch::new(Signal::Logs, &bytes, 4))
            .await;
        assert_eq!(
            miscounted,
            ExportOutcome::permanent("decoded 3 items, the collector counted 4")
        );

        let address = host
            .exporter(&ChaosExporterFactory, r#"{"outcomes":["address"]}"#)
            .expect("valid");
        let answer = host.export(&address, batch).await;
        let expected = format!(
            "batch at {:#x} len {}",
            bytes.as_ptr() as usize,
            bytes.len()
        );
        assert_eq!(answer, ExportOutcome::partial(0, expected));

        let err = host
            .exporter(&ChaosExporterFactory, r#"{"outcomes":["ok","sometimes"]}"#)
            .err();
        assert_eq!(
            err.map(|err| err.to_string()).as_deref(),
            Some("outcomes[1]: unknown outcome \"sometimes\"")
        );
    }
}
