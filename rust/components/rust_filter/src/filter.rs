//! The conditions compiled, and the keep mask of a decoded batch.

use otelcol_rust_sdk::ConfigProblems;
use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
use otelcol_rust_sdk::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_rust_sdk::proto::common::v1::KeyValue;
use otelcol_rust_sdk::proto::common::v1::any_value::Value;
use otelcol_rust_sdk::proto::metrics::v1::Metric;
use otelcol_rust_sdk::proto::metrics::v1::metric::Data;
use otelcol_rust_sdk::proto::resource::v1::Resource;
use regex::Regex;

use crate::config::{FilterConfig, compile, compile_attributes};
use otelcol_rust_sdk::value::as_string;

/// One condition, compiled: every part present must match.
#[derive(Debug)]
pub(crate) struct Condition {
    /// The span's name, or the data point's metric name.
    name: Option<Regex>,
    /// A string body (log records).
    body: Option<Regex>,
    /// Severity number strictly below (log records).
    severity_below: Option<i32>,
    attributes: Vec<(String, Regex)>,
    resource_attributes: Vec<(String, Regex)>,
}

/// Every signal's conditions, compiled.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    pub(crate) traces: Vec<Condition>,
    pub(crate) metrics: Vec<Condition>,
    pub(crate) logs: Vec<Condition>,
}

impl Conditions {
    /// Compiles `config`, recording every problem (bad regex, empty condition) under its path.
    pub(crate) fn compile(config: &FilterConfig, problems: &mut ConfigProblems) -> Self {
        let mut conditions = Self::default();
        for (i, span) in config.traces.span.iter().enumerate() {
            let path = format!("traces::span[{i}]");
            if span.name.is_none()
                && span.attributes.is_empty()
                && span.resource_attributes.is_empty()
            {
                problems.add(
                    path,
                    "a condition needs at least one of name, attributes, resource_attributes (an empty one would drop every span)",
                );
                continue;
            }
            conditions.traces.push(Condition {
                name: span
                    .name
                    .as_deref()
                    .and_then(|pattern| compile(format!("{path}::name"), pattern, problems)),
                body: None,
                severity_below: None,
                attributes: compile_attributes(
                    &format!("{path}::attributes"),
                    &span.attributes,
                    problems,
                ),
                resource_attributes: compile_attributes(
                    &format!("{path}::resource_attributes"),
                    &span.resource_attributes,
                    problems,
                ),
            });
        }
        for (i, point) in config.metrics.datapoint.iter().enumerate() {
            let path = format!("metrics::datapoint[{i}]");
            if point.name.is_none()
                && point.attributes.is_empty()
                && point.resource_attributes.is_empty()
            {
                problems.add(
                    path,
                    "a condition needs at least one of name, attributes, resource_attributes (an empty one would drop every data point)",
                );
                continue;
            }
            conditions.metrics.push(Condition {
                name: point
                    .name
                    .as_deref()
                    .and_then(|pattern| compile(format!("{path}::name"), pattern, problems)),
                body: None,
                severity_below: None,
                attributes: compile_attributes(
                    &format!("{path}::attributes"),
                    &point.attributes,
                    problems,
                ),
                resource_attributes: compile_attributes(
                    &format!("{path}::resource_attributes"),
                    &point.resource_attributes,
                    problems,
                ),
            });
        }
        for (i, record) in config.logs.log_record.iter().enumerate() {
            let path = format!("logs::log_record[{i}]");
            if record.body.is_none()
                && record.severity_number_below.is_none()
                && record.attributes.is_empty()
                && record.resource_attributes.is_empty()
            {
                problems.add(
                    path,
                    "a condition needs at least one of body, severity_number_below, attributes, resource_attributes (an empty one would drop every log record)",
                );
                continue;
            }
            conditions.logs.push(Condition {
                name: None,
                body: record
                    .body
                    .as_deref()
                    .and_then(|pattern| compile(format!("{path}::body"), pattern, problems)),
                severity_below: record.severity_number_below,
                attributes: compile_attributes(
                    &format!("{path}::attributes"),
                    &record.attributes,
                    problems,
                ),
                resource_attributes: compile_attributes(
                    &format!("{path}::resource_attributes"),
                    &record.resource_attributes,
                    problems,
                ),
            });
        }
        conditions
    }
}

/// Whether every `(key, regex)` matches: the attribute exists (its first entry, as pdata's
/// `Get` finds it) and its value, as pdata's `AsString` writes it, matches.
fn attributes_match(wanted: &[(String, Regex)], attributes: &[KeyValue]) -> bool {
    wanted.iter().all(|(key, regex)| {
        attributes
            .iter()
            .find(|entry| entry.key == *key)
            .is_some_and(|entry| regex.is_match(&as_string(entry.value.as_ref())))
    })
}

fn resource_attributes(resource: Option<&Resource>) -> &[KeyValue] {
    resource.map_or(&[], |resource| &resource.attributes)
}

