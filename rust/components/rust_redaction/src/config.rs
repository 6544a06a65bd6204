//! The `rust_redaction` processor's configuration: the Go redactionprocessor's keys (v0.164.0),
//! with the same meaning and defaults.

use std::fmt;

use otelcol_rust_sdk::{Config, ConfigProblems, Error};
use serde::{Deserialize, Serialize, Serializer};

use crate::go_regex;

/// Configuration of a `rust_redaction` processor. The defaults are the Go processor's: no key
/// allowed (every attribute is removed), no patterns, masking with `****`, string values only,
/// no summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RedactionConfig {
    /// Keep every key: `allowed_keys` is not consulted. `blocked_values` and
    /// `blocked_key_patterns` still apply.
    pub allow_all_keys: bool,
    /// The keys kept; every other attribute is removed (fails closed: empty removes them all,
    /// unless `allow_all_keys`).
    pub allowed_keys: Vec<String>,
    /// Keys passed through untouched: never removed, their values never checked.
    pub ignored_keys: Vec<String>,
    /// Regexes (unanchored) over keys, with the effect of `ignored_keys`.
    pub ignored_key_patterns: Vec<String>,
    /// Regexes over keys: the whole value of a kept key that matches one is masked.
    pub blocked_key_patterns: Vec<String>,
    /// Regexes over values: every match in the value of a kept key is masked, the patterns
    /// applied one after the other in this order.
    pub blocked_values: Vec<String>,
    /// Regexes over values: a value that matches one is left alone, even if it matches
    /// `blocked_values` or its key matches `blocked_key_patterns`.
    pub allowed_values: Vec<String>,
    /// What a masked part becomes: `****` (none, the default), or its hex digest.
    pub hash_function: HashFunction,
    /// The key of `hmac-sha256` (at least 32 bytes) and `hmac-sha512` (at least 64 bytes).
    /// Shown as `[REDACTED]` by `print-config`.
    #[serde(serialize_with = "redacted")]
    pub hmac_key: String,
    /// Check and mask values of every type in their text form (ints, doubles, bools, bytes,
    /// maps and slices as pdata's `AsString` writes them); a masked value becomes a string.
    /// By default only string values are checked.
    pub redact_all_types: bool,
    /// The `redaction.*` attributes written on each changed map: `debug` (counts and key
    /// lists), `info` (counts), `silent` or empty (none, the default).
    pub summary: Summary,
    /// Not supported: refused when enabled (the Go processor's URL sanitizer).
    pub url_sanitizer: UrlSanitizer,
    /// Not supported: refused when enabled (the Go processor's database obfuscators).
    pub db_sanitizer: DbSanitizer,
}

/// `hash_function`: what a masked part is replaced with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum HashFunction {
    /// Empty (the default): `****` for every masked part.
    #[default]
    None,
    /// `md5`: the MD5 digest of the part, lower-case hex.
    Md5,
    /// `sha1`: the SHA-1 digest, lower-case hex.
    Sha1,
    /// `sha3`: the SHA3-256 digest, lower-case hex.
    Sha3,
    /// `hmac-sha256`: the HMAC-SHA256 of the part under `hmac_key`, lower-case hex.
    HmacSha256,
    /// `hmac-sha512`: the HMAC-SHA512 of the part under `hmac_key`, lower-case hex.
    HmacSha512,
}

impl HashFunction {
    fn name(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha3 => "sha3",
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha512 => "hmac-sha512",
        }
    }
}

impl TryFrom<String> for HashFunction {
    type Error = String;

    /// Case-insensitive, as Go's `UnmarshalText`, with its message for anything else.
    fn try_from(value: String) -> Result<Self, String> {
        let lower = value.to_lowercase();
        [
            Self::None,
            Self::Md5,
            Self::Sha1,
            Self::Sha3,
            Self::HmacSha256,
            Self::HmacSha512,
        ]
        .into_iter()
        .find(|function| function.name() == lower)
        .ok_or_else(|| {
            format!(
                "unknown HashFunction {lower}, allowed functions are sha1, sha3, md5, hmac-sha256 and hmac-sha512"
            )
        })
    }
}

