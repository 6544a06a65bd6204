//go:build otelcolrust_testcomponents

package rusttelemetry

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scenario: a rust_chaos exporter started in a scope answers four batches ok, permanent,
// panic and retryable; a manual reader then collects the scope's (so the library's) metrics.
// Guarantees: the library's export counters are published as otelcol_rust_exports,
// otelcol_rust_export_errors and otelcol_rust_export_panics with Rust's values, and those
// values moved by what the four batches did (4 exports, 3 errors, 1 panic).
func TestExportCountersArePublished(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	scope := Open(component.TelemetrySettings{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	defer scope.Close()
	before, err := rustffi.LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := rustffi.ComponentID{Type: "rust_chaos", Name: "exports"}
	config := map[string]any{"outcomes": []any{"ok", "permanent", "panic", "retryable"}}
	h, _, err := rustffi.CreateAndStart(ctx, rustffi.KindExporter, id, scope.Token(), config, rustffi.HostInfo{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := rustffi.Shutdown(ctx, id, scope.Token(), h); err != nil {
			t.Error(err)
		}
	}()
	var answered []rustffi.Outcome
	for range 4 {
		// An empty batch is an empty OTLP request; rust_chaos answers by arrival order.
		answered = append(answered, rustffi.Export(ctx, h, rustffi.SignalTraces, nil, 0).Outcome)
	}
	want := []rustffi.Outcome{rustffi.ExportOK, rustffi.ExportPermanent, rustffi.ExportPermanent, rustffi.ExportRetryable}
	if !slices.Equal(answered, want) {
		t.Fatalf("outcomes %v, want %v", answered, want)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	after, err := rustffi.LibraryMetrics() // nothing else exports in this package meanwhile
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name          string
		before, after uint64
		moved         uint64
	}{
		{"otelcol_rust_exports", before.Exports, after.Exports, 4},
		{"otelcol_rust_export_errors", before.ExportErrors, after.ExportErrors, 3},
		{"otelcol_rust_export_panics", before.ExportPanics, after.ExportPanics, 1},
	} {
		if !hasMetric(rm, c.name) {
			var names []string
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					names = append(names, m.Name)
				}
			}
			t.Errorf("%s is not published (published: %s)", c.name, strings.Join(names, ", "))
			continue
		}
		if got := sumOf(t, rm, c.name, nil); got != int64(c.after) {
			t.Errorf("%s = %d, Rust counts %d", c.name, got, c.after)
		}
		if c.after-c.before != c.moved {
			t.Errorf("%s moved by %d over the four batches, want %d", c.name, c.after-c.before, c.moved)
		}
	}
}

func hasMetric(rm metricdata.ResourceMetrics, name string) bool {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return true
			}
		}
	}
	return false
}
