//! The `rust_sample` extension: an HTTP status endpoint with a bounded shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use otelcol_rust_sdk::tracing::debug;
use otelcol_rust_sdk::{
    ComponentId, Counter, CreateSettings, Error, Extension, Host, KeyValue, LifecycleContext,
};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{AbortHandle, JoinSet};

use crate::SampleConfig;

/// A `rust_sample` instance.
pub struct SampleExtension {
    id: ComponentId,
    config: SampleConfig,
    requests: Requests,
    server: Option<RunningServer>,
}

/// The `rust_sample_requests` series, one per status code the server answers, made once so a
/// request costs one atomic add.
#[derive(Clone)]
struct Requests {
    ok: Counter,
    not_found: Counter,
    method_not_allowed: Counter,
}

impl Requests {
    fn declare(settings: &CreateSettings) -> Self {
        let requests = settings
            .meter
            .counter("rust_sample_requests")
            .description("Requests the status endpoint answered, by HTTP status code")
            .unit("{request}")
            .build();
        let code = |code: StatusCode| {
            requests.with_attributes(&[KeyValue::new("http.response.status_code", code.as_u16())])
        };
        Self {
            ok: code(StatusCode::OK),
            not_found: code(StatusCode::NOT_FOUND),
            method_not_allowed: code(StatusCode::METHOD_NOT_ALLOWED),
        }
    }

    fn count(&self, code: StatusCode) {
        match code {
            StatusCode::OK => self.ok.add(1),
            StatusCode::NOT_FOUND => self.not_found.add(1),
            _ => self.method_not_allowed.add(1),
        }
    }
}

struct RunningServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    /// The serve task, spawned with `Host::spawn` (which hands out no join handle).
    task: AbortHandle,
    /// Resolves (with an error: nothing is ever sent) once the serve task is over, finished or
    /// aborted: its sender lives in the task and is dropped after the listener and connections.
    ended: oneshot::Receiver<Infallible>,
}

impl Drop for RunningServer {
    /// A shutdown cut off by the host's deadline drops this mid-wait: the server task (and with
    /// it every connection task it owns) must not outlive it.
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What `GET /` reports; shared by every connection of one instance.
struct Status {
    component_id: String,
    host_version: String,
    started: Instant,
    requests: Requests,
}

impl SampleExtension {
    pub(crate) fn new(settings: &CreateSettings, config: SampleConfig) -> Self {
        Self {
            id: settings.id.clone(),
            config,
            requests: Requests::declare(settings),
            server: None,
        }
    }

    /// The address the endpoint is bound to, while it runs.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().map(|server| server.local_addr)
    }
}

impl Extension for SampleExtension {
    async fn start(&mut self, _ctx: &LifecycleContext, host: &Host) -> Result<(), Error> {
        if !self.config.enabled {
            return Ok(());
        }
        let listener = TcpListener::bind(&self.config.endpoint)
            .await
            .map_err(|err| {
                Error::lifecycle(format!(
                    "cannot listen on {:?}: {err}",
                    self.config.endpoint
                ))
            })?;
        let local_addr = listener
            .local_addr()
            .map_err(|err| Error::lifecycle(format!("listener has no address: {err}")))?;
        let status = Arc::new(Status {
            component_id: self.id.to_string(),
            host_version: host.build.version.clone(),
            started: Instant::now(),
            requests: self.requests.clone(),
        });
        let (stop, stopped) = oneshot::channel();
        let (ended_tx, ended) = oneshot::channel();
        // Host::spawn, not tokio::spawn: a panic in the server (or a connection) becomes this
        // component's fatal error instead of a silently dead endpoint.
        let task = host.spawn(async move {
            // Declared before the server's future, so dropped after it: `ended` resolves only
            // once the listener and the connections are gone, also when the task is aborted.
            let _ended_tx = ended_tx;
            serve(listener, status, stopped).await;
        });
        self.server = Some(RunningServer {
            local_addr,
            stop: Some(stop),
            task,
            ended,
        });
        Ok(())
    }

    async fn shutdown(&mut self, _ctx: &LifecycleContext) -> Result<(), Error> {
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        // The serve loop drops the listener as soon as it sees this, so the port is free
        // before open connections have drained.
        if let Some(stop) = server.stop.take() {
            let _ = stop.send(());
        }
        let grace = Duration::from_millis(self.config.timeout_ms);
        if tokio::time::timeout(grace, &mut server.ended)
            .await
            .is_err()
        {
            server.task.abort();
            let _ = (&mut server.ended).await;
        }
        Ok(())
    }
}

