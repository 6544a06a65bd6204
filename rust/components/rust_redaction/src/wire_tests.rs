//! The walk over the bytes against the SDK's own decoding (prost) as the oracle.

use otelcol_rust_sdk::ProcessBatch;
use otelcol_rust_sdk::proto::common::v1::any_value::Value;
use otelcol_rust_sdk::proto::common::v1::{ArrayValue, InstrumentationScope, KeyValueList};
use otelcol_rust_sdk::proto::logs::v1::LogRecord;
use otelcol_rust_sdk::proto::metrics::v1::metric::Data;
use otelcol_rust_sdk::proto::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, Sum, Summary, SummaryDataPoint,
};
use otelcol_rust_sdk::proto::trace::v1::Span;
use otelcol_rust_sdk::proto::trace::v1::span::{Event, Link};

use super::*;

/// A seeded generator (xorshift64*): every run builds the same batches.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

const KEYS: [&str; 5] = ["a", "http.route", "redaction.masked.count", "ünï", ""];
const TEXTS: [&str; 4] = ["", "4111111111111111", "multi\nline", "é\u{2028}<&>"];

fn any_value(rng: &mut Rng, depth: u32) -> AnyValue {
    let value = match rng.below(if depth < 2 { 10 } else { 8 }) {
        0 => None,
        1 | 2 => Some(Value::StringValue(TEXTS[rng.below(4) as usize].to_owned())),
        3 => Some(Value::BoolValue(rng.one_in(2))),
        4 => Some(Value::IntValue(
            [0, -1, i64::MIN, 4_111_111_111_111_111][rng.below(4) as usize],
        )),
        5 => Some(Value::DoubleValue(
            [0.5, -0.0, 1e21, 1.5e-7, f64::NAN][rng.below(5) as usize],
        )),
        6 => Some(Value::BytesValue(
            (0..rng.below(4)).map(|i| i as u8 * 97).collect(),
        )),
        7 => Some(Value::StringValueStrindex(3)),
        8 => Some(Value::ArrayValue(ArrayValue {
            values: (0..rng.below(3))
                .map(|_| any_value(rng, depth + 1))
                .collect(),
        })),
        _ => Some(Value::KvlistValue(KeyValueList {
            values: attributes(rng, depth + 1),
        })),
    };
    AnyValue { value }
}

fn key_value(rng: &mut Rng, depth: u32) -> KeyValue {
    KeyValue {
        key: KEYS[rng.below(KEYS.len() as u64) as usize].to_owned(),
        value: (!rng.one_in(6)).then(|| any_value(rng, depth)),
        ..KeyValue::default()
    }
}

fn attributes(rng: &mut Rng, depth: u32) -> Vec<KeyValue> {
    (0..rng.below(4)).map(|_| key_value(rng, depth)).collect()
}

