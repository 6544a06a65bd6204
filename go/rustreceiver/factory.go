package rustreceiver

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// NewFactories returns one receiver.Factory per receiver type registered in the Rust library.
func NewFactories() ([]receiver.Factory, error) {
	return rustcomponent.Factories(rustcomponent.KindReceiver, newFactory)
}

// NewFactory returns the receiver.Factory of one Rust receiver type; see
// rustcomponent.Factory (it panics if the linked Rust library does not register it as a
// receiver, or its factory cannot be built).
func NewFactory(componentType string) receiver.Factory {
	return rustcomponent.Factory(rustcomponent.KindReceiver, componentType, newFactory)
}

// newFactory builds the factory of one registered receiver type: a create function per
// signal it declares, at the stability level its Rust factory declares.
func newFactory(registered rustffi.ComponentType) (receiver.Factory, error) {
	r, err := rustcomponent.Register(registered)
	if err != nil {
		return nil, err
	}
	name, stability, defaults := r.Type, r.Stability, r.Defaults
	if len(registered.Signals) == 0 {
		return nil, fmt.Errorf("rust receiver %q declares no signal", name)
	}
	transport := registered.Transport
	options := make([]receiver.FactoryOption, 0, len(registered.Signals))
	for _, signal := range registered.Signals {
		switch signal {
		case "traces":
			options = append(options, receiver.WithTraces(func(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
				return create[receiver.Traces](set, cfg, transport, func(r *rustReceiver) error { return setNext(r, rustffi.SignalTraces, &r.traces, next) })
			}, stability))
		case "metrics":
			options = append(options, receiver.WithMetrics(func(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Metrics) (receiver.Metrics, error) {
				return create[receiver.Metrics](set, cfg, transport, func(r *rustReceiver) error { return setNext(r, rustffi.SignalMetrics, &r.metrics, next) })
			}, stability))
		case "logs":
			options = append(options, receiver.WithLogs(func(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
				return create[receiver.Logs](set, cfg, transport, func(r *rustReceiver) error { return setNext(r, rustffi.SignalLogs, &r.logs, next) })
			}, stability))
		default:
			return nil, fmt.Errorf("rust receiver %q declares the signal %q, which this Go module does not know", name, signal)
		}
	}
	createDefaultConfig := func() component.Config {
		return rustcomponent.NewConfig(rustcomponent.KindReceiver, name, defaults)
	}
	return receiver.NewFactory(r.CollectorType, createDefaultConfig, options...), nil
}

// create answers the shared receiver of cfg as R (receiver.Traces, Metrics or Logs) after
// record gave it its next consumer; on error a nil R, not a nil *rustReceiver inside one.
func create[R component.Component](set receiver.Settings, cfg component.Config, transport string, record func(*rustReceiver) error) (R, error) {
	r, err := shared(set, cfg, transport, record)
	if err != nil {
		var none R
		return none, err
	}
	return any(r).(R), nil
}
