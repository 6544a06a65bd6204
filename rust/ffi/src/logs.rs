//! Rust log records for the collector's zap loggers (docs/telemetry.md).
//!
//! A global `tracing` subscriber (with `log` records bridged) turns every enabled event into an
//! owned [`Record`] in one bounded buffer, tagged with the scope of the code that emitted it;
//! Go drains the buffer in batches. The emitting thread formats the record and takes one short
//! lock; it never waits for Go. A full buffer drops the record and counts it. The panic hook
//! writes a panic as one error record instead of printing it on stderr.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use otelcol_rust_sdk::scope;
use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_log::NormalizeEvent;

/// How many records wait for Go at most.
const MAX_RECORDS: usize = 4096;
/// How much text (messages, fields) waits for Go at most.
const MAX_BYTES: usize = 4 << 20;
/// The longest text kept of one message or field; longer ones are cut.
const MAX_TEXT: usize = 16 << 10;

/// A record's level, named as zap names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordLevel {
    /// zap Debug (Rust DEBUG).
    Debug,
    /// zap Info.
    Info,
    /// zap Warn.
    Warn,
    /// zap Error.
    Error,
}

/// A field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A signed integer.
    I64(i64),
    /// An unsigned integer.
    U64(u64),
    /// A float (non-finite ones travel as text).
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// Text (also `Debug`-formatted values).
    Str(String),
}

impl Serialize for FieldValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::I64(value) => serializer.serialize_i64(*value),
            Self::U64(value) => serializer.serialize_u64(*value),
            // JSON has no NaN or infinity.
            Self::F64(value) if !value.is_finite() => serializer.collect_str(value),
            Self::F64(value) => serializer.serialize_f64(*value),
            Self::Bool(value) => serializer.serialize_bool(*value),
            Self::Str(value) => serializer.serialize_str(value),
        }
    }
}

/// A structured field of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordField {
    /// The field name.
    pub key: &'static str,
    /// Its value.
    pub value: FieldValue,
}

/// One log record, as Go receives it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    /// The scope of the code that emitted it (0: none).
    pub scope: u64,
    /// Its level.
    pub level: RecordLevel,
    /// When it was emitted.
    pub time_unix_nano: u64,
    /// The message.
    pub message: String,
    /// The Rust module path (or `log` target). Borrowed from the callsite for `tracing`
    /// events, so the emitting thread copies it only for bridged `log` records.
    pub target: Cow<'static, str>,
    /// The source file; empty when unknown.
    pub file: Cow<'static, str>,
    /// The source line; 0 when unknown.
    pub line: u32,
    /// The structured fields, in order.
    pub fields: Vec<RecordField>,
}

impl Record {
    /// The text it holds, which the buffer's byte bound counts.
    fn text_len(&self) -> usize {
        let fields: usize = self
            .fields
            .iter()
            .map(|field| {
                field.key.len()
                    + match &field.value {
                        FieldValue::Str(text) => text.len(),
                        _ => 8,
                    }
            })
            .sum();
        self.message.len() + self.target.len() + self.file.len() + fields
    }
}

/// What [`drain`] answers.
#[derive(Debug, Serialize)]
pub struct Batch {
    /// The records, oldest first.
    pub records: Vec<Record>,
    /// Records the full buffer refused since the previous drain.
    pub dropped: u64,
}

#[derive(Default)]
struct Buffer {
    records: VecDeque<Record>,
    bytes: usize,
}

static BUFFER: Mutex<Buffer> = Mutex::new(Buffer {
    records: VecDeque::new(),
    bytes: 0,
});
/// How many records the buffer holds, readable without its lock: a full buffer refuses a
/// record before the emitting thread formats it.
static QUEUED: AtomicUsize = AtomicUsize::new(0);
static DROPPED_SINCE_DRAIN: AtomicU64 = AtomicU64::new(0);
static DROPPED_TOTAL: AtomicU64 = AtomicU64::new(0);
static PANICS: AtomicU64 = AtomicU64::new(0);

fn buffer() -> MutexGuard<'static, Buffer> {
    // Only pushes and pops happen under this lock; a poisoned buffer is still sound.
    BUFFER.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Queues a record for Go, or counts it as dropped when the buffer is full.
