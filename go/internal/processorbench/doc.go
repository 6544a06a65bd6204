// Package processorbench measures what running a batch through Rust processors costs, against
// the Go processors doing the same, in one run: the Go nop processor against a Rust processor
// that answers "unchanged", the full round trip (a new batch back, unmarshalled in Go) against
// marshal plus unmarshal, a keep/drop verdict against the same drop in Go, on 10, 1,000 and
// 10,000-span batches; the parts (marshal, unmarshal, the crossing); and rust_redaction's time
// split into marshal, the crossing, Rust's work and applying the edits. The benchmarks are test
// code, built with the test archive (the rust_chaos processor's modes); `make bench` runs them
// and docs/performance.md holds the figures. rust_redaction against the Go redactionprocessor
// is in contrib/ (collector-contrib stays out of this module).
package processorbench