impl From<HashFunction> for String {
    fn from(function: HashFunction) -> Self {
        function.name().to_owned()
    }
}

impl fmt::Display for HashFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `summary`: which `redaction.*` attributes are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Summary {
    /// `silent`, or empty (the default): none. The processor then treats `redaction.*`
    /// attributes it finds as ordinary keys.
    #[default]
    Silent,
    /// `info`: the `redaction.*.count` attributes.
    Info,
    /// `debug`: the counts and the `redaction.*.keys` lists.
    Debug,
}

impl Summary {
    /// Whether summary attributes are written at all (Go's `summaryEnabled`).
    pub(crate) fn enabled(self) -> bool {
        self != Self::Silent
    }
}

impl TryFrom<String> for Summary {
    type Error = String;

    /// Go treats every value but `debug` and `info` as silent, so a typo (`Debug`) silently
    /// drops the audit trail; here it is refused.
    fn try_from(value: String) -> Result<Self, String> {
        match value.as_str() {
            "" | "silent" => Ok(Self::Silent),
            "info" => Ok(Self::Info),
            "debug" => Ok(Self::Debug),
            other => Err(format!(
                "unknown summary {other:?}: use \"debug\", \"info\" or \"silent\""
            )),
        }
    }
}

impl From<Summary> for String {
    fn from(summary: Summary) -> Self {
        match summary {
            Summary::Silent => "silent",
            Summary::Info => "info",
            Summary::Debug => "debug",
        }
        .to_owned()
    }
}

/// The Go processor's `url_sanitizer`, accepted so that a Go config that leaves it disabled
/// loads unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UrlSanitizer {
    /// Refused when true: URL sanitization is not implemented.
    pub enabled: bool,
    /// The attributes Go would sanitize (unused).
    pub attributes: Vec<String>,
    /// Whether Go would sanitize span names (unused).
    pub sanitize_span_name: Option<bool>,
}

/// The Go processor's `db_sanitizer`, accepted so that a Go config that leaves every
/// obfuscator disabled loads unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DbSanitizer {
    /// SQL obfuscation: refused when enabled.
    pub sql: DbObfuscator,
    /// Redis: refused when enabled.
    pub redis: DbObfuscator,
    /// Valkey: refused when enabled.
    pub valkey: DbObfuscator,
    /// Memcached: refused when enabled.
    pub memcached: DbObfuscator,
    /// MongoDB: refused when enabled.
    pub mongo: DbObfuscator,
    /// OpenSearch: refused when enabled.
    pub opensearch: DbObfuscator,
    /// Elasticsearch: refused when enabled.
    pub es: DbObfuscator,
    /// Whether Go would sanitize span names (unused).
    pub sanitize_span_name: Option<bool>,
}

/// One database obfuscator of `db_sanitizer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DbObfuscator {
    /// Refused when true: database obfuscation is not implemented.
    pub enabled: bool,
    /// The attributes Go would obfuscate (unused).
    pub attributes: Vec<String>,
}

