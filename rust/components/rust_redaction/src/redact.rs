//! The redaction of one attribute map: the Go redactionprocessor's `processAttrs` and
//! `addMetaAttrs` (v0.164.0), answered as the edits that turn the map into what Go leaves.
//!
//! Go changes the map as it goes: `SetStr` on each masked value during its one pass over the
//! attributes, then `Remove` of each removed key, then the summary's `Remove`, `PutStr` and
//! `PutInt`. The edits here are those calls, in that order, with pdata's meaning (a remove
//! swaps the last entry into the removed one's place), so the Go side applying them produces
//! exactly Go's map, attribute order included.

use std::borrow::Cow;

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use regex::Regex;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use sha3::Sha3_256;

use crate::config::{HashFunction, RedactionConfig, Summary};
use crate::go_regex;
use crate::wire::Entry;

/// The edits of one attribute map, with pdata's `PutStr`, `PutInt` and `Remove` meaning.
pub(crate) trait MapEdits {
    /// `PutStr`: the first entry with `key` becomes the string in place, else one is appended.
    fn set_str(&mut self, key: &str, value: String);
    /// `PutInt`, likewise with an int.
    fn set_int(&mut self, key: &str, value: i64);
    /// `Remove`: the first entry with `key` is replaced by the last entry and the map
    /// shortened by one; nothing if there is none.
    fn remove(&mut self, key: &str);
}

// The summary attributes (Go's redactionRedactedKeys ... redactionBodyIgnoredCount).
pub(crate) const REDACTED_KEYS: &str = "redaction.redacted.keys";
pub(crate) const REDACTED_COUNT: &str = "redaction.redacted.count";
pub(crate) const MASKED_KEYS: &str = "redaction.masked.keys";
pub(crate) const MASKED_COUNT: &str = "redaction.masked.count";
pub(crate) const ALLOWED_KEYS: &str = "redaction.allowed.keys";
pub(crate) const ALLOWED_COUNT: &str = "redaction.allowed.count";
pub(crate) const IGNORED_COUNT: &str = "redaction.ignored.count";

/// Whether the processor writes `key` to describe its own work (Go's `isSummaryAttr`; the
/// log-body ones included, though this processor does not write them).
fn is_summary_attr(key: &str) -> bool {
    key.starts_with("redaction.")
        && matches!(
            key,
            REDACTED_KEYS
                | REDACTED_COUNT
                | MASKED_KEYS
                | MASKED_COUNT
                | ALLOWED_KEYS
                | ALLOWED_COUNT
                | IGNORED_COUNT
                | "redaction.body.redacted.keys"
                | "redaction.body.redacted.count"
                | "redaction.body.masked.keys"
                | "redaction.body.masked.count"
                | "redaction.body.allowed.keys"
                | "redaction.body.allowed.count"
                | "redaction.body.ignored.count"
        )
}

/// What a masked part becomes (Go's `maskValue`'s hash function).
enum Masker {
    Stars,
    Md5,
    Sha1,
    Sha3,
    // Keyed once; each use clones the keyed state.
    HmacSha256(Hmac<Sha256>),
    HmacSha512(Hmac<Sha512>),
}

impl Masker {
    fn new(function: HashFunction, key: &str) -> Result<Self, String> {
        let invalid_key = |err: hmac::digest::InvalidLength| format!("hmac_key: {err}");
        Ok(match function {
            HashFunction::None => Self::Stars,
            HashFunction::Md5 => Self::Md5,
            HashFunction::Sha1 => Self::Sha1,
            HashFunction::Sha3 => Self::Sha3,
            HashFunction::HmacSha256 => {
                Self::HmacSha256(Hmac::new_from_slice(key.as_bytes()).map_err(invalid_key)?)
            }
            HashFunction::HmacSha512 => {
                Self::HmacSha512(Hmac::new_from_slice(key.as_bytes()).map_err(invalid_key)?)
            }
        })
    }

    /// Appends what `part` is masked as: `****`, or its digest in lower-case hex.
    fn mask_into(&self, part: &str, out: &mut String) {
        let bytes = part.as_bytes();
        match self {
            Self::Stars => out.push_str("****"),
            Self::Md5 => push_hex(&Md5::digest(bytes), out),
            Self::Sha1 => push_hex(&Sha1::digest(bytes), out),
            Self::Sha3 => push_hex(&Sha3_256::digest(bytes), out),
            Self::HmacSha256(keyed) => {
                let mut mac = keyed.clone();
                mac.update(bytes);
                push_hex(&mac.finalize().into_bytes(), out);
            }
            Self::HmacSha512(keyed) => {
                let mut mac = keyed.clone();
                mac.update(bytes);
                push_hex(&mac.finalize().into_bytes(), out);
            }
        }
    }
}

