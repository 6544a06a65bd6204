//! A real OTLP/HTTP destination for the tests: hyper's HTTP/1 server on a loopback port. It
//! records every request (headers, the body as sent and decoded per `Content-Encoding`) and
//! answers as the test says.

use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flate2::read::GzDecoder;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::response::PROTOBUF;

/// How long a test waits for what takes milliseconds.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// One request the server received.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    /// The body as it came over the wire.
    pub(crate) raw: Vec<u8>,
    /// The body decoded per its `Content-Encoding` (gzip or none): the OTLP request bytes.
    pub(crate) body: Vec<u8>,
}

impl Received {
    /// The value of header `name`, if it is text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// What the server answers to a request.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Vec<u8>,
}

impl Reply {
    /// An answer with `status` and no body.
    pub(crate) fn status(status: StatusCode) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A full success as an OTLP receiver answers it: 200 and an export response. Its
    /// `partial_success` is present but empty, so the body is not empty: hyper's client puts a
    /// connection back in its pool before it reports the end of a non-empty body, which makes
    /// the keep-alive test deterministic. (The three signals' responses encode alike.)
    pub(crate) fn ok() -> Self {
        let response = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess::default()),
        };
        Self::status(StatusCode::OK).body(PROTOBUF, response.encode_to_vec())
    }

    /// The same with a header added.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Self {
        let value = HeaderValue::from_str(value).expect("a valid header value");
        self.headers.push((HeaderName::from_static(name), value));
        self
    }

    /// The same with this body, of this media type.
    pub(crate) fn body(self, content_type: &'static str, body: Vec<u8>) -> Self {
        Self { body, ..self }.header("content-type", content_type)
    }
}

type Answer = dyn Fn(&Received) -> Reply + Send + Sync;

/// A running server; stopped (with its connections) when dropped.
pub(crate) struct TestServer {
    addr: SocketAddr,
    received: mpsc::UnboundedReceiver<Received>,
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
    /// Connections that have ended (the client closed them).
    closed: watch::Receiver<usize>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Starts a server that answers every request with `answer`'s reply.
    pub(crate) async fn start(answer: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("an address");
        let answer: Arc<Answer> = Arc::new(answer);
        let (sender, received) = mpsc::unbounded_channel();
        let accepted = Arc::new(AtomicUsize::new(0));
        let (closed_sender, closed) = watch::channel(0);
        let closed_sender = Arc::new(closed_sender);
        let counted = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            // Owned by this task: aborting it drops (and so aborts) every connection.
            let mut connections = JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let (answer, sender) = (Arc::clone(&answer), sender.clone());
                let service = service_fn(move |request| {
                    let (answer, sender) = (Arc::clone(&answer), sender.clone());
                    async move { Ok::<_, Infallible>(serve(request, &*answer, &sender).await) }
                });
                let closed_sender = Arc::clone(&closed_sender);
                connections.spawn(async move {
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    closed_sender.send_modify(|closed| *closed += 1);
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Self {
            addr,
            received,
            accepted,
            closed,
            task,
        }
    }

    /// Starts a server that answers every request with a full success.
    pub(crate) async fn ok() -> Self {
        Self::start(|_| Reply::ok()).await
    }

    /// `http://127.0.0.1:<port>`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next request received, waiting for it.
    pub(crate) async fn next(&mut self) -> Received {
        tokio::time::timeout(WAIT, self.received.recv())
            .await
            .expect("a request within the wait")
            .expect("the server runs")
    }

    /// How many connections were accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Waits until `count` connections have been closed by the client.
    pub(crate) async fn wait_closed(&mut self, count: usize) {
        tokio::time::timeout(WAIT, self.closed.wait_for(|closed| *closed >= count))
            .await
            .expect("connections closed within the wait")
            .expect("the server runs");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    request: Request<Incoming>,
    answer: &Answer,
    sender: &mpsc::UnboundedSender<Received>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let raw = match body.collect().await {
        Ok(body) => body.to_bytes().to_vec(),
        Err(err) => return plain(StatusCode::BAD_REQUEST, format!("cannot read body: {err}")),
    };
    let body = match parts
        .headers
        .get(CONTENT_ENCODING)
        .map(HeaderValue::as_bytes)
    {
        None => raw.clone(),
        Some(b"gzip") => {
            let mut decoded = Vec::new();
            if let Err(err) = GzDecoder::new(raw.as_slice()).read_to_end(&mut decoded) {
                return plain(StatusCode::BAD_REQUEST, format!("bad gzip: {err}"));
            }
            decoded
        }
        Some(other) => {
            let other = String::from_utf8_lossy(other).into_owned();
            return plain(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("encoding {other}"),
            );
        }
    };
    let received = Received {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        headers: parts.headers,
        raw,
        body,
    };
    let reply = answer(&received);
    let _ = sender.send(received);
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = reply.status;
    for (name, value) in reply.headers {
        response.headers_mut().append(name, value);
    }
    response
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}
