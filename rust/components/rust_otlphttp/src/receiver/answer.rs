//! The receiver's HTTP answers, written as Go's `otlpreceiver` writes them (`otlphttp.go`,
//! `writeStatusResponse`, `writeResponse`): a success is the empty export response in the
//! request's encoding; an error is a `google.rpc.Status` in the request's encoding, except the
//! routing answers (404, 405, 415), which are plain text as in Go.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Response, StatusCode};
use otelcol_rust_sdk::Encoding;
use otelcol_rust_sdk::prost::Message;
use serde::Serialize;

use crate::response::{PROTOBUF, RpcStatus};

/// An answer: every body the receiver writes is small and whole.
pub(crate) type Answer = Response<Full<Bytes>>;

/// The OTLP/JSON media type.
pub(crate) const JSON: &str = "application/json";

/// The gRPC status codes the receiver answers with, as Go's `otlpreceiver` picks them
/// (`internal/errors` and `statusutil.NewStatusFromMsgAndHTTPCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// The request is at fault (400, and 413).
    InvalidArgument = 3,
    /// Too many requests at once (429).
    ResourceExhausted = 8,
    /// The pipeline refused the data for good (500).
    Internal = 13,
    /// The pipeline refused the data for now (503).
    Unavailable = 14,
}

/// The media type of an encoding's bodies.
pub(crate) fn content_type(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Protobuf => PROTOBUF,
        Encoding::Json => JSON,
    }
}

/// 200 with the `Export*ServiceResponse` Go's `otlpreceiver` answers, in the request's
/// encoding, byte for byte: pdata (v1.70.0) marshals `ExportResponse` with its
/// `partial_success` present and empty, which means a full success (the three signals'
/// responses encode alike).
pub(crate) fn success(encoding: Encoding) -> Answer {
    let body = match encoding {
        // Field 1 (partial_success), length-delimited, zero bytes long.
        Encoding::Protobuf => Bytes::from_static(&[0x0a, 0x00]),
        Encoding::Json => Bytes::from_static(br#"{"partialSuccess":{}}"#),
    };
    answer(StatusCode::OK, content_type(encoding), body)
}

/// An error answer: `status` with a `google.rpc.Status` of `code` and `message` in
/// `encoding`.
pub(crate) fn status(status: StatusCode, encoding: Encoding, code: Code, message: &str) -> Answer {
    let rpc = RpcStatus {
        code: code as i32,
        message: message.to_owned(),
    };
    match encoding {
        Encoding::Protobuf => answer(status, PROTOBUF, Bytes::from(rpc.encode_to_vec())),
        Encoding::Json => match serde_json::to_vec(&JsonStatus::from(&rpc)) {
            Ok(body) => answer(status, JSON, Bytes::from(body)),
            // Go's fallback when a status cannot be marshalled. Serializing two fields into
            // memory does not fail; this keeps the handler free of panics if it ever did.
            Err(_) => answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                JSON,
                Bytes::from_static(
                    br#"{"code": 13, "message": "failed to marshal error message"}"#,
                ),
            ),
        },
    }
}

/// The same with `Retry-After: <seconds>`.
pub(crate) fn with_retry_after(mut answer: Answer, seconds: u64) -> Answer {
    answer
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    answer
}

/// `google.rpc.Status` in proto3 JSON, as Go's `protojson` writes it: default values left
/// out, `details` empty.
#[derive(Serialize)]
struct JsonStatus<'a> {
    #[serde(skip_serializing_if = "is_zero")]
    code: i32,
    #[serde(skip_serializing_if = "str::is_empty")]
    message: &'a str,
}

fn is_zero(code: &i32) -> bool {
    *code == 0
}

impl<'a> From<&'a RpcStatus> for JsonStatus<'a> {
    fn from(status: &'a RpcStatus) -> Self {
        Self {
            code: status.code,
            message: &status.message,
        }
    }
}

/// 404 for a path that is no signal's (or a signal without a pipeline), as Go's `ServeMux`
/// answers it (`http.NotFound`).
pub(crate) fn not_found() -> Answer {
    answer(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        Bytes::from_static(b"404 page not found\n"),
    )
}

/// 405 for a method other than POST, as Go's `handleUnmatchedMethod`.
pub(crate) fn method_not_allowed() -> Answer {
    answer(
        StatusCode::METHOD_NOT_ALLOWED,
        "text/plain",
        Bytes::from_static(b"405 method not allowed, supported: [POST]"),
    )
}

/// 415 for a body that is neither OTLP protobuf nor OTLP JSON, as Go's
/// `handleUnmatchedContentType`.
pub(crate) fn unsupported_media_type() -> Answer {
    answer(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "text/plain",
        Bytes::from_static(
            b"415 unsupported media type, supported: [application/json, application/x-protobuf]",
        ),
    )
}

fn answer(status: StatusCode, content_type: &'static str, body: Bytes) -> Answer {
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = status;
    answer
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    answer
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;
    use otelcol_rust_sdk::proto::collector::trace::v1::{
        ExportTracePartialSuccess, ExportTraceServiceResponse,
    };

    use super::*;

    async fn body(answer: Answer) -> Vec<u8> {
        match answer.into_body().collect().await {
            Ok(body) => body.to_bytes().to_vec(),
            Err(never) => match never {},
        }
    }

    /// Guarantees: an error body is a `google.rpc.Status` in the request's encoding, JSON
    /// escaped as JSON, with the request's media type.
    #[tokio::test]
    async fn status_bodies() {
        let message = "bad \"span\"\n\u{1}";
        let protobuf = status(
            StatusCode::BAD_REQUEST,
            Encoding::Protobuf,
            Code::InvalidArgument,
            message,
        );
        assert_eq!(protobuf.headers()[CONTENT_TYPE], PROTOBUF);
        let decoded = RpcStatus::decode(body(protobuf).await.as_slice());
        assert_eq!(
            decoded,
            Ok(RpcStatus {
                code: 3,
                message: message.to_owned()
            })
        );
        let json = status(
            StatusCode::SERVICE_UNAVAILABLE,
            Encoding::Json,
            Code::Unavailable,
            message,
        );
        assert_eq!(json.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(json.headers()[CONTENT_TYPE], JSON);
        assert_eq!(
            String::from_utf8(body(json).await).as_deref(),
            Ok(r#"{"code":14,"message":"bad \"span\"\n\u0001"}"#)
        );
    }

    /// Guarantees: a success is the export response Go's otlpreceiver writes, byte for byte
    /// (checked against pdata v1.70.0's `ExportResponse` marshalers), and it decodes as a
    /// full success: a partial success that rejected nothing.
    #[tokio::test]
    async fn success_bodies() {
        let protobuf = success(Encoding::Protobuf);
        assert_eq!(protobuf.headers()[CONTENT_TYPE], PROTOBUF);
        let bytes = body(protobuf).await;
        assert_eq!(bytes, [0x0a, 0x00]);
        let decoded = ExportTraceServiceResponse::decode(bytes.as_slice());
        assert_eq!(
            decoded.map(|response| response.partial_success),
            Ok(Some(ExportTracePartialSuccess::default()))
        );
        let json = success(Encoding::Json);
        assert_eq!(json.headers()[CONTENT_TYPE], JSON);
        assert_eq!(body(json).await, br#"{"partialSuccess":{}}"#);
    }
}
