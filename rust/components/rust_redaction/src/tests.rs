//! rust_redaction through the SDK's TestHost: the maps of each signal it visits (and those it
//! does not), the edits' addressing, and its answers. The redaction of one map is compared with
//! the Go processor's output in `golden.rs`.

use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceRequest;
use otelcol_rust_sdk::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest;
use otelcol_rust_sdk::proto::common::v1::any_value::Value;
use otelcol_rust_sdk::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use otelcol_rust_sdk::proto::metrics::v1::metric::Data;
use otelcol_rust_sdk::proto::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use otelcol_rust_sdk::proto::resource::v1::Resource;
use otelcol_rust_sdk::proto::trace::v1::span::{Event, Link};
use otelcol_rust_sdk::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otelcol_rust_sdk::testing::TestHost;
use otelcol_rust_sdk::{ProcessBatch, ProcessRun, Processed, Signal};

use crate::golden::{render, s};
use crate::{RedactionFactory, RedactionProcessor};

/// Every map holds `keep` (allowed), `card` (allowed, a card number in it) and `drop` (not
/// allowed); the config below removes `drop`, masks the card and counts both.
fn attributes() -> Vec<KeyValue> {
    vec![
        s("keep", "v"),
        s("card", "card 4111111111111111"),
        s("drop", "secret"),
    ]
}

/// What each visited map becomes under [`CONFIG`].
const REDACTED: [&str; 6] = [
    "keep=Str:v",
    "card=Str:card ****",
    "redaction.redacted.keys=Str:drop",
    "redaction.redacted.count=Int:1",
    "redaction.masked.keys=Str:card",
    "redaction.masked.count=Int:1",
];

const CONFIG: &str =
    r#"{"allowed_keys":["keep","card"],"blocked_values":["4[0-9]{15}"],"summary":"debug"}"#;

fn processor(config: &str) -> RedactionProcessor {
    match TestHost::new("rust_redaction").processor(&RedactionFactory, config) {
        Ok(processor) => processor,
        Err(err) => panic!("{config}: {err}"),
    }
}

/// Runs the processor on `bytes` through TestHost and applies its answer as the host's run
/// does (the Go side applies the same edits the same way); returns the answer and the run.
fn run<'a>(
    config: &str,
    signal: Signal,
    bytes: &'a [u8],
    items: u64,
) -> (Processed, ProcessRun<'a>) {
    let host = TestHost::new("rust_redaction");
    let answer = host
        .process(&processor(config), &ProcessBatch::new(signal, bytes, items))
        .unwrap_or_else(|err| panic!("process: {err}"));
    let mut run = ProcessRun::new(signal, bytes, items);
    if let Err(err) = run.apply(answer.clone()) {
        panic!("apply: {err}");
    }
    (answer, run)
}

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: attributes(),
        ..Resource::default()
    })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope {
        name: "scope".into(),
        attributes: attributes(),
        ..InstrumentationScope::default()
    })
}

/// Guarantees: resource, scope, span and span event attributes are redacted, each map
/// addressed by its own number; span link attributes are left as they are (the Go processor
/// does not visit links); the span's name is not touched.
#[test]
fn traces_maps_visited_as_go_visits_them() {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: resource(),
            scope_spans: vec![ScopeSpans {
                scope: scope(),
                spans: vec![Span {
                    name: "card 4111111111111111".into(),
                    attributes: attributes(),
                    events: vec![Event {
                        attributes: attributes(),
                        ..Event::default()
                    }],
                    links: vec![Link {
                        attributes: attributes(),
                        ..Link::default()
                    }],
                    ..Span::default()
                }],
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }],
    };
    let bytes = request.encode_to_vec();
    let (answer, run) = run(CONFIG, Signal::Traces, &bytes, 1);
    assert!(matches!(answer, Processed::Edits(_)), "{answer:?}");
    let traces = run.batch().traces().unwrap_or_else(|err| panic!("{err}"));
    let resource_spans = &traces.resource_spans[0];
    let scope_spans = &resource_spans.scope_spans[0];
    let span = &scope_spans.spans[0];
    let redacted = redacted_map();
    assert_eq!(
        render(
            &resource_spans
                .resource
                .as_ref()
                .map(|r| r.attributes.clone())
                .unwrap_or_default()
        ),
        redacted
    );
    assert_eq!(
        render(
            &scope_spans
                .scope
                .as_ref()
                .map(|s| s.attributes.clone())
                .unwrap_or_default()
        ),
        redacted
    );
    assert_eq!(render(&span.attributes), redacted);
    assert_eq!(render(&span.events[0].attributes), redacted);
    assert_eq!(span.links[0].attributes, attributes());
    assert_eq!(span.name, "card 4111111111111111");
}

fn redacted_map() -> Vec<String> {
    REDACTED.iter().map(|entry| (*entry).to_owned()).collect()
}

fn points() -> Vec<NumberDataPoint> {
    vec![NumberDataPoint {
        attributes: attributes(),
        ..NumberDataPoint::default()
    }]
}

