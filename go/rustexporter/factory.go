package rustexporter

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// NewFactories returns one exporter.Factory per exporter type registered in the Rust library.
func NewFactories() ([]exporter.Factory, error) {
	types, err := rustffi.ComponentTypes()
	if err != nil {
		return nil, fmt.Errorf("cannot list Rust exporters: %w", err)
	}
	var factories []exporter.Factory
	for _, typ := range types {
		if typ.Kind != rustffi.KindExporter {
			continue
		}
		factory, err := newFactory(typ)
		if err != nil {
			return nil, err
		}
		factories = append(factories, factory)
	}
	return factories, nil
}

// NewFactory returns the exporter.Factory of one Rust exporter type, for distributions built
// by tools/builder, whose generated Go package per Rust type calls it (the builder's manifest
// format, like ocb's, wants one NewFactory per component).
//
// It panics if componentType is not registered as an exporter in the linked Rust library, or
// its factory cannot be built: the builder lists the archive's types before generating those
// packages, so that is a build error, and a collector must not start with a component missing.
func NewFactory(componentType string) exporter.Factory {
	factory, err := findFactory(componentType)
	if err != nil {
		panic(fmt.Sprintf("otelcol-rust: %v", err))
	}
	return factory
}

func findFactory(componentType string) (exporter.Factory, error) {
	types, err := rustffi.ComponentTypes()
	if err != nil {
		return nil, fmt.Errorf("cannot list Rust exporters: %w", err)
	}
	for _, registered := range types {
		if registered.Kind == rustffi.KindExporter && registered.Type == componentType {
			return newFactory(registered)
		}
	}
	return nil, fmt.Errorf("unknown exporter type %q: the linked Rust library does not register it (is the distribution built from a stale Rust archive?)", componentType)
}

// newFactory builds the factory of one registered exporter type: a create function per
// signal it declares, at the stability level its Rust factory declares.
func newFactory(registered rustffi.ComponentType) (exporter.Factory, error) {
	name := registered.Type
	typ, err := component.NewType(name)
	if err != nil {
		return nil, fmt.Errorf("rust exporter type %q: %w", name, err)
	}
	var stability component.StabilityLevel
	if err := stability.UnmarshalText([]byte(registered.Stability)); err != nil {
		return nil, fmt.Errorf("rust exporter %q: %w", name, err)
	}
	defaults, err := rustffi.DefaultConfig(rustffi.KindExporter, name)
	if err != nil {
		return nil, fmt.Errorf("rust exporter %q: default config: %w", name, err)
	}
	if err := refuseStandardKeys(name, defaults); err != nil {
		return nil, err
	}
	if len(registered.Signals) == 0 {
		return nil, fmt.Errorf("rust exporter %q declares no signal", name)
	}
	options := make([]exporter.FactoryOption, 0, len(registered.Signals))
	for _, signal := range registered.Signals {
		switch signal {
		case "traces":
			options = append(options, exporter.WithTraces(createTraces, stability))
		case "metrics":
			options = append(options, exporter.WithMetrics(createMetrics, stability))
		case "logs":
			options = append(options, exporter.WithLogs(createLogs, stability))
		default:
			return nil, fmt.Errorf("rust exporter %q declares the signal %q, which this Go module does not know", name, signal)
		}
	}
	createDefaultConfig := func() component.Config { return newDefaultConfig(name, defaults) }
	return exporter.NewFactory(typ, createDefaultConfig, options...), nil
}

func createTraces(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
	e, config, err := newExporter(set, cfg, rustffi.SignalTraces)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewTraces(ctx, set, cfg, e.pushTraces, e.options(config)...)
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	e, config, err := newExporter(set, cfg, rustffi.SignalMetrics)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewMetrics(ctx, set, cfg, e.pushMetrics, e.options(config)...)
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	e, config, err := newExporter(set, cfg, rustffi.SignalLogs)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg, e.pushLogs, e.options(config)...)
}

// refuseStandardKeys refuses a Rust config with a key named like a standard setting: the
// collector's setting takes that key, so the Rust one could never be set. Refused when the
// factory is built, where the component's author sees it first.
func refuseStandardKeys(name string, rustDefaults map[string]any) error {
	standard, err := standardKeys()
	if err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(rustDefaults)) {
		if slices.Contains(standard, key) {
			return fmt.Errorf("rust exporter %q: its config declares %q, a key of the collector's standard exporter settings (%s); rename it",
				name, key, strings.Join(standard, ", "))
		}
	}
	return nil
}
