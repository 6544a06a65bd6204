//! Instruments a component declares in `create`; the collector reads them at collection time.
//!
//! Every update is an atomic operation on memory the library reads when the collector collects
//! its metrics: no lock, no allocation, no call into Go (docs/telemetry.md). A series (an
//! instrument with one set of attributes) is exported from its first update on, as the
//! collector's own synchronous instruments do: declaring it is not a measurement.
//!
//! ```
//! use otelcol_rust_sdk::{KeyValue, Meter};
//!
//! let meter = Meter::default(); // a component gets its meter in `CreateSettings`
//! let requests = meter
//!     .counter("my_requests")
//!     .description("Requests served")
//!     .unit("{request}")
//!     .build();
//! let ok = requests.with_attributes(&[KeyValue::new("code", 200)]);
//! ok.add(1);
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

/// OpenTelemetry's default histogram bucket boundaries.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

/// An attribute value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A string.
    String(String),
    /// An integer.
    I64(i64),
    /// A float.
    F64(f64),
    /// A boolean.
    Bool(bool),
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Self::String(value.to_owned())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Self::String(value)
    }
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Self::I64(value)
    }
}

/// The integer types that fit an i64 losslessly.
macro_rules! integer_values {
    ($($integer:ty),*) => {$(
        impl From<$integer> for Value {
            fn from(value: $integer) -> Self {
                Self::I64(value.into())
            }
        }
    )*};
}

integer_values!(i8, i16, i32, u8, u16, u32);

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Self::F64(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// One attribute of a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValue {
    /// The attribute's key.
    pub key: String,
    /// The attribute's value.
    pub value: Value,
}

impl KeyValue {
    /// An attribute.
    pub fn new(key: impl Into<String>, value: impl Into<Value>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// What an instrument measures.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentKind {
    /// A monotonic sum (u64).
    Counter,
    /// A sum that goes up and down (i64).
    UpDownCounter,
    /// The last recorded value (f64).
    Gauge,
    /// A distribution over explicit buckets (f64).
    Histogram,
}

/// An instrument as the collector is told about it.
#[doc(hidden)]
#[derive(Debug, Clone, Serialize)]
pub struct InstrumentDescription {
    /// The metric name.
    pub name: String,
    /// The instrument kind.
    pub kind: InstrumentKind,
    /// What it measures.
    pub description: String,
    /// Its unit (UCUM), e.g. `ms` or `{request}`.
    pub unit: String,
    /// A histogram's bucket boundaries (upper bounds, inclusive, strictly increasing, never
    /// empty); empty for other kinds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<f64>,
}

/// One series: the atomics every handle of it updates.
struct Series {
    attributes: Vec<KeyValue>,
    /// Counter: the u64 sum. Up-down counter: the i64 sum, as two's complement. Gauge: the
    /// f64 bits.
    value: AtomicU64,
    /// Whether the series was ever updated: until then it is not read (a series exists from
    /// the moment a handle names it, which is not a measurement yet).
    updated: AtomicBool,
    /// Histogram: observations per bucket (one more than the boundaries: the last is +Inf).
    bucket_counts: Box<[AtomicU64]>,
    /// Histogram: the f64 sum of the observations per bucket, as bits.
    bucket_sums: Box<[AtomicU64]>,
}

impl Series {
    /// Marks the series updated, after the update itself. A load first: once set, the flag is
    /// only read, so updates from many threads do not fight over it.
    fn touch(&self) {
        if !self.updated.load(Ordering::Relaxed) {
            self.updated.store(true, Ordering::Release);
        }
    }

    fn new(attributes: Vec<KeyValue>, buckets: usize) -> Self {
        let zeros = || (0..buckets).map(|_| AtomicU64::new(0)).collect();
        Self {
            attributes,
            value: AtomicU64::new(0),
            updated: AtomicBool::new(false),
            bucket_counts: zeros(),
            bucket_sums: zeros(),
        }
    }
}

fn add_f64(cell: &AtomicU64, value: f64) {
    // A compare-and-swap loop: there is no atomic float add.
    let _ = cell.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
        Some((f64::from_bits(bits) + value).to_bits())
    });
}

