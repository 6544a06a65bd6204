//go:build otelcolrust_testcomponents

package rustextension

import (
	"testing"

	"go.opentelemetry.io/collector/component"
)

// Scenario: the test-only rust_chaos factory declares `Stability::Alpha` in Rust.
// Guarantees: a level other than the default crosses the boundary and becomes the collector
// factory's Stability(), from both constructors.
func TestDeclaredStabilityReachesTheFactory(t *testing.T) {
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, factory := range factories {
		if factory.Type().String() == "rust_chaos" {
			found = true
			if got := factory.Stability(); got != component.StabilityLevelAlpha {
				t.Errorf("NewFactories: rust_chaos at %v, Rust declares Alpha", got)
			}
		}
	}
	if !found {
		t.Fatal("rust_chaos is not linked (build the test archive: make rust-testlib)")
	}
	if got := NewFactory("rust_chaos").Stability(); got != component.StabilityLevelAlpha {
		t.Errorf("NewFactory: rust_chaos at %v, Rust declares Alpha", got)
	}
}
