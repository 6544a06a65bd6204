//go:build otelcolrust_testcomponents

package reliability

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.uber.org/goleak"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
)

// destination is a local OTLP/HTTP traces endpoint: it decodes every request (gzip or not)
// and counts, per `test.seq` attribute, the spans it received, and remembers the highest
// `x-generation` header it saw.
type destination struct {
	*httptest.Server
	mu         sync.Mutex
	seqs       map[int64]int
	spans      int
	generation atomic.Int64
}

func newDestination(t *testing.T) *destination {
	t.Helper()
	d := &destination{seqs: map[int64]int{}}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.Close)
	return d
}

func (d *destination) serve(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		unzipped, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = unzipped
	}
	data, err := io.ReadAll(body)
	request := ptraceotlp.NewExportRequest()
	if err == nil {
		err = request.UnmarshalProto(data)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if generation, err := strconv.ParseInt(r.Header.Get("X-Generation"), 10, 64); err == nil {
		for seen := d.generation.Load(); generation > seen && !d.generation.CompareAndSwap(seen, generation); {
			seen = d.generation.Load()
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, rs := range request.Traces().ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				d.spans++
				if seq, ok := span.Attributes().Get("test.seq"); ok {
					d.seqs[seq.Int()]++
				}
			}
		}
	}
	// An empty 200 is a full success for OTLP/HTTP.
	w.WriteHeader(http.StatusOK)
}

func (d *destination) received() (spans int, seqs map[int64]int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	seqs = make(map[int64]int, len(d.seqs))
	for seq, n := range d.seqs {
		seqs[seq] = n
	}
	return d.spans, seqs
}

// spansWithSeq is a batch of n spans numbered from seq on.
func spansWithSeq(seq int64, n int) ptrace.Traces {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	for i := range n {
		span := spans.AppendEmpty()
		span.SetName("churn")
		span.Attributes().PutInt("test.seq", seq+int64(i))
	}
	return td
}

// churnCycles is 500 (200 under the race detector, which is there for the concurrency, not
// the count), or 10,000 with RELIABILITY_LONG=1.
func churnCycles() int {
	switch {
	case os.Getenv("RELIABILITY_LONG") != "":
		return 10_000
	case raceEnabled:
		return 200
	}
	return 500
}

// Scenario: 500 lifecycles (200 under -race; RELIABILITY_LONG=1: 10,000) of a rust_otlphttp
// traces exporter built by the real factory with the default sending_queue (create, start,
// one batch of 2 spans, shutdown), alternately gzip and uncompressed, each sending to a local
// HTTP server, while a goroutine (one core; the churn has the other) keeps exporting through
// a long-lived rust_chaos exporter (decoding every batch) whose instance lives in the same
// table.
// Guarantees: every lifecycle's batch reaches the server (shutdown drains the queue before the
// Rust instance stops); the traffic beside the churn never fails; afterwards the live-instance
// count is back where it was, no goroutine is left, and RSS grew by less than 16 MiB (checked
// without the race detector).
func TestExporterLifecycleChurn(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cycles := churnCycles()
	before := liveInstances(t)
	server := newDestination(t)
	factory := rustexporter.NewFactory("rust_otlphttp")

	traffic := newTracesExporter(t, rustexporter.NewFactory("rust_chaos"), synchronousSection(map[string]any{"decode": true}))
	stop := make(chan struct{})
	var exported, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		batch := spansWithSeq(0, 3)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := traffic.ConsumeTraces(context.Background(), batch); err != nil {
				failed.Add(1)
				t.Errorf("traffic beside the churn: %v", err)
				return
			}
			exported.Add(1)
		}
	})

	cycle := func(i int) {
		compression := []string{"gzip", "none"}[i%2]
		exp := newTracesExporter(t, factory, map[string]any{"endpoint": server.URL, "compression": compression})
		if err := exp.ConsumeTraces(context.Background(), spansWithSeq(int64(2*i), 2)); err != nil {
			t.Fatalf("cycle %d: %v", i, err)
		}
		if err := exp.Shutdown(context.Background()); err != nil {
			t.Fatalf("cycle %d: shutdown: %v", i, err)
		}
	}
	const warmUp = 50 // the runtime, connection pools, caches, the Go heap
	for i := range warmUp {
		cycle(i)
	}
	runtime.GC()
	rssBefore := rssBytes(t)
	began := time.Now()
	for i := warmUp; i < warmUp+cycles; i++ {
		cycle(i)
	}
	took := time.Since(began)
	close(stop)
	wg.Wait()
	runtime.GC()
	rssAfter := rssBytes(t)

	spans, seqs := server.received()
	if spans != 2*(warmUp+cycles) || len(seqs) != 2*(warmUp+cycles) {
		t.Errorf("the server received %d spans (%d distinct) from %d lifecycles of 2", spans, len(seqs), warmUp+cycles)
	}
	t.Logf("%d exporter lifecycles in %v (%v each) beside %d exports of traffic; RSS %.1f MiB -> %.1f MiB (race detector: %v)",
		cycles, took, took/time.Duration(cycles), exported.Load(), float64(rssBefore)/(1<<20), float64(rssAfter)/(1<<20), raceEnabled)
	if exported.Load() == 0 || failed.Load() != 0 {
		t.Errorf("traffic: %d exports, %d failed", exported.Load(), failed.Load())
	}
	if err := traffic.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := liveInstances(t); n != before {
		t.Errorf("%d Rust instances left", n-before)
	}
	if growth := rssAfter - rssBefore; !raceEnabled && growth > 16<<20 {
		t.Errorf("RSS grew by %.1f MiB over %d lifecycles", float64(growth)/(1<<20), cycles)
	}
	server.Close() // its connection goroutines, before goleak looks
}