struct Instrument {
    description: InstrumentDescription,
    series: Mutex<Vec<Arc<Series>>>,
}

impl Instrument {
    fn series_list(&self) -> MutexGuard<'_, Vec<Arc<Series>>> {
        // Only pushes happen under this lock; a poisoned list is still sound.
        self.series.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The series with these attributes, created on first use. Attributes are a set, as in
    /// OpenTelemetry: their order does not matter, and of one key given twice the last wins.
    fn series(&self, attributes: &[KeyValue]) -> Arc<Series> {
        let attributes = attribute_set(attributes);
        let mut list = self.series_list();
        if let Some(found) = list.iter().find(|series| series.attributes == attributes) {
            return Arc::clone(found);
        }
        let buckets = match self.description.kind {
            InstrumentKind::Histogram => self.description.buckets.len() + 1,
            _ => 0,
        };
        let series = Arc::new(Series::new(attributes, buckets));
        list.push(Arc::clone(&series));
        series
    }
}

/// `attributes` sorted by key, keeping the last value of a key given twice: one series per
/// attribute set, whatever order the caller wrote it in.
fn attribute_set(attributes: &[KeyValue]) -> Vec<KeyValue> {
    let mut set: Vec<KeyValue> = Vec::with_capacity(attributes.len());
    for attribute in attributes {
        match set.binary_search_by(|kept| kept.key.cmp(&attribute.key)) {
            Ok(at) => set[at] = attribute.clone(),
            Err(at) => set.insert(at, attribute.clone()),
        }
    }
    set
}

/// Bucket boundaries as OpenTelemetry takes them: finite and strictly increasing (the
/// collector's SDK ignores boundaries that are not, and then uses its defaults, which would no
/// longer match the buckets counted here). Empty becomes [`DEFAULT_BUCKETS`] for the same
/// reason. Answers whether anything had to change.
fn checked_buckets(boundaries: &mut Vec<f64>) -> bool {
    let given = boundaries.clone();
    boundaries.retain(|bound| bound.is_finite());
    boundaries.sort_by(f64::total_cmp);
    boundaries.dedup();
    if boundaries.is_empty() {
        *boundaries = DEFAULT_BUCKETS.to_vec();
    }
    *boundaries != given
}

#[derive(Default)]
struct MeterState {
    instruments: Mutex<Vec<Arc<Instrument>>>,
    sealed: AtomicBool,
}

/// Declares a component's instruments. Each instance gets its own in
/// [`CreateSettings`](crate::CreateSettings); instruments must be built in `create` (those
/// built later work but are not exported, and a warning is logged). A default `Meter` exports
/// nothing: it is for unit tests.
#[derive(Clone, Default)]
pub struct Meter(Arc<MeterState>);

impl std::fmt::Debug for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Meter({} instruments)", self.instruments().len())
    }
}

