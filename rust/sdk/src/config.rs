//! Component configuration: decoding with paths in errors, unknown keys rejected, validation.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::Error;
use crate::error::{ConfigProblem, join_path};
use crate::tree::Node;

/// A component's configuration.
///
/// Implement it on a serde struct marked `#[serde(default)]` whose `Default` is the documented
/// default config. The collector merges the user's keys over the defaults before Rust sees them,
/// and Rust decodes with [`decode`], so unknown keys and wrong types are rejected with their path.
pub trait Config: Serialize + DeserializeOwned + Default + Send + 'static {
    /// Checks values that serde cannot (ranges, combinations).
    ///
    /// Name the key at fault with [`Error::invalid_field`], or collect every problem with
    /// [`ConfigProblems`](crate::ConfigProblems) so the user sees them all at once; each
    /// reaches the user as `path: message` under the component's own path.
    ///
    /// Called at config load and again before the instance is created.
    fn validate(&self) -> Result<(), Error>;
}

/// Decodes a JSON config, rejecting unknown keys and naming the path of any bad value, then
/// validates it.
///
/// Paths are written as the collector writes them (`timeout_ms`, `tls::cert_file`,
/// `targets[2]`). A value a config provider substituted (see the `tree` module) gives a string
/// field its text and any other field its parsed value, as for a Go component.
pub fn decode<C: Config>(json: &str) -> Result<C, Error> {
    let tree: Value = serde_json::from_str(json).map_err(|err| {
        // Only Go writes this text; a position into it is useful to whoever debugs Go.
        Error::ConfigDecode(ConfigProblem::new(
            "",
            format!("malformed config sent by Go: {err}"),
        ))
    })?;
    decode_tree(&tree)
}

/// Decodes a parsed config (see [`decode`]), then validates it.
fn decode_tree<C: Config>(tree: &Value) -> Result<C, Error> {
    let mut unknown = Vec::new();
    let mut record_unknown = |path: serde_ignored::Path<'_>| unknown.push(ignored_path(&path));
    let tracked = serde_ignored::Deserializer::new(Node(tree), &mut record_unknown);
    let config: C = serde_path_to_error::deserialize(tracked).map_err(|err| {
        Error::ConfigDecode(ConfigProblem::new(
            error_path(err.path()),
            err.inner().to_string(),
        ))
    })?;
    if let Some(path) = unknown.into_iter().next() {
        return Err(Error::ConfigDecode(ConfigProblem::new(
            path,
            "unknown configuration key",
        )));
    }
    config.validate()?;
    Ok(config)
}

/// The JSON form of a config (used for defaults and for the normalized config shown to Go).
pub fn encode<C: Config>(config: &C) -> Result<Value, Error> {
    serde_json::to_value(config).map_err(|err| {
        Error::ConfigDecode(ConfigProblem::new(
            "",
            format!("config cannot be encoded: {err}"),
        ))
    })
}

/// The path of a decode error, as the collector writes key paths.
fn error_path(path: &serde_path_to_error::Path) -> String {
    path.iter().fold(String::new(), |parent, segment| {
        let child = match segment {
            Segment::Seq { index } => format!("[{index}]"),
            Segment::Map { key } | Segment::Enum { variant: key } => key.clone(),
            Segment::Unknown => "?".to_owned(),
        };
        join_path(&parent, &child)
    })
}

