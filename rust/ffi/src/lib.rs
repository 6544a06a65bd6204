//! The Go collector's view of the Rust components: the rust2go boundary in [`boundary`], the
//! runtime and instance table behind it in [`host`], and the threads that deliver receivers'
//! batches to Go in [`delivery`].
//!
//! This crate holds no components. Go links exactly one Rust staticlib (two would duplicate
//! Rust's std), so an aggregating crate links this one together with every component crate:
//! `rust/staticlib` for this repository's own collector, or the crate `tools/builder`
//! generates for a distribution.

#[cfg(feature = "bench-abi")]
pub mod bench_abi;
pub mod boundary;
pub mod delivery;
pub mod host;
pub mod logs;

/// `otelcol-rust-ffi` is released in lockstep with `otelcol-rust-sdk` (docs/versioning.md):
/// building it with an SDK of another version is a build error, not a surprise at start-up.
/// Every registration in a library records the one SDK linked into it (Cargo links one
/// `otelcol-rust-sdk` per library), so the SDK version the library reports to Go is this
/// crate's version.
const _: () = assert!(
    same_text(otelcol_rust_sdk::VERSION, env!("CARGO_PKG_VERSION")),
    "otelcol-rust-ffi must be built with otelcol-rust-sdk of its own version"
);

/// `a == b`, in a const context (`str`'s `PartialEq` is not `const`).
const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod export_tests;
#[cfg(test)]
mod lifecycle_tests;
#[cfg(test)]
mod process_tests;
#[cfg(test)]
mod receive_tests;
#[cfg(test)]
mod telemetry_tests;
#[cfg(test)]
mod tests;
