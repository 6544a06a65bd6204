//! The `rust_otlphttp` receiver's configuration: its keys under `receivers:`, named as the Go
//! `otlpreceiver` names them under `protocols::http` (plus the limits Go does not have).

use std::time::Duration;

use otelcol_rust_sdk::{Config, ConfigProblems, Error, Signal};
use serde::{Deserialize, Serialize};

/// The address listened on when none is configured: the OTLP/HTTP port, this host only (as
/// Go's `otlpreceiver`).
pub const DEFAULT_RECEIVER_ENDPOINT: &str = "localhost:4318";

/// The largest request body accepted when none is configured, on the wire and after
/// decompression alike: confighttp's `max_request_body_size` default (20 MiB).
pub const DEFAULT_MAX_REQUEST_BODY_SIZE: u64 = 20 * 1024 * 1024;

/// How many requests are served at once when not configured.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 128;

/// The `Retry-After` of a 503 when the pipeline gave no wait of its own.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Configuration of a `rust_otlphttp` receiver, over these defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OtlpHttpReceiverConfig {
    /// `host:port` to listen on ([`DEFAULT_RECEIVER_ENDPOINT`]). An empty host (`:4318`)
    /// listens on every IPv4 interface; port 0 takes a free port (logged at start).
    pub endpoint: String,
    /// The path traces are POSTed to (`/v1/traces`); a `/` is put in front if missing, as Go
    /// does.
    pub traces_url_path: String,
    /// The path metrics are POSTed to (`/v1/metrics`).
    pub metrics_url_path: String,
    /// The path logs are POSTed to (`/v1/logs`).
    pub logs_url_path: String,
    /// The largest request body, in bytes, both as sent and once decompressed
    /// ([`DEFAULT_MAX_REQUEST_BODY_SIZE`]); a larger one is answered 413 and never read
    /// whole.
    pub max_request_body_size: u64,
    /// How many requests are read and delivered at once
    /// ([`DEFAULT_MAX_CONCURRENT_REQUESTS`]); one more is answered 429 with `Retry-After: 1`
    /// at once. With `max_request_body_size`, bounds the memory the bodies hold.
    pub max_concurrent_requests: u32,
    /// The `Retry-After` sent with a 503 (the pipeline refused the request for now) when the
    /// pipeline gave no wait of its own ([`DEFAULT_RETRY_AFTER`]); whole seconds, rounded up.
    #[serde(with = "otelcol_rust_sdk::duration")]
    pub retry_after: Duration,
}

impl Default for OtlpHttpReceiverConfig {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_RECEIVER_ENDPOINT.to_owned(),
            traces_url_path: "/v1/traces".to_owned(),
            metrics_url_path: "/v1/metrics".to_owned(),
            logs_url_path: "/v1/logs".to_owned(),
            max_request_body_size: DEFAULT_MAX_REQUEST_BODY_SIZE,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            retry_after: DEFAULT_RETRY_AFTER,
        }
    }
}

/// The signals in the order their keys are checked and reported.
const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

