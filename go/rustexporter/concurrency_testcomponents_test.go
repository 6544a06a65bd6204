//go:build otelcolrust_testcomponents

package rustexporter

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/testdata"
)

// Scenario: the default sending_queue with 4 consumers in front of rust_chaos (which takes
// 2 ms per batch, so exports overlap), fed by 4 goroutines with 50 batches of 5 spans each;
// the logs and metrics exporters of the same id run beside it. Run under -race.
// Guarantees: concurrent exports of one instance, and of instances of several signals, are
// safe on both sides of the boundary, and every item reaches Rust exactly once.
func TestConcurrentExports(t *testing.T) {
	const producers, batches, spans = 4, 50, 5
	c := newChaos(t, map[string]any{
		"delay_ms":      2,
		"decode":        true,
		"sending_queue": map[string]any{"num_consumers": 4, "queue_size": producers * batches},
	})
	traces := c.traces(t)
	logs, err := NewFactory("rust_chaos").CreateLogs(context.Background(), c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, logs)
	metrics, err := NewFactory("rust_chaos").CreateMetrics(context.Background(), c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, metrics)

	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for range batches {
				if err := traces.ConsumeTraces(context.Background(), testdata.GenerateTraces(spans)); err != nil {
					t.Error(err)
				}
				if err := logs.ConsumeLogs(context.Background(), testdata.GenerateLogs(1)); err != nil {
					t.Error(err)
				}
				if err := metrics.ConsumeMetrics(context.Background(), testdata.GenerateMetrics(1)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	const total = producers * batches * spans
	eventually(t, "every span sent", func() bool { return c.sum(t, "otelcol_exporter_sent_spans") == total })
	points := producers * batches * testdata.GenerateMetrics(1).DataPointCount()
	eventually(t, "every log record sent", func() bool { return c.sum(t, "otelcol_exporter_sent_log_records") == producers*batches })
	eventually(t, "every data point sent", func() bool { return c.sum(t, "otelcol_exporter_sent_metric_points") == int64(points) })
	for _, name := range []string{"otelcol_exporter_send_failed_spans", "otelcol_exporter_send_failed_log_records", "otelcol_exporter_send_failed_metric_points"} {
		if got := c.sum(t, name); got != 0 {
			t.Errorf("%s = %d", name, got)
		}
	}
	// The three instances' counters together; decoded, so each batch arrived whole.
	if got, want := c.sum(t, "rust_chaos_decoded_items"), int64(total+producers*batches+points); got != want {
		t.Errorf("Rust decoded %d items, want %d", got, want)
	}
}
