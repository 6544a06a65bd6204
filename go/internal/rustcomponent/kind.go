package rustcomponent

// Kind is the kind of a Rust component, as the boundary names it.
type Kind string

// The kinds Go wraps.
const (
	KindExtension Kind = "extension"
	KindExporter  Kind = "exporter"
)
