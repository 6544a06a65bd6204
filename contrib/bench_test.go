package contrib

import (
	"context"
	"crypto/sha256"
	"fmt"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The benchmarks compare rust_redaction with the Go redactionprocessor, and a chain of three
// Rust processors with the three Go processors doing the same work, side by side in one run
// (`benchstat -col /side`: base is Go, rust is Rust). Each side is created through its
// processor.Factory (processorhelper, as a collector builds it), started, and handed b.N fresh
// copies of one batch (newBatch: 10, 1,000 or 10,000 spans), the next consumer discarding what
// it gets. Fresh copies because both sides change the batch in place (the Go processors edit
// it; rustprocessor applies Rust's edits and drops to it): a second pass over the same batch
// would find nothing left to redact. Copying is outside the timed region.
//
// Reported per span: ns/span (wall clock), spans/s, and cpu-ns/span, the CPU time of the
// whole process (every thread: Go's, its garbage collector's and the Rust library's) over the
// timed region, from getrusage. B/op and allocs/op count Go's heap only.
// go/internal/processorbench splits rust_redaction's time into its parts (marshal, the
// crossing, Rust's work, applying the edits).

// benchSizes are the batch sizes every benchmark runs.
var benchSizes = []int{10, 1000, 10_000}

// benchRedaction is the redaction config both sides run: an allow list (keys outside it are
// removed: user_agent.original, db.cached, the connection wait, the resource's k8s.pod.name
// and telemetry.sdk.language), card numbers masked, summary debug (four summary attributes on
// each span it changed).
var benchRedaction = fmt.Sprintf(`
allowed_keys: [http.request.method, http.route, http.response.status_code, url.path, server.address, server.port, client.address, enduser.id, payment.card, payment.method, db.system.name, db.query.text, db.response.returned_rows, exception.type, exception.message, service.name, service.namespace, service.version, deployment.environment.name, host.name]
blocked_values: [%q, %q]
summary: debug
`, visa, mastercard)

// The chain's second redaction masks e-mail addresses (enduser.id) on what the first left; its
// filter drops the database spans whose row count ends in 7 (about one database span in ten).
var (
	benchRedactionEmails = fmt.Sprintf(`
allow_all_keys: true
blocked_values: [%q]
summary: info
`, email)
	benchRustFilter = `
traces:
  span:
    - name: '^SELECT '
      attributes: {db.response.returned_rows: '7$'}
`
	benchGoFilter = `
traces:
  span:
    - 'IsMatch(name, "^SELECT ") and IsMatch(attributes["db.response.returned_rows"], "7$")'
`
)

// benchSide is one side of a benchmark: its stages.
type benchSide struct {
	name   string
	stages func(testing.TB) []stage
}

var (
	redactionSides = []benchSide{
		{"side=base", func(testing.TB) []stage { return []stage{{goRedaction, "bench", benchRedaction}} }},
		{"side=rust", func(tb testing.TB) []stage { return []stage{{rust(tb, "rust_redaction"), "bench", benchRedaction}} }},
	}
	// chainSides, in the order the issue names: redaction, filter, redaction. The Rust filter's
	// drops end the first crossing (the drop is applied in Go), so the Rust side crosses twice.
	chainSides = []benchSide{
		{"side=base", func(testing.TB) []stage {
			return []stage{{goRedaction, "a", benchRedaction}, {goFilter, "f", benchGoFilter}, {goRedaction, "b", benchRedactionEmails}}
		}},
		{"side=rust", func(tb testing.TB) []stage {
			return []stage{{rust(tb, "rust_redaction"), "a", benchRedaction}, {rust(tb, "rust_filter"), "f", benchRustFilter}, {rust(tb, "rust_redaction"), "b", benchRedactionEmails}}
		}},
	}
	// fusedSides: redaction, redaction, filter: the three Rust processors share one crossing.
	fusedSides = []benchSide{
		{"side=base", func(testing.TB) []stage {
			return []stage{{goRedaction, "a", benchRedaction}, {goRedaction, "b", benchRedactionEmails}, {goFilter, "f", benchGoFilter}}
		}},
		{"side=rust", func(tb testing.TB) []stage {
			return []stage{{rust(tb, "rust_redaction"), "a", benchRedaction}, {rust(tb, "rust_redaction"), "b", benchRedactionEmails}, {rust(tb, "rust_filter"), "f", benchRustFilter}}
		}},
	}
)

// BenchmarkRedaction: rust_redaction against the Go redactionprocessor, same config, same
// batch, end to end (for Rust: marshal, the crossing, Rust's work, the edits applied in Go).
func BenchmarkRedaction(b *testing.B) { benchSides(b, redactionSides) }

// BenchmarkChain3: three processors in a row, order=redact-filter-redact (the Rust side crosses
// twice: the filter's drops end the fused run) and order=redact-redact-filter (once).
func BenchmarkChain3(b *testing.B) {
	b.Run("order=redact-filter-redact", func(b *testing.B) { benchSides(b, chainSides) })
	b.Run("order=redact-redact-filter", func(b *testing.B) { benchSides(b, fusedSides) })
}

func benchSides(b *testing.B, sides []benchSide) {
	for _, spans := range benchSizes {
		batch := newBatch(spans)
		for _, side := range sides {
			b.Run(fmt.Sprintf("spans=%d/%s", spans, side.name), func(b *testing.B) {
				first := startChain(b, tracesChain, side.stages(b), consumertest.NewNop())
				measureCopies(b, batch, func(td ptrace.Traces) {
					if err := first.consume(context.Background(), td); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// TestBenchmarkSidesAgree checks what the benchmarks take for granted: on the benchmarks'
// 1,000-span batch, each Rust side's output is exactly the Go side's, and the Go side changes
// the batch (masks, removes, drops).
func TestBenchmarkSidesAgree(t *testing.T) {
	for name, sides := range map[string][]benchSide{"redaction": redactionSides, "chain": chainSides, "fused": fusedSides} {
		t.Run(name, func(t *testing.T) {
			compareChains(t, tracesChain, sides[0].stages(t), sides[1].stages(t), true, newBatch(1000))
		})
	}
}

// TestBatchBytes pins newBatch's output for every size: go/internal/processorbench checks
// the same digests, so the figures of both packages are about the same batches.
func TestBatchBytes(t *testing.T) {
	want := map[int]string{
		10:     "d5059545cf00a7e5f36d2edc516874b26810a12a00f73cf3731c9e128fe64eeb",
		1000:   "3f1eabb689426d13f72881febdde14d469a92d0f67bb5e48f0a31fe07b5e3535",
		10_000: "0bf68fc6095ae30c3f6681b6f8b5ecd90c46589b02aa16af56e3e9347fa0f418",
	}
	for _, spans := range benchSizes {
		encoded, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(newBatch(spans))
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(encoded)); got != want[spans] {
			t.Errorf("the %d-span batch's digest is %s, want %s (changed here but not in go/internal/processorbench?)", spans, got, want[spans])
		}
	}
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