impl Meter {
    fn instruments(&self) -> MutexGuard<'_, Vec<Arc<Instrument>>> {
        self.0
            .instruments
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A monotonic counter of u64 values.
    pub fn counter(&self, name: impl Into<String>) -> InstrumentBuilder<'_, Counter> {
        self.builder(name, InstrumentKind::Counter)
    }

    /// A counter of i64 values that can go down.
    pub fn up_down_counter(&self, name: impl Into<String>) -> InstrumentBuilder<'_, UpDownCounter> {
        self.builder(name, InstrumentKind::UpDownCounter)
    }

    /// A gauge: the last recorded f64 value.
    pub fn gauge(&self, name: impl Into<String>) -> InstrumentBuilder<'_, Gauge> {
        self.builder(name, InstrumentKind::Gauge)
    }

    /// A histogram of f64 values, over [`DEFAULT_BUCKETS`] unless
    /// [`buckets`](InstrumentBuilder::buckets) says otherwise.
    pub fn histogram(&self, name: impl Into<String>) -> InstrumentBuilder<'_, Histogram> {
        let mut builder = self.builder(name, InstrumentKind::Histogram);
        builder.description.buckets = DEFAULT_BUCKETS.to_vec();
        builder
    }

    fn builder<T>(
        &self,
        name: impl Into<String>,
        kind: InstrumentKind,
    ) -> InstrumentBuilder<'_, T> {
        InstrumentBuilder {
            meter: self,
            description: InstrumentDescription {
                name: name.into(),
                kind,
                description: String::new(),
                unit: String::new(),
                buckets: Vec::new(),
            },
            handle: std::marker::PhantomData,
        }
    }

    fn register(&self, mut description: InstrumentDescription) -> Arc<Instrument> {
        if description.kind == InstrumentKind::Histogram
            && checked_buckets(&mut description.buckets)
        {
            tracing::warn!(
                instrument = description.name.as_str(),
                buckets = ?description.buckets,
                "histogram buckets must be finite, increasing and not empty; using these"
            );
        }
        let detached = |why: &str| {
            tracing::warn!(
                instrument = description.name.as_str(),
                "instrument not exported: {why}"
            );
            Arc::new(Instrument {
                description: description.clone(),
                series: Mutex::default(),
            })
        };
        if self.0.sealed.load(Ordering::Acquire) {
            return detached("instruments must be built in the factory's `create`");
        }
        let mut instruments = self.instruments();
        if let Some(existing) = instruments
            .iter()
            .find(|existing| existing.description.name == description.name)
        {
            if existing.description.kind == description.kind
                && existing.description.buckets == description.buckets
            {
                return Arc::clone(existing);
            }
            drop(instruments);
            return detached("the name is already declared with another kind or buckets");
        }
        let instrument = Arc::new(Instrument {
            description: description.clone(),
            series: Mutex::default(),
        });
        instruments.push(Arc::clone(&instrument));
        instrument
    }

    /// Stops exporting instruments built from now on. Called by the library once `create`
    /// returned.
    #[doc(hidden)]
    pub fn seal(&self) {
        self.0.sealed.store(true, Ordering::Release);
    }

    /// The exported instruments, in declaration order (an instrument's id is its index).
    #[doc(hidden)]
    pub fn descriptions(&self) -> Vec<InstrumentDescription> {
        self.instruments()
            .iter()
            .map(|instrument| instrument.description.clone())
            .collect()
    }

    /// The cumulative value of every series, as the library sends it to Go:
    /// `[{"instrument":i,"attributes":[..],"value":v}]`, histograms with `count`, `sum`,
    /// `bucket_counts` and `bucket_sums` instead of `value`. A series never updated is left
    /// out.
    #[doc(hidden)]
    pub fn read(&self) -> Vec<serde_json::Value> {
        let instruments: Vec<_> = self.instruments().iter().cloned().collect();
        let mut out = Vec::new();
        for (id, instrument) in instruments.iter().enumerate() {
            for series in instrument.series_list().iter() {
                if !series.updated.load(Ordering::Acquire) {
                    continue;
                }
                let bits = series.value.load(Ordering::Relaxed);
                let mut entry = serde_json::json!({
                    "instrument": id,
                    "attributes": series.attributes,
                });
                match instrument.description.kind {
                    InstrumentKind::Counter => entry["value"] = bits.into(),
                    // The i64 sum kept as two's complement bits.
                    InstrumentKind::UpDownCounter => entry["value"] = (bits as i64).into(),
                    InstrumentKind::Gauge => {
                        // JSON has no NaN or infinity: such a value crosses as null, which
                        // the collector does not observe.
                        entry["value"] = f64::from_bits(bits).into();
                    }
                    InstrumentKind::Histogram => {
                        let counts: Vec<u64> = series
                            .bucket_counts
                            .iter()
                            .map(|count| count.load(Ordering::Acquire))
                            .collect();
                        // After the counts: every counted observation's value is in its sum
                        // (see `Histogram::record`).
                        let sums: Vec<f64> = series
                            .bucket_sums
                            .iter()
                            .map(|sum| f64::from_bits(sum.load(Ordering::Relaxed)))
                            .collect();
                        entry["count"] = counts.iter().sum::<u64>().into();
                        entry["sum"] = finite(sums.iter().sum()).into();
                        entry["bucket_counts"] = counts.into();
                        entry["bucket_sums"] = sums.into_iter().map(finite).collect();
                    }
                }
                out.push(entry);
            }
        }
        out
    }
}

