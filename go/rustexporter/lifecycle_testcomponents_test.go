//go:build otelcolrust_testcomponents

package rustexporter

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.uber.org/goleak"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

func liveInstances(t *testing.T) uint64 {
	t.Helper()
	n, err := rustffi.LiveInstances()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Scenario: the traces, metrics and logs exporters of one rust_chaos id are created, started,
// used and shut down.
// Guarantees: Create makes no Rust instance; Start makes one per exporter (one per signal);
// an export goes through; Shutdown leaves none and no goroutine (event watcher, queue
// consumers) behind.
func TestLifecycle(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	before := liveInstances(t)
	c := newChaos(t, nil)
	factory := NewFactory("rust_chaos")
	ctx := context.Background()
	traces, err := factory.CreateTraces(ctx, c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := factory.CreateMetrics(ctx, c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := factory.CreateLogs(ctx, c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	exporters := []component.Component{traces, metrics, logs}
	if n := liveInstances(t); n != before {
		t.Fatalf("Create made %d Rust instances", n-before)
	}
	for _, exp := range exporters {
		if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
			t.Fatal(err)
		}
	}
	if n := liveInstances(t); n != before+3 {
		t.Fatalf("%d Rust instances after starting 3 exporters", n-before)
	}
	if err := traces.ConsumeTraces(ctx, testdata.GenerateTraces(2)); err != nil {
		t.Fatal(err)
	}
	for _, exp := range exporters {
		if err := exp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances left after Shutdown", n-before)
	}
	if got := c.sum(t, "otelcol_exporter_sent_spans"); got != 2 {
		t.Fatalf("the queued batch was not drained before the Rust instance stopped: %d spans sent", got)
	}
}

// Guarantees: Shutdown without Start is a no-op, and an export before Start (which the
// collector never does) is a permanent error, not a crash.
func TestShutdownWithoutStartAndExportBeforeStart(t *testing.T) {
	c := newChaos(t, synchronous(nil))
	exp, err := NewFactory("rust_chaos").CreateTraces(context.Background(), c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(1))
	if !consumererror.IsPermanent(err) || !strings.Contains(err.Error(), `rust exporter "rust_chaos": export while not started`) {
		t.Fatalf("export before Start: %v", err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Scenario: a config made invalid after config load (as code building configs could).
// Guarantees: Rust validates again at Start; its message reaches the caller naming the
// exporter, and no instance is left.
func TestStartRevalidatesInRust(t *testing.T) {
	before := liveInstances(t)
	c := newChaos(t, nil)
	c.cfg.rust.Set("outcomes", []any{"explode"})
	exp, err := NewFactory("rust_chaos").CreateTraces(context.Background(), c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = exp.Start(context.Background(), componenttest.NewNopHost())
	if err == nil || !strings.Contains(err.Error(), `rust exporter "rust_chaos": `) || !strings.Contains(err.Error(), `unknown outcome "explode"`) {
		t.Fatalf("got %v", err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := liveInstances(t); n != before {
		t.Fatal("a failed Start left a Rust instance")
	}
}
