//go:build otelcolrust_testcomponents && cgo

package processorbench

import (
	"context"
	"crypto/sha256"
	"fmt"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/rustprocessor"
)

// Every benchmark handles b.N times one pre-built batch (newBatch: 10, 1,000 or 10,000 spans);
// those that drop or edit (in place) get a fresh copy each time, as a second pass over one
// batch would measure less work (copying is outside the timed region), and the others the same
// batch. Reported
// besides ns/op (per batch): ns/span (wall clock), spans/s and cpu-ns/span, the CPU time of the
// whole process (every thread: Go's, its garbage collector's and the Rust library's) over the
// timed region, from getrusage, per span. B/op and allocs/op count Go's heap only: what Rust
// allocates is not in them. `benchstat -col /side` puts base (Go) and rust side by side.

// sizes are the batch sizes every benchmark runs.
var sizes = []int{10, 1000, 10_000}

// keepEvery is the keep/drop verdict the keep path measures: rust_chaos keep_every drops
// every span whose index % keepEvery is keepEvery - 1 (half of them), as does its Go
// counterpart.
const keepEvery = 2

// BenchmarkProcessorPaths is the cost of each kind of answer a Rust processor gives, end to end
// through rustprocessor (processorhelper, marshal, the crossing, applying the answer), against
// the Go processor doing the same, through processorhelper too:
//   - path=unchanged: base is a Go processor that returns the batch as is (the floor), rust is
//     rust_chaos answering Unchanged (marshal, crossing; nothing to apply);
//   - path=roundtrip: base is marshal followed by unmarshal, in Go, with no processor (what
//     the target of a round trip is stated against: <= 1.15x); rust is rust_chaos answering the
//     batch's own bytes as a new batch (marshal, crossing, Rust's copy, unmarshal in Go);
//   - path=keep: base is a Go processor dropping one span in keepEvery, rust is rust_chaos
//     answering that verdict (marshal, crossing, the bitmap applied in Go; target <= 0.4
//     µs/span).
func BenchmarkProcessorPaths(b *testing.B) {
	for _, spans := range sizes {
		batch := newBatch(spans)
		for _, path := range []struct {
			name       string
			base, rust func(testing.TB) func(ptrace.Traces)
			// drops: the path changes the batch in place (each iteration needs a fresh copy).
			drops bool
		}{
			{"unchanged", goProcessor(func(ptrace.Traces) {}), rustProcessor("rust_chaos", chaos("unchanged")), false},
			{"roundtrip", marshalUnmarshal, rustProcessor("rust_chaos", chaos("roundtrip")), false},
			{"keep", goProcessor(dropEvery(keepEvery)), rustProcessor("rust_chaos", chaos("keep_every")), true},
		} {
			for _, side := range []struct {
				name string
				run  func(testing.TB) func(ptrace.Traces)
			}{{"side=base", path.base}, {"side=rust", path.rust}} {
				b.Run(fmt.Sprintf("spans=%d/path=%s/%s", spans, path.name, side.name), func(b *testing.B) {
					run := side.run(b)
					if path.drops {
						measureCopies(b, batch, run)
					} else {
						measure(b, spans, func() { run(batch) })
					}
				})
			}
		}
	}
}

// BenchmarkProcessorParts measures the parts of the paths alone, on the same batches:
//   - step=marshal/side=base: ptraceotlp's MarshalProto of the batch (what rustprocessor does
//     first on every path);
//   - step=unmarshal/side=base: ptraceotlp's UnmarshalProto of the marshalled batch (what it
//     does last with a new batch);
//   - step=crossing/side=rust: rustffi.Process of the marshalled batch into rust_chaos
//     answering Unchanged (the cgo call, Rust's lookup of the instance, the stage's scope and
//     panic guard, the answer back) and its Release.
func BenchmarkProcessorParts(b *testing.B) {
	for _, spans := range sizes {
		batch := newBatch(spans)
		encoded := marshal(b, batch)
		b.Run(fmt.Sprintf("spans=%d/step=marshal/side=base", spans), func(b *testing.B) {
			measure(b, spans, func() { marshal(b, batch) })
		})
		b.Run(fmt.Sprintf("spans=%d/step=unmarshal/side=base", spans), func(b *testing.B) {
			measure(b, spans, func() {
				req := ptraceotlp.NewExportRequest()
				if err := req.UnmarshalProto(encoded); err != nil {
					b.Fatal(err)
				}
			})
		})
		b.Run(fmt.Sprintf("spans=%d/step=crossing/side=rust", spans), func(b *testing.B) {
			h := startRustInstance(b, "rust_chaos", chaos("unchanged"))
			measure(b, spans, func() { process(b, h, encoded, spans) })
		})
	}
}

