//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// chaosProcessors is the `processors:` section of rust_chaos processors, each id with its
// mode (and its other keys, written after the mode: `keep_every, every: 2`).
func chaosProcessors(modes map[string]string) string {
	var out strings.Builder
	for _, id := range slicesSorted(modes) {
		mode, rest, _ := strings.Cut(modes[id], ", ")
		fmt.Fprintf(&out, "  %s:\n    mode: %s\n", id, mode)
		for field := range strings.SplitSeq(rest, ", ") {
			if key, value, ok := strings.Cut(field, ": "); ok {
				fmt.Fprintf(&out, "    %s: %s\n", key, value)
			}
		}
	}
	return out.String()
}

func slicesSorted(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// everySignalThrough is the pipelines section sending every signal through processors.
func everySignalThrough(processors ...string) string {
	return pipeline("traces", processors...) + pipeline("metrics", processors...) + pipeline("logs", processors...)
}

// sendAndExpect sends n generated batches of every signal through pc, each expected to come
// out as golden makes it from a copy of what was sent; it answers what was expected, and the
// items of each batch sent, by signal (spans, data points, log records).
func sendAndExpect(t *testing.T, pc *processorCollector, g *generator, n int, golden func(any)) (want *sent, items [3][]int) {
	t.Helper()
	want = &sent{}
	for range n {
		td, md, ld := g.traces(), g.metrics(), g.logs()
		items[0], items[1], items[2] = append(items[0], td.SpanCount()), append(items[1], md.DataPointCount()), append(items[2], ld.LogRecordCount())
		wantTD, wantMD, wantLD := ptrace.NewTraces(), pmetric.NewMetrics(), plog.NewLogs()
		td.CopyTo(wantTD)
		md.CopyTo(wantMD)
		ld.CopyTo(wantLD)
		for _, batch := range []any{wantTD, wantMD, wantLD} {
			golden(batch)
		}
		for _, batch := range []any{td, md, ld} {
			if err := pc.feed.send(context.Background(), batch); err != nil {
				t.Fatalf("%T: %v", batch, err)
			}
		}
		want.traces, want.metrics, want.logs = append(want.traces, wantTD), append(want.metrics, wantMD), append(want.logs, wantLD)
		want.spans, want.points, want.records = want.spans+wantTD.SpanCount(), want.points+wantMD.DataPointCount(), want.records+wantLD.LogRecordCount()
	}
	return want, items
}

// appendPaths is the golden transformation of append_path processors ids, in order.
func appendPaths(ids ...string) func(any) {
	return func(batch any) {
		for _, id := range ids {
			switch b := batch.(type) {
			case ptrace.Traces:
				appendPathTraces(b, id)
			case pmetric.Metrics:
				appendPathMetrics(b, id)
			case plog.Logs:
				appendPathLogs(b, id)
			}
		}
	}
}

// Scenario: three rust_chaos append_path processors in a row, in pipelines of every signal,
// 5 varied batches each.
// Guarantees: each batch crosses into Rust once and runs the three processors there (the
// library's counters: one crossing, three stages per batch); what comes out is exactly what
// the same three processors written in Go make (OTLP bytes equal), the path in their order;
// each processor counts the items in and out under its own id; the collector's metrics
// otelcol_rust_process_crossings and _stages show the library's counters.
func TestRustProcessorChainCrossesOnce(t *testing.T) {
	ids := []string{"rust_chaos/1", "rust_chaos/2", "rust_chaos/3"}
	pc := runProcessors(t, chaosProcessors(map[string]string{ids[0]: "append_path", ids[1]: "append_path", ids[2]: "append_path"}),
		everySignalThrough(ids...))
	calls, stages := crossings(t)
	want, _ := sendAndExpect(t, pc, newGenerator(15), 5, appendPaths(ids...))
	afterCalls, afterStages := crossings(t)
	if afterCalls-calls != 15 || afterStages-stages != 45 {
		t.Errorf("15 batches took %d crossings and %d stages, want 15 and 45", afterCalls-calls, afterStages-stages)
	}
	// The collector's own metrics show the same counters.
	if sums := pc.sums(t, []string{"otelcol_rust_process_crossings", "otelcol_rust_process_stages"}); sums["otelcol_rust_process_crossings"] != float64(afterCalls) ||
		sums["otelcol_rust_process_stages"] != float64(afterStages) {
		t.Errorf("the collector's metrics show %v, the library %d crossings and %d stages", sums, afterCalls, afterStages)
	}
	requireArrived(t, want, pc.sink)
	traces, _, _ := pc.sink.received()
	if path, _ := traces[0].ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Get(pathKey); path.Str() != "rust_chaos/1/rust_chaos/2/rust_chaos/3" {
		t.Errorf("path %q", path.Str())
	}
	items := float64(want.spans + want.points + want.records)
	for _, id := range ids {
		if in, out := pc.processed(t, id); in != items || out != items {
			t.Errorf("%s counted %v in and %v out, want %v", id, in, out, items)
		}
	}
}

// Scenario: Rust, Go, Rust processors (append_path in both languages) in pipelines of every
// signal.
// Guarantees: the output equals the all-Go pipeline's (golden), in the pipeline's order; the
// Go processor between them is not fused over: two crossings of one stage each per batch.
func TestMixedGoAndRustProcessors(t *testing.T) {
	pc := runProcessors(t, chaosProcessors(map[string]string{"rust_chaos/a": "append_path", "rust_chaos/c": "append_path"})+"  go_append_path/b:\n",
		everySignalThrough("rust_chaos/a", "go_append_path/b", "rust_chaos/c"))
	calls, stages := crossings(t)
	want, _ := sendAndExpect(t, pc, newGenerator(16), 4, appendPaths("rust_chaos/a", "go_append_path/b", "rust_chaos/c"))
	afterCalls, afterStages := crossings(t)
	if afterCalls-calls != 24 || afterStages-stages != 24 {
		t.Errorf("12 batches took %d crossings and %d stages, want 24 and 24", afterCalls-calls, afterStages-stages)
	}
	requireArrived(t, want, pc.sink)
	_, _, logs := pc.sink.received()
	if path, _ := logs[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get(pathKey); path.Str() != "rust_chaos/a/go_append_path/b/rust_chaos/c" {
		t.Errorf("path %q", path.Str())
	}
}

// keepEvery is the golden transformation of keep_every with every: n: every item whose index
// in the batch (document order) is n-1 modulo n is dropped, and the containers left empty
// with it.
func keepEvery(n int) func(any) {
	return func(batch any) {
		i := 0
		kept := func() bool {
			i++
			return (i-1)%n != n-1
		}
		switch b := batch.(type) {
		case ptrace.Traces:
			b.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
				rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
					ss.Spans().RemoveIf(func(ptrace.Span) bool { return !kept() })
					return ss.Spans().Len() == 0
				})
				return rs.ScopeSpans().Len() == 0
			})
		case pmetric.Metrics:
			b.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
				rm.ScopeMetrics().RemoveIf(func(sm pmetric.ScopeMetrics) bool {
					sm.Metrics().RemoveIf(func(m pmetric.Metric) bool {
						removePoints(m, func() bool { return !kept() })
						return dataPoints(m) == 0
					})
					return sm.Metrics().Len() == 0
				})
				return rm.ScopeMetrics().Len() == 0
			})
		case plog.Logs:
			b.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
				rl.ScopeLogs().RemoveIf(func(sl plog.ScopeLogs) bool {
					sl.LogRecords().RemoveIf(func(plog.LogRecord) bool { return !kept() })
					return sl.LogRecords().Len() == 0
				})
				return rl.ScopeLogs().Len() == 0
			})
		}
	}
}