impl OtlpHttpReceiverConfig {
    /// The key that holds a signal's path.
    pub fn url_path_key(signal: Signal) -> &'static str {
        match signal {
            Signal::Traces => "traces_url_path",
            Signal::Metrics => "metrics_url_path",
            Signal::Logs => "logs_url_path",
        }
    }

    fn url_path_value(&self, signal: Signal) -> &str {
        match signal {
            Signal::Traces => &self.traces_url_path,
            Signal::Metrics => &self.metrics_url_path,
            Signal::Logs => &self.logs_url_path,
        }
    }

    /// The path `signal` is received on, with a leading `/` (added when the config has none,
    /// as Go's `SanitizedURLPath` does), or what is wrong with the configured one.
    pub fn url_path(&self, signal: Signal) -> Result<String, String> {
        let path = self.url_path_value(signal);
        if path.is_empty() {
            return Err("cannot be empty".to_owned());
        }
        if let Some(bad) = path
            .chars()
            .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#'))
        {
            return Err(format!(
                "{path:?} is not a URL path: {bad:?} is not allowed in one"
            ));
        }
        Ok(if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        })
    }

    /// The host and port to listen on: the host without brackets (`[::1]` gives `::1`), empty
    /// for every interface.
    pub fn listen_address(&self) -> Result<(&str, u16), String> {
        let endpoint = &self.endpoint;
        let Some((host, port)) = endpoint.rsplit_once(':') else {
            return Err(format!(
                "{endpoint:?} is not host:port (e.g. \"localhost:4318\" or \"0.0.0.0:4318\")"
            ));
        };
        let port: u16 = port.parse().map_err(|_| {
            format!("{endpoint:?} has no valid port (0 to 65535) after the last ':'")
        })?;
        let host = match host.strip_prefix('[') {
            Some(bracketed) => bracketed
                .strip_suffix(']')
                .ok_or_else(|| format!("{endpoint:?} opens an IPv6 '[' it does not close"))?,
            // An unbracketed IPv6 address: its last ':' was taken for the port's.
            None if host.contains(':') => {
                return Err(format!(
                    "{endpoint:?}: write an IPv6 address in brackets, as \"[::1]:4318\""
                ));
            }
            None => host,
        };
        Ok((host, port))
    }

    /// `max_request_body_size` as a length in memory.
    pub(crate) fn body_limit(&self) -> usize {
        // A limit past the address space is no limit below it.
        usize::try_from(self.max_request_body_size).unwrap_or(usize::MAX)
    }
}

impl Config for OtlpHttpReceiverConfig {
    /// Reports every problem at once, each under the key at fault.
    fn validate(&self) -> Result<(), Error> {
        let mut problems = ConfigProblems::new();
        if let Err(problem) = self.listen_address() {
            problems.add("endpoint", problem);
        }
        let mut paths: Vec<(Signal, String)> = Vec::with_capacity(SIGNALS.len());
        for signal in SIGNALS {
            match self.url_path(signal) {
                Ok(path) => {
                    // Go's ServeMux panics at start on a path registered twice; here it is a
                    // config error.
                    if let Some((first, _)) = paths.iter().find(|(_, other)| *other == path) {
                        problems.add(
                            Self::url_path_key(signal),
                            format!(
                                "{path:?} is {} too: each signal needs a path of its own",
                                Self::url_path_key(*first)
                            ),
                        );
                    }
                    paths.push((signal, path));
                }
                Err(problem) => {
                    problems.add(Self::url_path_key(signal), problem);
                }
            }
        }
        if self.max_request_body_size == 0 {
            problems.add("max_request_body_size", "must be at least 1 (bytes)");
        }
        if self.max_concurrent_requests == 0 {
            problems.add("max_concurrent_requests", "must be at least 1");
        }
        if self.retry_after.is_zero() {
            problems.add(
                "retry_after",
                "must be more than 0s: clients would retry at once",
            );
        }
        problems.into_result()
    }
}

#[cfg(test)]
mod tests {
    use otelcol_rust_sdk::{decode_config, encode_config};

    use super::*;

    fn problems(json: &str) -> Vec<String> {
        decode_config::<OtlpHttpReceiverConfig>(json)
            .err()
            .iter()
            .flat_map(|err| err.config_problems())
            .map(ToString::to_string)
            .collect()
    }

    /// Guarantees: no keys give the documented defaults (Go's otlpreceiver HTTP endpoint and
    /// paths, confighttp's 20 MiB body limit), shown in the collector's forms.
    #[test]
    fn defaults() -> Result<(), Error> {
        let config: OtlpHttpReceiverConfig = decode_config("{}")?;
        assert_eq!(config, OtlpHttpReceiverConfig::default());
        assert_eq!(config.listen_address(), Ok(("localhost", 4318)));
        assert_eq!(config.url_path(Signal::Logs), Ok("/v1/logs".to_owned()));
        assert_eq!(config.body_limit(), 20 * 1024 * 1024);
        assert_eq!(
            encode_config(&config)?.to_string(),
            r#"{"endpoint":"localhost:4318","logs_url_path":"/v1/logs","max_concurrent_requests":128,"max_request_body_size":20971520,"metrics_url_path":"/v1/metrics","retry_after":"1s","traces_url_path":"/v1/traces"}"#
        );
        Ok(())
    }

