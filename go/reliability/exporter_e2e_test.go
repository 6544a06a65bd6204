//go:build otelcolrust_testcomponents

package reliability

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// sent is what a test sent into collector A, per signal.
type sent struct {
	traces  []ptrace.Traces
	metrics []pmetric.Metrics
	logs    []plog.Logs
	spans   int
	points  int
	records int
}

// sendBatches posts n generated batches of each signal to collector A's otlp receiver.
func sendBatches(t *testing.T, otlp string, g *generator, n int) *sent {
	t.Helper()
	s := &sent{}
	for range n {
		td, md, ld := g.traces(), g.metrics(), g.logs()
		postOTLP(t, otlp, "traces", tracesRequest(td))
		postOTLP(t, otlp, "metrics", metricsRequest(md))
		postOTLP(t, otlp, "logs", logsRequest(ld))
		s.traces, s.metrics, s.logs = append(s.traces, td), append(s.metrics, md), append(s.logs, ld)
		s.spans, s.points, s.records = s.spans+td.SpanCount(), s.points+md.DataPointCount(), s.records+ld.LogRecordCount()
	}
	return s
}

// requireArrived waits until B's sink holds as many items as were sent, then requires every
// batch to have arrived identical, once: the multisets of batches, compared as pdata's
// protobuf encoding, are equal (and so are those of single items, which locate a difference).
func requireArrived(t *testing.T, want *sent, got *sink) {
	t.Helper()
	waitFor(t, 30*time.Second, func() string {
		spans, points, records := got.counts()
		return fmt.Sprintf("B received %d spans, %d data points, %d log records; sent %d, %d, %d",
			spans, points, records, want.spans, want.points, want.records)
	}, func() bool {
		spans, points, records := got.counts()
		return spans >= want.spans && points >= want.points && records >= want.records
	})
	traces, metrics, logs := got.received()
	for _, diff := range []string{
		// Batches as protobuf (not shown), items as OTLP/JSON (the first difference shown).
		difference("traces batches", traceBatchKeys(want.traces), traceBatchKeys(traces), false),
		difference("spans", spanItems(want.traces), spanItems(traces), true),
		difference("metrics batches", metricBatchKeys(want.metrics), metricBatchKeys(metrics), false),
		difference("data points", pointItems(want.metrics), pointItems(metrics), true),
		difference("logs batches", logBatchKeys(want.logs), logBatchKeys(logs), false),
		difference("log records", recordItems(want.logs), recordItems(logs), true),
	} {
		if diff != "" {
			t.Error(diff)
		}
	}
}

// otlphttpSection is a rust_otlphttp exporter section sending to endpoint (host:port) with a
// queue and quick retries (so that a test waits milliseconds, not exporterhelper's seconds).
func otlphttpSection(endpoint, compression string) string {
	return fmt.Sprintf(`  rust_otlphttp:
    endpoint: http://%s
    compression: %s
    timeout: 5s
    sending_queue:
      enabled: true
      num_consumers: 4
      queue_size: 10000
    retry_on_failure:
      enabled: true
      initial_interval: 10ms
      max_interval: 50ms
      max_elapsed_time: 2m
`, endpoint, compression)
}

var failedMetrics = []string{
	"otelcol_exporter_send_failed_spans", "otelcol_exporter_send_failed_metric_points", "otelcol_exporter_send_failed_log_records",
}

var sentMetrics = []string{
	"otelcol_exporter_sent_spans", "otelcol_exporter_sent_metric_points", "otelcol_exporter_sent_log_records",
}

// requireSentNotFailed requires collector A's standard exporter metrics of rust_otlphttp to
// count every item sent and none failed.
func requireSentNotFailed(t *testing.T, metrics string, want *sent) {
	t.Helper()
	names := append(append([]string{}, sentMetrics...), failedMetrics...)
	expected := map[string]float64{
		"otelcol_exporter_sent_spans": float64(want.spans), "otelcol_exporter_sent_metric_points": float64(want.points),
		"otelcol_exporter_sent_log_records": float64(want.records),
		failedMetrics[0]:                    0, failedMetrics[1]: 0, failedMetrics[2]: 0,
	}
	var got map[string]float64
	// The sent counters move after the export returned, a moment after B received the batch.
	waitFor(t, 10*time.Second, func() string { return fmt.Sprintf("A's exporter metrics %v, want %v", got, expected) }, func() bool {
		sums, ok := metricSums(metrics, names, `exporter="rust_otlphttp"`)
		got = sums
		if !ok {
			return false
		}
		for name, value := range expected {
			if sums[name] != value {
				return false
			}
		}
		return true
	})
}

