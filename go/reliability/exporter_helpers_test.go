//go:build otelcolrust_testcomponents

package reliability

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustexporter"
)

// sink is where collector B's pipelines end: a Go exporter keeping every batch B's otlp
// receiver passed on, for the tests to compare with what they sent into collector A.
type sink struct {
	mu      sync.Mutex
	traces  []ptrace.Traces
	metrics []pmetric.Metrics
	logs    []plog.Logs
}

// factory is the sink's exporter factory (type "sink"), for B's config.
func (s *sink) factory() exporter.Factory {
	noConfig := func() component.Config { return &struct{}{} }
	exporterOf := func(context.Context, exporter.Settings, component.Config) (sinkExporter, error) {
		return sinkExporter{s}, nil
	}
	return exporter.NewFactory(component.MustNewType("sink"), noConfig,
		exporter.WithTraces(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Traces, error) {
			return exporterOf(ctx, set, cfg)
		}, component.StabilityLevelStable),
		exporter.WithMetrics(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
			return exporterOf(ctx, set, cfg)
		}, component.StabilityLevelStable),
		exporter.WithLogs(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
			return exporterOf(ctx, set, cfg)
		}, component.StabilityLevelStable))
}

// counts answers the spans, data points and log records received so far.
func (s *sink) counts() (spans, points, records int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, td := range s.traces {
		spans += td.SpanCount()
	}
	for _, md := range s.metrics {
		points += md.DataPointCount()
	}
	for _, ld := range s.logs {
		records += ld.LogRecordCount()
	}
	return spans, points, records
}

// received answers copies of the slices of batches received so far.
func (s *sink) received() ([]ptrace.Traces, []pmetric.Metrics, []plog.Logs) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.traces), slices.Clone(s.metrics), slices.Clone(s.logs)
}

type sinkExporter struct{ *sink }

func (sinkExporter) Start(context.Context, component.Host) error { return nil }
func (sinkExporter) Shutdown(context.Context) error              { return nil }
func (sinkExporter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// The batches are kept as the receiver built them: nothing else holds them afterwards.

func (e sinkExporter) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.traces = append(e.traces, td)
	return nil
}

func (e sinkExporter) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.metrics = append(e.metrics, md)
	return nil
}

func (e sinkExporter) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, ld)
	return nil
}

// runB runs collector B: its real otlp receiver (HTTP on endpoint) feeding the sink, for
// traces, metrics and logs.
func runB(t *testing.T, endpoint string, s *sink) *testutil.Collector {
	t.Helper()
	col := testutil.RunCollectorWith(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
  sink:
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [sink]
    metrics:
      receivers: [otlp]
      exporters: [sink]
    logs:
      receivers: [otlp]
      exporters: [sink]
`, endpoint), []receiver.Factory{otlpreceiver.NewFactory()}, []exporter.Factory{s.factory()})
	col.WaitRunning(t, 20*time.Second)
	return col
}

// runA runs collector A: the otlp receiver (HTTP on otlp) into every pipeline, the Rust
// exporters, and its own metrics served in Prometheus form on metrics. exporters is the YAML
// under `exporters:` (indented by two) and pipelines the YAML under `service.pipelines:`
// (indented by four).
func runA(t *testing.T, otlp, metrics, exporters, pipelines string) *testutil.Collector {
	t.Helper()
	host, port, _ := strings.Cut(metrics, ":")
	rust, err := rustexporter.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	col := testutil.RunCollectorWith(t, fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
exporters:
%s
service:
  telemetry:
    logs:
      sampling:
        enabled: false
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: %s
                port: %s
  pipelines:
%s
`, otlp, exporters, host, port, pipelines), []receiver.Factory{otlpreceiver.NewFactory()}, rust)
	col.WaitRunning(t, 20*time.Second)
	return col
}

// everySignal is the pipelines section sending traces, metrics and logs from the otlp
// receiver to exporter.
func everySignal(exporter string) string {
	var out strings.Builder
	for _, signal := range []string{"traces", "metrics", "logs"} {
		fmt.Fprintf(&out, "    %s:\n      receivers: [otlp]\n      exporters: [%s]\n", signal, exporter)
	}
	return out.String()
}

// The OTLP/HTTP requests of a batch, as a client of collector A sends them.

func tracesRequest(td ptrace.Traces) []byte {
	return mustMarshal(ptraceotlp.NewExportRequestFromTraces(td).MarshalProto())
}

func metricsRequest(md pmetric.Metrics) []byte {
	return mustMarshal(pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto())
}

func logsRequest(ld plog.Logs) []byte {
	return mustMarshal(plogotlp.NewExportRequestFromLogs(ld).MarshalProto())
}

func mustMarshal(data []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return data
}

// postOTLP sends one OTLP/HTTP protobuf request to endpoint (host:port) for signal and
// requires a 200.
func postOTLP(t *testing.T, endpoint, signal string, body []byte) {
	t.Helper()
	resp, err := http.Post("http://"+endpoint+"/v1/"+signal, "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s to %s: %s", signal, endpoint, resp.Status)
	}
}

// metricSums reads a collector's Prometheus endpoint and answers, for each name, the sum of its
// series whose labels include every one of labels (`key="value"`); a metric never recorded
// counts 0. The `_total` suffix the Prometheus exporter adds to counters is ignored. ok is
// false when the endpoint does not answer yet.
func metricSums(endpoint string, names []string, labels ...string) (sums map[string]float64, ok bool) {
	resp, err := http.Get("http://" + endpoint + "/metrics")
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	sums = map[string]float64{}
	for _, name := range names {
		sums[name] = 0
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		line := lines.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, labelText, value := line, "", ""
		if before, rest, found := strings.Cut(line, "{"); found {
			name = before
			labelText, value, _ = strings.Cut(rest, "} ")
		} else {
			name, value, _ = strings.Cut(line, " ")
		}
		name = strings.TrimSuffix(name, "_total")
		if _, wanted := sums[name]; !wanted {
			continue
		}
		if slices.ContainsFunc(labels, func(label string) bool {
			return !strings.Contains(","+labelText+",", ","+label+",")
		}) {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) == 0 {
			continue
		}
		if n, err := strconv.ParseFloat(fields[0], 64); err == nil {
			sums[name] += n
		}
	}
	return sums, lines.Err() == nil
}

// waitFor polls done (a condition other goroutines or processes make true in their own time)
// every 5 ms for up to timeout, then fails with what() describing the state.
func waitFor(t *testing.T, timeout time.Duration, what func() string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !done(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what())
		}
	}
}
