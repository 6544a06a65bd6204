//! The exporter against a real HTTP server (`test_server`), created, started, fed and shut
//! down by the SDK's `TestHost` as the collector would.

use std::time::{Duration, SystemTime};

use hyper::StatusCode;
use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use otelcol_rust_sdk::proto::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use otelcol_rust_sdk::proto::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use otelcol_rust_sdk::proto::common::v1::{AnyValue, KeyValue, any_value};
use otelcol_rust_sdk::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use otelcol_rust_sdk::proto::metrics::v1::{
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
};
use otelcol_rust_sdk::proto::resource::v1::Resource;
use otelcol_rust_sdk::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use otelcol_rust_sdk::testing::TestHost;
use otelcol_rust_sdk::{Batch, BuildInfo, ExportOutcome, Signal};
use tokio::sync::mpsc;

use crate::OtlpHttpFactory;
use crate::exporter::{OtlpHttpExporter, request_bound};
use crate::response::{PROTOBUF, RpcStatus};
use crate::test_server::{Received, Reply, TestServer, WAIT};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn text(value: &str) -> Option<AnyValue> {
    Some(AnyValue {
        value: Some(any_value::Value::StringValue(value.to_owned())),
    })
}

fn resource() -> Option<Resource> {
    Some(Resource {
        attributes: vec![KeyValue {
            key: "service.name".to_owned(),
            value: text("checkout"),
            ..KeyValue::default()
        }],
        ..Resource::default()
    })
}

/// An export request of `signal` with `items` spans, data points or log records, encoded as
/// the collector marshals it.
pub(crate) fn request(signal: Signal, items: u32) -> Vec<u8> {
    match signal {
        Signal::Traces => ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: resource(),
                scope_spans: vec![ScopeSpans {
                    spans: (0..items)
                        .map(|i| Span {
                            trace_id: vec![7; 16],
                            span_id: (u64::from(i) + 1).to_be_bytes().to_vec(),
                            name: format!("GET /cart/{i}"),
                            start_time_unix_nano: 1_700_000_000_000_000_000 + u64::from(i),
                            end_time_unix_nano: 1_700_000_000_000_500_000 + u64::from(i),
                            ..Span::default()
                        })
                        .collect(),
                    ..ScopeSpans::default()
                }],
                ..ResourceSpans::default()
            }],
        }
        .encode_to_vec(),
        Signal::Metrics => ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: resource(),
                scope_metrics: vec![ScopeMetrics {
                    metrics: vec![Metric {
                        name: "http.server.requests".to_owned(),
                        unit: "{request}".to_owned(),
                        data: Some(metric::Data::Sum(Sum {
                            data_points: (0..items)
                                .map(|i| NumberDataPoint {
                                    time_unix_nano: 1_700_000_000_000_000_000,
                                    value: Some(number_data_point::Value::AsInt(i64::from(i))),
                                    ..NumberDataPoint::default()
                                })
                                .collect(),
                            aggregation_temporality: 2,
                            is_monotonic: true,
                        })),
                        ..Metric::default()
                    }],
                    ..ScopeMetrics::default()
                }],
                ..ResourceMetrics::default()
            }],
        }
        .encode_to_vec(),
        Signal::Logs => ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: resource(),
                scope_logs: vec![ScopeLogs {
                    log_records: (0..items)
                        .map(|i| LogRecord {
                            severity_text: "INFO".to_owned(),
                            body: text(&format!("order {i} placed")),
                            ..LogRecord::default()
                        })
                        .collect(),
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        }
        .encode_to_vec(),
    }
}

/// Checks that the server got exactly the request that was exported: the same bytes, which
/// decode into the same OTLP message.
fn assert_same_request(signal: Signal, received: &Received, sent: &[u8]) {
    assert_eq!(received.body, sent, "{signal} body differs");
    let same = match signal {
        Signal::Traces => {
            ExportTraceServiceRequest::decode(received.body.as_slice()).ok()
                == ExportTraceServiceRequest::decode(sent).ok()
        }
        Signal::Metrics => {
            ExportMetricsServiceRequest::decode(received.body.as_slice()).ok()
                == ExportMetricsServiceRequest::decode(sent).ok()
        }
        Signal::Logs => {
            ExportLogsServiceRequest::decode(received.body.as_slice()).ok()
                == ExportLogsServiceRequest::decode(sent).ok()
        }
    };
    assert!(same, "{signal} request differs once decoded");
}

