//! Attribute values read as pdata reads them (`Str`, `Int`, the type), and as text
//! (`AsString`, from the SDK: what the Go redactionprocessor matches and masks under
//! `redact_all_types`).

use otelcol_rust_sdk::proto::common::v1::AnyValue;
use otelcol_rust_sdk::proto::common::v1::any_value::Value;
pub(crate) use otelcol_rust_sdk::value::{as_string, base64, double_as_string};

/// The string of a string value, `""` for any other type: pdata's `Value.Str()`.
pub(crate) fn str_of(value: Option<&AnyValue>) -> &str {
    match value.and_then(|value| value.value.as_ref()) {
        Some(Value::StringValue(text)) => text,
        _ => "",
    }
}

/// The integer of an int value, 0 for any other type: pdata's `Value.Int()`.
pub(crate) fn int_of(value: Option<&AnyValue>) -> i64 {
    match value.and_then(|value| value.value.as_ref()) {
        Some(Value::IntValue(int)) => *int,
        _ => 0,
    }
}

/// Whether the value is a string (pdata's `Type() == ValueTypeStr`).
pub(crate) fn is_str(value: Option<&AnyValue>) -> bool {
    matches!(
        value.and_then(|value| value.value.as_ref()),
        Some(Value::StringValue(_))
    )
}
