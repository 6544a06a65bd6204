//! A `rust_otlphttp` instance: one HTTP client with a keep-alive connection pool, shared by
//! every export of the instance (they run on several threads at once).

use std::io::Write;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use otelcol_rust_sdk::tracing::debug;
use otelcol_rust_sdk::{
    Batch, BuildInfo, ConfigProblems, Counter, CreateSettings, Error, ExportContext, ExportOutcome,
    Exporter, Host, KeyValue, LifecycleContext, Signal,
};

use crate::config::{Compression, OtlpHttpConfig};
use crate::response::{self, PROTOBUF};

/// The client every export of an instance shares. Bodies are owned (`Full<Bytes>`): hyper
/// writes them from the connection's task, which outlives the borrowed batch.
type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// How long an idle pooled connection is kept: Go's `http.Transport` default, which the Go
/// `otlphttp` exporter uses.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// The bound on one request (connect, send, answer) when the export has no deadline
/// (exporterhelper's `timeout: 0`): the Go `otlphttp` exporter's HTTP client timeout. Without
/// it a destination that accepts and never answers would hold the export, its collector
/// thread and queue consumer, and the collector's shutdown, for ever.
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The most a TCP connect may take, as Go's default dialer: bounds connecting even when the
/// export's own deadline is longer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The component and this crate's version, in every `User-Agent`.
const COMPONENT_AGENT: &str = concat!("rust_otlphttp/", env!("CARGO_PKG_VERSION"));

/// A `rust_otlphttp` exporter instance: sends each batch as one OTLP/HTTP protobuf request to
/// its signal's URL and maps the answer to an [`ExportOutcome`].
pub struct OtlpHttpExporter {
    /// `None` once shut down: dropping it closes the pooled connections.
    client: Option<HttpClient>,
    urls: SignalUrls,
    /// Every request's headers: the exporter's, then the user's.
    headers: HeaderMap,
    compression: Compression,
    /// Whether the user's headers name a `User-Agent` (then `start` leaves it).
    custom_user_agent: bool,
    telemetry: Telemetry,
}

/// Where each signal goes.
struct SignalUrls {
    traces: Uri,
    metrics: Uri,
    logs: Uri,
}

impl SignalUrls {
    fn get(&self, signal: Signal) -> &Uri {
        match signal {
            Signal::Traces => &self.traces,
            Signal::Metrics => &self.metrics,
            Signal::Logs => &self.logs,
        }
    }
}

impl OtlpHttpExporter {
    /// An instance for a validated `config`, its instruments declared on `settings.meter`.
    /// Needs no runtime: the client spawns its connection tasks when it first sends.
    pub(crate) fn new(settings: &CreateSettings, config: &OtlpHttpConfig) -> Result<Self, Error> {
        let url = |signal| {
            config
                .signal_url(signal)
                .map_err(|(key, problem)| Error::invalid_field(key, problem))
        };
        let urls = SignalUrls {
            traces: url(Signal::Traces)?,
            metrics: url(Signal::Metrics)?,
            logs: url(Signal::Logs)?,
        };
        let mut problems = ConfigProblems::new();
        let user_headers = config.request_headers(&mut problems);
        problems.into_result()?;

        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROTOBUF));
        if config.compression == Compression::Gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        headers.insert(USER_AGENT, user_agent(None));
        let custom_user_agent = user_headers.iter().any(|(name, _)| name == USER_AGENT);
        for (name, value) in user_headers {
            headers.insert(name, value);
        }

        let mut connector = HttpConnector::new();
        // Requests are written in one go and answered at once: do not let Nagle hold them.
        connector.set_nodelay(true);
        // A black-holed address (SYNs dropped) otherwise waits on the kernel's retries.
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(IDLE_TIMEOUT)
            // The timer makes the pool drop idle connections in the background, not only when
            // it next looks at them.
            .pool_timer(TokioTimer::new())
            .build(connector);

        Ok(Self {
            client: Some(client),
            urls,
            headers,
            compression: config.compression,
            custom_user_agent,
            telemetry: Telemetry::declare(settings),
        })
    }

    /// The request body: the batch gzipped straight from the borrowed bytes, or copied once.
    fn body(&self, bytes: &[u8]) -> std::io::Result<Bytes> {
        match self.compression {
            Compression::Gzip => {
                // OTLP batches shrink several times: a quarter of the input spares most of
                // the buffer's regrowth.
                let buffer = Vec::with_capacity(bytes.len() / 4 + 64);
                let mut encoder = GzEncoder::new(buffer, flate2::Compression::default());
                encoder.write_all(bytes)?;
                Ok(Bytes::from(encoder.finish()?))
            }
            Compression::None => Ok(Bytes::copy_from_slice(bytes)),
        }
    }
}

