//! The Go collector's view of the Rust components: the rust2go boundary in [`boundary`] and the
//! runtime and instance table behind it in [`host`].
//!
//! This crate holds no components. Go links exactly one Rust staticlib (two would duplicate
//! Rust's std), so an aggregating crate links this one together with every component crate:
//! `rust/staticlib` for this repository's own collector, or the crate `tools/builder`
//! generates for a distribution.

#[cfg(feature = "bench-abi")]
pub mod bench_abi;
pub mod boundary;
pub mod host;
pub mod logs;

#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod telemetry_tests;
#[cfg(test)]
mod tests;
