//! Golden tests of the redaction of one attribute map against the Go redactionprocessor
//! v0.164.0 (pdata v1.70.0).
//!
//! Each expected output was produced by the Go processor itself: its factory, the same config
//! (as a map through confmap), one span holding the input attributes, and the span's
//! attributes afterwards written as `key=Type:AsString` in map order. Here the edits are
//! applied with pdata's `PutStr`, `PutInt` and `Remove` semantics (as the Go side of the
//! boundary applies them) and the map is written the same way, so order, types and values are
//! all compared.

use otelcol_rust_sdk::decode_config;
use otelcol_rust_sdk::proto::common::v1::any_value::Value;
use otelcol_rust_sdk::proto::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList};

use crate::RedactionConfig;
use crate::redact::{MapEdits, Redactor};
use crate::value::as_string;

/// A map with pdata's edit semantics.
pub(crate) struct PdataMap(pub(crate) Vec<KeyValue>);

impl MapEdits for PdataMap {
    fn set_str(&mut self, key: &str, value: String) {
        self.put(key, Value::StringValue(value));
    }

    fn set_int(&mut self, key: &str, value: i64) {
        self.put(key, Value::IntValue(value));
    }

    fn remove(&mut self, key: &str) {
        if let Some(at) = self.0.iter().position(|entry| entry.key == key) {
            // pdata: the last entry takes the removed one's place.
            self.0.swap_remove(at);
        }
    }
}

impl PdataMap {
    fn put(&mut self, key: &str, value: Value) {
        let value = Some(AnyValue { value: Some(value) });
        match self.0.iter_mut().find(|entry| entry.key == key) {
            Some(entry) => entry.value = value,
            None => self.0.push(KeyValue {
                key: key.to_owned(),
                value,
                ..KeyValue::default()
            }),
        }
    }
}

/// A map written as the Go harness writes it: `key=Type:AsString` per entry, in order.
pub(crate) fn render(attributes: &[KeyValue]) -> Vec<String> {
    attributes
        .iter()
        .map(|entry| {
            let value = entry.value.as_ref();
            let kind = match value.and_then(|value| value.value.as_ref()) {
                Some(Value::StringValue(_)) => "Str",
                Some(Value::BoolValue(_)) => "Bool",
                Some(Value::IntValue(_)) => "Int",
                Some(Value::DoubleValue(_)) => "Double",
                Some(Value::ArrayValue(_)) => "Slice",
                Some(Value::KvlistValue(_)) => "Map",
                Some(Value::BytesValue(_)) => "Bytes",
                None | Some(Value::StringValueStrindex(_)) => "Empty",
            };
            format!("{}={kind}:{}", entry.key, as_string(value))
        })
        .collect()
}

pub(crate) fn kv(key: &str, value: Value) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: Some(value) }),
        ..KeyValue::default()
    }
}

pub(crate) fn s(key: &str, value: &str) -> KeyValue {
    kv(key, Value::StringValue(value.to_owned()))
}

pub(crate) fn i(key: &str, value: i64) -> KeyValue {
    kv(key, Value::IntValue(value))
}

fn empty(key: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue { value: None }),
        ..KeyValue::default()
    }
}

/// Redacts `attributes` under the JSON config and returns the map as Go's harness prints it.
fn redacted(config: &str, attributes: Vec<KeyValue>) -> Vec<String> {
    let config: RedactionConfig = match decode_config(config) {
        Ok(config) => config,
        Err(err) => panic!("config {config}: {err}"),
    };
    let redactor = match Redactor::new(&config) {
        Ok(redactor) => redactor,
        Err(err) => panic!("compile: {err}"),
    };
    let mut map = PdataMap(attributes.clone());
    redactor.redact(&crate::wire::entries(&attributes), &mut map);
    render(&map.0)
}

const VISA: &str = r#""4[0-9]{12}(?:[0-9]{3})?""#;

/// Scenario: the README's example (allow list, a card pattern, summary debug).
/// Guarantees: keys not allowed are removed and listed, sorted; an allowed key is counted as
/// allowed only when its value matches `allowed_values` (not for being in `allowed_keys`:
/// Go's README table says otherwise, its code does this).
#[test]
fn allow_list_removes_and_lists() {
    let config = format!(
        r#"{{"allowed_keys":["description","email"],"blocked_values":[{VISA}],"summary":"debug"}}"#
    );
    let got = redacted(
        &config,
        vec![
            s("description", "payment processed"),
            s("email", "user@example.com"),
            s("credit_card", "4111111111111111"),
            s("internal_id", "abc-123"),
        ],
    );
    assert_eq!(
        got,
        [
            "description=Str:payment processed",
            "email=Str:user@example.com",
            "redaction.redacted.keys=Str:credit_card,internal_id",
            "redaction.redacted.count=Int:2"
        ]
    );
}