/// Accepts connections until `stopped` fires, then drains them. Connection tasks live in a
/// `JoinSet` owned by this task, so aborting it aborts them too.
async fn serve(listener: TcpListener, status: Arc<Status>, mut stopped: oneshot::Receiver<()>) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                // A failed accept (e.g. out of file descriptors) affects one connection only.
                let Ok((stream, _)) = accepted else { continue };
                let status = Arc::clone(&status);
                let service = hyper::service::service_fn(move |request| {
                    let status = Arc::clone(&status);
                    async move { Ok::<_, Infallible>(respond(&status, &request)) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                // A JoinSet task starts outside this component's scope: carry it over, so
                // what a request logs reaches this instance's logger.
                connections.spawn(otelcol_rust_sdk::in_current_scope(graceful.watch(connection)));
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
}

fn respond(status: &Status, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    let (code, body) = match (request.method(), request.uri().path()) {
        (&Method::GET, "/") => (
            StatusCode::OK,
            serde_json::json!({
                "component_id": status.component_id,
                "host_version": status.host_version,
                "uptime_seconds": status.started.elapsed().as_secs_f64(),
            }),
        ),
        (_, "/") => (
            StatusCode::METHOD_NOT_ALLOWED,
            serde_json::json!({"error": "only GET is supported"}),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            serde_json::json!({"error": "not found"}),
        ),
    };
    status.requests.count(code);
    debug!(
        method = %request.method(),
        path = request.uri().path(),
        status = code.as_u16(),
        "request"
    );
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = code;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use otelcol_rust_sdk::BuildInfo;
    use otelcol_rust_sdk::testing::TestHost;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;
    use crate::SampleFactory;

    fn context() -> LifecycleContext {
        LifecycleContext {
            id: ComponentId {
                kind: "rust_sample".to_owned(),
                name: "t".to_owned(),
            },
            deadline: None,
        }
    }

    fn host() -> Host {
        Host {
            build: BuildInfo {
                version: "9.9.9".to_owned(),
                ..BuildInfo::default()
            },
            ..Host::default()
        }
    }

    fn extension(endpoint: &str) -> SampleExtension {
        SampleExtension::new(
            &CreateSettings::new(context().id),
            SampleConfig {
                endpoint: endpoint.to_owned(),
                timeout_ms: 1000,
                ..SampleConfig::default()
            },
        )
    }

    async fn get(addr: SocketAddr, path: &str) -> String {
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("writes");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("reads");
        response
    }

    /// Scenario: what the collector does with one instance, through the SDK's test host: the
    /// user's keys over the defaults, create, start, query, shut down.
    /// Guarantees: `GET /` reports id and host version; nothing reports a status; shutdown
    /// itself stops the server task (the collector's abort is not needed) and frees the port.
    #[tokio::test]
    async fn serves_status_and_frees_port_on_shutdown() -> Result<(), Box<dyn std::error::Error>> {
        let host = TestHost::new("rust_sample/t").with_build(BuildInfo {
            version: "9.9.9".to_owned(),
            ..BuildInfo::default()
        });
        let mut sample = host.create(&SampleFactory, r#"{"endpoint":"127.0.0.1:0"}"#)?;
        host.start(&mut sample).await?;
        let addr = sample.local_addr().ok_or("not listening")?;
        assert_eq!(host.running_tasks(), 1, "the server runs under Host::spawn");

        let response = get(addr, "/").await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response.contains(r#""component_id":"rust_sample/t""#),
            "{response}"
        );
        assert!(response.contains(r#""host_version":"9.9.9""#), "{response}");
        assert!(get(addr, "/nope").await.starts_with("HTTP/1.1 404"));

        host.shutdown(&mut sample).await?;
        assert!(sample.local_addr().is_none());
        host.wait_tasks_ended(Duration::from_secs(5)).await?;
        TcpListener::bind(addr).await?;
        assert_eq!(host.statuses(), []);
        Ok(())
    }

    /// Guarantees: a busy port fails start with the endpoint in the message.
    #[tokio::test]
    async fn busy_port_fails_start() {
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let endpoint = taken.local_addr().expect("addr").to_string();
        let mut ext = extension(&endpoint);
        let err = ext.start(&context(), &host()).await.expect_err("port busy");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("cannot listen on {endpoint:?}")),
            "{text}"
        );
    }

    /// A started extension with a connection that sent half a request, which keeps its handler
    /// busy until shutdown deals with it. Returns once the server is serving that connection.
    async fn started_with_stalled_connection(timeout_ms: u64) -> (SampleExtension, TcpStream) {
        let mut ext = extension("127.0.0.1:0");
        ext.config.timeout_ms = timeout_ms;
        ext.start(&context(), &host()).await.expect("starts");
        let addr = ext.local_addr().expect("listening");
        let mut stalled = TcpStream::connect(addr).await.expect("connects");
        stalled
            .write_all(b"GET / HTTP/1.1\r\n")
            .await
            .expect("writes");
        // The serve loop takes connections in the kernel's (FIFO) accept order and puts each
        // under the graceful watch before it accepts the next, so an answer on a connection
        // opened after the stalled one proves the stalled one is being served. Without this, a
        // shutdown could come first and find it still in the accept queue.
        let answer = get(addr, "/").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        (ext, stalled)
    }

    /// Reads until the peer closes; fails if that takes longer than `within`.
    async fn closed_within(stream: &mut TcpStream, within: Duration) {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(within, stream.read_to_end(&mut rest));
        assert!(closed.await.is_ok(), "the connection was left open");
    }

    /// Scenario: a connection is mid-request when shutdown begins.
    /// Guarantees: shutdown drains gracefully, waiting for that connection up to `timeout_ms`,
    /// then stops it and returns: it takes at least `timeout_ms` and not much longer, and the
    /// connection is closed once it returns.
    #[tokio::test]
    async fn shutdown_is_bounded_by_timeout() {
        let timeout = Duration::from_millis(300);
        let (mut ext, mut stalled) = started_with_stalled_connection(300).await;

        let ctx = context();
        let began = Instant::now();
        // The slack is for a loaded machine; an unbounded drain would wait for the client.
        let slack = Duration::from_secs(1);
        let stopped = tokio::time::timeout(timeout + slack, ext.shutdown(&ctx)).await;
        let took = began.elapsed();
        assert!(
            matches!(stopped, Ok(Ok(()))),
            "shutdown: {stopped:?} after {took:?} (Elapsed: still running; its bound is {timeout:?})"
        );
        assert!(
            took >= timeout,
            "shutdown returned after {took:?}, without waiting {timeout:?} for the open request"
        );
        closed_within(&mut stalled, Duration::from_secs(2)).await;
    }

    /// Scenario: the host's deadline cuts shutdown off long before `timeout_ms`.
    /// Guarantees: the server and its connections are stopped anyway, none outlives it.
    #[tokio::test]
    async fn cut_off_shutdown_still_stops_connections() {
        let (mut ext, mut stalled) = started_with_stalled_connection(60_000).await;

        let ctx = context();
        let cut_off = tokio::time::timeout(Duration::from_millis(100), ext.shutdown(&ctx));
        assert!(cut_off.await.is_err(), "shutdown should still be draining");
        closed_within(&mut stalled, Duration::from_secs(2)).await;
    }

    /// Scenario: the host aborts what the instance spawned, as the library does once an
    /// instance is shut down.
    /// Guarantees: the server runs under `Host::spawn` (so a panic in it reaches the collector
    /// as a fatal error), and aborting it stops the server and frees the port.
    #[tokio::test]
    async fn server_runs_under_host_spawn() {
        let host = host();
        let mut ext = extension("127.0.0.1:0");
        ext.start(&context(), &host).await.expect("starts");
        let addr = ext.local_addr().expect("listening");

        host.tasks.abort_all().await;
        let server = ext.server.as_mut().expect("started");
        let ended = tokio::time::timeout(Duration::from_secs(2), &mut server.ended);
        assert!(ended.await.is_ok(), "the host could not stop the server");
        TcpListener::bind(addr).await.expect("port is free again");
    }

    /// Guarantees: disabled means no port and a no-op lifecycle; shutdown without start is fine.
    #[tokio::test]
    async fn disabled_and_unstarted_are_no_ops() {
        let mut ext = extension("127.0.0.1:0");
        ext.shutdown(&context())
            .await
            .expect("shutdown without start");
        ext.config.enabled = false;
        ext.start(&context(), &host()).await.expect("starts");
        assert!(ext.local_addr().is_none());
        ext.shutdown(&context()).await.expect("stops");
    }
}
