package rusttelemetry

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scenario: a Rust histogram with boundaries [1, 10, 100] is read twice (cumulative bucket
// counts and sums, as read_metrics answers them) and replayed into an SDK histogram.
// Guarantees: the exported bucket counts, count and sum equal Rust's, after each read (only
// the observations new since the previous read are replayed).
func TestHistogramReplayIsExact(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	bounds := []float64{1, 10, 100}
	hist, err := provider.Meter("test").Float64Histogram("latency", metric.WithExplicitBucketBoundaries(bounds...))
	if err != nil {
		t.Fatal(err)
	}
	attrs := metric.WithAttributeSet(attribute.NewSet(attribute.String("path", "/")))
	record := func(v float64) { hist.Record(context.Background(), v, attrs) }

	// Values 0.5 | 2, 3.5 | 50 | 500, then 7 and 1000.5 more.
	first := rustffi.Series{
		BucketCounts: []uint64{1, 2, 1, 1},
		BucketSums:   []float64{0.5, 5.5, 50, 500},
	}
	second := rustffi.Series{
		BucketCounts: []uint64{1, 3, 1, 2},
		BucketSums:   []float64{0.5, 12.5, 50, 1500.5},
	}
	check := func(s rustffi.Series) {
		t.Helper()
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		points := rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints
		if len(points) != 1 {
			t.Fatalf("%d data points, want 1", len(points))
		}
		var count uint64
		var sum float64
		for i, c := range s.BucketCounts {
			count += c
			sum += s.BucketSums[i]
			if points[0].BucketCounts[i] != c {
				t.Errorf("bucket %d: %d, want %d", i, points[0].BucketCounts[i], c)
			}
		}
		if points[0].Count != count || points[0].Sum != sum {
			t.Errorf("count %d sum %v, want %d and %v", points[0].Count, points[0].Sum, count, sum)
		}
	}
	state := replay(histogramState{}, first, bounds, record)
	check(first)
	state = replay(state, second, bounds, record)
	check(second)
	// Nothing new: nothing replayed.
	replay(state, second, bounds, func(float64) { t.Fatal("replayed an unchanged series") })
}

// Scenario: three observations of exactly 0.1 at boundary 0.1 (their float sum,
// 0.30000000000000004, divided by 3 lies above 0.1); then a read whose sum moved without its
// count, as a collection racing Rust's record can see it.
// Guarantees: the replayed values stay in their bucket, and a sum seen early is replayed
// with its count on the next read.
func TestHistogramReplayStaysInTheBucket(t *testing.T) {
	bounds := []float64{0.1, 1}
	var got []float64
	record := func(v float64) { got = append(got, v) }
	state := replay(histogramState{}, rustffi.Series{
		BucketCounts: []uint64{3, 0, 0},
		BucketSums:   []float64{0.1 + 0.1 + 0.1, 0, 0},
	}, bounds, record)
	for _, v := range got {
		if v > 0.1 {
			t.Fatalf("replayed %v into the bucket up to 0.1", v)
		}
	}
	got = nil
	state = replay(state, rustffi.Series{BucketCounts: []uint64{3, 0, 0}, BucketSums: []float64{0.1 + 0.1 + 0.1, 0.5, 0}}, bounds, record)
	if len(got) != 0 {
		t.Fatalf("replayed %v without a count", got)
	}
	replay(state, rustffi.Series{BucketCounts: []uint64{3, 1, 0}, BucketSums: []float64{0.1 + 0.1 + 0.1, 0.5, 0}}, bounds, record)
	if len(got) != 1 || got[0] != 0.5 {
		t.Fatalf("replayed %v, want [0.5]", got)
	}
}

// Scenario: Rust records are written into an observed zap core.
// Guarantees: level, message, Rust's time and caller, the target first and each field typed
// (i64, u64 above the i64 range, float, bool, string) as zap fields; a level the logger does
// not enable writes nothing; a record without a file has no caller, and no record carries the
// Go caller or stack trace zap captured in the drain.
func TestWriteKeepsTimeCallerAndTypedFields(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	// As the collector's logger: callers, and stack traces at error.
	logger := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel))
	when := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	write(logger, rustffi.LogRecord{
		Level: "warn", TimeUnixNano: uint64(when.UnixNano()), Message: "hello",
		Target: "rust_sample::server", File: "src/server.rs", Line: 42,
		Fields: []rustffi.KeyValue{
			{Key: "n", Value: json.Number("-3")},
			{Key: "big", Value: json.Number("18446744073709551615")},
			{Key: "ratio", Value: json.Number("0.5")},
			{Key: "ok", Value: true},
			{Key: "path", Value: "/"},
		},
	})
	write(logger, rustffi.LogRecord{Level: "debug", Message: "filtered"})
	write(logger, rustffi.LogRecord{Level: "error", Message: "no caller"}, scopeField(7))

	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("%d entries, want 2: %v", len(entries), entries)
	}
	e := entries[0]
	if e.Level != zapcore.WarnLevel || e.Message != "hello" || !e.Time.Equal(when) ||
		!e.Caller.Defined || e.Caller.File != "src/server.rs" || e.Caller.Line != 42 {
		t.Errorf("entry %+v", e.Entry)
	}
	want := []zap.Field{
		zap.String("rust.target", "rust_sample::server"),
		zap.Int64("n", -3),
		zap.Uint64("big", math.MaxUint64),
		zap.Float64("ratio", 0.5),
		zap.Bool("ok", true),
		zap.String("path", "/"),
	}
	if len(e.Context) != len(want) {
		t.Fatalf("fields %v, want %v", e.Context, want)
	}
	for i, f := range want {
		if !e.Context[i].Equals(f) {
			t.Errorf("field %d: %v, want %v", i, e.Context[i], f)
		}
	}
	if e := entries[1]; e.Caller.Defined || e.Stack != "" || e.ContextMap()["otelcol.rust.scope"] != uint64(7) {
		t.Errorf("record of a closed scope: %+v %v", e.Entry, e.ContextMap())
	}
}
