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

// sink is the Go consumer of both mechanisms. With decode (consumer=pdata) it decodes each
// batch with pdata, as every Rust receiver's delivery does (rustreceiver, like otlpreceiver),
// counts its spans and discards it: the realistic case. Without (consumer=none) it only
// checks the batch's length, so the mechanisms' own costs are not hidden behind pdata's.
// Either way it answers answer.
type sink struct {
	decode bool
	size   int // the batch's length, checked without decode
	spans  atomic.Int64
	answer rustffi.DeliverResult
}

func (c *sink) Deliver(_ rustffi.Signal, _ rustffi.Encoding, data []byte) rustffi.DeliverResult {
	if !c.decode {
		if len(data) != c.size {
			return rustffi.DeliverResult{Outcome: rustffi.DeliverMalformed, Message: fmt.Sprintf("%d bytes, want %d", len(data), c.size)}
		}
		c.spans.Add(receiverbench.SpansPerBatch)
		return c.answer
	}
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(data)
	if err != nil {
		return rustffi.DeliverResult{Outcome: rustffi.DeliverMalformed, Message: err.Error()}
	}
	c.spans.Add(int64(td.SpanCount()))
	return c.answer
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
// Consumer, each waiting for its outcome before sending again, with each mechanism, to the
// pdata consumer and to the one that does not decode (see sink). Besides ns/op (wall clock
// per batch: the inverse of the throughput) it reports batches/s, cpu-ns/batch (the CPU time
// of the whole process, every thread: the senders, the hand-off, Go's unmarshalling),
// ctxsw/batch (the process's context switches, voluntary or not: where the hand-offs differ
// most), and the latency of a send from its call to its outcome, measured in Rust: p50-ns and
// p99-ns. Both mechanisms bound what is handed over alike (see rustffi.BenchDeliver): at
// senders=64 most sends wait for room, which is in their latency.
func BenchmarkDelivery(b *testing.B) {
	data := payload(b)
	for _, decode := range []bool{true, false} {
		for _, senders := range []int{1, 8, 64} {
			for _, m := range mechanisms {
				name := fmt.Sprintf("consumer=%s/senders=%d/%s", map[bool]string{true: "pdata", false: "none"}[decode], senders, m.name)
				b.Run(name, func(b *testing.B) {
					consumer := &sink{decode: decode, size: len(data)}
					before := usage(b)
					b.ResetTimer()
					stats, err := rustffi.BenchDeliver(m.DeliveryMechanism, consumer, senders, b.N, data)
					b.StopTimer()
					after := usage(b)
					if err != nil {
						b.Fatal(err)
					}
					check(b, stats, consumer, b.N)
					b.ReportMetric(float64(b.N)/stats.Elapsed.Seconds(), "batches/s")
					b.ReportMetric(float64((after.cpu-before.cpu).Nanoseconds())/float64(b.N), "cpu-ns/batch")
					b.ReportMetric(float64(after.switches-before.switches)/float64(b.N), "ctxsw/batch")
					b.ReportMetric(float64(stats.P50.Nanoseconds()), "p50-ns")
					b.ReportMetric(float64(stats.P99.Nanoseconds()), "p99-ns")
				})
			}
		}
	}
}

// check fails unless every one of batches sends was accepted and the consumer got every span.
func check(tb testing.TB, stats rustffi.DeliveryStats, consumer *sink, batches int) {
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
			consumer := &sink{decode: true}
			stats, err := rustffi.BenchDeliver(m.DeliveryMechanism, consumer, 64, 200, data)
			if err != nil {
				t.Fatal(err)
			}
			check(t, stats, consumer, 200)

			consumer = &sink{decode: true, answer: rustffi.DeliverResult{Outcome: rustffi.DeliverRetryable, RetryAfter: time.Second, Message: "queue is full"}}
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

// used is what every thread of this process has used so far: CPU time (user and system) and
// context switches (voluntary and not).
type used struct {
	cpu      time.Duration
	switches int64
}

func usage(tb testing.TB) used {
	tb.Helper()
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		tb.Fatal(err)
	}
	return used{cpu: time.Duration(u.Utime.Nano() + u.Stime.Nano()), switches: u.Nvcsw + u.Nivcsw}
}
