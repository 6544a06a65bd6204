package rustprocessor

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// rec is one edit script record, encoded by script as Rust encodes it.
type rec struct {
	m   uint32
	op  byte
	key string
	str string
	i   int64
}

func script(records ...rec) []byte {
	var b []byte
	for _, r := range records {
		b = binary.LittleEndian.AppendUint32(b, r.m)
		b = append(b, r.op)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r.key)))
		b = append(b, r.key...)
		switch r.op {
		case opSetStr:
			b = binary.LittleEndian.AppendUint32(b, uint32(len(r.str)))
			b = append(b, r.str...)
		case opSetInt:
			b = binary.LittleEndian.AppendUint64(b, uint64(r.i))
		}
	}
	return b
}

// markedTraces is a batch whose every attribute map holds "at", naming where it is; order
// lists those names in the document order of the contract (written out by hand, not
// computed by the code under test).
func markedTraces() (ptrace.Traces, []string) {
	td := ptrace.NewTraces()
	for r := range 2 {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("at", fmt.Sprintf("r%d", r))
		for s := range 2 {
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().Attributes().PutStr("at", fmt.Sprintf("r%d/s%d", r, s))
			for i := range 2 {
				span := ss.Spans().AppendEmpty()
				span.Attributes().PutStr("at", fmt.Sprintf("r%d/s%d/span%d", r, s, i))
				for e := range i + 1 {
					span.Events().AppendEmpty().Attributes().PutStr("at", fmt.Sprintf("r%d/s%d/span%d/event%d", r, s, i, e))
				}
				for l := range 2 - i {
					span.Links().AppendEmpty().Attributes().PutStr("at", fmt.Sprintf("r%d/s%d/span%d/link%d", r, s, i, l))
				}
			}
		}
	}
	var order []string
	for r := range 2 {
		order = append(order, fmt.Sprintf("r%d", r))
		for s := range 2 {
			order = append(order, fmt.Sprintf("r%d/s%d", r, s),
				fmt.Sprintf("r%d/s%d/span0", r, s), fmt.Sprintf("r%d/s%d/span0/event0", r, s),
				fmt.Sprintf("r%d/s%d/span0/link0", r, s), fmt.Sprintf("r%d/s%d/span0/link1", r, s),
				fmt.Sprintf("r%d/s%d/span1", r, s), fmt.Sprintf("r%d/s%d/span1/event0", r, s),
				fmt.Sprintf("r%d/s%d/span1/event1", r, s), fmt.Sprintf("r%d/s%d/span1/link0", r, s))
		}
	}
	return td, order
}

// markedMetrics has one resource, one scope and a metric of each type, with two data points
// each but the summary (one), and a metric without data (no data points, no maps).
func markedMetrics() (pmetric.Metrics, []string) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("at", "r0")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().Attributes().PutStr("at", "r0/s0")
	metrics := sm.Metrics()
	named := func(name string) pmetric.Metric {
		m := metrics.AppendEmpty()
		m.SetName(name)
		return m
	}
	gauge := named("gauge").SetEmptyGauge().DataPoints()
	named("empty")
	sum := named("sum").SetEmptySum().DataPoints()
	histogram := named("histogram").SetEmptyHistogram().DataPoints()
	exponential := named("exponential").SetEmptyExponentialHistogram().DataPoints()
	summary := named("summary").SetEmptySummary().DataPoints()
	order := []string{"r0", "r0/s0"}
	mark := func(attributes pcommon.Map, at string) {
		attributes.PutStr("at", at)
		order = append(order, at)
	}
	for i := range 2 {
		mark(gauge.AppendEmpty().Attributes(), fmt.Sprintf("gauge/%d", i))
	}
	for i := range 2 {
		mark(sum.AppendEmpty().Attributes(), fmt.Sprintf("sum/%d", i))
	}
	for i := range 2 {
		mark(histogram.AppendEmpty().Attributes(), fmt.Sprintf("histogram/%d", i))
	}
	for i := range 2 {
		mark(exponential.AppendEmpty().Attributes(), fmt.Sprintf("exponential/%d", i))
	}
	mark(summary.AppendEmpty().Attributes(), "summary/0")
	return md, order
}