/// Appends `digest` in lower-case hex (Go's `hex.EncodeToString`).
fn push_hex(digest: &[u8], out: &mut String) {
    let mut buffer = [0_u8; 128];
    let hex = &mut buffer[..digest.len() * 2];
    if hex::encode_to_slice(digest, hex).is_ok() {
        out.extend(hex.iter().map(|&b| char::from(b)));
    }
}

/// A regex list Go tries one by one: one alternation answers "does any match" in a single
/// search, the list is kept for the rare value that needs the patterns applied in order.
struct Patterns {
    any: Regex,
    list: Vec<Regex>,
}

impl Patterns {
    fn new(patterns: &[String]) -> Result<Option<Self>, String> {
        if patterns.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self {
            any: go_regex::compile_any(patterns)?,
            list: patterns
                .iter()
                .map(|pattern| go_regex::compile(pattern))
                .collect::<Result<_, _>>()?,
        }))
    }
}

fn any_match(patterns: Option<&Patterns>, text: &str) -> bool {
    patterns.is_some_and(|patterns| patterns.any.is_match(text))
}

/// A set of configured keys (`allowed_keys`, `ignored_keys`), looked up once or twice per
/// attribute. A `HashSet<String>` took 16 to 19 ns per lookup of a typical key here (SipHash
/// or FxHash over every byte, then the probe); this table hashes a key's length and its first
/// and last eight bytes only, then compares the few keys of that slot: 4 ns. The keys come
/// from the config, so no input can make a slot grow.
struct KeySet {
    mask: usize,
    slots: Vec<Vec<Box<str>>>,
}

impl KeySet {
    fn new(keys: &[String]) -> Self {
        let size = (keys.len() * 4).next_power_of_two().max(8);
        let mut slots: Vec<Vec<Box<str>>> = vec![Vec::new(); size];
        for key in keys {
            let slot = &mut slots[Self::slot(size - 1, key)];
            if !slot.iter().any(|kept| **kept == **key) {
                slot.push(key.as_str().into());
            }
        }
        Self {
            mask: size - 1,
            slots,
        }
    }

    fn slot(mask: usize, key: &str) -> usize {
        let bytes = key.as_bytes();
        // At most eight bytes as a number; eight exactly is one load (a shorter copy would be
        // a call to memcpy, which showed in profiles).
        let word = |part: &[u8]| match <[u8; 8]>::try_from(part) {
            Ok(word) => u64::from_le_bytes(word),
            Err(_) => part
                .iter()
                .fold(0_u64, |word, &byte| (word << 8) | u64::from(byte)),
        };
        let head = word(&bytes[..bytes.len().min(8)]);
        let tail = word(&bytes[bytes.len().saturating_sub(8)..]);
        let mixed =
            (head ^ tail.rotate_left(29) ^ bytes.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        (mixed >> 32) as usize & mask
    }

    fn contains(&self, key: &str) -> bool {
        self.slots[Self::slot(self.mask, key)]
            .iter()
            .any(|kept| **kept == *key)
    }
}

/// How a key is treated, before its value is looked at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    /// A summary attribute the processor owns (summary on): passed through.
    OwnSummary,
    /// In `ignored_keys` or matching `ignored_key_patterns`.
    Ignored,
    /// Not allowed: removed.
    Redacted,
    /// Allowed: its value is checked; `mask_whole` if the key matches `blocked_key_patterns`.
    Checked { mask_whole: bool },
}

/// A `rust_redaction` config compiled for processing.
pub(crate) struct Redactor {
    allow_all_keys: bool,
    allowed_keys: KeySet,
    ignored_keys: KeySet,
    ignored_key_patterns: Option<Patterns>,
    blocked_key_patterns: Option<Patterns>,
    blocked_values: Option<Patterns>,
    allowed_values: Option<Patterns>,
    masker: Masker,
    redact_all_types: bool,
    summary: Summary,
    /// Go's `maskAllValuesRegex` (`.*`), for values with a newline, which `.` does not match.
    whole_value: Regex,
}

impl Redactor {
    /// Compiles a validated config.
    pub(crate) fn new(config: &RedactionConfig) -> Result<Self, String> {
        Ok(Self {
            allow_all_keys: config.allow_all_keys,
            allowed_keys: KeySet::new(&config.allowed_keys),
            ignored_keys: KeySet::new(&config.ignored_keys),
            ignored_key_patterns: Patterns::new(&config.ignored_key_patterns)?,
            blocked_key_patterns: Patterns::new(&config.blocked_key_patterns)?,
            blocked_values: Patterns::new(&config.blocked_values)?,
            allowed_values: Patterns::new(&config.allowed_values)?,
            masker: Masker::new(config.hash_function, &config.hmac_key)?,
            redact_all_types: config.redact_all_types,
            summary: config.summary,
            whole_value: go_regex::compile(".*")?,
        })
    }

