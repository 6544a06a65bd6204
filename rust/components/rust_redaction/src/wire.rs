//! The attribute maps of a batch read straight from its protobuf bytes, without decoding it.
//!
//! Decoding a batch into prost messages allocates every key and value (about 2 µs per span of
//! ten attributes on the project's machines, twenty times the redaction itself). This walk
//! borrows keys and string values from the bytes and visits the maps in the SDK's numbering
//! (`otelcol_rust_sdk::attributes`: resource, scope, span, its events, its links; data points
//! of every metric type; log records; a missing resource or scope is one empty map), with
//! protobuf's rules as prost applies them: fields in any order, unknown fields skipped, a
//! singular message field given twice merged (its attributes concatenated), the last variant
//! of a oneof winning. Arrays and maps, and any value encoded unusually, are decoded with
//! prost. `tests::walk_matches_the_sdk` checks the numbering and the entries against the SDK's
//! own decoding.

use std::borrow::Cow;

use otelcol_rust_sdk::prost::Message;
use otelcol_rust_sdk::proto::common::v1::{AnyValue, KeyValue};
use otelcol_rust_sdk::{MapKind, Signal};

use crate::value;

/// One attribute of a map.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    pub(crate) key: &'a str,
    pub(crate) value: ValueRef<'a>,
}

/// An attribute value: scalars and strings read in place, the rest decoded.
#[derive(Debug, Clone)]
pub(crate) enum ValueRef<'a> {
    Empty,
    Str(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(&'a [u8]),
    /// Arrays, maps, and values prost has to merge: decoded.
    Any(Cow<'a, AnyValue>),
}

impl ValueRef<'_> {
    /// pdata's `Value.Str()`: the string, `""` for any other type.
    pub(crate) fn str(&self) -> &str {
        match self {
            Self::Str(text) => text,
            Self::Any(value) => value::str_of(Some(value)),
            _ => "",
        }
    }

    /// pdata's `Value.Int()`: the integer, 0 for any other type.
    pub(crate) fn int(&self) -> i64 {
        match self {
            Self::Int(int) => *int,
            Self::Any(value) => value::int_of(Some(value)),
            _ => 0,
        }
    }

    /// Whether it is a string value.
    pub(crate) fn is_str(&self) -> bool {
        match self {
            Self::Str(_) => true,
            Self::Any(value) => value::is_str(Some(value)),
            _ => false,
        }
    }

    /// pdata's `Value.AsString()`.
    pub(crate) fn as_string(&self) -> Cow<'_, str> {
        match self {
            Self::Empty => Cow::Borrowed(""),
            Self::Str(text) => Cow::Borrowed(text),
            Self::Bool(flag) => Cow::Borrowed(if *flag { "true" } else { "false" }),
            Self::Int(int) => Cow::Owned(int.to_string()),
            Self::Double(double) => Cow::Owned(value::double_as_string(*double)),
            Self::Bytes(bytes) => Cow::Owned(value::base64(bytes)),
            Self::Any(any) => value::as_string(Some(any)),
        }
    }
}

/// The entries of decoded attributes (tests build maps this way).
#[cfg(test)]
pub(crate) fn entries(attributes: &[KeyValue]) -> Vec<Entry<'_>> {
    attributes
        .iter()
        .map(|entry| Entry {
            key: &entry.key,
            value: entry
                .value
                .as_ref()
                .map_or(ValueRef::Empty, |value| ValueRef::Any(Cow::Borrowed(value))),
        })
        .collect()
}

/// One field of a message: its number and its payload by wire type.
#[derive(Clone, Copy)]
enum Payload<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32,
}

/// The fields of one message, in wire order.
struct Fields<'a> {
    rest: &'a [u8],
}

fn fields(message: &[u8]) -> Fields<'_> {
    Fields { rest: message }
}

