//go:build otelcolrust_testcomponents && cgo

package rustffi

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// startChaosExporter creates and starts a rust_chaos exporter (the test archive's) with config
// and shuts it down when the test ends.
func startChaosExporter(t testing.TB, name string, config map[string]any) Handle {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := ComponentID{Type: "rust_chaos", Name: name}
	h, _, err := CreateAndStart(ctx, KindExporter, id, 0, config, HostInfo{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := Shutdown(ctx, id, 0, h); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return h
}

// traces marshals n spans as the Go OTLP exporters do, and answers the bytes and the count.
func traces(t testing.TB, n int) ([]byte, int) {
	t.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "rustffi-test")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range n {
		span := spans.AppendEmpty()
		span.SetName("span " + strconv.Itoa(i))
		span.SetTraceID([16]byte{1, 2, 3, byte(i)})
		span.SetSpanID([8]byte{4, 5, byte(i)})
		span.Attributes().PutStr("http.method", "GET")
		span.Attributes().PutInt("http.status_code", 200)
	}
	batch, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return batch, td.SpanCount()
}

// within is a context that ends d from now (or with the test).
func within(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Guarantees: every outcome a Rust exporter answers reaches Go as it was given, with its
// retry-after hint, rejected count and reason; a panic is that batch's permanent error and
// the instance answers the next batch.
func TestExportOutcomes(t *testing.T) {
	batch, items := traces(t, 3)
	h := startChaosExporter(t, "outcomes", map[string]any{
		"outcomes": []any{"ok", "retryable", "retryable:250", "permanent", "partial:2", "panic", "ok"},
		"decode":   true,
	})
	want := []ExportResult{
		{Outcome: ExportOK},
		{Outcome: ExportRetryable, Message: "rust_chaos says retryable"},
		{Outcome: ExportRetryable, RetryAfter: 250 * time.Millisecond, Message: "rust_chaos says retryable"},
		{Outcome: ExportPermanent, Message: "rust_chaos says permanent"},
		{Outcome: ExportPartial, Rejected: 2, Message: "rust_chaos says partial"},
		{Outcome: ExportPermanent, Message: "rust exporter panicked: rust_chaos panics in export"},
		{Outcome: ExportOK},
	}
	before, err := LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if got := Export(within(t, 10*time.Second), h, SignalTraces, batch, items); got != w {
			t.Errorf("batch %d: got %+v, want %+v", i, got, w)
		}
	}
	after, err := LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if after.Exports-before.Exports != 7 || after.ExportErrors-before.ExportErrors != 4 || after.ExportPanics-before.ExportPanics != 1 {
		t.Errorf("library metrics went from %+v to %+v: want 7 exports, 4 errors, 1 panic", before, after)
	}
	// The decode check refuses a count the bytes do not hold: the bytes reached Rust whole.
	if got := Export(within(t, 10*time.Second), h, SignalTraces, batch, items+1); got.Outcome != ExportPermanent ||
		got.Message != "decoded 3 items, the collector counted 4" {
		t.Errorf("miscounted batch: %+v", got)
	}
}

// Guarantees: ctx bounds an export: its deadline cuts a hanging one (retryable, at the
// deadline), its cancellation too, whenever it comes; an expired or cancelled ctx answers at
// once.
func TestExportIsBoundedByItsContext(t *testing.T) {
	h := startChaosExporter(t, "hang", map[string]any{"outcomes": []any{"hang"}})
	began := time.Now()
	got := Export(within(t, 50*time.Millisecond), h, SignalLogs, []byte{}, 0)
	// Rust reports the time it was given: 50ms less the time to reach it.
	if given := timedOutAfter(t, got); given <= 0 || given > 50*time.Millisecond {
		t.Errorf("deadline: got %+v, want a timeout after at most 50ms", got)
	}
	if elapsed := time.Since(began); elapsed > 5*time.Second {
		t.Errorf("the deadline cut the export after %v", elapsed)
	}

	for _, delay := range []time.Duration{0, time.Millisecond, 20 * time.Millisecond} {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(delay, cancel)
		got := Export(ctx, h, SignalLogs, nil, 0)
		if want := (ExportResult{Outcome: ExportRetryable, Message: "export cancelled"}); got != want {
			t.Errorf("cancelled after %v: got %+v, want %+v", delay, got, want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := Export(ctx, h, SignalLogs, nil, 0); got.Message != "export cancelled" {
		t.Errorf("cancelled context: %+v", got)
	}
	expired, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	if got := Export(expired, h, SignalLogs, nil, 0); timedOutAfter(t, got) != 0 {
		t.Errorf("expired context: %+v", got)
	}
}

// timedOutAfter answers the time an export that timed out says it was given (-1 and an error
// if it did not time out).
func timedOutAfter(t testing.TB, got ExportResult) time.Duration {
	t.Helper()
	given, found := strings.CutPrefix(got.Message, "export timed out after ")
	d, err := time.ParseDuration(given)
	if got.Outcome != ExportRetryable || !found || err != nil {
		t.Errorf("not a timeout: %+v", got)
		return -1
	}
	return d
}

// chaosBatches answers how many batches the rust_chaos instance behind h has received.
func chaosBatches(t testing.TB, h Handle) int64 {
	t.Helper()
	series, err := ReadMetrics(h)
	if err != nil {
		t.Fatal(err)
	}
	var batches int64
	for _, s := range series {
		// rust_chaos registers rust_chaos_batches first.
		if s.Instrument == 0 {
			n, err := s.Value.Int64()
			if err != nil {
				t.Fatal(err)
			}
			batches += n
		}
	}
	return batches
}

// Scenario: with room for 4 exports inside Rust, 4 exports that never end (until their 2s
// deadline) are in Rust, then 4 more with a 100ms deadline arrive.
// Guarantees: no more exports than the bound cross at once (each holds an OS thread); the
// others wait as goroutines and answer retryable at their own deadline without crossing;
// every export answers.
func TestExportCrossingsAreBounded(t *testing.T) {
	const limit = 4
	saved := crossings
	crossings = make(chan struct{}, limit)
	t.Cleanup(func() { crossings = saved })
	h := startChaosExporter(t, "bounded", map[string]any{"outcomes": []any{"hang"}})

	var wg sync.WaitGroup
	results := make(chan ExportResult, 2*limit)
	for range limit {
		wg.Go(func() { results <- Export(within(t, 2*time.Second), h, SignalTraces, nil, 0) })
	}
	// Wait (bounded) until the first ones are inside Rust.
	for began := time.Now(); chaosBatches(t, h) < limit; {
		if time.Since(began) > 10*time.Second {
			t.Fatalf("%d of %d exports reached Rust", chaosBatches(t, h), limit)
		}
		time.Sleep(time.Millisecond)
	}
	waiting := make(chan time.Duration, limit)
	for range limit {
		wg.Go(func() {
			began := time.Now()
			got := Export(within(t, 100*time.Millisecond), h, SignalTraces, nil, 0)
			waiting <- time.Since(began)
			results <- got
		})
	}
	for range limit {
		// At their deadline, well before the first ones' 2s.
		if took := <-waiting; took > time.Second {
			t.Errorf("a waiting export answered after %v, want about 100ms", took)
		}
	}
	if n := chaosBatches(t, h); n != limit {
		t.Errorf("%d exports reached Rust, want at most %d at once", n, limit)
	}
	wg.Wait()
	close(results)
	for got := range results {
		if given := timedOutAfter(t, got); given <= 0 || given > 2*time.Second {
			t.Errorf("got %+v, want a timeout", got)
		}
	}
}

// Guarantees: the result struct Go lends has the layout Rust writes (rust/ffi/src/boundary.rs
// asserts the same numbers at compile time): Rust writes into this memory, so a mismatch
// would corrupt the goroutine's stack.
func TestExportResultLayout(t *testing.T) {
	var out exportOut
	got := []uintptr{unsafe.Sizeof(out), unsafe.Alignof(out), unsafe.Offsetof(out.outcome),
		unsafe.Offsetof(out.retry_after_ns), unsafe.Offsetof(out.rejected),
		unsafe.Offsetof(out.message_len), unsafe.Offsetof(out.message), uintptr(len(out.message))}
	want := []uintptr{1056, 8, 0, 8, 16, 24, 32, 1024}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("size, align, offsets of outcome, retry_after_ns, rejected, message_len, message, len(message): got %v, want %v", got, want)
	}
}

// Guarantees: only a running exporter exports: an unknown handle, an extension's, a shut-down
// one and a signal out of range are permanent failures that say so.
func TestExportRefusals(t *testing.T) {
	ctx := within(t, 10*time.Second)
	if got := Export(ctx, Handle(1<<61), SignalTraces, nil, 0); got.Outcome != ExportPermanent ||
		got.Message != fmt.Sprintf("no running exporter instance %d", uint64(1<<61)) {
		t.Errorf("unknown handle: %+v", got)
	}
	id := ComponentID{Type: "rust_chaos", Name: "ext"}
	ext, _, err := CreateAndStart(ctx, KindExtension, id, 0, nil, HostInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if got := Export(ctx, ext, SignalTraces, nil, 0); got.Message != fmt.Sprintf("no running exporter instance %d", ext) {
		t.Errorf("extension handle: %+v", got)
	}
	if _, err := Shutdown(ctx, id, 0, ext); err != nil {
		t.Fatal(err)
	}
	exp, _, err := CreateAndStart(ctx, KindExporter, id, 0, nil, HostInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if got := Export(ctx, exp, Signal(7), nil, 0); got.Outcome != ExportPermanent || got.Message != "malformed signal sent by Go: 7" {
		t.Errorf("signal 7: %+v", got)
	}
	if _, err := Shutdown(ctx, id, 0, exp); err != nil {
		t.Fatal(err)
	}
	if got := Export(ctx, exp, SignalTraces, nil, 0); got.Message != fmt.Sprintf("no running exporter instance %d", exp) {
		t.Errorf("shut-down handle: %+v", got)
	}
}

// Guarantees: Rust reads the batch where Go holds it: the address the exporter sees is the
// caller's slice, so nothing copied it on the way.
func TestExportLendsTheBatchWithoutCopying(t *testing.T) {
	h := startChaosExporter(t, "address", map[string]any{"outcomes": []any{"address"}})
	batch, items := traces(t, 100)
	got := Export(within(t, 10*time.Second), h, SignalTraces, batch, items)
	want := fmt.Sprintf("batch at %#x len %d", uintptr(unsafe.Pointer(&batch[0])), len(batch))
	if got.Outcome != ExportPartial || got.Message != want {
		t.Fatalf("got %+v, want a partial success reading %q", got, want)
	}
}

// Scenario: 16 goroutines export 100 batches each into one instance that decodes every batch
// and takes a millisecond to answer, so exports overlap; run under -race.
// Guarantees: concurrent exports are safe and each batch arrives whole, once: the instance
// counted every batch and item.
func TestConcurrentExports(t *testing.T) {
	h := startChaosExporter(t, "concurrent", map[string]any{"decode": true, "delay_ms": 1})
	const goroutines, each = 16, 100
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			batch, items := traces(t, 1+g)
			for range each {
				if got := Export(within(t, 10*time.Second), h, SignalTraces, batch, items); got.Outcome != ExportOK {
					errs <- fmt.Errorf("goroutine %d: %+v", g, got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	series, err := ReadMetrics(h)
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]int64{}
	instruments := []string{"rust_chaos_batches", "rust_chaos_items", "rust_chaos_bytes", "rust_chaos_decoded_items"}
	for _, s := range series {
		n, err := s.Value.Int64()
		if err != nil {
			t.Fatal(err)
		}
		counted[instruments[s.Instrument]] += n
	}
	// Spans: 1 + 2 + ... + 16 per round.
	const spans = each * goroutines * (goroutines + 1) / 2
	if counted["rust_chaos_batches"] != goroutines*each || counted["rust_chaos_items"] != spans || counted["rust_chaos_decoded_items"] != spans {
		t.Errorf("counted %v: want %d batches and %d items and decoded items", counted, goroutines*each, spans)
	}
}

// Guarantees: a zero-length batch crosses as an empty request (nil or empty slice alike).
func TestEmptyBatches(t *testing.T) {
	h := startChaosExporter(t, "empty", map[string]any{"decode": true})
	for _, batch := range [][]byte{nil, {}} {
		if got := Export(within(t, 10*time.Second), h, SignalMetrics, batch, 0); got.Outcome != ExportOK {
			t.Errorf("%#v: %+v", batch, got)
		}
	}
}
