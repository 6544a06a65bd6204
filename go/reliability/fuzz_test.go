//go:build otelcolrust_testcomponents

package reliability

import (
	"encoding/json"
	"testing"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

// FuzzRustConfig feeds arbitrary config maps (from JSON, or raw text as a value) through the
// collector's config path into Rust: Unmarshal (merge over defaults, Rust validate) and
// Validate. Seeds live in testdata/fuzz/FuzzRustConfig.
//
// Guarantees: every input gets an error or success, never a crash or hang; whatever Unmarshal
// accepts, Validate accepts too and Marshal round-trips.
func FuzzRustConfig(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"endpoint":"localhost:1","timeout_ms":1,"enabled":false}`, `{"timeout_ms":0}`,
		`{"endpoint":""}`, `{"endpont":"x"}`, `{"timeout_ms":"soon"}`, `{"timeout_ms":1e300}`,
		`{"depends_on":["a/b","Not An ID"]}`, `{"enabled":{"deep":[[[[[]]]]]}}`, "\x00\xff",
	} {
		f.Add([]byte(seed))
	}
	defaults := factory(f, "rust_sample").CreateDefaultConfig
	f.Fuzz(func(t *testing.T, raw []byte) {
		var conf map[string]any
		if json.Unmarshal(raw, &conf) != nil {
			// Not a JSON object: use the bytes as a string value in every key.
			conf = map[string]any{"endpoint": string(raw), "timeout_ms": string(raw)}
		}
		cfg := defaults().(*rustextension.RustComponentConfig)
		if err := cfg.Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Unmarshal accepted what Validate rejects: %v", err)
		}
		out := confmap.New()
		if err := cfg.Marshal(out); err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again := defaults().(*rustextension.RustComponentConfig)
		if err := again.Unmarshal(out); err != nil {
			t.Fatalf("Marshal output does not Unmarshal: %v", err)
		}
	})
}
