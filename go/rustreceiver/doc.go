// Package rustreceiver turns every receiver registered in the Rust library into a collector
// receiver.Factory, with receiverhelper's standard otelcol_receiver_* metrics and spans under
// its own id. It has no per-component code: types, signals, transport, defaults, validation
// and behaviour all come from Rust through package rustffi.
//
// Lifecycle: config is validated by Rust at config load. The collector creates a receiver
// once per (id, signal); all of them share ONE Go receiver and ONE Rust instance per id (as
// the Go otlpreceiver shares one server), so a receiver in traces, metrics and logs pipelines
// listens once. The first Start registers the Go receiver's delivery token and starts the
// Rust instance, told the token and the signals that have a pipeline; the first Shutdown stops
// the Rust instance (which finishes or refuses what is in flight), then forgets the token.
//
// Data path: the Rust receiver sends each batch as the OTLP export request it got (protobuf
// or OTLP/JSON); a Rust delivery thread calls Go with it (rustffi.Deliverer), Go decodes it
// with pdata as otlpreceiver does, hands it to the pipeline under receiverhelper's ObsReport
// and answers the pipeline's outcome: accepted, retryable, permanent (consumererror), or
// malformed when pdata refuses the bytes.
package rustreceiver
