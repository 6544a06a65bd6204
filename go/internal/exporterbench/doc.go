// Package exporterbench measures the Rust exporter rust_otlphttp (behind rustexporter) against
// the collector's Go otlphttp exporter in one run: the same pre-built 1,000-span batch, the
// same gzip compression, the same local receiver, sent through exporter.Factory and
// exporterhelper as a collector sends it, without and with the sending queue; and the split of
// each exporter's cost (marshal, the crossing into Rust, compress, send). The benchmarks are
// test code (built with the test archive, which also holds the no-op rust_chaos exporter the
// crossing is measured against); `make bench` runs them and docs/performance.md holds the
// figures.
package exporterbench