func markedLogs() (plog.Logs, []string) {
	ld := plog.NewLogs()
	var order []string
	for r := range 2 {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("at", fmt.Sprintf("r%d", r))
		order = append(order, fmt.Sprintf("r%d", r))
		for s := range 2 {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().Attributes().PutStr("at", fmt.Sprintf("r%d/s%d", r, s))
			order = append(order, fmt.Sprintf("r%d/s%d", r, s))
			for i := range 3 {
				sl.LogRecords().AppendEmpty().Attributes().PutStr("at", fmt.Sprintf("r%d/s%d/log%d", r, s, i))
				order = append(order, fmt.Sprintf("r%d/s%d/log%d", r, s, i))
			}
		}
	}
	return ld, order
}

// checkOrder numbers every map through an edit script (set_int "n" on map i) and checks
// that map i is the one the contract's order names.
func checkOrder[T comparable](t *testing.T, ops *signalOps[T], data T, order []string) {
	t.Helper()
	var records []rec
	for i := range order {
		records = append(records, rec{m: uint32(i), op: opSetInt, key: "n", i: int64(i)})
	}
	if err := applyEdits(script(records...), func(yield func(pcommon.Map) bool) { ops.eachMap(data, yield) }); err != nil {
		t.Fatal(err)
	}
	var got []string
	ops.eachMap(data, func(m pcommon.Map) bool {
		at, _ := m.Get("at")
		n, _ := m.Get("n")
		got = append(got, fmt.Sprintf("%d:%s", n.Int(), at.Str()))
		return true
	})
	var want []string
	for i, at := range order {
		want = append(want, fmt.Sprintf("%d:%s", i, at))
	}
	if !slices.Equal(got, want) {
		t.Errorf("maps numbered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Guarantees: Go numbers attribute maps in the contract's document order (resource, scope,
// each item's, a span's then its events' then its links'; every data point type), the order
// Rust addresses edits in.
func TestAttributeMapsAreNumberedInDocumentOrder(t *testing.T) {
	t.Run("traces", func(t *testing.T) {
		td, order := markedTraces()
		checkOrder(t, tracesOps, td, order)
	})
	t.Run("metrics", func(t *testing.T) {
		md, order := markedMetrics()
		checkOrder(t, metricsOps, md, order)
	})
	t.Run("logs", func(t *testing.T) {
		ld, order := markedLogs()
		checkOrder(t, logsOps, ld, order)
	})
}

// attrs renders a map's entries in their order, as key=value.
func attrs(m pcommon.Map) string {
	var out []string
	for k, v := range m.All() {
		out = append(out, k+"="+v.AsString())
	}
	return strings.Join(out, ",")
}

// Guarantees: edits have pdata's semantics, in the order given: set_str and set_int replace a
// value in place or append, remove is Map.Remove (the last entry takes the removed one's
// place), an absent key's remove is a no-op; maps without edits are untouched.
func TestEditsHavePdataSemantics(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	for _, k := range []string{"a", "b", "c", "d"} {
		res.PutStr(k, k)
	}
	span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	span.Attributes().PutInt("keep", 1)
	err := applyEdits(script(
		rec{m: 0, op: opRemove, key: "b"},
		rec{m: 0, op: opSetStr, key: "c", str: "C"},
		rec{m: 0, op: opSetInt, key: "e", i: -7},
		rec{m: 0, op: opRemove, key: "zz"},
		rec{m: 0, op: opSetStr, key: "é", str: ""},
		rec{m: 2, op: opSetStr, key: "keep", str: "now a string"},
	), func(yield func(pcommon.Map) bool) { tracesOps.eachMap(td, yield) })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := attrs(res), "a=a,d=d,c=C,e=-7,é="; got != want {
		t.Errorf("resource: %s, want %s", got, want)
	}
	if got, want := attrs(rs.ScopeSpans().At(0).Scope().Attributes()), ""; got != want {
		t.Errorf("scope: %s, want %s", got, want)
	}
	if got, want := attrs(span.Attributes()), "keep=now a string"; got != want {
		t.Errorf("span: %s, want %s", got, want)
	}
}

// Guarantees: an edit script Go cannot read (truncated, an unknown operation, maps out of
// order) is an error and changes nothing; one naming a map the batch does not have is an
// error naming it.
func TestMalformedEditScriptsAreErrors(t *testing.T) {
	good := script(rec{m: 0, op: opSetStr, key: "k", str: "v"}, rec{m: 1, op: opSetInt, key: "n", i: 1})
	cases := map[string]struct {
		script []byte
		want   string
	}{
		"truncated header":    {good[:5], "malformed edit script from Rust (record 0): truncated record"},
		"truncated key":       {good[:10], "malformed edit script from Rust (record 0): truncated record"},
		"truncated value":     {good[:len(good)-1], "malformed edit script from Rust (record 1): truncated record"},
		"unknown operation":   {script(rec{m: 0, op: 3, key: "k"}), "malformed edit script from Rust (record 0): unknown operation 3"},
		"maps out of order":   {script(rec{m: 1, op: opRemove, key: "k"}, rec{m: 0, op: opRemove, key: "k"}), "malformed edit script from Rust (record 1): map 0 after map 1 (records must be sorted by map)"},
		"map past the batch":  {script(rec{m: 0, op: opSetStr, key: "k", str: "v"}, rec{m: 9, op: opRemove, key: "k"}), "the edit script from Rust names attribute map 9, the batch has 3"},
		"huge length":         {append(binary.LittleEndian.AppendUint32(nil, 0), 0, 0xff, 0xff, 0xff, 0xff), "malformed edit script from Rust (record 0): truncated record"},
		"set_str value short": {script(rec{m: 0, op: opSetStr, key: "k", str: "value"})[:18], "malformed edit script from Rust (record 0): truncated record"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			td := ptrace.NewTraces()
			rs := td.ResourceSpans().AppendEmpty()
			rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			err := applyEdits(c.script, func(yield func(pcommon.Map) bool) { tracesOps.eachMap(td, yield) })
			if err == nil || err.Error() != c.want {
				t.Fatalf("got %v, want %s", err, c.want)
			}
			if name != "map past the batch" && attrs(rs.Resource().Attributes()) != "" {
				t.Errorf("a malformed script edited the batch: %s", attrs(rs.Resource().Attributes()))
			}
		})
	}
}

// keepBits is the bitmap of keep, LSB first.
func keepBits(keep ...bool) []byte {
	b := make([]byte, (len(keep)+7)/8)
	for i, k := range keep {
		if k {
			b[i/8] |= 1 << (i % 8)
		}
	}
	return b
}

// Guarantees: a keep bitmap removes exactly the items it clears, in document order, and then
// (only when something was dropped) every scope, resource and metric left empty, as the
// contrib filterprocessor does; a bitmap of another length is an error.
func TestKeepDropsItemsAndTheContainersTheyEmpty(t *testing.T) {
	t.Run("traces", func(t *testing.T) {
		td, _ := markedTraces() // 8 spans: r0/s0 0-1, r0/s1 2-3, r1/s0 4-5, r1/s1 6-7
		keep := []bool{true, false, false, false, false, false, false, true}
		if err := applyKeep(tracesOps, td, keepBits(keep...), 8); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					at, _ := span.Attributes().Get("at")
					got = append(got, at.Str())
				}
			}
		}
		if want := []string{"r0/s0/span0", "r1/s1/span1"}; !slices.Equal(got, want) {
			t.Errorf("kept %v, want %v", got, want)
		}
		if td.ResourceSpans().Len() != 2 || td.ResourceSpans().At(0).ScopeSpans().Len() != 1 || td.ResourceSpans().At(1).ScopeSpans().Len() != 1 {
			t.Errorf("empty scopes left: %d resources", td.ResourceSpans().Len())
		}
		if err := applyKeep(tracesOps, td, keepBits(false, false), 2); err != nil {
			t.Fatal(err)
		}
		if td.ResourceSpans().Len() != 0 {
			t.Errorf("dropping every span left %d resources", td.ResourceSpans().Len())
		}
	})
	t.Run("metrics", func(t *testing.T) {
		md, _ := markedMetrics() // 9 points: gauge 0-1, sum 2-3, histogram 4-5, exponential 6-7, summary 8
		keep := []bool{false, false, true, false, false, false, false, true, false}
		if err := applyKeep(metricsOps, md, keepBits(keep...), 9); err != nil {
			t.Fatal(err)
		}
		var got []string
		emptyKept := false
		for _, m := range md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().All() {
			if m.Type() == pmetric.MetricTypeEmpty {
				emptyKept = true
				continue
			}
			eachPointMap(m, func(attributes pcommon.Map) bool {
				at, _ := attributes.Get("at")
				got = append(got, at.Str())
				return true
			})
			if !strings.HasPrefix(got[len(got)-1], m.Name()) {
				t.Errorf("metric %s kept without points", m.Name())
			}
		}
		// The gauge, histogram and summary lost every point and went; the metric without
		// data lost none and stays, as in filterprocessor.
		if want := []string{"sum/0", "exponential/1"}; !slices.Equal(got, want) {
			t.Errorf("kept %v, want %v", got, want)
		}
		if !emptyKept {
			t.Error("the metric without data points was removed")
		}
	})
	t.Run("logs", func(t *testing.T) {
		ld, _ := markedLogs() // 12 records, 3 per scope
		keep := make([]bool, 12)
		keep[4] = true
		if err := applyKeep(logsOps, ld, keepBits(keep...), 12); err != nil {
			t.Fatal(err)
		}
		if ld.ResourceLogs().Len() != 1 || ld.ResourceLogs().At(0).ScopeLogs().Len() != 1 || ld.LogRecordCount() != 1 {
			t.Fatalf("left %d resources, %d records", ld.ResourceLogs().Len(), ld.LogRecordCount())
		}
		if at, _ := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Get("at"); at.Str() != "r0/s1/log1" {
			t.Errorf("kept %s", at.Str())
		}
	})
	t.Run("nothing dropped keeps empty containers", func(t *testing.T) {
		td := ptrace.NewTraces()
		td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty() // an empty scope
		td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		if err := applyKeep(tracesOps, td, keepBits(true), 1); err != nil {
			t.Fatal(err)
		}
		if td.ResourceSpans().Len() != 2 {
			t.Errorf("an all-keep bitmap removed an empty resource")
		}
	})
	t.Run("wrong length", func(t *testing.T) {
		td, _ := markedTraces()
		if err := applyKeep(tracesOps, td, keepBits(true), 1); err == nil || err.Error() != "the keep bitmap Rust answered has 1 items, the batch 8" {
			t.Errorf("got %v", err)
		}
		if td.SpanCount() != 8 {
			t.Errorf("a refused bitmap dropped spans")
		}
	})
}

