//! `rust_otlphttp`: an OpenTelemetry Collector exporter, written in Rust, that sends traces,
//! metrics and logs over OTLP/HTTP (protobuf) like the collector's Go `otlphttp` exporter; and
//! a receiver that takes them in over OTLP/HTTP (protobuf and JSON, gzip) like the HTTP side
//! of the Go `otlpreceiver`: see the [`receiver`] module for its configuration and answers.
//! The rest of this page is about the exporter.
//!
//! Each batch the collector hands over is already the OTLP protobuf export request; it is sent
//! as the body of one `POST` (gzip-compressed straight from the borrowed bytes, or copied
//! once), over a keep-alive connection pool shared by the instance's concurrent exports.
//!
//! # Configuration
//!
//! ```yaml
//! exporters:
//!   rust_otlphttp:
//!     # Base URL; /v1/traces, /v1/metrics and /v1/logs are appended per signal.
//!     endpoint: http://backend:4318          # default http://localhost:4318
//!     # A full URL for one signal, used as is (traces_endpoint, metrics_endpoint too).
//!     logs_endpoint: http://logs:4318/ingest/otlp
//!     headers:                               # added to every request
//!       authorization: Bearer ${env:TOKEN}
//!     compression: gzip                      # default; or none
//!     # The collector's own exporter keys (Go's exporterhelper) work as for Go exporters:
//!     timeout: 30s                           # default 5s; see Timeouts
//!     retry_on_failure:
//!       enabled: true
//!     sending_queue:
//!       num_consumers: 4
//!
//! service:
//!   pipelines:
//!     traces:
//!       receivers: [otlp]
//!       exporters: [rust_otlphttp]
//! ```
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `endpoint` | `http://localhost:4318` | base URL; the signal's `/v1/<signal>` is appended (one `/` between) |
//! | `traces_endpoint`, `metrics_endpoint`, `logs_endpoint` | empty | full URL for that signal, instead of `endpoint`'s |
//! | `headers` | none | name → value, sent with every request; shown as `[REDACTED]` by `print-config` |
//! | `compression` | `gzip` | `gzip` or `none` |
//!
//! URLs must be `http://`: TLS is not supported yet, and an `https://` URL is refused at config
//! load saying so. Header names and values HTTP cannot carry are refused, naming the header,
//! and so are `Content-Type`, `Content-Encoding`, `Content-Length` and `Transfer-Encoding`
//! (the exporter writes them). A user `User-Agent` replaces the exporter's. `timeout`,
//! `sending_queue` and `retry_on_failure` belong to the collector, not to this config.
//!
//! # Timeouts
//!
//! exporterhelper's `timeout` (default 5 s) bounds each attempt: the request (connect, send,
//! answer) ends when it runs out, `Retryable`, and `retry_on_failure` tries again. Go's
//! `otlphttp` works differently: it turns exporterhelper's timeout off and bounds each request
//! by its HTTP client's `timeout`, 30 s by default. Coming from `otlphttp`, set `timeout: 30s`
//! for the same bound. With `timeout: 0` (no deadline) a request is still bounded by 30 s, as
//! Go's client, so a destination that never answers cannot hold an export, its queue consumer
//! or the collector's shutdown for ever. Connecting alone is bounded by 30 s too, as Go's
//! dialer.
//!
//! # Outcomes
//!
//! | answer | outcome |
//! | --- | --- |
//! | 2xx | `Ok`; `Partial` when the body's `partial_success` rejected items (its `error_message` is the reason) |
//! | 429, 502, 503, 504 | `Retryable`, after the `Retry-After` (seconds or HTTP date) when given, at most 5 minutes |
//! | any other status | `Permanent`, with the status and the body's `google.rpc.Status` message (or an excerpt) |
//! | no answer (refused, reset, closed, timed out) | `Retryable` |
//!
//! Where this differs from Go's `otlphttp`:
//! - `Retry-After` is honoured on 502 and 504 as well (Go reads it on 429 and 503 only): a
//!   gateway that says when to come back knows better than the backoff, and a server that does
//!   not send it leaves the backoff as it was.
//! - A longer `Retry-After` is cut to 5 minutes. That is `retry_on_failure.max_elapsed_time`'s
//!   default, and exporterhelper drops the batch at once when the wait would end past
//!   `max_elapsed_time`; the cap matters with a larger (or no) `max_elapsed_time`, where an
//!   absurd hint would otherwise park a queue consumer for that long.
//! - A 2xx answer whose protobuf body is not an OTLP response is `Ok` (logged at warn): the
//!   destination accepted the batch. Go answers a permanent error, counting the batch as
//!   failed; neither sends it again.
//!
//! # Telemetry
//!
//! Counters `rust_otlphttp_requests` (attributes `signal`, `outcome`) and
//! `rust_otlphttp_bytes_sent` (`signal`; bytes on the wire, after compression). Each export is
//! logged at debug level; a 2xx answer with an unreadable body or a warning is logged at warn.

mod config;
mod exporter;
pub mod receiver;
mod response;
#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

use otelcol_rust_sdk::{
    CreateSettings, Error, ExporterFactory, ReceiverFactory, Signal, Stability,
};

pub use config::{Compression, DEFAULT_ENDPOINT, OtlpHttpConfig};
pub use exporter::OtlpHttpExporter;
pub use receiver::{OtlpHttpReceiver, OtlpHttpReceiverConfig};

/// Creates `rust_otlphttp` exporters, for traces, metrics and logs pipelines.
pub struct OtlpHttpFactory;

impl ExporterFactory for OtlpHttpFactory {
    const TYPE: &'static str = "rust_otlphttp";
    // How mature the component is, as `components` lists it.
    const STABILITY: Stability = Stability::Development;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];
    type Config = OtlpHttpConfig;
    type Exporter = OtlpHttpExporter;

    fn create(
        &self,
        settings: &CreateSettings,
        config: OtlpHttpConfig,
    ) -> Result<OtlpHttpExporter, Error> {
        OtlpHttpExporter::new(settings, &config)
    }
}

otelcol_rust_sdk::register_exporter!(OtlpHttpFactory);

/// Creates `rust_otlphttp` receivers, for traces, metrics and logs pipelines (see the
/// [`receiver`] module).
pub struct OtlpHttpReceiverFactory;

impl ReceiverFactory for OtlpHttpReceiverFactory {
    const TYPE: &'static str = "rust_otlphttp";
    const STABILITY: Stability = Stability::Development;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];
    // receiverhelper's `transport` attribute, as Go's otlpreceiver sets it for HTTP.
    const TRANSPORT: &'static str = "http";
    type Config = OtlpHttpReceiverConfig;
    type Receiver = OtlpHttpReceiver;

    fn create(
        &self,
        settings: &CreateSettings,
        config: OtlpHttpReceiverConfig,
    ) -> Result<OtlpHttpReceiver, Error> {
        OtlpHttpReceiver::new(settings, config)
    }
}

otelcol_rust_sdk::register_receiver!(OtlpHttpReceiverFactory);
