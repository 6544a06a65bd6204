//! One request, from its headers to its answer: the checks Go's `otlpreceiver` (with
//! confighttp in front of it) makes, in its order, then the body, bounded, to the pipeline.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::body::{Body, Bytes};
use hyper::header::{
    CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue,
};
use hyper::{Method, Request, StatusCode};
use otelcol_rust_sdk::tracing::debug;
use otelcol_rust_sdk::{ConsumeError, ConsumeErrorKind, Consumer, Encoding, Payload};
use tokio::sync::Semaphore;

use super::answer::{self, Answer, Code, JSON};
use super::body::{self, BodyError, ContentCoding};
use crate::response::PROTOBUF;

/// What every connection of an instance shares to answer its requests.
pub(crate) struct Handler {
    /// Each signal that has a pipeline, by its path (at most three: a scan is quickest).
    routes: Vec<(String, Consumer)>,
    body_limit: usize,
    /// One per request being read or delivered (`max_concurrent_requests`).
    permits: Arc<Semaphore>,
    max_concurrent_requests: u32,
    /// `retry_after` in whole seconds, rounded up.
    retry_after_secs: u64,
}

impl Handler {
    pub(crate) fn new(
        routes: Vec<(String, Consumer)>,
        body_limit: usize,
        max_concurrent_requests: u32,
        retry_after: Duration,
    ) -> Self {
        let permits = usize::try_from(max_concurrent_requests)
            .unwrap_or(usize::MAX)
            .min(Semaphore::MAX_PERMITS);
        Self {
            routes,
            body_limit,
            permits: Arc::new(Semaphore::new(permits)),
            max_concurrent_requests,
            retry_after_secs: whole_seconds(retry_after),
        }
    }

    /// Answers `request`. Never fails and never panics on anything a client sends: every
    /// outcome is an HTTP answer.
    ///
    /// An answer given before the body was read to its end (429, 413, 415, 404, ...) first
    /// reads and discards what is left of it, up to `max_request_body_size` plus
    /// [`DISCARD_LIMIT`] bytes within [`DISCARD_TIME`] (Go reads a body up to its limit, then
    /// its `net/http` server discards up to 256 KiB more): a client still sending its body
    /// then reads the answer instead of a reset (most clients do not retry a POST after a
    /// broken pipe), and its connection stays usable. A longer rest is not read: the answer
    /// says `Connection: close`, and the connection is closed after it. Discarding holds no
    /// memory and no request slot.
    pub(crate) async fn handle<B>(&self, request: Request<B>) -> Answer
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: fmt::Display,
    {
        let (parts, mut body) = request.into_parts();
        let mut answer = self.answer(parts, &mut body).await;
        let discard = self.body_limit.saturating_add(DISCARD_LIMIT);
        if !body.is_end_stream() && !discard_rest(&mut body, discard).await {
            answer
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        answer
    }

    async fn answer<B>(&self, parts: hyper::http::request::Parts, body: &mut B) -> Answer
    where
        B: Body<Data = Bytes> + Unpin,
        B::Error: fmt::Display,
    {
        let media = media_type(&parts.headers);

        // confighttp's decompressor runs before the router: an unknown coding is 400
        // whatever the path, in protobuf if the request says protobuf, else in JSON (Go's
        // `errorHandler`).
        let coding_header = parts.headers.get(CONTENT_ENCODING);
        let Some(coding) = ContentCoding::from_header(coding_header.map(|value| value.as_bytes()))
        else {
            let named = coding_header
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .unwrap_or_default();
            return refuse(
                StatusCode::BAD_REQUEST,
                media.unwrap_or(Encoding::Json),
                Code::InvalidArgument,
                &format!("unsupported Content-Encoding: {named}"),
            );
        };
        let Some(consumer) = self.route(parts.uri.path()) else {
            return answer::not_found();
        };
        if parts.method != Method::POST {
            return answer::method_not_allowed();
        }
        let Some(encoding) = media else {
            return answer::unsupported_media_type();
        };
        // Held until the answer is ready: the body and the delivery count against the bound.
        let Ok(_permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            return answer::with_retry_after(
                refuse(
                    StatusCode::TOO_MANY_REQUESTS,
                    encoding,
                    Code::ResourceExhausted,
                    &format!(
                        "too many concurrent requests: at most {} at once (max_concurrent_requests)",
                        self.max_concurrent_requests
                    ),
                ),
                1,
            );
        };
        let bytes = match body::read(
            body,
            coding,
            self.body_limit,
            content_length(&parts.headers),
        )
        .await
        {
            Ok(bytes) => bytes,
            // Not read to its end: hyper closes the connection after the answer.
            Err(BodyError::TooLarge) => {
                return refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    encoding,
                    Code::InvalidArgument,
                    &format!(
                        "request body too large: more than {} bytes (max_request_body_size)",
                        self.body_limit
                    ),
                );
            }
            Err(err) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    encoding,
                    Code::InvalidArgument,
                    &err.to_string(),
                );
            }
        };
        let payload = match encoding {
            Encoding::Protobuf => Payload::protobuf(bytes),
            Encoding::Json => Payload::json(bytes),
        };
        match consumer.send(payload).await {
            Ok(()) => answer::success(encoding),
            Err(err) => self.refused(encoding, &err),
        }
    }

    fn route(&self, path: &str) -> Option<&Consumer> {
        self.routes
            .iter()
            .find(|(route, _)| route == path)
            .map(|(_, consumer)| consumer)
    }

    /// The answer to a request the pipeline did not accept, as Go's `otlpreceiver` maps the
    /// consumer's error (`internal/errors`): retryable 503 (Unavailable), permanent 500
    /// (Internal), undecodable 400 (InvalidArgument). A 503 says when to come back: the
    /// pipeline's wait, else `retry_after`.
    fn refused(&self, encoding: Encoding, err: &ConsumeError) -> Answer {
        match err.kind() {
            ConsumeErrorKind::Retryable => {
                let wait = err
                    .retry_after()
                    .filter(|wait| !wait.is_zero())
                    .map_or(self.retry_after_secs, whole_seconds);
                answer::with_retry_after(
                    refuse(
                        StatusCode::SERVICE_UNAVAILABLE,
                        encoding,
                        Code::Unavailable,
                        err.reason(),
                    ),
                    wait,
                )
            }
            ConsumeErrorKind::Malformed => refuse(
                StatusCode::BAD_REQUEST,
                encoding,
                Code::InvalidArgument,
                err.reason(),
            ),
            // Permanent, and any kind a later SDK adds: not the client's to retry.
            _ => refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                encoding,
                Code::Internal,
                err.reason(),
            ),
        }
    }
}

