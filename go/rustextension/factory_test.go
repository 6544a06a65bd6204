package rustextension

import (
	"os"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scenario: every crate under rust/components/ registers a type named like its directory, of
// any kind (package rustexporter checks its exporters' factories the same way).
// Guarantees: the linker kept every registration in this Go binary (link-section registries
// can silently come out empty in a Go link), and each extension type became a factory at the
// stability level its Rust factory declares.
func TestEveryRustComponentIsLinked(t *testing.T) {
	entries, err := os.ReadDir("../../rust/components")
	if err != nil {
		t.Fatal(err)
	}
	all, err := rustffi.ComponentTypes()
	if err != nil {
		t.Fatal(err)
	}
	types, err := rustffi.ExtensionTypes()
	if err != nil {
		t.Fatal(err)
	}
	factories, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]string{}
	for _, typ := range types {
		declared[typ.Type] = typ.Stability
	}
	if len(factories) != len(declared) {
		t.Fatalf("%d factories for the Rust extension types %v", len(factories), types)
	}
	for _, factory := range factories {
		name := factory.Type().String()
		if got := factory.Stability().String(); got != declared[name] {
			t.Errorf("%s: stability %s, Rust declares %q", name, got, declared[name])
		}
	}
	var linked []string
	for _, typ := range all {
		linked = append(linked, string(typ.Kind)+" "+typ.Type)
	}
	for _, entry := range entries {
		found := slices.ContainsFunc(all, func(typ rustffi.ComponentType) bool { return typ.Type == entry.Name() })
		if entry.IsDir() && !found {
			t.Errorf("rust/components/%s is not linked into the Go binary (linked: %v)", entry.Name(), linked)
		}
	}
}

// Guarantees: rust_sample, which declares no level, is Development (the SDK's default), both
// from NewFactories and from NewFactory (the builder's generated packages call it).
func TestSampleIsDevelopment(t *testing.T) {
	for name, factory := range map[string]extension.Factory{
		"NewFactories": sampleFactory(t),
		"NewFactory":   NewFactory("rust_sample"),
	} {
		if factory.Type().String() != "rust_sample" || factory.Stability() != component.StabilityLevelDevelopment {
			t.Errorf("%s: %s at %v, want rust_sample at Development", name, factory.Type(), factory.Stability())
		}
	}
}

// Guarantees: a level Go does not know stops the factory with the level in the message,
// rather than turning into "Undefined".
func TestUnknownStabilityIsRejected(t *testing.T) {
	_, err := newFactory(rustffi.ComponentType{Kind: rustffi.KindExtension, Type: "rust_sample", Stability: "Experimental"})
	if err == nil || !strings.Contains(err.Error(), `"Experimental"`) {
		t.Fatalf("unknown level: %v", err)
	}
}

// Guarantees: NewFactory of a type the linked archive lacks is a loud failure naming it.
func TestNewFactoryPanicsOnUnknownType(t *testing.T) {
	defer func() {
		if got := recover(); got == nil || !strings.Contains(got.(string), `unknown extension type "nope"`) {
			t.Fatalf("panic: %v", got)
		}
	}()
	NewFactory("nope")
}
