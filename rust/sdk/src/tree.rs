//! A serde `Deserializer` over a parsed config (a `serde_json::Value` tree) that gives values a
//! config provider substituted the meaning they have for a Go component.
//!
//! confmap keeps, for `endpoint: ${env:EP}` with `EP=8080`, both the parsed value (`8080`) and
//! the text (`"8080"`); its `useExpandValue` decode hook (confmap v1.70.0,
//! `internal/decoder.go`) gives a Go `string` field the text and any other field the value. Go
//! sends such a value to Rust as
//! `{"$otelcol.expanded":{"value":8080,"original":"8080"}}`, and this deserializer chooses the
//! same way, by what the target type asks for: a string, a char or an enum variant name gets
//! `original`, anything else gets `value`.
//!
//! Decoding from a tree rather than from JSON text also keeps JSON line and column positions
//! (in text the user never saw) out of the messages.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Unexpected,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Number, Value};

/// The key of the object Go wraps a provider-substituted value in. Go refuses user configs
/// that contain it, so it never stands for anything else.
pub(crate) const EXPANDED_KEY: &str = "$otelcol.expanded";

/// What went wrong while decoding; the path is added by `serde_path_to_error`.
#[derive(Debug)]
pub(crate) struct DecodeError(String);

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

/// One node of the config tree, as a deserializer.
#[derive(Clone, Copy)]
pub(crate) struct Node<'de>(pub(crate) &'de Value);

/// A node as written, or a provider-substituted value with both of its forms.
enum Shape<'de> {
    Plain(&'de Value),
    Expanded {
        value: &'de Value,
        original: &'de str,
    },
}

impl<'de> Node<'de> {
    fn shape(self) -> Result<Shape<'de>, DecodeError> {
        let Value::Object(map) = self.0 else {
            return Ok(Shape::Plain(self.0));
        };
        let Some(marker) = map.get(EXPANDED_KEY) else {
            return Ok(Shape::Plain(self.0));
        };
        let forms = marker
            .as_object()
            .filter(|_| map.len() == 1)
            .and_then(|forms| Some((forms.get("value")?, forms.get("original")?.as_str()?)));
        match forms {
            Some((value, original)) => Ok(Shape::Expanded { value, original }),
            // Only Go writes the marker; a malformed one is a bug there, never guessed at.
            None => Err(DecodeError(format!(
                "malformed {EXPANDED_KEY:?} value sent by Go"
            ))),
        }
    }

    /// What any request but one for text reads: the parsed form of a substituted value.
    fn parsed(self) -> Result<&'de Value, DecodeError> {
        Ok(match self.shape()? {
            Shape::Plain(value) | Shape::Expanded { value, .. } => value,
        })
    }
}

impl<'de> Deserializer<'de> for Node<'de> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.parsed()? {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => visit_number(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visit_array(items, visitor),
            Value::Object(map) => visit_object(map, visitor),
        }
    }

    /// A string target gets a substituted value's text, as a Go `string` field does.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.shape()? {
            Shape::Expanded { original, .. } => visitor.visit_borrowed_str(original),
            Shape::Plain(_) => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    /// `None` for null (also a substituted empty value, as a Go pointer field gets nil);
    /// otherwise `Some` of this same node, so an `Option<String>` still gets the text.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.parsed()?.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    /// Only a map makes a struct (a list would fill fields by position, which a config never
    /// means).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.parsed()? {
            Value::Object(map) => visit_object(map, visitor),
            other => Err(de::Error::invalid_type(unexpected(other), &visitor)),
        }
    }

    /// A variant is named by a string (`mode: fast`) or is the one key of a map
    /// (`mode: {fixed: 3}`). A substituted value names a variant by its text.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let value = match self.shape()? {
            Shape::Expanded {
                value: value @ Value::Object(_),
                ..
            } => value,
            Shape::Expanded { original, .. } => {
                return visitor.visit_enum(Variant {
                    name: original,
                    content: None,
                });
            }
            Shape::Plain(value) => value,
        };
        match value {
            Value::String(name) => visitor.visit_enum(Variant {
                name,
                content: None,
            }),
            Value::Object(map) => {
                let mut entries = map.iter();
                match (entries.next(), entries.next()) {
                    (Some((name, content)), None) => visitor.visit_enum(Variant {
                        name,
                        content: Some(content),
                    }),
                    _ => Err(de::Error::invalid_value(
                        Unexpected::Map,
                        &"a map with a single key",
                    )),
                }
            }
            other => Err(de::Error::invalid_type(
                unexpected(other),
                &"a string or a map with a single key",
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 bytes byte_buf unit unit_struct
        seq tuple tuple_struct map
    }
}

fn visit_number<'de, V: Visitor<'de>>(n: &Number, visitor: V) -> Result<V::Value, DecodeError> {
    if let Some(u) = n.as_u64() {
        visitor.visit_u64(u)
    } else if let Some(i) = n.as_i64() {
        visitor.visit_i64(i)
    } else if let Some(f) = n.as_f64() {
        visitor.visit_f64(f)
    } else {
        Err(DecodeError(format!("number {n} is out of range")))
    }
}

fn visit_array<'de, V: Visitor<'de>>(
    items: &'de [Value],
    visitor: V,
) -> Result<V::Value, DecodeError> {
    let mut elements = Elements(items.iter());
    let value = visitor.visit_seq(&mut elements)?;
    if elements.0.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            items.len(),
            &"fewer elements in the list",
        ))
    }
}