/// An exporter created from `config` (JSON) and started by `host`.
async fn started(
    host: &TestHost,
    config: &str,
) -> Result<OtlpHttpExporter, otelcol_rust_sdk::Error> {
    let mut exporter = host.exporter(&OtlpHttpFactory, config)?;
    host.start_exporter(&mut exporter).await?;
    Ok(exporter)
}

fn endpoint_config(server: &TestServer) -> String {
    format!(r#"{{"endpoint": "{}"}}"#, server.endpoint())
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

/// Scenario: one exporter with the default config but its endpoint, given a batch of each
/// signal.
/// Guarantees: each is POSTed to `<endpoint>/v1/<signal>` as gzipped OTLP protobuf with the
/// exporter's User-Agent; the server decodes exactly the request that was exported; each
/// answers Ok.
#[tokio::test]
async fn each_signal_is_posted_to_its_path_as_gzipped_protobuf() -> TestResult {
    let mut server = TestServer::ok().await;
    let host = TestHost::new("rust_otlphttp");
    let exporter = started(&host, &endpoint_config(&server)).await?;
    for signal in SIGNALS {
        let sent = request(signal, 3);
        let outcome = host.export(&exporter, Batch::new(signal, &sent, 3)).await;
        assert_eq!(outcome, ExportOutcome::Ok, "{signal}");
        let received = server.next().await;
        assert_eq!(received.method, hyper::Method::POST);
        assert_eq!(received.path, format!("/v1/{signal}"));
        assert_eq!(received.header("content-type"), Some(PROTOBUF));
        assert_eq!(received.header("content-encoding"), Some("gzip"));
        assert_eq!(
            received.header("user-agent"),
            Some(concat!("rust_otlphttp/", env!("CARGO_PKG_VERSION")))
        );
        assert_ne!(received.raw, sent, "compressed on the wire");
        assert_same_request(signal, &received, &sent);
    }
    Ok(())
}

/// Guarantees: with `compression: none` the body is the protobuf as it was exported, without
/// a Content-Encoding.
#[tokio::test]
async fn compression_none_sends_the_bytes_as_they_are() -> TestResult {
    let mut server = TestServer::ok().await;
    let host = TestHost::new("rust_otlphttp/plain");
    let config = format!(
        r#"{{"endpoint": "{}", "compression": "none"}}"#,
        server.endpoint()
    );
    let exporter = started(&host, &config).await?;
    let sent = request(Signal::Logs, 5);
    let outcome = host
        .export(&exporter, Batch::new(Signal::Logs, &sent, 5))
        .await;
    assert_eq!(outcome, ExportOutcome::Ok);
    let received = server.next().await;
    assert_eq!(received.header("content-encoding"), None);
    assert_eq!(received.raw, sent);
    assert_same_request(Signal::Logs, &received, &sent);
    Ok(())
}

/// Scenario: traces go to a second server by `traces_endpoint`; the base endpoint has a path.
/// Guarantees: the override is used exactly as written; the other signals keep
/// `<endpoint>/v1/<signal>`, the endpoint's path kept.
#[tokio::test]
async fn a_signal_endpoint_overrides_the_base() -> TestResult {
    let mut base = TestServer::ok().await;
    let mut traces = TestServer::ok().await;
    let host = TestHost::new("rust_otlphttp");
    let config = format!(
        r#"{{"endpoint": "{}/otlp/", "traces_endpoint": "{}/custom/traces"}}"#,
        base.endpoint(),
        traces.endpoint()
    );
    let exporter = started(&host, &config).await?;
    for signal in SIGNALS {
        let sent = request(signal, 1);
        let outcome = host.export(&exporter, Batch::new(signal, &sent, 1)).await;
        assert_eq!(outcome, ExportOutcome::Ok, "{signal}");
    }
    let received = traces.next().await;
    assert_eq!(received.path, "/custom/traces");
    assert_same_request(Signal::Traces, &received, &request(Signal::Traces, 1));
    assert_eq!(base.next().await.path, "/otlp/v1/metrics");
    assert_eq!(base.next().await.path, "/otlp/v1/logs");
    Ok(())
}

/// Guarantees: configured headers reach the server on every request, a configured
/// User-Agent replacing the exporter's; without one the User-Agent names the collector
/// build and the component.
#[tokio::test]
async fn headers_are_sent() -> TestResult {
    let mut server = TestServer::ok().await;
    let build = BuildInfo {
        command: "otelcol-rust".to_owned(),
        description: "otelcol-rust test".to_owned(),
        version: "1.2.3".to_owned(),
    };
    let host = TestHost::new("rust_otlphttp").with_build(build);
    let config = format!(
        r#"{{"endpoint": "{}", "headers": {{"X-Tenant": "acme", "authorization": "Bearer t0k3n"}}}}"#,
        server.endpoint()
    );
    let exporter = started(&host, &config).await?;
    let sent = request(Signal::Traces, 2);
    for _ in 0..2 {
        host.export(&exporter, Batch::new(Signal::Traces, &sent, 2))
            .await;
        let received = server.next().await;
        assert_eq!(received.header("x-tenant"), Some("acme"));
        assert_eq!(received.header("authorization"), Some("Bearer t0k3n"));
        let agent = format!(
            "otelcol-rust test/1.2.3 ({}/{}) rust_otlphttp/{}",
            std::env::consts::OS,
            std::env::consts::ARCH,
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(received.header("user-agent"), Some(agent.as_str()));
    }

    let config = format!(
        r#"{{"endpoint": "{}", "headers": {{"User-Agent": "my-agent/2"}}}}"#,
        server.endpoint()
    );
    let exporter = started(&host, &config).await?;
    host.export(&exporter, Batch::new(Signal::Traces, &sent, 2))
        .await;
    assert_eq!(server.next().await.header("user-agent"), Some("my-agent/2"));
    Ok(())
}

/// Guarantees: a 4xx or 5xx answer other than 429/502/503/504 is Permanent, with the status
/// and the `google.rpc.Status` message the OTLP spec puts in the body, or an excerpt of a
/// body that is not one.
#[tokio::test]
async fn client_and_server_errors_are_permanent() -> TestResult {
    let status = RpcStatus {
        code: 3,
        message: "span 3 has no trace id".to_owned(),
    }
    .encode_to_vec();
    let server = TestServer::start(move |received| match received.header("x-case") {
        Some("proto") => Reply::status(StatusCode::BAD_REQUEST).body(PROTOBUF, status.clone()),
        Some("text") => Reply::status(StatusCode::NOT_FOUND)
            .body("text/plain", b"404 page not found\n".to_vec()),
        _ => Reply::status(StatusCode::INTERNAL_SERVER_ERROR),
    })
    .await;
    let host = TestHost::new("rust_otlphttp");
    let sent = request(Signal::Traces, 1);
    let url = format!("{}/v1/traces", server.endpoint());
    for (case, expected) in [
        (
            "proto",
            format!("{url} answered HTTP 400 Bad Request: span 3 has no trace id"),
        ),
        (
            "text",
            format!("{url} answered HTTP 404 Not Found: 404 page not found"),
        ),
        (
            "none",
            format!("{url} answered HTTP 500 Internal Server Error"),
        ),
    ] {
        let config = format!(
            r#"{{"endpoint": "{}", "headers": {{"x-case": "{case}"}}}}"#,
            server.endpoint()
        );
        let exporter = started(&host, &config).await?;
        let outcome = host
            .export(&exporter, Batch::new(Signal::Traces, &sent, 1))
            .await;
        assert_eq!(outcome, ExportOutcome::permanent(expected));
    }
    Ok(())
}

/// Guarantees: 429, 502, 503 and 504 are Retryable; a Retry-After in seconds or as an HTTP
/// date becomes the outcome's retry-after; without one there is none (the collector's
/// backoff applies).
#[tokio::test]
async fn throttling_and_gateway_errors_are_retryable() -> TestResult {
    let in_30s = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
    let server = TestServer::start(move |received| match received.header("x-case") {
        Some("503-seconds") => {
            Reply::status(StatusCode::SERVICE_UNAVAILABLE).header("retry-after", "7")
        }
        Some("429-date") => {
            Reply::status(StatusCode::TOO_MANY_REQUESTS).header("retry-after", &in_30s)
        }
        Some("429") => Reply::status(StatusCode::TOO_MANY_REQUESTS),
        Some("502") => Reply::status(StatusCode::BAD_GATEWAY),
        _ => Reply::status(StatusCode::GATEWAY_TIMEOUT),
    })
    .await;
    let host = TestHost::new("rust_otlphttp");
    let sent = request(Signal::Metrics, 2);
    let url = format!("{}/v1/metrics", server.endpoint());
    let mut outcomes = Vec::new();
    for case in ["503-seconds", "429-date", "429", "502", "504"] {
        let config = format!(
            r#"{{"endpoint": "{}", "headers": {{"x-case": "{case}"}}}}"#,
            server.endpoint()
        );
        let exporter = started(&host, &config).await?;
        outcomes.push(
            host.export(&exporter, Batch::new(Signal::Metrics, &sent, 2))
                .await,
        );
    }
    assert_eq!(
        outcomes[0],
        ExportOutcome::retry_after(
            format!("{url} answered HTTP 503 Service Unavailable"),
            Duration::from_secs(7)
        )
    );
    // An HTTP date has whole seconds and was written a moment before it was read.
    match &outcomes[1] {
        ExportOutcome::Retryable {
            reason,
            retry_after: Some(after),
        } => {
            assert_eq!(
                reason,
                &format!("{url} answered HTTP 429 Too Many Requests")
            );
            assert!(
                *after > Duration::from_secs(25) && *after <= Duration::from_secs(30),
                "{after:?}"
            );
        }
        other => panic!("429 with a date: {other:?}"),
    }
    assert_eq!(
        outcomes[2..],
        [
            ExportOutcome::retryable(format!("{url} answered HTTP 429 Too Many Requests")),
            ExportOutcome::retryable(format!("{url} answered HTTP 502 Bad Gateway")),
            ExportOutcome::retryable(format!("{url} answered HTTP 504 Gateway Timeout")),
        ]
    );
    Ok(())
}

/// Guarantees: a 2xx answer whose `partial_success` rejected items is Partial, with the
/// count and the server's message, for each signal; one that rejected nothing (a warning)
/// is Ok.
#[tokio::test]
async fn partial_success_is_partial() -> TestResult {
    let server = TestServer::start(|received| {
        let rejected = if received.header("x-case") == Some("warning") {
            0
        } else {
            2
        };
        let message = "2 items are too old".to_owned();
        let body = match received.path.as_str() {
            "/v1/traces" => ExportTraceServiceResponse {
                partial_success: Some(ExportTracePartialSuccess {
                    rejected_spans: rejected,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
            "/v1/metrics" => ExportMetricsServiceResponse {
                partial_success: Some(ExportMetricsPartialSuccess {
                    rejected_data_points: rejected,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
            _ => ExportLogsServiceResponse {
                partial_success: Some(ExportLogsPartialSuccess {
                    rejected_log_records: rejected,
                    error_message: message,
                }),
            }
            .encode_to_vec(),
        };
        Reply::status(StatusCode::OK).body(PROTOBUF, body)
    })
    .await;
    let host = TestHost::new("rust_otlphttp");
    let exporter = started(&host, &endpoint_config(&server)).await?;
    for signal in SIGNALS {
        let sent = request(signal, 5);
        let outcome = host.export(&exporter, Batch::new(signal, &sent, 5)).await;
        assert_eq!(
            outcome,
            ExportOutcome::partial(2, "2 items are too old"),
            "{signal}"
        );
    }
    let config = format!(
        r#"{{"endpoint": "{}", "headers": {{"x-case": "warning"}}}}"#,
        server.endpoint()
    );
    let warned = started(&host, &config).await?;
    let sent = request(Signal::Logs, 5);
    let outcome = host
        .export(&warned, Batch::new(Signal::Logs, &sent, 5))
        .await;
    assert_eq!(outcome, ExportOutcome::Ok);
    Ok(())
}

/// Guarantees: when nothing listens, the export is Retryable (the destination may come back),
/// and the reason says where and why.
#[tokio::test]
async fn connection_refused_is_retryable() -> TestResult {
    // A port that was just free: bound, then released.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    let host = TestHost::new("rust_otlphttp");
    let exporter = started(&host, &format!(r#"{{"endpoint": "http://{addr}"}}"#)).await?;
    let sent = request(Signal::Traces, 1);
    let outcome = host
        .export(&exporter, Batch::new(Signal::Traces, &sent, 1))
        .await;
    match outcome {
        ExportOutcome::Retryable {
            reason,
            retry_after: None,
        } => {
            assert!(
                reason.starts_with(&format!("cannot send to http://{addr}/v1/traces: ")),
                "{reason}"
            );
            assert!(reason.contains("Connection refused"), "{reason}");
        }
        other => panic!("not retryable: {other:?}"),
    }
    Ok(())
}

/// A destination that accepts connections, reads what comes and never answers (a hung
/// backend). Yields the bytes each connection received once the client closed it.
async fn silent_destination() -> std::io::Result<(String, mpsc::UnboundedReceiver<usize>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let (closed, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let closed = closed.clone();
            tokio::spawn(async move {
                let mut read = 0;
                let mut buffer = [0; 4096];
                // Until the client closes (0) or resets the connection.
                while stream.readable().await.is_ok() {
                    match stream.try_read(&mut buffer) {
                        Ok(0) => break,
                        Ok(n) => read += n,
                        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
                        Err(_) => break,
                    }
                }
                let _ = closed.send(read);
            });
        }
    });
    Ok((endpoint, received))
}

/// Scenario: the destination takes the request and never answers; the export has no deadline
/// (exporterhelper's `timeout: 0`, where the host never cuts it), so the exporter's own bound
/// applies (30 s by default, `DEFAULT_REQUEST_TIMEOUT`; a short one here).
/// Guarantees: the export ends Retryable once the bound has passed, saying so, and the
/// connection is closed rather than left waiting (or reused) half-answered.
#[tokio::test]
async fn a_silent_destination_times_out() -> TestResult {
    let (endpoint, mut closed) = silent_destination().await?;
    let host = TestHost::new("rust_otlphttp");
    let exporter = started(&host, &format!(r#"{{"endpoint": "{endpoint}"}}"#)).await?;
    let sent = request(Signal::Traces, 1);
    let bound = Duration::from_millis(300);
    let began = std::time::Instant::now();
    let outcome = exporter
        .send(Batch::new(Signal::Traces, &sent, 1), bound)
        .await;
    assert!(began.elapsed() >= bound, "{:?}", began.elapsed());
    assert_eq!(
        outcome,
        ExportOutcome::retryable(format!(
            "cannot send to {endpoint}/v1/traces: no answer, timed out after 300ms"
        ))
    );
    let read = tokio::time::timeout(WAIT, closed.recv()).await?;
    assert!(
        read.is_some_and(|read| read > sent.len() / 2),
        "the request reached the destination: {read:?}"
    );
    Ok(())
}

/// Guarantees: an export without a deadline is bounded by the default, Go otlphttp's client
/// timeout, and one with a deadline by what is left of it.
#[test]
fn the_request_bound_is_the_deadline_or_the_default() {
    let host = TestHost::new("rust_otlphttp").with_deadline(Duration::from_secs(5));
    let mut ctx = host.export_context();
    let left = request_bound(&ctx);
    assert!(
        left > Duration::ZERO && left <= Duration::from_secs(5),
        "{left:?}"
    );
    ctx.deadline = None;
    assert_eq!(request_bound(&ctx), Duration::from_secs(30));
}

/// Guarantees: sequential exports reuse one pooled connection, and shutdown closes it.
#[tokio::test]
async fn connections_are_kept_alive_until_shutdown() -> TestResult {
    let mut server = TestServer::ok().await;
    let host = TestHost::new("rust_otlphttp");
    let mut exporter = started(&host, &endpoint_config(&server)).await?;
    let sent = request(Signal::Logs, 1);
    for _ in 0..10 {
        let outcome = host
            .export(&exporter, Batch::new(Signal::Logs, &sent, 1))
            .await;
        assert_eq!(outcome, ExportOutcome::Ok);
    }
    assert_eq!(server.accepted(), 1);
    host.shutdown_exporter(&mut exporter).await?;
    server.wait_closed(1).await;
    Ok(())
}

/// Scenario: as in the collector, exports are polled with `Handle::block_on` on threads that
/// are not the runtime's, several at once, sharing one exporter.
/// Guarantees: every export answers Ok and the server receives every batch intact.
#[test]
fn concurrent_exports_from_threads_outside_the_runtime() -> TestResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let mut server = runtime.block_on(TestServer::ok());
    let host = TestHost::new("rust_otlphttp");
    let exporter = runtime.block_on(started(&host, &endpoint_config(&server)))?;
    const THREADS: usize = 4;
    const EXPORTS: usize = 5;
    let sent = request(Signal::Traces, 10);
    std::thread::scope(|threads| {
        for _ in 0..THREADS {
            threads.spawn(|| {
                for _ in 0..EXPORTS {
                    let batch = Batch::new(Signal::Traces, &sent, 10);
                    let outcome = runtime.handle().block_on(host.export(&exporter, batch));
                    assert_eq!(outcome, ExportOutcome::Ok);
                }
            });
        }
    });
    for _ in 0..THREADS * EXPORTS {
        let received = runtime.block_on(server.next());
        assert_same_request(Signal::Traces, &received, &sent);
    }
    Ok(())
}

/// Guarantees: the instance counts its requests by signal and outcome, and the bytes it put
/// on the wire. (The SDK offers components no public reader: this uses the library's.)
#[tokio::test]
async fn requests_and_bytes_are_counted() -> TestResult {
    let mut server = TestServer::start(|received| match received.path.as_str() {
        "/v1/logs" => Reply::status(StatusCode::BAD_REQUEST),
        _ => Reply::ok(),
    })
    .await;
    let host = TestHost::new("rust_otlphttp");
    let exporter = started(&host, &endpoint_config(&server)).await?;
    let mut wire = 0;
    for signal in [Signal::Traces, Signal::Traces, Signal::Logs] {
        let sent = request(signal, 4);
        host.export(&exporter, Batch::new(signal, &sent, 4)).await;
        wire += server.next().await.raw.len();
    }
    let series = host.settings().meter.read();
    let value = |instrument: u64, attributes: serde_json::Value| {
        series
            .iter()
            .find(|entry| entry["instrument"] == instrument && entry["attributes"] == attributes)
            .map(|entry| entry["value"].clone())
    };
    let attribute = |key: &str, value: &str| serde_json::json!({"key": key, "value": value});
    let requests = |signal: &str, outcome: &str| {
        value(
            0,
            serde_json::json!([attribute("outcome", outcome), attribute("signal", signal)]),
        )
    };
    assert_eq!(requests("traces", "ok"), Some(2.into()));
    assert_eq!(requests("logs", "permanent"), Some(1.into()));
    assert_eq!(requests("logs", "ok"), None, "never updated, not exported");
    let bytes = |signal: &str| value(1, serde_json::json!([attribute("signal", signal)]));
    let counted = bytes("traces")
        .and_then(|traces| traces.as_u64())
        .zip(bytes("logs").and_then(|logs| logs.as_u64()))
        .map(|(traces, logs)| traces + logs);
    assert_eq!(counted, u64::try_from(wire).ok());
    Ok(())
}

/// Guarantees: the factory refuses, as the collector would at config load, an https://
/// endpoint, a bad header, an unknown compression and an unknown key.
#[test]
fn invalid_configs_never_reach_create() {
    let host = TestHost::new("rust_otlphttp");
    for (config, expected) in [
        (
            r#"{"endpoint": "https://backend:4318"}"#,
            "endpoint: TLS is not supported yet: \"https://backend:4318\" is https://, use an http:// URL",
        ),
        (
            r#"{"headers": {"bad:name": "x"}}"#,
            "headers::bad:name: invalid HTTP header name",
        ),
        (
            r#"{"compression": "snappy"}"#,
            "compression: unsupported compression \"snappy\": rust_otlphttp supports \"gzip\" and \"none\"",
        ),
        (
            r#"{"sending_queue": {"enabled": true}}"#,
            "sending_queue: unknown configuration key",
        ),
    ] {
        let refused = host.exporter(&OtlpHttpFactory, config).err();
        assert_eq!(
            refused.map(|err| err.to_string()).as_deref(),
            Some(expected),
            "{config}"
        );
    }
}
