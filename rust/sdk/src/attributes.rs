//! The attribute maps of a batch, numbered in the one document order the Go side walks too,
//! and the edits a processor answers against them (docs/boundary.md, "The data path:
//! processors").
//!
//! Maps are numbered from 0, per batch:
//! - traces: each resource's attributes; each scope's; each span's, then its events' in order,
//!   then its links' in order;
//! - metrics: each resource's; each scope's; each data point's of every metric, whatever its
//!   type (gauge, sum, histogram, exponential histogram, summary);
//! - logs: each resource's; each scope's; each log record's.
//!
//! A missing resource or scope counts as one empty map. Exemplars and metric metadata are not
//! numbered.

use crate::Signal;
use crate::proto::collector::logs::v1::ExportLogsServiceRequest;
use crate::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use crate::proto::collector::trace::v1::ExportTraceServiceRequest;
use crate::proto::common::v1::any_value::Value;
use crate::proto::common::v1::{AnyValue, KeyValue};
use crate::proto::metrics::v1::metric::Data;

/// Where an attribute map sits in its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapKind {
    /// A resource's attributes.
    Resource,
    /// An instrumentation scope's attributes.
    Scope,
    /// A span's attributes.
    Span,
    /// A span event's attributes.
    SpanEvent,
    /// A span link's attributes.
    SpanLink,
    /// A metric data point's attributes.
    DataPoint,
    /// A log record's attributes.
    LogRecord,
}

/// One attribute map of a batch, as [`ProcessBatch::for_each_attributes`](crate::ProcessBatch::for_each_attributes)
/// visits it.
#[derive(Debug, Clone, Copy)]
pub struct AttributeMap<'a> {
    /// Its number in the batch's document order: what [`Edits`] address.
    pub index: u32,
    /// What it belongs to.
    pub kind: MapKind,
    /// Its entries, in order.
    pub attributes: &'a [KeyValue],
}

/// A decoded batch of one signal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decoded {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    Logs(ExportLogsServiceRequest),
}

impl Decoded {
    pub(crate) fn signal(&self) -> Signal {
        match self {
            Self::Traces(_) => Signal::Traces,
            Self::Metrics(_) => Signal::Metrics,
            Self::Logs(_) => Signal::Logs,
        }
    }

    pub(crate) fn decode(signal: Signal, bytes: &[u8]) -> Result<Self, prost::DecodeError> {
        use prost::Message;
        Ok(match signal {
            Signal::Traces => Self::Traces(ExportTraceServiceRequest::decode(bytes)?),
            Signal::Metrics => Self::Metrics(ExportMetricsServiceRequest::decode(bytes)?),
            Signal::Logs => Self::Logs(ExportLogsServiceRequest::decode(bytes)?),
        })
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        use prost::Message;
        match self {
            Self::Traces(message) => message.encode_to_vec(),
            Self::Metrics(message) => message.encode_to_vec(),
            Self::Logs(message) => message.encode_to_vec(),
        }
    }

    /// Spans, data points or log records, counted as pdata counts them.
    pub(crate) fn items(&self) -> u64 {
        let mut items = 0u64;
        match self {
            Self::Traces(request) => {
                for resource in &request.resource_spans {
                    for scope in &resource.scope_spans {
                        items += scope.spans.len() as u64;
                    }
                }
            }
            Self::Metrics(request) => {
                for resource in &request.resource_metrics {
                    for scope in &resource.scope_metrics {
                        for metric in &scope.metrics {
                            items += data_points(metric.data.as_ref());
                        }
                    }
                }
            }
            Self::Logs(request) => {
                for resource in &request.resource_logs {
                    for scope in &resource.scope_logs {
                        items += scope.log_records.len() as u64;
                    }
                }
            }
        }
        items
    }

