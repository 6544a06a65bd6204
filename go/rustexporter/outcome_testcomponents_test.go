//go:build otelcolrust_testcomponents

package rustexporter

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Scenario: rust_chaos answers ok and decodes each batch, checking its item count against the
// collector's; three batches of 10 spans go through exporterhelper (no queue).
// Guarantees: the bytes Rust reads are the whole OTLP export request with the collector's
// item count; ok is nil and the spans are counted as sent.
func TestOKIsSent(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{"decode": true}))
	exp := c.traces(t)
	for range 3 {
		if err := exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(10)); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]int64{
		"otelcol_exporter_sent_spans":        30,
		"otelcol_exporter_send_failed_spans": 0,
		"rust_chaos_batches":                 3,
		"rust_chaos_items":                   30,
		"rust_chaos_decoded_items":           30,
	} {
		if got := c.sum(t, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
}

// Scenario: rust_chaos answers permanent; retry_on_failure is on.
// Guarantees: the batch is not retried (Rust sees it once), the error is permanent, names the
// component and carries Rust's reason, and the spans are counted in
// otelcol_exporter_send_failed_spans.
func TestPermanentIsDroppedAndCounted(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{"outcomes": []any{"permanent"}}))
	err := c.traces(t).ConsumeTraces(context.Background(), testdata.GenerateTraces(7))
	if !consumererror.IsPermanent(err) || !strings.Contains(err.Error(), `rust exporter "rust_chaos": rust_chaos says permanent`) {
		t.Fatalf("got %v, want a permanent error with Rust's reason", err)
	}
	for name, want := range map[string]int64{
		"rust_chaos_batches":                 1,
		"otelcol_exporter_send_failed_spans": 7,
		"otelcol_exporter_sent_spans":        0,
	} {
		if got := c.sum(t, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
}

// Scenario: rust_chaos answers retryable twice, then ok.
// Guarantees: exporterhelper retries the batch until Rust accepts it; the spans are counted as
// sent once, none as failed.
func TestRetryableIsRetriedUntilSent(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{"outcomes": []any{"retryable", "retryable", "ok"}}))
	if err := c.traces(t).ConsumeTraces(context.Background(), testdata.GenerateTraces(5)); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{
		"rust_chaos_batches":                 3,
		"otelcol_exporter_sent_spans":        5,
		"otelcol_exporter_send_failed_spans": 0,
	} {
		if got := c.sum(t, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
}

// Scenario: retry_on_failure is off and rust_chaos answers retryable, without and with a
// retry-after.
// Guarantees: the error is not permanent (a queue in front would keep the batch), is marked
// retryable (consumererror.Error.IsRetryable), names the component and carries Rust's reason.
func TestRetryableWithoutRetryIsNotPermanent(t *testing.T) {
	for _, outcome := range []string{"retryable", "retryable:300"} {
		c := newChaos(t, synchronous(map[string]any{
			"outcomes":         []any{outcome},
			"reason":           "destination busy",
			"retry_on_failure": map[string]any{"enabled": false},
		}))
		err := c.traces(t).ConsumeTraces(context.Background(), testdata.GenerateTraces(1))
		if err == nil || consumererror.IsPermanent(err) || !strings.Contains(err.Error(), `rust exporter "rust_chaos": destination busy`) {
			t.Fatalf("%s: got %v", outcome, err)
		}
		if cerr, ok := errors.AsType[*consumererror.Error](err); !ok || !cerr.IsRetryable() {
			t.Errorf("%s: %v is not marked retryable", outcome, err)
		}
	}
}

// Scenario: rust_chaos answers retryable with a retry-after of 300 ms, then ok; the retry
// back-off is 5 ms.
// Guarantees: the retry waits at least the retry-after (exporterhelper's throttle), not the
// back-off.
func TestRetryAfterIsHonoured(t *testing.T) {
	const retryAfter = 300 * time.Millisecond
	c := newChaos(t, synchronous(map[string]any{"outcomes": []any{"retryable:300", "ok"}}))
	exp := c.traces(t)
	began := time.Now()
	if err := exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(1)); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < retryAfter {
		t.Fatalf("sent after %v, before the retry-after of %v", took, retryAfter)
	}
	if got := c.sum(t, "rust_chaos_batches"); got != 2 {
		t.Fatalf("%d attempts, want 2", got)
	}
}