/// Guarantees: every hash function gives Go's digest of the matched part (lower-case hex),
/// `hash_function` is case-insensitive; an int is not checked without `redact_all_types`;
/// `info` writes counts only.
#[test]
fn hash_functions_match_go_digests() {
    let card = || vec![s("card", "card 4111111111111111")];
    let hashed = |function: &str, key: &str| {
        redacted(
            &format!(
                r#"{{"allow_all_keys":true,"blocked_values":[{VISA}],"hash_function":"{function}","hmac_key":"{key}","summary":"debug"}}"#
            ),
            card(),
        )[0]
        .clone()
    };
    assert_eq!(
        hashed("sha1", ""),
        "card=Str:card 68bfb396f35af3876fc509665b3dc23a0930aab1"
    );
    assert_eq!(
        hashed("SHA3", ""),
        "card=Str:card 6099154214406cce6105a4688ab66533d3a55d1d7dd393cbccf22b487a22d922"
    );
    assert_eq!(
        hashed("hmac-sha256", "0123456789abcdef0123456789abcdef"),
        "card=Str:card 7b7e6cb2715c7b1c37110f035123abd3fe93c04fa302da2946c4bd9342d2fd2c"
    );
    assert_eq!(
        hashed(
            "hmac-sha512",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        ),
        "card=Str:card c3e759dbe03dcb4b3c7388988749e92241d68f060aca6b4ee13f1df573ac0007863883398a177f243fbf4bc6da69bae896fbf8a00ff8ce8226c31582b8e05961"
    );
    let got = redacted(
        &format!(
            r#"{{"allow_all_keys":true,"blocked_values":[{VISA}],"hash_function":"md5","summary":"info"}}"#
        ),
        vec![
            s("card", "card 4111111111111111 and 4012888888881881"),
            i("n", 4_111_111_111_111_111),
            s("plain", "nothing"),
        ],
    );
    assert_eq!(
        got,
        [
            "card=Str:card 5910f4ea0062a0e29afd3dccc741e3ce and bbdc31fa1d1692a29f55b6cdf7a4cdbb",
            "n=Int:4111111111111111",
            "plain=Str:nothing",
            "redaction.masked.count=Int:1"
        ]
    );
}

/// Guarantees: `blocked_key_patterns` masks the whole value, of any type (an int is read as
/// its empty `Str()` and becomes the mask of "", a string), each line of a multi-line value,
/// an empty value too; hashed with md5 the int gives md5("").
#[test]
fn blocked_key_patterns_mask_whole_values() {
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_key_patterns":[".*token.*"],"summary":"debug"}"#,
        vec![
            s("session.token", "tok_1"),
            i("int.token", 42),
            s("multi.token", "ab\ncd"),
            s("empty.token", ""),
            s("other", "x"),
        ],
    );
    assert_eq!(
        got,
        [
            "session.token=Str:****",
            "int.token=Str:****",
            "multi.token=Str:****\n****",
            "empty.token=Str:****",
            "other=Str:x",
            "redaction.masked.keys=Str:empty.token,int.token,multi.token,session.token",
            "redaction.masked.count=Int:4"
        ]
    );
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_key_patterns":[".*token.*"],"hash_function":"md5","summary":"info"}"#,
        vec![i("int.token", 42), s("str.token", "abc")],
    );
    assert_eq!(
        got,
        [
            "int.token=Str:d41d8cd98f00b204e9800998ecf8427e",
            "str.token=Str:900150983cd24fb0d6963f7d28e17f72",
            "redaction.masked.count=Int:2"
        ]
    );
}

