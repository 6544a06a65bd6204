// Package benchmarks measures what a Rust component costs a collector: start-up and shut-down
// with Rust against Go extensions, and the binary size and idle memory of linking the Rust
// library. The boundary's per-call costs are measured in package rustffi. `make bench` runs
// them all and prints one table; docs/performance.md holds the figures.
package benchmarks
