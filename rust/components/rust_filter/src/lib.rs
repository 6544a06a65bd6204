//! `rust_filter`: an OpenTelemetry Collector processor, written in Rust, that drops spans,
//! metric data points and log records matching conditions, for traces, metrics and logs.
//!
//! It answers [`Processed::Keep`], one flag per item: the Go side removes the dropped items in
//! place, then every scope left without items, every resource left without scopes and every
//! metric left without data points, as the collector-contrib `filterprocessor` does; a batch
//! left empty goes no further. A signal without conditions answers `Unchanged` without
//! decoding the batch, and so does a batch where nothing matches.
//!
//! # Configuration
//!
//! ```yaml
//! processors:
//!   rust_filter:
//!     traces:
//!       span:
//!         - name: '^GET /health'
//!         - resource_attributes: {service.name: '^cart$'}
//!           attributes: {http.response.status_code: '^5'}
//!     metrics:
//!       datapoint:
//!         - name: '^rpc\.'
//!           attributes: {rpc.method: '^Ping$'}
//!     logs:
//!       log_record:
//!         - severity_number_below: 9
//!         - body: 'healthcheck ok'
//! ```
//!
//! An item is dropped when any condition of its signal matches; a condition matches when all
//! its fields do, and must have at least one.
//!
//! | condition | fields |
//! | --- | --- |
//! | `traces.span[]` | `name` (span name), `attributes`, `resource_attributes` |
//! | `metrics.datapoint[]` | `name` (the metric's name), `attributes` (the point's), `resource_attributes` |
//! | `logs.log_record[]` | `body` (string bodies only), `severity_number_below` (strictly below), `attributes`, `resource_attributes` |
//!
//! Values are regexes (the `regex` crate's syntax, unanchored). `attributes` and
//! `resource_attributes` map a key to a regex; the attribute must exist, and a non-string value
//! is matched in its pdata `AsString()` form (`true`, `200`, `1.5`, bytes as base64, maps and
//! slices as JSON). Data points of every metric type are items. A regex that does not compile
//! is refused at config load under its path, as
//! `traces::span[1]::attributes::http.route: invalid regex ...`.

mod config;
mod filter;
#[cfg(test)]
mod tests;

use otelcol_rust_sdk::{
    ConfigProblems, CreateSettings, Error, ProcessBatch, ProcessContext, ProcessError, Processed,
    Processor, ProcessorFactory, Signal, Stability,
};

pub use config::{
    DataPointCondition, FilterConfig, LogRecordCondition, LogsConditions, MetricsConditions,
    SpanCondition, TracesConditions,
};
use filter::{Conditions, keep_points, keep_records, keep_spans};

/// Creates `rust_filter` processors, for traces, metrics and logs pipelines.
pub struct FilterFactory;

impl ProcessorFactory for FilterFactory {
    const TYPE: &'static str = "rust_filter";
    const STABILITY: Stability = Stability::Development;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];
    type Config = FilterConfig;
    type Processor = FilterProcessor;

    fn create(
        &self,
        _settings: &CreateSettings,
        config: FilterConfig,
    ) -> Result<FilterProcessor, Error> {
        let mut problems = ConfigProblems::new();
        let conditions = Conditions::compile(&config, &mut problems);
        problems.into_result()?;
        Ok(FilterProcessor { conditions })
    }
}

otelcol_rust_sdk::register_processor!(FilterFactory);

/// A `rust_filter` instance: its conditions, compiled.
pub struct FilterProcessor {
    conditions: Conditions,
}

impl Processor for FilterProcessor {
    fn process(
        &self,
        batch: &ProcessBatch<'_>,
        _ctx: &ProcessContext,
    ) -> Result<Processed, ProcessError> {
        let undecodable =
            |err: Error| ProcessError::permanent(format!("cannot filter the batch: {err}"));
        let keep = match batch.signal() {
            // No condition for the signal: not even decoded.
            Signal::Traces if self.conditions.traces.is_empty() => None,
            Signal::Metrics if self.conditions.metrics.is_empty() => None,
            Signal::Logs if self.conditions.logs.is_empty() => None,
            Signal::Traces => keep_spans(
                &self.conditions.traces,
                batch.traces().map_err(undecodable)?,
            ),
            Signal::Metrics => keep_points(
                &self.conditions.metrics,
                batch.metrics().map_err(undecodable)?,
            ),
            Signal::Logs => keep_records(&self.conditions.logs, batch.logs().map_err(undecodable)?),
        };
        Ok(keep.map_or(Processed::Unchanged, Processed::Keep))
    }
}
