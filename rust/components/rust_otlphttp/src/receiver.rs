//! The `rust_otlphttp` receiver: an OTLP/HTTP server (hyper, HTTP/1.1) that hands each
//! request's body, undecoded, to the pipeline of its signal and answers with the pipeline's
//! outcome, as the collector's Go `otlpreceiver` (v0.164.0) does over HTTP.
//!
//! The body is passed through: protobuf or OTLP/JSON, exactly as the client sent it (inflated
//! when gzipped). The collector decodes it with pdata, as `otlpreceiver` does, and counts it
//! with receiverhelper (`transport` `http`, `format` `protobuf` or `json`).
//!
//! # Configuration
//!
//! ```yaml
//! receivers:
//!   rust_otlphttp:
//!     endpoint: 0.0.0.0:4318          # default localhost:4318
//!     max_request_body_size: 4194304  # bytes; default 20 MiB
//!     max_concurrent_requests: 64     # default 128
//!
//! service:
//!   pipelines:
//!     traces:
//!       receivers: [rust_otlphttp]
//!       exporters: [otlp]
//! ```
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `endpoint` | `localhost:4318` | `host:port` to listen on; `:4318` listens on every IPv4 interface, port `0` on a free port (logged) |
//! | `traces_url_path` | `/v1/traces` | path of trace requests (a leading `/` is added if missing) |
//! | `metrics_url_path` | `/v1/metrics` | path of metric requests |
//! | `logs_url_path` | `/v1/logs` | path of log requests |
//! | `max_request_body_size` | `20971520` (20 MiB) | largest body in bytes, on the wire and once inflated; larger: 413 |
//! | `max_concurrent_requests` | `128` | requests read and delivered at once; more: 429 with `Retry-After: 1` at once |
//! | `retry_after` | `1s` | `Retry-After` of a 503 when the pipeline gives no wait (whole seconds, rounded up) |
//!
//! The three paths must differ. A path of a signal that has no pipeline is answered 404.
//!
//! # Answers
//!
//! | request | answer |
//! | --- | --- |
//! | accepted by the pipeline | 200, the empty export response Go answers, in the request's encoding (`0a 00` in protobuf, `{"partialSuccess":{}}` in JSON) |
//! | `Content-Encoding` other than none or `gzip` | 400, status `unsupported Content-Encoding: <value>` (before routing, as confighttp) |
//! | path of no signal with a pipeline | 404 `404 page not found` (text) |
//! | method other than POST | 405 `405 method not allowed, supported: [POST]` (text) |
//! | `Content-Type` not `application/x-protobuf` nor `application/json` | 415 (text) |
//! | `max_concurrent_requests` requests already in progress | 429, `Retry-After: 1`, status ResourceExhausted |
//! | body past `max_request_body_size` (declared, sent or inflated) | 413, status InvalidArgument |
//! | corrupt or truncated gzip, unreadable body | 400, status InvalidArgument |
//! | pipeline: retryable (memory_limiter, full queue, shutting down) | 503, `Retry-After` (the pipeline's wait, else `retry_after`), status Unavailable |
//! | pipeline: permanent | 500, status Internal |
//! | pipeline: the bytes do not decode (pdata) | 400, status InvalidArgument |
//!
//! A status is a `google.rpc.Status` (code, message) in the request's encoding; when the
//! request names neither protobuf nor JSON, in JSON (as Go's `errorHandler`).
//!
//! Where this differs from Go's `otlpreceiver`:
//! - A body past the limit is 413; Go answers 400 (`http: request body too large`). The
//!   status in the body is InvalidArgument in both.
//! - A 503 always carries `Retry-After`; Go sends one only when the error carries gRPC
//!   `RetryInfo`, which collector components rarely attach.
//! - Go has no bound on concurrent requests; here one more than `max_concurrent_requests`
//!   is 429 without reading its body.
//! - Only gzip is read. Go's confighttp also reads zstd, zlib, deflate, snappy and lz4; those
//!   are 400 here. `gzip` is matched without regard to case (Go: exactly `gzip`).
//! - No TLS, CORS, auth, `include_metadata` or HTTP/2 (h2c); the gRPC side of `otlp` is not
//!   here. Those keys are refused as unknown.
//! - The router matches the path exactly; Go's `ServeMux` also redirects unclean paths
//!   (`//v1/traces`) with 301.
//!
//! # Limits and shutdown
//!
//! At most `max_concurrent_requests` bodies of at most `max_request_body_size` bytes are held
//! at once; nothing else queues. A gzip body is inflated as it arrives into a buffer that
//! never grows past the limit: a gzip bomb is cut there. A client has 60 s to send a request's
//! headers (confighttp's `ReadHeaderTimeout`); that also closes keep-alive connections idle
//! for as long.
//!
//! Shutdown closes the port at once, lets each request in flight finish (its delivery
//! awaited, answered with `Connection: close`), closes idle connections, and returns once all
//! are done, or shortly before the collector's deadline, closing the connections still open
//! then (their clients see the connection end without an answer and retry).

