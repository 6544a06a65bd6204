// Package delivery measures the two ways compared for a Rust receiver's batches to reach the
// Go pipeline, in one run, with the same Rust senders and the same Go consumer:
//   - side=push, the product (rust/ffi/src/delivery.rs): a bounded pool of Rust threads calls
//     the exported Go delivery function, one batch per call, synchronously;
//   - side=pull, built only for this comparison (rust/ffi/src/bench_abi.rs,
//     go/internal/rustffi/bench_abi.go): Rust queues each batch in a bounded queue and wakes Go
//     through a pipe read in Go's netpoller; goroutines take the ready batches with a short cgo
//     call, consume them and complete each with a second one, which resolves the sender.
//
// The benchmarks are test code, built with the test archive (the bench-abi feature); `make
// bench` runs them and docs/performance.md and docs/boundary.md hold the figures.
package delivery