fn visit_object<'de, V: Visitor<'de>>(
    map: &'de Map<String, Value>,
    visitor: V,
) -> Result<V::Value, DecodeError> {
    let mut entries = Entries {
        iter: map.iter(),
        value: None,
    };
    let value = visitor.visit_map(&mut entries)?;
    if entries.iter.len() == 0 {
        Ok(value)
    } else {
        Err(de::Error::invalid_length(
            map.len(),
            &"fewer entries in the map",
        ))
    }
}

/// How a value shows in "invalid type" messages.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (None, Some(i), _) => Unexpected::Signed(i),
            (None, None, Some(f)) => Unexpected::Float(f),
            (None, None, None) => Unexpected::Other("number"),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

struct Elements<'de>(std::slice::Iter<'de, Value>);

impl<'de> SeqAccess<'de> for Elements<'de> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        self.0
            .next()
            .map(|item| seed.deserialize(Node(item)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'de> {
    iter: serde_json::map::Iter<'de>,
    value: Option<&'de Value>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        let Some((key, value)) = self.iter.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        match self.value.take() {
            Some(value) => seed.deserialize(Node(value)),
            None => Err(DecodeError(
                "a map value was asked for before its key".to_owned(),
            )),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An enum variant: its name and, unless it is a unit variant, its content.
struct Variant<'de> {
    name: &'de str,
    content: Option<&'de Value>,
}

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = DecodeError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), DecodeError> {
        let name = seed.deserialize(BorrowedStrDeserializer::new(self.name))?;
        Ok((name, self))
    }
}

