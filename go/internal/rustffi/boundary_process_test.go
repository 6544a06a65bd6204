//go:build otelcolrust_testcomponents && cgo

package rustffi

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// Guarantees: the result Go lends otelcol_rust_process has the layout Rust writes
// (rust/ffi/src/boundary.rs asserts the same numbers at compile time).
func TestProcessResultLayout(t *testing.T) {
	var out processOut
	got := []uintptr{unsafe.Sizeof(out), unsafe.Alignof(out),
		unsafe.Offsetof(out.status), unsafe.Offsetof(out.stages_run), unsafe.Offsetof(out.output),
		unsafe.Offsetof(out.replaced), unsafe.Offsetof(out.has_keep),
		unsafe.Offsetof(out.replacement), unsafe.Offsetof(out.replacement_len),
		unsafe.Offsetof(out.edits), unsafe.Offsetof(out.edits_len),
		unsafe.Offsetof(out.keep), unsafe.Offsetof(out.keep_items),
		unsafe.Offsetof(out.message_len), unsafe.Offsetof(out.message), uintptr(len(out.message))}
	want := []uintptr{1104, 8, 0, 4, 8, 16, 20, 24, 32, 40, 48, 56, 64, 72, 80, 1024}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("size, align, offsets of status, stages_run, output, replaced, has_keep, replacement, replacement_len, edits, edits_len, keep, keep_items, message_len, message, len(message):\ngot  %v\nwant %v", got, want)
	}
}

// startChaosProcessor creates and starts a rust_chaos processor with config and shuts it down
// when the test ends.
func startChaosProcessor(t testing.TB, name string, config map[string]any) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := ComponentID{Type: "rust_chaos", Name: name}
	h, _, err := CreateAndStart(ctx, KindProcessor, id, 0, config, HostInfo{})
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
	return uint64(h)
}

// scriptKeys answers each record of an edit script as "map:key=value" (set_str only).
func scriptKeys(t *testing.T, script []byte) []string {
	t.Helper()
	var out []string
	for len(script) > 0 {
		if len(script) < 9 || script[4] != 0 {
			t.Fatalf("not a set_str record: %x", script)
		}
		m := binary.LittleEndian.Uint32(script)
		n := binary.LittleEndian.Uint32(script[5:])
		key := string(script[9 : 9+n])
		script = script[9+n:]
		v := binary.LittleEndian.Uint32(script)
		out = append(out, fmt.Sprintf("%d:%s=%s", m, key, script[4:4+v]))
		script = script[4+v:]
	}
	return out
}

// Guarantees: one Process call runs a whole chain (three stages, each seeing the previous
// one's edits) and answers the run's edit script sorted by map; a chain whose second stage
// drops items ends there (StagesRun 2) with a keep bitmap of the batch's items; a replacement
// is a whole batch; a stage's error ends the run with its status and reason; Release frees
// the answer and may be called again.
func TestProcessRunsAChain(t *testing.T) {
	batch, items := traces(t, 3)
	path := func(name string) uint64 { return startChaosProcessor(t, name, map[string]any{"mode": "append_path"}) }
	a, b, c := path("a"), path("b"), path("c")

	result := Process([]uint64{a, b, c}, SignalTraces, batch, uint64(items))
	if result.Status != ProcessOK || result.StagesRun != 3 || result.Replaced || result.HasKeep {
		t.Fatalf("%+v", result)
	}
	got := strings.Join(scriptKeys(t, result.Edits), " ")
	// Maps 0 and 1 are the resource's and the scope's; 2, 3, 4 the spans'.
	want := "2:chaos.path=rust_chaos/a 2:chaos.path=rust_chaos/a/rust_chaos/b 2:chaos.path=rust_chaos/a/rust_chaos/b/rust_chaos/c " +
		"3:chaos.path=rust_chaos/a 3:chaos.path=rust_chaos/a/rust_chaos/b 3:chaos.path=rust_chaos/a/rust_chaos/b/rust_chaos/c " +
		"4:chaos.path=rust_chaos/a 4:chaos.path=rust_chaos/a/rust_chaos/b 4:chaos.path=rust_chaos/a/rust_chaos/b/rust_chaos/c"
	if got != want {
		t.Errorf("script\n%s\nwant\n%s", got, want)
	}
	result.Release()
	result.Release()
	if result.Edits != nil {
		t.Error("Release left the edits")
	}

	keep := startChaosProcessor(t, "keep", map[string]any{"mode": "keep_every", "every": 2})
	result = Process([]uint64{a, keep, c}, SignalTraces, batch, uint64(items))
	if result.Status != ProcessOK || result.StagesRun != 2 || !result.HasKeep || result.KeepItems != 3 || fmt.Sprint(result.Keep) != "[5]" {
		t.Errorf("keep: %+v", result)
	}
	result.Release()

	roundtrip := startChaosProcessor(t, "roundtrip", map[string]any{"mode": "roundtrip"})
	result = Process([]uint64{roundtrip}, SignalTraces, batch, uint64(items))
	request := ptraceotlp.NewExportRequest()
	if result.Status != ProcessOK || !result.Replaced || request.UnmarshalProto(result.Replacement) != nil || request.Traces().SpanCount() != 3 {
		t.Errorf("roundtrip: %+v", result)
	}
	result.Release()

	fail := startChaosProcessor(t, "fail", map[string]any{"mode": "fail_retryable"})
	result = Process([]uint64{a, fail, c}, SignalTraces, batch, uint64(items))
	if result.Status != ProcessRetryable || result.StagesRun != 2 || result.Message != "rust_chaos says retryable" || result.Edits != nil {
		t.Errorf("fail: %+v", result)
	}
	result.Release()
}

// Guarantees: an unknown handle is its stage's retryable error (a reload's shut-down instance
// is not the batch's fault), saying so (the stages before
// it ran); no handles at all is refused in Go.
func TestProcessRefusals(t *testing.T) {
	batch, items := traces(t, 1)
	a := startChaosProcessor(t, "refusals", map[string]any{"mode": "append_path"})
	result := Process([]uint64{a, 1 << 61}, SignalTraces, batch, uint64(items))
	if result.Status != ProcessRetryable || result.StagesRun != 2 || result.Message != fmt.Sprintf("no running processor instance %d", uint64(1<<61)) {
		t.Errorf("unknown handle: %+v", result)
	}
	result.Release()
	if result := Process(nil, SignalTraces, batch, uint64(items)); result.Status != ProcessPermanent || result.Message != "no processor to run" {
		t.Errorf("no handles: %+v", result)
	}
}

// Scenario: 8 goroutines run 200 batches each through one chain of two instances.
// Guarantees: concurrent runs on one chain each get their own whole answer (run under -race
// with the rest).
func TestProcessIsSafeForConcurrentUse(t *testing.T) {
	batch, items := traces(t, 5)
	a := startChaosProcessor(t, "concurrent-a", map[string]any{"mode": "append_path"})
	b := startChaosProcessor(t, "concurrent-b", map[string]any{"mode": "append_path"})
	first := Process([]uint64{a, b}, SignalTraces, batch, uint64(items))
	want := string(first.Edits)
	first.Release()
	if len(scriptKeys(t, []byte(want))) != 10 {
		t.Fatalf("script %x", want)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 200 {
				result := Process([]uint64{a, b}, SignalTraces, batch, uint64(items))
				if result.Status != ProcessOK || result.StagesRun != 2 || string(result.Edits) != want {
					errs <- fmt.Sprintf("%+v", result)
					result.Release()
					return
				}
				result.Release()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