/// Guarantees: the data points of every metric type are redacted, as are the resource and
/// scope; the metric's name and other fields stay.
#[test]
fn metrics_points_of_every_type() {
    let metric = |name: &str, data| Metric {
        name: name.to_owned(),
        data: Some(data),
        ..Metric::default()
    };
    let request = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: resource(),
            scope_metrics: vec![ScopeMetrics {
                scope: scope(),
                metrics: vec![
                    metric(
                        "gauge",
                        Data::Gauge(Gauge {
                            data_points: points(),
                        }),
                    ),
                    metric(
                        "sum",
                        Data::Sum(Sum {
                            data_points: points(),
                            ..Sum::default()
                        }),
                    ),
                    metric(
                        "histogram",
                        Data::Histogram(Histogram {
                            data_points: vec![HistogramDataPoint {
                                attributes: attributes(),
                                count: 3,
                                ..HistogramDataPoint::default()
                            }],
                            ..Histogram::default()
                        }),
                    ),
                    metric(
                        "exponential",
                        Data::ExponentialHistogram(ExponentialHistogram {
                            data_points: vec![ExponentialHistogramDataPoint {
                                attributes: attributes(),
                                ..ExponentialHistogramDataPoint::default()
                            }],
                            ..ExponentialHistogram::default()
                        }),
                    ),
                    metric(
                        "summary",
                        Data::Summary(Summary {
                            data_points: vec![SummaryDataPoint {
                                attributes: attributes(),
                                ..SummaryDataPoint::default()
                            }],
                        }),
                    ),
                ],
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    };
    let bytes = request.encode_to_vec();
    let (_, run) = run(CONFIG, Signal::Metrics, &bytes, 5);
    let metrics = run.batch().metrics().unwrap_or_else(|err| panic!("{err}"));
    let redacted = redacted_map();
    let scope_metrics = &metrics.resource_metrics[0].scope_metrics[0];
    assert_eq!(
        render(
            &scope_metrics
                .scope
                .as_ref()
                .map(|s| s.attributes.clone())
                .unwrap_or_default()
        ),
        redacted
    );
    for metric in &scope_metrics.metrics {
        let attributes = match &metric.data {
            Some(Data::Gauge(gauge)) => &gauge.data_points[0].attributes,
            Some(Data::Sum(sum)) => &sum.data_points[0].attributes,
            Some(Data::Histogram(histogram)) => &histogram.data_points[0].attributes,
            Some(Data::ExponentialHistogram(histogram)) => &histogram.data_points[0].attributes,
            Some(Data::Summary(summary)) => &summary.data_points[0].attributes,
            None => panic!("metric {} lost its data", metric.name),
        };
        assert_eq!(render(attributes), redacted, "{}", metric.name);
    }
    let Some(Data::Histogram(histogram)) = &scope_metrics.metrics[2].data else {
        panic!("histogram");
    };
    assert_eq!(histogram.data_points[0].count, 3);
}

/// Guarantees: log record attributes are redacted, with the resource's and scope's; the body
/// is left as it is, even one a blocked pattern matches (out of scope, documented).
#[test]
fn logs_records_but_not_bodies() {
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs {
                scope: scope(),
                log_records: vec![LogRecord {
                    body: Some(AnyValue {
                        value: Some(Value::StringValue("card 4111111111111111".into())),
                    }),
                    attributes: attributes(),
                    ..LogRecord::default()
                }],
                ..ScopeLogs::default()
            }],
            ..ResourceLogs::default()
        }],
    };
    let bytes = request.encode_to_vec();
    let (_, run) = run(CONFIG, Signal::Logs, &bytes, 1);
    let logs = run.batch().logs().unwrap_or_else(|err| panic!("{err}"));
    let record = &logs.resource_logs[0].scope_logs[0].log_records[0];
    assert_eq!(render(&record.attributes), redacted_map());
    assert_eq!(
        record.body.as_ref().and_then(|body| body.value.clone()),
        Some(Value::StringValue("card 4111111111111111".into()))
    );
    assert_eq!(
        render(
            &logs.resource_logs[0]
                .resource
                .as_ref()
                .map(|r| r.attributes.clone())
                .unwrap_or_default()
        ),
        redacted_map()
    );
}

/// Guarantees: a batch the config leaves as it is answers `Unchanged` (nothing for the Go
/// side to apply), and so does an empty batch.
#[test]
fn nothing_to_do_is_unchanged() {
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            ..ResourceLogs::default()
        }],
    };
    let bytes = request.encode_to_vec();
    let (answer, _) = run(
        r#"{"allow_all_keys":true,"blocked_values":["^nothing$"]}"#,
        Signal::Logs,
        &bytes,
        0,
    );
    assert_eq!(answer, Processed::Unchanged);
    let (answer, _) = run(CONFIG, Signal::Traces, &[], 0);
    assert_eq!(answer, Processed::Unchanged);
}

/// Guarantees: a batch that does not decode fails with a permanent error (never passed on
/// unredacted); a bad config is refused by the factory path, naming the key.
#[test]
fn undecodable_batches_and_bad_configs_fail() {
    let host = TestHost::new("rust_redaction");
    let bytes = [0x0a, 0x05, 0x01];
    let answer = host.process(
        &processor(CONFIG),
        &ProcessBatch::new(Signal::Traces, &bytes, 1),
    );
    let err = answer
        .err()
        .unwrap_or_else(|| panic!("a malformed batch was accepted"));
    assert!(!err.is_retryable());
    assert!(
        err.reason()
            .starts_with("cannot redact the batch: malformed traces batch"),
        "{err}"
    );
    let refused = host
        .processor(&RedactionFactory, r#"{"blocked_values":["("]}"#)
        .err()
        .map(|err| err.to_string());
    assert_eq!(
        refused.as_deref(),
        Some("blocked_values[0]: invalid regex \"(\": unclosed group")
    );
}
