//go:build otelcolrust_testcomponents && cgo

package receiverbench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustreceiver"
)

// clients is how many requests the client has in flight at once, each on its own keep-alive
// connection: a few exporters sending to one receiver.
const clients = 4

// side is one of the two receivers compared; its name is the benchstat column (`benchstat
// -col /side`): base is the collector's Go otlpreceiver, rust is rust_otlphttp.
type side struct {
	name    string
	factory func() receiver.Factory
	// config is the receiver's config listening on endpoint (host:port), HTTP only.
	config func(endpoint string) map[string]any
}

var sides = []side{
	{"side=base", otlpreceiver.NewFactory, func(endpoint string) map[string]any {
		// Only the HTTP protocol (gRPC stays off), with its defaults otherwise.
		return map[string]any{"protocols": map[string]any{"http": map[string]any{"endpoint": endpoint}}}
	}},
	{"side=rust", func() receiver.Factory { return rustreceiver.NewFactory("rust_otlphttp") }, func(endpoint string) map[string]any {
		return map[string]any{"endpoint": endpoint}
	}},
}

// spanCounter is the consumer behind both receivers: it counts the spans it is given.
type spanCounter struct{ spans atomic.Int64 }

func (c *spanCounter) consumer(tb testing.TB) consumer.Traces {
	tb.Helper()
	next, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
		c.spans.Add(int64(td.SpanCount()))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return next
}

// startReceiver creates side's traces receiver from its factory as the collector does (its
// config decoded over the defaults by confmap, then validated), with receivertest's settings,
// starts it on a free 127.0.0.1 port in front of next and answers its traces URL. It shuts
// down in cleanup.
func startReceiver(tb testing.TB, s side, next consumer.Traces) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	factory := s.factory()
	endpoint := testutil.FreeEndpoint(tb)
	cfg := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(s.config(endpoint)).Unmarshal(cfg); err != nil {
		tb.Fatalf("%s config: %v", factory.Type(), err)
	}
	if err := confmap.Validate(cfg); err != nil {
		tb.Fatalf("%s config: %v", factory.Type(), err)
	}
	set := receivertest.NewNopSettings(factory.Type())
	set.ID = component.NewIDWithName(factory.Type(), "bench")
	r, err := factory.CreateTraces(ctx, set, cfg, next)
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Start(ctx, componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			tb.Error(err)
		}
	})
	return "http://" + endpoint + "/v1/traces"
}

// BenchmarkReceiveTraces posts b.N copies of the 1,000-span batch (plain or gzipped protobuf)
// from the client process, clients requests at a time, to each receiver, and reports besides
// ns/op (wall clock per batch): ns/span, spans/s, cpu-ns/span (the CPU time of this process,
// every thread, Go's and the Rust library's: the receiver, the delivery into the pipeline and
// the consumer, not the client) and client-cpu-ns/span (the client process's, the same work
// for both sides). B/op and allocs/op count this process's Go heap only.
func BenchmarkReceiveTraces(b *testing.B) {
	for _, compression := range []string{"none", "gzip"} {
		for _, s := range sides {
			b.Run("compression="+compression+"/"+s.name, func(b *testing.B) {
				counter := &spanCounter{}
				url := startReceiver(b, s, counter.consumer(b))
				l := load{URL: url, Requests: b.N, Clients: clients, Gzip: compression == "gzip"}
				// The client's connections are warm before the timed region.
				warm := load{URL: url, Requests: clients, Clients: clients, Gzip: l.Gzip}
				checkLoad(b, client.run(b, warm), clients)
				counter.spans.Store(0)

				cpuBefore := cpuTime()
				b.ResetTimer()
				began := time.Now()
				result := client.run(b, l)
				elapsed := time.Since(began)
				b.StopTimer()
				cpu := cpuTime() - cpuBefore

				checkLoad(b, result, b.N)
				if got, want := counter.spans.Load(), int64(b.N*SpansPerBatch); got != want {
					b.Fatalf("the consumer got %d spans, want %d", got, want)
				}
				spans := float64(b.N * SpansPerBatch)
				b.ReportMetric(float64(elapsed.Nanoseconds())/spans, "ns/span")
				b.ReportMetric(spans/elapsed.Seconds(), "spans/s")
				b.ReportMetric(float64(cpu.Nanoseconds())/spans, "cpu-ns/span")
				b.ReportMetric(float64(result.CPU.Nanoseconds())/spans, "client-cpu-ns/span")
			})
		}
	}
}

// checkLoad fails unless every one of requests requests was answered 200.
func checkLoad(tb testing.TB, result loadResult, requests int) {
	tb.Helper()
	if result.OK != int64(requests) || result.Failed != 0 {
		tb.Fatalf("%d requests answered 200 and %d not (first: %s), want %d", result.OK, result.Failed, result.FirstError, requests)
	}
}

// TestReceiversCountTheBatch checks what the benchmark takes for granted: through the
// factories and configs it uses, each receiver answers 200 to the plain and the gzipped
// batch and hands the consumer exactly its 1,000 spans per request.
func TestReceiversCountTheBatch(t *testing.T) {
	if got := NewBatch().SpanCount(); got != SpansPerBatch {
		t.Fatalf("the batch has %d spans", got)
	}
	for _, s := range sides {
		t.Run(s.name, func(t *testing.T) {
			counter := &spanCounter{}
			url := startReceiver(t, s, counter.consumer(t))
			for i, gzip := range []bool{false, true} {
				checkLoad(t, client.run(t, load{URL: url, Requests: 3, Clients: 2, Gzip: gzip}), 3)
				if got, want := counter.spans.Load(), int64((i+1)*3*SpansPerBatch); got != want {
					t.Fatalf("gzip %v: the consumer has %d spans, want %d", gzip, got, want)
				}
			}
		})
	}
}