/// A histogram sum as JSON can carry it. Only finite values are recorded, so a sum is
/// infinite only past f64's range: it saturates there (JSON has no infinity).
fn finite(sum: f64) -> f64 {
    if sum.is_nan() {
        0.0
    } else {
        sum.clamp(f64::MIN, f64::MAX)
    }
}

/// Describes an instrument before it is built; from [`Meter`].
#[must_use = "an instrument exists once `build` is called"]
pub struct InstrumentBuilder<'a, T> {
    meter: &'a Meter,
    description: InstrumentDescription,
    handle: std::marker::PhantomData<T>,
}

impl<T> InstrumentBuilder<'_, T> {
    /// What the instrument measures.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description.description = description.into();
        self
    }

    /// The unit (UCUM), e.g. `ms`, `By` or `{request}`.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.description.unit = unit.into();
        self
    }
}

impl InstrumentBuilder<'_, Histogram> {
    /// The bucket boundaries, ascending; a value `v` lands in the first bucket whose
    /// boundary is `>= v`, and above the last in the overflow bucket (OpenTelemetry's
    /// `(lower, upper]` buckets). Non-finite boundaries are left out and the rest sorted; no
    /// boundary at all means the default ones (a warning says so).
    pub fn buckets(mut self, boundaries: &[f64]) -> Self {
        self.description.buckets = boundaries.to_vec();
        self
    }
}

macro_rules! handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            instrument: Arc<Instrument>,
            series: Arc<Series>,
        }

        impl InstrumentBuilder<'_, $name> {
            /// Declares the instrument (once per name and meter) and answers its series
            /// without attributes.
            pub fn build(self) -> $name {
                $name::from_instrument(self.meter.register(self.description), &[])
            }
        }

        impl $name {
            fn from_instrument(instrument: Arc<Instrument>, attributes: &[KeyValue]) -> Self {
                let series = instrument.series(attributes);
                Self { instrument, series }
            }

            /// The same instrument's series with these attributes (created on first use,
            /// under a lock: keep the handle rather than calling this per update).
            pub fn with_attributes(&self, attributes: &[KeyValue]) -> Self {
                Self::from_instrument(Arc::clone(&self.instrument), attributes)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.instrument.description.name)
            }
        }
    };
}

handle!(
    /// A monotonic u64 sum.
    Counter
);
handle!(
    /// An i64 sum that goes up and down.
    UpDownCounter
);
handle!(
    /// The last recorded f64 value.
    Gauge
);
handle!(
    /// A distribution of f64 values over explicit buckets.
    Histogram
);

impl Counter {
    /// Adds `value`.
    pub fn add(&self, value: u64) {
        self.series.value.fetch_add(value, Ordering::Relaxed);
        self.series.touch();
    }
}

impl UpDownCounter {
    /// Adds `value` (negative to go down).
    pub fn add(&self, value: i64) {
        // Two's complement addition wraps the same for signed and unsigned.
        self.series.value.fetch_add(value as u64, Ordering::Relaxed);
        self.series.touch();
    }
}

impl Gauge {
    /// Records the current value. A NaN or infinite value is not exported (until the next
    /// finite one).
    pub fn record(&self, value: f64) {
        self.series.value.store(value.to_bits(), Ordering::Relaxed);
        self.series.touch();
    }
}