// BenchmarkRedactionSplit splits rust_redaction's time end to end (contrib's
// BenchmarkRedaction, same batch and config) into its parts:
//   - step=end-to-end: through rustprocessor, as in contrib;
//   - step=process: rustffi.Process of the marshalled batch into a rust_redaction instance
//     and its Release: the crossing plus Rust's work (decoding the batch, redacting, writing
//     the edit script);
//
// with step=marshal and step=crossing of BenchmarkProcessorParts, Rust's work is process minus
// crossing, and applying the edit script in Go is end-to-end minus marshal minus process.
func BenchmarkRedactionSplit(b *testing.B) {
	for _, spans := range sizes {
		batch := newBatch(spans)
		encoded := marshal(b, batch)
		b.Run(fmt.Sprintf("spans=%d/step=end-to-end/side=rust", spans), func(b *testing.B) {
			measureCopies(b, batch, rustProcessor("rust_redaction", redactionConfig(b))(b))
		})
		b.Run(fmt.Sprintf("spans=%d/step=process/side=rust", spans), func(b *testing.B) {
			h := startRustInstance(b, "rust_redaction", redactionConfig(b))
			measure(b, spans, func() { process(b, h, encoded, spans) })
		})
	}
}

// redactionConfig is contrib's benchRedaction (contrib/bench_test.go), as a map.
func redactionConfig(tb testing.TB) map[string]any {
	tb.Helper()
	return map[string]any{
		"allowed_keys":   []any{"http.request.method", "http.route", "http.response.status_code", "url.path", "server.address", "server.port", "client.address", "enduser.id", "payment.card", "payment.method", "db.system.name", "db.query.text", "db.response.returned_rows", "exception.type", "exception.message", "service.name", "service.namespace", "service.version", "deployment.environment.name", "host.name"},
		"blocked_values": []any{`4[0-9]{12}(?:[0-9]{3})?`, `(5[1-5][0-9]{14})`},
		"summary":        "debug",
	}
}

// chaos is rust_chaos's config answering mode (see rust/testing/chaos).
func chaos(mode string) map[string]any {
	config := map[string]any{"mode": mode}
	if mode == "keep_every" {
		config["every"] = keepEvery
	}
	return config
}

