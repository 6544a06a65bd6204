//go:build cgo

package rustffi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"slices"
	"sync"
	"testing"
	"time"
)

const archivePath = "../../" + linkedArchive

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

func TestExtensionTypesListsSample(t *testing.T) {
	types, err := ExtensionTypes()
	if err != nil {
		t.Fatal(err)
	}
	// rust_sample declares no level: the SDK's default.
	if !slices.Contains(types, ExtensionType{Type: "rust_sample", Stability: "Development"}) {
		t.Fatalf("rust_sample (Development) missing from %v", types)
	}
}

func TestConfigCallsReportRustErrors(t *testing.T) {
	if _, err := DefaultConfig(""); err == nil || err.Error() != "extension type is empty" {
		t.Fatalf("empty type: %v", err)
	}
	if _, err := DefaultConfig("nope"); err == nil || err.Error() != `unknown extension type "nope"` {
		t.Fatalf("unknown type: %v", err)
	}
	_, err := ValidateConfig("rust_sample", map[string]any{"timeout_ms": 0})
	if err == nil || err.Error() != "timeout_ms must be greater than 0" {
		t.Fatalf("invalid config: %v", err)
	}
	normalized, err := ValidateConfig("rust_sample", map[string]any{"enabled": false})
	if err != nil {
		t.Fatal(err)
	}
	if normalized["enabled"] != false || normalized["timeout_ms"] != float64(5000) {
		t.Fatalf("normalized config: %v", normalized)
	}
}

func TestShutdownOfUnknownHandleFails(t *testing.T) {
	id := ComponentID{Type: "rust_sample"}
	if err := Shutdown(context.Background(), id, 0); err == nil {
		t.Fatal("handle 0 shut down")
	}
	if err := Shutdown(context.Background(), id, Handle(1<<62)); err == nil {
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
				h, err := CreateAndStart(ctx, id, map[string]any{"enabled": false}, HostInfo{})
				if err == nil {
					err = Shutdown(ctx, id, h)
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
