// Package rustexporter turns every exporter registered in the Rust library into a collector
// exporter.Factory built on exporterhelper, so a Rust exporter has the collector's
// `sending_queue`, `retry_on_failure` and `timeout` (same names, defaults and behaviour as Go
// exporters, the persistent queue included) and the standard otelcol_exporter_* metrics. It
// has no per-component code: types, signals, defaults, validation and behaviour all come from
// Rust through package rustffi.
//
// Lifecycle: config is validated at config load (the standard keys by exporterhelper's types,
// every other key by Rust, merged over its defaults); Create builds only the Go exporter, one
// per (id, signal) as the collector asks; Start creates and starts its Rust instance; Shutdown
// stops it once exporterhelper has drained the queue. Each batch crosses in one call: the OTLP
// protobuf export request Go marshalled, which Rust reads in place, with the attempt's
// deadline (`timeout`) and cancellation.
package rustexporter
