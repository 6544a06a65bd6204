package rustprocessor

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// NewFactories returns one processor.Factory per processor type registered in the Rust library.
func NewFactories() ([]processor.Factory, error) {
	return rustcomponent.Factories(rustcomponent.KindProcessor, newFactory)
}

// NewFactory returns the processor.Factory of one Rust processor type; see
// rustcomponent.Factory (it panics if the linked Rust library does not register it as a
// processor, or its factory cannot be built).
func NewFactory(componentType string) processor.Factory {
	return rustcomponent.Factory(rustcomponent.KindProcessor, componentType, newFactory)
}

// newFactory builds the factory of one registered processor type: a create function per
// signal it declares, at the stability level its Rust factory declares.
func newFactory(registered rustffi.ComponentType) (processor.Factory, error) {
	r, err := rustcomponent.Register(registered)
	if err != nil {
		return nil, err
	}
	name, stability, defaults := r.Type, r.Stability, r.Defaults
	if len(registered.Signals) == 0 {
		return nil, fmt.Errorf("rust processor %q declares no signal", name)
	}
	options := make([]processor.FactoryOption, 0, len(registered.Signals))
	for _, signal := range registered.Signals {
		switch signal {
		case "traces":
			options = append(options, processor.WithTraces(createTraces, stability))
		case "metrics":
			options = append(options, processor.WithMetrics(createMetrics, stability))
		case "logs":
			options = append(options, processor.WithLogs(createLogs, stability))
		default:
			return nil, fmt.Errorf("rust processor %q declares the signal %q, which this Go module does not know", name, signal)
		}
	}
	createDefaultConfig := func() component.Config {
		return rustcomponent.NewConfig(rustcomponent.KindProcessor, name, defaults)
	}
	return processor.NewFactory(r.CollectorType, createDefaultConfig, options...), nil
}

func createTraces(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
	p, err := newProcessor(set, cfg, rustffi.SignalTraces, next)
	if err != nil {
		return nil, err
	}
	helper, err := processorhelper.NewTraces(ctx, set, cfg, next, func(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
		return process(ctx, p, tracesOps, td)
	}, p.options()...)
	if err != nil {
		return nil, err
	}
	return &tracesProcessor{Traces: helper, p: p}, nil
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, err := newProcessor(set, cfg, rustffi.SignalMetrics, next)
	if err != nil {
		return nil, err
	}
	helper, err := processorhelper.NewMetrics(ctx, set, cfg, next, func(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
		return process(ctx, p, metricsOps, md)
	}, p.options()...)
	if err != nil {
		return nil, err
	}
	return &metricsProcessor{Metrics: helper, p: p}, nil
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := newProcessor(set, cfg, rustffi.SignalLogs, next)
	if err != nil {
		return nil, err
	}
	helper, err := processorhelper.NewLogs(ctx, set, cfg, next, func(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
		return process(ctx, p, logsOps, ld)
	}, p.options()...)
	if err != nil {
		return nil, err
	}
	return &logsProcessor{Logs: helper, p: p}, nil
}

// newProcessor builds the Go side of one processor; its Rust instance is created by Start.
func newProcessor(set processor.Settings, cfg component.Config, signal rustffi.Signal, next capable) (*rustProcessor, error) {
	config, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("rust processor %q: unexpected config type %T", set.ID, cfg)
	}
	// The attributes processorhelper puts on its own metrics, on the Rust instance's too: the
	// collector's meter provider names the component only behind the alpha gate
	// telemetry.newPipelineTelemetry.
	identity := []attribute.KeyValue{
		attribute.String("processor", set.ID.String()),
		attribute.String("otel.signal", signal.String()),
	}
	return &rustProcessor{
		instance: rustcomponent.NewInstance(set.ID, config, set.TelemetrySettings, set.BuildInfo, identity...),
		id:       set.ID,
		signal:   signal,
		logger:   set.Logger,
		next:     next,
	}, nil
}

// options are processorhelper's options for p: the Rust instance's lifecycle, and
// MutatesData, since edits and drops are applied in place on the batch the pipeline hands
// over (the collector gives a processor that says so a batch nobody else reads).
func (p *rustProcessor) options() []processorhelper.Option {
	return []processorhelper.Option{
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown),
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}),
	}
}
