//! The `rust_chaos` PROCESSOR (the same type as the extension and the exporter, in a third
//! kind): answers each batch with the kind of result its `mode` names, for the tests of the
//! processors' data path (the fused run in rust/ffi and the Go wrapper in go/rustprocessor).
//!
//! Config: `mode` is one of
//! - `unchanged` (the default): `Processed::Unchanged`;
//! - `roundtrip`: the batch's own bytes as a new batch (`Replacement::Encoded`);
//! - `reencode`: the batch decoded and handed back as a new batch (`Replacement::Traces`, ...),
//!   which the host encodes again;
//! - `keep_every`: with `every: N` (N >= 1), drops every item whose index % N == N - 1, from
//!   the item count alone (no decoding);
//! - `append_path`: in every span's, data point's and log record's attributes, sets the string
//!   `chaos.path` to its previous string value + "/" + this instance's id, or to the id alone
//!   when it has no non-empty string value (as pdata's `PutStr`): a chain of them records
//!   the order the stages ran in, and a fused stage shows it saw the earlier stages' edits;
//! - `panic`: panics with "rust_chaos panics in process";
//! - `fail_retryable`, `fail_permanent`: the error "rust_chaos says retryable" / "permanent";
//! - `drop_all`: drops every item.

use otelcol_rust_sdk::proto::common::v1::any_value::Value;
use otelcol_rust_sdk::{
    AttributeMap, ComponentId, Config, CreateSettings, Edits, Error, MapKind, ProcessBatch,
    ProcessContext, ProcessError, Processed, Processor, ProcessorFactory, Replacement, Signal,
    Stability,
};
use serde::{Deserialize, Serialize};

/// The attribute `append_path` extends.
pub const PATH_KEY: &str = "chaos.path";

/// What every batch answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unchanged,
    Roundtrip,
    Reencode,
    KeepEvery(u64),
    AppendPath,
    Panic,
    FailRetryable,
    FailPermanent,
    DropAll,
}

/// The processor's config (see the module documentation).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosProcessorConfig {
    /// What every batch answers; empty is `unchanged`.
    pub mode: String,
    /// `keep_every`'s period.
    pub every: u64,
}

impl ChaosProcessorConfig {
    fn parse(&self) -> Result<Mode, Error> {
        Ok(match self.mode.as_str() {
            "" | "unchanged" => Mode::Unchanged,
            "roundtrip" => Mode::Roundtrip,
            "reencode" => Mode::Reencode,
            "keep_every" if self.every == 0 => {
                return Err(Error::invalid_field("every", "keep_every needs every >= 1"));
            }
            "keep_every" => Mode::KeepEvery(self.every),
            "append_path" => Mode::AppendPath,
            "panic" => Mode::Panic,
            "fail_retryable" => Mode::FailRetryable,
            "fail_permanent" => Mode::FailPermanent,
            "drop_all" => Mode::DropAll,
            other => {
                return Err(Error::invalid_field(
                    "mode",
                    format!("unknown mode {other:?}"),
                ));
            }
        })
    }
}

impl Config for ChaosProcessorConfig {
    fn validate(&self) -> Result<(), Error> {
        self.parse().map(drop)
    }
}

/// A `rust_chaos` processor instance.
pub struct ChaosProcessor {
    mode: Mode,
    id: ComponentId,
}

impl Processor for ChaosProcessor {
    fn process(
        &self,
        batch: &ProcessBatch<'_>,
        _: &ProcessContext,
    ) -> Result<Processed, ProcessError> {
        let items = batch.items();
        match self.mode {
            Mode::Unchanged => Ok(Processed::Unchanged),
            Mode::Roundtrip => Ok(Processed::Replace(Replacement::Encoded(
                batch.bytes().to_vec(),
            ))),
            Mode::Reencode => reencode(batch).map(Processed::Replace),
            Mode::KeepEvery(every) => Ok(Processed::Keep(
                (0..items).map(|i| i % every != every - 1).collect(),
            )),
            Mode::AppendPath => self.append_path(batch).map(Processed::Edits),
            Mode::Panic => panic!("rust_chaos panics in process"),
            Mode::FailRetryable => Err(ProcessError::retryable("rust_chaos says retryable")),
            Mode::FailPermanent => Err(ProcessError::permanent("rust_chaos says permanent")),
            Mode::DropAll => Ok(Processed::Keep(vec![
                false;
                usize::try_from(items)
                    .unwrap_or(usize::MAX)
            ])),
        }
    }
}

impl ChaosProcessor {
    fn append_path(&self, batch: &ProcessBatch<'_>) -> Result<Edits, ProcessError> {
        let id = self.id.to_string();
        let mut edits = Edits::new();
        batch
            .for_each_attributes(|map: AttributeMap<'_>| {
                if !matches!(
                    map.kind,
                    MapKind::Span | MapKind::DataPoint | MapKind::LogRecord
                ) {
                    return;
                }
                // pcommon.Map.Get finds the first entry with the key.
                let previous = map
                    .attributes
                    .iter()
                    .find(|attribute| attribute.key == PATH_KEY)
                    .and_then(|attribute| attribute.value.as_ref())
                    .and_then(|value| match &value.value {
                        Some(Value::StringValue(text)) if !text.is_empty() => Some(text.as_str()),
                        _ => None,
                    });
                let path = match previous {
                    Some(previous) => format!("{previous}/{id}"),
                    None => id.clone(),
                };
                edits.set_str(map.index, PATH_KEY, path);
            })
            .map_err(|err| ProcessError::permanent(err.to_string()))?;
        Ok(edits)
    }
}

/// The batch decoded, as a new batch.
fn reencode(batch: &ProcessBatch<'_>) -> Result<Replacement, ProcessError> {
    let decode_error = |err: Error| ProcessError::permanent(err.to_string());
    Ok(match batch.signal() {
        Signal::Traces => Replacement::Traces(batch.traces().map_err(decode_error)?.clone()),
        Signal::Metrics => Replacement::Metrics(batch.metrics().map_err(decode_error)?.clone()),
        Signal::Logs => Replacement::Logs(batch.logs().map_err(decode_error)?.clone()),
    })
}

/// Creates `rust_chaos` processors.
pub struct ChaosProcessorFactory;

impl ProcessorFactory for ChaosProcessorFactory {
    const TYPE: &'static str = "rust_chaos";
    const STABILITY: Stability = Stability::Alpha;
    const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];
    type Config = ChaosProcessorConfig;
    type Processor = ChaosProcessor;

    fn create(
        &self,
        settings: &CreateSettings,
        config: ChaosProcessorConfig,
    ) -> Result<ChaosProcessor, Error> {
        Ok(ChaosProcessor {
            mode: config.parse()?,
            id: settings.id.clone(),
        })
    }
}

otelcol_rust_sdk::register_processor!(ChaosProcessorFactory);
