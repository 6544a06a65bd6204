//! The one static library the Go collector links.
//!
//! It aggregates every Rust component crate and exposes them to Go through the rust2go boundary
//! in [`boundary`]. Exactly one Rust staticlib may be linked into a Go binary (two would
//! duplicate Rust's std), which is why components are dependencies here rather than archives of
//! their own.

pub mod boundary;
pub mod host;

// Component crates. `use ... as _` alone is not enough: Go's external linker only pulls archive
// members that resolve an undefined symbol, so a crate nothing refers to would have its linkme
// registration dropped. The Go link therefore takes the archive whole (`--whole-archive` in
// go/rustffi/link.go), and a test in go/rustextension fails if any crate under
// rust/components/ is missing from the Go binary. Add a line here for every new component.
use rust_sample as _;

#[cfg(test)]
mod tests;
