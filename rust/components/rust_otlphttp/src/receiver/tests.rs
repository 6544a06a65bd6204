//! The receiver over loopback, started and shut down by the SDK's `TestHost` as the collector
//! would, fed by a real HTTP client (hyper's), its pipelines the host's `TestConsumers`.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::testing::{TestConsumers, TestHost};
use otelcol_rust_sdk::{ConsumeError, Encoding, Signal};
use tokio::net::TcpStream;

use crate::response::{PROTOBUF, RpcStatus};
use crate::test_server::WAIT;
use crate::tests::request;
use crate::{OtlpHttpReceiver, OtlpHttpReceiverFactory};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type TestResult = Result<(), BoxError>;

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

/// Go's otlpreceiver success bodies (pdata v1.70.0's empty `ExportResponse`).
const PROTOBUF_OK: &[u8] = &[0x0a, 0x00];
const JSON_OK: &[u8] = br#"{"partialSuccess":{}}"#;

/// A started receiver, the host that started it, its pipelines and a client.
struct Running {
    host: TestHost,
    receiver: OtlpHttpReceiver,
    consumers: TestConsumers,
    addr: SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// Starts a receiver on a free loopback port with `config` (JSON, without `endpoint`), its
/// pipelines those of `signals`.
async fn start(config: &str, signals: &[Signal]) -> Result<Running, BoxError> {
    start_with(TestHost::new("rust_otlphttp"), config, signals).await
}

async fn start_with(host: TestHost, config: &str, signals: &[Signal]) -> Result<Running, BoxError> {
    let mut config: serde_json::Value = serde_json::from_str(config)?;
    config["endpoint"] = "127.0.0.1:0".into();
    let mut receiver = host.receiver(&OtlpHttpReceiverFactory, &config.to_string())?;
    let consumers = host.start_receiver(&mut receiver, signals).await?;
    let addr = receiver
        .local_addr()
        .ok_or("a started receiver has an address")?;
    assert_ne!(addr.port(), 0, "port 0 is replaced by the one chosen");
    let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    Ok(Running {
        host,
        receiver,
        consumers,
        addr,
        client,
    })
}

/// An answer as the client read it.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as a `google.rpc.Status` (code, message), decoded per its `Content-Type`.
    fn rpc_status(&self) -> Result<(i32, String), BoxError> {
        match self.header("content-type") {
            Some(PROTOBUF) => {
                let status = RpcStatus::decode(self.body.as_slice())?;
                Ok((status.code, status.message))
            }
            Some("application/json") => {
                let status: serde_json::Value = serde_json::from_slice(&self.body)?;
                let code = status["code"].as_i64().ok_or("a code")?;
                let message = status["message"].as_str().ok_or("a message")?;
                Ok((i32::try_from(code)?, message.to_owned()))
            }
            other => Err(format!("not a status body: {other:?}").into()),
        }
    }
}

/// A request to the receiver.
struct Call {
    method: Method,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Call {
    fn post(path: &str, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            method: Method::POST,
            path: path.to_owned(),
            headers: vec![("content-type", content_type.to_owned())],
            body,
        }
    }

    fn protobuf(signal: Signal, body: Vec<u8>) -> Self {
        Self::post(&format!("/v1/{signal}"), PROTOBUF, body)
    }

    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
}

impl Running {
    async fn call(&self, call: Call) -> Result<Reply, BoxError> {
        send(&self.client, self.addr, call).await
    }

    fn received(&self) -> Vec<(Signal, Encoding, Vec<u8>)> {
        self.consumers
            .received()
            .into_iter()
            .map(|(signal, payload)| (signal, payload.encoding(), payload.into_bytes()))
            .collect()
    }

    async fn shutdown(mut self) -> TestResult {
        self.host.shutdown_receiver(&mut self.receiver).await?;
        self.host.wait_tasks_ended(WAIT).await?;
        Ok(())
    }
}