/// Protobuf field `number` holding `bytes` (length-delimited).
fn field(number: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(u64::from(number) << 3 | 2, &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

fn varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// An attribute list as fields `number`, where one field sometimes holds two KeyValues back
/// to back (a KeyValue given twice: prost merges them), and an unknown field is mixed in.
fn attribute_fields(rng: &mut Rng, number: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.below(4) {
        let mut entry = key_value(rng, 0).encode_to_vec();
        if rng.one_in(5) {
            entry.extend(key_value(rng, 0).encode_to_vec());
        }
        out.extend(field(number, &entry));
    }
    if rng.one_in(4) {
        out.extend(field(99, b"unknown"));
    }
    out
}

/// A ResourceSpans, ResourceMetrics or ResourceLogs as one or two messages back to back (one
/// message merged: a resource given twice, scopes before the resource...), each with or
/// without a resource.
fn resource(rng: &mut Rng, signal: Signal) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..=rng.below(2) {
        if !rng.one_in(3) {
            out.extend(field(1, &attribute_fields(rng, 1)));
        }
        for _ in 0..rng.below(3) {
            out.extend(field(2, &scope(rng, signal)));
        }
    }
    out
}

fn scope(rng: &mut Rng, signal: Signal) -> Vec<u8> {
    let mut out = Vec::new();
    if !rng.one_in(3) {
        let named = InstrumentationScope {
            name: "scope".into(),
            ..InstrumentationScope::default()
        };
        let mut scope = named.encode_to_vec();
        scope.extend(attribute_fields(rng, 3));
        out.extend(field(1, &scope));
    }
    for _ in 0..rng.below(3) {
        let item = match signal {
            Signal::Traces => span(rng),
            Signal::Metrics => metric(rng),
            Signal::Logs => {
                let mut record = LogRecord {
                    severity_number: 9,
                    ..LogRecord::default()
                }
                .encode_to_vec();
                record.extend(attribute_fields(rng, 6));
                record
            }
        };
        out.extend(field(2, &item));
    }
    out
}

fn span(rng: &mut Rng) -> Vec<u8> {
    let mut span = Span {
        name: "span".into(),
        events: (0..rng.below(3))
            .map(|_| Event {
                attributes: attributes(rng, 0),
                ..Event::default()
            })
            .collect(),
        links: (0..rng.below(2))
            .map(|_| Link {
                attributes: attributes(rng, 0),
                ..Link::default()
            })
            .collect(),
        ..Span::default()
    }
    .encode_to_vec();
    // The span's own attributes after its events and links on the wire.
    span.extend(attribute_fields(rng, 9));
    span
}

/// A metric as one or two messages back to back: a oneof given twice (the same variant
/// merges, another replaces), or no data at all.
fn metric(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..=rng.below(2) {
        let count = rng.below(3);
        let data = match rng.below(6) {
            0 => None,
            1 => Some(Data::Gauge(Gauge {
                data_points: (0..count)
                    .map(|_| NumberDataPoint {
                        attributes: attributes(rng, 0),
                        ..NumberDataPoint::default()
                    })
                    .collect(),
            })),
            2 => Some(Data::Sum(Sum {
                data_points: (0..count)
                    .map(|_| NumberDataPoint {
                        attributes: attributes(rng, 0),
                        ..NumberDataPoint::default()
                    })
                    .collect(),
                ..Sum::default()
            })),
            3 => Some(Data::Histogram(Histogram {
                data_points: (0..count)
                    .map(|_| HistogramDataPoint {
                        attributes: attributes(rng, 0),
                        count: 2,
                        ..HistogramDataPoint::default()
                    })
                    .collect(),
                ..Histogram::default()
            })),
            4 => Some(Data::ExponentialHistogram(ExponentialHistogram {
                data_points: (0..count)
                    .map(|_| ExponentialHistogramDataPoint {
                        attributes: attributes(rng, 0),
                        scale: 2,
                        ..ExponentialHistogramDataPoint::default()
                    })
                    .collect(),
                ..ExponentialHistogram::default()
            })),
            _ => Some(Data::Summary(Summary {
                data_points: (0..count)
                    .map(|_| SummaryDataPoint {
                        attributes: attributes(rng, 0),
                        ..SummaryDataPoint::default()
                    })
                    .collect(),
            })),
        };
        out.extend(
            Metric {
                name: "m".into(),
                data,
                ..Metric::default()
            }
            .encode_to_vec(),
        );
    }
    out
}

fn render(index: u32, kind: MapKind, entries: &[Entry<'_>]) -> String {
    let shown: Vec<String> = entries
        .iter()
        .map(|entry| {
            let kind = match &entry.value {
                ValueRef::Empty => "Empty",
                ValueRef::Str(_) => "Str",
                ValueRef::Bool(_) => "Bool",
                ValueRef::Int(_) => "Int",
                ValueRef::Double(_) => "Double",
                ValueRef::Bytes(_) => "Bytes",
                ValueRef::Any(any) => match &any.value {
                    None | Some(Value::StringValueStrindex(_)) => "Empty",
                    Some(Value::StringValue(_)) => "Str",
                    Some(Value::BoolValue(_)) => "Bool",
                    Some(Value::IntValue(_)) => "Int",
                    Some(Value::DoubleValue(_)) => "Double",
                    Some(Value::BytesValue(_)) => "Bytes",
                    Some(Value::ArrayValue(_)) => "Slice",
                    Some(Value::KvlistValue(_)) => "Map",
                },
            };
            format!("{:?}={kind}:{:?}", entry.key, entry.value.as_string())
        })
        .collect();
    format!("{index} {kind:?} {shown:?}")
}

/// Scenario: random batches of every signal, encoded with what prost merges (a singular
/// message given twice, scopes before their resource, a KeyValue or a metric's data given
/// twice), unknown fields, every value type, missing resources and scopes, empty maps.
/// Guarantees: the walk visits exactly the maps the SDK numbers after decoding with prost,
/// same index, kind, keys, value types and text forms.
#[test]
fn walk_matches_the_sdk() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for signal in [Signal::Traces, Signal::Metrics, Signal::Logs] {
        for case in 0..400 {
            let mut request = Vec::new();
            for _ in 0..rng.below(3) {
                request.extend(field(1, &resource(&mut rng, signal)));
            }
            let mut walked = Vec::new();
            let walk = for_each_map(signal, &request, |index, kind, entries| {
                walked.push(render(index, kind, entries));
            });
            assert_eq!(walk, Ok(()), "{signal} case {case}");
            let mut decoded = Vec::new();
            let sdk = ProcessBatch::new(signal, &request, 0).for_each_attributes(|map| {
                decoded.push(render(map.index, map.kind, &entries(map.attributes)));
            });
            assert!(sdk.is_ok(), "{signal} case {case}: {sdk:?}");
            assert_eq!(walked, decoded, "{signal} case {case}");
        }
    }
}

/// Guarantees: bytes prost refuses in what the walk reads are refused too (a truncated
/// field, a key that is not UTF-8, a key of the wrong wire type), so a batch is never
/// half-redacted.
#[test]
fn malformed_bytes_are_refused() {
    let key = |bytes: &[u8]| field(1, &field(1, &field(1, &field(1, bytes))));
    let cases: [(&str, Vec<u8>); 3] = [
        ("truncated", vec![0x0a, 0x05, 0x01]),
        ("not UTF-8", key(&[0xff, 0xfe])),
        ("wire type", field(1, &field(1, &field(1, &[0x08, 0x01])))),
    ];
    for (name, bytes) in cases {
        let walk = for_each_map(Signal::Logs, &bytes, |_, _, _| {});
        assert!(walk.is_err(), "{name}: {walk:?}");
        let sdk = ProcessBatch::new(Signal::Logs, &bytes, 0).for_each_attributes(|_| {});
        assert!(sdk.is_err(), "{name}: prost accepts it");
    }
}