// Scenario: rust_chaos answers a partial success rejecting 3 of 10 spans.
// Guarantees: the batch is not retried (the accepted part would be sent twice) and counts as
// sent; the rejection is logged at Warn with its count and reason, and counted in
// otelcol_rust_exporter_rejected_items.
func TestPartialIsLoggedAndCounted(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{"outcomes": []any{"partial:3"}, "reason": "3 spans too old"}))
	if err := c.traces(t).ConsumeTraces(context.Background(), testdata.GenerateTraces(10)); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{
		"rust_chaos_batches":                   1,
		"otelcol_exporter_sent_spans":          10,
		"otelcol_exporter_send_failed_spans":   0,
		"otelcol_rust_exporter_rejected_items": 3,
	} {
		if got := c.sum(t, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	m, err := c.tel.GetMetric("otelcol_rust_exporter_rejected_items")
	if err != nil {
		t.Fatal(err)
	}
	want := attribute.NewSet(attribute.String("exporter", "rust_chaos"), attribute.String("data_type", "traces"))
	if points := m.Data.(metricdata.Sum[int64]).DataPoints; len(points) != 1 || !points[0].Attributes.Equals(&want) {
		t.Errorf("otelcol_rust_exporter_rejected_items series %+v, want one with %v", points, want.ToSlice())
	}
	logged := c.logs.FilterMessage("Partial success response").All()
	if len(logged) != 1 || logged[0].Level.String() != "warn" {
		t.Fatalf("partial success logged as %v", logged)
	}
	if fields := logged[0].ContextMap(); fields["rejected"] != uint64(3) || fields["reason"] != "3 spans too old" {
		t.Errorf("logged %v", fields)
	}
}

// Scenario: rust_chaos answers a partial success rejecting none of 4 spans.
// Guarantees: it is a plain success: sent, not retried, neither logged as a partial success
// nor counted in otelcol_rust_exporter_rejected_items.
func TestPartialRejectingNothingIsOK(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{"outcomes": []any{"partial:0"}}))
	if err := c.traces(t).ConsumeTraces(context.Background(), testdata.GenerateTraces(4)); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]int64{
		"rust_chaos_batches":                   1,
		"otelcol_exporter_sent_spans":          4,
		"otelcol_rust_exporter_rejected_items": 0,
	} {
		if got := c.sum(t, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
	if logged := c.logs.FilterMessage("Partial success response").All(); len(logged) != 0 {
		t.Errorf("a partial success rejecting nothing was logged: %v", logged)
	}
}

// Scenario: rust_chaos panics in its first export and answers ok afterwards.
// Guarantees: the panic is that batch's permanent error (not retried, counted as failed), and
// the same exporter sends the next batch.
func TestPanicIsPermanentAndTheExporterStaysUsable(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{"outcomes": []any{"panic", "ok"}}))
	exp := c.traces(t)
	err := exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(2))
	if !consumererror.IsPermanent(err) || !strings.Contains(err.Error(), `rust exporter "rust_chaos": rust exporter panicked`) {
		t.Fatalf("got %v", err)
	}
	if err := exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(3)); err != nil {
		t.Fatalf("after the panic: %v", err)
	}
	for name, want := range map[string]int64{
		"rust_chaos_batches":                 2,
		"otelcol_exporter_send_failed_spans": 2,
		"otelcol_exporter_sent_spans":        3,
	} {
		if got := c.sum(t, name); got != want {
			t.Errorf("%s = %d, want %d", name, got, want)
		}
	}
}

