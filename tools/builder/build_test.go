package main

import (
	"strings"
	"testing"
)

// components is `components` output of a collector with two Rust extensions and a Go one, as
// the collector (otelcol v0.164.0) prints it.
const components = `buildinfo:
    command: otelcol-rust
    version: 0.1.0-dev
receivers:
    - name: otlp
      module: go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0
      stability:
        logs: Stable
        metrics: Stable
        traces: Stable
extensions:
    - name: rust_chaos
      module: example.com/dist/rustfactories/rust_chaos v0.0.0
      stability:
        extension: Alpha
    - name: rust_sample
      module: example.com/dist/rustfactories/rust_sample v0.0.0
      stability:
        extension: Development
    - name: zpages
      module: go.opentelemetry.io/collector/extension/zpagesextension v0.164.0
      stability:
        extension: Beta
`

// Guarantees: the builder's last step accepts a binary only if it lists every Rust type at the
// stability level the type's crate declares, and says which type is wrong and how.
func TestCheckListed(t *testing.T) {
	sample := rustType{Type: "rust_sample", Stability: "Development"}
	for _, tc := range []struct {
		name  string
		types []rustType
		want  string // error text; empty for none
	}{
		{"all listed as declared", []rustType{{Type: "rust_chaos", Stability: "Alpha"}, sample}, ""},
		{"a type missing", []rustType{sample, {Type: "rust_gone", Stability: "Development"}}, `the Rust extension "rust_gone" is not listed`},
		{"another level", []rustType{{Type: "rust_chaos", Stability: "Beta"}}, `the Rust extension "rust_chaos" is listed at stability "Alpha", its crate declares "Beta"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkListed([]byte(components), tc.types)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
