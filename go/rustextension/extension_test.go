package rustextension

import (
	"context"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

func newSample(t *testing.T, conf map[string]any) *rustExtension {
	t.Helper()
	factory := sampleFactory(t)
	cfg := factory.CreateDefaultConfig().(*RustComponentConfig)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
		t.Fatal(err)
	}
	ext, err := factory.Create(context.Background(), extensiontest.NewNopSettings(factory.Type()), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ext.(*rustExtension)
}

func liveInstances(t *testing.T) uint64 {
	t.Helper()
	n, err := rustffi.LiveInstances()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Scenario: Create, Start, Shutdown, Shutdown.
// Guarantees: Create makes no Rust instance; Start makes one (its endpoint answers) and a
// second Start fails; Shutdown removes it and frees the port; Shutdown is idempotent.
func TestLifecycleSeparation(t *testing.T) {
	endpoint := testutil.FreeEndpoint(t)
	before := liveInstances(t)
	ext := newSample(t, map[string]any{"endpoint": endpoint})
	if ext.Handle() != 0 || liveInstances(t) != before {
		t.Fatal("Create made a Rust instance")
	}
	if _, err := status(endpoint); err == nil {
		t.Fatal("endpoint answers before Start")
	}

	ctx := context.Background()
	if err := ext.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	if ext.Handle() == 0 || liveInstances(t) != before+1 {
		t.Fatal("Start made no Rust instance")
	}
	body, err := status(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if body["component_id"] != ext.id.String() {
		t.Fatalf("status: %v", body)
	}
	if err := ext.Start(ctx, componenttest.NewNopHost()); err == nil || !strings.HasSuffix(err.Error(), ": already started") {
		t.Fatalf("second Start: %v", err)
	}

	if err := ext.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if ext.Handle() != 0 || liveInstances(t) != before {
		t.Fatal("Shutdown left the Rust instance")
	}
	requirePortFree(t, endpoint)
	if err := ext.Shutdown(ctx); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

// Guarantees: Shutdown without Start is a no-op.
func TestShutdownWithoutStart(t *testing.T) {
	if err := newSample(t, map[string]any{"enabled": false}).Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Scenario: a config made invalid after config load (as code building configs could).
// Guarantees: Rust validates again at Start and its message reaches the caller.
func TestStartRevalidatesInRust(t *testing.T) {
	ext := newSample(t, map[string]any{"enabled": false})
	ext.config.Set("timeout_ms", 0)
	err := ext.Start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), "timeout_ms: must be greater than 0") {
		t.Fatalf("got %v", err)
	}
	if ext.Handle() != 0 {
		t.Fatal("failed Start kept a handle")
	}
}

// Guarantees: a cancelled or expired context fails Start cleanly, with no Rust instance.
func TestStartHonoursContext(t *testing.T) {
	before := liveInstances(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for name, ctx := range map[string]context.Context{"cancelled": cancelled, "expired": expired} {
		ext := newSample(t, map[string]any{"endpoint": testutil.FreeEndpoint(t)})
		err := ext.Start(ctx, componenttest.NewNopHost())
		if err == nil || !strings.Contains(err.Error(), "start not attempted") {
			t.Errorf("%s: got %v", name, err)
		}
		if ext.Handle() != 0 {
			t.Errorf("%s: handle kept", name)
		}
	}
	if liveInstances(t) != before {
		t.Fatal("a Rust instance was left behind")
	}
}

// Guarantees: a busy port fails Start with Rust's message naming the endpoint.
func TestStartFailsOnBusyPort(t *testing.T) {
	first := newSample(t, map[string]any{"endpoint": testutil.FreeEndpoint(t)})
	if err := first.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer first.Shutdown(context.Background())
	endpoint := first.config.Values()["endpoint"].(string)
	second := newSample(t, map[string]any{"endpoint": endpoint})
	err := second.Start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), "cannot listen on \""+endpoint+"\"") {
		t.Fatalf("got %v", err)
	}
}

// Guarantees: the wrapper reports the Rust config's dependencies to the collector.
func TestDependenciesComeFromRustConfig(t *testing.T) {
	ext := newSample(t, map[string]any{"enabled": false, "depends_on": []any{"zpages", "rust_sample/a"}})
	got := ext.Dependencies()
	want := []component.ID{
		component.MustNewID("zpages"),
		component.MustNewIDWithName("rust_sample", "a"),
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %v, want %v", got, want)
	}
}