    /// Go's `shouldRedactKey`.
    fn should_redact_key(&self, key: &str) -> bool {
        !self.allow_all_keys && !self.allowed_keys.contains(key)
    }

    /// The checks of `processAttrs` that depend on the key alone, in Go's order.
    fn classify(&self, key: &str) -> KeyClass {
        if is_summary_attr(key) {
            // Go: the processor's own attributes are never masked or counted; with the
            // summary silent it disowns them, and the allow list decides.
            return if !self.summary.enabled() && self.should_redact_key(key) {
                KeyClass::Redacted
            } else {
                KeyClass::OwnSummary
            };
        }
        if self.ignored_keys.contains(key) || any_match(self.ignored_key_patterns.as_ref(), key) {
            return KeyClass::Ignored;
        }
        if self.should_redact_key(key) {
            return KeyClass::Redacted;
        }
        KeyClass::Checked {
            mask_whole: any_match(self.blocked_key_patterns.as_ref(), key),
        }
    }

    /// Go's `maskValue`: every match of `regex` in `value` replaced by its mask.
    fn mask_matches(&self, value: &str, regex: &Regex) -> String {
        let mut out = String::with_capacity(value.len() + 8);
        let mut copied = 0;
        for found in regex.find_iter(value) {
            out.push_str(&value[copied..found.start()]);
            self.masker.mask_into(found.as_str(), &mut out);
            copied = found.end();
        }
        out.push_str(&value[copied..]);
        out
    }

    /// Go's `maskValue(value, maskAllValuesRegex)`: `.*` matches a whole value without a
    /// newline (an empty one too) in one piece, and each line otherwise.
    fn mask_whole(&self, value: &str) -> String {
        if value.contains('\n') {
            return self.mask_matches(value, &self.whole_value);
        }
        let mut out = String::new();
        self.masker.mask_into(value, &mut out);
        out
    }

    /// Go's `processStringValueForAttribute` without the sanitizers: each blocked pattern, in
    /// order, masks its matches in what the previous ones left. `None` if nothing changed.
    fn mask_blocked(&self, value: &str) -> Option<String> {
        let blocked = self.blocked_values.as_ref()?;
        if !blocked.any.is_match(value) {
            return None;
        }
        let mut current = Cow::Borrowed(value);
        for regex in &blocked.list {
            if regex.is_match(&current) {
                current = Cow::Owned(self.mask_matches(&current, regex));
            }
        }
        (current != value).then(|| current.into_owned())
    }

    /// Redacts one attribute map: writes into `edits` what Go's `processAttrs` does to it.
    pub(crate) fn redact<'a>(&self, attributes: &'a [Entry<'a>], edits: &mut impl MapEdits) {
        let mut redacted: Vec<&str> = Vec::new();
        let mut masked: Vec<&str> = Vec::new();
        let mut allowed: Vec<&str> = Vec::new();
        let mut ignored = 0_usize;
        // Keys set once for all their entries (see `set_masked`).
        let mut collapsed: Vec<&str> = Vec::new();
        for entry in attributes {
            let key = entry.key;
            let mask_whole = match self.classify(key) {
                KeyClass::OwnSummary => continue,
                KeyClass::Ignored => {
                    ignored += 1;
                    continue;
                }
                KeyClass::Redacted => {
                    redacted.push(key);
                    continue;
                }
                KeyClass::Checked { mask_whole } => mask_whole,
            };
            let value = &entry.value;
            // Go reads `value.Str()` (empty for other types) unless redact_all_types.
            let text = if self.redact_all_types {
                value.as_string()
            } else {
                Cow::Borrowed(value.str())
            };
            if any_match(self.allowed_values.as_ref(), &text) {
                allowed.push(key);
                continue;
            }
            let masked_value = if mask_whole {
                Some(self.mask_whole(&text))
            } else {
                self.mask_blocked(&text)
            };
            if let Some(masked_value) = masked_value {
                masked.push(key);
                // Go's SetStr leaves an equal string as it was: no edit needed.
                if !(value.is_str() && value.str() == masked_value) {
                    set_masked(attributes, key, masked_value, &mut collapsed, edits);
                }
            }
        }
        for key in &redacted {
            edits.remove(key);
        }
        self.add_summary(
            attributes,
            redacted,
            REDACTED_KEYS,
            REDACTED_COUNT,
            true,
            edits,
        );
        self.add_summary(attributes, masked, MASKED_KEYS, MASKED_COUNT, true, edits);
        self.add_summary(
            attributes,
            allowed,
            ALLOWED_KEYS,
            ALLOWED_COUNT,
            false,
            edits,
        );
        self.add_count(attributes, ignored, IGNORED_COUNT, edits);
    }