impl DbSanitizer {
    fn obfuscators(&self) -> [(&'static str, &DbObfuscator); 7] {
        [
            ("sql", &self.sql),
            ("redis", &self.redis),
            ("valkey", &self.valkey),
            ("memcached", &self.memcached),
            ("mongo", &self.mongo),
            ("opensearch", &self.opensearch),
            ("es", &self.es),
        ]
    }
}

/// The key is a secret (Go's `configopaque.String`): shown as `[REDACTED]`, and as empty when
/// it is empty, so that the defaults Go merges user keys over stay empty.
fn redacted<S: Serializer>(key: &str, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(if key.is_empty() { "" } else { "[REDACTED]" })
}

impl RedactionConfig {
    /// The regex lists by key, in the order they are checked and reported.
    pub(crate) fn pattern_lists(&self) -> [(&'static str, &[String]); 4] {
        [
            ("ignored_key_patterns", &self.ignored_key_patterns),
            ("blocked_key_patterns", &self.blocked_key_patterns),
            ("blocked_values", &self.blocked_values),
            ("allowed_values", &self.allowed_values),
        ]
    }
}

impl Config for RedactionConfig {
    /// Every regex must compile (reported as `blocked_values[2]: invalid regex ...`); the
    /// HMAC functions need a key of the length Go requires; the sanitizers, not implemented,
    /// are refused when enabled rather than ignored.
    fn validate(&self) -> Result<(), Error> {
        let mut problems = ConfigProblems::new();
        for (key, patterns) in self.pattern_lists() {
            for (index, pattern) in patterns.iter().enumerate() {
                if let Err(reason) = go_regex::compile(pattern) {
                    problems.add(format!("{key}[{index}]"), reason);
                }
            }
        }
        let min_key_len = match self.hash_function {
            HashFunction::HmacSha256 => 32,
            HashFunction::HmacSha512 => 64,
            _ => 0,
        };
        if min_key_len > 0 {
            let function = self.hash_function;
            if self.hmac_key.is_empty() {
                problems.add(
                    "hmac_key",
                    format!(
                        "must not be empty when hash_function is {:?}",
                        function.name()
                    ),
                );
            } else if self.hmac_key.len() < min_key_len {
                problems.add(
                    "hmac_key",
                    format!(
                        "must be at least {min_key_len} bytes long for {:?}, got {} bytes",
                        function.name(),
                        self.hmac_key.len()
                    ),
                );
            }
        }
        if self.url_sanitizer.enabled {
            problems.add(
                "url_sanitizer::enabled",
                "URL sanitization is not supported by rust_redaction; use the Go redactionprocessor for it",
            );
        }
        for (name, obfuscator) in self.db_sanitizer.obfuscators() {
            if obfuscator.enabled {
                problems.add(
                    format!("db_sanitizer::{name}::enabled"),
                    "database query sanitization is not supported by rust_redaction; use the Go redactionprocessor for it",
                );
            }
        }
        problems.into_result()
    }
}

#[cfg(test)]
mod tests {
    use otelcol_rust_sdk::{decode_config, encode_config};

    use super::*;

    fn problems(json: &str) -> Vec<String> {
        decode_config::<RedactionConfig>(json)
            .err()
            .iter()
            .flat_map(|err| err.config_problems())
            .map(ToString::to_string)
            .collect()
    }

    /// Guarantees: no keys give the Go processor's defaults (fail closed, mask, silent), and
    /// the defaults encode with an empty `hmac_key` (not `[REDACTED]`, which Go would then
    /// merge user keys over).
    #[test]
    fn defaults() -> Result<(), Error> {
        let config: RedactionConfig = decode_config("{}")?;
        assert_eq!(config, RedactionConfig::default());
        assert!(!config.allow_all_keys && config.allowed_keys.is_empty());
        assert_eq!(config.hash_function, HashFunction::None);
        assert_eq!(config.summary, Summary::Silent);
        let encoded = encode_config(&config)?;
        assert_eq!(encoded["hmac_key"], "");
        assert_eq!(encoded["hash_function"], "");
        assert_eq!(encoded["summary"], "silent");
        Ok(())
    }

    /// Guarantees: every key of the Go processor's README example decodes, hash_function
    /// case-insensitively as in Go; the HMAC key is hidden when shown.
    #[test]
    fn go_keys_decode() -> Result<(), Error> {
        let config: RedactionConfig = decode_config(
            r#"{"allow_all_keys": false, "allowed_keys": ["description", "group"],
                "ignored_keys": ["safe_attribute"], "ignored_key_patterns": ["^safe_.*"],
                "redact_all_types": true, "blocked_key_patterns": [".*token.*"],
                "blocked_values": ["4[0-9]{12}(?:[0-9]{3})?"], "allowed_values": [".+@mycompany.com"],
                "hash_function": "HMAC-SHA256", "hmac_key": "0123456789abcdef0123456789abcdef",
                "summary": "debug",
                "url_sanitizer": {"enabled": false, "attributes": ["http.url"], "sanitize_span_name": true},
                "db_sanitizer": {"sanitize_span_name": false, "sql": {"enabled": false, "attributes": ["db.statement"]}}}"#,
        )?;
        assert_eq!(config.hash_function, HashFunction::HmacSha256);
        assert_eq!(config.summary, Summary::Debug);
        assert_eq!(config.ignored_key_patterns, ["^safe_.*"]);
        assert_eq!(encode_config(&config)?["hmac_key"], "[REDACTED]");
        Ok(())
    }