    /// Calls `visit` with every attribute map in document order.
    pub(crate) fn for_each(&self, mut visit: impl FnMut(AttributeMap<'_>)) {
        let mut index = 0u32;
        let mut map = |kind, attributes: &[KeyValue]| {
            visit(AttributeMap {
                index,
                kind,
                attributes,
            });
            index += 1;
        };
        match self {
            Self::Traces(request) => {
                for resource in &request.resource_spans {
                    map(MapKind::Resource, resource_attributes(&resource.resource));
                    for scope in &resource.scope_spans {
                        map(MapKind::Scope, scope_attributes(&scope.scope));
                        for span in &scope.spans {
                            map(MapKind::Span, &span.attributes);
                            for event in &span.events {
                                map(MapKind::SpanEvent, &event.attributes);
                            }
                            for link in &span.links {
                                map(MapKind::SpanLink, &link.attributes);
                            }
                        }
                    }
                }
            }
            Self::Metrics(request) => {
                for resource in &request.resource_metrics {
                    map(MapKind::Resource, resource_attributes(&resource.resource));
                    for scope in &resource.scope_metrics {
                        map(MapKind::Scope, scope_attributes(&scope.scope));
                        for metric in &scope.metrics {
                            match &metric.data {
                                Some(Data::Gauge(gauge)) => {
                                    for point in &gauge.data_points {
                                        map(MapKind::DataPoint, &point.attributes);
                                    }
                                }
                                Some(Data::Sum(sum)) => {
                                    for point in &sum.data_points {
                                        map(MapKind::DataPoint, &point.attributes);
                                    }
                                }
                                Some(Data::Histogram(histogram)) => {
                                    for point in &histogram.data_points {
                                        map(MapKind::DataPoint, &point.attributes);
                                    }
                                }
                                Some(Data::ExponentialHistogram(histogram)) => {
                                    for point in &histogram.data_points {
                                        map(MapKind::DataPoint, &point.attributes);
                                    }
                                }
                                Some(Data::Summary(summary)) => {
                                    for point in &summary.data_points {
                                        map(MapKind::DataPoint, &point.attributes);
                                    }
                                }
                                None => {}
                            }
                        }
                    }
                }
            }
            Self::Logs(request) => {
                for resource in &request.resource_logs {
                    map(MapKind::Resource, resource_attributes(&resource.resource));
                    for scope in &resource.scope_logs {
                        map(MapKind::Scope, scope_attributes(&scope.scope));
                        for record in &scope.log_records {
                            map(MapKind::LogRecord, &record.attributes);
                        }
                    }
                }
            }
        }
    }

    /// Calls `visit` with every attribute map in document order, for changing it; a missing
    /// resource or scope is created (empty) so that it can be.
    fn for_each_mut(&mut self, mut visit: impl FnMut(u32, &mut Vec<KeyValue>)) {
        let mut index = 0u32;
        let mut map = |attributes: &mut Vec<KeyValue>| {
            visit(index, attributes);
            index += 1;
        };
        match self {
            Self::Traces(request) => {
                for resource in &mut request.resource_spans {
                    map(&mut resource.resource.get_or_insert_default().attributes);
                    for scope in &mut resource.scope_spans {
                        map(&mut scope.scope.get_or_insert_default().attributes);
                        for span in &mut scope.spans {
                            map(&mut span.attributes);
                            for event in &mut span.events {
                                map(&mut event.attributes);
                            }
                            for link in &mut span.links {
                                map(&mut link.attributes);
                            }
                        }
                    }
                }
            }
            Self::Metrics(request) => {
                for resource in &mut request.resource_metrics {
                    map(&mut resource.resource.get_or_insert_default().attributes);
                    for scope in &mut resource.scope_metrics {
                        map(&mut scope.scope.get_or_insert_default().attributes);
                        for metric in &mut scope.metrics {
                            match &mut metric.data {
                                Some(Data::Gauge(gauge)) => {
                                    for point in &mut gauge.data_points {
                                        map(&mut point.attributes);
                                    }
                                }
                                Some(Data::Sum(sum)) => {
                                    for point in &mut sum.data_points {
                                        map(&mut point.attributes);
                                    }
                                }
                                Some(Data::Histogram(histogram)) => {
                                    for point in &mut histogram.data_points {
                                        map(&mut point.attributes);
                                    }
                                }
                                Some(Data::ExponentialHistogram(histogram)) => {
                                    for point in &mut histogram.data_points {
                                        map(&mut point.attributes);
                                    }
                                }
                                Some(Data::Summary(summary)) => {
                                    for point in &mut summary.data_points {
                                        map(&mut point.attributes);
                                    }
                                }
                                None => {}
                            }
                        }
                    }
                }
            }
            Self::Logs(request) => {
                for resource in &mut request.resource_logs {
                    map(&mut resource.resource.get_or_insert_default().attributes);
                    for scope in &mut resource.scope_logs {
                        map(&mut scope.scope.get_or_insert_default().attributes);
                        for record in &mut scope.log_records {
                            map(&mut record.attributes);
                        }
                    }
                }
            }
        }
    }

    /// Applies `edits` (sorted by map) in place; an edit naming a map past the last is an
    /// error naming both.
    pub(crate) fn apply(&mut self, edits: &[Edit]) -> Result<(), String> {
        let mut next = 0;
        let mut maps = 0u32;
        self.for_each_mut(|index, attributes| {
            maps = index + 1;
            while let Some(edit) = edits.get(next) {
                if edit.map != index {
                    break;
                }
                edit.op.apply(&edit.key, attributes);
                next += 1;
            }
        });
        match edits.get(next) {
            Some(edit) => Err(format!(
                "an edit names attribute map {}, but the batch has {maps}",
                edit.map
            )),
            None => Ok(()),
        }
    }
}

fn resource_attributes(resource: &Option<crate::proto::resource::v1::Resource>) -> &[KeyValue] {
    resource.as_ref().map_or(&[], |r| r.attributes.as_slice())
}

fn scope_attributes(scope: &Option<crate::proto::common::v1::InstrumentationScope>) -> &[KeyValue] {
    scope.as_ref().map_or(&[], |s| s.attributes.as_slice())
}

fn data_points(data: Option<&Data>) -> u64 {
    (match data {
        Some(Data::Gauge(gauge)) => gauge.data_points.len(),
        Some(Data::Sum(sum)) => sum.data_points.len(),
        Some(Data::Histogram(histogram)) => histogram.data_points.len(),
        Some(Data::ExponentialHistogram(histogram)) => histogram.data_points.len(),
        Some(Data::Summary(summary)) => summary.data_points.len(),
        None => 0,
    }) as u64
}

/// One change to one attribute map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edit {
    pub(crate) map: u32,
    pub(crate) key: String,
    pub(crate) op: EditOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EditOp {
    SetStr(String),
    SetInt(i64),
    Remove,
}

impl EditOp {
    /// As pdata v1.70.0's `pcommon.Map` does: `PutStr`/`PutInt` change the first entry with
    /// the key in place, or append one; `Remove` moves the last entry into the first entry
    /// with the key and shortens the map by one.
    fn apply(&self, key: &str, attributes: &mut Vec<KeyValue>) {
        let found = attributes.iter().position(|kv| kv.key == key);
        let value = match self {
            Self::SetStr(value) => Value::StringValue(value.clone()),
            Self::SetInt(value) => Value::IntValue(*value),
            Self::Remove => {
                if let Some(position) = found {
                    attributes.swap_remove(position);
                }
                return;
            }
        };
        let value = Some(AnyValue { value: Some(value) });
        match found {
            Some(position) => attributes[position].value = value,
            None => attributes.push(KeyValue {
                key: key.to_owned(),
                value,
                ..KeyValue::default()
            }),
        }
    }
}

/// Changes to a batch's attribute maps, addressed by [`AttributeMap::index`]: what a processor
/// answers with [`Processed::Edits`](crate::Processed::Edits) when it changes attribute values
/// and nothing else. The collector applies them in place, with no new batch to decode; each
/// edit has the semantics of the pdata call that applies it.
///
/// ```
/// use otelcol_rust_sdk::Edits;
///
/// let mut edits = Edits::new();
/// edits.set_str(2, "user.email", "****");
/// edits.remove(2, "password");
/// assert_eq!(edits.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edits {
    edits: Vec<Edit>,
}