pub fn push(record: Record) {
    let size = record.text_len();
    let mut buffer = buffer();
    if buffer.records.len() >= MAX_RECORDS || buffer.bytes + size > MAX_BYTES {
        drop(buffer);
        count_drop();
        return;
    }
    buffer.bytes += size;
    buffer.records.push_back(record);
    QUEUED.store(buffer.records.len(), Ordering::Relaxed);
}

/// Whether the buffer holds as many records as it can. Read without the lock, so it may be
/// stale by a drain or a push: a record it lets through is checked again under the lock.
fn is_full() -> bool {
    QUEUED.load(Ordering::Relaxed) >= MAX_RECORDS
}

fn count_drop() {
    DROPPED_SINCE_DRAIN.fetch_add(1, Ordering::Relaxed);
    DROPPED_TOTAL.fetch_add(1, Ordering::Relaxed);
}

/// Takes up to `max` records, oldest first, and the drop count since the previous drain.
pub fn drain(max: u64) -> Batch {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let records: Vec<Record> = {
        let mut buffer = buffer();
        let take = max.min(buffer.records.len());
        let records: Vec<Record> = buffer.records.drain(..take).collect();
        buffer.bytes -= records.iter().map(Record::text_len).sum::<usize>();
        QUEUED.store(buffer.records.len(), Ordering::Relaxed);
        records
    };
    Batch {
        records,
        dropped: DROPPED_SINCE_DRAIN.swap(0, Ordering::Relaxed),
    }
}

/// Records dropped since the process started.
pub fn dropped_total() -> u64 {
    DROPPED_TOTAL.load(Ordering::Relaxed)
}

/// Panics seen by the hook since the process started (every one is caught: see the boundary).
pub fn panics_caught() -> u64 {
    PANICS.load(Ordering::Relaxed)
}

/// The most verbose level forwarded: 0 off, 1 error, 2 warn, 3 info, 4 debug. Trace is never
/// forwarded (zap has no trace level).
static MAX_LEVEL: AtomicU8 = AtomicU8::new(3);

/// Each level Go may set, with its filters for `tracing` and `log`; [`MAX_LEVEL`] indexes it.
const LEVELS: [(&str, LevelFilter, log::LevelFilter); 5] = [
    ("off", LevelFilter::OFF, log::LevelFilter::Off),
    ("error", LevelFilter::ERROR, log::LevelFilter::Error),
    ("warn", LevelFilter::WARN, log::LevelFilter::Warn),
    ("info", LevelFilter::INFO, log::LevelFilter::Info),
    ("debug", LevelFilter::DEBUG, log::LevelFilter::Debug),
];

fn current() -> (&'static str, LevelFilter, log::LevelFilter) {
    let index = usize::from(MAX_LEVEL.load(Ordering::Relaxed)).min(LEVELS.len() - 1);
    LEVELS[index]
}

fn level_filter() -> LevelFilter {
    current().1
}

/// The most verbose level forwarded to Go, named as [`set_level`] takes it.
pub fn level() -> &'static str {
    current().0
}

/// [`MAX_LEVEL`] for the `log` crate, whose macros check it before building a record.
fn log_level_filter() -> log::LevelFilter {
    current().2
}

/// Sets the most verbose level forwarded to Go: `debug`, `info`, `warn`, `error` or `off`.
pub fn set_level(level: &str) -> Result<(), String> {
    let Some(index) = LEVELS.iter().position(|(name, ..)| *name == level) else {
        return Err(format!("unknown log level {level:?}"));
    };
    // At most 5: the cast cannot truncate.
    let value = index as u8;
    if MAX_LEVEL.swap(value, Ordering::Relaxed) != value {
        // `tracing` caches each callsite's interest and the global maximum level; both must
        // see the new level so a disabled record stays a load and a compare.
        tracing::callsite::rebuild_interest_cache();
        log::set_max_level(log_level_filter());
    }
    Ok(())
}

/// Installs the subscriber, the `log` bridge and the panic hook, once. A process that already
/// has a global subscriber or `log` logger keeps it (its records then do not reach Go).
pub fn install() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let _ = tracing::subscriber::set_global_default(Bridge);
        let _ = tracing_log::LogTracer::init_with_filter(log_level_filter());
        // This crate's own tests keep the default hook too, so a failing test shows its message.
        let default_hook = cfg!(test).then(std::panic::take_hook);
        std::panic::set_hook(Box::new(move |info| {
            panic_record(info);
            if let Some(default_hook) = &default_hook {
                default_hook(info);
            }
        }));
    });
}

