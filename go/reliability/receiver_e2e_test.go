//go:build otelcolrust_testcomponents

package reliability

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// Scenario: collector A runs rust_otlphttp receiver (max_concurrent_requests 4) -> rust_chaos
// processor (append_path) -> rust_otlphttp exporter (gzip, a sending_queue of 2 batches and
// one consumer, so that it fills) -> collector B's Go otlp receiver (HTTP) -> a Go sink. 8
// clients post 12 varied batches each (traces, metrics and logs; protobuf and OTLP/JSON;
// gzipped or not); a client posts a batch again when A answers 429 (more requests than the
// receiver admits) or 503 (A's exporter queue full), or does not answer, until A answers 200.
// Guarantees: every other answer is 200; back-pressure always carries a Retry-After; every
// batch arrives in B once, identical to what the client sent but for the processor's edit
// (pdata compared as protobuf, per batch and per item); receiverhelper counts in A every item
// accepted once and, as refused, exactly the items answered 503 (a 429 never reaches the
// pipeline); the library counts one delivery per post answered 200 or 503; no Rust instance
// is left.
func TestReceiverNothingLost(t *testing.T) {
	before := liveInstances(t)
	countsBefore := libraryCounts(t)
	bEndpoint := testutil.FreeEndpoint(t)
	received := &sink{}
	b := runB(t, bEndpoint, received)
	aEndpoint, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	host, port, _ := strings.Cut(metrics, ":")
	const processorID = "rust_chaos/recv"
	a := runRustReceivers(t, fmt.Sprintf(`
receivers:
  rust_otlphttp:
    endpoint: %s
    max_concurrent_requests: 4
processors:
  %s:
    mode: append_path
exporters:
  rust_otlphttp:
    endpoint: http://%s
    compression: gzip
    timeout: 10s
    sending_queue:
      enabled: true
      num_consumers: 1
      queue_size: 2
    retry_on_failure:
      enabled: true
      initial_interval: 10ms
      max_interval: 50ms
      max_elapsed_time: 2m
service:
  telemetry:
    logs:
      # The exporter's queue-full rejections are logged as errors with a stack: expected.
      level: fatal
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: %s
                port: %s
  pipelines:
%s`, aEndpoint, processorID, bEndpoint, host, port, receiverPipelines("rust_otlphttp", processorID, "rust_otlphttp")))

	const clients, batchesPerClient = 8, 12
	var (
		mu          sync.Mutex
		want        = &sent{}
		ok          int
		tooMany     int
		unavailable int
		unanswered  int
		refused     [3]int // items answered 503, per signal
	)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			g := clientGenerator(c)
			client := &http.Client{Timeout: 30 * time.Second}
			for i := range batchesPerClient {
				batch := g.batch((i + c) % 3)
				post := newPost(batch, (i/3+c)%2 == 1, (i/6+c)%2 == 1)
				for attempt := 0; ; attempt++ {
					r := post.send(client, aEndpoint)
					if r.err == nil && r.status == http.StatusOK {
						break
					}
					mu.Lock()
					switch {
					case r.err != nil:
						// A client posts again after a post without an answer; no delivery
						// is cut off in this test, so it was not delivered (or B would
						// receive it twice).
						unanswered++
					case backPressure(r) != nil:
						t.Errorf("client %d, batch %d: %v", c, i, backPressure(r))
					case r.status == http.StatusTooManyRequests:
						tooMany++
					default:
						unavailable++
						refused[post.signal] += len(post.seqs)
					}
					mu.Unlock()
					if t.Failed() {
						return
					}
					pause(attempt)
				}
				mu.Lock()
				ok++
				// What B should receive: the batch with the processor's edit.
				switch b := batch.(type) {
				case ptrace.Traces:
					appendPathTraces(b, processorID)
					want.traces, want.spans = append(want.traces, b), want.spans+b.SpanCount()
				case pmetric.Metrics:
					appendPathMetrics(b, processorID)
					want.metrics, want.points = append(want.metrics, b), want.points+b.DataPointCount()
				case plog.Logs:
					appendPathLogs(b, processorID)
					want.logs, want.records = append(want.logs, b), want.records+b.LogRecordCount()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	requireArrived(t, want, received)

	// receiverhelper's counts in A: each item accepted once; refused: those answered 503.
	expected := map[string]float64{
		"otelcol_receiver_accepted_spans": float64(want.spans), "otelcol_receiver_accepted_metric_points": float64(want.points),
		"otelcol_receiver_accepted_log_records": float64(want.records),
		"otelcol_receiver_refused_spans":        float64(refused[0]), "otelcol_receiver_refused_metric_points": float64(refused[1]),
		"otelcol_receiver_refused_log_records": float64(refused[2]),
	}
	names := make([]string, 0, len(expected))
	for name := range expected {
		names = append(names, name)
	}
	var got map[string]float64
	waitFor(t, 10*time.Second, func() string { return fmt.Sprintf("A's receiver metrics %v, want %v", got, expected) }, func() bool {
		var answered bool
		got, answered = metricSums(metrics, names, `receiver="rust_otlphttp"`, `transport="http"`)
		if !answered {
			return false
		}
		for name, value := range expected {
			if got[name] != value {
				return false
			}
		}
		return true
	})
	counts := libraryCounts(t)
	if d, a, r := counts.ReceiveDeliveries-countsBefore.ReceiveDeliveries, counts.ReceiveAccepted-countsBefore.ReceiveAccepted,
		counts.ReceiveRefused-countsBefore.ReceiveRefused; d != uint64(ok+unavailable) || a != uint64(ok) || r != uint64(unavailable) {
		t.Errorf("library: %d deliveries, %d accepted, %d refused; want %d, %d, %d", d, a, r, ok+unavailable, ok, unavailable)
	}
	t.Logf("%d batches (%d spans, %d data points, %d log records) sent; answers: %d x 200, %d x 429, %d x 503; %d posts without an answer",
		ok, want.spans, want.points, want.records, ok, tooMany, unavailable, unanswered)
	a.Stop(t)
	b.Stop(t)
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances left", n-before)
	}
}

// Scenario: collector A runs rust_otlphttp receiver (max_concurrent_requests 24, retry_after
// 3s) -> rust_otlphttp exporter (no sending_queue, no retry: its outcome is the pipeline's)
// -> collector B's Go otlp receiver -> a Go sink that the test controls. 60 batches (every
// signal, protobuf and JSON, gzipped or not) are to be delivered.
// 1. B refuses (a retryable error): each of 15 posts is answered 503 with Retry-After: 3 (the
// receiver's retry_after, B giving none), and nothing is accepted.
// 2. B hangs (every batch held): 32 clients post in a loop (a client posts a batch again after
// 429 or 503, or after a post the receiver did not answer). The receiver admits 24 requests: their sends fill the delivery threads (each
// in a call to Go waiting for B) and the bounded hand-off, the rest wait for room; every
// other post is answered 429 at once; 2,000 such answers (500 under -race) are let through.
// 3. B recovers: the held batches complete and the clients deliver the rest.
// Guarantees: while B hangs, the library's receive_pending gauge never exceeds
// max_concurrent_requests, B never holds more batches than there are delivery threads, the
// Go heap grows by less than 16 MiB and RSS by less than 32 MiB (checked without the race
// detector) while the 429s pile up; every post is answered (a refusal never comes as a
// connection closed without an answer); refusals are 503 or 429, each with its Retry-After,
// and once B hangs only 429; a 200 means the batch is in B already (no queue: the answer waits
// for it); at the end every item arrived exactly once.
func TestReceiverBackPressure(t *testing.T) {
	const maxConcurrent = 24
	threads := deliveryThreads()
	bEndpoint := testutil.FreeEndpoint(t)
	gate := newSeqSink()
	gate.setAnswer(func(any) error { return errDownstream })
	runSeqB(t, bEndpoint, gate)
	aEndpoint := testutil.FreeEndpoint(t)
	runRustReceivers(t, fmt.Sprintf(`
receivers:
  rust_otlphttp:
    endpoint: %s
    max_concurrent_requests: %d
    retry_after: 3s
exporters:
  rust_otlphttp:
    endpoint: http://%s
    compression: none
    timeout: 2m
    sending_queue:
      enabled: false
    retry_on_failure:
      enabled: false
service:
  telemetry:
    logs:
      # The exporter logs B's refusals as errors with a stack: expected.
      level: fatal
    metrics:
      level: none
  pipelines:
%s`, aEndpoint, maxConcurrent, bEndpoint, receiverPipelines("rust_otlphttp", "", "rust_otlphttp")))

	g := clientGenerator(0)
	posts := make([]otlpPost, 60)
	for i := range posts {
		posts[i] = newPost(g.batch(i%3), i/3%2 == 1, i/6%2 == 1)
	}
	client := &http.Client{Timeout: 5 * time.Minute}

	// 1. B refuses.
	for i, post := range posts[:15] {
		r := post.send(client, aEndpoint)
		if r.err != nil || r.status != http.StatusServiceUnavailable || r.retryAfter != "3" {
			t.Fatalf("post %d while B refuses: %v; want 503 with Retry-After 3", i, r)
		}
	}
	if calls, _, _ := gate.state(); calls != 15 {
		t.Fatalf("B was asked %d times for 15 posts", calls)
	}
	if seqs, _ := gate.snapshot(); len(seqs) != 0 {
		t.Fatalf("B accepted %d items while refusing", len(seqs))
	}

	// 2. B hangs; the clients post until every batch is delivered (or the test gives up).
	release := gate.holdAll()
	gate.setAnswer(nil)
	pending := make(chan otlpPost, len(posts))
	for _, post := range posts {
		pending <- post
	}
	var (
		left                 atomic.Int64
		tooMany, unavailable atomic.Int64
		unanswered           atomic.Int64
		firstUnanswered      atomic.Pointer[reply]
		maxPending           atomic.Uint64
		allDone              = make(chan struct{})
		stop                 = make(chan struct{})
		clients              sync.WaitGroup
	)
	left.Store(int64(len(posts)))
	done := func() {
		if left.Add(-1) == 0 {
			close(allDone)
		}
	}
	stopClients := sync.OnceFunc(func() {
		close(stop)
		release()
		clients.Wait()
	})
	defer stopClients()
	for c := range 32 {
		clients.Go(func() {
			client := &http.Client{Timeout: 5 * time.Minute}
			for {
				var post otlpPost
				select {
				case <-allDone:
					return
				case <-stop:
					return
				case post = <-pending:
				}
				r := post.send(client, aEndpoint)
				for attempt := 0; r.err != nil || r.status != http.StatusOK; attempt++ {
					switch {
					case r.err != nil:
						// Posted again, as a client would; counted, and a failure below.
						unanswered.Add(1)
						first := r
						firstUnanswered.CompareAndSwap(nil, &first)
					case backPressure(r) != nil:
						t.Errorf("client %d: %v", c, backPressure(r))
					case r.status == http.StatusTooManyRequests:
						tooMany.Add(1)
					default:
						unavailable.Add(1)
					}
					if t.Failed() {
						break
					}
					pause(attempt)
					select {
					case <-stop:
						return
					default:
					}
					r = post.send(client, aEndpoint)
				}
				if r.err == nil && r.status == http.StatusOK {
					// No queue in A: the answer came after B's.
					seqs, _ := gate.snapshot()
					for _, seq := range post.seqs {
						if seqs[seq] == 0 {
							t.Errorf("answered 200 before item %d reached B", seq)
							break
						}
					}
				}
				done()
			}
		})
	}
	clients.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-allDone:
				return
			default:
			}
			n, err := receivePending()
			if err != nil {
				t.Error(err)
				return
			}
			for seen := maxPending.Load(); n > seen && !maxPending.CompareAndSwap(seen, n); seen = maxPending.Load() {
			}
			time.Sleep(time.Millisecond) // a sampling period
		}
	})

	// Saturated: every admitted request's send is pending, B holds one per delivery thread.
	holding := min(threads, maxConcurrent)
	waitFor(t, 30*time.Second, func() string {
		n, _ := receivePending()
		_, held, _ := gate.state()
		return fmt.Sprintf("%d sends pending (want %d), B holds %d batches (want %d)", n, maxConcurrent, held, holding)
	}, func() bool {
		n, _ := receivePending()
		_, held, _ := gate.state()
		return n == maxConcurrent && held == holding
	})
	heapBefore, rssBefore := heapBytes(), rssBytes(t)
	refusals := int64(2000)
	if raceEnabled {
		refusals = 500
	}
	from := tooMany.Load()
	waitFor(t, 2*time.Minute, func() string { return fmt.Sprintf("%d 429 answers", tooMany.Load()-from) },
		func() bool { return tooMany.Load()-from >= refusals })
	heapAfter, rssAfter := heapBytes(), rssBytes(t)
	_, held, maxHeld := gate.state()
	delivered, _ := gate.snapshot()
	if unavailable.Load() != 0 || len(delivered) != 0 || held != holding {
		t.Errorf("while B hangs: %d answers 503, %d items delivered, B holds %d batches (want 0, 0, %d)",
			unavailable.Load(), len(delivered), held, holding)
	}

	// 3. B recovers.
	release()
	select {
	case <-allDone:
	case <-time.After(2 * time.Minute):
		t.Fatalf("%d batches not delivered within 2 minutes of B's recovery", left.Load())
	}
	stopClients()

	seqs, _ := gate.snapshot()
	total := 0
	for _, post := range posts {
		total += len(post.seqs)
		for _, seq := range post.seqs {
			if n := seqs[seq]; n != 1 {
				t.Errorf("item %d arrived %d times", seq, n)
			}
		}
	}
	if len(seqs) != total {
		t.Errorf("B received %d distinct items, %d sent", len(seqs), total)
	}
	t.Logf("B hanging: at most %d sends pending (max_concurrent_requests %d), B held at most %d batches (%d delivery threads); "+
		"%d answers 429 in all; Go heap %.1f -> %.1f MiB, RSS %.1f -> %.1f MiB over %d of them (race detector: %v); %d items arrived once",
		maxPending.Load(), maxConcurrent, maxHeld, threads, tooMany.Load(), float64(heapBefore)/(1<<20), float64(heapAfter)/(1<<20),
		float64(rssBefore)/(1<<20), float64(rssAfter)/(1<<20), refusals, raceEnabled, total)
	if n := unanswered.Load(); n > 0 {
		t.Errorf("%d posts got no answer instead of back-pressure (posted again until accepted); the first: %v", n, firstUnanswered.Load())
	}
	if maxPending.Load() > maxConcurrent {
		t.Errorf("%d sends pending at once; the receiver admits %d requests", maxPending.Load(), maxConcurrent)
	}
	if maxHeld > holding {
		t.Errorf("B held %d batches at once; there are %d delivery threads", maxHeld, threads)
	}
	if growth := int64(heapAfter) - int64(heapBefore); growth > 16<<20 {
		t.Errorf("the Go heap grew by %.1f MiB while refusing %d requests", float64(growth)/(1<<20), refusals)
	}
	if growth := rssAfter - rssBefore; !raceEnabled && growth > 32<<20 {
		t.Errorf("RSS grew by %.1f MiB while refusing %d requests", float64(growth)/(1<<20), refusals)
	}
}