/// Edit script operation codes (docs/boundary.md).
const OP_SET_STR: u8 = 0;
const OP_SET_INT: u8 = 1;
const OP_REMOVE: u8 = 2;

impl Edits {
    /// No edits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to the string `value` in map `map`: the first entry with the key takes the
    /// value in place (whatever its type was), else an entry is appended (pdata `PutStr`).
    pub fn set_str(&mut self, map: u32, key: impl Into<String>, value: impl Into<String>) {
        self.push(map, key.into(), EditOp::SetStr(value.into()));
    }

    /// Sets `key` to the integer `value` in map `map` (pdata `PutInt`).
    pub fn set_int(&mut self, map: u32, key: impl Into<String>, value: i64) {
        self.push(map, key.into(), EditOp::SetInt(value));
    }

    /// Removes the first entry with `key` from map `map`, if any: the map's last entry takes
    /// its place (pdata `Remove`; the order of the other entries changes).
    pub fn remove(&mut self, map: u32, key: impl Into<String>) {
        self.push(map, key.into(), EditOp::Remove);
    }

    /// Whether there are no edits.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }

    /// How many edits there are.
    pub fn len(&self) -> usize {
        self.edits.len()
    }

    /// The highest map an edit names.
    pub(crate) fn highest_map(&self) -> Option<u32> {
        self.edits.iter().map(|edit| edit.map).max()
    }

