package rustextension

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// NewFactories returns one extension.Factory per extension type registered in the Rust library.
func NewFactories() ([]extension.Factory, error) {
	return rustcomponent.Factories(rustcomponent.KindExtension, newFactory)
}

// NewFactory returns the extension.Factory of one Rust extension type; see
// rustcomponent.Factory (it panics if the linked Rust library does not register it).
func NewFactory(componentType string) extension.Factory {
	return rustcomponent.Factory(rustcomponent.KindExtension, componentType, newFactory)
}

// newFactory builds the factory of one registered type, at the stability level its Rust
// factory declares.
func newFactory(registered rustffi.ComponentType) (extension.Factory, error) {
	r, err := rustcomponent.Register(registered)
	if err != nil {
		return nil, err
	}
	createDefaultConfig := func() component.Config {
		return rustcomponent.NewConfig(rustcomponent.KindExtension, r.Type, r.Defaults)
	}
	return extension.NewFactory(r.CollectorType, createDefaultConfig, create, r.Stability), nil
}

// create builds only the Go wrapper; the Rust instance is created by Start.
func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	config, ok := cfg.(*RustComponentConfig)
	if !ok {
		return nil, fmt.Errorf("rust extension %q: unexpected config type %T", set.ID, cfg)
	}
	dependencies, err := config.Dependencies()
	if err != nil {
		return nil, err
	}
	return &rustExtension{
		Instance:     rustcomponent.NewInstance(set.ID, config, set.TelemetrySettings, set.BuildInfo),
		id:           set.ID,
		config:       config,
		dependencies: dependencies,
	}, nil
}
