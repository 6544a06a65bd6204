//! Attribute values as text, exactly as pdata v1.70.0's `Value.AsString` writes them: what a
//! Go processor matches when it compares a non-string attribute with a pattern (the
//! redactionprocessor under `redact_all_types`, OTTL's `IsMatch`), for processors that must
//! give the same answers.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::proto::common::v1::any_value::Value;
use crate::proto::common::v1::{AnyValue, KeyValue};

/// pdata's `Value.AsString()`: strings as they are, bools and ints in decimal, doubles as
/// JavaScript writes numbers (`NaN`, `Infinity`), bytes in standard base64, maps and slices as
/// JSON (map keys sorted, nothing HTML-escaped), empty as `""`.
pub fn as_string(value: Option<&AnyValue>) -> Cow<'_, str> {
    let Some(value) = value.and_then(|value| value.value.as_ref()) else {
        return Cow::Borrowed("");
    };
    match value {
        Value::StringValue(text) => Cow::Borrowed(text),
        Value::BoolValue(flag) => Cow::Borrowed(if *flag { "true" } else { "false" }),
        Value::IntValue(int) => Cow::Owned(int.to_string()),
        Value::DoubleValue(double) => Cow::Owned(double_as_string(*double)),
        Value::BytesValue(bytes) => Cow::Owned(base64(bytes)),
        Value::KvlistValue(list) => Cow::Owned(json_or_empty(|out| json_map(&list.values, out))),
        Value::ArrayValue(array) => Cow::Owned(json_or_empty(|out| json_slice(&array.values, out))),
        // A profiles-only string-table index: pdata v1.70.0 does not know the field, so the
        // collector sees an empty value.
        Value::StringValueStrindex(_) => Cow::Borrowed(""),
    }
}

/// pdata's `float64AsString`: `NaN`, `Infinity`, `-Infinity`, else the shortest decimal that
/// reads back as the same double, with an exponent below 1e-6 and from 1e21 on (`1e+21`,
/// `1.5e-7`).
pub fn double_as_string(double: f64) -> String {
    if double.is_nan() {
        return "NaN".to_owned();
    }
    if double.is_infinite() {
        return if double > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned();
    }
    let mut out = String::new();
    write_number(double, &mut out);
    out
}

/// A finite double as Go's `strconv.AppendFloat(f, 'f' or 'e', -1, 64)` with the ES6 cut-offs
/// and `e-07` shortened to `e-7` (pdata's `float64AsString` and `encoding/json` both do this).
fn write_number(double: f64, out: &mut String) {
    let abs = double.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust writes the same shortest digits, as `1.5e-7` and `1e21`; Go's exponent has a
        // sign always (`1e+21`) and, once shortened, no leading zero.
        let text = format!("{double:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                let _ = write!(out, "{mantissa}e+{exponent}");
            }
            _ => out.push_str(&text),
        }
    } else {
        // Display is the shortest round-tripping decimal, never with an exponent.
        let _ = write!(out, "{double}");
    }
}

/// Standard base64 with padding (Go's `base64.StdEncoding`).
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A map or slice as JSON, or `""` if a double in it is NaN or infinite: Go's JSON encoder
/// refuses those, and pdata then writes nothing.
fn json_or_empty(write: impl FnOnce(&mut String) -> Result<(), NotJson>) -> String {
    let mut out = String::new();
    match write(&mut out) {
        Ok(()) => out,
        Err(NotJson) => String::new(),
    }
}

/// A NaN or infinite double, which JSON cannot hold.
struct NotJson;

/// pdata's `Map.AsRaw()` through `encoding/json`: keys sorted bytewise, the last of duplicate
/// keys wins (AsRaw fills a Go map in order).
fn json_map(entries: &[KeyValue], out: &mut String) -> Result<(), NotJson> {
    let mut sorted: Vec<&KeyValue> = Vec::with_capacity(entries.len());
    for entry in entries {
        match sorted.iter().position(|kept| kept.key == entry.key) {
            Some(at) => sorted[at] = entry,
            None => sorted.push(entry),
        }
    }
    sorted.sort_by(|a, b| a.key.as_bytes().cmp(b.key.as_bytes()));
    out.push('{');
    for (i, entry) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_string(&entry.key, out);
        out.push(':');
        json_value(entry.value.as_ref(), out)?;
    }
    out.push('}');
    Ok(())
}

/// pdata's `Slice.AsRaw()` through `encoding/json`.
fn json_slice(values: &[AnyValue], out: &mut String) -> Result<(), NotJson> {
    out.push('[');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_value(Some(value), out)?;
    }
    out.push(']');
    Ok(())
}

/// One value of `AsRaw()` as `encoding/json` writes it.
fn json_value(value: Option<&AnyValue>, out: &mut String) -> Result<(), NotJson> {
    match value.and_then(|value| value.value.as_ref()) {
        None | Some(Value::StringValueStrindex(_)) => out.push_str("null"),
        Some(Value::StringValue(text)) => json_string(text, out),
        Some(Value::BoolValue(flag)) => out.push_str(if *flag { "true" } else { "false" }),
        Some(Value::IntValue(int)) => {
            let _ = write!(out, "{int}");
        }
        Some(Value::DoubleValue(double)) => {
            if !double.is_finite() {
                return Err(NotJson);
            }
            write_number(*double, out);
        }
        // AsRaw copies bytes with append(nil, ...), so empty bytes are a nil slice: null.
        Some(Value::BytesValue(bytes)) if bytes.is_empty() => out.push_str("null"),
        Some(Value::BytesValue(bytes)) => {
            out.push('"');
            out.push_str(&base64(bytes));
            out.push('"');
        }
        Some(Value::KvlistValue(list)) => json_map(&list.values, out)?,
        Some(Value::ArrayValue(array)) => json_slice(&array.values, out)?,
    }
    Ok(())
}