    fn push(&mut self, map: u32, key: String, op: EditOp) {
        self.edits.push(Edit { map, key, op });
    }

    /// The edits in application order: by map, and within a map in the order given.
    pub(crate) fn into_sorted(mut self) -> Vec<Edit> {
        self.edits.sort_by_key(|edit| edit.map);
        self.edits
    }
}

/// Appends `edits` (sorted) to `script` in the boundary's wire format: per edit
/// `u32 map | u8 op | u32 key_len | key`, then `u32 len | bytes` for a string or `i64` for an
/// integer; little-endian.
pub(crate) fn encode_script(edits: &[Edit], script: &mut Vec<u8>) {
    for edit in edits {
        script.extend_from_slice(&edit.map.to_le_bytes());
        let (op, value): (u8, Option<&[u8]>) = match &edit.op {
            EditOp::SetStr(value) => (OP_SET_STR, Some(value.as_bytes())),
            EditOp::SetInt(_) => (OP_SET_INT, None),
            EditOp::Remove => (OP_REMOVE, None),
        };
        script.push(op);
        put_bytes(script, edit.key.as_bytes());
        match &edit.op {
            EditOp::SetInt(value) => script.extend_from_slice(&value.to_le_bytes()),
            _ => {
                if let Some(value) = value {
                    put_bytes(script, value);
                }
            }
        }
    }
}

fn put_bytes(script: &mut Vec<u8>, bytes: &[u8]) {
    // Attribute keys and values come from one batch, far below 4 GiB.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    script.extend_from_slice(&len.to_le_bytes());
    script.extend_from_slice(&bytes[..len as usize]);
}

/// Counts the items of an encoded request without decoding it: the nested fields are skipped
/// by their lengths. For a replacement a processor handed over already encoded.
pub(crate) fn count_items(signal: Signal, bytes: &[u8]) -> Result<u64, String> {
    // Field numbers of opentelemetry-proto: Export*ServiceRequest.resource_* = 1,
    // Resource*.scope_* = 2, Scope*.{spans,metrics,log_records} = 2; Metric's data fields
    // gauge 5, sum 7, histogram 9, exponential_histogram 10, summary 11, each with
    // data_points = 1.
    let mut items = 0u64;
    for resource in fields(bytes, &[1]) {
        for scope in fields(resource?, &[2]) {
            for item in fields(scope?, &[2]) {
                let item = item?;
                items += match signal {
                    Signal::Traces | Signal::Logs => 1,
                    Signal::Metrics => {
                        let mut points = 0;
                        for data in fields(item, &[5, 7, 9, 10, 11]) {
                            for point in fields(data?, &[1]) {
                                point?;
                                points += 1;
                            }
                        }
                        points
                    }
                };
            }
        }
    }
    Ok(items)
}

