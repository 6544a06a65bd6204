//! `rust_redaction`: an OpenTelemetry Collector processor, written in Rust, that removes
//! attributes whose keys are not allowed and masks or hashes attribute values that match
//! patterns, for traces, metrics and logs.
//!
//! It is the attribute part of the collector-contrib `redactionprocessor` v0.164.0: the same
//! config keys, defaults and meaning, and the same output (values, attribute order, the
//! `redaction.*` summary attributes and their types) for resource, scope, span, span event,
//! metric data point and log record attributes. It answers [`Processed::Edits`]: the Go side
//! applies them to the batch in place, with pdata's `PutStr`, `PutInt` and `Remove`, exactly
//! the calls the Go processor makes.
//!
//! # Configuration
//!
//! ```yaml
//! processors:
//!   rust_redaction:
//!     allowed_keys: [http.request.method, http.route, payment.card, user.email]
//!     ignored_keys: [trace.sampled]
//!     blocked_key_patterns: ['.*token.*']
//!     blocked_values: ['4[0-9]{12}(?:[0-9]{3})?', '(5[1-5][0-9]{14})']
//!     allowed_values: ['.+@mycompany\.com$']
//!     hash_function: sha3
//!     summary: debug
//! ```
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `allow_all_keys` | `false` | keep every key; `allowed_keys` is not consulted |
//! | `allowed_keys` | `[]` | keys kept; every other attribute is removed (fails closed) |
//! | `ignored_keys`, `ignored_key_patterns` | `[]` | keys (names, regexes) passed through untouched |
//! | `blocked_key_patterns` | `[]` | regexes over keys: the whole value is masked |
//! | `blocked_values` | `[]` | regexes over values: each match is masked, pattern after pattern |
//! | `allowed_values` | `[]` | regexes over values: a matching value is never masked |
//! | `hash_function` | empty: `****` | `md5`, `sha1`, `sha3` (SHA3-256), `hmac-sha256`, `hmac-sha512`: hex digest of the masked part |
//! | `hmac_key` | empty | the HMAC key (at least 32 / 64 bytes); shown as `[REDACTED]` |
//! | `redact_all_types` | `false` | check non-string values in their text form; a masked one becomes a string |
//! | `summary` | `silent` | `debug` (counts and key lists), `info` (counts), `silent` |
//! | `url_sanitizer`, `db_sanitizer` | disabled | not supported: refused when enabled |
//!
//! Regexes are Go's syntax with Go's meaning (`\d`, `\w`, `\s`, `\b` are ASCII). A regex that
//! does not compile is refused at config load as `blocked_values[1]: invalid regex ...`.
//!
//! # Not redacted
//!
//! As in Go: span link attributes, exemplars, metric metadata. Unlike Go: log bodies (Go also
//! removes disallowed keys of map bodies, masks string bodies and writes `redaction.body.*`
//! attributes; this processor leaves bodies and those attributes alone) and span names (the
//! URL and database sanitizers). The crate's README lists every difference.

mod config;
mod go_regex;
#[cfg(test)]
mod golden;
mod redact;
#[cfg(test)]
mod tests;
mod value;
mod wire;

use otelcol_rust_sdk::{
    CreateSettings, Edits, Error, MapKind, ProcessBatch, ProcessContext, ProcessError, Processed,
    Processor, ProcessorFactory, Signal, Stability,
};

pub use config::{DbObfuscator, DbSanitizer, HashFunction, RedactionConfig, Summary, UrlSanitizer};
use redact::{MapEdits, Redactor};

/// Creates `rust_redaction` processors, for traces, metrics and logs pipelines.
pub struct RedactionFactory;

impl ProcessorFactory for RedactionFactory {
    const TYPE: &'static str = "rust_redaction";
    const STABILITY: Stability = Stability::Development;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];
    type Config = RedactionConfig;
    type Processor = RedactionProcessor;

    fn create(
        &self,
        _settings: &CreateSettings,
        config: RedactionConfig,
    ) -> Result<RedactionProcessor, Error> {
        let redactor = Redactor::new(&config).map_err(Error::invalid_config)?;
        Ok(RedactionProcessor { redactor })
    }
}

otelcol_rust_sdk::register_processor!(RedactionFactory);

/// A `rust_redaction` instance: its config, compiled.
pub struct RedactionProcessor {
    redactor: Redactor,
}

impl Processor for RedactionProcessor {
    fn process(
        &self,
        batch: &ProcessBatch<'_>,
        _ctx: &ProcessContext,
    ) -> Result<Processed, ProcessError> {
        let mut edits = Edits::new();
        // Read in place from the bytes: decoding the batch would cost twenty times the
        // redaction (see the wire module).
        wire::for_each_map(batch.signal(), batch.bytes(), |index, kind, entries| {
            // The Go processor does not visit span links.
            if kind != MapKind::SpanLink {
                self.redactor.redact(
                    entries,
                    &mut MapOf {
                        edits: &mut edits,
                        map: index,
                    },
                );
            }
        })
        // A batch that does not decode cannot be redacted; passing it on unredacted would
        // leak what it should hide.
        .map_err(|err| {
            ProcessError::permanent(format!(
                "cannot redact the batch: malformed {} batch: {err}",
                batch.signal()
            ))
        })?;
        Ok(if edits.is_empty() {
            Processed::Unchanged
        } else {
            Processed::Edits(edits)
        })
    }
}

/// The edits of one map of the batch.
struct MapOf<'a> {
    edits: &'a mut Edits,
    map: u32,
}

impl MapEdits for MapOf<'_> {
    fn set_str(&mut self, key: &str, value: String) {
        self.edits.set_str(self.map, key, value);
    }

    fn set_int(&mut self, key: &str, value: i64) {
        self.edits.set_int(self.map, key, value);
    }

    fn remove(&mut self, key: &str) {
        self.edits.remove(self.map, key);
    }
}
