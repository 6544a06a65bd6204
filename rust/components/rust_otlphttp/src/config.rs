//! The `rust_otlphttp` exporter's configuration: its keys under `exporters:`, named as the Go
//! `otlphttp` exporter names them.

use std::collections::BTreeMap;
use std::fmt;

use hyper::Uri;
use hyper::header::{
    CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, TRANSFER_ENCODING,
};
use otelcol_rust_sdk::{Config, ConfigProblems, Error, Signal};
use serde::{Deserialize, Serialize, Serializer};

/// The endpoint when none is configured: an OTLP/HTTP receiver on this host.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:4318";

/// Configuration of a `rust_otlphttp` exporter, over these defaults. The collector adds
/// `timeout`, `sending_queue` and `retry_on_failure` itself (exporterhelper), so they are not
/// here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OtlpHttpConfig {
    /// The base URL (`http://host:port[/path]`); each signal is sent to it with `/v1/traces`,
    /// `/v1/metrics` or `/v1/logs` appended, as Go's `otlphttp` does. Default
    /// [`DEFAULT_ENDPOINT`]. May be empty only when all three per-signal endpoints are set.
    pub endpoint: String,
    /// The full URL for traces, used as is instead of `endpoint` + `/v1/traces`.
    pub traces_endpoint: String,
    /// The full URL for metrics, used as is instead of `endpoint` + `/v1/metrics`.
    pub metrics_endpoint: String,
    /// The full URL for logs, used as is instead of `endpoint` + `/v1/logs`.
    pub logs_endpoint: String,
    /// HTTP headers added to every request (e.g. `authorization`), after the exporter's own, so
    /// they can replace its `User-Agent`. The headers that describe the body (`Content-Type`,
    /// `Content-Encoding`, `Content-Length`, `Transfer-Encoding`) are the exporter's. The
    /// values are written as `[REDACTED]` when the config is shown (`print-config`), as Go's
    /// `configopaque` values are.
    #[serde(serialize_with = "redacted")]
    pub headers: BTreeMap<String, String>,
    /// How request bodies are compressed: [`Compression::Gzip`] (default) or
    /// [`Compression::None`].
    pub compression: Compression,
}

impl Default for OtlpHttpConfig {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_owned(),
            traces_endpoint: String::new(),
            metrics_endpoint: String::new(),
            logs_endpoint: String::new(),
            headers: BTreeMap::new(),
            compression: Compression::Gzip,
        }
    }
}

/// How request bodies are compressed (`compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Compression {
    /// `gzip` (the default, as in Go's `otlphttp`): `Content-Encoding: gzip`, at zlib's
    /// default level, which is also the Go collector's default.
    Gzip,
    /// `none` (an empty value too, as in Go): the protobuf bytes as they are.
    None,
}

impl TryFrom<String> for Compression {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "gzip" => Ok(Self::Gzip),
            "none" | "" => Ok(Self::None),
            other => Err(format!(
                "unsupported compression {other:?}: rust_otlphttp supports \"gzip\" and \"none\""
            )),
        }
    }
}

impl From<Compression> for String {
    fn from(compression: Compression) -> Self {
        compression.to_string()
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Gzip => "gzip",
            Self::None => "none",
        })
    }
}

/// The headers' names with their values hidden: they often hold credentials.
fn redacted<S: Serializer>(headers: &BTreeMap<String, String>, out: S) -> Result<S::Ok, S::Error> {
    out.collect_map(headers.keys().map(|name| (name, "[REDACTED]")))
}

/// Headers that describe the body, which the exporter writes from `compression` and the OTLP
/// protobuf encoding: a user value would make the receiver misread it.
const BODY_HEADERS: [HeaderName; 4] = [
    CONTENT_TYPE,
    CONTENT_ENCODING,
    CONTENT_LENGTH,
    TRANSFER_ENCODING,
];