/// The length-delimited fields of `message` whose number is one of `numbers`, in order; the
/// others are skipped.
fn fields<'m>(
    mut message: &'m [u8],
    numbers: &'static [u32],
) -> impl Iterator<Item = Result<&'m [u8], String>> {
    std::iter::from_fn(move || {
        while !message.is_empty() {
            match next_field(&mut message) {
                Ok((number, Some(payload))) if numbers.contains(&number) => {
                    return Some(Ok(payload));
                }
                Ok(_) => {}
                Err(err) => {
                    message = &[];
                    return Some(Err(err));
                }
            }
        }
        None
    })
}

/// Reads one field: its number, and its payload when it is length-delimited.
fn next_field<'m>(message: &mut &'m [u8]) -> Result<(u32, Option<&'m [u8]>), String> {
    let key = varint(message)?;
    let number = u32::try_from(key >> 3).map_err(|_| "field number too large".to_owned())?;
    let payload = match key & 7 {
        0 => {
            varint(message)?;
            None
        }
        1 => {
            take(message, 8)?;
            None
        }
        2 => {
            let len =
                usize::try_from(varint(message)?).map_err(|_| "length too large".to_owned())?;
            Some(take(message, len)?)
        }
        5 => {
            take(message, 4)?;
            None
        }
        other => return Err(format!("unsupported wire type {other}")),
    };
    Ok((number, payload))
}

fn take<'m>(message: &mut &'m [u8], len: usize) -> Result<&'m [u8], String> {
    if message.len() < len {
        return Err("truncated field".to_owned());
    }
    let (head, rest) = message.split_at(len);
    *message = rest;
    Ok(head)
}

