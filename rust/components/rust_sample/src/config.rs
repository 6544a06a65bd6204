//! The `rust_sample` configuration.

use otelcol_rust_sdk::{Config, ConfigProblems, Error};
use serde::{Deserialize, Serialize};

/// Configuration of a `rust_sample` extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SampleConfig {
    /// Address the status endpoint listens on, `host:port`.
    pub endpoint: String,
    /// How long shutdown waits for open connections, in milliseconds. Must be > 0.
    pub timeout_ms: u64,
    /// Whether to serve the endpoint at all.
    pub enabled: bool,
    /// Ids of extensions that must start before this one (and stop after it).
    pub depends_on: Vec<String>,
}

impl Default for SampleConfig {
    fn default() -> Self {
        Self {
            endpoint: "localhost:8080".to_owned(),
            timeout_ms: 5000,
            enabled: true,
            depends_on: Vec::new(),
        }
    }
}

impl Config for SampleConfig {
    /// Reports every problem at once, each under the key at fault.
    fn validate(&self) -> Result<(), Error> {
        let mut problems = ConfigProblems::new();
        if self.timeout_ms == 0 {
            problems.add("timeout_ms", "must be greater than 0");
        }
        if self.endpoint.trim().is_empty() {
            problems.add("endpoint", "cannot be empty");
        }
        problems.into_result()
    }
}

#[cfg(test)]
mod tests {
    use otelcol_rust_sdk::decode_config;

    use super::*;

    /// Guarantees: the documented defaults.
    #[test]
    fn defaults() {
        let config: SampleConfig = decode_config("{}").expect("defaults are valid");
        assert_eq!(config.endpoint, "localhost:8080");
        assert_eq!(config.timeout_ms, 5000);
        assert!(config.enabled);
        assert!(config.depends_on.is_empty());
    }

    /// Guarantees: a partial config keeps the other defaults.
    #[test]
    fn partial_config_keeps_defaults() {
        let config: SampleConfig = decode_config(r#"{"enabled":false}"#).expect("valid");
        assert_eq!(
            config,
            SampleConfig {
                enabled: false,
                ..SampleConfig::default()
            }
        );
    }

    /// Guarantees: the two validation rules and their exact messages, each naming its key,
    /// reported together when both fail.
    #[test]
    fn validation_messages() {
        let err = decode_config::<SampleConfig>(r#"{"timeout_ms":0}"#).expect_err("zero");
        assert_eq!(err.to_string(), "timeout_ms: must be greater than 0");
        let err = decode_config::<SampleConfig>(r#"{"endpoint":" "}"#).expect_err("empty");
        assert_eq!(err.to_string(), "endpoint: cannot be empty");
        let err =
            decode_config::<SampleConfig>(r#"{"timeout_ms":0,"endpoint":""}"#).expect_err("both");
        let problems: Vec<String> = err
            .config_problems()
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            problems,
            [
                "timeout_ms: must be greater than 0",
                "endpoint: cannot be empty"
            ]
        );
    }

    /// Guarantees: unknown keys and wrong types are rejected with the key's path.
    #[test]
    fn unknown_keys_and_wrong_types() {
        let err = decode_config::<SampleConfig>(r#"{"endpont":"x:1"}"#).expect_err("unknown");
        assert_eq!(err.to_string(), "endpont: unknown configuration key");
        let err = decode_config::<SampleConfig>(r#"{"timeout_ms":"soon"}"#).expect_err("type");
        assert_eq!(
            err.to_string(),
            "timeout_ms: invalid type: string \"soon\", expected u64"
        );
        let err = decode_config::<SampleConfig>(r#"{"timeout_ms":-1}"#).expect_err("negative");
        assert_eq!(
            err.to_string(),
            "timeout_ms: invalid value: integer `-1`, expected u64"
        );
        let err = decode_config::<SampleConfig>(r#"{"depends_on":["a",5]}"#).expect_err("list");
        assert_eq!(
            err.to_string(),
            "depends_on[1]: invalid type: integer `5`, expected a string"
        );
    }
}
