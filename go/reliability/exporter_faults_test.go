//go:build otelcolrust_testcomponents

package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// Scenario: one collector, its otlp receiver feeding two traces pipelines: one ends in a
// rust_chaos exporter whose first batch panics (rust_chaos/panic), the other in one whose
// first export never returns (rust_chaos/hang, `timeout: 300ms`, quick retries); both have
// the default sending_queue. Two batches of 3 spans are posted; then the collector stops.
// Guarantees: the panicking batch is a permanent error: dropped, counted in
// otelcol_exporter_send_failed_spans and otelcol_rust_export_panics, and logged (Rust's error
// record and the collector's "dropping data"); the next batch is exported by the same
// instance. The hung export is cut at the timeout ("export timed out after ~300ms", logged as
// a retry) and the retry delivers it: both batches sent, none failed. The collector shuts
// down cleanly, leaving no Rust instance.
func TestPanicAndHangInACollectorPipeline(t *testing.T) {
	before := liveInstances(t)
	otlp, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	col := runA(t, otlp, metrics, `  rust_chaos/panic:
    outcomes: [panic, ok]
  rust_chaos/hang:
    outcomes: [hang, ok]
    timeout: 300ms
    retry_on_failure:
      initial_interval: 10ms
      max_interval: 10ms
`, `    traces/panic:
      receivers: [otlp]
      exporters: [rust_chaos/panic]
    traces/hang:
      receivers: [otlp]
      exporters: [rust_chaos/hang]
`)
	began := time.Now()
	g := newGenerator(4)
	for range 2 {
		td := g.traces()
		for td.SpanCount() != 3 { // same-sized batches: the counts below do not depend on order
			td = g.traces()
		}
		postOTLP(t, otlp, "traces", tracesRequest(td))
	}

	names := []string{"otelcol_exporter_sent_spans", "otelcol_exporter_send_failed_spans"}
	want := map[string]map[string]float64{
		"rust_chaos/panic": {"otelcol_exporter_sent_spans": 3, "otelcol_exporter_send_failed_spans": 3},
		"rust_chaos/hang":  {"otelcol_exporter_sent_spans": 6, "otelcol_exporter_send_failed_spans": 0},
	}
	got := map[string]map[string]float64{}
	waitFor(t, 20*time.Second, func() string { return fmt.Sprintf("exporter metrics %v, want %v", got, want) }, func() bool {
		for id, values := range want {
			sums, ok := metricSums(metrics, names, fmt.Sprintf(`exporter=%q`, id))
			if !ok {
				return false
			}
			got[id] = sums
			for name, value := range values {
				if sums[name] != value {
					return false
				}
			}
		}
		return true
	})
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Errorf("the hung batch was delivered after %v, before its 300ms timeout", took)
	}
	// rust_chaos counts every batch it was handed: 2 for the panicking exporter, 3 (one
	// retried) for the hanging one.
	sums, _ := metricSums(metrics, []string{"rust_chaos_batches", "otelcol_rust_export_panics"})
	if sums["rust_chaos_batches"] != 5 || sums["otelcol_rust_export_panics"] < 1 {
		t.Errorf("rust_chaos_batches %v (want 5), otelcol_rust_export_panics %v (want >= 1)",
			sums["rust_chaos_batches"], sums["otelcol_rust_export_panics"])
	}

	logged := func(message, id, text string) int {
		n := 0
		for _, entry := range col.Logged(message) {
			fields := entry.ContextMap()
			if fmt.Sprint(fields["otelcol.component.id"]) == id && strings.Contains(fmt.Sprint(fields["error"]), text) {
				n++
			}
		}
		return n
	}
	if n := logged("Exporting failed. Dropping data.", "rust_chaos/panic",
		`rust exporter "rust_chaos/panic": rust exporter panicked: rust_chaos panics in export`); n != 1 {
		t.Errorf("the panicking batch was logged as dropped %d times, want 1", n)
	}
	if n := logged("Exporting failed. Will retry the request after interval.", "rust_chaos/hang",
		// Rust names what was left of the 300ms when the call crossed (e.g. 299ms).
		`rust exporter "rust_chaos/hang": export timed out after `); n != 1 {
		t.Errorf("the hung export was logged as cut and retried %d times, want 1", n)
	}
	// Rust's own record of the panic arrives through the log drain, in its own time.
	waitFor(t, 10*time.Second, func() string { return "no Rust error record of the panic" }, func() bool {
		for _, entry := range col.Logs.All() {
			if strings.HasPrefix(entry.Message, "rust exporter panicked: rust_chaos panics in export") &&
				fmt.Sprint(entry.ContextMap()["otelcol.component.id"]) == "rust_chaos/panic" {
				return true
			}
		}
		return false
	})
	col.Stop(t)
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances left after the collector stopped", n-before)
	}
}