impl Histogram {
    /// Records one observation. NaN and infinities are ignored: a sum could not carry them.
    pub fn record(&self, value: f64) {
        if !value.is_finite() {
            return;
        }
        let bucket = self
            .instrument
            .description
            .buckets
            .partition_point(|&bound| bound < value);
        // The sum first, the count last with Release; `read` loads the counts (Acquire) before
        // the sums, so a collection never sees an observation counted without its value.
        add_f64(&self.series.bucket_sums[bucket], value);
        self.series.bucket_counts[bucket].fetch_add(1, Ordering::Release);
        self.series.touch();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guarantees: each kind reads back what was recorded, per attribute series, and
    /// handles of one series share it.
    #[test]
    fn instruments_read_back_per_series() {
        let meter = Meter::default();
        let events = meter.counter("events").unit("{event}").build();
        let started = events.with_attributes(&[KeyValue::new("kind", "start")]);
        started.add(2);
        events
            .with_attributes(&[KeyValue::new("kind", "start")])
            .add(1);
        events.add(1);
        let inflight = meter.up_down_counter("inflight").build();
        inflight.add(5);
        inflight.add(-7);
        let ratio = meter.gauge("ratio").build();
        let unrecorded = meter.gauge("never").build();
        let _ = unrecorded;
        ratio.record(0.25);

        let read = meter.read();
        let value = |instrument: usize, attributes: serde_json::Value| {
            read.iter()
                .find(|e| e["instrument"] == instrument && e["attributes"] == attributes)
                .map(|e| e["value"].clone())
        };
        assert_eq!(
            value(0, serde_json::json!([{"key":"kind","value":"start"}])),
            Some(3.into())
        );
        assert_eq!(value(0, serde_json::json!([])), Some(1.into()));
        assert_eq!(value(1, serde_json::json!([])), Some((-2).into()));
        assert_eq!(value(2, serde_json::json!([])), Some(0.25.into()));
        assert_eq!(value(3, serde_json::json!([])), None, "unrecorded gauge");
        assert_eq!(read.len(), 4, "{read:?}");
        assert_eq!(meter.descriptions().len(), 4);
    }

    /// Guarantees: buckets are upper-inclusive, as OpenTelemetry's: a value equal to a
    /// boundary lands in that boundary's bucket; above the last, in the overflow bucket.
    #[test]
    fn histogram_buckets_are_upper_inclusive() {
        let meter = Meter::default();
        let latency = meter
            .histogram("latency")
            .buckets(&[1.0, 10.0, 100.0])
            .build();
        let above_one = f64::from_bits(1.0_f64.to_bits() + 1);
        for value in [
            -3.0,
            0.5,
            1.0,
            above_one,
            5.0,
            10.0,
            50.0,
            500.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            latency.record(value);
        }
        let read = meter.read();
        assert_eq!(read[0]["bucket_counts"], serde_json::json!([3, 3, 1, 1]));
        assert_eq!(
            read[0]["bucket_sums"],
            serde_json::json!([-1.5, above_one + 15.0, 50.0, 500.0])
        );
        assert_eq!(read[0]["count"], 8, "non-finite values are not recorded");
        assert_eq!(read[0]["sum"], -1.5 + above_one + 15.0 + 50.0 + 500.0);
        assert_eq!(
            meter
                .histogram("default")
                .build()
                .instrument
                .description
                .buckets,
            DEFAULT_BUCKETS
        );
    }

    /// Guarantees: boundaries are finite, strictly increasing and never empty, as the
    /// collector's SDK requires (it would fall back to other buckets otherwise).
    #[test]
    fn histogram_buckets_are_checked() {
        let meter = Meter::default();
        let given = [10.0, 1.0, f64::NAN, 1.0, f64::INFINITY];
        let _ = meter.histogram("messy").buckets(&given).build();
        let _ = meter.histogram("none").buckets(&[]).build();
        let _ = meter.histogram("fine").buckets(&[1.0, 2.0]).build();
        let buckets: Vec<_> = meter
            .descriptions()
            .into_iter()
            .map(|d| d.buckets)
            .collect();
        assert_eq!(
            buckets,
            [vec![1.0, 10.0], DEFAULT_BUCKETS.to_vec(), vec![1.0, 2.0]]
        );
    }

    /// Guarantees: attributes are a set: their order does not pick another series, and of a
    /// key given twice the last value counts.
    #[test]
    fn attribute_sets_name_one_series() {
        let meter = Meter::default();
        let requests = meter.counter("requests").build();
        requests
            .with_attributes(&[KeyValue::new("a", 1), KeyValue::new("b", "x")])
            .add(1);
        requests
            .with_attributes(&[KeyValue::new("b", "x"), KeyValue::new("a", 1)])
            .add(1);
        requests
            .with_attributes(&[
                KeyValue::new("b", "y"),
                KeyValue::new("a", 1),
                KeyValue::new("b", "x"),
            ])
            .add(1);
        requests.with_attributes(&[KeyValue::new("a", 2)]).add(5);
        let read = meter.read();
        assert_eq!(
            read,
            [
                serde_json::json!({"instrument": 0, "attributes": [
                    {"key": "a", "value": 1}, {"key": "b", "value": "x"}], "value": 3}),
                serde_json::json!({"instrument": 0, "attributes": [
                    {"key": "a", "value": 2}], "value": 5}),
            ]
        );
    }

    /// Guarantees: updates from many threads at once all count (the histogram's float sums
    /// included), through clones of one handle and through handles made per thread.
    #[test]
    fn concurrent_updates_all_count() {
        const THREADS: u64 = 4;
        const EACH: u64 = 20_000;
        let meter = Meter::default();
        let events = meter.counter("events").build();
        let level = meter.up_down_counter("level").build();
        let sizes = meter.histogram("sizes").buckets(&[1.0]).build();
        std::thread::scope(|threads| {
            for _ in 0..THREADS {
                let (events, level, sizes) = (events.clone(), level.clone(), sizes.clone());
                threads.spawn(move || {
                    let tagged = events.with_attributes(&[KeyValue::new("t", true)]);
                    for _ in 0..EACH {
                        events.add(1);
                        tagged.add(2);
                        level.add(3);
                        level.add(-1);
                        sizes.record(1.0);
                        sizes.record(2.0);
                    }
                });
            }
        });
        let read = meter.read();
        let total = THREADS * EACH;
        assert_eq!(read[0]["value"], total);
        assert_eq!(read[1]["value"], 2 * total);
        assert_eq!(read[2]["value"], 2 * total);
        assert_eq!(read[3]["bucket_counts"], serde_json::json!([total, total]));
        assert_eq!(
            read[3]["bucket_sums"],
            serde_json::json!([total as f64, 2.0 * total as f64])
        );
    }

    /// Guarantees: a gauge's non-finite value crosses as null (JSON has no NaN), which the
    /// collector does not observe, and the next finite value is read again.
    #[test]
    fn non_finite_gauge_values_cross_as_null() {
        let meter = Meter::default();
        let ratio = meter.gauge("ratio").build();
        ratio.record(f64::NAN);
        assert_eq!(meter.read()[0]["value"], serde_json::Value::Null);
        ratio.record(0.5);
        assert_eq!(meter.read()[0]["value"], 0.5);
    }

    /// Guarantees: a series is read from its first update on, whatever the kind: naming it
    /// (`build`, `with_attributes`) is not a measurement.
    #[test]
    fn a_series_is_read_from_its_first_update() {
        let meter = Meter::default();
        let requests = meter.counter("requests").build();
        let failed = requests.with_attributes(&[KeyValue::new("code", 500)]);
        let level = meter.up_down_counter("level").build();
        let sizes = meter.histogram("sizes").build();
        assert_eq!(meter.read(), Vec::<serde_json::Value>::new());
        failed.add(0);
        level.add(0);
        sizes.record(1.0);
        let read: Vec<_> = meter
            .read()
            .into_iter()
            .map(|series| (series["instrument"].clone(), series["attributes"].clone()))
            .collect();
        assert_eq!(
            read,
            [
                (0.into(), serde_json::json!([{"key": "code", "value": 500}])),
                (1.into(), serde_json::json!([])),
                (2.into(), serde_json::json!([])),
            ]
        );
    }

    /// Guarantees: a sealed meter exports no new instrument, the handle still works, and a
    /// name declared twice with one kind is one instrument.
    #[test]
    fn sealing_and_redeclaration() {
        let meter = Meter::default();
        let first = meter.counter("c").build();
        let again = meter.counter("c").build();
        first.add(1);
        again.add(1);
        let clash = meter.gauge("c").build();
        clash.record(1.0);
        meter.seal();
        let late = meter.counter("late").build();
        late.add(1);
        let names: Vec<_> = meter.descriptions().into_iter().map(|d| d.name).collect();
        assert_eq!(names, ["c"]);
        assert_eq!(meter.read()[0]["value"], 2);
    }
}
