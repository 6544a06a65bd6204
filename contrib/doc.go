// Package contrib compares the Rust processors with the collector-contrib Go processors that do
// the same job, in its own Go module so that collector-contrib stays out of the product's
// go.mod (go/go.mod): it requires redactionprocessor and pkg/ottl at the collector release
// go/go.mod pins (v1.70.0/v0.164.0), and the product module through a replace of ../go.
//
// Everything here is tests and benchmarks (`make test-contrib`, `make bench`), run against the
// release archive (rust/target/release/libotelcol_rust.a, `make rust`):
//   - golden_test.go: rust_redaction against redactionprocessor and rust_filter against
//     filterprocessor's semantics (ottl_filter, see ottlfilter_test.go for why not
//     filterprocessor itself), same config, same batches, every signal, outputs exactly equal;
//   - pipeline_test.go: pipelines mixing Go and Rust processors in a real collector against
//     their all-Go equivalents;
//   - bench_test.go: rust_redaction against redactionprocessor, and three Rust processors in a
//     row against three Go ones, side by side.
package contrib
