// Package rustprocessor turns every processor registered in the Rust library into a collector
// processor.Factory built on processorhelper, so a Rust processor has the standard
// otelcol_processor_* metrics and span events under its own id. It has no per-component code:
// types, signals, defaults, validation and behaviour all come from Rust through package
// rustffi.
//
// Lifecycle: config is validated by Rust at config load; Create builds only the Go processor,
// one per (id, pipeline) as the collector creates them; Start creates and starts its Rust
// instance and finds the Rust processor after it in the pipeline, if any; Shutdown stops it.
//
// Data path: a batch crosses once for a whole run of consecutive Rust processors (run.go): the
// first marshals it to the OTLP protobuf export request and Rust runs every processor of the
// run in order; each answers the cheapest description of what it did (nothing, a keep bitmap,
// attribute edits, or a new batch), and Go applies the run's answer in place on the batch the
// pipeline handed over (the processors declare MutatesData). A processor's error reaches the
// sender (retryable, or consumererror's permanent); one that drops every item ends the batch
// as processorhelper.ErrSkipProcessingData.
package rustprocessor
