package rustprocessor

import (
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/processor"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scenario: every processor type the linked Rust library registers.
// Guarantees: each became a factory with a create function for exactly the signals its Rust
// factory declares, each at the stability level it declares, from both constructors; its
// default config is the Rust defaults, valid.
func TestEveryRustProcessorIsAFactory(t *testing.T) {
	types, err := rustffi.ComponentTypes()
	if err != nil {
		t.Fatal(err)
	}
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	var processors []rustffi.ComponentType
	for _, typ := range types {
		if typ.Kind == rustffi.KindProcessor {
			processors = append(processors, typ)
		}
	}
	if len(factories) != len(processors) {
		t.Fatalf("%d factories for the Rust processor types %v", len(factories), processors)
	}
	for i, typ := range processors {
		for name, factory := range map[string]processor.Factory{"NewFactories": factories[i], "NewFactory": NewFactory(typ.Type)} {
			if factory.Type().String() != typ.Type {
				t.Fatalf("%s: factory %d is %s, want %s", name, i, factory.Type(), typ.Type)
			}
			for signal, stability := range map[pipeline.Signal]component.StabilityLevel{
				pipeline.SignalTraces:  factory.TracesStability(),
				pipeline.SignalMetrics: factory.MetricsStability(),
				pipeline.SignalLogs:    factory.LogsStability(),
			} {
				want := component.StabilityLevelUndefined // no create function
				if slices.Contains(typ.Signals, signal.String()) {
					if err := want.UnmarshalText([]byte(typ.Stability)); err != nil {
						t.Fatal(err)
					}
				}
				if stability != want {
					t.Errorf("%s: %s %s at %v, want %v (Rust declares %v at %s)", name, typ.Type, signal, stability, want, typ.Signals, typ.Stability)
				}
			}
			if err := factory.CreateDefaultConfig().(*Config).Validate(); err != nil {
				t.Errorf("%s: %s's default config: %v", name, typ.Type, err)
			}
		}
	}
}

// Guarantees: NewFactory of a type the linked archive does not register as a processor is a
// loud failure naming it; an extension type of that name does not count.
func TestNewFactoryPanicsOnUnknownType(t *testing.T) {
	for _, name := range []string{"nope", "rust_sample"} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if got := recover(); got == nil || !strings.Contains(got.(string), `unknown processor type "`+name+`"`) {
					t.Fatalf("panic: %v", got)
				}
			}()
			NewFactory(name)
		})
	}
}