/// How much more than `max_request_body_size` of an unread body is read and discarded before
/// an early answer (Go's `net/http` server discards up to 256 KiB).
const DISCARD_LIMIT: usize = 256 * 1024;

/// How long discarding may take: a client that sends slowly is not waited for.
const DISCARD_TIME: Duration = Duration::from_secs(1);

/// Reads and drops the rest of `body`; true when it ended within `limit` bytes and
/// [`DISCARD_TIME`].
async fn discard_rest<B>(body: &mut B, limit: usize) -> bool
where
    B: Body<Data = Bytes> + Unpin,
{
    let discard = async {
        let mut read = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return false;
            };
            if let Some(data) = frame.data_ref() {
                read = read.saturating_add(data.len());
                if read > limit {
                    return false;
                }
            }
        }
        true
    };
    tokio::time::timeout(DISCARD_TIME, discard)
        .await
        .unwrap_or(false)
}

/// An error answer, logged at debug level (the collector counts refused items itself).
fn refuse(status: StatusCode, encoding: Encoding, code: Code, message: &str) -> Answer {
    debug!(%status, reason = message, "request refused");
    answer::status(status, encoding, code, message)
}

/// The encoding `Content-Type` names (its media type, parameters ignored, case-insensitive,
/// as Go's `mime.ParseMediaType` reads it), if it is OTLP's protobuf or JSON.
fn media_type(headers: &HeaderMap) -> Option<Encoding> {
    let value = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next()?.trim();
    if media.eq_ignore_ascii_case(PROTOBUF) {
        Some(Encoding::Protobuf)
    } else if media.eq_ignore_ascii_case(JSON) {
        Some(Encoding::Json)
    } else {
        None
    }
}

/// The declared body length, when there is a readable one.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// `duration` in whole seconds, rounded up (a `Retry-After` of 0 would mean "at once").
fn whole_seconds(duration: Duration) -> u64 {
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    fn with_content_type(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(CONTENT_TYPE, value);
        }
        headers
    }

    /// Guarantees: the media type is read as Go's `mime.ParseMediaType` reads it: parameters
    /// ignored, case-insensitive, surrounding spaces trimmed; anything else is no encoding.
    #[test]
    fn media_types() {
        for (value, expected) in [
            ("application/x-protobuf", Some(Encoding::Protobuf)),
            (
                "Application/X-Protobuf; charset=utf-8",
                Some(Encoding::Protobuf),
            ),
            ("application/json", Some(Encoding::Json)),
            (" application/json ;charset=utf-8", Some(Encoding::Json)),
            ("application/protobuf", None),
            ("text/plain", None),
            ("", None),
        ] {
            assert_eq!(media_type(&with_content_type(value)), expected, "{value:?}");
        }
        assert_eq!(media_type(&HeaderMap::new()), None);
    }

    /// Guarantees: waits are whole seconds rounded up, so a sub-second wait is never "0".
    #[test]
    fn retry_after_seconds() {
        assert_eq!(whole_seconds(Duration::from_secs(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
    }
}
