//! The one static library this repository's Go packages link (`libotelcol_rust.a`): the
//! boundary of `otelcol-rust-ffi` plus every component crate under `rust/components`.
//!
//! A distribution built by `tools/builder` gets a generated crate of exactly this shape, listing
//! the manifest's `cargo:` modules instead.
//!
//! Nothing calls into the component crates (they only register factories), so without the
//! `use` lines below rustc would not link them at all. Go's external linker could still drop
//! their objects; the release profile's fat LTO prevents that (see rust/Cargo.toml), and
//! go/rustextension's `TestEveryRustComponentIsLinked` fails if a crate under rust/components
//! is missing from the Go binary. Add a line here for every new component.

// The boundary's exported symbols.
pub use otelcol_rust_ffi;

use rust_filter as _;
use rust_otlphttp as _;
use rust_redaction as _;
use rust_sample as _;

// Test-only: never in the default build (see the `test-components` feature).
#[cfg(feature = "test-components")]
use rust_chaos as _;