// TestPathsDoTheirWork checks what the benchmarks take for granted, on the 1,000-span batch:
// the unchanged path passes the batch on as it came, the round trip passes an equal batch
// that is a new one, the keep path passes exactly the spans the Go base keeps, and
// rust_redaction changes the batch.
func TestPathsDoTheirWork(t *testing.T) {
	batch := newBatch(1000)
	want := marshal(t, batch)
	// run sends a copy of the batch through the processor build makes (with the given next
	// consumer) and returns what reached next.
	run := func(build func(next consumer.Traces) func(testing.TB) func(ptrace.Traces)) ptrace.Traces {
		var passed []ptrace.Traces
		next, err := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error {
			passed = append(passed, td)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		in := ptrace.NewTraces()
		batch.CopyTo(in)
		build(next)(t)(in)
		if len(passed) != 1 {
			t.Fatalf("%d batches passed on, want 1", len(passed))
		}
		return passed[0]
	}
	rust := func(typ string, config map[string]any) func(consumer.Traces) func(testing.TB) func(ptrace.Traces) {
		return func(next consumer.Traces) func(testing.TB) func(ptrace.Traces) {
			return rustProcessorTo(typ, config, next)
		}
	}
	for _, mode := range []string{"unchanged", "roundtrip"} {
		if got := marshal(t, run(rust("rust_chaos", chaos(mode)))); string(got) != string(want) {
			t.Errorf("mode %s changed the batch", mode)
		}
	}
	goKept := run(func(next consumer.Traces) func(testing.TB) func(ptrace.Traces) {
		return goProcessorTo(dropEvery(keepEvery), next)
	})
	rustKept := run(rust("rust_chaos", chaos("keep_every")))
	if goKept.SpanCount() != 1000-1000/keepEvery || string(marshal(t, goKept)) != string(marshal(t, rustKept)) {
		t.Errorf("keep_every kept %d spans, the Go base %d, or others", rustKept.SpanCount(), goKept.SpanCount())
	}
	if got := marshal(t, run(rust("rust_redaction", redactionConfig(t)))); string(got) == string(want) {
		t.Error("rust_redaction changed nothing")
	}
}

// TestBatchBytes pins newBatch's output for every size: contrib checks the same digests, so
// the figures of both packages are about the same batches.
func TestBatchBytes(t *testing.T) {
	want := map[int]string{
		10:     "d5059545cf00a7e5f36d2edc516874b26810a12a00f73cf3731c9e128fe64eeb",
		1000:   "3f1eabb689426d13f72881febdde14d469a92d0f67bb5e48f0a31fe07b5e3535",
		10_000: "0bf68fc6095ae30c3f6681b6f8b5ecd90c46589b02aa16af56e3e9347fa0f418",
	}
	for _, spans := range sizes {
		if got := fmt.Sprintf("%x", sha256.Sum256(marshal(t, newBatch(spans)))); got != want[spans] {
			t.Errorf("the %d-span batch's digest is %s, want %s (changed here but not in contrib?)", spans, got, want[spans])
		}
	}
}

// goProcessor is a Go traces processor on processorhelper running f on each batch (in place),
// created and started as a collector does; the next consumer discards.
func goProcessor(f func(ptrace.Traces)) func(testing.TB) func(ptrace.Traces) {
	return goProcessorTo(f, discard)
}

func goProcessorTo(f func(ptrace.Traces), next consumer.Traces) func(testing.TB) func(ptrace.Traces) {
	return func(tb testing.TB) func(ptrace.Traces) {
		tb.Helper()
		factory := processor.NewFactory(component.MustNewType("go_bench"), func() component.Config { return &struct{}{} },
			processor.WithTraces(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
				return processorhelper.NewTraces(ctx, set, cfg, next, func(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
					f(td)
					if td.SpanCount() == 0 {
						return td, processorhelper.ErrSkipProcessingData
					}
					return td, nil
				}, processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
			}, component.StabilityLevelDevelopment))
		return consume(tb, startProcessor(tb, factory, factory.CreateDefaultConfig(), next))
	}
}

// dropEvery drops every span whose index (in document order) % every is every - 1, as
// rust_chaos's keep_every does.
func dropEvery(every int) func(ptrace.Traces) {
	return func(td ptrace.Traces) {
		i := 0
		td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
			rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
				ss.Spans().RemoveIf(func(ptrace.Span) bool {
					i++
					return (i-1)%every == every-1
				})
				return ss.Spans().Len() == 0
			})
			return rs.ScopeSpans().Len() == 0
		})
	}
}

// marshalUnmarshal is the round trip's floor: marshal, then unmarshal into a new batch.
func marshalUnmarshal(tb testing.TB) func(ptrace.Traces) {
	return func(td ptrace.Traces) {
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(marshal(tb, td)); err != nil {
			tb.Fatal(err)
		}
	}
}

// rustProcessor is the rustprocessor traces processor of typ with config (as a user writes
// it), created and started as a collector does; the next consumer discards.
func rustProcessor(typ string, config map[string]any) func(testing.TB) func(ptrace.Traces) {
	return rustProcessorTo(typ, config, discard)
}

func rustProcessorTo(typ string, config map[string]any, next consumer.Traces) func(testing.TB) func(ptrace.Traces) {
	return func(tb testing.TB) func(ptrace.Traces) {
		tb.Helper()
		factory := rustprocessor.NewFactory(typ)
		cfg := factory.CreateDefaultConfig()
		if err := confmap.NewFromStringMap(config).Unmarshal(cfg); err != nil {
			tb.Fatal(err)
		}
		if err := confmap.Validate(cfg); err != nil {
			tb.Fatal(err)
		}
		return consume(tb, startProcessor(tb, factory, cfg, next))
	}
}

