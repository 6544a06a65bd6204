//! What an OTLP/HTTP answer means for the batch, per the OTLP specification's "OTLP/HTTP
//! Response" section and as the Go `otlphttp` exporter reads it.

use std::time::{Duration, SystemTime};

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use hyper::{StatusCode, Uri};
use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::collector::logs::v1::ExportLogsServiceResponse;
use otelcol_rust_sdk::proto::collector::metrics::v1::ExportMetricsServiceResponse;
use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceResponse;
use otelcol_rust_sdk::tracing::warn;
use otelcol_rust_sdk::{ExportOutcome, Signal};

/// The most of a response body that is read, as Go's `otlphttp` (`maxHTTPResponseReadBytes`):
/// a partial success or an error status is far smaller. The rest of a longer body is not
/// read (and that connection is not reused).
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// How much of a body that is not a `google.rpc.Status` is quoted in an error.
const EXCERPT: usize = 256;

/// The longest `Retry-After` honoured; a longer one is cut to it. The collector's
/// `retry_on_failure.max_elapsed_time` defaults to 5 minutes and exporterhelper gives the batch
/// up (drops it) at once when the wait would end past it, so a longer hint only matters with a
/// larger or no `max_elapsed_time`; there it would park a queue consumer for as long as the
/// server says (an absurd value for ever, or past what Go's `time.Duration` holds).
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// The OTLP protobuf media type, of requests and of the responses that are read.
pub(crate) const PROTOBUF: &str = "application/x-protobuf";

/// `google.rpc.Status`, the body of an OTLP/HTTP error response. Its `details` (field 3) are
/// not needed and are skipped as unknown fields.
#[derive(Clone, PartialEq, otelcol_rust_sdk::prost::Message)]
#[prost(prost_path = "otelcol_rust_sdk::prost")]
pub(crate) struct RpcStatus {
    /// The gRPC status code.
    #[prost(int32, tag = "1")]
    pub(crate) code: i32,
    /// The developer-facing message.
    #[prost(string, tag = "2")]
    pub(crate) message: String,
}

/// Reads the answer to a request for `signal` sent to `uri` and says what it means. The body
/// is read until `deadline` at most: the status alone decides then, as for an unreadable body.
pub(crate) async fn outcome(
    signal: Signal,
    uri: &Uri,
    response: hyper::Response<Incoming>,
    deadline: tokio::time::Instant,
) -> ExportOutcome {
    let (parts, body) = response.into_parts();
    let body = match tokio::time::timeout_at(deadline, read_bounded(body, MAX_BODY)).await {
        Ok(read) => read.map_err(|err| err.to_string()),
        Err(_) => Err("timed out reading the body".to_owned()),
    };
    classify(
        signal,
        uri,
        parts.status,
        &parts.headers,
        body.as_deref().map_err(String::as_str),
        SystemTime::now(),
    )
}

/// At most `limit` bytes of `body`. Reading to the end when the body fits lets the client put
/// the connection back in its pool.
async fn read_bounded(mut body: Incoming, limit: usize) -> Result<Vec<u8>, hyper::Error> {
    let mut read = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue; // trailers
        };
        let room = limit - read.len();
        if data.len() > room {
            read.extend_from_slice(&data[..room]);
            break;
        }
        read.extend_from_slice(&data);
    }
    Ok(read)
}

/// The outcome of an answer with `status`, `headers` and `body` (or why the body could not be
/// read), `now` being when it came (for a `Retry-After` date).
pub(crate) fn classify(
    signal: Signal,
    uri: &Uri,
    status: StatusCode,
    headers: &HeaderMap,
    body: Result<&[u8], &str>,
    now: SystemTime,
) -> ExportOutcome {
    if status.is_success() {
        return match body {
            Ok(body) => accepted(signal, uri, status, headers, body),
            Err(err) => {
                // The destination said yes: sending the batch again would duplicate it.
                warn!(%uri, %status, error = err, "could not read the response body of an accepted export");
                ExportOutcome::Ok
            }
        };
    }
    let detail = body.ok().and_then(|body| detail(headers, body));
    let reason = match detail {
        Some(detail) => format!("{uri} answered HTTP {status}: {detail}"),
        None => format!("{uri} answered HTTP {status}"),
    };
    match status {
        StatusCode::TOO_MANY_REQUESTS
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => {
            match headers
                .get(RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| retry_after(value, now))
            {
                Some(after) => ExportOutcome::retry_after(reason, after),
                None => ExportOutcome::retryable(reason),
            }
        }
        // Other 4xx and 5xx, and redirects (not followed: an OTLP endpoint does not move).
        _ => ExportOutcome::permanent(reason),
    }
}

