package rustreceiver

import (
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scenario: every receiver type the linked Rust library registers.
// Guarantees: each became a factory with a create function for exactly the signals its Rust
// factory declares, each at the stability level it declares, from both constructors; its
// default config is the Rust defaults, valid. The sample rust_otlphttp receiver is one of
// them, with every signal and transport "http".
func TestEveryRustReceiverIsAFactory(t *testing.T) {
	types, err := rustffi.ComponentTypes()
	if err != nil {
		t.Fatal(err)
	}
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	var receivers []rustffi.ComponentType
	for _, typ := range types {
		if typ.Kind == rustffi.KindReceiver {
			receivers = append(receivers, typ)
		}
	}
	if len(factories) != len(receivers) {
		t.Fatalf("%d factories for the Rust receiver types %v", len(factories), receivers)
	}
	for i, typ := range receivers {
		for name, factory := range map[string]receiver.Factory{"NewFactories": factories[i], "NewFactory": NewFactory(typ.Type)} {
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
	i := slices.IndexFunc(receivers, func(typ rustffi.ComponentType) bool { return typ.Type == "rust_otlphttp" })
	if i < 0 || !slices.Equal(receivers[i].Signals, []string{"traces", "metrics", "logs"}) || receivers[i].Transport != "http" {
		t.Errorf("the rust_otlphttp receiver is not registered with every signal and transport http: %+v", receivers)
	}
}

// Guarantees: NewFactory of a type the linked archive does not register as a receiver is a
// loud failure naming it; an extension type of that name does not count.
func TestNewFactoryPanicsOnUnknownType(t *testing.T) {
	for _, name := range []string{"nope", "rust_sample"} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if got := recover(); got == nil || !strings.Contains(got.(string), `unknown receiver type "`+name+`"`) {
					t.Fatalf("panic: %v", got)
				}
			}()
			NewFactory(name)
		})
	}
}
