//! Component configuration: decoding with paths in errors, unknown keys rejected, validation.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;

/// A component's configuration.
///
/// Implement it on a serde struct marked `#[serde(default)]` whose `Default` is the documented
/// default config. The collector merges the user's keys over the defaults before Rust sees them,
/// and Rust decodes with [`decode`], so unknown keys and wrong types are rejected with their path.
pub trait Config: Serialize + DeserializeOwned + Default + Send + 'static {
    /// Checks values that serde cannot (ranges, combinations).
    ///
    /// Called at config load and again before the instance is created.
    fn validate(&self) -> Result<(), Error>;
}

/// Decodes a JSON config, rejecting unknown keys and naming the path of any bad value, then
/// validates it.
pub fn decode<C: Config>(json: &str) -> Result<C, Error> {
    let mut unknown = Vec::new();
    let mut json_de = serde_json::Deserializer::from_str(json);
    let mut record_unknown = |path: serde_ignored::Path<'_>| unknown.push(path.to_string());
    let tracked = serde_ignored::Deserializer::new(&mut json_de, &mut record_unknown);
    let config: C =
        serde_path_to_error::deserialize(tracked).map_err(|err| Error::ConfigDecode {
            path: err.path().to_string(),
            message: err.inner().to_string(),
        })?;
    json_de.end().map_err(|err| Error::ConfigDecode {
        path: ".".to_owned(),
        message: err.to_string(),
    })?;
    if let Some(path) = unknown.into_iter().next() {
        return Err(Error::ConfigDecode {
            path,
            message: "unknown configuration key".to_owned(),
        });
    }
    config.validate()?;
    Ok(config)
}

/// The JSON form of a config (used for defaults and for the normalized config shown to Go).
pub fn encode<C: Config>(config: &C) -> Result<serde_json::Value, Error> {
    serde_json::to_value(config).map_err(|err| Error::ConfigDecode {
        path: ".".to_owned(),
        message: format!("config cannot be encoded: {err}"),
    })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Probe {
        name: String,
        limits: Limits,
    }

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Limits {
        max: u32,
    }

    impl Default for Probe {
        fn default() -> Self {
            Self {
                name: "probe".to_owned(),
                limits: Limits::default(),
            }
        }
    }

    impl Config for Probe {
        fn validate(&self) -> Result<(), Error> {
            if self.name.is_empty() {
                return Err(Error::invalid_config("name cannot be empty"));
            }
            Ok(())
        }
    }

    /// Guarantees: missing keys take the defaults.
    #[test]
    fn missing_keys_take_defaults() {
        let probe: Probe = decode(r#"{"limits":{"max":3}}"#).expect("valid");
        assert_eq!(probe.name, "probe");
        assert_eq!(probe.limits.max, 3);
    }

    /// Guarantees: an unknown key anywhere is rejected with its path.
    #[test]
    fn unknown_nested_key_is_rejected_with_path() {
        let err = decode::<Probe>(r#"{"limits":{"max":3,"mx":4}}"#).expect_err("unknown key");
        assert_eq!(err.to_string(), "limits.mx: unknown configuration key");
    }

    /// Guarantees: a wrong type names the key and the expected type.
    #[test]
    fn wrong_type_names_the_key() {
        let err = decode::<Probe>(r#"{"limits":{"max":"many"}}"#).expect_err("wrong type");
        let text = err.to_string();
        assert!(
            text.starts_with("limits.max: invalid type: string \"many\""),
            "{text}"
        );
    }

    /// Guarantees: validate() runs after decoding.
    #[test]
    fn validation_runs_after_decoding() {
        let err = decode::<Probe>(r#"{"name":""}"#).expect_err("invalid");
        assert_eq!(err, Error::invalid_config("name cannot be empty"));
    }

    /// Guarantees: trailing garbage and non-objects are rejected, never ignored.
    #[test]
    fn malformed_json_is_rejected() {
        assert!(decode::<Probe>(r#"{"name":"a"} x"#).is_err());
        assert!(decode::<Probe>("[1]").is_err());
        assert!(decode::<Probe>("").is_err());
    }

    #[test]
    fn encode_round_trips() {
        let value = encode(&Probe::default()).expect("encodes");
        let back: Probe = decode(&value.to_string()).expect("decodes");
        assert_eq!(back, Probe::default());
    }
}