mod answer;
mod body;
mod config;
mod handler;
#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use otelcol_rust_sdk::tracing::{debug, error, info, warn};
use otelcol_rust_sdk::{
    Consumers, CreateSettings, Error, Host, LifecycleContext, Receiver, Signal, in_current_scope,
    panic_message,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinError, JoinSet};

pub use config::{
    DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_REQUEST_BODY_SIZE, DEFAULT_RECEIVER_ENDPOINT,
    DEFAULT_RETRY_AFTER, OtlpHttpReceiverConfig,
};
use handler::Handler;

/// How long a client may take to send a request's headers, as confighttp's
/// `ReadHeaderTimeout` (1 minute). It also ends a keep-alive connection that sends nothing.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// How long shutdown waits for requests in flight when the collector gives no deadline (the
/// Go side always gives one: rustcomponent's 30 s default).
const SHUTDOWN_WITHOUT_DEADLINE: Duration = Duration::from_secs(30);

/// The part of the shutdown deadline kept back to close what is left and answer in time.
const SHUTDOWN_MARGIN: Duration = Duration::from_millis(100);

/// How long the server waits after a failed accept (out of file descriptors, say) before
/// accepting again, so it does not spin; Go's `http.Server` backs off likewise.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

/// A `rust_otlphttp` receiver instance.
pub struct OtlpHttpReceiver {
    config: OtlpHttpReceiverConfig,
    server: Option<Server>,
}

/// A started server.
struct Server {
    addr: SocketAddr,
    /// Tells the accept loop to stop (sent, or dropped with the receiver).
    stop: oneshot::Sender<()>,
    /// Resolves once the server task has ended, finished or aborted (it holds the sender).
    ended: oneshot::Receiver<()>,
    task: AbortHandle,
}

impl OtlpHttpReceiver {
    pub(crate) fn new(
        _settings: &CreateSettings,
        config: OtlpHttpReceiverConfig,
    ) -> Result<Self, Error> {
        Ok(Self {
            config,
            server: None,
        })
    }

    /// The address the receiver listens on, once started: the configured endpoint with its
    /// port chosen when it was 0.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(|server| server.addr)
    }
}