// Scenario: rust_chaos's first export never ends; timeout is 300 ms; retries are off; the next
// export answers ok.
// Guarantees: the hung export is cut at the timeout (the deadline reaches Rust) with a
// retryable error, and the exporter sends the next batch.
func TestHungExportIsCutAtTheTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	c := newChaos(t, synchronous(map[string]any{
		"outcomes":         []any{"hang", "ok"},
		"timeout":          timeout.String(),
		"retry_on_failure": map[string]any{"enabled": false},
	}))
	exp := c.traces(t)
	began := time.Now()
	err := exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(1))
	took := time.Since(began)
	if err == nil || consumererror.IsPermanent(err) || !strings.Contains(err.Error(), "export timed out") {
		t.Fatalf("got %v, want a retryable timeout", err)
	}
	// Generous margin: a loaded machine may be slow to wake, but a hang is not cut at all.
	if took < timeout || took > timeout+10*time.Second {
		t.Fatalf("cut after %v, timeout %v", took, timeout)
	}
	// Rust says how long it was given: the configured timeout (less the time to reach Rust),
	// not exporterhelper's default of 5s.
	given, err := time.ParseDuration(strings.TrimPrefix(regexp.MustCompile(`export timed out after \S+`).FindString(err.Error()), "export timed out after "))
	if err != nil || given <= 0 || given > timeout {
		t.Fatalf("Rust was given %v (%v), want at most the timeout %v", given, err, timeout)
	}
	if err := exp.ConsumeTraces(context.Background(), testdata.GenerateTraces(1)); err != nil {
		t.Fatalf("after the timeout: %v", err)
	}
}

// Scenario: rust_chaos's export never ends and the timeout is a minute; the caller cancels its
// context once Rust is in the export.
// Guarantees: the cancellation reaches Rust, which gives up the export at once with a
// retryable error.
func TestCancellationReachesRust(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{
		"outcomes":         []any{"hang"},
		"timeout":          "1m",
		"retry_on_failure": map[string]any{"enabled": false},
	}))
	exp := c.traces(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- exp.ConsumeTraces(ctx, testdata.GenerateTraces(1)) }()
	eventually(t, "rust_chaos is in the export", func() bool { return c.sum(t, "rust_chaos_batches") == 1 })
	cancel()
	select {
	case err := <-done:
		if err == nil || consumererror.IsPermanent(err) || !strings.Contains(err.Error(), "export cancelled") {
			t.Fatalf("got %v, want a retryable cancellation", err)
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatal("context not cancelled")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cancelled export still runs after 10s")
	}
}

// Scenario: an exporter whose context is already cancelled.
// Guarantees: Rust is not asked to export (no batch counted) and the error is retryable.
func TestCancelledContextDoesNotExport(t *testing.T) {
	c := newChaos(t, synchronous(map[string]any{"retry_on_failure": map[string]any{"enabled": false}}))
	exp := c.traces(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := exp.ConsumeTraces(ctx, testdata.GenerateTraces(1))
	if err == nil || consumererror.IsPermanent(err) {
		t.Fatalf("got %v", err)
	}
	if got := c.sum(t, "rust_chaos_batches"); got != 0 {
		t.Fatalf("Rust exported %d batches for a cancelled context", got)
	}
}

// Scenario: the default sending_queue in front of rust_chaos, which answers permanent.
// Guarantees: sending_queue is applied: the batch is accepted into the queue (the caller sees
// no error), and the queue consumer's permanent failure is counted as failed spans.
func TestSendingQueueIsApplied(t *testing.T) {
	c := newChaos(t, map[string]any{"outcomes": []any{"permanent"}})
	if err := c.traces(t).ConsumeTraces(context.Background(), testdata.GenerateTraces(4)); err != nil {
		t.Fatalf("a queued batch answered %v", err)
	}
	eventually(t, "the queued batch failed", func() bool { return c.sum(t, "otelcol_exporter_send_failed_spans") == 4 })
	if got := c.sum(t, "rust_chaos_batches"); got != 1 {
		t.Fatalf("%d attempts of a permanent failure", got)
	}
}
