// Package reliability holds the boundary's reliability tests: panics, deadlines, handles,
// fatal errors from Rust-owned threads, churn, reloads and fuzzing (docs/reliability.md).
//
// They link the Rust archive that includes the test-only components of rust/testing/, so they
// build only with -tags otelcolrust_testcomponents; `make test` runs them that way.
package reliability
