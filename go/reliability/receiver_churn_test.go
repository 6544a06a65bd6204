//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rusttelemetry"
	"github.com/otelcol-rust/otelcol-rust/go/rustreceiver"
)

// receiverChurnCycles is 10,000 (about 7 s; `make test` runs it so for RSS), 1,000 under the
// race detector (which is there for the concurrency, not the count: 10,000 take 30 s there), or
// 100,000 with RELIABILITY_LONG=1.
func receiverChurnCycles() int {
	switch {
	case longRun():
		return 100_000
	case raceEnabled:
		return 1_000
	}
	return 10_000
}

// Scenario: 10,000 lifecycles (1,000 under -race; RELIABILITY_LONG=1: 100,000) of a
// rust_otlphttp receiver built by the real factory as the collector builds one in a traces and
// a logs pipeline: created for both signals with one config (one shared Go receiver and Rust
// instance), started twice (once per pipeline), one post of a one-item batch (traces and logs
// in turn) to the port it was given (endpoint port 0; the port read from its log record), shut
// down twice.
// Guarantees: every lifecycle serves its post (200, the item in the sink once); afterwards the
// live-instance count is back where it was, no goroutine is left, the open file descriptors
// are as many as before (within 16), and RSS grew by less than 16 MiB (checked without the
// race detector).
func TestReceiverLifecycleChurn(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cycles := receiverChurnCycles()
	before := liveInstances(t)
	factory := rustreceiver.NewFactory("rust_otlphttp")
	s := newSeqSink()
	next := seqExporter{s}
	// A new connection per post: each lifecycle has its own port.
	transport := &http.Transport{DisableKeepAlives: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	host := componenttest.NewNopHost()
	ctx := context.Background()

	cycle := func(i int) {
		cfg := factory.CreateDefaultConfig()
		if err := cfg.(confmap.Unmarshaler).Unmarshal(confmap.NewFromStringMap(map[string]any{"endpoint": "127.0.0.1:0"})); err != nil {
			t.Fatal(err)
		}
		set := receivertest.NewNopSettings(factory.Type())
		// The receiver logs the port it was given; its records reach this logger.
		core, records := observer.New(zapcore.InfoLevel)
		set.Logger = zap.New(core)
		traces, err := factory.CreateTraces(ctx, set, cfg, next)
		if err != nil {
			t.Fatal(err)
		}
		logs, err := factory.CreateLogs(ctx, set, cfg, next)
		if err != nil {
			t.Fatal(err)
		}
		if err := traces.Start(ctx, host); err != nil {
			t.Fatalf("cycle %d: start: %v", i, err)
		}
		if err := logs.Start(ctx, host); err != nil {
			t.Fatalf("cycle %d: start: %v", i, err)
		}
		rusttelemetry.Flush() // the records Rust wrote so far, now
		listening := records.FilterMessage("listening for OTLP/HTTP").All()
		if len(listening) != 1 {
			t.Fatalf("cycle %d: %d records of the listening address: %v", i, len(listening), records.All())
		}
		endpoint := fmt.Sprint(listening[0].ContextMap()["endpoint"])
		var batch any = spansWithSeq(int64(i), 1)
		if i%2 == 1 {
			ld := plog.NewLogs()
			ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes().PutInt("test.seq", int64(i))
			batch = ld
		}
		if r := newPost(batch, false, false).send(client, endpoint); r.err != nil || r.status != http.StatusOK {
			t.Fatalf("cycle %d: post: %v", i, r)
		}
		if err := traces.Shutdown(ctx); err != nil {
			t.Fatalf("cycle %d: shutdown: %v", i, err)
		}
		if err := logs.Shutdown(ctx); err != nil {
			t.Fatalf("cycle %d: shutdown: %v", i, err)
		}
	}
	const warmUp = 100 // the runtime, the delivery threads, caches, the Go heap
	for i := range warmUp {
		cycle(-1 - i)
	}
	runtime.GC()
	rssBefore, filesBefore := rssBytes(t), openFiles(t)
	began := time.Now()
	for i := range cycles {
		cycle(i)
	}
	took := time.Since(began)
	runtime.GC()
	rssAfter, filesAfter := rssBytes(t), openFiles(t)

	seqs, _ := s.snapshot()
	for i := range cycles {
		if n := seqs[int64(i)]; n != 1 {
			t.Errorf("cycle %d's item arrived %d times", i, n)
			break
		}
	}
	t.Logf("%d receiver lifecycles in %v (%v each); RSS %.1f MiB -> %.1f MiB (race detector: %v); open files %d -> %d",
		cycles, took, took/time.Duration(cycles), float64(rssBefore)/(1<<20), float64(rssAfter)/(1<<20), raceEnabled, filesBefore, filesAfter)
	if n := liveInstances(t); n != before {
		t.Errorf("%d Rust instances left", n-before)
	}
	if filesAfter > filesBefore+16 {
		t.Errorf("open files %d -> %d over %d lifecycles", filesBefore, filesAfter, cycles)
	}
	if growth := rssAfter - rssBefore; !raceEnabled && growth > 16<<20 {
		t.Errorf("RSS grew by %.1f MiB over %d lifecycles", float64(growth)/(1<<20), cycles)
	}
}