fn malformed(what: &str) -> String {
    format!("malformed protobuf: {what}")
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        // Field keys and most lengths are one byte.
        if let Some(&byte) = self.rest.first()
            && byte < 0x80
        {
            self.rest = &self.rest[1..];
            return Ok(u64::from(byte));
        }
        let mut value = 0_u64;
        for (i, byte) in self.rest.iter().enumerate().take(10) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.rest = &self.rest[i + 1..];
                return Ok(value);
            }
        }
        Err(malformed("bad varint"))
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        if len > self.rest.len() {
            return Err(malformed("a field runs past the end of its message"));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    /// The next field, `None` at the end.
    fn next_field(&mut self) -> Result<Option<(u32, Payload<'a>)>, String> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let number = u32::try_from(key >> 3).map_err(|_| malformed("field number too large"))?;
        if number == 0 {
            return Err(malformed("field number 0"));
        }
        let payload = match key & 7 {
            0 => Payload::Varint(self.varint()?),
            1 => {
                let bytes = self.take(8)?;
                let mut word = [0_u8; 8];
                word.copy_from_slice(bytes);
                Payload::Fixed64(u64::from_le_bytes(word))
            }
            2 => {
                let len =
                    usize::try_from(self.varint()?).map_err(|_| malformed("length too large"))?;
                Payload::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Payload::Fixed32
            }
            // Groups (3, 4) are long deprecated; nothing in OTLP uses them.
            other => return Err(malformed(&format!("wire type {other}"))),
        };
        Ok(Some((number, payload)))
    }

    /// Calls `each` with the payload of every field `number` holding a length-delimited
    /// payload (a message, string or bytes); any other wire type for it is an error, as in
    /// prost.
    fn each_message(
        message: &'a [u8],
        number: u32,
        mut each: impl FnMut(&'a [u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut fields = fields(message);
        while let Some((field, payload)) = fields.next_field()? {
            if field == number {
                match payload {
                    Payload::Bytes(bytes) => each(bytes)?,
                    _ => return Err(malformed(&format!("field {number} is not a message"))),
                }
            }
        }
        Ok(())
    }
}

/// Calls `visit` with every attribute map of an export request of `signal`, numbered as the
/// SDK numbers them. `entries` is the buffer the maps are read into.
pub(crate) fn for_each_map<'a>(
    signal: Signal,
    request: &'a [u8],
    mut visit: impl FnMut(u32, MapKind, &[Entry<'a>]),
) -> Result<(), String> {
    let mut walk = Walk {
        index: 0,
        entries: Vec::new(),
        events: Vec::new(),
        links: Vec::new(),
        visit: &mut visit,
    };
    Fields::each_message(request, 1, |resource| walk.resource(signal, resource))
}

/// Field numbers of the parts of a signal's resource and scope messages (the same for every
/// signal: resource 1, scopes 2; scope 1, items 2).
const RESOURCE: u32 = 1;
const SCOPES: u32 = 2;
const SCOPE: u32 = 1;
const ITEMS: u32 = 2;

struct Walk<'a, 'v, V: FnMut(u32, MapKind, &[Entry<'a>])> {
    index: u32,
    entries: Vec<Entry<'a>>,
    // A span's events and links, found in the pass over its fields (reused across spans).
    events: Vec<&'a [u8]>,
    links: Vec<&'a [u8]>,
    visit: &'v mut V,
}

impl<'a, V: FnMut(u32, MapKind, &[Entry<'a>])> Walk<'a, '_, V> {
    /// Reads the attributes held in field `number` of every message of `parts` (a singular
    /// message given several times is their merge: the attributes of each, in order), then
    /// visits them as one map.
    fn map(&mut self, kind: MapKind, parts: &[&'a [u8]], number: u32) -> Result<(), String> {
        self.entries.clear();
        for part in parts {
            let entries = &mut self.entries;
            Fields::each_message(part, number, |entry| {
                entries.push(key_value(entry)?);
                Ok(())
            })?;
        }
        self.visit_entries(kind);
        Ok(())
    }

    /// Visits the entries read as the next map.
    fn visit_entries(&mut self, kind: MapKind) {
        (self.visit)(self.index, kind, &self.entries);
        self.index += 1;
    }

    /// One map from every occurrence of the singular message field `field` in `message`
    /// (none: one empty map), its attributes in field `number`.
    fn singular(
        &mut self,
        kind: MapKind,
        message: &'a [u8],
        field: u32,
        number: u32,
    ) -> Result<(), String> {
        let mut parts: Vec<&'a [u8]> = Vec::new();
        Fields::each_message(message, field, |part| {
            parts.push(part);
            Ok(())
        })?;
        self.map(kind, &parts, number)
    }

    /// A ResourceSpans, ResourceMetrics or ResourceLogs.
    fn resource(&mut self, signal: Signal, message: &'a [u8]) -> Result<(), String> {
        // Resource.attributes = 1.
        self.singular(MapKind::Resource, message, RESOURCE, 1)?;
        Fields::each_message(message, SCOPES, |scope| self.scope(signal, scope))
    }

    /// A ScopeSpans, ScopeMetrics or ScopeLogs.
    fn scope(&mut self, signal: Signal, message: &'a [u8]) -> Result<(), String> {
        // InstrumentationScope.attributes = 3.
        self.singular(MapKind::Scope, message, SCOPE, 3)?;
        Fields::each_message(message, ITEMS, |item| match signal {
            Signal::Traces => self.span(item),
            Signal::Metrics => self.metric(item),
            // LogRecord.attributes = 6.
            Signal::Logs => self.map(MapKind::LogRecord, &[item], 6),
        })
    }

    /// A span: its attributes (9), its events' (11; Event.attributes = 3), its links' (13;
    /// Link.attributes = 4), in one pass over the span's fields (three passes cost a third of
    /// the walk).
    fn span(&mut self, span: &'a [u8]) -> Result<(), String> {
        let mut events = std::mem::take(&mut self.events);
        let mut links = std::mem::take(&mut self.links);
        events.clear();
        links.clear();
        self.entries.clear();
        let mut fields = fields(span);
        while let Some((number, payload)) = fields.next_field()? {
            match (number, payload) {
                (9, Payload::Bytes(entry)) => self.entries.push(key_value(entry)?),
                (11, Payload::Bytes(event)) => events.push(event),
                (13, Payload::Bytes(link)) => links.push(link),
                (9 | 11 | 13, _) => {
                    return Err(malformed(&format!("span field {number} is not a message")));
                }
                _ => {}
            }
        }
        self.visit_entries(MapKind::Span);
        for event in &events {
            self.map(MapKind::SpanEvent, &[event], 3)?;
        }
        for link in &links {
            self.map(MapKind::SpanLink, &[link], 4)?;
        }
        self.events = events;
        self.links = links;
        Ok(())
    }

    /// A metric: the data points of its data (a oneof: gauge 5, sum 7, histogram 9,
    /// exponential histogram 10, summary 11; the last variant given wins, the occurrences of
    /// one variant in a row merge).
    fn metric(&mut self, metric: &'a [u8]) -> Result<(), String> {
        let mut variant = None;
        let mut parts: Vec<&'a [u8]> = Vec::new();
        let mut fields = fields(metric);
        while let Some((number, payload)) = fields.next_field()? {
            if !matches!(number, 5 | 7 | 9 | 10 | 11) {
                continue;
            }
            let Payload::Bytes(part) = payload else {
                return Err(malformed(&format!(
                    "metric field {number} is not a message"
                )));
            };
            if variant != Some(number) {
                variant = Some(number);
                parts.clear();
            }
            parts.push(part);
        }
        // The data point's attributes: NumberDataPoint 7, HistogramDataPoint 9,
        // ExponentialHistogramDataPoint 1, SummaryDataPoint 7.
        let attributes = match variant {
            Some(5 | 7 | 11) => 7,
            Some(9) => 9,
            Some(10) => 1,
            _ => return Ok(()),
        };
        for part in parts {
            // data_points = 1 in every variant.
            Fields::each_message(part, 1, |point| {
                self.map(MapKind::DataPoint, &[point], attributes)
            })?;
        }
        Ok(())
    }
}

/// One KeyValue: key 1, value 2 (an AnyValue). The key is borrowed; so is a string value,
/// and scalars are read in place. Anything prost would have to merge or build (a field given
/// twice, arrays, maps) is decoded with prost, which has the last word.
fn key_value(message: &[u8]) -> Result<Entry<'_>, String> {
    let mut key = "";
    let mut value: Option<&[u8]> = None;
    let mut unusual = false;
    let mut fields = fields(message);
    while let Some((number, payload)) = fields.next_field()? {
        match (number, payload) {
            (1, Payload::Bytes(bytes)) => key = utf8(bytes)?,
            (2, Payload::Bytes(bytes)) => {
                unusual |= value.is_some();
                value = Some(bytes);
            }
            (1 | 2, _) => return Err(malformed("bad KeyValue field")),
            _ => {}
        }
    }
    let value = match value {
        None => ValueRef::Empty,
        Some(any) if !unusual => match any_value(any)? {
            Some(value) => value,
            None => decoded(message)?,
        },
        Some(_) => decoded(message)?,
    };
    Ok(Entry { key, value })
}

/// An AnyValue read in place, or `None` when prost must decode it.
fn any_value(message: &[u8]) -> Result<Option<ValueRef<'_>>, String> {
    let mut value = None;
    let mut fields = fields(message);
    while let Some((number, payload)) = fields.next_field()? {
        let read = match (number, payload) {
            (1, Payload::Bytes(bytes)) => ValueRef::Str(utf8(bytes)?),
            (2, Payload::Varint(flag)) => ValueRef::Bool(flag != 0),
            (3, Payload::Varint(int)) => ValueRef::Int(int as i64),
            (4, Payload::Fixed64(bits)) => ValueRef::Double(f64::from_bits(bits)),
            (7, Payload::Bytes(bytes)) => ValueRef::Bytes(bytes),
            // Arrays, maps, string-table indexes: prost's.
            (5 | 6 | 8, _) => return Ok(None),
            (1..=4 | 7, _) => return Err(malformed("bad AnyValue field")),
            _ => continue,
        };
        if value.is_some() {
            // A oneof given twice: prost's rules.
            return Ok(None);
        }
        value = Some(read);
    }
    Ok(Some(value.unwrap_or(ValueRef::Empty)))
}

/// A KeyValue's value decoded with prost.
fn decoded(message: &[u8]) -> Result<ValueRef<'static>, String> {
    let entry = KeyValue::decode(message).map_err(|err| err.to_string())?;
    Ok(entry
        .value
        .map_or(ValueRef::Empty, |value| ValueRef::Any(Cow::Owned(value))))
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|_| malformed("a string is not UTF-8"))
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
