//! `rust_filter` (work in progress).

mod config;
// Wired to the processor once the SDK's processor API lands.
#[allow(dead_code)]
mod filter;
#[cfg(test)]
mod tests;
// Wired to the processor once the SDK's processor API lands.
#[allow(dead_code)]
mod value;

pub use config::{
    DataPointCondition, FilterConfig, LogRecordCondition, LogsConditions, MetricsConditions,
    SpanCondition, TracesConditions,
};
