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
	types, err := rustffi.ExtensionTypes()
	if err != nil {
		return nil, fmt.Errorf("cannot list Rust extensions: %w", err)
	}
	factories := make([]extension.Factory, 0, len(types))
	for _, typ := range types {
		factory, err := newFactory(typ)
		if err != nil {
			return nil, err
		}
		factories = append(factories, factory)
	}
	return factories, nil
}

// NewFactory returns the extension.Factory of one Rust extension type, for distributions built
// by tools/builder, whose generated Go package per Rust type calls it (the builder's manifest
// format, like ocb's, wants one NewFactory per component).
//
// It panics if componentType is not registered in the linked Rust library: the builder lists
// the archive's types before generating those packages, so that is a build error, and a
// collector must not start with a component missing.
func NewFactory(componentType string) extension.Factory {
	factory, err := findFactory(componentType)
	if err != nil {
		panic(fmt.Sprintf("otelcol-rust: %v", err))
	}
	return factory
}

func findFactory(componentType string) (extension.Factory, error) {
	types, err := rustffi.ExtensionTypes()
	if err != nil {
		return nil, fmt.Errorf("cannot list Rust extensions: %w", err)
	}
	for _, registered := range types {
		if registered.Type == componentType {
			return newFactory(registered)
		}
	}
	return nil, fmt.Errorf("unknown extension type %q: the linked Rust library does not register it (is the distribution built from a stale Rust archive?)", componentType)
}

// newFactory builds the factory of one registered type, at the stability level its Rust
// factory declares.
func newFactory(registered rustffi.ComponentType) (extension.Factory, error) {
	name := registered.Type
	typ, err := component.NewType(name)
	if err != nil {
		return nil, fmt.Errorf("rust extension type %q: %w", name, err)
	}
	var stability component.StabilityLevel
	if err := stability.UnmarshalText([]byte(registered.Stability)); err != nil {
		return nil, fmt.Errorf("rust extension %q: %w", name, err)
	}
	defaults, err := rustffi.DefaultConfig(rustffi.KindExtension, name)
	if err != nil {
		return nil, fmt.Errorf("rust extension %q: default config: %w", name, err)
	}
	createDefaultConfig := func() component.Config {
		return rustcomponent.NewConfig(rustcomponent.KindExtension, name, defaults)
	}
	return extension.NewFactory(typ, createDefaultConfig, create, stability), nil
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