fn now_unix_nano() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
        })
}

/// Cuts `text` to [`MAX_TEXT`] bytes (on a character boundary) and says so.
fn bounded(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("…(truncated)");
    }
    text
}

/// The panic hook: one error record in the current scope, nothing on stderr.
fn panic_record(info: &std::panic::PanicHookInfo<'_>) {
    PANICS.fetch_add(1, Ordering::Relaxed);
    let message = info
        .payload_as_str()
        .unwrap_or("(non-string panic payload)");
    let (file, line, location) = match info.location() {
        Some(at) => (
            at.file().to_owned(),
            at.line(),
            format!("{}:{}:{}", at.file(), at.line(), at.column()),
        ),
        None => (String::new(), 0, String::new()),
    };
    let mut fields = vec![
        RecordField {
            key: "panic.message",
            value: FieldValue::Str(bounded(message.to_owned())),
        },
        RecordField {
            key: "panic.location",
            value: FieldValue::Str(location),
        },
    ];
    // `capture` honours RUST_BACKTRACE and RUST_LIB_BACKTRACE, as the default hook does.
    let backtrace = std::backtrace::Backtrace::capture();
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
        fields.push(RecordField {
            key: "backtrace",
            value: FieldValue::Str(backtrace.to_string()),
        });
    }
    push(Record {
        scope: scope::current(),
        level: RecordLevel::Error,
        time_unix_nano: now_unix_nano(),
        message: "Rust code panicked".to_owned(),
        target: Cow::Borrowed(""),
        file: Cow::Owned(file),
        line,
        fields,
    });
}

/// The global subscriber: events become records; spans are not tracked.
struct Bridge;

impl Subscriber for Bridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        level_filter() >= *metadata.level()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(level_filter())
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Spans are not tracked; every span gets the same (non-zero) id.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &SpanRecord<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let level = match *event.metadata().level() {
            Level::ERROR => RecordLevel::Error,
            Level::WARN => RecordLevel::Warn,
            Level::INFO => RecordLevel::Info,
            Level::DEBUG => RecordLevel::Debug,
            Level::TRACE => return,
        };
        if is_full() {
            // Counted like any refused record, without formatting one first.
            count_drop();
            return;
        }
        // A `log` record arrives with its target, file and line as `log.*` fields; the
        // normalized metadata has them in place (borrowed from the event, so copied). A
        // `tracing` event's metadata is static and is borrowed as it is.
        let normalized = event.normalized_metadata();
        let (target, file, line) = match &normalized {
            Some(bridged) => (
                Cow::Owned(bridged.target().to_owned()),
                Cow::Owned(bridged.file().unwrap_or_default().to_owned()),
                bridged.line(),
            ),
            None => {
                let metadata = event.metadata();
                (
                    Cow::Borrowed(metadata.target()),
                    Cow::Borrowed(metadata.file().unwrap_or_default()),
                    metadata.line(),
                )
            }
        };
        let mut visitor = FieldVisitor {
            bridged: normalized.is_some(),
            ..FieldVisitor::default()
        };
        event.record(&mut visitor);
        push(Record {
            scope: scope::current(),
            level,
            time_unix_nano: now_unix_nano(),
            message: bounded(visitor.message),
            target,
            file,
            line: line.unwrap_or_default(),
            fields: visitor.fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[derive(Default)]
struct FieldVisitor {
    /// Whether the event is a bridged `log` record.
    bridged: bool,
    message: String,
    fields: Vec<RecordField>,
}

impl FieldVisitor {
    fn add(&mut self, field: &Field, value: FieldValue) {
        // The `log` bridge's own fields (`log.target`, `log.module_path`, `log.file`,
        // `log.line`) are in the normalized metadata already.
        if self.bridged && field.name().starts_with("log.") {
            return;
        }
        self.fields.push(RecordField {
            key: field.name(),
            value,
        });
    }
}

impl Visit for FieldVisitor {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add(field, FieldValue::I64(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.add(field, FieldValue::U64(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add(field, FieldValue::F64(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.add(field, FieldValue::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.add(field, FieldValue::Str(bounded(value.to_owned())));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.add(field, FieldValue::Str(bounded(format!("{value:?}"))));
        }
    }
}