    /// Go's `addMetaAttrs` for an outcome that lists its keys (`debug`) and counts them.
    ///
    /// Reads of the existing summary see the map as it came in: the summary attributes are
    /// never masked or removed while the summary is on, which is the only time they are read.
    fn add_summary<'a>(
        &self,
        attributes: &'a [Entry<'a>],
        mut keys: Vec<&'a str>,
        keys_attr: &str,
        count_attr: &str,
        accumulate: bool,
        edits: &mut impl MapEdits,
    ) {
        if keys.is_empty() {
            // Re-derived as empty: an upstream value no longer holds. An accumulating outcome
            // only ever adds.
            if !accumulate && self.summary.enabled() {
                remove_if_present(attributes, keys_attr, edits);
                remove_if_present(attributes, count_attr, edits);
            }
            return;
        }
        let mut count = keys.len() as i64;
        if self.summary == Summary::Debug {
            let existing = if accumulate {
                get(attributes, keys_attr).map(|entry| entry.value.str())
            } else {
                None
            };
            if let Some(existing) = existing.filter(|existing| !existing.is_empty()) {
                keys.extend(existing.split(','));
            }
            keys.sort_unstable();
            edits.set_str(keys_attr, keys.join(","));
        }
        if self.summary.enabled() {
            if accumulate && let Some(entry) = get(attributes, count_attr) {
                count = count.wrapping_add(entry.value.int());
            }
            edits.set_int(count_attr, count);
        }
    }

    /// Go's `addMetaAttrs` for the ignored keys, which are counted, never listed, and never
    /// accumulated.
    fn add_count(
        &self,
        attributes: &[Entry<'_>],
        count: usize,
        count_attr: &str,
        edits: &mut impl MapEdits,
    ) {
        if !self.summary.enabled() {
            return;
        }
        if count == 0 {
            remove_if_present(attributes, count_attr, edits);
        } else {
            edits.set_int(count_attr, count as i64);
        }
    }
}

/// The first entry with `key`, as pdata's `Map.Get` finds it.
fn get<'e, 'a>(attributes: &'e [Entry<'a>], key: &str) -> Option<&'e Entry<'a>> {
    attributes.iter().find(|entry| entry.key == key)
}

/// A remove that changes something (pdata's `Remove` of an absent key does nothing).
fn remove_if_present(attributes: &[Entry<'_>], key: &str, edits: &mut impl MapEdits) {
    if get(attributes, key).is_some() {
        edits.remove(key);
    }
}

/// Sets the masked value of `key`. Go masks each entry in place; an edit names a key, not an
/// entry, so when the map holds `key` more than once (invalid OTLP, but decodable) setting the
/// first entry would leave the others' values unmasked. Such a key is collapsed instead: all
/// its entries removed, then one entry set to the first masked value; its later entries add
/// no edit. Nothing unmasked is left; the map has one entry fewer per duplicate than Go's.
fn set_masked<'a>(
    attributes: &[Entry<'_>],
    key: &'a str,
    value: String,
    collapsed: &mut Vec<&'a str>,
    edits: &mut impl MapEdits,
) {
    if collapsed.contains(&key) {
        return;
    }
    let entries = attributes.iter().filter(|entry| entry.key == key).count();
    if entries > 1 {
        for _ in 0..entries {
            edits.remove(key);
        }
        collapsed.push(key);
    }
    edits.set_str(key, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guarantees: the key table finds exactly the configured keys, short, long, empty and
    /// sharing their first and last eight bytes alike.
    #[test]
    fn key_set_membership() {
        let keys: Vec<String> = [
            "",
            "a",
            "http.route",
            "deployment.environment.name",
            "deployment.xxxxxxxxxxx.name",
            "http.route",
        ]
        .iter()
        .map(|key| (*key).to_owned())
        .collect();
        let set = KeySet::new(&keys);
        for key in &keys {
            assert!(set.contains(key), "{key:?}");
        }
        for absent in [
            "b",
            "http.rout",
            "http.routes",
            "deployment.yyyyyyyyyyy.name",
            " ",
        ] {
            assert!(!set.contains(absent), "{absent:?}");
        }
        assert!(!KeySet::new(&[]).contains(""));
    }
}