/// The conditions whose resource part matches `resource`, into `live` (reused across
/// resources): the others cannot match any item of it.
fn live_for<'a>(
    conditions: &'a [Condition],
    resource: Option<&Resource>,
    live: &mut Vec<&'a Condition>,
) {
    live.clear();
    let attributes = resource_attributes(resource);
    live.extend(
        conditions
            .iter()
            .filter(|condition| attributes_match(&condition.resource_attributes, attributes)),
    );
}

/// The keep flags of a batch (one per item in document order) when at least one item is
/// dropped; `None` when every item is kept.
#[derive(Debug, Default)]
struct Mask {
    keep: Vec<bool>,
    dropped: bool,
}

impl Mask {
    fn push(&mut self, drop: bool) {
        self.keep.push(!drop);
        self.dropped |= drop;
    }

    fn keep_all(&mut self, items: usize) {
        self.keep.resize(self.keep.len() + items, true);
    }

    fn finish(self) -> Option<Vec<bool>> {
        self.dropped.then_some(self.keep)
    }
}

/// The spans' keep flags, `None` if none is dropped.
pub(crate) fn keep_spans(
    conditions: &[Condition],
    request: &ExportTraceServiceRequest,
) -> Option<Vec<bool>> {
    let mut mask = Mask::default();
    let mut live = Vec::with_capacity(conditions.len());
    for resource_spans in &request.resource_spans {
        live_for(conditions, resource_spans.resource.as_ref(), &mut live);
        for scope_spans in &resource_spans.scope_spans {
            if live.is_empty() {
                mask.keep_all(scope_spans.spans.len());
                continue;
            }
            for span in &scope_spans.spans {
                mask.push(live.iter().any(|condition| {
                    condition
                        .name
                        .as_ref()
                        .is_none_or(|name| name.is_match(&span.name))
                        && attributes_match(&condition.attributes, &span.attributes)
                }));
            }
        }
    }
    mask.finish()
}

/// Calls `each` with the attributes of every data point of `metric`, whatever its type.
fn for_each_point(metric: &Metric, mut each: impl FnMut(&[KeyValue])) {
    match &metric.data {
        Some(Data::Gauge(gauge)) => gauge
            .data_points
            .iter()
            .for_each(|point| each(&point.attributes)),
        Some(Data::Sum(sum)) => sum
            .data_points
            .iter()
            .for_each(|point| each(&point.attributes)),
        Some(Data::Histogram(histogram)) => histogram
            .data_points
            .iter()
            .for_each(|point| each(&point.attributes)),
        Some(Data::ExponentialHistogram(histogram)) => histogram
            .data_points
            .iter()
            .for_each(|point| each(&point.attributes)),
        Some(Data::Summary(summary)) => summary
            .data_points
            .iter()
            .for_each(|point| each(&point.attributes)),
        None => {}
    }
}

/// The data points' keep flags, `None` if none is dropped.
pub(crate) fn keep_points(
    conditions: &[Condition],
    request: &ExportMetricsServiceRequest,
) -> Option<Vec<bool>> {
    let mut mask = Mask::default();
    let mut live = Vec::with_capacity(conditions.len());
    let mut named: Vec<&Condition> = Vec::with_capacity(conditions.len());
    for resource_metrics in &request.resource_metrics {
        live_for(conditions, resource_metrics.resource.as_ref(), &mut live);
        for scope_metrics in &resource_metrics.scope_metrics {
            for metric in &scope_metrics.metrics {
                named.clear();
                named.extend(live.iter().filter(|condition| {
                    condition
                        .name
                        .as_ref()
                        .is_none_or(|name| name.is_match(&metric.name))
                }));
                for_each_point(metric, |attributes| {
                    mask.push(
                        named
                            .iter()
                            .any(|condition| attributes_match(&condition.attributes, attributes)),
                    );
                });
            }
        }
    }
    mask.finish()
}

/// The log records' keep flags, `None` if none is dropped.
pub(crate) fn keep_records(
    conditions: &[Condition],
    request: &ExportLogsServiceRequest,
) -> Option<Vec<bool>> {
    let mut mask = Mask::default();
    let mut live = Vec::with_capacity(conditions.len());
    for resource_logs in &request.resource_logs {
        live_for(conditions, resource_logs.resource.as_ref(), &mut live);
        for scope_logs in &resource_logs.scope_logs {
            if live.is_empty() {
                mask.keep_all(scope_logs.log_records.len());
                continue;
            }
            for record in &scope_logs.log_records {
                mask.push(live.iter().any(|condition| {
                    condition
                        .severity_below
                        .is_none_or(|below| record.severity_number < below)
                        && condition.body.as_ref().is_none_or(|body| {
                            match record.body.as_ref().and_then(|value| value.value.as_ref()) {
                                Some(Value::StringValue(text)) => body.is_match(text),
                                _ => false,
                            }
                        })
                        && attributes_match(&condition.attributes, &record.attributes)
                }));
            }
        }
    }
    mask.finish()
}