/// Guarantees: `redact_all_types` checks every type in its AsString form (ints, bools, maps
/// and slices as JSON, bytes as base64) and a masked one becomes a string; a double or bytes
/// whose text matches nothing stays as it was.
#[test]
fn redact_all_types_checks_text_forms() {
    let got = redacted(
        &format!(
            r#"{{"allow_all_keys":true,"redact_all_types":true,"blocked_values":[{VISA},"^[0-9]+$","true"],"summary":"debug"}}"#
        ),
        vec![
            i("i", 4_111_111_111_111_111),
            i("small", 7),
            kv("d", Value::DoubleValue(1234.5)),
            kv("b", Value::BoolValue(true)),
            kv(
                "m",
                Value::KvlistValue(KeyValueList {
                    values: vec![s("card", "4111111111111111"), i("n", 7)],
                }),
            ),
            kv(
                "s",
                Value::ArrayValue(ArrayValue {
                    values: vec![
                        AnyValue {
                            value: Some(Value::StringValue("checkout".into())),
                        },
                        AnyValue {
                            value: Some(Value::IntValue(4_111_111_111_111_111)),
                        },
                    ],
                }),
            ),
            empty("e"),
            kv("bytes", Value::BytesValue(b"A\x11x".to_vec())),
        ],
    );
    assert_eq!(
        got,
        [
            "i=Str:****",
            "small=Str:****",
            "d=Double:1234.5",
            "b=Str:****",
            "m=Str:{\"card\":\"****\",\"n\":7}",
            "s=Str:[\"checkout\",****]",
            "e=Empty:",
            "bytes=Bytes:QRF4",
            "redaction.masked.keys=Str:b,i,m,s,small",
            "redaction.masked.count=Int:5"
        ]
    );
}

/// Guarantees: without `redact_all_types` a non-string value is checked as "", so a blocked
/// pattern that matches "" masks it (Go does the same).
#[test]
fn non_strings_read_as_empty_without_redact_all_types() {
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_values":["^$"],"summary":"debug"}"#,
        vec![i("i", 5), s("s", ""), s("t", "x")],
    );
    assert_eq!(
        got,
        [
            "i=Str:****",
            "s=Str:****",
            "t=Str:x",
            "redaction.masked.keys=Str:i,s",
            "redaction.masked.count=Int:2"
        ]
    );
}

/// Guarantees: `ignored_keys` and `ignored_key_patterns` pass keys untouched and are counted
/// (never listed); removal order follows pdata's swap-remove.
#[test]
fn ignored_keys_are_counted() {
    let got = redacted(
        r#"{"allowed_keys":["a","b"],"ignored_keys":["safe"],"ignored_key_patterns":["^ok\\."],"summary":"info"}"#,
        vec![
            s("safe", "4111"),
            i("ok.x", 1),
            s("a", "1"),
            s("gone", "2"),
            s("b", "3"),
            s("ok.y", "z"),
        ],
    );
    assert_eq!(
        got,
        [
            "safe=Str:4111",
            "ok.x=Int:1",
            "a=Str:1",
            "ok.y=Str:z",
            "b=Str:3",
            "redaction.redacted.count=Int:1",
            "redaction.ignored.count=Int:3"
        ]
    );
    let got = redacted(
        r#"{"allowed_keys":["b"],"summary":"debug"}"#,
        vec![
            s("a", "1"),
            s("b", "2"),
            s("c", "3"),
            s("d", "4"),
            s("e", "5"),
        ],
    );
    assert_eq!(
        got,
        [
            "b=Str:2",
            "redaction.redacted.keys=Str:a,c,d,e",
            "redaction.redacted.count=Int:4"
        ]
    );
}

/// Scenario: the attributes an upstream redaction processor left.
/// Guarantees: with the summary on they are never redacted or masked; masked and redacted
/// outcomes add to them (keys merged and sorted, counts summed), allowed and ignored ones
/// replace them or, when this pass found none, remove them (in `info`, a stale key list is
/// left as Go leaves it; a count that is not an int counts as 0).
#[test]
fn upstream_summaries_merge_like_go() {
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_values":["4[0-9]{12}"],"summary":"debug"}"#,
        vec![
            s("redaction.masked.keys", "upstream.key"),
            i("redaction.masked.count", 1),
            s("c", "4111111111111111"),
            s("redaction.redacted.keys", "gone.a,gone.b"),
            i("redaction.redacted.count", 2),
            i("redaction.allowed.count", 9),
            s("redaction.allowed.keys", "stale"),
            i("redaction.ignored.count", 3),
        ],
    );
    assert_eq!(
        got,
        [
            "redaction.masked.keys=Str:c,upstream.key",
            "redaction.masked.count=Int:2",
            "c=Str:****111",
            "redaction.redacted.keys=Str:gone.a,gone.b",
            "redaction.redacted.count=Int:2"
        ]
    );
    let got = redacted(
        r#"{"allowed_keys":["c"],"allowed_values":["^keep"],"blocked_values":["4[0-9]{12}"],"summary":"info"}"#,
        vec![
            i("redaction.allowed.count", 9),
            s("redaction.allowed.keys", "stale"),
            s("c", "keep 4111111111111"),
            s("x", "y"),
            s("redaction.redacted.count", "notint"),
        ],
    );
    assert_eq!(
        got,
        [
            "redaction.allowed.count=Int:1",
            "redaction.allowed.keys=Str:stale",
            "c=Str:keep 4111111111111",
            "redaction.redacted.count=Int:1"
        ]
    );
}