// Guarantees: what a run answered becomes the batch: the replacement decoded (a copy: the
// bytes can be freed; the original is left alone), else the edits applied in place, then the keep bitmap over the result.
func TestMaterialise(t *testing.T) {
	original, _ := markedLogs()
	replacement := plog.NewLogs()
	replacement.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("new")
	replacement.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty().Body().SetStr("newer")
	encoded, err := logsOps.marshal(replacement)
	if err != nil {
		t.Fatal(err)
	}
	got, err := materialise(logsOps, original, &rustffi.ProcessResult{
		Replaced: true, Replacement: encoded, HasKeep: true, Keep: keepBits(false, true), KeepItems: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Rust frees the replacement after the run: pdata must not alias it.
	clear(encoded)
	if got.LogRecordCount() != 1 || got.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str() != "newer" {
		t.Errorf("replacement then keep: %d records", got.LogRecordCount())
	}
	if original.LogRecordCount() != 12 {
		t.Errorf("the original changed")
	}
	got, err = materialise(logsOps, original, &rustffi.ProcessResult{Edits: script(rec{m: 0, op: opSetStr, key: "x", str: "y"})})
	if err != nil {
		t.Fatal(err)
	}
	if got != original || attrs(original.ResourceLogs().At(0).Resource().Attributes()) != "at=r0,x=y" {
		t.Errorf("edits not applied in place: %s", attrs(original.ResourceLogs().At(0).Resource().Attributes()))
	}
	if _, err := materialise(logsOps, original, &rustffi.ProcessResult{Replaced: true, Replacement: []byte{0xff}}); err == nil ||
		!strings.HasPrefix(err.Error(), "the new batch Rust answered does not decode: ") {
		t.Errorf("undecodable replacement: %v", err)
	}
}
