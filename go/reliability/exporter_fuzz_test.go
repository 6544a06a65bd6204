//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
)

// startTracesExporter creates and starts the traces exporter of Rust type typ with conf (a
// section as written under `exporters:`), through its real factory and exporterhelper, as the
// collector does; it is shut down when the test ends.
func startTracesExporter(t testing.TB, typ string, conf map[string]any) exporter.Traces {
	t.Helper()
	exp := newTracesExporter(t, rustexporter.NewFactory(typ), conf)
	t.Cleanup(func() {
		if err := exp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return exp
}

// newTracesExporter creates and starts a traces exporter of factory with conf; the caller
// shuts it down.
func newTracesExporter(t testing.TB, factory exporter.Factory, conf map[string]any) exporter.Traces {
	t.Helper()
	cfg := factory.CreateDefaultConfig()
	if err := cfg.(confmap.Unmarshaler).Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	set := exportertest.NewNopSettings(factory.Type())
	set.ID = component.NewIDWithName(factory.Type(), "reliability")
	exp, err := factory.CreateTraces(context.Background(), set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	return exp
}

// synchronousSection answers a section whose ConsumeTraces returns the export's own outcome:
// no queue, no retry.
func synchronousSection(section map[string]any) map[string]any {
	section["sending_queue"] = map[string]any{"enabled": false}
	section["retry_on_failure"] = map[string]any{"enabled": false}
	section["timeout"] = "30s"
	return section
}

// hugeCase is one batch of the randomized test and whether Rust can decode it.
type hugeCase struct {
	name    string
	td      ptrace.Traces
	decodes bool   // prost (rust_chaos with `decode`) accepts it
	refusal string // else, part of the decode error
	what    string // what makes it huge, for the log
}

// nested puts depth maps, each inside the previous one, under key.
func nested(m pcommon.Map, key string, depth int) {
	for range depth {
		m = m.PutEmptyMap(key)
	}
	m.PutStr("leaf", "here")
}

// hugeCases makes n batches of one span each (with a unique test.seq), each huge in one
// random way: 1-3 string values of 1 MiB, a bytes value of 1 MiB, 10,000 attributes, map
// values nested 1-20 deep (Rust decodes them) or 40-200 deep (beyond prost's recursion limit
// of 100 nested messages: each map level is 3 messages), or a string that is not UTF-8 (which
// Go carries and prost refuses).
func hugeCases(g *generator, n int) []hugeCase {
	cases := make([]hugeCase, 0, n)
	for i := range n {
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		g.resource(rs.Resource())
		span := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		span.SetName("huge")
		span.SetTraceID(g.traceID())
		span.SetSpanID(g.spanID())
		attrs := span.Attributes()
		attrs.PutInt("test.seq", g.nextSeq())
		c := hugeCase{td: td, decodes: true}
		switch kind := i % 6; kind {
		case 0:
			values := 1 + g.rng.IntN(3)
			for v := range values {
				attrs.PutStr(fmt.Sprintf("huge.%d", v), strings.Repeat(g.text(64), 1<<14)) // 1 MiB of runes' bytes or more
			}
			c.name, c.what = "strings", fmt.Sprintf("%d string values of >= 1 MiB", values)
		case 1:
			attrs.PutEmptyBytes("huge.bytes").FromRaw(g.bytes(1 << 20))
			c.name, c.what = "bytes", "a 1 MiB bytes value"
		case 2:
			for a := range 10_000 {
				g.value(attrs.PutEmpty(fmt.Sprintf("attribute.%05d", a)), 0)
			}
			c.name, c.what = "attributes", "10,000 attributes"
		case 3, 4:
			depth := 1 + g.rng.IntN(20)
			if kind == 4 {
				depth = 40 + g.rng.IntN(161)
				// prost's error names every enclosing field first; the 1 KiB reason crossing
				// the boundary ends before its cause ("recursion limit reached").
				c.decodes, c.refusal = false, "malformed traces batch: failed to decode Protobuf message: KeyValue.value: KeyValueList.values"
			}
			nested(attrs, "deep", depth)
			c.name, c.what = "nesting", fmt.Sprintf("maps nested %d deep", depth)
		case 5:
			attrs.PutStr("not.utf8", "valid, then \xff\xfe not")
			c.name, c.what = "utf8", "a string value that is not UTF-8"
			c.decodes, c.refusal = false, "invalid string value: data is not UTF-8 encoded"
		}
		cases = append(cases, c)
	}
	return cases
}

// Scenario: 12 batches (36 with RELIABILITY_LONG=1), each huge in one random way (see
// hugeCases), are consumed by a rust_chaos traces exporter that decodes every batch, and by a
// rust_otlphttp exporter sending to collector B's real otlp receiver, both built by the real
// factory and exporterhelper without queue or retry, so that a consume call answers the
// export's outcome.
// Guarantees: nothing crashes; rust_chaos answers ok for every batch prost can decode (it
// counted every span) and a permanent error naming the decode failure for the others (maps
// nested beyond prost's recursion limit, non-UTF-8 strings); rust_otlphttp, which reads the
// bytes without decoding them, delivers every batch to B identical.
func TestHugeBatchesThroughTheGoPath(t *testing.T) {
	n := 12
	if os.Getenv("RELIABILITY_LONG") != "" {
		n = 36
	}
	before := liveInstances(t)
	chaos := startTracesExporter(t, "rust_chaos", synchronousSection(map[string]any{"decode": true}))
	bEndpoint := testutil.FreeEndpoint(t)
	received := &sink{}
	runB(t, bEndpoint, received)
	otlphttp := startTracesExporter(t, "rust_otlphttp", synchronousSection(map[string]any{"endpoint": "http://" + bEndpoint}))

	g := newGenerator(5)
	want := &sent{}
	for _, c := range hugeCases(g, n) {
		began := time.Now()
		err := chaos.ConsumeTraces(context.Background(), c.td)
		switch {
		case c.decodes && err != nil:
			t.Errorf("%s (%s): rust_chaos refused a batch Rust decodes: %v", c.name, c.what, err)
		case !c.decodes && (!consumererror.IsPermanent(err) || !strings.Contains(err.Error(), c.refusal)):
			t.Errorf("%s (%s): got %v, want a permanent error with %q", c.name, c.what, err, c.refusal)
		}
		if err := otlphttp.ConsumeTraces(context.Background(), c.td); err != nil {
			t.Errorf("%s (%s): rust_otlphttp: %v", c.name, c.what, err)
		}
		want.traces, want.spans = append(want.traces, c.td), want.spans+1
		t.Logf("%s: %s, %d bytes, both exports in %v; rust_chaos answered %v", c.name, c.what,
			len(tracesRequest(c.td)), time.Since(began), err)
	}
	requireArrived(t, want, received)
	if n := liveInstances(t); n != before+2 {
		t.Errorf("%d Rust instances for 2 exporters", n-before)
	}
}

// FuzzExportBatch hands arbitrary bytes, as any signal (and an unknown one), with any item
// count, to a rust_chaos exporter that decodes every batch, through rustffi.Export: Go's
// memory lent to Rust under the race detector and Go's default pointer checks. Seeds: a
// generated batch of each signal, empty, truncated. `make reliability` fuzzes it for
// minutes; `make test` runs the seeds.
//
// Guarantees: every input gets an answer, never a crash or hang; the answer is well formed
// (ok or permanent, no retry hint, nothing rejected, a UTF-8 reason of at most 1 KiB, none
// when ok); ok only for bytes Go's pdata also decodes as that signal with that item count.
func FuzzExportBatch(f *testing.F) {
	g := newGenerator(6)
	traces, metrics, logs := tracesRequest(g.traces()), metricsRequest(g.metrics()), logsRequest(g.logs())
	for signal, batch := range [][]byte{traces, metrics, logs} {
		items, _ := itemsOf(rustffi.Signal(signal), batch)
		f.Add(uint8(signal), batch, uint16(items))
		f.Add(uint8(signal), batch[:len(batch)/2], uint16(items))
		f.Add(uint8(signal), []byte{}, uint16(0))
	}
	f.Add(uint8(3), traces, uint16(1))
	ctx := context.Background()
	id := rustffi.ComponentID{Type: "rust_chaos", Name: "fuzz"}
	h, _, err := rustffi.CreateAndStart(ctx, rustffi.KindExporter, id, 0, map[string]any{"decode": true}, rustffi.HostInfo{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if _, err := rustffi.Shutdown(ctx, id, 0, h); err != nil {
			f.Error(err)
		}
	})
	f.Fuzz(func(t *testing.T, signal uint8, batch []byte, items uint16) {
		sig := rustffi.Signal(signal % 4)
		result := rustffi.Export(ctx, h, sig, batch, int(items))
		if result.Outcome != rustffi.ExportOK && result.Outcome != rustffi.ExportPermanent {
			t.Fatalf("outcome %d (%s)", result.Outcome, result.Message)
		}
		if result.RetryAfter != 0 || result.Rejected != 0 || len(result.Message) > 1024 || !utf8.ValidString(result.Message) {
			t.Fatalf("malformed answer %+v", result)
		}
		if result.Outcome == rustffi.ExportOK {
			if result.Message != "" {
				t.Fatalf("ok with a reason: %q", result.Message)
			}
			if n, ok := itemsOf(sig, batch); !ok || n != int(items) {
				t.Fatalf("Rust accepted %d items as %v; Go's pdata decodes: %v, %d items", items, sig, ok, n)
			}
		} else if result.Message == "" {
			t.Fatal("permanent without a reason")
		}
	})
}

// itemsOf decodes batch as signal's OTLP request with Go's pdata and counts its items.
func itemsOf(signal rustffi.Signal, batch []byte) (int, bool) {
	switch signal {
	case rustffi.SignalTraces:
		request := ptraceotlp.NewExportRequest()
		if request.UnmarshalProto(batch) != nil {
			return 0, false
		}
		return request.Traces().SpanCount(), true
	case rustffi.SignalMetrics:
		request := pmetricotlp.NewExportRequest()
		if request.UnmarshalProto(batch) != nil {
			return 0, false
		}
		return request.Metrics().DataPointCount(), true
	case rustffi.SignalLogs:
		request := plogotlp.NewExportRequest()
		if request.UnmarshalProto(batch) != nil {
			return 0, false
		}
		return request.Logs().LogRecordCount(), true
	}
	return 0, false
}
