package rustextension

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

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
	col := testutil.RunCollector(t, collectorYAML(`
  rust_sample/env:
    endpoint: ${env:OTELCOL_RUST_TEST_PORT}
    timeout_ms: ${env:OTELCOL_RUST_TEST_TIMEOUT}
    enabled: ${env:OTELCOL_RUST_TEST_ENABLED}
  rust_sample/null:
    enabled: false
    timeout_ms:
    depends_on: null
`, []string{"rust_sample/env", "rust_sample/null"}), configs.around(sampleFactory(t)))
	col.WaitRunning(t, 20*time.Second)
	col.Stop(t)

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
