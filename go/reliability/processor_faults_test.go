//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Scenario: a chain whose middle processor fails (retryable, permanent, panicking), in a
// pipeline of each signal.
// Guarantees: the sender gets that processor's error, naming it, with its reason, retryable
// or permanent as Rust answered (a panic is permanent, "rust processor panicked"); the batch
// reaches nothing downstream; the processor before it counts the batch in and out, the
// failing one in but not out, the one after nothing; the Rust library counts the errors and
// the panics, and each panic is an error record under the processor's id; the processor
// answers every later batch the same way.
func TestProcessorErrorsReachTheSender(t *testing.T) {
	for _, c := range []struct {
		mode, reason string
		permanent    bool
		panics       bool
	}{
		{mode: "fail_retryable", reason: "rust_chaos says retryable"},
		{mode: "fail_permanent", reason: "rust_chaos says permanent", permanent: true},
		{mode: "panic", reason: "rust processor panicked: rust_chaos panics in process", permanent: true, panics: true},
	} {
		t.Run(c.mode, func(t *testing.T) {
			pc := runProcessors(t, chaosProcessors(map[string]string{
				"rust_chaos/before": "append_path", "rust_chaos/failing": c.mode, "rust_chaos/after": "append_path",
			}), everySignalThrough("rust_chaos/before", "rust_chaos/failing", "rust_chaos/after"))
			g := newGenerator(18)
			before := libraryCounts(t)
			items := 0
			// Twice: the processor answers again the same way (a panic leaves it usable).
			for _, batch := range []any{g.traces(), g.metrics(), g.logs(), g.traces(), g.metrics(), g.logs()} {
				items += itemCount(batch)
				err := pc.feed.send(context.Background(), batch)
				if err == nil {
					t.Fatalf("%T: no error", batch)
				}
				if got := consumererror.IsPermanent(err); got != c.permanent {
					t.Errorf("%T: permanent %t, want %t: %v", batch, got, c.permanent, err)
				}
				if want := `rust processor "rust_chaos/failing": ` + c.reason; !strings.Contains(err.Error(), want) {
					t.Errorf("%T: %q does not say %q", batch, err, want)
				}
			}
			after := libraryCounts(t)
			if got := after.ProcessErrors - before.ProcessErrors; got != 6 {
				t.Errorf("the library counted %d errors, want 6", got)
			}
			if got, want := after.ProcessPanics-before.ProcessPanics, map[bool]uint64{true: 6}[c.panics]; got != want {
				t.Errorf("the library counted %d panics, want %d", got, want)
			}
			if spans, points, records := pc.sink.counts(); spans+points+records != 0 {
				t.Errorf("the sink got %d items of failed batches", spans+points+records)
			}
			for id, counts := range map[string][2]float64{
				"rust_chaos/before":  {float64(items), float64(items)},
				"rust_chaos/failing": {float64(items), 0},
				"rust_chaos/after":   {0, 0},
			} {
				if in, out := pc.processed(t, id); in != counts[0] || out != counts[1] {
					t.Errorf("%s counted %v in and %v out, want %v and %v", id, in, out, counts[0], counts[1])
				}
			}
			if c.panics {
				// Rust's own record of each panic, through the log drain, under the
				// processor's id.
				waitFor(t, 10*time.Second, func() string { return "Rust's error records of the panics are missing" }, func() bool {
					n := 0
					for _, entry := range pc.Logs.All() {
						if strings.HasPrefix(entry.Message, "rust processor panicked: rust_chaos panics in process") &&
							fmt.Sprint(entry.ContextMap()["otelcol.component.id"]) == "rust_chaos/failing" {
							n++
						}
					}
					return n == 6
				})
			}
		})
	}
}

func itemCount(batch any) int {
	switch b := batch.(type) {
	case ptrace.Traces:
		return b.SpanCount()
	case interface{ DataPointCount() int }:
		return b.DataPointCount()
	case interface{ LogRecordCount() int }:
		return b.LogRecordCount()
	}
	return 0
}

// Scenario: a Go component between two Rust processors that passes a copy of each batch on
// and answers Capabilities with its consumer's (so discovery takes it for the collector's own
// wrappers and fuses the two).
// Guarantees: the first batch, which the component saw without the first processor's edits,
// fails retryable (never passed on half-processed), with one warning; the link is no longer
// fused: the batch sent again, and every later one, crosses twice and comes out processed by
// both, in order.
func TestFusionStopsWhenABatchChangesBetween(t *testing.T) {
	pc := runProcessors(t, chaosProcessors(map[string]string{"rust_chaos/a": "append_path", "rust_chaos/b": "append_path"})+"  go_forward:\n",
		pipeline("traces", "rust_chaos/a", "go_forward", "rust_chaos/b"))
	g := newGenerator(19)
	td := g.traces()
	err := pc.feed.send(context.Background(), td)
	if err == nil || consumererror.IsPermanent(err) || !strings.Contains(err.Error(), `the batch changed between "rust_chaos/a" and this processor`) {
		t.Fatalf("first batch: %v", err)
	}
	for range 3 {
		td := g.traces()
		want := ptrace.NewTraces()
		td.CopyTo(want)
		appendPaths("rust_chaos/a", "rust_chaos/b")(want)
		calls, _ := crossings(t)
		if err := pc.feed.send(context.Background(), td); err != nil {
			t.Fatal(err)
		}
		if after, _ := crossings(t); after-calls != 2 {
			t.Errorf("%d crossings, want 2", after-calls)
		}
		traces, _, _ := pc.sink.received()
		if diff := difference("spans", spanItems([]ptrace.Traces{want}), spanItems(traces[len(traces)-1:]), true); diff != "" {
			t.Error(diff)
		}
	}
	if warned := pc.Logged("A component between two Rust processors changed the batch: they no longer cross together"); len(warned) != 1 {
		t.Errorf("warned %d times, want once", len(warned))
	}
}
