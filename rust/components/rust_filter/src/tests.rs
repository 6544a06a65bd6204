//! rust_filter's conditions on decoded batches: each condition kind, the all-fields and
//! any-condition rules, attribute existence and text forms, and config validation.

use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
use otelcol_rust_sdk::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_rust_sdk::proto::common::v1::any_value::Value;
use otelcol_rust_sdk::proto::common::v1::{AnyValue, KeyValue};
use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use otelcol_rust_sdk::proto::metrics::v1::metric::Data;
use otelcol_rust_sdk::proto::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use otelcol_rust_sdk::proto::resource::v1::Resource;
use otelcol_rust_sdk::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otelcol_rust_sdk::testing::TestHost;
use otelcol_rust_sdk::{
    ConfigProblems, ProcessBatch, ProcessRun, Processed, Signal, decode_config,
};

use crate::FilterConfig;
use crate::filter::{Conditions, keep_points, keep_records, keep_spans};

pub(crate) fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

pub(crate) fn s(key: &str, value: &str) -> KeyValue {
    kv(key, Value::StringValue(value.to_owned()))
}

pub(crate) fn resource(attributes: Vec<KeyValue>) -> Option<Resource> {
    Some(Resource {
        attributes,
        ..Resource::default()
    })
}

pub(crate) fn span(name: &str, attributes: Vec<KeyValue>) -> Span {
    Span {
        name: name.to_owned(),
        attributes,
        ..Span::default()
    }
}

/// Two resources (`service.name` cart, then none), the first with two scopes.
pub(crate) fn traces() -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: resource(vec![s("service.name", "cart")]),
                scope_spans: vec![
                    ScopeSpans {
                        spans: vec![
                            span("GET /cart", vec![kv("http.status", Value::IntValue(500))]),
                            span("GET /health", vec![kv("http.status", Value::IntValue(200))]),
                        ],
                        ..ScopeSpans::default()
                    },
                    ScopeSpans {
                        spans: vec![span("POST /cart", vec![s("user", "bob@example.org")])],
                        ..ScopeSpans::default()
                    },
                ],
                ..ResourceSpans::default()
            },
            ResourceSpans {
                resource: None,
                scope_spans: vec![ScopeSpans {
                    spans: vec![span(
                        "GET /cart",
                        vec![kv("http.status", Value::IntValue(503))],
                    )],
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            },
        ],
    }
}