    /// Guarantees: endpoints are host:port with an optional host, bracketed IPv6 and port 0;
    /// anything else is refused under `endpoint` saying what is expected.
    #[test]
    fn endpoints() {
        let address = |endpoint: &str| {
            OtlpHttpReceiverConfig {
                endpoint: endpoint.to_owned(),
                ..OtlpHttpReceiverConfig::default()
            }
            .listen_address()
            .map(|(host, port)| (host.to_owned(), port))
        };
        assert_eq!(address("127.0.0.1:0"), Ok(("127.0.0.1".to_owned(), 0)));
        assert_eq!(address(":4318"), Ok((String::new(), 4318)));
        assert_eq!(address("[::1]:4318"), Ok(("::1".to_owned(), 4318)));
        assert_eq!(
            problems(r#"{"endpoint": "localhost"}"#),
            [
                "endpoint: \"localhost\" is not host:port (e.g. \"localhost:4318\" or \"0.0.0.0:4318\")"
            ]
        );
        assert_eq!(
            problems(r#"{"endpoint": "localhost:http"}"#),
            ["endpoint: \"localhost:http\" has no valid port (0 to 65535) after the last ':'"]
        );
        assert_eq!(
            problems(r#"{"endpoint": "::1:4318"}"#),
            ["endpoint: \"::1:4318\": write an IPv6 address in brackets, as \"[::1]:4318\""]
        );
        assert_eq!(
            problems(r#"{"endpoint": "[::1:4318"}"#),
            ["endpoint: \"[::1:4318\" opens an IPv6 '[' it does not close"]
        );
    }

    /// Guarantees: a path without its leading `/` gets one, as Go sanitizes it; empty paths,
    /// paths with a query, fragment or spaces, and two signals on one path are refused, all
    /// at once, each under its key.
    #[test]
    fn url_paths() -> Result<(), Error> {
        let config: OtlpHttpReceiverConfig =
            decode_config(r#"{"traces_url_path": "otlp/traces"}"#)?;
        assert_eq!(
            config.url_path(Signal::Traces),
            Ok("/otlp/traces".to_owned())
        );
        assert_eq!(
            problems(
                r#"{"traces_url_path": "", "metrics_url_path": "/m?x=1",
                    "logs_url_path": "/my logs"}"#
            ),
            [
                "traces_url_path: cannot be empty",
                "metrics_url_path: \"/m?x=1\" is not a URL path: '?' is not allowed in one",
                "logs_url_path: \"/my logs\" is not a URL path: ' ' is not allowed in one"
            ]
        );
        assert_eq!(
            problems(r#"{"logs_url_path": "v1/traces"}"#),
            [
                "logs_url_path: \"/v1/traces\" is traces_url_path too: each signal needs a path of its own"
            ]
        );
        Ok(())
    }

    /// Guarantees: limits of zero and a zero `retry_after` are refused; `retry_after` is a Go
    /// duration; unknown keys (Go's `protocols`, `cors`...) are refused.
    #[test]
    fn limits_and_unknown_keys() -> Result<(), Error> {
        assert_eq!(
            problems(
                r#"{"max_request_body_size": 0, "max_concurrent_requests": 0, "retry_after": "0s"}"#
            ),
            [
                "max_request_body_size: must be at least 1 (bytes)",
                "max_concurrent_requests: must be at least 1",
                "retry_after: must be more than 0s: clients would retry at once"
            ]
        );
        let config: OtlpHttpReceiverConfig = decode_config(r#"{"retry_after": "1m30s"}"#)?;
        assert_eq!(config.retry_after, Duration::from_secs(90));
        assert_eq!(
            problems(r#"{"protocols": {"http": {}}}"#),
            ["protocols: unknown configuration key"]
        );
        assert_eq!(
            problems(r#"{"max_request_body_size": -1}"#),
            ["max_request_body_size: invalid value: integer `-1`, expected u64"]
        );
        Ok(())
    }
}
