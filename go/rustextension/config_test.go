package rustextension

import (
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
)

func defaultSampleConfig(t *testing.T) *RustComponentConfig {
	t.Helper()
	return sampleFactory(t).CreateDefaultConfig().(*RustComponentConfig)
}

// Guarantees: user keys are merged over the defaults, and Rust's normalized form is kept.
func TestUnmarshalMergesOverDefaults(t *testing.T) {
	cfg := defaultSampleConfig(t)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{"timeout_ms": 250})); err != nil {
		t.Fatal(err)
	}
	values := cfg.Values()
	if values["timeout_ms"] != float64(250) || values["endpoint"] != "localhost:8080" || values["enabled"] != true {
		t.Fatalf("merged config: %v", values)
	}
}

// Guarantees: Rust's message reaches the user for each kind of bad input.
func TestUnmarshalRejectsBadConfig(t *testing.T) {
	cases := map[string]struct {
		conf map[string]any
		want string
	}{
		"zero timeout":   {map[string]any{"timeout_ms": 0}, "timeout_ms must be greater than 0"},
		"empty endpoint": {map[string]any{"endpoint": ""}, "endpoint cannot be empty when specified"},
		"unknown key":    {map[string]any{"endpont": "x:1"}, "endpont: unknown configuration key"},
		"wrong type":     {map[string]any{"timeout_ms": "soon"}, `timeout_ms: invalid type: string "soon"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := defaultSampleConfig(t).Unmarshal(confmap.NewFromStringMap(tc.conf))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// Guarantees: Marshal writes what Unmarshal reads (print-config shows the effective config).
func TestMarshalRoundTrips(t *testing.T) {
	cfg := defaultSampleConfig(t)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{"enabled": false})); err != nil {
		t.Fatal(err)
	}
	conf := confmap.New()
	if err := cfg.Marshal(conf); err != nil {
		t.Fatal(err)
	}
	again := defaultSampleConfig(t)
	if err := again.Unmarshal(conf); err != nil {
		t.Fatal(err)
	}
	if got, want := again.Values(), cfg.Values(); got["enabled"] != want["enabled"] || got["timeout_ms"] != want["timeout_ms"] {
		t.Fatalf("round trip: %v != %v", got, want)
	}
}

// Guarantees: Validate judges configs that never reached Unmarshal (defaults, code-built).
func TestValidateCoversConfigsThatSkippedUnmarshal(t *testing.T) {
	cfg := defaultSampleConfig(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	cfg.Set("timeout_ms", 0)
	if err := cfg.Validate(); err == nil || err.Error() != "timeout_ms must be greater than 0" {
		t.Fatalf("got %v", err)
	}
	cfg = defaultSampleConfig(t)
	cfg.Set("depends_on", []any{"Not An ID!"})
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `dependency "Not An ID!"`) {
		t.Fatalf("got %v", err)
	}
}
