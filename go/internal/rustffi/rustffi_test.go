//go:build cgo

package rustffi

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"
)

const archivePath = "../../../" + linkedArchive

// Guarantees: this test binary was linked against the Rust archive now on disk, not a stale
// one from Go's build cache (the Makefile records the archive's hash in the link flags).
func TestLinkedArchiveIsCurrent(t *testing.T) {
	if linkedArchive == "" {
		t.Skip("this build links an archive that is not on disk here (a distribution's, or Bazel's)")
	}
	data, err := os.ReadFile(archivePath)
	if err != nil {
		t.Fatalf("read Rust archive: %v", err)
	}
	sum := sha256.Sum256(data)
	onDisk := hex.EncodeToString(sum[:])
	switch ArchiveDigest() {
	case "":
		t.Fatal("the link did not record the Rust archive's hash: run the tests with `make test`")
	case onDisk:
	default:
		t.Fatalf("linked Rust archive %s, but %s is on disk: the Go link is stale", ArchiveDigest(), onDisk)
	}
}

func TestComponentTypesListsSample(t *testing.T) {
	types, err := ComponentTypes()
	if err != nil {
		t.Fatal(err)
	}
	// rust_sample declares no level: the SDK's default.
	sample := ComponentType{Kind: KindExtension, Type: "rust_sample", Stability: "Development", Factory: "rust_sample::SampleFactory", SDKVersion: SDKVersion}
	if !slices.ContainsFunc(types, func(typ ComponentType) bool { return reflect.DeepEqual(typ, sample) }) {
		t.Fatalf("%+v missing from %+v", sample, types)
	}
	// Sorted by kind, then type; every kind but extensions lists its signals; only receivers
	// name a transport.
	sorted := slices.IsSortedFunc(types, func(a, b ComponentType) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Type, b.Type))
	})
	if !sorted {
		t.Errorf("not sorted by kind and type: %+v", types)
	}
	for _, typ := range types {
		if (typ.Kind != KindExtension) != (len(typ.Signals) > 0) {
			t.Errorf("%+v: signals are for every kind but extensions, and every one has some", typ)
		}
		if typ.Kind != KindReceiver && typ.Transport != "" {
			t.Errorf("%+v: a transport is a receiver's", typ)
		}
	}
	extensions, err := ExtensionTypes()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(extensions, func(typ ComponentType) bool { return typ.Type == "rust_sample" }) ||
		slices.ContainsFunc(extensions, func(typ ComponentType) bool { return typ.Kind != KindExtension }) {
		t.Fatalf("ExtensionTypes: %+v", extensions)
	}
}

// Guarantees: every type the linked archive registers records the SDK version it was compiled
// against, and it is this Go module's (one release), so ComponentTypes' check passes.
func TestEveryLinkedTypeCarriesTheLibrarysSDKVersion(t *testing.T) {
	types, err := ComponentTypes()
	if err != nil {
		t.Fatal(err)
	}
	if len(types) == 0 {
		t.Fatal("the archive registers no type")
	}
	for _, typ := range types {
		if typ.SDKVersion != SDKVersion || typ.Factory == "" {
			t.Errorf("%+v: want SDK version %s and the factory's path", typ, SDKVersion)
		}
	}
}

func TestConfigCallsReportRustErrors(t *testing.T) {
	if _, err := DefaultConfig(KindExtension, ""); err == nil || err.Error() != "extension type is empty" {
		t.Fatalf("empty type: %v", err)
	}
	if _, err := DefaultConfig(KindExtension, "nope"); err == nil || err.Error() != `unknown extension type "nope"` {
		t.Fatalf("unknown type: %v", err)
	}
	// Lookups are by kind and type: rust_sample is an extension, not an exporter.
	if _, err := DefaultConfig(KindExporter, "rust_sample"); err == nil || err.Error() != `unknown exporter type "rust_sample"` {
		t.Fatalf("type of another kind: %v", err)
	}
	_, err := ValidateConfig(KindExtension, "rust_sample", map[string]any{"timeout_ms": 0})
	if err == nil || err.Error() != "timeout_ms: must be greater than 0" {
		t.Fatalf("invalid config: %v", err)
	}
	normalized, err := ValidateConfig(KindExtension, "rust_sample", map[string]any{"enabled": false})
	if err != nil {
		t.Fatal(err)
	}
	if normalized["enabled"] != false || normalized["timeout_ms"] != int64(5000) {
		t.Fatalf("normalized config: %#v", normalized)
	}
}

// Guarantees: every problem Rust reports is an error of its own, "path: message", joined.
func TestConfigProblemsAreSeparateErrors(t *testing.T) {
	_, err := ValidateConfig(KindExtension, "rust_sample", map[string]any{"timeout_ms": 0, "endpoint": ""})
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok || len(joined.Unwrap()) != 2 {
		t.Fatalf("want two joined errors, got %#v", err)
	}
	if err.Error() != "timeout_ms: must be greater than 0\nendpoint: cannot be empty" {
		t.Fatalf("got %q", err)
	}
}

// Guarantees: integers cross the boundary in both directions with every digit and come back
// as Go integers: int64 when they fit, else uint64 (never float64, which holds 53 bits).
func TestConfigIntegersAreExact(t *testing.T) {
	for _, n := range []any{int64(9007199254740993), uint64(math.MaxUint64)} {
		normalized, err := ValidateConfig(KindExtension, "rust_sample", map[string]any{"timeout_ms": n})
		if err != nil {
			t.Fatalf("%v: %v", n, err)
		}
		if got := normalized["timeout_ms"]; got != n {
			t.Errorf("timeout_ms %#v came back as %#v", n, got)
		}
	}
}

// Guarantees: a provider-substituted value gives a Rust String field its text and a number
// field its parsed value (as confmap does for Go), through the real boundary.
func TestConfigExpandedValues(t *testing.T) {
	normalized, err := ValidateConfig(KindExtension, "rust_sample", map[string]any{
		"endpoint":   Expanded{Value: 8080, Original: "8080"},
		"timeout_ms": Expanded{Value: 250, Original: "250"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if normalized["endpoint"] != "8080" || normalized["timeout_ms"] != int64(250) {
		t.Fatalf("normalized config: %#v", normalized)
	}
}

func TestShutdownOfUnknownHandleFails(t *testing.T) {
	id := ComponentID{Type: "rust_sample"}
	if _, err := Shutdown(context.Background(), id, 0, 0); err == nil {
		t.Fatal("handle 0 shut down")
	}
	if _, err := Shutdown(context.Background(), id, 0, Handle(1<<62)); err == nil {
		t.Fatal("never-issued handle shut down")
	}
}

// Scenario: 8 goroutines each create, start and shut down 50 instances.
// Guarantees: concurrent lifecycle calls are safe (run under -race) and leave no instance.
func TestConcurrentLifecycle(t *testing.T) {
	before, err := LiveInstances()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for worker := range 8 {
		wg.Go(func() {
			for range 50 {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				id := ComponentID{Type: "rust_sample", Name: string(rune('a' + worker))}
				h, _, err := CreateAndStart(ctx, KindExtension, id, 0, map[string]any{"enabled": false}, HostInfo{})
				if err == nil {
					_, err = Shutdown(ctx, id, 0, h)
				}
				cancel()
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	after, err := LiveInstances()
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("live instances: %d before, %d after", before, after)
	}
}
