//! The one static library the Go collector links.
//!
//! It aggregates every Rust component crate and exposes them to Go through the rust2go boundary
//! in [`boundary`]. Exactly one Rust staticlib may be linked into a Go binary (two would
//! duplicate Rust's std), which is why components are dependencies here rather than archives of
//! their own.

#[cfg(feature = "bench-abi")]
pub mod bench_abi;
pub mod boundary;
pub mod host;

// Component crates: nothing calls into them, they only register factories, so without this
// line rustc would not link them at all. Go's external linker could still drop their objects;
// the release profile's fat LTO prevents that (see rust/Cargo.toml), and
// go/rustextension's TestEveryRustComponentIsLinked fails if any crate under rust/components/
// is missing from the Go binary. Add a line here for every new component.
use rust_sample as _;

// Test-only: never in the default build (see the `test-components` feature).
#[cfg(feature = "test-components")]
use rust_chaos as _;

#[cfg(test)]
mod tests;
