// Package receiverbench measures the Rust receiver rust_otlphttp (behind rustreceiver) against
// the collector's Go otlpreceiver over OTLP/HTTP in one run: the same pre-built 1,000-span
// protobuf batch (NewBatch, plain and gzipped) posted by the same Go net/http client, from a
// few parallel connections over loopback, to each receiver built from its factory, with the
// same consumer (counting spans) behind both. Subpackage delivery compares the two ways a Rust
// receiver's batches can reach the Go pipeline (PUSH, the product, and PULL). The benchmarks
// are test code, built with the test archive; `make bench` runs them and docs/performance.md
// holds the figures.
package receiverbench