// startProcessor creates factory's traces processor with cfg and starts it; cleanup shuts it
// down.
func startProcessor(tb testing.TB, factory processor.Factory, cfg component.Config, next consumer.Traces) processor.Traces {
	tb.Helper()
	ctx := context.Background()
	set := processor.Settings{
		ID:                component.NewIDWithName(factory.Type(), "bench"),
		TelemetrySettings: componenttest.NewNopTelemetrySettings(),
		BuildInfo:         component.NewDefaultBuildInfo(),
	}
	p, err := factory.CreateTraces(ctx, set, cfg, next)
	if err != nil {
		tb.Fatal(err)
	}
	if err := p.Start(ctx, componenttest.NewNopHost()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			tb.Error(err)
		}
	})
	return p
}

// discard is the next consumer of the benchmarked processors: it drops what it gets.
var discard, _ = consumer.NewTraces(func(context.Context, ptrace.Traces) error { return nil })

func consume(tb testing.TB, p processor.Traces) func(ptrace.Traces) {
	return func(td ptrace.Traces) {
		if err := p.ConsumeTraces(context.Background(), td); err != nil {
			tb.Fatal(err)
		}
	}
}

// startRustInstance creates and starts a Rust processor instance of typ directly (no Go
// processor around it), for the parts; it shuts down in cleanup.
func startRustInstance(tb testing.TB, typ string, config map[string]any) rustffi.Handle {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := rustffi.ComponentID{Type: typ, Name: "parts"}
	h, _, err := rustffi.CreateAndStart(ctx, rustffi.KindProcessor, id, 0, config, rustffi.HostInfo{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := rustffi.Shutdown(ctx, id, 0, h); err != nil {
			tb.Error(err)
		}
	})
	return h
}

// process runs the instance h on the marshalled batch and releases the answer.
func process(tb testing.TB, h rustffi.Handle, batch []byte, spans int) {
	result := rustffi.Process([]uint64{uint64(h)}, rustffi.SignalTraces, batch, uint64(spans))
	if result.Status != rustffi.ProcessOK {
		tb.Fatalf("the Rust processor answered %d: %s", result.Status, result.Message)
	}
	result.Release()
}

func marshal(tb testing.TB, td ptrace.Traces) []byte {
	encoded, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		tb.Fatal(err)
	}
	return encoded
}

// copiesSpans is about how many spans of fresh copies are prepared at a time: a few tens of MB
// of pdata, so that preparing them is rare and the heap they take stays moderate.
const copiesSpans = 20_000

// measureCopies runs process on b.N fresh copies of batch and reports the per-span figures;
// only the processing is timed (copies are made, untimed, in rounds of copiesSpans spans).
func measureCopies(b *testing.B, batch ptrace.Traces, process func(ptrace.Traces)) {
	b.Helper()
	spans := batch.SpanCount()
	copies := make([]ptrace.Traces, max(1, copiesSpans/spans))
	var elapsed, cpu time.Duration
	b.StopTimer()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(len(copies), b.N-done)
		for i := range n {
			copies[i] = ptrace.NewTraces()
			batch.CopyTo(copies[i])
		}
		cpuBefore := cpuTime(b)
		b.StartTimer()
		began := time.Now()
		for _, td := range copies[:n] {
			process(td)
		}
		elapsed += time.Since(began)
		b.StopTimer()
		cpu += cpuTime(b) - cpuBefore
		done += n
	}
	report(b, elapsed, cpu, spans)
}

// measure runs work b.N times (on a batch of spans spans that needs no fresh copy) and reports
// the per-span figures.
func measure(b *testing.B, spans int, work func()) {
	b.Helper()
	cpuBefore := cpuTime(b)
	b.ResetTimer()
	began := time.Now()
	for range b.N {
		work()
	}
	elapsed := time.Since(began)
	b.StopTimer()
	report(b, elapsed, cpuTime(b)-cpuBefore, spans)
}

// report adds ns/span, spans/s and cpu-ns/span for b.N batches of spans spans.
func report(b *testing.B, elapsed, cpu time.Duration, spans int) {
	total := float64(b.N * spans)
	b.ReportMetric(float64(elapsed.Nanoseconds())/total, "ns/span")
	b.ReportMetric(total/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/total, "cpu-ns/span")
}

// cpuTime is the CPU time (user and system) every thread of this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
