//! The `rust_otlphttp` extension's configuration.

use std::time::Duration;

use otelcol_rust_sdk::{Config, ConfigProblems, Error};
use serde::{Deserialize, Serialize};

/// Configuration of a `rust_otlphttp` extension: its keys under `extensions:` in the collector's
/// config, over these defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RustOtlphttpConfig {
    /// How often to beat, as a Go duration ("30s", "1m30s"). Must be greater than 0.
    #[serde(with = "otelcol_rust_sdk::duration")]
    pub interval: Duration,
    /// What each beat logs. Must not be empty.
    pub message: String,
}

impl Default for RustOtlphttpConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            message: "rust_otlphttp is alive".to_owned(),
        }
    }
}

impl Config for RustOtlphttpConfig {
    /// Reports every problem at once, each under the key at fault. Runs at config load
    /// (`validate`, start-up, reloads) and again before `start`.
    fn validate(&self) -> Result<(), Error> {
        let mut problems = ConfigProblems::new();
        if self.interval.is_zero() {
            problems.add("interval", "must be greater than 0");
        }
        if self.message.trim().is_empty() {
            problems.add("message", "cannot be empty");
        }
        problems.into_result()
    }
}

#[cfg(test)]
mod tests {
    use otelcol_rust_sdk::decode_config;

    use super::*;

    /// Guarantees: no keys (a bare `rust_otlphttp:` in the collector's config) give the defaults.
    #[test]
    fn defaults() -> Result<(), Error> {
        let config: RustOtlphttpConfig = decode_config("{}")?;
        assert_eq!(config.interval, Duration::from_secs(30));
        assert_eq!(config.message, "rust_otlphttp is alive");
        Ok(())
    }

    /// Guarantees: the user's keys are decoded over the defaults, durations written as in Go.
    #[test]
    fn keys_over_defaults() -> Result<(), Error> {
        let config: RustOtlphttpConfig = decode_config(r#"{"interval": "1m30s"}"#)?;
        assert_eq!(
            config,
            RustOtlphttpConfig {
                interval: Duration::from_secs(90),
                ..RustOtlphttpConfig::default()
            }
        );
        Ok(())
    }

    /// Guarantees: every problem is reported at once, under its key; unknown keys are refused.
    #[test]
    fn problems_name_their_keys() {
        let refused = decode_config::<RustOtlphttpConfig>(r#"{"interval": "0s", "message": " "}"#);
        let problems: Vec<String> = refused
            .err()
            .iter()
            .flat_map(|err| err.config_problems())
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            problems,
            [
                "interval: must be greater than 0",
                "message: cannot be empty"
            ]
        );
        let refused = decode_config::<RustOtlphttpConfig>(r#"{"intervall": "5s"}"#).err();
        let message = refused.map(|err| err.to_string());
        assert_eq!(
            message.as_deref(),
            Some("intervall: unknown configuration key")
        );
    }
}