/// `rust_otlphttp/<version>`, after the collector's build (`<description>/<version>
/// (<os>/<arch>)`, as Go's `otlphttp` writes its own) when there is one.
fn user_agent(build: Option<&BuildInfo>) -> HeaderValue {
    let Some(build) = build.filter(|build| !build.description.is_empty()) else {
        return HeaderValue::from_static(COMPONENT_AGENT);
    };
    let text = format!(
        "{}/{} ({}/{}) {COMPONENT_AGENT}",
        build.description,
        build.version,
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    // A description a header cannot carry leaves the component alone.
    HeaderValue::try_from(text).unwrap_or(HeaderValue::from_static(COMPONENT_AGENT))
}

impl Exporter for OtlpHttpExporter {
    async fn start(&mut self, _ctx: &LifecycleContext, host: &Host) -> Result<(), Error> {
        if !self.custom_user_agent {
            self.headers
                .insert(USER_AGENT, user_agent(Some(&host.build)));
        }
        debug!(
            traces = %self.urls.traces,
            metrics = %self.urls.metrics,
            logs = %self.urls.logs,
            compression = %self.compression,
            "exporting over OTLP/HTTP"
        );
        Ok(())
    }

    async fn export(&self, batch: Batch<'_>, ctx: &ExportContext) -> ExportOutcome {
        // The host drops the export at its deadline; bounding the request by it too ends it
        // here, counted and with this exporter's reason. Without a deadline (`timeout: 0`)
        // nothing else would end a request that is never answered.
        self.send(batch, request_bound(ctx)).await
    }

    async fn shutdown(&mut self, _ctx: &LifecycleContext) -> Result<(), Error> {
        // Idle pooled connections close with the client (their tasks end when it is dropped).
        self.client = None;
        Ok(())
    }
}

impl OtlpHttpExporter {
    /// Sends `batch` and reads the answer, all within `bound` (the rest of the body is not
    /// waited for past it: see [`response::outcome`]).
    pub(crate) async fn send(&self, batch: Batch<'_>, bound: Duration) -> ExportOutcome {
        // The host never exports after shutdown; this answers if that ever changed.
        let Some(client) = &self.client else {
            return ExportOutcome::permanent("rust_otlphttp is shut down");
        };
        let signal = batch.signal();
        let uri = self.urls.get(signal);
        let body = match self.body(batch.bytes()) {
            Ok(body) => body,
            // Writing into memory does not fail; if it did, so would every retry.
            Err(err) => {
                return ExportOutcome::permanent(format!("cannot compress the batch: {err}"));
            }
        };
        let size = body.len();
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri.clone();
        *request.headers_mut() = self.headers.clone();

        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + bound;
        let outcome = match tokio::time::timeout_at(deadline, client.request(request)).await {
            Ok(Ok(answer)) => {
                self.telemetry.sent(signal, size);
                response::outcome(signal, uri, answer, deadline).await
            }
            // Refused, reset or closed connections: the destination may be back soon.
            Ok(Err(err)) => {
                ExportOutcome::retryable(format!("cannot send to {uri}: {}", chain(&err)))
            }
            // Dropping the request closes its connection: it is not reused half-answered.
            Err(_) => ExportOutcome::retryable(format!(
                "cannot send to {uri}: no answer, timed out after {:?}",
                whole_millis(bound)
            )),
        };
        self.telemetry.answered(signal, &outcome);
        debug!(
            %signal,
            items = batch.items(),
            bytes = size,
            elapsed = ?started.elapsed(),
            ?outcome,
            "export"
        );
        outcome
    }
}

/// How long a request of the export with `ctx` may take: what is left of its deadline, or
/// [`DEFAULT_REQUEST_TIMEOUT`] without one.
pub(crate) fn request_bound(ctx: &ExportContext) -> Duration {
    ctx.remaining().unwrap_or(DEFAULT_REQUEST_TIMEOUT)
}

/// `duration` to the millisecond, so a deadline's remainder reads `4.999s`, not
/// `4.999873512s`.
fn whole_millis(duration: Duration) -> Duration {
    Duration::from_millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

/// `err` and its sources, each once: hyper's own message ("client error (Connect)") says
/// little without them.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The instance's instruments, one handle per series so an export costs atomic adds only.
struct Telemetry {
    /// `rust_otlphttp_requests`, by signal then by outcome (see [`outcome_index`]).
    requests: [[Counter; 4]; 3],
    /// `rust_otlphttp_bytes_sent`, by signal.
    bytes_sent: [Counter; 3],
}

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];
const OUTCOMES: [&str; 4] = ["ok", "partial", "retryable", "permanent"];

fn signal_index(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    }
}

fn outcome_index(outcome: &ExportOutcome) -> usize {
    match outcome {
        ExportOutcome::Ok => 0,
        ExportOutcome::Partial { .. } => 1,
        ExportOutcome::Retryable { .. } => 2,
        ExportOutcome::Permanent { .. } => 3,
    }
}

impl Telemetry {
    fn declare(settings: &CreateSettings) -> Self {
        let requests = settings
            .meter
            .counter("rust_otlphttp_requests")
            .description("Export requests that ended, by signal and outcome (ok, partial, retryable, permanent)")
            .unit("{request}")
            .build();
        let bytes_sent = settings
            .meter
            .counter("rust_otlphttp_bytes_sent")
            .description("Request body bytes sent (compressed when compression is on), by signal")
            .unit("By")
            .build();
        Self {
            requests: SIGNALS.map(|signal| {
                OUTCOMES.map(|outcome| {
                    requests.with_attributes(&[
                        KeyValue::new("signal", signal.as_str()),
                        KeyValue::new("outcome", outcome),
                    ])
                })
            }),
            bytes_sent: SIGNALS.map(|signal| {
                bytes_sent.with_attributes(&[KeyValue::new("signal", signal.as_str())])
            }),
        }
    }

    fn sent(&self, signal: Signal, bytes: usize) {
        self.bytes_sent[signal_index(signal)].add(u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    fn answered(&self, signal: Signal, outcome: &ExportOutcome) {
        self.requests[signal_index(signal)][outcome_index(outcome)].add(1);
    }
}
