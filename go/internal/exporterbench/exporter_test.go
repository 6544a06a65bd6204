//go:build otelcolrust_testcomponents && cgo

package exporterbench

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
)

// side is one of the two exporters compared; its name is the benchstat column
// (`benchstat -col /side`): base is the collector's Go otlphttp, rust is rust_otlphttp.
type side struct {
	name    string
	factory func(testing.TB) exporter.Factory
}

var sides = []side{
	{"side=base", func(testing.TB) exporter.Factory { return otlphttpexporter.NewFactory() }},
	{"side=rust", func(tb testing.TB) exporter.Factory {
		tb.Helper()
		factories, err := rustexporter.NewFactories()
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range factories {
			if f.Type().String() == "rust_otlphttp" {
				return f
			}
		}
		tb.Fatal("the linked Rust library registers no rust_otlphttp exporter")
		return nil
	}},
}

// exporterConfig is both exporters' config (the keys have the same names and meaning in
// both): their defaults, gzip (the default of both, written out), the given queue, and retry
// off, so that a failed send fails the benchmark at once instead of being retried for up to
// 5 minutes (on the success path, retry costs nothing).
func exporterConfig(endpoint string, queue map[string]any) map[string]any {
	return map[string]any{
		"endpoint":         endpoint,
		"compression":      "gzip",
		"retry_on_failure": map[string]any{"enabled": false},
		"sending_queue":    queue,
	}
}

var (
	// queueOff disables the sending queue: ConsumeTraces returns when the receiver answered.
	queueOff = map[string]any{"enabled": false}
	// queueOn is the default queue (1,000 requests, 10 consumers), except that a full queue
	// makes ConsumeTraces wait instead of failing: the producer here is faster than any
	// exporter, and a benchmark measures throughput, not drops.
	queueOn = map[string]any{"block_on_overflow": true}
)

// tracesExporter is a started exporter with the collector metrics it records.
type tracesExporter struct {
	exporter.Traces
	metrics *sdkmetric.ManualReader
	shut    bool
}

// startExporter creates factory's traces exporter from config as the collector does (confmap
// decodes it over the defaults, then it is validated) and starts it. It shuts down in cleanup.
func startExporter(tb testing.TB, factory exporter.Factory, config map[string]any) *tracesExporter {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(config).Unmarshal(cfg); err != nil {
		tb.Fatalf("%s config: %v", factory.Type(), err)
	}
	if err := confmap.Validate(cfg); err != nil {
		tb.Fatalf("%s config: %v", factory.Type(), err)
	}
	reader := sdkmetric.NewManualReader()
	provider := sdkmetric.NewMeterProvider(append([]sdkmetric.Option{sdkmetric.WithReader(reader)}, normalLevelViews...)...)
	tb.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	set := exportertest.NewNopSettings(factory.Type())
	set.ID = component.NewIDWithName(factory.Type(), "bench")
	set.MeterProvider = provider
	exp, err := factory.CreateTraces(ctx, set, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := exp.Start(ctx, componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	e := &tracesExporter{Traces: exp, metrics: reader}
	tb.Cleanup(func() { e.shutdown(tb) })
	return e
}

// shutdown shuts the exporter down once: a benchmark with the queue does it in the timed
// region (shutdown drains the queue), cleanup for the others.
func (e *tracesExporter) shutdown(tb testing.TB) {
	tb.Helper()
	if e.shut {
		return
	}
	e.shut = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.Shutdown(ctx); err != nil {
		tb.Fatal(err)
	}
}

// normalLevelViews drop what a collector at its default metrics level (normal) drops from
// its components' meters (the service's internal/metricviews): the HTTP client
// instrumentation of confighttp, which only Go otlphttp has, and exporterhelper's detailed
// queue metrics, so neither exporter pays for instruments a default collector does not record.
var normalLevelViews = []sdkmetric.Option{
	sdkmetric.WithView(dropView("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")),
	sdkmetric.WithView(dropView("go.opentelemetry.io/collector/exporter/exporterhelper",
		"otelcol_exporter_queue_batch_send_size_bytes", "otelcol_exporter_queue_batch_send_size",
		"otelcol_exporter_enqueue_size_bytes", "otelcol_exporter_enqueue_size")),
}

// dropView drops the instruments named (all of them when none is) of the meter scope.
func dropView(scope string, names ...string) sdkmetric.View {
	return func(i sdkmetric.Instrument) (sdkmetric.Stream, bool) {
		if i.Scope.Name != scope || (len(names) > 0 && !slices.Contains(names, i.Name)) {
			return sdkmetric.Stream{}, false
		}
		return sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}}, true
	}
}

// counted sums the collector counter name (e.g. otelcol_exporter_sent_spans) over its series;
// 0 when nothing was recorded.
func (e *tracesExporter) counted(tb testing.TB, name string) int64 {
	tb.Helper()
	var rm metricdata.ResourceMetrics
	if err := e.metrics.Collect(context.Background(), &rm); err != nil {
		tb.Fatal(err)
	}
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				tb.Fatalf("%s is a %T", name, m.Data)
			}
			for _, dp := range sum.DataPoints {
				total += dp.Value
			}
		}
	}
	return total
}

// checkDelivered fails unless the exporter counts batches*spansPerBatch spans sent and none
// failed, and the receiver received them (see received).
func checkDelivered(b *testing.B, e *tracesExporter, recv *remoteReceiver, before receiverStats, batches int) {
	b.Helper()
	var problems []string
	if sent, want := e.counted(b, "otelcol_exporter_sent_spans"), int64(batches*spansPerBatch); sent != want {
		problems = append(problems, fmt.Sprintf("otelcol_exporter_sent_spans %d, want %d", sent, want))
	}
	for _, name := range []string{"otelcol_exporter_send_failed_spans", "otelcol_exporter_enqueue_failed_spans"} {
		if failed := e.counted(b, name); failed != 0 {
			problems = append(problems, fmt.Sprintf("%s %d", name, failed))
		}
	}
	problems = append(problems, received(b, recv, before, batches)...)
	if len(problems) > 0 {
		b.Fatal(strings.Join(problems, "; "))
	}
}

// received says how what the receiver answered since before differs from batches requests
// answered 200 and none refused, and reports the body bytes it read per batch as wire-B/op
// (the compressed size: equal sides compress alike).
func received(b *testing.B, recv *remoteReceiver, before receiverStats, batches int) []string {
	b.Helper()
	after := recv.stats(b)
	var problems []string
	if got := after.Requests - before.Requests; got != int64(batches) {
		problems = append(problems, fmt.Sprintf("the receiver answered %d requests, want %d", got, batches))
	}
	if refused := after.Refused - before.Refused; refused != 0 {
		problems = append(problems, fmt.Sprintf("the receiver refused %d requests", refused))
	}
	b.ReportMetric(float64(after.Bytes-before.Bytes)/float64(batches), "wire-B/op")
	return problems
}
