package rustexporter

import (
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pipeline"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scenario: every exporter type the linked Rust library registers.
// Guarantees: each became a factory with a create function for exactly the signals its Rust
// factory declares, each at the stability level it declares, from both constructors.
func TestEveryRustExporterIsAFactory(t *testing.T) {
	types, err := rustffi.ComponentTypes()
	if err != nil {
		t.Fatal(err)
	}
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	var exporters []rustffi.ComponentType
	for _, typ := range types {
		if typ.Kind == rustffi.KindExporter {
			exporters = append(exporters, typ)
		}
	}
	if len(factories) != len(exporters) {
		t.Fatalf("%d factories for the Rust exporter types %v", len(factories), exporters)
	}
	for i, typ := range exporters {
		for name, factory := range map[string]exporter.Factory{"NewFactories": factories[i], "NewFactory": NewFactory(typ.Type)} {
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
					want = mustStability(t, typ.Stability)
				}
				if stability != want {
					t.Errorf("%s: %s %s at %v, want %v (Rust declares %v at %s)", name, typ.Type, signal, stability, want, typ.Signals, typ.Stability)
				}
			}
		}
	}
}

func mustStability(t *testing.T, level string) component.StabilityLevel {
	t.Helper()
	var stability component.StabilityLevel
	if err := stability.UnmarshalText([]byte(level)); err != nil {
		t.Fatal(err)
	}
	return stability
}

// Guarantees: NewFactory of a type the linked archive does not register as an exporter is a
// loud failure naming it; an extension type of that name does not count.
func TestNewFactoryPanicsOnUnknownType(t *testing.T) {
	for _, name := range []string{"nope", "rust_sample"} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if got := recover(); got == nil || !strings.Contains(got.(string), `unknown exporter type "`+name+`"`) {
					t.Fatalf("panic: %v", got)
				}
			}()
			NewFactory(name)
		})
	}
}

// Guarantees: a Rust config declaring a key the collector's standard exporter settings use
// (it could never be set) is refused, naming the type, the key and the standard keys.
func TestRustKeysNamedLikeStandardOnesAreRefused(t *testing.T) {
	for _, key := range []string{"timeout", "sending_queue", "retry_on_failure"} {
		err := refuseStandardKeys("rust_x", map[string]any{"endpoint": "", key: nil})
		want := `rust exporter "rust_x": its config declares "` + key + `", a key of the collector's standard exporter settings (retry_on_failure, sending_queue, timeout); rename it`
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %s", key, err, want)
		}
	}
	if err := refuseStandardKeys("rust_x", map[string]any{"endpoint": "", "timeout_ms": 1}); err != nil {
		t.Errorf("other keys refused: %v", err)
	}
}