// removePoints removes the data points of m for which drop answers true.
func removePoints(m pmetric.Metric, drop func() bool) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		m.Gauge().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
	case pmetric.MetricTypeSum:
		m.Sum().DataPoints().RemoveIf(func(pmetric.NumberDataPoint) bool { return drop() })
	case pmetric.MetricTypeHistogram:
		m.Histogram().DataPoints().RemoveIf(func(pmetric.HistogramDataPoint) bool { return drop() })
	case pmetric.MetricTypeExponentialHistogram:
		m.ExponentialHistogram().DataPoints().RemoveIf(func(pmetric.ExponentialHistogramDataPoint) bool { return drop() })
	case pmetric.MetricTypeSummary:
		m.Summary().DataPoints().RemoveIf(func(pmetric.SummaryDataPoint) bool { return drop() })
	}
}

func then(steps ...func(any)) func(any) {
	return func(batch any) {
		for _, step := range steps {
			step(batch)
		}
	}
}

// Scenario: a chain whose middle processor drops items (keep_every 3) and a pipeline ending
// with a processor that drops everything (drop_all), every signal.
// Guarantees: the run ends at the stage that dropped (the next one crosses again: two
// crossings, three stages per batch), and the output is the Go golden's; each processor's
// otelcol_processor_incoming_items/outgoing_items under its own id are the items it got and
// passed on, the drops included; a batch dropped whole reaches nothing downstream and its
// sender gets no error.
func TestProcessorMetricsPerStage(t *testing.T) {
	pc := runProcessors(t, chaosProcessors(map[string]string{
		"rust_chaos/first": "append_path", "rust_chaos/keep": "keep_every, every: 3", "rust_chaos/last": "append_path",
		"rust_chaos/tag": "append_path", "rust_chaos/drop": "drop_all",
	}), pipeline("traces", "rust_chaos/first", "rust_chaos/keep", "rust_chaos/last")+
		pipeline("metrics", "rust_chaos/first", "rust_chaos/keep", "rust_chaos/last")+
		pipeline("logs", "rust_chaos/first", "rust_chaos/keep", "rust_chaos/last")+
		pipeline("logs/dropped", "rust_chaos/tag", "rust_chaos/drop"))
	// The feed receiver's logs go to both logs pipelines (the collector copies the batch for
	// one of them).
	calls, stages := crossings(t)
	const every = 3
	want, sentItems := sendAndExpect(t, pc, newGenerator(17), 4, then(appendPaths("rust_chaos/first"), keepEvery(every), appendPaths("rust_chaos/last")))
	afterCalls, afterStages := crossings(t)
	// A batch of `every` items or more loses some at rust_chaos/keep: its run ends there and
	// rust_chaos/last crosses again; a smaller one goes through in one crossing. Every logs
	// batch also crosses once more, for 2 stages, in logs/dropped.
	wantCalls, wantStages := 0, 0
	in, logRecords := 0, 0
	for signal, batches := range sentItems {
		for _, n := range batches {
			in += n
			wantCalls, wantStages = wantCalls+1, wantStages+3
			if n >= every {
				wantCalls++
			}
			if signal == 2 {
				logRecords += n
				wantCalls, wantStages = wantCalls+1, wantStages+2
			}
		}
	}
	if int(afterCalls-calls) != wantCalls || int(afterStages-stages) != wantStages {
		t.Errorf("%d crossings and %d stages, want %d and %d", afterCalls-calls, afterStages-stages, wantCalls, wantStages)
	}
	requireArrived(t, want, pc.sink)
	kept := want.spans + want.points + want.records
	if kept == 0 || kept == in {
		t.Fatalf("keep_every kept %v of %v items: not a test of a drop", kept, in)
	}
	for id, counts := range map[string][2]float64{
		"rust_chaos/first": {float64(in), float64(in)},
		"rust_chaos/keep":  {float64(in), float64(kept)},
		"rust_chaos/last":  {float64(kept), float64(kept)},
		"rust_chaos/tag":   {float64(logRecords), float64(logRecords)},
		"rust_chaos/drop":  {float64(logRecords), 0},
	} {
		if gotIn, gotOut := pc.processed(t, id); gotIn != counts[0] || gotOut != counts[1] {
			t.Errorf("%s counted %v in and %v out, want %v and %v", id, gotIn, gotOut, counts[0], counts[1])
		}
	}
}
