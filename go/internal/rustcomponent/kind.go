package rustcomponent

import "github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"

// Kind is the kind of a Rust component, as the boundary names it.
type Kind = rustffi.Kind

// The kinds Go wraps.
const (
	KindExtension = rustffi.KindExtension
	KindExporter  = rustffi.KindExporter
	KindProcessor = rustffi.KindProcessor
	KindReceiver  = rustffi.KindReceiver
)