/// The path of an unknown key, as the collector writes key paths.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => join_path(&ignored_path(parent), &format!("[{index}]")),
        Path::Map { parent, key } => join_path(&ignored_path(parent), key),
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::ConfigProblems;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Probe {
        name: String,
        label: Option<String>,
        verbose: bool,
        limits: Limits,
        targets: Vec<Limits>,
    }

    #[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
    #[serde(default)]
    struct Limits {
        max: u32,
        total: u64,
    }

    impl Default for Probe {
        fn default() -> Self {
            Self {
                name: "probe".to_owned(),
                label: None,
                verbose: false,
                limits: Limits::default(),
                targets: Vec::new(),
            }
        }
    }

    impl Config for Probe {
        fn validate(&self) -> Result<(), Error> {
            let mut problems = ConfigProblems::new();
            if self.name.is_empty() {
                problems.add("name", "cannot be empty");
            }
            if self.limits.max > 100 {
                problems.add("limits::max", "must be at most 100");
            }
            problems.into_result()
        }
    }

    fn expanded(value: &str, original: &str) -> String {
        format!(r#"{{"$otelcol.expanded":{{"value":{value},"original":"{original}"}}}}"#)
    }

    /// Guarantees: missing keys take the defaults.
    #[test]
    fn missing_keys_take_defaults() {
        let probe: Probe = decode(r#"{"limits":{"max":3}}"#).expect("valid");
        assert_eq!(probe.name, "probe");
        assert_eq!(probe.limits.max, 3);
    }

    /// Guarantees: an unknown key anywhere is rejected with its path in the collector's syntax.
    #[test]
    fn unknown_nested_key_is_rejected_with_path() {
        let err = decode::<Probe>(r#"{"limits":{"max":3,"mx":4}}"#).expect_err("unknown key");
        assert_eq!(err.to_string(), "limits::mx: unknown configuration key");
        let err = decode::<Probe>(r#"{"targets":[{},{},{"mx":1}]}"#).expect_err("unknown key");
        assert_eq!(err.to_string(), "targets[2]::mx: unknown configuration key");
    }

    /// Guarantees: a wrong type names the key path (`::` between keys, `[i]` for list
    /// elements) and the expected type, and nothing of the JSON text (no line or column).
    #[test]
    fn wrong_type_names_the_key_path() {
        let err = decode::<Probe>(r#"{"limits":{"max":"many"}}"#).expect_err("wrong type");
        assert_eq!(
            err.to_string(),
            "limits::max: invalid type: string \"many\", expected u32"
        );
        let err = decode::<Probe>(r#"{"targets":[{},{},{"max":-1}]}"#).expect_err("negative");
        assert_eq!(
            err.to_string(),
            "targets[2]::max: invalid value: integer `-1`, expected u32"
        );
        assert_eq!(
            err.config_problems(),
            [ConfigProblem::new(
                "targets[2]::max",
                "invalid value: integer `-1`, expected u32"
            )]
        );
    }

    /// Guarantees: validate() runs after decoding and every problem it reports is kept.
    #[test]
    fn validation_runs_after_decoding() {
        let err = decode::<Probe>(r#"{"name":"","limits":{"max":101}}"#).expect_err("invalid");
        assert_eq!(
            err,
            Error::InvalidConfig(vec![
                ConfigProblem::new("name", "cannot be empty"),
                ConfigProblem::new("limits::max", "must be at most 100"),
            ])
        );
    }

    /// Guarantees: a value a config provider substituted (`${env:X}`) reaches Rust as it
    /// reaches a Go component: a String field (also inside Option) gets the text, numbers and
    /// bools the parsed value.
    #[test]
    fn substituted_values_keep_their_meaning() {
        let json = format!(
            r#"{{"name":{},"label":{},"verbose":{},"limits":{{"max":{}}}}}"#,
            expanded("8080", "8080"),
            expanded("1.50", "1.50"),
            expanded("true", "true"),
            expanded("7", "7"),
        );
        let probe: Probe = decode(&json).expect("valid");
        assert_eq!(probe.name, "8080");
        assert_eq!(probe.label.as_deref(), Some("1.50"));
        assert!(probe.verbose);
        assert_eq!(probe.limits.max, 7);
        let normalized = encode(&probe).expect("encodes");
        assert_eq!(normalized["name"], "8080");
        assert_eq!(normalized["limits"]["max"], 7);
    }

    /// Guarantees: integers keep every digit, beyond 2^53 and up to the u64 maximum.
    #[test]
    fn integers_are_exact() {
        for total in [9_007_199_254_740_993_u64, u64::MAX] {
            let probe: Probe =
                decode(&format!(r#"{{"limits":{{"total":{total}}}}}"#)).expect("valid");
            assert_eq!(probe.limits.total, total);
            assert_eq!(encode(&probe).expect("encodes")["limits"]["total"], total);
        }
    }

    /// Guarantees: malformed text and non-maps are rejected, never ignored.
    #[test]
    fn malformed_json_is_rejected() {
        assert!(decode::<Probe>(r#"{"name":"a"} x"#).is_err());
        assert_eq!(
            decode::<Probe>("[1]").map_err(|err| err.to_string()),
            Err("invalid type: sequence, expected struct Probe".to_owned())
        );
        assert!(decode::<Probe>("").is_err());
    }

    #[test]
    fn encode_round_trips() {
        let value = encode(&Probe::default()).expect("encodes");
        let back: Probe = decode(&value.to_string()).expect("decodes");
        assert_eq!(back, Probe::default());
    }
}
