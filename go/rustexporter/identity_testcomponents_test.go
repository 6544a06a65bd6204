//go:build otelcolrust_testcomponents

package rustexporter

import (
	"context"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Scenario: three rust_chaos exporters on one meter provider, as the collector gives them
// without the alpha gate telemetry.newPipelineTelemetry (which alone adds the component's
// identity): rust_chaos/a for traces and for logs, rust_chaos/b for traces. They export 2, 1
// and 3 batches.
// Guarantees: each Rust instance's counters are a series of their own, named by the
// attributes exporterhelper puts on its metrics (exporter = the id, data_type = the signal)
// beside Rust's own (rust_chaos's signal).
func TestRustMetricsNameTheExporter(t *testing.T) {
	c := newChaos(t, synchronous(nil))
	factory := NewFactory("rust_chaos")
	ctx := context.Background()

	setA, setB := c.set, c.set
	setA.ID = component.MustNewIDWithName("rust_chaos", "a")
	setB.ID = component.MustNewIDWithName("rust_chaos", "b")
	tracesA, err := factory.CreateTraces(ctx, setA, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	logsA, err := factory.CreateLogs(ctx, setA, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	tracesB, err := factory.CreateTraces(ctx, setB, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, exp := range []component.Component{tracesA, logsA, tracesB} {
		start(t, exp)
	}
	for range 2 {
		if err := tracesA.ConsumeTraces(ctx, testdata.GenerateTraces(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := logsA.ConsumeLogs(ctx, testdata.GenerateLogs(1)); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := tracesB.ConsumeTraces(ctx, testdata.GenerateTraces(1)); err != nil {
			t.Fatal(err)
		}
	}

	m, err := c.tel.GetMetric("rust_chaos_batches")
	if err != nil {
		t.Fatal(err)
	}
	got := map[attribute.Distinct]int64{}
	for _, point := range m.Data.(metricdata.Sum[int64]).DataPoints {
		got[point.Attributes.Equivalent()] += point.Value
	}
	series := func(id, signal string) attribute.Distinct {
		set := attribute.NewSet(
			attribute.String("exporter", id),
			attribute.String("data_type", signal),
			attribute.String("signal", signal)) // rust_chaos's own attribute
		return set.Equivalent()
	}
	want := map[attribute.Distinct]int64{
		series("rust_chaos/a", "traces"): 2,
		series("rust_chaos/a", "logs"):   1,
		series("rust_chaos/b", "traces"): 3,
	}
	if len(got) != len(want) {
		t.Errorf("%d series, want %d: %+v", len(got), len(want), m.Data)
	}
	for key, value := range want {
		if got[key] != value {
			t.Errorf("series %v = %d, want %d (all: %+v)", key, got[key], value, m.Data)
		}
	}
}