impl OtlpHttpConfig {
    /// The key that holds a signal's full-URL override.
    pub fn endpoint_key(signal: Signal) -> &'static str {
        match signal {
            Signal::Traces => "traces_endpoint",
            Signal::Metrics => "metrics_endpoint",
            Signal::Logs => "logs_endpoint",
        }
    }

    fn endpoint_override(&self, signal: Signal) -> &str {
        match signal {
            Signal::Traces => &self.traces_endpoint,
            Signal::Metrics => &self.metrics_endpoint,
            Signal::Logs => &self.logs_endpoint,
        }
    }

    /// The URL `signal` is sent to: its override, or `endpoint` with `/v1/<signal>` appended
    /// (one `/` between them, as Go's `otlphttp` composes it). On error, the key at fault and
    /// the problem.
    pub fn signal_url(&self, signal: Signal) -> Result<Uri, (&'static str, String)> {
        let key = Self::endpoint_key(signal);
        let given = self.endpoint_override(signal);
        if !given.is_empty() {
            return http_url(given).map_err(|problem| (key, problem));
        }
        if self.endpoint.is_empty() {
            return Err((
                "endpoint",
                format!(
                    "cannot be empty unless traces_endpoint, metrics_endpoint and logs_endpoint are all set ({key} is not)"
                ),
            ));
        }
        let separator = if self.endpoint.ends_with('/') {
            ""
        } else {
            "/"
        };
        http_url(&format!("{}{separator}v1/{signal}", self.endpoint))
            .map_err(|problem| ("endpoint", problem))
    }

    /// The configured headers in the form requests carry them; those HTTP cannot carry, or
    /// that the exporter sets itself, are left out and recorded in `problems` under
    /// `headers::<name>`.
    pub fn request_headers(&self, problems: &mut ConfigProblems) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers = Vec::with_capacity(self.headers.len());
        for (name, value) in &self.headers {
            let path = format!("headers::{name}");
            let Ok(header) = HeaderName::from_bytes(name.as_bytes()) else {
                problems.add(path, "invalid HTTP header name");
                continue;
            };
            if BODY_HEADERS.contains(&header) {
                problems.add(
                    path,
                    "is set by the exporter (from `compression` and the OTLP protobuf encoding)",
                );
                continue;
            }
            // The value is not repeated in the message: it may be a credential.
            match HeaderValue::from_bytes(value.as_bytes()) {
                Ok(mut value) => {
                    // Kept out of debug output and HPACK tables, as credentials should be.
                    value.set_sensitive(true);
                    headers.push((header, value));
                }
                Err(_) => {
                    problems.add(
                        path,
                        "invalid HTTP header value (control characters such as newlines are not allowed)",
                    );
                }
            }
        }
        headers
    }
}

/// `url` parsed, if it is an absolute `http://` URL with a host.
fn http_url(url: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .parse()
        .map_err(|err| format!("invalid URL {url:?}: {err}"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(format!(
                "TLS is not supported yet: {url:?} is https://, use an http:// URL"
            ));
        }
        Some(other) => {
            return Err(format!(
                "unsupported scheme {other:?} in {url:?}: use an http:// URL"
            ));
        }
        None => {
            return Err(format!(
                "{url:?} is not an absolute URL: write it as http://host:port"
            ));
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("{url:?} has no host"));
    }
    Ok(uri)
}

impl Config for OtlpHttpConfig {
    /// Reports every problem at once, each under the key at fault. Runs at config load
    /// (`validate`, start-up, reloads) and again before `create`.
    fn validate(&self) -> Result<(), Error> {
        let mut problems = ConfigProblems::new();
        // The base endpoint is checked even when every signal has its own, as Go does.
        let mut endpoint_reported = false;
        if !self.endpoint.is_empty()
            && let Err(problem) = http_url(&self.endpoint)
        {
            problems.add("endpoint", problem);
            endpoint_reported = true;
        }
        for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
            match self.signal_url(signal) {
                Ok(_) => {}
                // One message for the base endpoint, whichever signals need it.
                Err(("endpoint", _)) if endpoint_reported => {}
                Err((key, problem)) => {
                    endpoint_reported |= key == "endpoint";
                    problems.add(key, problem);
                }
            }
        }
        self.request_headers(&mut problems);
        problems.into_result()
    }
}

#[cfg(test)]
mod tests {
    use otelcol_rust_sdk::{decode_config, encode_config};

    use super::*;

    fn problems(json: &str) -> Vec<String> {
        decode_config::<OtlpHttpConfig>(json)
            .err()
            .iter()
            .flat_map(|err| err.config_problems())
            .map(ToString::to_string)
            .collect()
    }

    /// Guarantees: no keys give the documented defaults, and each signal goes to its
    /// `/v1/<signal>` path of the default endpoint.
    #[test]
    fn defaults() -> Result<(), Error> {
        let config: OtlpHttpConfig = decode_config("{}")?;
        assert_eq!(config, OtlpHttpConfig::default());
        assert_eq!(config.compression, Compression::Gzip);
        let urls: Vec<String> = [Signal::Traces, Signal::Metrics, Signal::Logs]
            .into_iter()
            .map(|signal| config.signal_url(signal).map(|uri| uri.to_string()))
            .collect::<Result<_, _>>()
            .map_err(|(key, problem)| Error::invalid_field(key, problem))?;
        assert_eq!(
            urls,
            [
                "http://localhost:4318/v1/traces",
                "http://localhost:4318/v1/metrics",
                "http://localhost:4318/v1/logs"
            ]
        );
        let encoded = encode_config(&config)?;
        assert_eq!(
            encoded.to_string(),
            r#"{"compression":"gzip","endpoint":"http://localhost:4318","headers":{},"logs_endpoint":"","metrics_endpoint":"","traces_endpoint":""}"#
        );
        Ok(())
    }