/// A JSON string as `encoding/json` writes it with HTML escaping off: `"` and `\`, the short
/// escapes `\b \f \n \r \t`, other control characters as `\u00xx`, and U+2028 and U+2029
/// always escaped.
fn json_string(text: &str, out: &mut String) {
    out.push('"');
    let mut copied = 0;
    for (at, c) in text.char_indices() {
        let escaped: Cow<'static, str> = match c {
            '"' => Cow::Borrowed("\\\""),
            '\\' => Cow::Borrowed("\\\\"),
            '\u{8}' => Cow::Borrowed("\\b"),
            '\u{c}' => Cow::Borrowed("\\f"),
            '\n' => Cow::Borrowed("\\n"),
            '\r' => Cow::Borrowed("\\r"),
            '\t' => Cow::Borrowed("\\t"),
            '\u{2028}' => Cow::Borrowed("\\u2028"),
            '\u{2029}' => Cow::Borrowed("\\u2029"),
            c if c < ' ' => Cow::Owned(format!("\\u{:04x}", u32::from(c))),
            _ => continue,
        };
        out.push_str(&text[copied..at]);
        out.push_str(&escaped);
        copied = at + c.len_utf8();
    }
    out.push_str(&text[copied..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use crate::proto::common::v1::{ArrayValue, KeyValueList};

    use super::*;

    fn v(value: Value) -> AnyValue {
        AnyValue { value: Some(value) }
    }

    fn kv(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(v(value)),
            ..KeyValue::default()
        }
    }

    fn text(value: Value) -> String {
        as_string(Some(&v(value))).into_owned()
    }

    /// Guarantees: scalars read as pdata's AsString writes them (expected strings from
    /// pdata v1.70.0 on Go 1.26).
    #[test]
    fn scalars() {
        assert_eq!(as_string(None), "");
        assert_eq!(as_string(Some(&AnyValue { value: None })), "");
        assert_eq!(text(Value::StringValue("x y".into())), "x y");
        assert_eq!(text(Value::BoolValue(true)), "true");
        assert_eq!(
            text(Value::IntValue(-4_111_111_111_111_111)),
            "-4111111111111111"
        );
        for (double, want) in [
            (1234.5, "1234.5"),
            (100.0, "100"),
            (0.1, "0.1"),
            (-0.0, "-0"),
            (0.000_001, "0.000001"),
            (1.5e-7, "1.5e-7"),
            (1e-10, "1e-10"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.2345e300, "1.2345e+300"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ] {
            assert_eq!(text(Value::DoubleValue(double)), want, "{double}");
        }
        assert_eq!(text(Value::BytesValue(vec![0x41, 0x11, 0xff])), "QRH/");
        assert_eq!(text(Value::BytesValue(vec![1])), "AQ==");
        assert_eq!(text(Value::BytesValue(vec![1, 2])), "AQI=");
        assert_eq!(text(Value::BytesValue(Vec::new())), "");
    }

    /// Guarantees: maps and slices are the JSON Go's encoder writes for AsRaw(): sorted keys,
    /// the last duplicate key wins, no HTML escaping, empty bytes as null, a NaN anywhere
    /// makes the whole text empty.
    #[test]
    fn maps_and_slices_as_json() {
        let nested = Value::KvlistValue(KeyValueList {
            values: vec![
                kv("n", Value::IntValue(7)),
                kv("card", Value::StringValue("4111111111111111".into())),
                kv("n", Value::IntValue(8)),
                kv(
                    "<&>",
                    Value::StringValue("a\"b\\c\n\u{1}\u{2028}é<>".into()),
                ),
                kv("b", Value::BytesValue(Vec::new())),
                KeyValue {
                    key: "e".into(),
                    value: None,
                    ..KeyValue::default()
                },
                kv("d", Value::DoubleValue(1e21)),
            ],
        });
        assert_eq!(
            text(nested),
            r#"{"<&>":"a\"b\\c\n\u0001\u2028é<>","b":null,"card":"4111111111111111","d":1e+21,"e":null,"n":8}"#
        );
        let slice = Value::ArrayValue(ArrayValue {
            values: vec![
                v(Value::StringValue("checkout".into())),
                v(Value::IntValue(4_111_111_111_111_111)),
                v(Value::BoolValue(false)),
                v(Value::BytesValue(vec![0xff])),
                AnyValue { value: None },
                v(Value::ArrayValue(ArrayValue::default())),
                v(Value::KvlistValue(KeyValueList::default())),
            ],
        });
        assert_eq!(
            text(slice),
            r#"["checkout",4111111111111111,false,"/w==",null,[],{}]"#
        );
        let with_nan = Value::ArrayValue(ArrayValue {
            values: vec![
                v(Value::StringValue("x".into())),
                v(Value::DoubleValue(f64::NAN)),
            ],
        });
        assert_eq!(text(with_nan), "");
    }
}