impl<'de> VariantAccess<'de> for Variant<'de> {
    type Error = DecodeError;

    fn unit_variant(self) -> Result<(), DecodeError> {
        match self.content {
            None | Some(Value::Null) => Ok(()),
            Some(other) => Err(de::Error::invalid_type(unexpected(other), &"unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DecodeError> {
        match self.content {
            Some(content) => seed.deserialize(Node(content)),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"newtype variant",
            )),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.content {
            Some(content) => Node(content).deserialize_seq(visitor),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"tuple variant",
            )),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.content {
            Some(content) => Node(content).deserialize_struct("", fields, visitor),
            None => Err(de::Error::invalid_type(
                Unexpected::UnitVariant,
                &"struct variant",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    fn expanded(value: Value, original: &str) -> Value {
        json!({ EXPANDED_KEY: { "value": value, "original": original } })
    }

    fn read<T: for<'de> Deserialize<'de>>(tree: &Value) -> Result<T, String> {
        T::deserialize(Node(tree)).map_err(|err| err.to_string())
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Fast,
        Fixed(u32),
        Window { size: u32 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Port(String);

    /// Guarantees: like confmap's useExpandValue, text targets get the substituted text and
    /// every other target the parsed value, through options, newtypes, lists and enums.
    #[test]
    fn substituted_values_follow_the_target_type() {
        let port = expanded(json!(8080), "8080");
        assert_eq!(read::<String>(&port), Ok("8080".to_owned()));
        assert_eq!(read::<u16>(&port), Ok(8080));
        assert_eq!(read::<f64>(&port), Ok(8080.0));
        assert_eq!(read::<Option<String>>(&port), Ok(Some("8080".to_owned())));
        assert_eq!(read::<Option<u64>>(&port), Ok(Some(8080)));
        assert_eq!(read::<Port>(&port), Ok(Port("8080".to_owned())));
        assert_eq!(
            read::<Vec<String>>(&json!([port])),
            Ok(vec!["8080".to_owned()])
        );
        assert_eq!(read::<bool>(&expanded(json!(true), "true")), Ok(true));
        assert_eq!(read::<char>(&expanded(json!(7), "7")), Ok('7'));
        assert_eq!(
            read::<Mode>(&expanded(json!("fast"), "fast")),
            Ok(Mode::Fast)
        );
        assert_eq!(
            read::<Mode>(&expanded(json!({"fixed": 3}), "fixed: 3")),
            Ok(Mode::Fixed(3))
        );
        // A substituted map (`tls: ${env:TLS}`) is read as the map.
        assert_eq!(
            read::<std::collections::BTreeMap<String, u32>>(&expanded(json!({"a": 1}), "a: 1")),
            Ok([("a".to_owned(), 1)].into())
        );
    }

    /// Guarantees: an empty substitution is `None` for an option (a Go pointer gets nil) and
    /// the empty text for a string (a Go string gets "").
    #[test]
    fn empty_substitution() {
        let empty = expanded(Value::Null, "");
        assert_eq!(read::<Option<String>>(&empty), Ok(None));
        assert_eq!(read::<String>(&empty), Ok(String::new()));
    }

    /// Guarantees: a wrong type is named as serde names it, without any JSON position.
    #[test]
    fn wrong_types_are_named() {
        assert_eq!(
            read::<u64>(&json!("soon")),
            Err("invalid type: string \"soon\", expected u64".to_owned())
        );
        assert_eq!(
            read::<String>(&json!(8080)),
            Err("invalid type: integer `8080`, expected a string".to_owned())
        );
        assert_eq!(
            read::<u8>(&json!(300)),
            Err("invalid value: integer `300`, expected u8".to_owned())
        );
        assert_eq!(
            read::<u64>(&expanded(json!("soon"), "soon")),
            Err("invalid type: string \"soon\", expected u64".to_owned())
        );
        assert_eq!(
            read::<Mode>(&json!({"fast": null, "fixed": 1})),
            Err("invalid value: map, expected a map with a single key".to_owned())
        );
        assert_eq!(
            read::<Mode>(&json!(3)),
            Err(
                "invalid type: integer `3`, expected a string or a map with a single key"
                    .to_owned()
            )
        );
        assert_eq!(
            read::<(u8, u8)>(&json!([1, 2, 3])),
            Err("invalid length 3, expected fewer elements in the list".to_owned())
        );
    }

    /// Guarantees: integers keep every digit, up to the u64 maximum and down to the i64 minimum.
    #[test]
    fn integers_are_exact() {
        assert_eq!(
            read::<u64>(&json!(9_007_199_254_740_993_u64)),
            Ok(9_007_199_254_740_993)
        );
        assert_eq!(read::<u64>(&json!(u64::MAX)), Ok(u64::MAX));
        assert_eq!(read::<i64>(&json!(i64::MIN)), Ok(i64::MIN));
        assert_eq!(read::<u128>(&json!(u64::MAX)), Ok(u128::from(u64::MAX)));
    }

    /// Guarantees: enums decode from a name or a single-key map; a struct needs a map.
    #[test]
    fn enums_and_structs() {
        assert_eq!(read::<Mode>(&json!("fast")), Ok(Mode::Fast));
        assert_eq!(read::<Mode>(&json!({"fixed": 2})), Ok(Mode::Fixed(2)));
        assert_eq!(
            read::<Mode>(&json!({"window": {"size": 4}})),
            Ok(Mode::Window { size: 4 })
        );

        #[derive(Debug, Deserialize)]
        struct Pair {
            _a: u8,
        }
        let err = read::<Pair>(&json!([1])).expect_err("a list is not a struct");
        assert_eq!(err, "invalid type: sequence, expected struct Pair");
    }

    /// Guarantees: a marker that Go did not write well is an error, never read as a map.
    #[test]
    fn malformed_markers_are_refused() {
        for bad in [
            json!({ EXPANDED_KEY: 1 }),
            json!({ EXPANDED_KEY: { "value": 1 } }),
            json!({ EXPANDED_KEY: { "value": 1, "original": "1" }, "other": 2 }),
        ] {
            assert_eq!(
                read::<Value>(&bad),
                Err("malformed \"$otelcol.expanded\" value sent by Go".to_owned()),
                "{bad}"
            );
        }
    }
}