fn varint(message: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = message.split_first().ok_or("truncated varint")?;
        *message = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint too long".to_owned())
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::proto::common::v1::InstrumentationScope;
    use crate::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use crate::proto::metrics::v1::{
        ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
        Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
    };
    use crate::proto::resource::v1::Resource;
    use crate::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, span::Event, span::Link};

    fn kv(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(value.to_owned())),
            }),
            ..KeyValue::default()
        }
    }

    fn int(key: &str, value: i64) -> KeyValue {
        KeyValue {
            key: key.to_owned(),
            value: Some(AnyValue {
                value: Some(Value::IntValue(value)),
            }),
            ..KeyValue::default()
        }
    }

    /// Each map labelled with its own name, so the walk's order is checked, not only its kinds.
    fn named(name: &str) -> Vec<KeyValue> {
        vec![kv("n", name)]
    }

    fn resource(name: &str) -> Option<Resource> {
        Some(Resource {
            attributes: named(name),
            ..Resource::default()
        })
    }

    fn scope(name: &str) -> Option<InstrumentationScope> {
        Some(InstrumentationScope {
            attributes: named(name),
            ..InstrumentationScope::default()
        })
    }

    /// The maps in the order visited: (index, kind, the `n` label or "" for an empty map).
    fn walk(decoded: &Decoded) -> Vec<(u32, MapKind, String)> {
        let mut maps = Vec::new();
        decoded.for_each(|map| {
            let label = map
                .attributes
                .iter()
                .find(|kv| kv.key == "n")
                .and_then(|kv| kv.value.as_ref())
                .and_then(|value| match &value.value {
                    Some(Value::StringValue(label)) => Some(label.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            maps.push((map.index, map.kind, label));
        });
        maps
    }

    fn expect(maps: &[(MapKind, &str)]) -> Vec<(u32, MapKind, String)> {
        (0u32..)
            .zip(maps)
            .map(|(index, (kind, label))| (index, *kind, (*label).to_owned()))
            .collect()
    }

    fn span(name: &str, events: &[&str], links: &[&str]) -> Span {
        Span {
            attributes: named(name),
            events: events
                .iter()
                .map(|event| Event {
                    attributes: named(event),
                    ..Event::default()
                })
                .collect(),
            links: links
                .iter()
                .map(|link| Link {
                    attributes: named(link),
                    ..Link::default()
                })
                .collect(),
            ..Span::default()
        }
    }

    /// Scenario: two resources, the second without a resource message and with a scope
    /// without a scope message; spans with events and links.
    /// Guarantees: resource, scope, then per span its own map, its events', its links'; a
    /// missing resource or scope is one empty map; items count spans only.
    #[test]
    fn trace_maps_follow_the_document() {
        let decoded = Decoded::Traces(ExportTraceServiceRequest {
            resource_spans: vec![
                ResourceSpans {
                    resource: resource("r0"),
                    scope_spans: vec![
                        ScopeSpans {
                            scope: scope("s0"),
                            spans: vec![
                                span("a", &["a.e0", "a.e1"], &["a.l0"]),
                                span("b", &[], &[]),
                            ],
                            ..ScopeSpans::default()
                        },
                        ScopeSpans {
                            scope: scope("s1"),
                            spans: vec![span("c", &["c.e0"], &[])],
                            ..ScopeSpans::default()
                        },
                    ],
                    ..ResourceSpans::default()
                },
                ResourceSpans {
                    scope_spans: vec![ScopeSpans {
                        spans: vec![span("d", &[], &["d.l0", "d.l1"])],
                        ..ScopeSpans::default()
                    }],
                    ..ResourceSpans::default()
                },
            ],
        });
        use MapKind::*;
        assert_eq!(
            walk(&decoded),
            expect(&[
                (Resource, "r0"),
                (Scope, "s0"),
                (Span, "a"),
                (SpanEvent, "a.e0"),
                (SpanEvent, "a.e1"),
                (SpanLink, "a.l0"),
                (Span, "b"),
                (Scope, "s1"),
                (Span, "c"),
                (SpanEvent, "c.e0"),
                (Resource, ""),
                (Scope, ""),
                (Span, "d"),
                (SpanLink, "d.l0"),
                (SpanLink, "d.l1"),
            ])
        );
        assert_eq!(decoded.items(), 4);
        assert_eq!(count_items(Signal::Traces, &decoded.encode()), Ok(4));
    }

    fn metric(data: Data) -> Metric {
        Metric {
            data: Some(data),
            ..Metric::default()
        }
    }

    /// Scenario: one metric of every type (two points each), a metric without data, a scope
    /// without a scope message, a resource without a resource message.
    /// Guarantees: every data point of every type is one map and one item, in order; a metric
    /// without data has neither; exemplars are not maps; the count from the bytes agrees.
    #[test]
    fn metric_maps_cover_every_data_point_type() {
        let number = |name: &str| NumberDataPoint {
            attributes: named(name),
            exemplars: vec![Default::default()],
            ..NumberDataPoint::default()
        };
        let histogram = |name: &str| HistogramDataPoint {
            attributes: named(name),
            ..HistogramDataPoint::default()
        };
        let exponential = |name: &str| ExponentialHistogramDataPoint {
            attributes: named(name),
            ..ExponentialHistogramDataPoint::default()
        };
        let summary = |name: &str| SummaryDataPoint {
            attributes: named(name),
            ..SummaryDataPoint::default()
        };
        let decoded = Decoded::Metrics(ExportMetricsServiceRequest {
            resource_metrics: vec![
                ResourceMetrics {
                    resource: resource("r0"),
                    scope_metrics: vec![ScopeMetrics {
                        scope: scope("s0"),
                        metrics: vec![
                            metric(Data::Gauge(Gauge {
                                data_points: vec![number("g0"), number("g1")],
                            })),
                            Metric::default(),
                            metric(Data::Sum(Sum {
                                data_points: vec![number("s0"), number("s1")],
                                ..Sum::default()
                            })),
                            metric(Data::Histogram(Histogram {
                                data_points: vec![histogram("h0"), histogram("h1")],
                                ..Histogram::default()
                            })),
                        ],
                        ..ScopeMetrics::default()
                    }],
                    ..ResourceMetrics::default()
                },
                ResourceMetrics {
                    scope_metrics: vec![ScopeMetrics {
                        metrics: vec![
                            metric(Data::ExponentialHistogram(ExponentialHistogram {
                                data_points: vec![exponential("e0"), exponential("e1")],
                                ..ExponentialHistogram::default()
                            })),
                            metric(Data::Summary(Summary {
                                data_points: vec![summary("q0"), summary("q1")],
                            })),
                        ],
                        ..ScopeMetrics::default()
                    }],
                    ..ResourceMetrics::default()
                },
            ],
        });
        use MapKind::*;
        assert_eq!(
            walk(&decoded),
            expect(&[
                (Resource, "r0"),
                (Scope, "s0"),
                (DataPoint, "g0"),
                (DataPoint, "g1"),
                (DataPoint, "s0"),
                (DataPoint, "s1"),
                (DataPoint, "h0"),
                (DataPoint, "h1"),
                (Resource, ""),
                (Scope, ""),
                (DataPoint, "e0"),
                (DataPoint, "e1"),
                (DataPoint, "q0"),
                (DataPoint, "q1"),
            ])
        );
        assert_eq!(decoded.items(), 10);
        assert_eq!(count_items(Signal::Metrics, &decoded.encode()), Ok(10));
    }

    /// Guarantees: log maps are resource, scope, then each record's; missing resource and
    /// scope are empty maps; a resource without scopes has its one map.
    #[test]
    fn log_maps_follow_the_document() {
        let record = |name: &str| LogRecord {
            attributes: named(name),
            ..LogRecord::default()
        };
        let decoded = Decoded::Logs(ExportLogsServiceRequest {
            resource_logs: vec![
                ResourceLogs {
                    scope_logs: vec![
                        ScopeLogs {
                            log_records: vec![record("l0"), record("l1")],
                            ..ScopeLogs::default()
                        },
                        ScopeLogs {
                            scope: scope("s1"),
                            log_records: vec![record("l2")],
                            ..ScopeLogs::default()
                        },
                    ],
                    ..ResourceLogs::default()
                },
                ResourceLogs {
                    resource: resource("r1"),
                    ..ResourceLogs::default()
                },
            ],
        });
        use MapKind::{Resource, Scope};
        assert_eq!(
            walk(&decoded),
            expect(&[
                (Resource, ""),
                (Scope, ""),
                (MapKind::LogRecord, "l0"),
                (MapKind::LogRecord, "l1"),
                (Scope, "s1"),
                (MapKind::LogRecord, "l2"),
                (Resource, "r1"),
            ])
        );
        assert_eq!(decoded.items(), 3);
        assert_eq!(count_items(Signal::Logs, &decoded.encode()), Ok(3));
    }

    fn edits(build: impl FnOnce(&mut Edits)) -> Vec<Edit> {
        let mut edits = Edits::new();
        build(&mut edits);
        edits.into_sorted()
    }

    fn logs_with(attributes: Vec<KeyValue>) -> Decoded {
        Decoded::Logs(ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        attributes,
                        ..LogRecord::default()
                    }],
                    ..ScopeLogs::default()
                }],
                ..ResourceLogs::default()
            }],
        })
    }

    fn record_attributes(decoded: &Decoded) -> Vec<KeyValue> {
        let mut found = Vec::new();
        decoded.for_each(|map| {
            if map.kind == MapKind::LogRecord {
                found = map.attributes.to_vec();
            }
        });
        found
    }

    /// Guarantees: pdata's semantics, edit by edit in the order given: PutStr/PutInt change
    /// the FIRST entry with the key in place (whatever its type) or append; Remove moves the
    /// last entry into the first match's place; removing an absent key does nothing.
    #[test]
    fn edits_mirror_pdata() {
        let mut decoded = logs_with(vec![kv("a", "1"), kv("b", "2"), kv("a", "3"), kv("c", "4")]);
        let script = edits(|edits| {
            edits.set_int(2, "a", -5); // the first "a", in place, now an int
            edits.set_str(2, "new", "x"); // appended
            edits.remove(2, "b"); // "new" (the last) takes b's place
            edits.remove(2, "zzz"); // absent: nothing
        });
        assert_eq!(decoded.apply(&script), Ok(()));
        assert_eq!(
            record_attributes(&decoded),
            [int("a", -5), kv("new", "x"), kv("a", "3"), kv("c", "4")]
        );
        // Removing the first of two equal keys leaves the second, moved or not.
        let script = edits(|edits| {
            edits.remove(2, "a");
            edits.remove(2, "c"); // now the first entry: the last moves again
        });
        assert_eq!(decoded.apply(&script), Ok(()));
        assert_eq!(record_attributes(&decoded), [kv("a", "3"), kv("new", "x")]);
    }

    /// Guarantees: an edit to a missing resource or scope creates it (pdata's are never
    /// missing); maps are applied in ascending order whatever order the edits were made in;
    /// an edit past the last map is refused naming both numbers.
    #[test]
    fn edits_reach_missing_maps_and_stop_at_the_end() {
        let mut decoded = logs_with(Vec::new());
        let script = edits(|edits| {
            edits.set_str(2, "record", "r");
            edits.set_str(1, "scope", "s");
            edits.set_str(0, "resource", "x");
        });
        assert_eq!(decoded.apply(&script), Ok(()));
        let mut maps = Vec::new();
        decoded.for_each(|map| maps.push(map.attributes.to_vec()));
        assert_eq!(
            maps,
            [
                vec![kv("resource", "x")],
                vec![kv("scope", "s")],
                vec![kv("record", "r")]
            ]
        );
        let script = edits(|edits| {
            edits.set_str(3, "k", "v");
            edits.set_str(0, "first", "applied");
        });
        assert_eq!(
            decoded.apply(&script),
            Err("an edit names attribute map 3, but the batch has 3".to_owned())
        );
    }

    /// Guarantees: the script's wire format byte for byte: little-endian map and lengths,
    /// op codes 0/1/2, UTF-8 keys and values by their byte length, i64 two's complement,
    /// remove with no value.
    #[test]
    fn the_script_is_the_boundarys_wire_format() {
        let mut script = Vec::new();
        encode_script(
            &edits(|edits| {
                edits.remove(258, "é");
                edits.set_int(1, "n", -2);
                edits.set_str(1, "k", "vé");
            }),
            &mut script,
        );
        let expected: Vec<u8> = [
            &[1, 0, 0, 0, 1, 1, 0, 0, 0, b'n'][..],
            &[0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[
                1, 0, 0, 0, 0, 1, 0, 0, 0, b'k', 3, 0, 0, 0, b'v', 0xc3, 0xa9,
            ],
            &[2, 1, 0, 0, 2, 2, 0, 0, 0, 0xc3, 0xa9],
        ]
        .concat();
        assert_eq!(script, expected);
    }

    /// Guarantees: counting from the bytes refuses what is not a well-formed message instead
    /// of guessing, and skips fields of every wire type it does not count.
    #[test]
    fn counting_refuses_malformed_bytes() {
        let good = logs_with(vec![kv("a", "b")]).encode();
        assert_eq!(count_items(Signal::Logs, &good), Ok(1));
        assert_eq!(
            count_items(Signal::Logs, &good[..good.len() - 1]),
            Err("truncated field".to_owned())
        );
        assert_eq!(
            count_items(Signal::Logs, &[0x0b]),
            Err("unsupported wire type 3".to_owned())
        );
        // Varint, fixed64 and fixed32 fields around the resource are skipped.
        let mut with_others = vec![
            0x10, 0x96, 0x01, 0x19, 0, 0, 0, 0, 0, 0, 0, 0, 0x25, 0, 0, 0, 0,
        ];
        with_others.extend_from_slice(&good);
        assert_eq!(count_items(Signal::Logs, &with_others), Ok(1));
        let request = ExportLogsServiceRequest::decode(good.as_slice());
        assert!(request.is_ok());
    }
}