/// A 2xx answer: [`ExportOutcome::Ok`], or [`ExportOutcome::Partial`] when its
/// `partial_success` rejected items.
fn accepted(
    signal: Signal,
    uri: &Uri,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ExportOutcome {
    // As Go's otlphttp: only a protobuf body is read (this exporter sends protobuf, so a
    // receiver answers in kind); an empty one is a full success.
    if body.is_empty() || !is_protobuf(headers) {
        return ExportOutcome::Ok;
    }
    let partial = match signal {
        Signal::Traces => ExportTraceServiceResponse::decode(body)
            .map(|response| response.partial_success)
            .map(|partial| partial.map(|p| (p.rejected_spans, p.error_message))),
        Signal::Metrics => ExportMetricsServiceResponse::decode(body)
            .map(|response| response.partial_success)
            .map(|partial| partial.map(|p| (p.rejected_data_points, p.error_message))),
        Signal::Logs => ExportLogsServiceResponse::decode(body)
            .map(|response| response.partial_success)
            .map(|partial| partial.map(|p| (p.rejected_log_records, p.error_message))),
    };
    match partial {
        Ok(None) => ExportOutcome::Ok,
        Ok(Some((rejected, reason))) if rejected > 0 => {
            let reason = if reason.is_empty() {
                "the destination gave no reason".to_owned()
            } else {
                reason
            };
            ExportOutcome::partial(rejected.unsigned_abs(), reason)
        }
        Ok(Some((_, message))) => {
            // Nothing rejected: the OTLP spec's way for a server to warn the client.
            if !message.is_empty() {
                warn!(%uri, server_message = message, "partial success response with nothing rejected");
            }
            ExportOutcome::Ok
        }
        Err(err) => {
            // Go's otlphttp answers a permanent error here (consumererror.NewPermanent), so
            // the batch is counted as failed although the status said it was accepted. Ok
            // instead: the destination has the data, and nothing is duplicated either way
            // (a permanent error is not retried); the warning tells of the odd answer.
            warn!(%uri, %status, error = %err, "accepted, but the response body is not an OTLP {signal} response");
            ExportOutcome::Ok
        }
    }
}

/// Whether the body is declared OTLP protobuf (`Content-Type`, parameters ignored).
fn is_protobuf(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(PROTOBUF))
}

/// What an error body says: the `google.rpc.Status` message the OTLP spec asks for, or else a
/// short, printable excerpt of the body; `None` for an empty body.
fn detail(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    // A body declared as something else (text, HTML from a proxy) is not decoded: arbitrary
    // bytes can pass for a protobuf message.
    let declared_other = headers.contains_key(CONTENT_TYPE) && !is_protobuf(headers);
    if !declared_other
        && let Ok(status) = RpcStatus::decode(body)
        && !status.message.is_empty()
    {
        return Some(printable(status.message.as_bytes()));
    }
    Some(printable(body))
}

/// Up to [`EXCERPT`] bytes of `text` on one line, control characters replaced.
fn printable(text: &[u8]) -> String {
    let cut = text.len().min(EXCERPT);
    let mut excerpt: String = String::from_utf8_lossy(&text[..cut])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    excerpt.truncate(excerpt.trim_end().len());
    if cut < text.len() {
        excerpt.push_str("...");
    }
    excerpt
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delta-seconds or an HTTP date, from `now`, at
/// most [`MAX_RETRY_AFTER`]. `None` when it cannot be read or asks for no wait (a date
/// already past), so the collector's own backoff applies.
pub(crate) fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let after = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .ok()?,
    };
    (!after.is_zero()).then_some(after.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;

    use super::*;

    fn uri() -> Uri {
        Uri::from_static("http://collector:4318/v1/traces")
    }

    fn protobuf() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(PROTOBUF));
        headers
    }

    /// Guarantees: Retry-After is read as delta-seconds or as an HTTP date (relative to when
    /// the answer came), at most `MAX_RETRY_AFTER`; unreadable values, zero and past dates
    /// give no hint.
    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("a date");
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), None);
        assert_eq!(retry_after("0", now), None);
        assert_eq!(retry_after("-5", now), None);
        assert_eq!(retry_after("soon", now), None);
        // A day, or more seconds than a Duration holds in Go: cut to the most honoured.
        assert_eq!(retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(
            retry_after("18446744073709551615", now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            retry_after("Mon, 07 Nov 1994 08:49:37 GMT", now),
            Some(MAX_RETRY_AFTER)
        );
    }

    /// Guarantees: an error body's `google.rpc.Status` message is quoted; a body that is not
    /// one (or declared as text) is quoted as a short printable excerpt.
    #[test]
    fn error_details() {
        let status = RpcStatus {
            code: 3,
            message: "span too\nbig".to_owned(),
        }
        .encode_to_vec();
        assert_eq!(
            detail(&protobuf(), &status),
            Some("span too big".to_owned())
        );
        assert_eq!(
            detail(&HeaderMap::new(), &status),
            Some("span too big".to_owned())
        );

        let mut text = HeaderMap::new();
        text.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        let long = "x".repeat(1000);
        assert_eq!(
            detail(&text, long.as_bytes()),
            Some(format!("{}...", "x".repeat(EXCERPT)))
        );
        assert_eq!(detail(&text, b""), None);
    }

    /// Guarantees: a 2xx body that is not protobuf or not an OTLP response still means the
    /// batch was accepted: Ok, not retried (that would duplicate it) nor, as Go's otlphttp
    /// answers, a permanent error counting delivered data as failed; a body that could not be
    /// read too.
    #[test]
    fn accepted_whatever_the_body() {
        let now = SystemTime::now();
        for (headers, body) in [
            (protobuf(), &b"\xff\xff\xff"[..]),
            (HeaderMap::new(), &b"{\"partialSuccess\":{}}"[..]),
        ] {
            let outcome = classify(
                Signal::Traces,
                &uri(),
                StatusCode::OK,
                &headers,
                Ok(body),
                now,
            );
            assert_eq!(outcome, ExportOutcome::Ok);
        }
        let unread = classify(
            Signal::Logs,
            &uri(),
            StatusCode::ACCEPTED,
            &HeaderMap::new(),
            Err("connection reset"),
            now,
        );
        assert_eq!(unread, ExportOutcome::Ok);
    }

    /// Guarantees: a redirect is not followed and not retried.
    #[test]
    fn redirects_are_permanent() {
        let outcome = classify(
            Signal::Metrics,
            &uri(),
            StatusCode::PERMANENT_REDIRECT,
            &HeaderMap::new(),
            Ok(b""),
            SystemTime::now(),
        );
        assert_eq!(
            outcome,
            ExportOutcome::permanent(
                "http://collector:4318/v1/traces answered HTTP 308 Permanent Redirect"
            )
        );
    }
}