async fn send(
    client: &Client<HttpConnector, Full<Bytes>>,
    addr: SocketAddr,
    call: Call,
) -> Result<Reply, BoxError> {
    let mut request = Request::new(Full::new(Bytes::from(call.body)));
    *request.method_mut() = call.method;
    *request.uri_mut() = format!("http://{addr}{}", call.path).parse()?;
    for (name, value) in call.headers {
        request
            .headers_mut()
            .append(name, HeaderValue::from_str(&value)?);
    }
    let answer = tokio::time::timeout(WAIT, client.request(request)).await??;
    let (parts, body) = answer.into_parts();
    let body = tokio::time::timeout(WAIT, body.collect()).await??;
    Ok(Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.to_bytes().to_vec(),
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// An OTLP/JSON request of `signal`, with the spacing a client may use: it must reach the
/// pipeline as it was sent.
fn json_request(signal: Signal) -> Vec<u8> {
    match signal {
        Signal::Traces => br#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": "GET /cart", "traceId": "07070707070707070707070707070707", "spanId": "0000000000000001"}]}]}]}"#.to_vec(),
        Signal::Metrics => br#"{ "resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"requests","gauge":{"dataPoints":[{"asInt":"3"}]}}]}]}] }"#.to_vec(),
        Signal::Logs => b"{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"stringValue\":\"order placed\"}}]}]}]}\n".to_vec(),
    }
}

/// Scenario: a receiver with the three pipelines, sent one protobuf and one JSON request of
/// each signal on its default paths.
/// Guarantees: each reaches its signal's pipeline as the exact bytes sent, with the encoding
/// its Content-Type named; each is answered 200 with Go's success body in that encoding.
#[tokio::test]
async fn protobuf_and_json_reach_the_pipeline_as_sent() -> TestResult {
    let running = start("{}", &SIGNALS).await?;
    let mut expected = Vec::new();
    for signal in SIGNALS {
        let protobuf = request(signal, 3);
        let reply = running
            .call(Call::protobuf(signal, protobuf.clone()))
            .await?;
        assert_eq!(reply.status, StatusCode::OK, "{signal}");
        assert_eq!(reply.header("content-type"), Some(PROTOBUF));
        assert_eq!(reply.body, PROTOBUF_OK);
        expected.push((signal, Encoding::Protobuf, protobuf));

        let json = json_request(signal);
        let call = Call::post(
            &format!("/v1/{signal}"),
            "application/json; charset=utf-8",
            json.clone(),
        );
        let reply = running.call(call).await?;
        assert_eq!(reply.status, StatusCode::OK, "{signal}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(reply.body, JSON_OK);
        expected.push((signal, Encoding::Json, json));
    }
    assert_eq!(running.received(), expected);
    running.shutdown().await
}

/// Guarantees: a gzipped body (several gzip members too) reaches the pipeline inflated, as
/// the bytes the client compressed; configured paths replace the defaults.
#[tokio::test]
async fn gzip_bodies_are_inflated() -> TestResult {
    let running = start(r#"{"logs_url_path": "ingest/logs"}"#, &SIGNALS).await?;
    let sent = request(Signal::Logs, 50);
    let call = Call::post("/ingest/logs", PROTOBUF, gzip(&sent)).header("content-encoding", "gzip");
    let reply = running.call(call).await?;
    assert_eq!(reply.status, StatusCode::OK);
    let json = json_request(Signal::Logs);
    let (first, second) = json.split_at(10);
    let mut members = gzip(first);
    members.extend(gzip(second));
    let call =
        Call::post("/ingest/logs", "application/json", members).header("content-encoding", "gzip");
    assert_eq!(running.call(call).await?.status, StatusCode::OK);
    let default_path = running
        .call(Call::protobuf(Signal::Logs, sent.clone()))
        .await?;
    assert_eq!(default_path.status, StatusCode::NOT_FOUND);
    assert_eq!(
        running.received(),
        [
            (Signal::Logs, Encoding::Protobuf, sent),
            (Signal::Logs, Encoding::Json, json)
        ]
    );
    running.shutdown().await
}

/// Guarantees: what Go's otlpreceiver answers in plain text (unknown path or a signal
/// without a pipeline: 404; another method: 405; another media type: 415) is answered so,
/// with Go's bodies, and nothing reaches a pipeline.
#[tokio::test]
async fn routing_answers_are_gos() -> TestResult {
    let running = start("{}", &[Signal::Traces]).await?;
    let body = request(Signal::Logs, 1);
    for (call, status, text) in [
        (
            Call::protobuf(Signal::Logs, body.clone()),
            StatusCode::NOT_FOUND,
            "404 page not found\n",
        ),
        (
            Call::post("/v1/traces/", PROTOBUF, body.clone()),
            StatusCode::NOT_FOUND,
            "404 page not found\n",
        ),
        (
            Call {
                method: Method::GET,
                ..Call::protobuf(Signal::Traces, Vec::new())
            },
            StatusCode::METHOD_NOT_ALLOWED,
            "405 method not allowed, supported: [POST]",
        ),
        (
            Call::post("/v1/traces", "application/protobuf", body.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "415 unsupported media type, supported: [application/json, application/x-protobuf]",
        ),
        (
            Call {
                headers: Vec::new(),
                ..Call::protobuf(Signal::Traces, body.clone())
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "415 unsupported media type, supported: [application/json, application/x-protobuf]",
        ),
    ] {
        let reply = running.call(call).await?;
        assert_eq!(reply.status, status);
        assert!(
            reply
                .header("content-type")
                .is_some_and(|media| media.starts_with("text/plain")),
            "{reply:?}"
        );
        assert_eq!(String::from_utf8_lossy(&reply.body), text);
    }
    assert_eq!(running.received(), []);
    running.shutdown().await
}

/// Guarantees: an unknown Content-Encoding (Go's confighttp answers before routing) and a
/// corrupt gzip body are 400 with a `google.rpc.Status` (InvalidArgument) in the request's
/// encoding (JSON when it names neither), and nothing reaches a pipeline.
#[tokio::test]
async fn bad_encodings_are_400_with_a_status() -> TestResult {
    let running = start("{}", &SIGNALS).await?;
    let body = request(Signal::Traces, 2);
    let reply = running
        .call(Call::protobuf(Signal::Traces, body.clone()).header("content-encoding", "br"))
        .await?;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.header("content-type"), Some(PROTOBUF));
    assert_eq!(
        reply.rpc_status()?,
        (3, "unsupported Content-Encoding: br".to_owned())
    );
    let reply = running
        .call(Call::post("/nowhere", "text/plain", body.clone()).header("content-encoding", "zstd"))
        .await?;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.rpc_status()?,
        (3, "unsupported Content-Encoding: zstd".to_owned())
    );
    let mut corrupt = gzip(&body);
    corrupt.truncate(corrupt.len() - 4);
    let reply = running
        .call(
            Call::post("/v1/traces", "application/json", corrupt)
                .header("content-encoding", "gzip"),
        )
        .await?;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let (code, message) = reply.rpc_status()?;
    assert_eq!(code, 3);
    assert!(
        message.starts_with("invalid gzip request body: "),
        "{message}"
    );
    assert_eq!(running.received(), []);
    running.shutdown().await
}

/// Scenario: `max_request_body_size: 1000`.
/// Guarantees: 1000 bytes pass; 1001 bytes, and a gzip bomb (100,000 zeros in about 100
/// bytes), are 413 with a status naming the limit; neither reaches a pipeline.
#[tokio::test]
async fn bodies_past_the_limit_are_413() -> TestResult {
    let running = start(r#"{"max_request_body_size": 1000}"#, &SIGNALS).await?;
    let reply = running
        .call(Call::protobuf(Signal::Metrics, vec![0; 1000]))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    let over = running
        .call(Call::protobuf(Signal::Metrics, vec![0; 1001]))
        .await?;
    // Well under the limit on the wire: refused once inflated past it. (That it is cut
    // there, not inflated whole, is body.rs's a_gzip_bomb_is_cut_at_the_limit.)
    let bomb = gzip(&vec![0u8; 100_000]);
    assert!(bomb.len() < 1000, "{} bytes", bomb.len());
    let bomb = running
        .call(Call::post("/v1/logs", "application/json", bomb).header("content-encoding", "gzip"))
        .await?;
    for (name, reply) in [("1001 bytes", over), ("gzip bomb", bomb)] {
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{name}");
        assert_eq!(
            reply.rpc_status()?,
            (
                3,
                "request body too large: more than 1000 bytes (max_request_body_size)".to_owned()
            ),
            "{name}"
        );
    }
    assert_eq!(running.received().len(), 1);
    running.shutdown().await
}

/// Guarantees: the pipeline's outcome is the answer, as Go's otlpreceiver maps it: retryable
/// is 503 (Unavailable) with a Retry-After (the pipeline's wait, rounded up to seconds, else
/// `retry_after`), permanent is 500 (Internal), undecodable is 400 (InvalidArgument), each
/// with the pipeline's reason in the request's encoding.
#[tokio::test]
async fn the_pipelines_outcome_is_the_answer() -> TestResult {
    let running = start(r#"{"retry_after": "3s"}"#, &SIGNALS).await?;
    let cases = [
        (
            ConsumeError::retryable("sending queue is full"),
            StatusCode::SERVICE_UNAVAILABLE,
            Some("3"),
            14,
        ),
        (
            ConsumeError::retryable("memory limit reached")
                .with_retry_after(Duration::from_millis(7200)),
            StatusCode::SERVICE_UNAVAILABLE,
            Some("8"),
            14,
        ),
        (
            ConsumeError::permanent("Permanent error: rejected by the backend"),
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            13,
        ),
        (
            ConsumeError::malformed("malformed traces request: proto: illegal wireType 7"),
            StatusCode::BAD_REQUEST,
            None,
            3,
        ),
    ];
    for (outcome, status, retry_after, code) in cases {
        running.consumers.set_outcome(Err(outcome.clone()));
        for call in [
            Call::protobuf(Signal::Traces, request(Signal::Traces, 1)),
            Call::post(
                "/v1/traces",
                "application/json",
                json_request(Signal::Traces),
            ),
        ] {
            let reply = running.call(call).await?;
            assert_eq!(reply.status, status, "{outcome:?}");
            assert_eq!(reply.header("retry-after"), retry_after, "{outcome:?}");
            assert_eq!(
                reply.rpc_status()?,
                (code, outcome.reason().to_owned()),
                "{outcome:?}"
            );
        }
    }
    running.consumers.set_outcome(Ok(()));
    let reply = running
        .call(Call::protobuf(Signal::Traces, request(Signal::Traces, 1)))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("retry-after"), None);
    running.shutdown().await
}

/// Scenario: `max_concurrent_requests: 2`, a pipeline that takes 2 s per request, two
/// requests in flight.
/// Guarantees: a third is answered 429 with `Retry-After: 1` and a ResourceExhausted status
/// at once (long before the others end), without reaching the pipeline; the two in flight are
/// answered 200; once they are, a new request is accepted again.
#[tokio::test]
async fn requests_past_the_concurrency_bound_are_429_at_once() -> TestResult {
    const DELAY: Duration = Duration::from_secs(2);
    let running = start(r#"{"max_concurrent_requests": 2}"#, &SIGNALS).await?;
    running.consumers.set_delay(DELAY);
    let mut in_flight = Vec::new();
    for _ in 0..2 {
        let (client, addr) = (running.client.clone(), running.addr);
        let call = Call::protobuf(Signal::Traces, request(Signal::Traces, 1));
        in_flight.push(tokio::spawn(async move { send(&client, addr, call).await }));
    }
    running.consumers.wait_for_received(2, WAIT).await?;
    let asked = Instant::now();
    let reply = running
        .call(Call::protobuf(Signal::Logs, request(Signal::Logs, 1)))
        .await?;
    assert!(
        asked.elapsed() < DELAY,
        "answered after {:?}",
        asked.elapsed()
    );
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert_eq!(
        reply.rpc_status()?,
        (
            8,
            "too many concurrent requests: at most 2 at once (max_concurrent_requests)".to_owned()
        )
    );
    for request in in_flight {
        assert_eq!(request.await??.status, StatusCode::OK);
    }
    running.consumers.set_delay(Duration::ZERO);
    let reply = running
        .call(Call::protobuf(Signal::Logs, request(Signal::Logs, 1)))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    let signals: Vec<Signal> = running
        .received()
        .into_iter()
        .map(|(signal, ..)| signal)
        .collect();
    assert_eq!(signals, [Signal::Traces, Signal::Traces, Signal::Logs]);
    running.shutdown().await
}

/// Waits until `addr` refuses connections: the receiver stopped listening.
async fn refused(addr: SocketAddr) -> Instant {
    loop {
        match TcpStream::connect(addr).await {
            Err(_) => return Instant::now(),
            // Accepted before the stop, or queued by the kernel until the port is closed.
            Ok(_) => tokio::task::yield_now().await,
        }
    }
}

/// Scenario: a request whose delivery takes 1 s is in flight when shutdown begins.
/// Guarantees: the port is closed at once (new connections refused while the request is
/// still in flight); the request is answered 200 with `Connection: close`; shutdown returns
/// after that, within the deadline, with every task of the receiver ended.
#[tokio::test]
async fn shutdown_finishes_requests_in_flight() -> TestResult {
    const DELAY: Duration = Duration::from_secs(1);
    let mut running = start("{}", &SIGNALS).await?;
    running.consumers.set_delay(DELAY);
    let (client, addr) = (running.client.clone(), running.addr);
    let call = Call::protobuf(Signal::Metrics, request(Signal::Metrics, 4));
    let in_flight = tokio::spawn(async move {
        let reply = send(&client, addr, call).await;
        (reply, Instant::now())
    });
    running.consumers.wait_for_received(1, WAIT).await?;

    let started = Instant::now();
    let (shutdown, refused_at) = tokio::join!(
        running.host.shutdown_receiver(&mut running.receiver),
        tokio::time::timeout(WAIT, refused(addr))
    );
    shutdown?;
    let shut_down_after = started.elapsed();
    let (reply, answered_at) = in_flight.await?;
    let reply = reply?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("connection"), Some("close"));
    assert!(
        refused_at? < answered_at,
        "the port was open until the answer"
    );
    assert!(
        shut_down_after < Duration::from_secs(5),
        "shutdown took {shut_down_after:?}"
    );
    assert_eq!(running.received().len(), 1);
    running.host.wait_tasks_ended(WAIT).await?;
    Ok(())
}

/// Scenario: a request whose delivery would take a minute is in flight at shutdown; the
/// collector's deadline is 600 ms.
/// Guarantees: shutdown returns Ok before the deadline, having closed the connection (the
/// client sees it end without an answer and can retry), with every task of the receiver
/// ended.
#[tokio::test]
async fn shutdown_returns_by_the_deadline() -> TestResult {
    const DEADLINE: Duration = Duration::from_millis(600);
    let host = TestHost::new("rust_otlphttp").with_deadline(DEADLINE);
    let mut running = start_with(host, "{}", &SIGNALS).await?;
    running.consumers.set_delay(Duration::from_secs(60));
    let (client, addr) = (running.client.clone(), running.addr);
    let call = Call::protobuf(Signal::Logs, request(Signal::Logs, 1));
    let in_flight = tokio::spawn(async move { send(&client, addr, call).await });
    running.consumers.wait_for_received(1, WAIT).await?;

    let started = Instant::now();
    running
        .host
        .shutdown_receiver(&mut running.receiver)
        .await?;
    assert!(started.elapsed() < DEADLINE, "took {:?}", started.elapsed());
    let reply = in_flight.await?;
    assert!(reply.is_err(), "{reply:?}");
    running.host.wait_tasks_ended(WAIT).await?;
    Ok(())
}

/// Guarantees: shutdown without start and a second shutdown are Ok; a second receiver on a
/// port in use fails to start, naming the endpoint.
#[tokio::test]
async fn lifecycle_edges() -> TestResult {
    let host = TestHost::new("rust_otlphttp");
    let mut never_started = host.receiver(&OtlpHttpReceiverFactory, "{}")?;
    host.shutdown_receiver(&mut never_started).await?;

    let mut running = start("{}", &SIGNALS).await?;
    let config = format!(r#"{{"endpoint": "{}"}}"#, running.addr);
    let mut second = host.receiver(&OtlpHttpReceiverFactory, &config)?;
    let err = host
        .start_receiver(&mut second, &SIGNALS)
        .await
        .err()
        .ok_or("the port is taken")?;
    assert!(
        err.to_string()
            .contains(&format!("cannot listen on \"{}\"", running.addr)),
        "{err}"
    );
    running
        .host
        .shutdown_receiver(&mut running.receiver)
        .await?;
    running
        .host
        .shutdown_receiver(&mut running.receiver)
        .await?;
    // The port is free again: a new receiver takes it.
    let mut again = host.receiver(&OtlpHttpReceiverFactory, &config)?;
    host.start_receiver(&mut again, &SIGNALS).await?;
    host.shutdown_receiver(&mut again).await?;
    Ok(())
}

/// A small deterministic generator (xorshift64*), so a failing case can be replayed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// Printable ASCII a header value can carry.
    fn text(&mut self, max: usize) -> String {
        let len = self.below(max + 1);
        (0..len)
            .map(|_| char::from(b' ' + (self.below(95) as u8)))
            .collect::<String>()
            .trim()
            .to_owned()
    }
}

/// Scenario: 400 requests with random methods, paths, media types, codings and bodies
/// (random bytes, valid and truncated gzip, bodies over the 2 KiB limit), then 100 raw
/// connections writing random bytes instead of HTTP; the pipelines accept everything.
/// Guarantees: every answer is 2xx or 4xx (never 5xx: the pipeline refused nothing), the
/// receiver keeps answering, and it still delivers a valid request afterwards.
#[tokio::test]
async fn random_requests_get_2xx_or_4xx() -> TestResult {
    let running = start(r#"{"max_request_body_size": 2048}"#, &SIGNALS).await?;
    let mut random = Random(0x5eed_0f07_17c0);
    let methods = [
        Method::POST,
        Method::POST,
        Method::POST,
        Method::GET,
        Method::PUT,
    ];
    let paths = [
        "/v1/traces",
        "/v1/metrics",
        "/v1/logs",
        "/",
        "/v1/traces?x=1",
        "/v2/logs",
    ];
    let media = [
        PROTOBUF,
        "application/json",
        "text/plain",
        "application/x-protobuf;x=",
        "",
    ];
    let codings = ["", "", "gzip", "gzip", "GZIP", "deflate", "x"];
    for case in 0..400 {
        let mut body = random.bytes(3000);
        let coding = *random.pick(&codings);
        if coding.eq_ignore_ascii_case("gzip") && random.below(3) > 0 {
            body = gzip(&body);
            if random.below(2) == 0 {
                body.truncate(random.below(body.len() + 1));
            }
        }
        let mut call = Call {
            method: random.pick(&methods).clone(),
            path: (*random.pick(&paths)).to_owned(),
            headers: Vec::new(),
            body,
        };
        let content_type = if random.below(5) == 0 {
            random.text(30)
        } else {
            (*random.pick(&media)).to_owned()
        };
        if !content_type.is_empty() {
            call = call.header("content-type", &content_type);
        }
        if !coding.is_empty() {
            call = call.header("content-encoding", coding);
        }
        if random.below(4) == 0 {
            call = call.header("content-encoding", &random.text(10));
        }
        let reply = running
            .call(call)
            .await
            .map_err(|err| format!("case {case}: {err}"))?;
        assert!(
            reply.status.is_success() || reply.status.is_client_error(),
            "case {case}: {reply:?}"
        );
    }
    let addr = running.addr;
    let raw_answers = tokio::task::spawn_blocking(move || raw_garbage(addr, &mut random, 100));
    for (case, answer) in raw_answers.await??.into_iter().enumerate() {
        // A reset or a close without an answer is a fine end too; an answer must not be a
        // server error.
        if answer.starts_with(b"HTTP/1.1 ") {
            assert_ne!(
                answer.get(9),
                Some(&b'5'),
                "raw case {case}: {:?}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
    let before = running.received().len();
    let reply = running
        .call(Call::protobuf(Signal::Traces, request(Signal::Traces, 2)))
        .await?;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(running.received().len(), before + 1);
    running.shutdown().await
}

/// Opens `count` connections to `addr`, writes random bytes on each (half of them after a
/// plausible request line), ends the sending side so the server cannot wait for more, and
/// answers what each connection read back. Blocking: run it off the runtime.
fn raw_garbage(
    addr: SocketAddr,
    random: &mut Random,
    count: usize,
) -> Result<Vec<Vec<u8>>, BoxError> {
    use std::io::Read;
    let mut answers = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(WAIT))?;
        let mut garbage = random.bytes(600);
        if random.below(2) == 0 {
            let mut start = b"POST /v1/traces HTTP/1.1\r\n".to_vec();
            start.append(&mut garbage);
            garbage = start;
        }
        // The server may close on the first bad byte: a failed write is an answer too.
        let _ = stream.write_all(&garbage);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut answer = Vec::new();
        match stream.read_to_end(&mut answer) {
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(err) => return Err(err.into()),
        }
        answers.push(answer);
    }
    Ok(answers)
}
