//go:build otelcolrust_testcomponents

package rustexporter

import (
	"bufio"
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/pdata/testdata"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// runCollector runs an in-process collector with the otlp receiver and the Rust exporters.
func runCollector(t *testing.T, config string) *testutil.Collector {
	t.Helper()
	rust, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	return testutil.RunCollectorWith(t, config, []receiver.Factory{otlpreceiver.NewFactory()}, rust)
}

// Scenario: a collector whose traces, metrics and logs pipelines run the otlp receiver (HTTP)
// into a rust_chaos exporter that decodes every batch, with the default sending_queue; one
// OTLP/HTTP request per signal is sent in, and the collector's own metrics are read from its
// Prometheus endpoint.
// Guarantees: the collector starts the Rust exporter in its pipelines, every span, data point
// and log record received reaches Rust whole and is counted by the standard
// otelcol_exporter_sent_* metrics; the collector shuts down cleanly, leaving no Rust instance.
func TestCollectorExportsThroughRust(t *testing.T) {
	before := liveInstances(t)
	otlp, metrics := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	host, port, _ := strings.Cut(metrics, ":")
	col := runCollector(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  rust_chaos:
    decode: true
service:
  telemetry:
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: %s
                port: %s
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [rust_chaos]
    metrics:
      receivers: [otlp]
      exporters: [rust_chaos]
    logs:
      receivers: [otlp]
      exporters: [rust_chaos]
`, otlp, host, port))
	col.WaitRunning(t, 20*time.Second)
	if n := liveInstances(t); n != before+3 {
		t.Fatalf("%d Rust instances for 3 pipelines", n-before)
	}

	traces, md, logs := testdata.GenerateTraces(10), testdata.GenerateMetrics(4), testdata.GenerateLogs(6)
	post(t, "http://"+otlp+"/v1/traces", must(ptraceotlp.NewExportRequestFromTraces(traces).MarshalProto()))
	post(t, "http://"+otlp+"/v1/metrics", must(pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()))
	post(t, "http://"+otlp+"/v1/logs", must(plogotlp.NewExportRequestFromLogs(logs).MarshalProto()))

	want := map[string]int64{
		"otelcol_exporter_sent_spans":                int64(traces.SpanCount()),
		"otelcol_exporter_sent_metric_points":        int64(md.DataPointCount()),
		"otelcol_exporter_sent_log_records":          int64(logs.LogRecordCount()),
		"otelcol_exporter_send_failed_spans":         0,
		"otelcol_exporter_send_failed_metric_points": 0,
		"otelcol_exporter_send_failed_log_records":   0,
		"rust_chaos_decoded_items":                   int64(traces.SpanCount() + md.DataPointCount() + logs.LogRecordCount()),
	}
	var got map[string]int64
	for deadline := time.Now().Add(10 * time.Second); !maps.Equal(got, want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the collector's metrics of rust_chaos: %v, want %v", got, want)
		}
		got = scrape(t, "http://"+metrics+"/metrics", want)
	}
	col.Stop(t)
	if n := liveInstances(t); n != before {
		t.Fatalf("%d Rust instances left after the collector stopped", n-before)
	}
}

// Guarantees: a bad Rust exporter config fails collector start-up at config load with Rust's
// message, under the config path of the component and the key path of the problem.
func TestCollectorRejectsBadRustExporterConfig(t *testing.T) {
	col := runCollector(t, `
receivers:
  nop:
exporters:
  rust_chaos/bad:
    outcomes: [ok, explode]
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [nop]
      exporters: [rust_chaos/bad]
`)
	err, ok := col.WaitStopped(20 * time.Second)
	if !ok {
		t.Fatal("collector still running with a bad config")
	}
	const want = `exporters::rust_chaos/bad: outcomes[1]: unknown outcome "explode"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("collector run: %v, want %q", err, want)
	}
}

func must(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

// post sends one OTLP/HTTP protobuf request and requires a 200.
func post(t *testing.T, url string, body []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s", url, resp.Status)
	}
}

// scrape reads the collector's Prometheus endpoint and sums, per metric in names, the series
// of the rust_chaos exporter.
func scrape(t *testing.T, url string, names map[string]int64) map[string]int64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil // not serving yet
	}
	defer resp.Body.Close()
	sums := map[string]int64{}
	for name := range names {
		sums[name] = 0 // a counter never added to has no series
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		line := lines.Text()
		if strings.Contains(line, "sent_spans") || strings.Contains(line, "decoded") {
			t.Log(line)
		}
		name, rest, ok := strings.Cut(line, "{")
		name = strings.TrimSuffix(name, "_total") // as the Prometheus exporter's options have it
		if _, wanted := names[name]; !ok || !wanted {
			continue
		}
		// The collector's series name the exporter; the Rust instance's are the only ones.
		if strings.HasPrefix(name, "otelcol_") && !strings.Contains(rest, `exporter="rust_chaos"`) {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		value, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		sums[name] += int64(value)
	}
	return sums
}
