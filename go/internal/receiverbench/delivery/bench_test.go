//go:build otelcolrust_testcomponents && cgo

package delivery

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-rust/otelcol-rust/go/internal/receiverbench"
	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// mechanism is one of the two compared; its name is the benchstat column (`benchstat -col
// /side`). pull comes first, so benchstat's "vs base" is push (the product) against pull.
type mechanism struct {
	name string
	rustffi.DeliveryMechanism
}

var mechanisms = []mechanism{{"side=pull", rustffi.DeliverPull}, {"side=push", rustffi.DeliverPush}}

// unmarshaller is the Go consumer of both mechanisms: it decodes each batch with pdata, as
// every Rust receiver's delivery does (rustreceiver, like otlpreceiver), counts its spans and
// discards it, answering answer.
type unmarshaller struct {
	spans  atomic.Int64
	answer rustffi.DeliverResult
}

func (u *unmarshaller) Deliver(_ rustffi.Signal, _ rustffi.Encoding, data []byte) rustffi.DeliverResult {
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
	if err != nil {
		return rustffi.DeliverResult{Outcome: rustffi.DeliverMalformed, Message: err.Error()}
	}
	u.spans.Add(int64(td.SpanCount()))
	return u.answer
}

func payload(tb testing.TB) []byte {
	tb.Helper()
	data, err := ptraceotlp.NewExportRequestFromTraces(receiverbench.NewBatch()).MarshalProto()
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkDelivery has K senders (tokio tasks of the library's runtime, as a receiver's
// request handlers are) send b.N copies of the 1,000-span batch in total through a Rust
// Consumer, each waiting for its outcome before sending again, with each mechanism. Besides
// ns/op (wall clock per batch: the inverse of the throughput) it reports batches/s,
// cpu-ns/batch (the CPU time of the whole process, every thread: the senders, the hand-off,
// Go's unmarshalling), and the latency of a send from its call to its outcome, measured in
// Rust: p50-ns and p99-ns. Both mechanisms bound what is handed over alike (see
// rustffi.BenchDeliver): at senders=64 most sends wait for room, which is in their latency.
func BenchmarkDelivery(b *testing.B) {
	data := payload(b)
	for _, senders := range []int{1, 8, 64} {
		for _, m := range mechanisms {
			b.Run(fmt.Sprintf("senders=%d/%s", senders, m.name), func(b *testing.B) {
				consumer := &unmarshaller{}
				cpuBefore := cpuTime(b)
				b.ResetTimer()
				stats, err := rustffi.BenchDeliver(m.DeliveryMechanism, consumer, senders, b.N, data)
				b.StopTimer()
				cpu := cpuTime(b) - cpuBefore
				if err != nil {
					b.Fatal(err)
				}
				check(b, stats, consumer, b.N)
				b.ReportMetric(float64(b.N)/stats.Elapsed.Seconds(), "batches/s")
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/batch")
				b.ReportMetric(float64(stats.P50.Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(stats.P99.Nanoseconds()), "p99-ns")
			})
		}
	}
}

// check fails unless every one of batches sends was accepted and the consumer got every span.
func check(tb testing.TB, stats rustffi.DeliveryStats, consumer *unmarshaller, batches int) {
	tb.Helper()
	if stats.Accepted != uint64(batches) || stats.Refused != 0 {
		tb.Fatalf("%d sends accepted and %d refused (first: %s), want %d accepted", stats.Accepted, stats.Refused, stats.FirstError, batches)
	}
	if got, want := consumer.spans.Load(), int64(batches*receiverbench.SpansPerBatch); got != want {
		tb.Fatalf("the consumer got %d spans, want %d", got, want)
	}
}

// TestMechanismsDeliverEveryBatch checks what the benchmark takes for granted, for each
// mechanism: with more senders than delivery slots, every batch reaches the consumer intact
// and each send gets the consumer's outcome, an acceptance or a refusal with its reason and
// retry delay.
func TestMechanismsDeliverEveryBatch(t *testing.T) {
	data := payload(t)
	for _, m := range mechanisms {
		t.Run(m.name, func(t *testing.T) {
			consumer := &unmarshaller{}
			stats, err := rustffi.BenchDeliver(m.DeliveryMechanism, consumer, 64, 200, data)
			if err != nil {
				t.Fatal(err)
			}
			check(t, stats, consumer, 200)

			consumer = &unmarshaller{answer: rustffi.DeliverResult{Outcome: rustffi.DeliverRetryable, RetryAfter: time.Second, Message: "queue is full"}}
			stats, err = rustffi.BenchDeliver(m.DeliveryMechanism, consumer, 8, 20, data)
			if err != nil {
				t.Fatal(err)
			}
			if stats.Accepted != 0 || stats.Refused != 20 || consumer.spans.Load() != 20*receiverbench.SpansPerBatch {
				t.Fatalf("%d accepted, %d refused, %d spans consumed; want 0, 20, %d", stats.Accepted, stats.Refused, consumer.spans.Load(), 20*receiverbench.SpansPerBatch)
			}
			if stats.FirstError != "Retryable (retry after Some(1s)): queue is full" {
				t.Fatalf("the refusal reads %q", stats.FirstError)
			}
		})
	}
}

// cpuTime is the CPU time (user and system) every thread of this process has used so far.
func cpuTime(tb testing.TB) time.Duration {
	tb.Helper()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}