// Scenario: an in-process collector runs otlp receiver -> rust_otlphttp (default
// sending_queue) -> a local HTTP server; a client keeps posting batches of 2 numbered spans,
// posting a batch again when the collector did not accept it (its receiver is down during a
// reload); the config is reloaded 20 times (RELIABILITY_LONG=1: 200), each generation's
// exporter sending its number in a header, and each reload is done when the server has
// received a request of the new generation.
// Guarantees: every batch the collector accepted reaches the server (a reload drains the old
// exporter's queue before its Rust instance stops): nothing is lost; a span arrives twice only
// if its batch was posted again; after the collector stops no Rust instance is left; RSS grew
// by less than 16 MiB from the 10th reload (5th of 20) to the last (checked without the race
// detector).
func TestReloadsWithTrafficFlowing(t *testing.T) {
	reloads := 20
	if os.Getenv("RELIABILITY_LONG") != "" {
		reloads = 200
	}
	before := liveInstances(t)
	server := newDestination(t)
	otlp := testutil.FreeEndpoint(t)
	config := func(generation int) string {
		return fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  rust_otlphttp:
    endpoint: %s
    headers:
      x-generation: "%d"
service:
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [rust_otlphttp]
`, otlp, server.URL, generation)
	}
	rust, err := rustexporter.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	col := testutil.RunCollectorWith(t, config(0), []receiver.Factory{otlpreceiver.NewFactory()}, rust)
	col.WaitRunning(t, 20*time.Second)

	// The client: acknowledged and posted-again batches, by their first seq.
	var mu sync.Mutex
	acked, reposted := map[int64]bool{}, map[int64]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		client := &http.Client{Timeout: 5 * time.Second}
		for seq := int64(0); ; seq += 2 {
			body := tracesRequest(spansWithSeq(seq, 2))
			for attempt := 0; ; attempt++ {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post("http://"+otlp+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						mu.Lock()
						acked[seq] = true
						reposted[seq] = attempt > 0
						mu.Unlock()
						break
					}
				}
				// The receiver is down for a reload: ask again shortly (a client's retry, not a
				// wait for the test's sake).
				time.Sleep(2 * time.Millisecond)
			}
		}
	})

	// RSS is measured from the end of a warm-up (the first generations allocate what the
	// following ones reuse: runtime, pools, caches).
	warmUp := min(10, reloads/4)
	var rssBefore int64
	began := time.Now()
	for generation := 1; generation <= reloads; generation++ {
		col.Reload(t, config(generation))
		waitFor(t, 20*time.Second, func() string {
			return fmt.Sprintf("reload %d: the server saw generation %d", generation, server.generation.Load())
		}, func() bool { return server.generation.Load() >= int64(generation) })
		// testutil's collector keeps every log record (about 50 per reload, 30 KiB): drop
		// them, so that RSS measures the collector and the Rust instances, not the test.
		col.Logs.TakeAll()
		if generation == warmUp {
			runtime.GC()
			rssBefore = rssBytes(t)
		}
	}
	took := time.Since(began)
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	var spans int
	var seqs map[int64]int
	waitFor(t, 20*time.Second, func() string {
		return fmt.Sprintf("%d of %d accepted batches arrived", countArrived(seqs, acked), len(acked))
	}, func() bool {
		spans, seqs = server.received()
		return countArrived(seqs, acked) == len(acked)
	})
	runtime.GC()
	rssAfter := rssBytes(t) // before Stop: what the last generation holds, as the warm-up's did
	col.Stop(t)
	twice := 0
	for seq := range acked {
		for i := range int64(2) {
			if n := seqs[seq+i]; n > 1 {
				twice++
				if !reposted[seq] || n > 2 {
					t.Errorf("span %d arrived %d times; its batch was posted again: %v", seq+i, n, reposted[seq])
				}
			}
		}
	}
	t.Logf("%d reloads in %v with traffic: %d batches accepted, all arrived (%d spans; %d twice after a repost); RSS from reload %d to %d: %.1f MiB -> %.1f MiB (race detector: %v)",
		reloads, took, len(acked), spans, twice, warmUp, reloads, float64(rssBefore)/(1<<20), float64(rssAfter)/(1<<20), raceEnabled)
	if n := liveInstances(t); n != before {
		t.Errorf("%d Rust instances left", n-before)
	}
	if growth := rssAfter - rssBefore; !raceEnabled && growth > 16<<20 {
		t.Errorf("RSS grew by %.1f MiB over %d reloads after the warm-up", float64(growth)/(1<<20), reloads-warmUp)
	}
}

// countArrived counts the accepted batches (by first seq) both of whose spans arrived.
func countArrived(seqs map[int64]int, acked map[int64]bool) int {
	n := 0
	for seq := range acked {
		if seqs[seq] > 0 && seqs[seq+1] > 0 {
			n++
		}
	}
	return n
}
