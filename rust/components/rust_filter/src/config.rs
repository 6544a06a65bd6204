//! The `rust_filter` processor's configuration: per signal, a list of conditions; an item that
//! matches any one of them is dropped.

use std::collections::BTreeMap;

use otelcol_rust_sdk::{Config, ConfigProblems, Error};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// Configuration of a `rust_filter` processor. With no condition for a signal, its batches
/// pass unchanged (and are not even decoded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilterConfig {
    /// Conditions on spans.
    pub traces: TracesConditions,
    /// Conditions on metric data points.
    pub metrics: MetricsConditions,
    /// Conditions on log records.
    pub logs: LogsConditions,
}

/// `traces`: which spans are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TracesConditions {
    /// A span matching any of these is dropped.
    pub span: Vec<SpanCondition>,
}

/// `metrics`: which data points are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetricsConditions {
    /// A data point (of any metric type) matching any of these is dropped.
    pub datapoint: Vec<DataPointCondition>,
}

/// `logs`: which log records are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogsConditions {
    /// A log record matching any of these is dropped.
    pub log_record: Vec<LogRecordCondition>,
}

/// A condition on a span: every field given must match. Regexes are unanchored (write `^...$`
/// for a whole-value match).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpanCondition {
    /// A regex the span's name must match.
    pub name: Option<String>,
    /// Attribute key → regex the span's attribute must match (it must exist).
    pub attributes: BTreeMap<String, String>,
    /// Attribute key → regex the span's resource attribute must match (it must exist).
    pub resource_attributes: BTreeMap<String, String>,
}

/// A condition on a metric data point: every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataPointCondition {
    /// A regex the name of the point's metric must match.
    pub name: Option<String>,
    /// Attribute key → regex the data point's attribute must match (it must exist).
    pub attributes: BTreeMap<String, String>,
    /// Attribute key → regex the point's resource attribute must match (it must exist).
    pub resource_attributes: BTreeMap<String, String>,
}

/// A condition on a log record: every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogRecordCondition {
    /// A regex a string body must match (a record whose body is not a string never matches).
    pub body: Option<String>,
    /// Matches records whose severity number is below this (0, unspecified, is below every
    /// positive bound).
    pub severity_number_below: Option<i32>,
    /// Attribute key → regex the record's attribute must match (it must exist).
    pub attributes: BTreeMap<String, String>,
    /// Attribute key → regex the record's resource attribute must match (it must exist).
    pub resource_attributes: BTreeMap<String, String>,
}

/// A regex compiled, or the problem under its path.
pub(crate) fn compile(path: String, pattern: &str, problems: &mut ConfigProblems) -> Option<Regex> {
    match Regex::new(pattern) {
        Ok(regex) => Some(regex),
        Err(err) => {
            // The regex crate's message spans several lines with a caret drawing; its last
            // line says what is wrong.
            let text = err.to_string();
            let reason = text
                .lines()
                .last()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            problems.add(path, format!("invalid regex {pattern:?}: {reason}"));
            None
        }
    }
}

/// Attribute regexes compiled, each problem under `<path>::<key>`.
pub(crate) fn compile_attributes(
    path: &str,
    attributes: &BTreeMap<String, String>,
    problems: &mut ConfigProblems,
) -> Vec<(String, Regex)> {
    attributes
        .iter()
        .filter_map(|(key, pattern)| {
            compile(format!("{path}::{key}"), pattern, problems).map(|regex| (key.clone(), regex))
        })
        .collect()
}

impl Config for FilterConfig {
    /// Every regex must compile (reported under its path, e.g.
    /// `traces::span[1]::attributes::http.route`) and every condition must test something:
    /// an empty one would drop every item.
    fn validate(&self) -> Result<(), Error> {
        let mut problems = ConfigProblems::new();
        crate::filter::Conditions::compile(self, &mut problems);
        problems.into_result()
    }
}
