//! `rust_redaction` (work in progress).

// Wired to the processor once the SDK's processor API lands.
#[allow(dead_code)]
mod config;
// Wired to the processor once the SDK's processor API lands.
#[allow(dead_code)]
mod go_regex;
#[cfg(test)]
mod golden;
// Wired to the processor once the SDK's processor API lands.
#[allow(dead_code)]
mod redact;
// Wired to the processor once the SDK's processor API lands.
#[allow(dead_code)]
mod value;

pub use config::{DbObfuscator, DbSanitizer, HashFunction, RedactionConfig, Summary, UrlSanitizer};
