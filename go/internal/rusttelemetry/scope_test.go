package rusttelemetry

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// Scenario: a real rust_sample instance runs in a scope whose logger logs debug into an
// observer and whose meter provider has a manual reader; it answers one request.
// Guarantees: its debug request record reaches the scope's logger (typed fields, Rust
// caller) once flushed; its request counter is exported with its attributes through the
// scope's meter provider; after Close no drain goroutine or library metrics remain.
func TestScopeCarriesARustInstancesLogsAndMetrics(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	reader := sdkmetric.NewManualReader()
	set := component.TelemetrySettings{
		Logger:        zap.New(core).With(zap.String("otelcol.component.id", "rust_sample/telemetry")),
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	}
	scope := Open(set)
	endpoint := testutil.FreeEndpoint(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rid := rustffi.ComponentID{Type: "rust_sample", Name: "telemetry"}
	h, instruments, err := rustffi.CreateAndStart(ctx, rustffi.KindExtension, rid, scope.Token(), map[string]any{"endpoint": endpoint}, rustffi.HostInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if err := scope.BindMetrics("rust_sample", h, instruments); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + endpoint + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	Flush()
	requests := logs.FilterMessage("request").All()
	if len(requests) != 1 {
		t.Fatalf("%d request records, want 1: %v", len(requests), logs.All())
	}
	fields := requests[0].ContextMap()
	if requests[0].Level != zapcore.DebugLevel || fields["otelcol.component.id"] != "rust_sample/telemetry" ||
		fields["path"] != "/" || fields["status"] != int64(200) || !requests[0].Caller.Defined {
		t.Errorf("request record %+v %v", requests[0].Entry, fields)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	var served int64 = -1
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "rust_sample_requests" {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if v, _ := p.Attributes.Value(attribute.Key("http.response.status_code")); v.Emit() == "200" {
					served = p.Value
				}
			}
			if sm.Scope.Name != meterName+"/rust_sample" {
				t.Errorf("meter %q", sm.Scope.Name)
			}
		}
	}
	if served != 1 {
		t.Errorf("rust_sample_requests{200} = %d, want 1 (%+v)", served, rm)
	}

	if _, err := rustffi.Shutdown(ctx, rid, scope.Token(), h); err != nil {
		t.Fatal(err)
	}
	scope.Close()
	scope.Close() // idempotent
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.stop != nil || registry.libraryMR != nil || registry.library != nil || len(registry.scopes) != 0 {
		t.Errorf("after the last Close: drain goroutine %v, library metrics %v, library logger %v, %d scopes",
			registry.stop != nil, registry.libraryMR != nil, registry.library != nil, len(registry.scopes))
	}
}
