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

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// NewFactories returns one exporter.Factory per exporter type registered in the Rust library.
func NewFactories() ([]exporter.Factory, error) {
	return rustcomponent.Factories(rustcomponent.KindExporter, newFactory)
}

// NewFactory returns the exporter.Factory of one Rust exporter type; see
// rustcomponent.Factory (it panics if the linked Rust library does not register it as an
// exporter, or its factory cannot be built).
func NewFactory(componentType string) exporter.Factory {
	return rustcomponent.Factory(rustcomponent.KindExporter, componentType, newFactory)
}

// newFactory builds the factory of one registered exporter type: a create function per
// signal it declares, at the stability level its Rust factory declares.
func newFactory(registered rustffi.ComponentType) (exporter.Factory, error) {
	r, err := rustcomponent.Register(registered)
	if err != nil {
		return nil, err
	}
	name, typ, stability, defaults := r.Type, r.CollectorType, r.Stability, r.Defaults
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
