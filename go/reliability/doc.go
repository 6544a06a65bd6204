// Package reliability holds the boundary's reliability tests: panics, deadlines, handles,
// fatal errors from Rust-owned threads, churn, reloads and fuzzing, and the Rust exporters'
// data path: nothing lost end to end, downstream failures, malformed and huge batches,
// lifecycles and reloads with traffic (docs/reliability.md).
//
// They link the Rust archive that includes the test-only components of rust/testing/, so they
// build only with -tags otelcolrust_testcomponents; `make test` runs them that way.
package reliability
