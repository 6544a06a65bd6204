package rustextension

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/xconfmap"
)

func defaultSampleConfig(t *testing.T) *RustComponentConfig {
	t.Helper()
	return sampleFactory(t).CreateDefaultConfig().(*RustComponentConfig)
}

// loadSample loads conf over rust_sample's defaults the way the collector does: Unmarshal,
// then Validate (confmap.Validate), and returns Validate's verdict. Unmarshal itself only
// merges, so it must not fail: confmap would show its error after an empty field name.
func loadSample(t *testing.T, conf map[string]any) (*RustComponentConfig, error) {
	t.Helper()
	cfg := defaultSampleConfig(t)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
		t.Fatalf("Unmarshal failed (Rust's verdict belongs to Validate): %v", err)
	}
	return cfg, cfg.Validate()
}

// Guarantees: user keys are merged over the defaults, and Rust's normalized form comes back
// with Go integers, not floats.
func TestUnmarshalMergesOverDefaults(t *testing.T) {
	cfg, err := loadSample(t, map[string]any{"timeout_ms": 250})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"timeout_ms": int64(250), "endpoint": "localhost:8080", "enabled": true, "depends_on": []any{}}
	if got := cfg.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("merged config %#v, want %#v", got, want)
	}
}

// Guarantees: every integer Rust accepts survives Validate, Values and Marshal (what
// print-config shows) exactly, also beyond 2^53 and up to the u64 maximum.
func TestIntegersAreExact(t *testing.T) {
	// The YAML parser gives int, and uint64 above the int64 range; Rust's answer comes back
	// as int64 when it fits, else uint64.
	for n, want := range map[any]any{9007199254740993: int64(9007199254740993), uint64(math.MaxUint64): uint64(math.MaxUint64)} {
		cfg, err := loadSample(t, map[string]any{"timeout_ms": n})
		if err != nil {
			t.Fatalf("%v: %v", n, err)
		}
		if got := cfg.Values()["timeout_ms"]; got != want {
			t.Errorf("Values: timeout_ms %#v, want %#v", got, want)
		}
		marshaled := confmap.New()
		if err := cfg.Marshal(marshaled); err != nil {
			t.Fatal(err)
		}
		if got := marshaled.Get("timeout_ms"); got != want {
			t.Errorf("Marshal: timeout_ms %#v, want %#v", got, want)
		}
	}
}

// Guarantees: a value a config provider substituted (`${env:X}`, which confmap keeps as both
// the parsed value and the text) reaches Rust as it reaches a Go component: a string field
// gets the text, an integer field the number, a bool field the bool.
func TestProviderValuesKeepTheirMeaning(t *testing.T) {
	cfg, err := loadSample(t, map[string]any{
		"endpoint":   xconfmap.ExpandedValue{Value: 8080, Original: "8080"},
		"timeout_ms": xconfmap.ExpandedValue{Value: 250, Original: "250"},
		"enabled":    xconfmap.ExpandedValue{Value: false, Original: "false"},
		"depends_on": []any{xconfmap.ExpandedValue{Value: 42, Original: "zpages"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"endpoint": "8080", "timeout_ms": int64(250), "enabled": false, "depends_on": []any{"zpages"}}
	if got := cfg.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config %#v, want %#v", got, want)
	}
}

// Guarantees: `key: null` (or `key:`) keeps the default, as it does for a Go component.
func TestNullKeepsTheDefault(t *testing.T) {
	cfg, err := loadSample(t, map[string]any{"timeout_ms": nil, "endpoint": nil, "enabled": false})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"timeout_ms": int64(5000), "endpoint": "localhost:8080", "enabled": false, "depends_on": []any{}}
	if got := cfg.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config %#v, want %#v", got, want)
	}
}

// Guarantees: Validate gives Rust's verdict with the key path as the collector writes it
// (list elements in brackets), one error per problem, and nothing of the JSON Go and Rust
// exchange (no line or column).
func TestValidateNamesKeyPaths(t *testing.T) {
	cases := map[string]struct {
		conf map[string]any
		want []string
	}{
		"wrong type":   {map[string]any{"timeout_ms": "soon"}, []string{`timeout_ms: invalid type: string "soon", expected u64`}},
		"unknown key":  {map[string]any{"endpont": "x:1"}, []string{"endpont: unknown configuration key"}},
		"list element": {map[string]any{"depends_on": []any{"a", "b", 5}}, []string{"depends_on[2]: invalid type: integer `5`, expected a string"}},
		"two problems": {map[string]any{"timeout_ms": 0, "endpoint": " "}, []string{"timeout_ms: must be greater than 0", "endpoint: cannot be empty"}},
		"reserved key": {
			map[string]any{"endpoint": map[string]any{"$otelcol.expanded": map[string]any{"value": 1, "original": "1"}}},
			[]string{`endpoint::$otelcol.expanded: the key is reserved (otelcol-rust marks values from config providers with it)`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := loadSample(t, tc.conf)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Error() != strings.Join(tc.want, "\n") {
				t.Fatalf("got %q, want %q", err, strings.Join(tc.want, "\n"))
			}
			if joined, ok := err.(interface{ Unwrap() []error }); len(tc.want) > 1 && (!ok || len(joined.Unwrap()) != len(tc.want)) {
				t.Fatalf("want one error per problem, got %#v", err)
			}
		})
	}
}

// Guarantees: Marshal writes what Unmarshal reads (print-config shows the effective config).
func TestMarshalRoundTrips(t *testing.T) {
	cfg, err := loadSample(t, map[string]any{"enabled": false, "endpoint": xconfmap.ExpandedValue{Value: 8080, Original: "8080"}})
	if err != nil {
		t.Fatal(err)
	}
	conf := confmap.New()
	if err := cfg.Marshal(conf); err != nil {
		t.Fatal(err)
	}
	again, err := loadSample(t, conf.ToStringMap())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again.Values(), cfg.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip: %#v != %#v", got, want)
	}
}

// Guarantees: Validate judges configs that never reached Unmarshal (defaults, code-built).
func TestValidateCoversConfigsThatSkippedUnmarshal(t *testing.T) {
	cfg := defaultSampleConfig(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	cfg.Set("timeout_ms", 0)
	if err := cfg.Validate(); err == nil || err.Error() != "timeout_ms: must be greater than 0" {
		t.Fatalf("got %v", err)
	}
	cfg = defaultSampleConfig(t)
	cfg.Set("depends_on", []any{"Not An ID!"})
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `dependency "Not An ID!"`) {
		t.Fatalf("got %v", err)
	}
}

// Guarantees: Marshal of a config Rust rejects (print-config --validate=false) still shows
// what the user wrote, merged over the defaults, instead of failing.
func TestMarshalShowsARejectedConfigAsWritten(t *testing.T) {
	cfg, err := loadSample(t, map[string]any{"timeout_ms": "soon"})
	if err == nil {
		t.Fatal("accepted")
	}
	conf := confmap.New()
	if err := cfg.Marshal(conf); err != nil {
		t.Fatal(err)
	}
	if conf.Get("timeout_ms") != "soon" || conf.Get("endpoint") != "localhost:8080" {
		t.Fatalf("marshaled %v", conf.ToStringMap())
	}
}