    /// Guarantees: the signal path is appended with one `/` whether or not the endpoint ends
    /// with one (a path prefix is kept), and an override is used exactly as written.
    #[test]
    fn signal_urls_compose_as_in_go() -> Result<(), Error> {
        let config: OtlpHttpConfig = decode_config(
            r#"{"endpoint": "http://collector:4318/prefix/",
                "logs_endpoint": "http://logs:9999/custom/path"}"#,
        )?;
        let url = |signal| config.signal_url(signal).map(|uri| uri.to_string());
        assert_eq!(
            url(Signal::Traces),
            Ok("http://collector:4318/prefix/v1/traces".to_owned())
        );
        assert_eq!(
            url(Signal::Logs),
            Ok("http://logs:9999/custom/path".to_owned())
        );
        let config: OtlpHttpConfig = decode_config(r#"{"endpoint": "http://collector/otlp"}"#)?;
        assert_eq!(
            config
                .signal_url(Signal::Metrics)
                .map(|uri| uri.to_string()),
            Ok("http://collector/otlp/v1/metrics".to_owned())
        );
        Ok(())
    }

    /// Guarantees: an https:// URL is refused with a message saying TLS is not supported yet,
    /// under the key that holds it.
    #[test]
    fn https_is_refused_naming_the_key() {
        assert_eq!(
            problems(r#"{"endpoint": "https://collector:4318"}"#),
            [
                "endpoint: TLS is not supported yet: \"https://collector:4318\" is https://, use an http:// URL"
            ]
        );
        assert_eq!(
            problems(r#"{"metrics_endpoint": "https://metrics/v1/metrics"}"#),
            [
                "metrics_endpoint: TLS is not supported yet: \"https://metrics/v1/metrics\" is https://, use an http:// URL"
            ]
        );
    }

    /// Guarantees: URLs that are not absolute http:// URLs with a host are refused, each under
    /// its key, all at once; an empty endpoint is refused (once) unless every signal has its
    /// own URL.
    #[test]
    fn bad_urls_are_refused() {
        assert_eq!(
            problems(
                r#"{"endpoint": "localhost:4318", "traces_endpoint": "ftp://x/y",
                    "logs_endpoint": "http://bad host/"}"#
            ),
            [
                "endpoint: \"localhost:4318\" is not an absolute URL: write it as http://host:port",
                "traces_endpoint: unsupported scheme \"ftp\" in \"ftp://x/y\": use an http:// URL",
                "logs_endpoint: invalid URL \"http://bad host/\": invalid uri character"
            ]
        );
        assert_eq!(
            problems(r#"{"endpoint": "", "logs_endpoint": "http://logs/v1/logs"}"#),
            [
                "endpoint: cannot be empty unless traces_endpoint, metrics_endpoint and logs_endpoint are all set (traces_endpoint is not)"
            ]
        );
        let all_overridden = decode_config::<OtlpHttpConfig>(
            r#"{"endpoint": "", "traces_endpoint": "http://t/", "metrics_endpoint": "http://m/",
                "logs_endpoint": "http://l/"}"#,
        );
        assert!(all_overridden.is_ok(), "{all_overridden:?}");
    }

    /// Guarantees: a header name or value HTTP cannot carry is refused naming the header (and
    /// never echoing the value); so are the headers that describe the body.
    #[test]
    fn bad_headers_are_refused_naming_the_key() {
        assert_eq!(
            problems(
                r#"{"headers": {"x tenant": "a", "x-token": "line\nbreak",
                    "Content-Encoding": "br", "authorization": "Bearer ok"}}"#
            ),
            [
                "headers::Content-Encoding: is set by the exporter (from `compression` and the OTLP protobuf encoding)",
                "headers::x tenant: invalid HTTP header name",
                "headers::x-token: invalid HTTP header value (control characters such as newlines are not allowed)"
            ]
        );
    }

    /// Guarantees: `compression` takes `gzip` and `none` (and empty, as Go does), and refuses
    /// anything else saying what is supported.
    #[test]
    fn compression_values() -> Result<(), Error> {
        let none: OtlpHttpConfig = decode_config(r#"{"compression": "none"}"#)?;
        assert_eq!(none.compression, Compression::None);
        let empty: OtlpHttpConfig = decode_config(r#"{"compression": ""}"#)?;
        assert_eq!(empty.compression, Compression::None);
        assert_eq!(
            problems(r#"{"compression": "zstd"}"#),
            [
                "compression: unsupported compression \"zstd\": rust_otlphttp supports \"gzip\" and \"none\""
            ]
        );
        Ok(())
    }

    /// Guarantees: unknown keys are refused, including the collector's own exporter keys,
    /// which never reach Rust (Go's exporterhelper owns them).
    #[test]
    fn unknown_keys_are_refused() {
        assert_eq!(
            problems(r#"{"endpont": "http://x"}"#),
            ["endpont: unknown configuration key"]
        );
        assert_eq!(
            problems(r#"{"timeout": "5s"}"#),
            ["timeout: unknown configuration key"]
        );
    }

    /// Guarantees: a config shown to the user (`print-config`) names the headers but hides
    /// their values.
    #[test]
    fn header_values_are_redacted_when_shown() -> Result<(), Error> {
        let config: OtlpHttpConfig =
            decode_config(r#"{"headers": {"authorization": "Bearer secret"}}"#)?;
        assert_eq!(config.headers["authorization"], "Bearer secret");
        let shown = encode_config(&config)?;
        assert_eq!(
            shown["headers"].to_string(),
            r#"{"authorization":"[REDACTED]"}"#
        );
        Ok(())
    }
}