/// Guarantees: with the summary silent, the summary attributes are ordinary keys: removed
/// unless allowed, and nothing is written. The empty config (silent, nothing allowed) removes
/// everything.
#[test]
fn silent_disowns_summaries() {
    let got = redacted(
        r#"{"allowed_keys":["c","redaction.masked.count"],"summary":"silent"}"#,
        vec![
            s("redaction.masked.keys", "upstream.key"),
            i("redaction.masked.count", 1),
            s("c", "v"),
            i("redaction.ignored.count", 3),
        ],
    );
    assert_eq!(got, ["c=Str:v", "redaction.masked.count=Int:1"]);
    let got = redacted("{}", vec![s("a", "1"), i("redaction.masked.count", 1)]);
    assert!(got.is_empty(), "{got:?}");
}

/// Guarantees: blocked patterns apply in order, each to what the previous left; a value the
/// masking leaves equal is not counted; `allowed_values` wins over both blocked lists.
#[test]
fn value_patterns_in_order_and_allowed_values_first() {
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_values":["4[0-9]{3}","\\*+"],"summary":"debug"}"#,
        vec![s("c", "4111 x"), s("d", "****")],
    );
    assert_eq!(
        got,
        [
            "c=Str:**** x",
            "d=Str:****",
            "redaction.masked.keys=Str:c",
            "redaction.masked.count=Int:1"
        ]
    );
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_key_patterns":["^secret$"],"allowed_values":["^public"],"blocked_values":["x"],"summary":"debug"}"#,
        vec![
            s("secret", "public x"),
            s("secret2", "public x"),
            s("other", "xx"),
        ],
    );
    assert_eq!(
        got,
        [
            "secret=Str:public x",
            "secret2=Str:public x",
            "other=Str:********",
            "redaction.masked.keys=Str:other",
            "redaction.masked.count=Int:1",
            "redaction.allowed.keys=Str:secret,secret2",
            "redaction.allowed.count=Int:2"
        ]
    );
}

/// Guarantees: regexes mean what they mean in Go: ASCII `\b`, `\w`, `\d`; empty matches
/// replaced as Go's ReplaceAllStringFunc replaces them.
#[test]
fn regexes_mean_what_they_mean_in_go() {
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_values":["\\bx\\w*","\\d"],"summary":"debug"}"#,
        vec![s("u", "éxé y٣ xa1")],
    );
    assert_eq!(
        got,
        [
            "u=Str:é****é y٣ ****",
            "redaction.masked.keys=Str:u",
            "redaction.masked.count=Int:1"
        ]
    );
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_values":["a*"],"summary":"debug"}"#,
        vec![s("u", "baaac")],
    );
    assert_eq!(
        got,
        [
            "u=Str:****b****c****",
            "redaction.masked.keys=Str:u",
            "redaction.masked.count=Int:1"
        ]
    );
}

/// Scenario: a map holding one key twice (invalid OTLP, but decodable), whose values are
/// masked. Go masks each entry in place; an edit addresses a key, not an entry.
/// Guarantees: no value that needs masking survives: the key's entries collapse into one
/// holding the first masked value (counted twice, as in Go).
#[test]
fn duplicate_keys_never_leak() {
    let got = redacted(
        r#"{"allow_all_keys":true,"blocked_values":["secret[0-9]"],"summary":"debug"}"#,
        vec![s("k", "secret1"), s("a", "x"), s("k", "secret2")],
    );
    assert_eq!(
        got,
        [
            "a=Str:x",
            "k=Str:****",
            "redaction.masked.keys=Str:k,k",
            "redaction.masked.count=Int:2"
        ]
    );
}
