//go:build otelcolrust_testcomponents

package reliability

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// Scenario: a collector runs rust_otlphttp receiver -> rust_chaos processor (append_path;
// its id names the config's generation) -> a Go sink, for every signal; 4 clients post varied
// batches without pause (every signal, protobuf and JSON, gzipped or not), each posting a
// batch again until it is answered 200: after back-pressure, or after the post failed without
// an answer (the receiver is down or closing its connections for the reload). Meanwhile the
// config is reloaded 10 times (RELIABILITY_LONG=1: 200), each generation carrying 100 items
// before the next reload: new Rust receiver and processor instances each time, on the same
// port, the old ones shut down under traffic.
// Guarantees: every batch answered 200 arrived; an item arrives twice only if a post of its
// batch failed without an answer (the receiver may have delivered it before the connection
// closed), never after an answer of back-pressure; no item arrives that was not sent; a
// refusal is always back-pressure with its Retry-After; every generation carried traffic;
// after the collector stops no Rust instance is left.
func TestReceiverReloadsWithTrafficFlowing(t *testing.T) {
	reloads := 10
	if longRun() {
		reloads = 200
	}
	before := liveInstances(t)
	endpoint := testutil.FreeEndpoint(t)
	s := newSeqSink()
	config := func(generation int) string {
		processor := fmt.Sprintf("rust_chaos/g%d", generation)
		return fmt.Sprintf(`
receivers:
  rust_otlphttp:
    endpoint: %s
processors:
  %s:
    mode: append_path
exporters:
  seqsink:
service:
  telemetry:
    logs:
      level: error
    metrics:
      level: none
  pipelines:
%s`, endpoint, processor, receiverPipelines("rust_otlphttp", processor, "seqsink"))
	}
	col := runRustReceivers(t, config(0), s.factory())

	// What the clients saw, per batch: its items, whether a post of it got no answer.
	type outcome struct {
		seqs       []int64
		unanswered bool
	}
	var (
		mu         sync.Mutex
		outcomes   []outcome
		refusals   int
		unanswered int
		noListener int // unanswered: the port was closed
		stop       = make(chan struct{})
		abandon    = make(chan struct{}) // the test failed: give up at once
		clients    sync.WaitGroup
	)
	for c := range 4 {
		clients.Go(func() {
			g := clientGenerator(c)
			client := &http.Client{Timeout: 30 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				post := newPost(g.batch((i+c)%3), (i/3+c)%2 == 1, (i/6+c)%2 == 1)
				result := outcome{seqs: post.seqs}
				// A batch once posted is posted until accepted, even after stop: a client
				// does not give up on what it may already have delivered.
				for attempt := 0; ; attempt++ {
					r := post.send(client, endpoint)
					if r.err == nil && r.status == http.StatusOK {
						break
					}
					mu.Lock()
					if r.err != nil {
						result.unanswered = true
						unanswered++
						if errors.Is(r.err, syscall.ECONNREFUSED) {
							noListener++
						}
					} else {
						refusals++
					}
					mu.Unlock()
					if r.err == nil {
						if err := backPressure(r); err != nil {
							t.Errorf("client %d: %v", c, err)
							return
						}
					}
					select {
					case <-abandon:
						return
					default:
					}
					pause(attempt)
				}
				mu.Lock()
				outcomes = append(outcomes, result)
				mu.Unlock()
			}
		})
	}
	defer func() {
		close(abandon)
		clients.Wait()
	}()

	// Each generation carries traffic (100 items) before the next reload.
	carried := func(generation int) {
		path := fmt.Sprintf("rust_chaos/g%d", generation)
		waitFor(t, 30*time.Second, func() string { return fmt.Sprintf("generation %d: under 100 items through %s", generation, path) },
			func() bool {
				_, paths := s.snapshot()
				return paths[path] >= 100
			})
	}
	began := time.Now()
	for generation := 1; generation <= reloads; generation++ {
		carried(generation - 1)
		col.Reload(t, config(generation))
		col.Logs.TakeAll() // testutil keeps every record; a long run should not
	}
	carried(reloads)
	took := time.Since(began)
	close(stop)
	clients.Wait()
	col.Stop(t)

	seqs, paths := s.snapshot()
	mu.Lock()
	defer mu.Unlock()
	sent, twice := map[int64]bool{}, 0
	for _, o := range outcomes {
		for _, seq := range o.seqs {
			sent[seq] = true
			switch n := seqs[seq]; {
			case n == 0:
				t.Errorf("item %d was answered 200 and never arrived", seq)
			case n > 1 && !o.unanswered:
				t.Errorf("item %d arrived %d times; every post of its batch was answered", seq, n)
			case n > 2:
				t.Errorf("item %d arrived %d times", seq, n)
			case n == 2:
				twice++
			}
		}
	}
	for seq := range seqs {
		if !sent[seq] {
			t.Errorf("item %d arrived but was never sent", seq)
		}
	}
	for generation := range reloads + 1 {
		if paths[fmt.Sprintf("rust_chaos/g%d", generation)] == 0 {
			t.Errorf("generation %d carried no traffic: %v", generation, paths)
		}
	}
	t.Logf("%d reloads in %v with traffic: %d batches (%d items) accepted and arrived, %d items twice after a post without answer; %d answers of back-pressure, %d posts without an answer (%d: connection refused between generations); items per generation: %v",
		reloads, took, len(outcomes), len(sent), twice, refusals, unanswered, noListener, sortedCounts(paths))
	if n := liveInstances(t); n != before {
		t.Errorf("%d Rust instances left", n-before)
	}
}

// sortedCounts shows m's entries sorted by key.
func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	out := ""
	for _, key := range keys {
		out += fmt.Sprintf("%s=%d ", key, m[key])
	}
	return out
}
