//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzProcessBatch feeds varied batches of every signal (the generator's, from a fuzzed
// seed, with one fuzzed attribute added to one item) through a real collector pipeline of
// five rust_chaos processors that exercise every kind of answer and both ends of a run:
// append_path (edits), roundtrip (its own bytes as a new batch), reencode (the decoded batch
// as a new one), keep_every 2 (a drop: the run ends there) and append_path again (a second
// crossing). `make reliability` fuzzes it for minutes; `make test` runs the seeds.
//
// Guarantees: every batch gets an answer, never a crash; a batch whose strings are UTF-8
// comes out exactly as the same five steps written in Go make it (OTLP bytes equal); one
// with a string that is not UTF-8 (which Rust's decoder refuses) fails permanent, and
// nothing of it is passed on.
func FuzzProcessBatch(f *testing.F) {
	for signal := range uint8(3) {
		f.Add(uint64(1), signal, uint16(0), "fuzz.key", "fuzz value")
		f.Add(uint64(2), signal, uint16(7), pathKey, "already/there")
		f.Add(uint64(3), signal, uint16(3), "", "")
		f.Add(uint64(4), signal, uint16(1), "k", "\xff\xfe not UTF-8")
		f.Add(uint64(5), signal, uint16(2), "\xc3", "v")
	}
	ids := []string{"rust_chaos/1", "rust_chaos/2", "rust_chaos/3", "rust_chaos/4", "rust_chaos/5"}
	pc := runProcessors(f, chaosProcessors(map[string]string{
		ids[0]: "append_path", ids[1]: "roundtrip", ids[2]: "reencode", ids[3]: "keep_every, every: 2", ids[4]: "append_path",
	}), everySignalThrough(ids...))
	golden := then(appendPaths(ids[0]), keepEvery(2), appendPaths(ids[4]))
	f.Fuzz(func(t *testing.T, seed uint64, signal uint8, item uint16, key, value string) {
		g := newGenerator(seed)
		var batch, want any
		switch signal % 3 {
		case 0:
			td := g.traces()
			addAttribute(spanMaps(td), int(item), key, value)
			clone := ptrace.NewTraces()
			td.CopyTo(clone)
			batch, want = td, clone
		case 1:
			md := g.metrics()
			addAttribute(pointMaps(md), int(item), key, value)
			clone := pmetric.NewMetrics()
			md.CopyTo(clone)
			batch, want = md, clone
		default:
			ld := g.logs()
			addAttribute(recordMaps(ld), int(item), key, value)
			clone := plog.NewLogs()
			ld.CopyTo(clone)
			batch, want = ld, clone
		}
		golden(want)
		err := pc.feed.send(context.Background(), batch)
		got := drain(pc.sink)
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			if err == nil || !consumererror.IsPermanent(err) || len(got) != 0 {
				t.Fatalf("a batch with a string that is not UTF-8: %v, %d batches passed on", err, len(got))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d batches passed on", len(got))
		}
		if diff := sameBatch(want, got[0]); diff != "" {
			t.Fatal(diff)
		}
	})
}

// addAttribute puts key=value into the (item % len)-th of maps.
func addAttribute(maps []pcommon.Map, item int, key, value string) {
	if len(maps) > 0 {
		maps[item%len(maps)].PutStr(key, value)
	}
}

func spanMaps(td ptrace.Traces) []pcommon.Map {
	var maps []pcommon.Map
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				maps = append(maps, span.Attributes())
			}
		}
	}
	return maps
}

func pointMaps(md pmetric.Metrics) []pcommon.Map {
	var maps []pcommon.Map
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				eachPoint(m, func(attributes pcommon.Map) { maps = append(maps, attributes) })
			}
		}
	}
	return maps
}

func recordMaps(ld plog.Logs) []pcommon.Map {
	var maps []pcommon.Map
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, record := range sl.LogRecords().All() {
				maps = append(maps, record.Attributes())
			}
		}
	}
	return maps
}

// drain takes every batch out of the sink (so a long fuzz run does not keep them all): one
// signal's at a time, since a test sends one batch at a time.
func drain(s *sink) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []any
	for _, td := range s.traces {
		all = append(all, td)
	}
	for _, md := range s.metrics {
		all = append(all, md)
	}
	for _, ld := range s.logs {
		all = append(all, ld)
	}
	s.traces, s.metrics, s.logs = nil, nil, nil
	return all
}

// sameBatch compares two batches of one signal as OTLP bytes; on a difference it names the
// first differing item.
func sameBatch(want, got any) string {
	switch w := want.(type) {
	case ptrace.Traces:
		g, ok := got.(ptrace.Traces)
		if !ok {
			return "not traces"
		}
		if string(mustMarshal((&ptrace.ProtoMarshaler{}).MarshalTraces(w))) == string(mustMarshal((&ptrace.ProtoMarshaler{}).MarshalTraces(g))) {
			return ""
		}
		return "traces differ: " + difference("spans", spanItems([]ptrace.Traces{w}), spanItems([]ptrace.Traces{g}), true)
	case pmetric.Metrics:
		g, ok := got.(pmetric.Metrics)
		if !ok {
			return "not metrics"
		}
		if string(mustMarshal((&pmetric.ProtoMarshaler{}).MarshalMetrics(w))) == string(mustMarshal((&pmetric.ProtoMarshaler{}).MarshalMetrics(g))) {
			return ""
		}
		return "metrics differ: " + difference("data points", pointItems([]pmetric.Metrics{w}), pointItems([]pmetric.Metrics{g}), true)
	case plog.Logs:
		g, ok := got.(plog.Logs)
		if !ok {
			return "not logs"
		}
		if string(mustMarshal((&plog.ProtoMarshaler{}).MarshalLogs(w))) == string(mustMarshal((&plog.ProtoMarshaler{}).MarshalLogs(g))) {
			return ""
		}
		return "logs differ: " + difference("log records", recordItems([]plog.Logs{w}), recordItems([]plog.Logs{g}), true)
	}
	return "unknown batch"
}
