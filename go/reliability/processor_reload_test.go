//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Scenario: 4 senders push traces batches without pause while the config is reloaded 10
// times, alternating between a fused chain of Rust processors and a chain with a Go processor
// in the middle (new Rust instances each time, the old ones shut down under traffic).
// Guarantees: every batch comes out exactly once, transformed by every processor of one of
// the two configs, in its order (never by half of a chain, never a stale or released answer);
// the only refusal a sender sees is the receiver's own while it is stopped for the reload.
func TestProcessorReloadWithTrafficFlowing(t *testing.T) {
	configs := []struct{ processors, pipelines, path string }{{
		processors: chaosProcessors(map[string]string{"rust_chaos/1": "append_path", "rust_chaos/2": "append_path"}),
		pipelines:  pipeline("traces", "rust_chaos/1", "rust_chaos/2"),
		path:       "rust_chaos/1/rust_chaos/2",
	}, {
		processors: chaosProcessors(map[string]string{"rust_chaos/1": "append_path", "rust_chaos/3": "append_path"}) + "  go_append_path/x:\n",
		pipelines:  pipeline("traces", "rust_chaos/1", "go_append_path/x", "rust_chaos/3"),
		path:       "rust_chaos/1/go_append_path/x/rust_chaos/3",
	}}
	pc := runProcessors(t, configs[0].processors, configs[0].pipelines)

	const senders = 4
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		sentSeqs []int64
		failures []error
	)
	for s := range senders {
		wg.Go(func() {
			g := newGenerator(uint64(100 + s))
			for ctx.Err() == nil {
				td := g.traces()
				for _, rs := range td.ResourceSpans().All() {
					for _, ss := range rs.ScopeSpans().All() {
						for _, span := range ss.Spans().All() {
							span.Attributes().PutInt("test.sender", int64(s))
						}
					}
				}
				sent := seqs(td) // before the pipeline edits td in place
				var err error
				// The receiver refuses while it is stopped for a reload: send again, as a
				// client would.
				for err = pc.feed.send(context.Background(), td); errors.Is(err, errStopped); err = pc.feed.send(context.Background(), td) {
					time.Sleep(time.Millisecond)
				}
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else {
					sentSeqs = append(sentSeqs, sent...)
				}
				mu.Unlock()
			}
		})
	}
	sentSoFar := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(sentSeqs)
	}
	for i := range 10 {
		before := sentSoFar()
		config := configs[(i+1)%2]
		pc.Reload(t, processorConfig(pc.metrics, config.processors, config.pipelines))
		// Each config carries traffic for a while before the next reload.
		waitFor(t, 20*time.Second, func() string { return fmt.Sprintf("reload %d: no traffic through %s", i, config.path) },
			func() bool { return sentSoFar() > before+50 && lastPath(pc.sink) == config.path })
	}
	stop()
	wg.Wait()

	if len(failures) > 0 {
		t.Fatalf("%d batches failed, the first: %v", len(failures), failures[0])
	}
	traces, _, _ := pc.sink.received()
	var receivedSeqs []int64
	paths := map[string]int{}
	for _, td := range traces {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, span := range ss.Spans().All() {
					path, _ := span.Attributes().Get(pathKey)
					paths[path.Str()]++
				}
			}
		}
		receivedSeqs = append(receivedSeqs, seqs(td)...)
	}
	slices.Sort(sentSeqs)
	slices.Sort(receivedSeqs)
	if !slices.Equal(sentSeqs, receivedSeqs) {
		t.Errorf("sent %d spans, received %d (not the same ones)", len(sentSeqs), len(receivedSeqs))
	}
	for path, n := range paths {
		if path != configs[0].path && path != configs[1].path {
			t.Errorf("%d spans with path %q", n, path)
		}
	}
	if paths[configs[0].path] == 0 || paths[configs[1].path] == 0 {
		t.Errorf("paths %v: both configs should have carried traffic", paths)
	}
	t.Logf("%d spans through 10 reloads: %v", len(receivedSeqs), paths)
}

// seqs answers the test.seq of every span of td, with its test.sender in the high bits
// (each sender's generator counts from 1).
func seqs(td ptrace.Traces) []int64 {
	var out []int64
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				seq, _ := span.Attributes().Get("test.seq")
				id, _ := span.Attributes().Get("test.sender")
				out = append(out, id.Int()<<32|seq.Int())
			}
		}
	}
	return out
}

// lastPath answers the path of the last span the sink received.
func lastPath(s *sink) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.traces) == 0 {
		return ""
	}
	rss := s.traces[len(s.traces)-1].ResourceSpans()
	spans := rss.At(rss.Len() - 1).ScopeSpans()
	last := spans.At(spans.Len() - 1).Spans()
	path, _ := last.At(last.Len() - 1).Attributes().Get(pathKey)
	return path.Str()
}
