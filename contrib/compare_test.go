package contrib

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The comparisons are exact: two batches are equal when their OTLP protobuf encodings are
// byte for byte equal (pdata encodes deterministically, in the batch's order), so the order
// of resources, scopes, items, attributes inside every map (redaction's order is specified:
// masked in place, removed by swap-remove, summaries appended) and every value's type count.
// pdatatest's Compare* functions are not used: they compare attribute maps as sets.

// signal is what the tests need of one signal's batches: encode for the exact comparison,
// render as indented JSON (in order) to show where two batches differ, and copy.
type signal[T any] struct {
	name   string
	proto  func(T) ([]byte, error)
	json   func(T) ([]byte, error)
	copyOf func(T) T
	items  func(T) int
}

var (
	tracesSignal = signal[ptrace.Traces]{
		name:   "traces",
		proto:  (&ptrace.ProtoMarshaler{}).MarshalTraces,
		json:   (&ptrace.JSONMarshaler{}).MarshalTraces,
		copyOf: func(td ptrace.Traces) ptrace.Traces { c := ptrace.NewTraces(); td.CopyTo(c); return c },
		items:  ptrace.Traces.SpanCount,
	}
	metricsSignal = signal[pmetric.Metrics]{
		name:   "metrics",
		proto:  (&pmetric.ProtoMarshaler{}).MarshalMetrics,
		json:   (&pmetric.JSONMarshaler{}).MarshalMetrics,
		copyOf: func(md pmetric.Metrics) pmetric.Metrics { c := pmetric.NewMetrics(); md.CopyTo(c); return c },
		items:  pmetric.Metrics.DataPointCount,
	}
	logsSignal = signal[plog.Logs]{
		name:   "logs",
		proto:  (&plog.ProtoMarshaler{}).MarshalLogs,
		json:   (&plog.JSONMarshaler{}).MarshalLogs,
		copyOf: func(ld plog.Logs) plog.Logs { c := plog.NewLogs(); ld.CopyTo(c); return c },
		items:  plog.Logs.LogRecordCount,
	}
)

// equalBatches fails the test unless got holds the same batches as want, in the same order,
// each exactly equal; the message shows the first lines where they differ.
func equalBatches[T any](tb testing.TB, sig signal[T], what string, want, got []T) {
	tb.Helper()
	if len(want) != len(got) {
		tb.Fatalf("%s %s: %d batches passed on, want %d (the Go processors passed on %d items, these %d)",
			what, sig.name, len(got), len(want), countItems(sig, want), countItems(sig, got))
	}
	for i := range want {
		if diff := difference(sig, want[i], got[i]); diff != "" {
			tb.Fatalf("%s %s, batch %d differs from the Go processors' output (- Go, + Rust):\n%s", what, sig.name, i, diff)
		}
	}
}

func countItems[T any](sig signal[T], batches []T) int {
	n := 0
	for _, b := range batches {
		n += sig.items(b)
	}
	return n
}

// difference is "" when want and got encode to the same bytes, else the first differing
// lines of their indented JSON, with context.
func difference[T any](sig signal[T], want, got T) string {
	a, errA := sig.proto(want)
	b, errB := sig.proto(got)
	if errA != nil || errB != nil {
		return fmt.Sprintf("cannot encode: %v %v", errA, errB)
	}
	if bytes.Equal(a, b) {
		return ""
	}
	wantLines, gotLines := jsonLines(sig, want), jsonLines(sig, got)
	first := 0
	for first < len(wantLines) && first < len(gotLines) && wantLines[first] == gotLines[first] {
		first++
	}
	if first == len(wantLines) && first == len(gotLines) {
		return "the encodings differ, their JSON does not (a field JSON does not show)"
	}
	var out strings.Builder
	from := max(0, first-8)
	for _, line := range wantLines[from:first] {
		fmt.Fprintf(&out, "  %s\n", line)
	}
	for _, line := range wantLines[first:min(len(wantLines), first+12)] {
		fmt.Fprintf(&out, "- %s\n", line)
	}
	for _, line := range gotLines[first:min(len(gotLines), first+12)] {
		fmt.Fprintf(&out, "+ %s\n", line)
	}
	return out.String()
}

func jsonLines[T any](sig signal[T], data T) []string {
	raw, err := sig.json(data)
	if err != nil {
		return []string{err.Error()}
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, raw, "", "  "); err != nil {
		return []string{err.Error()}
	}
	return strings.Split(indented.String(), "\n")
}
