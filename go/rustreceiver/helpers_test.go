package rustreceiver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// sink is the downstream of the tests' pipelines: a Go exporter ("sink") that counts what it
// consumes and answers what the test says. One sink serves every signal and every exporter
// the collector creates from its factory.
type sink struct {
	mu      sync.Mutex
	spans   int
	points  int
	records int
	answer  func() error // nil: accept
	// hold, when set, makes every consume wait until it is closed (after sending on entered).
	hold    chan struct{}
	entered chan struct{}
}

func newSink() *sink { return &sink{entered: make(chan struct{}, 1024)} }

// respond makes every later batch answer err (nil accepts).
func (s *sink) respond(answer func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answer = answer
}

// holdAll makes every later batch wait in the sink until the answer function is called.
func (s *sink) holdAll() (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
	return sync.OnceFunc(func() { close(hold) })
}

// counts answers the items accepted so far: spans, data points, log records.
func (s *sink) counts() [3]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return [3]int{s.spans, s.points, s.records}
}

func (s *sink) consume(items int, counter *int) error {
	s.mu.Lock()
	hold, answer := s.hold, s.answer
	s.mu.Unlock()
	if hold != nil {
		s.entered <- struct{}{}
		<-hold
	}
	var err error
	if answer != nil {
		err = answer()
	}
	if err == nil {
		s.mu.Lock()
		*counter += items
		s.mu.Unlock()
	}
	return err
}

type sinkExporter struct {
	component.StartFunc
	component.ShutdownFunc
	consumer.Traces
	consumer.Metrics
	consumer.Logs
}

// Capabilities answers for all three signals (the embedded consumers each have theirs).
func (*sinkExporter) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *sink) factory() exporter.Factory {
	exp := func() *sinkExporter {
		traces, _ := consumer.NewTraces(func(_ context.Context, td ptrace.Traces) error { return s.consume(td.SpanCount(), &s.spans) })
		metrics, _ := consumer.NewMetrics(func(_ context.Context, md pmetric.Metrics) error {
			return s.consume(md.DataPointCount(), &s.points)
		})
		logs, _ := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error { return s.consume(ld.LogRecordCount(), &s.records) })
		return &sinkExporter{Traces: traces, Metrics: metrics, Logs: logs}
	}
	return exporter.NewFactory(component.MustNewType("sink"), func() component.Config { return &struct{}{} },
		exporter.WithTraces(func(context.Context, exporter.Settings, component.Config) (exporter.Traces, error) { return exp(), nil }, component.StabilityLevelDevelopment),
		exporter.WithMetrics(func(context.Context, exporter.Settings, component.Config) (exporter.Metrics, error) {
			return exp(), nil
		}, component.StabilityLevelDevelopment),
		exporter.WithLogs(func(context.Context, exporter.Settings, component.Config) (exporter.Logs, error) { return exp(), nil }, component.StabilityLevelDevelopment))
}

// runCollector runs an in-process collector with the Rust receivers and the sink exporter.
func runCollector(t *testing.T, config string, s *sink) *testutil.Collector {
	t.Helper()
	rust, err := NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	return testutil.RunCollectorWith(t, config, rust, []exporter.Factory{s.factory()})
}

// pipelines is a collector config: the receiver section (indented keys under `receivers:`),
// and one pipeline per signal from receiver id to the sink. metrics is where the collector
// serves its own metrics (Prometheus); empty for none.
func pipelines(receivers, id, metrics string, signals ...string) string {
	var out strings.Builder
	out.WriteString("receivers:\n" + receivers + "exporters:\n  sink:\nservice:\n  telemetry:\n    metrics:\n")
	if metrics == "" {
		out.WriteString("      level: none\n")
	} else {
		host, port, _ := strings.Cut(metrics, ":")
		fmt.Fprintf(&out, "      level: normal\n      readers:\n        - pull:\n            exporter:\n              prometheus:\n                host: %s\n                port: %s\n", host, port)
	}
	out.WriteString("  pipelines:\n")
	for _, signal := range signals {
		fmt.Fprintf(&out, "    %s:\n      receivers: [%s]\n      exporters: [sink]\n", signal, id)
	}
	return out.String()
}

// response is what a request was answered.
type response struct {
	status     int
	retryAfter string
	body       string
}

// post sends one OTLP/HTTP request (contentType "application/x-protobuf" or
// "application/json") and fails the test if it gets no answer.
func post(t *testing.T, url, contentType string, body []byte) response {
	t.Helper()
	got, err := send(url, contentType, body)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return got
}

// send is post for any goroutine.
func send(url, contentType string, body []byte) (response, error) {
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	read, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(read)}, err
}

// scrape reads the collector's Prometheus endpoint and sums, per metric in names, the series
// of the receiver id with transport "http" (the `_total` suffix dropped); nil while it does
// not answer.
func scrape(t *testing.T, endpoint, id string, names ...string) map[string]int64 {
	t.Helper()
	resp, err := http.Get("http://" + endpoint + "/metrics")
	if err != nil {
		return nil // not serving yet
	}
	defer resp.Body.Close()
	sums := map[string]int64{}
	for _, name := range names {
		sums[name] = 0 // a counter never added to has no series
	}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		name, rest, ok := strings.Cut(lines.Text(), "{")
		name = strings.TrimSuffix(name, "_total")
		if _, wanted := sums[name]; !ok || !wanted || !strings.Contains(rest, `receiver="`+id+`"`) || !strings.Contains(rest, `transport="http"`) {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndex(rest, "}")+1:])
		if len(fields) == 0 {
			continue
		}
		value, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			t.Fatalf("%q: %v", lines.Text(), err)
		}
		sums[name] += int64(value)
	}
	return sums
}

// eventually polls done every 10ms for up to 10s.
func eventually(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}

// liveInstances counts the Rust library's live instances.
func liveInstances(t *testing.T) uint64 {
	t.Helper()
	n, err := rustffi.LiveInstances()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
