package rustextension

import (
	"os"
	"slices"
	"testing"

	"go.opentelemetry.io/collector/component"
)

// Scenario: every crate under rust/components/ registers the extension type named like its
// directory.
// Guarantees: the linker kept every registration in this Go binary (link-section registries
// can silently come out empty in a Go link), and each type became a Development factory.
func TestEveryRustComponentIsLinked(t *testing.T) {
	entries, err := os.ReadDir("../../rust/components")
	if err != nil {
		t.Fatal(err)
	}
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	var linked []string
	for _, factory := range factories {
		linked = append(linked, factory.Type().String())
		if got := factory.Stability(); got != component.StabilityLevelDevelopment {
			t.Errorf("%s: stability %v", factory.Type(), got)
		}
	}
	for _, entry := range entries {
		if entry.IsDir() && !slices.Contains(linked, entry.Name()) {
			t.Errorf("rust/components/%s is not linked into the Go binary (linked: %v)", entry.Name(), linked)
		}
	}
}
