package rustextension

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// newEnvCollector builds an in-process collector that resolves `${env:...}` as distributions
// do (the file and env providers), with exactly the given extension factories and a nop
// pipeline.
func newEnvCollector(t *testing.T, extensions string, enabled []string, factories ...extension.Factory) *otelcol.Collector {
	t.Helper()
	path := testutil.WriteConfig(t, testutil.Config{
		Extensions: extensions,
		Enabled:    enabled,
		Pipeline:   testutil.NopPipeline,
	}.YAML())
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-rust-test", Version: "1.2.3-test"},
		Factories: func() (otelcol.Factories, error) {
			exts, err := otelcol.MakeFactoryMap(factories...)
			if err != nil {
				return otelcol.Factories{}, err
			}
			receivers, _ := otelcol.MakeFactoryMap[receiver.Factory](receivertest.NewNopFactory())
			exporters, _ := otelcol.MakeFactoryMap[exporter.Factory](exportertest.NewNopFactory())
			return otelcol.Factories{
				Extensions: exts,
				Receivers:  receivers,
				Exporters:  exporters,
				Telemetry:  otelconftelemetry.NewFactory(),
			}, nil
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs:              []string{"file:" + path},
				ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return col
}

// createdConfigs records the config the collector creates each extension with, around the
// real factory (which still creates and starts the real Rust instance).
type createdConfigs struct {
	mu   sync.Mutex
	byID map[string]*RustComponentConfig
}

func (c *createdConfigs) around(f extension.Factory) extension.Factory {
	return extension.NewFactory(f.Type(), f.CreateDefaultConfig,
		func(ctx context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
			c.mu.Lock()
			c.byID[set.ID.String()] = cfg.(*RustComponentConfig)
			c.mu.Unlock()
			return f.Create(ctx, set, cfg)
		}, f.Stability())
}

// Scenario: rust_sample/env takes its endpoint (a String), timeout_ms (a u64, beyond what a
// float64 holds) and enabled (a bool) from environment variables through the collector's env
// provider; rust_sample/null sets two keys to null.
// Guarantees: the collector starts both (Rust decodes the config again at Start); the String
// field got the variable's text "8080", the integer field the exact number, the bool field
// the bool, as Go components get them; a null key kept its default.
func TestCollectorGivesProviderValuesTheirMeaning(t *testing.T) {
	t.Setenv("OTELCOL_RUST_TEST_PORT", "8080")
	t.Setenv("OTELCOL_RUST_TEST_TIMEOUT", "9007199254740993")
	t.Setenv("OTELCOL_RUST_TEST_ENABLED", "false")
	configs := &createdConfigs{byID: map[string]*RustComponentConfig{}}
	col := newEnvCollector(t, `
  rust_sample/env:
    endpoint: ${env:OTELCOL_RUST_TEST_PORT}
    timeout_ms: ${env:OTELCOL_RUST_TEST_TIMEOUT}
    enabled: ${env:OTELCOL_RUST_TEST_ENABLED}
  rust_sample/null:
    enabled: false
    timeout_ms:
    depends_on: null
`, []string{"rust_sample/env", "rust_sample/null"}, configs.around(sampleFactory(t)))
	done := runUntilReady(t, col)
	stop(t, col, done)

	want := map[string]map[string]any{
		"rust_sample/env":  {"endpoint": "8080", "timeout_ms": int64(9007199254740993), "enabled": false, "depends_on": []any{}},
		"rust_sample/null": {"endpoint": "localhost:8080", "timeout_ms": int64(5000), "enabled": false, "depends_on": []any{}},
	}
	configs.mu.Lock()
	defer configs.mu.Unlock()
	for id, values := range want {
		cfg, ok := configs.byID[id]
		if !ok {
			t.Fatalf("%s was not created", id)
		}
		if got := cfg.Values(); !reflect.DeepEqual(got, values) {
			t.Errorf("%s: config %#v, want %#v", id, got, values)
		}
	}
}