    /// Guarantees: an invalid regex is refused under its list and index, every one at once.
    #[test]
    fn bad_regexes_name_key_and_index() {
        assert_eq!(
            problems(
                r#"{"blocked_values": ["ok", "(unclosed"], "ignored_key_patterns": ["[z-a]"],
                    "allowed_values": ["*"]}"#
            ),
            [
                "ignored_key_patterns[0]: invalid regex \"[z-a]\": invalid character class range, the start must be <= the end",
                "blocked_values[1]: invalid regex \"(unclosed\": unclosed group",
                "allowed_values[0]: invalid regex \"*\": repetition operator missing expression",
            ]
        );
    }

    /// Guarantees: Go's hmac_key rules and messages: required for the HMAC functions, at
    /// least 32 bytes for SHA-256 and 64 for SHA-512; unused otherwise.
    #[test]
    fn hmac_key_rules() {
        assert_eq!(
            problems(r#"{"hash_function": "hmac-sha256"}"#),
            ["hmac_key: must not be empty when hash_function is \"hmac-sha256\""]
        );
        assert_eq!(
            problems(
                r#"{"hash_function": "hmac-sha512", "hmac_key": "0123456789abcdef0123456789abcdef"}"#
            ),
            ["hmac_key: must be at least 64 bytes long for \"hmac-sha512\", got 32 bytes"]
        );
        assert_eq!(
            problems(
                r#"{"hash_function": "hmac-sha256", "hmac_key": "0123456789abcdef0123456789abcdef"}"#
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            problems(r#"{"hash_function": "md5", "hmac_key": "short"}"#),
            Vec::<String>::new()
        );
    }

    /// Guarantees: unknown hash functions and summaries are refused saying what is allowed.
    #[test]
    fn enumerations() {
        assert_eq!(
            problems(r#"{"hash_function": "sha256"}"#),
            [
                "hash_function: unknown HashFunction sha256, allowed functions are sha1, sha3, md5, hmac-sha256 and hmac-sha512"
            ]
        );
        assert_eq!(
            problems(r#"{"summary": "Debug"}"#),
            ["summary: unknown summary \"Debug\": use \"debug\", \"info\" or \"silent\""]
        );
        for (summary, want) in [
            ("", Summary::Silent),
            ("silent", Summary::Silent),
            ("info", Summary::Info),
        ] {
            let config: Result<RedactionConfig, _> =
                decode_config(&format!(r#"{{"summary": "{summary}"}}"#));
            assert_eq!(config.map(|config| config.summary), Ok(want));
        }
    }

    /// Guarantees: the sanitizers are refused when enabled, naming the key; unknown keys are
    /// refused.
    #[test]
    fn unsupported_sanitizers_are_refused() {
        assert_eq!(
            problems(
                r#"{"url_sanitizer": {"enabled": true}, "db_sanitizer": {"sql": {"enabled": true}, "es": {"enabled": true}}}"#
            ),
            [
                "url_sanitizer::enabled: URL sanitization is not supported by rust_redaction; use the Go redactionprocessor for it",
                "db_sanitizer::sql::enabled: database query sanitization is not supported by rust_redaction; use the Go redactionprocessor for it",
                "db_sanitizer::es::enabled: database query sanitization is not supported by rust_redaction; use the Go redactionprocessor for it",
            ]
        );
        assert_eq!(
            problems(r#"{"alowed_keys": ["a"]}"#),
            ["alowed_keys: unknown configuration key"]
        );
    }
}
