//go:build otelcolrust_testcomponents

package rustextension

import (
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// Scenario: rust_chaos, asked to fail its start quoting the config it received, is configured
// through an in-process collector: a String key and a bool key from environment variables
// (the env provider), a u64 key beyond 2^53, and, in a second run, the u64 maximum.
// Guarantees: what Start hands Rust is what the user wrote: the String field got the
// variable's text, the bool field the bool, each integer every digit.
func TestStartReceivesTheConfigExactly(t *testing.T) {
	t.Setenv("OTELCOL_RUST_TEST_TEXT", "8080")
	t.Setenv("OTELCOL_RUST_TEST_BOOL", "true")
	chaos := rustFactory(t, "rust_chaos")
	cases := map[string]struct {
		section string
		want    []string
	}{
		"provider values and 2^53+1": {
			section: `
    panic_in: ${env:OTELCOL_RUST_TEST_TEXT}
    block_thread: ${env:OTELCOL_RUST_TEST_BOOL}
    panic_after_ms: 9007199254740993`,
			want: []string{`panic_in: "8080"`, "block_thread: true", "panic_after_ms: 9007199254740993,"},
		},
		"u64 maximum": {
			section: `
    panic_after_ms: 18446744073709551615`,
			want: []string{"panic_after_ms: 18446744073709551615,"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			col := testutil.RunCollector(t, collectorYAML(`
  rust_chaos:
    fail_start: true`+tc.section+`
`, []string{"rust_chaos"}), chaos)
			err, ok := col.WaitStopped(20 * time.Second)
			if !ok {
				t.Fatal("collector running although rust_chaos's start fails")
			}
			if err == nil || !strings.Contains(err.Error(), "rust_chaos fails start as asked; it got ChaosConfig {") {
				t.Fatalf("collector run: %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("start received %q, which lacks %q", err, want)
				}
			}
		})
	}
}

func rustFactory(t *testing.T, typ string) extension.Factory {
	t.Helper()
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	for _, factory := range factories {
		if factory.Type().String() == typ {
			return factory
		}
	}
	t.Fatalf("%s is not registered (is this the test-components archive?)", typ)
	return nil
}
