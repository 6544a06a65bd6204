package rustextension

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
)

// rustExtension is the Go wrapper of one Rust extension instance; the instance's lifecycle
// (Start, Shutdown, and Ready and NotReady, which tell it when the collector reads fatal
// errors) is rustcomponent.Instance's.
type rustExtension struct {
	*rustcomponent.Instance
	id           component.ID
	config       *RustComponentConfig
	dependencies []component.ID
}

var (
	_ extensioncapabilities.Dependent       = (*rustExtension)(nil)
	_ extensioncapabilities.PipelineWatcher = (*rustExtension)(nil)
)

// Dependencies tells the collector which extensions must start before this one.
func (e *rustExtension) Dependencies() []component.ID { return e.dependencies }

// FatalError returns the first fatal error a Rust component reported to the collector in this
// process, or nil. The collector shuts down on a fatal error but its Run returns nil; a main
// function calls this afterwards to exit non-zero (see cmd/otelcol-rust).
func FatalError() error { return rustcomponent.FatalError() }