fn conditions(yaml_as_json: &str) -> Conditions {
    let config: FilterConfig = match decode_config(yaml_as_json) {
        Ok(config) => config,
        Err(err) => panic!("{yaml_as_json}: {err}"),
    };
    let mut problems = ConfigProblems::new();
    let conditions = Conditions::compile(&config, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    conditions
}

fn problems(json: &str) -> Vec<String> {
    decode_config::<FilterConfig>(json)
        .err()
        .iter()
        .flat_map(|err| err.config_problems())
        .map(ToString::to_string)
        .collect()
}

/// Guarantees: a span condition needs every field it gives (name and attribute together);
/// any one condition drops; regexes are unanchored; an int attribute is matched as its text.
#[test]
fn span_conditions() {
    let c =
        conditions(r#"{"traces":{"span":[{"name":"^GET ","attributes":{"http.status":"^5"}}]}}"#);
    assert_eq!(
        keep_spans(&c.traces, &traces()),
        Some(vec![false, true, true, false])
    );
    let c = conditions(
        r#"{"traces":{"span":[{"name":"health"},{"attributes":{"user":"example\\.org$"}}]}}"#,
    );
    assert_eq!(
        keep_spans(&c.traces, &traces()),
        Some(vec![true, false, false, true])
    );
    let c = conditions(r#"{"traces":{"span":[{"name":"^nothing$"}]}}"#);
    assert_eq!(keep_spans(&c.traces, &traces()), None);
}

/// Guarantees: resource attributes are the item's resource's; a missing resource has none,
/// so a resource condition never matches its items.
#[test]
fn resource_conditions() {
    let c =
        conditions(r#"{"traces":{"span":[{"resource_attributes":{"service.name":"^cart$"}}]}}"#);
    assert_eq!(
        keep_spans(&c.traces, &traces()),
        Some(vec![false, false, false, true])
    );
    let c = conditions(
        r#"{"traces":{"span":[{"resource_attributes":{"service.name":"."},"name":"POST"}]}}"#,
    );
    assert_eq!(
        keep_spans(&c.traces, &traces()),
        Some(vec![true, true, false, true])
    );
}

/// Guarantees: an attribute regex matches only when the attribute exists, even a regex that
/// matches the empty string; non-string values match in pdata's AsString form (bools, doubles,
/// maps as JSON, bytes as base64).
#[test]
fn attribute_existence_and_text_forms() {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![
                    span("a", vec![kv("flag", Value::BoolValue(true))]),
                    span("b", vec![kv("latency", Value::DoubleValue(1e21))]),
                    span(
                        "c",
                        vec![kv("raw", Value::BytesValue(vec![0x41, 0x11, 0xff]))],
                    ),
                    span("d", vec![]),
                    span("e", vec![s("flag", "")]),
                ],
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    };
    let c = conditions(
        r#"{"traces":{"span":[{"attributes":{"flag":"^true$"}},{"attributes":{"latency":"^1e\\+21$"}},{"attributes":{"raw":"^QRH/$"}}]}}"#,
    );
    assert_eq!(
        keep_spans(&c.traces, &request),
        Some(vec![false, false, false, true, true])
    );
    let c = conditions(r#"{"traces":{"span":[{"attributes":{"flag":"^$"}}]}}"#);
    assert_eq!(
        keep_spans(&c.traces, &request),
        Some(vec![true, true, true, true, false])
    );
}

fn number_points(values: &[&str]) -> Vec<NumberDataPoint> {
    values
        .iter()
        .map(|method| NumberDataPoint {
            attributes: vec![s("method", method)],
            ..NumberDataPoint::default()
        })
        .collect()
}

fn metric(name: &str, data: Data) -> Metric {
    Metric {
        name: name.to_owned(),
        data: Some(data),
        ..Metric::default()
    }
}

/// A metric of every type: gauge (GET, PUT), sum (GET), histogram (PUT), exponential
/// histogram (GET), summary (PUT), and one with no data (no points).
fn metrics() -> ExportMetricsServiceRequest {
    let method = |m: &str| vec![s("method", m)];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(vec![s("service.name", "cart")]),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![
                    metric(
                        "requests.active",
                        Data::Gauge(Gauge {
                            data_points: number_points(&["GET", "PUT"]),
                        }),
                    ),
                    metric(
                        "requests",
                        Data::Sum(Sum {
                            data_points: number_points(&["GET"]),
                            ..Sum::default()
                        }),
                    ),
                    metric(
                        "duration",
                        Data::Histogram(Histogram {
                            data_points: vec![HistogramDataPoint {
                                attributes: method("PUT"),
                                ..HistogramDataPoint::default()
                            }],
                            ..Histogram::default()
                        }),
                    ),
                    metric(
                        "rpc.duration",
                        Data::ExponentialHistogram(ExponentialHistogram {
                            data_points: vec![ExponentialHistogramDataPoint {
                                attributes: method("GET"),
                                ..ExponentialHistogramDataPoint::default()
                            }],
                            ..ExponentialHistogram::default()
                        }),
                    ),
                    metric(
                        "rpc.size",
                        Data::Summary(Summary {
                            data_points: vec![SummaryDataPoint {
                                attributes: method("PUT"),
                                ..SummaryDataPoint::default()
                            }],
                        }),
                    ),
                    Metric {
                        name: "empty".to_owned(),
                        ..Metric::default()
                    },
                ],
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
}

/// Guarantees: data points of every metric type are items, in document order; `name` is the
/// metric's name; a metric without data has no items.
#[test]
fn datapoint_conditions() {
    let c = conditions(
        r#"{"metrics":{"datapoint":[{"name":"^requests","attributes":{"method":"^GET$"}}]}}"#,
    );
    assert_eq!(
        keep_points(&c.metrics, &metrics()),
        Some(vec![false, true, false, true, true, true])
    );
    let c = conditions(
        r#"{"metrics":{"datapoint":[{"name":"^rpc\\."},{"attributes":{"method":"PUT"}}]}}"#,
    );
    assert_eq!(
        keep_points(&c.metrics, &metrics()),
        Some(vec![true, false, true, false, false, false])
    );
    let c = conditions(
        r#"{"metrics":{"datapoint":[{"resource_attributes":{"service.name":"payment"}}]}}"#,
    );
    assert_eq!(keep_points(&c.metrics, &metrics()), None);
}

fn record(severity: i32, body: Option<Value>, attributes: Vec<KeyValue>) -> LogRecord {
    LogRecord {
        severity_number: severity,
        body: body.map(|value| AnyValue { value: Some(value) }),
        attributes,
        ..LogRecord::default()
    }
}

fn logs() -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(vec![s("service.name", "cart")]),
            scope_logs: vec![ScopeLogs {
                log_records: vec![
                    record(
                        5,
                        Some(Value::StringValue("request failed".into())),
                        vec![s("card", "4111")],
                    ),
                    record(9, Some(Value::StringValue("request failed".into())), vec![]),
                    record(0, Some(Value::IntValue(7)), vec![]),
                    record(17, None, vec![s("card", "4111")]),
                    record(13, Some(Value::StringValue("ok".into())), vec![]),
                ],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    }
}

/// Guarantees: `severity_number_below` is strict and counts unspecified (0) as below; `body`
/// matches string bodies only (an int body or none never matches); fields combine with and,
/// conditions with or.
#[test]
fn log_record_conditions() {
    let c = conditions(r#"{"logs":{"log_record":[{"severity_number_below":9}]}}"#);
    assert_eq!(
        keep_records(&c.logs, &logs()),
        Some(vec![false, true, false, true, true])
    );
    let c =
        conditions(r#"{"logs":{"log_record":[{"body":"failed","attributes":{"card":"4111"}}]}}"#);
    assert_eq!(
        keep_records(&c.logs, &logs()),
        Some(vec![false, true, true, true, true])
    );
    let c = conditions(r#"{"logs":{"log_record":[{"body":"7|."}]}}"#);
    assert_eq!(
        keep_records(&c.logs, &logs()),
        Some(vec![false, false, true, true, false])
    );
    let c = conditions(
        r#"{"logs":{"log_record":[{"severity_number_below":14,"resource_attributes":{"service.name":"cart"}},{"attributes":{"card":"1$"}}]}}"#,
    );
    assert_eq!(
        keep_records(&c.logs, &logs()),
        Some(vec![false, false, false, false, false])
    );
}

/// Guarantees: a bad regex is refused under its full path (`::` between keys, as the
/// collector writes them), every one at once; an empty condition is refused; unknown keys
/// are refused.
#[test]
fn validation_names_the_path() {
    assert_eq!(
        problems(
            r#"{"traces":{"span":[{"name":"ok"},{"name":"(","attributes":{"http.route":"[z-a]"}}]},
                "metrics":{"datapoint":[{}]},
                "logs":{"log_record":[{"body":"*","resource_attributes":{"host":"a{2,1}"}}]}}"#
        ),
        [
            "traces::span[1]::name: invalid regex \"(\": unclosed group",
            "traces::span[1]::attributes::http.route: invalid regex \"[z-a]\": invalid character class range, the start must be <= the end",
            "metrics::datapoint[0]: a condition needs at least one of name, attributes, resource_attributes (an empty one would drop every data point)",
            "logs::log_record[0]::body: invalid regex \"*\": repetition operator missing expression",
            "logs::log_record[0]::resource_attributes::host: invalid regex \"a{2,1}\": invalid repetition count range, the start must be <= the end",
        ]
    );
    assert_eq!(
        problems(r#"{"traces":{"spans":[]}}"#),
        ["traces::spans: unknown configuration key"]
    );
    assert_eq!(
        problems(r#"{"logs":{"log_record":[{"severity_number_below":"WARN"}]}}"#),
        ["logs::log_record[0]::severity_number_below: invalid type: string \"WARN\", expected i32"]
    );
}

fn processor(config: &str) -> crate::FilterProcessor {
    match TestHost::new("rust_filter").processor(&crate::FilterFactory, config) {
        Ok(processor) => processor,
        Err(err) => panic!("{config}: {err}"),
    }
}

/// Guarantees: through the host's guard, a drop answers `Keep` with one flag per item (the
/// host's run accepts it and ends there); no drop answers `Unchanged`.
#[test]
fn answers_keep_or_unchanged() {
    let host = TestHost::new("rust_filter");
    let bytes = traces().encode_to_vec();
    let batch = ProcessBatch::new(Signal::Traces, &bytes, 4);
    let filter = processor(r#"{"traces":{"span":[{"name":"health"}]}}"#);
    let answer = host.process(&filter, &batch);
    assert_eq!(answer, Ok(Processed::Keep(vec![true, false, true, true])));
    let mut run = ProcessRun::new(Signal::Traces, &bytes, 4);
    assert_eq!(answer.map(|answer| run.apply(answer)), Ok(Ok(())));
    assert!(run.ended());
    let filter = processor(r#"{"traces":{"span":[{"name":"^none$"}]}}"#);
    assert_eq!(host.process(&filter, &batch), Ok(Processed::Unchanged));
    let metrics_bytes = metrics().encode_to_vec();
    let filter = processor(r#"{"metrics":{"datapoint":[{"name":"duration"}]}}"#);
    assert_eq!(
        host.process(
            &filter,
            &ProcessBatch::new(Signal::Metrics, &metrics_bytes, 6)
        ),
        Ok(Processed::Keep(vec![true, true, true, false, false, true]))
    );
}

/// Guarantees: a signal without conditions is not decoded (bytes that do not decode pass as
/// `Unchanged`); with conditions, such bytes fail the batch with a permanent error.
#[test]
fn signals_without_conditions_are_not_decoded() {
    let host = TestHost::new("rust_filter");
    let garbage = [0x0a, 0x05, 0x01];
    let logs_only = processor(r#"{"logs":{"log_record":[{"severity_number_below":5}]}}"#);
    for signal in [Signal::Traces, Signal::Metrics] {
        assert_eq!(
            host.process(&logs_only, &ProcessBatch::new(signal, &garbage, 1)),
            Ok(Processed::Unchanged)
        );
    }
    let err = host
        .process(&logs_only, &ProcessBatch::new(Signal::Logs, &garbage, 1))
        .err()
        .unwrap_or_else(|| panic!("a malformed batch was accepted"));
    assert!(!err.is_retryable());
    assert!(
        err.reason()
            .starts_with("cannot filter the batch: malformed logs batch"),
        "{err}"
    );
}