// Scenario: collector A (otlp receiver -> rust_otlphttp with sending_queue and
// retry_on_failure, gzip) sends to collector B's real otlp receiver (HTTP), whose pipelines
// end in a Go sink; 20 varied batches of each signal (every attribute value type nested,
// events, links, every metric type with exemplars, log bodies of every kind) are posted to A.
// Guarantees: every batch arrives in B identical to what was sent into A (pdata compared as
// protobuf, per batch and per item), once; A counts every item sent and none failed; the
// collectors stop leaving no Rust instance.
func TestNothingLostEndToEnd(t *testing.T) {
	before := liveInstances(t)
	bEndpoint := testutil.FreeEndpoint(t)
	received := &sink{}
	b := runB(t, bEndpoint, received)
	otlp, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	a := runA(t, otlp, metrics, otlphttpSection(bEndpoint, "gzip"), everySignal("rust_otlphttp"))

	want := sendBatches(t, otlp, newGenerator(1), 20)
	requireArrived(t, want, received)
	requireSentNotFailed(t, metrics, want)
	if !t.Failed() {
		t.Logf("%d spans, %d data points, %d log records in 20 batches each arrived identical",
			want.spans, want.points, want.records)
	}
	a.Stop(t)
	b.Stop(t)
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances left", n-before)
	}
}

// Scenario: nothing listens where collector A's rust_otlphttp sends (compression none); 10
// batches of each signal are posted to A and A's exporter fails to connect again and again;
// then collector B starts on that address.
// Guarantees: A's queue and retries hold the data while B is down; once B is up every item
// arrives, identical and exactly once; A counts every item sent and, since each failure was
// retried until it succeeded, none failed.
func TestDownstreamDownThenBack(t *testing.T) {
	bEndpoint := testutil.FreeEndpoint(t) // nothing listens there yet
	otlp, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	runA(t, otlp, metrics, otlphttpSection(bEndpoint, "none"), everySignal("rust_otlphttp"))
	want := sendBatches(t, otlp, newGenerator(2), 10)

	// Down: each signal's exporter has failed to connect a few times in a row, so every queue
	// consumer is retrying.
	waitFor(t, 20*time.Second, func() string {
		retryable, _ := metricSums(metrics, []string{"rust_otlphttp_requests"}, `outcome="retryable"`)
		failed, _ := metricSums(metrics, failedMetrics, `exporter="rust_otlphttp"`)
		return fmt.Sprintf("%v retryable answers while B is down, A dropped %v", retryable, failed)
	}, func() bool {
		retryable, _ := metricSums(metrics, []string{"rust_otlphttp_requests"}, `outcome="retryable"`)
		return retryable["rust_otlphttp_requests"] >= 3*4*3 // 3 failures per queue consumer
	})
	received := &sink{}
	runB(t, bEndpoint, received)
	requireArrived(t, want, received)
	requireSentNotFailed(t, metrics, want)
	sums, _ := metricSums(metrics, []string{"rust_otlphttp_requests"}, `outcome="retryable"`)
	t.Logf("B down: %v retryable answers before it came up; then %d spans, %d data points, %d log records arrived once",
		sums["rust_otlphttp_requests"], want.spans, want.points, want.records)
}

// Scenario: the destination of collector A's rust_otlphttp is an HTTP server answering every
// request 400 with a reason; 5 batches of each signal are posted to A.
// Guarantees: each batch is a permanent error: sent once (the server sees exactly one request
// per batch), not retried, dropped and counted in otelcol_exporter_send_failed_spans /
// _metric_points / _log_records, and logged as dropped with the destination's answer.
func TestPermanentErrorIsDroppedNotRetried(t *testing.T) {
	var requests atomic.Int64
	destination := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		requests.Add(1)
		http.Error(w, "the batch is refused for good", http.StatusBadRequest)
	}))
	defer destination.Close()
	otlp, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	a := runA(t, otlp, metrics, otlphttpSection(strings.TrimPrefix(destination.URL, "http://"), "gzip"),
		everySignal("rust_otlphttp"))
	const batches = 5
	want := sendBatches(t, otlp, newGenerator(3), batches)

	expected := map[string]float64{
		failedMetrics[0]: float64(want.spans), failedMetrics[1]: float64(want.points), failedMetrics[2]: float64(want.records),
		sentMetrics[0]: 0, sentMetrics[1]: 0, sentMetrics[2]: 0,
	}
	var got map[string]float64
	// Counted once a batch's export has ended for good: any retry would come before.
	waitFor(t, 20*time.Second, func() string { return fmt.Sprintf("A's exporter metrics %v, want %v", got, expected) }, func() bool {
		got, _ = metricSums(metrics, append(append([]string{}, sentMetrics...), failedMetrics...), `exporter="rust_otlphttp"`)
		for name, value := range expected {
			if got[name] != value {
				return false
			}
		}
		return true
	})
	if n := requests.Load(); n != 3*batches {
		t.Errorf("the destination received %d requests for %d batches: permanent errors were retried", n, 3*batches)
	}
	dropped := 0
	for _, entry := range a.Logged("Exporting failed. Dropping data.") {
		err := fmt.Sprint(entry.ContextMap()["error"])
		if strings.Contains(err, "not retryable error") && strings.Contains(err, `rust exporter "rust_otlphttp"`) &&
			strings.Contains(err, "answered HTTP 400 Bad Request: the batch is refused for good") {
			dropped++
		}
	}
	if dropped != 3*batches {
		t.Errorf("%d batches logged as dropped with the destination's answer, want %d: %v", dropped, 3*batches, a.Logs.All())
	}
	a.Stop(t)
}