impl Receiver for OtlpHttpReceiver {
    async fn start(
        &mut self,
        _ctx: &LifecycleContext,
        host: &Host,
        consumers: Consumers,
    ) -> Result<(), Error> {
        if self.server.is_some() {
            return Err(Error::lifecycle("rust_otlphttp receiver already started"));
        }
        let mut routes = Vec::with_capacity(SIGNALS.len());
        for signal in SIGNALS {
            if let Some(consumer) = consumers.get(signal) {
                let path = self.config.url_path(signal).map_err(|problem| {
                    Error::invalid_field(OtlpHttpReceiverConfig::url_path_key(signal), problem)
                })?;
                routes.push((path, consumer.clone()));
            }
        }
        let (host_name, port) = self
            .config
            .listen_address()
            .map_err(|problem| Error::invalid_field("endpoint", problem))?;
        // An empty host listens on every interface, as Go's net.Listen does.
        let host_name = if host_name.is_empty() {
            "0.0.0.0"
        } else {
            host_name
        };
        let listener = TcpListener::bind((host_name, port)).await.map_err(|err| {
            Error::lifecycle(format!(
                "cannot listen on {:?}: {err}",
                self.config.endpoint
            ))
        })?;
        let addr = listener
            .local_addr()
            .map_err(|err| Error::lifecycle(format!("cannot read the listening address: {err}")))?;
        let handler = Arc::new(Handler::new(
            routes,
            self.config.body_limit(),
            self.config.max_concurrent_requests,
            self.config.retry_after,
        ));
        let (stop, stopped) = oneshot::channel();
        let (ended_sender, ended) = oneshot::channel();
        let task = host.spawn(async move {
            // Dropped when the task ends or is aborted: `ended` resolves either way.
            let _ended = ended_sender;
            serve(listener, handler, stopped).await;
        });
        info!(endpoint = %addr, "listening for OTLP/HTTP");
        self.server = Some(Server {
            addr,
            stop,
            ended,
            task,
        });
        Ok(())
    }

    /// Stops accepting at once (the port is closed), lets requests in flight finish (their
    /// deliveries awaited) until shortly before the deadline, then closes the connections
    /// still open: their clients see the connection reset and retry.
    async fn shutdown(&mut self, ctx: &LifecycleContext) -> Result<(), Error> {
        let Some(server) = self.server.take() else {
            return Ok(());
        };
        let _ = server.stop.send(());
        let wait = ctx
            .remaining()
            .unwrap_or(SHUTDOWN_WITHOUT_DEADLINE)
            .saturating_sub(SHUTDOWN_MARGIN);
        let started = Instant::now();
        if tokio::time::timeout(wait, server.ended).await.is_err() {
            warn!(
                waited = ?started.elapsed(),
                "requests still in flight at the shutdown deadline: their connections are closed"
            );
            server.task.abort();
        }
        Ok(())
    }
}

/// Accepts connections until `stop`, then closes the port, tells every connection to finish
/// the request it is serving and close, and returns once all have ended. Dropping this future
/// (the task aborted) drops every connection with it.
async fn serve(listener: TcpListener, handler: Arc<Handler>, mut stop: oneshot::Receiver<()>) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let connection = connection(stream, Arc::clone(&handler), &graceful);
                    connections.spawn(in_current_scope(async move {
                        if let Err(err) = connection.await {
                            debug!(%peer, error = %err, "connection ended with an error");
                        }
                    }));
                }
                Err(err) => {
                    warn!(error = %err, "cannot accept a connection");
                    tokio::select! {
                        _ = &mut stop => break,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    }
                }
            },
        }
        // Forget the connections that ended.
        while let Some(ended) = connections.try_join_next() {
            log_panic(ended);
        }
    }
    drop(listener);
    debug!(
        connections = connections.len(),
        "stopped accepting; waiting for requests in flight"
    );
    // Idle connections close now; busy ones after their answer (with `Connection: close`).
    graceful.shutdown().await;
    while let Some(ended) = connections.join_next().await {
        log_panic(ended);
    }
}

/// Logs a connection task that panicked (a bug: the handler answers everything). Only its
/// connection is lost; the server goes on.
fn log_panic(ended: Result<(), JoinError>) {
    if let Err(err) = ended
        && err.is_panic()
    {
        let message = panic_message(err.into_panic().as_ref());
        error!(panic = %message, "a connection's task panicked: its connection was closed");
    }
}

/// Serves one connection (HTTP/1.1, keep-alive), watched for graceful shutdown.
fn connection(
    stream: TcpStream,
    handler: Arc<Handler>,
    graceful: &GracefulShutdown,
) -> impl Future<Output = Result<(), hyper::Error>> + Send + use<> {
    // Answers are small and written at once: do not let Nagle hold them.
    let _ = stream.set_nodelay(true);
    let service = service_fn(move |request| {
        let handler = Arc::clone(&handler);
        async move { Ok::<_, Infallible>(handler.handle(request).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    graceful.watch(connection)
}
