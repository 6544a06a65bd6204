//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustprocessor"
)

// feeder is a receiver (type "feed") that hands the test its pipelines' first consumers: a
// test sends each batch itself, through the collector's real pipeline, and gets the answer a
// receiver would turn into its client's (retryable or permanent). Like a real receiver it
// stops taking batches at Shutdown and waits for those in flight, so during a reload a batch
// either runs through one whole pipeline or is refused with errStopped.
type feeder struct {
	mu      sync.Mutex
	current map[string]*feedReceiver // by signal: the started receiver
}

var errStopped = errors.New("the feed receiver is not running")

func newFeeder() *feeder { return &feeder{current: map[string]*feedReceiver{}} }

type feedReceiver struct {
	f      *feeder
	signal string
	next   any

	gate    sync.RWMutex
	stopped bool
}

func (r *feedReceiver) Start(context.Context, component.Host) error {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.current[r.signal] = r
	return nil
}

func (r *feedReceiver) Shutdown(context.Context) error {
	r.gate.Lock()
	defer r.gate.Unlock()
	r.stopped = true
	return nil
}

func (f *feeder) factory() receiver.Factory {
	noConfig := func() component.Config { return &struct{}{} }
	create := func(signal string, next any) *feedReceiver { return &feedReceiver{f: f, signal: signal, next: next} }
	return receiver.NewFactory(component.MustNewType("feed"), noConfig,
		receiver.WithTraces(func(_ context.Context, _ receiver.Settings, _ component.Config, next consumer.Traces) (receiver.Traces, error) {
			return create("traces", next), nil
		}, component.StabilityLevelStable),
		receiver.WithMetrics(func(_ context.Context, _ receiver.Settings, _ component.Config, next consumer.Metrics) (receiver.Metrics, error) {
			return create("metrics", next), nil
		}, component.StabilityLevelStable),
		receiver.WithLogs(func(_ context.Context, _ receiver.Settings, _ component.Config, next consumer.Logs) (receiver.Logs, error) {
			return create("logs", next), nil
		}, component.StabilityLevelStable))
}

// send hands one batch (ptrace.Traces, pmetric.Metrics or plog.Logs) to the running
// pipeline of its signal and answers what the pipeline answered.
func (f *feeder) send(ctx context.Context, batch any) error {
	var signal string
	switch batch.(type) {
	case ptrace.Traces:
		signal = "traces"
	case pmetric.Metrics:
		signal = "metrics"
	case plog.Logs:
		signal = "logs"
	}
	f.mu.Lock()
	r := f.current[signal]
	f.mu.Unlock()
	if r == nil {
		return errStopped
	}
	r.gate.RLock()
	defer r.gate.RUnlock()
	if r.stopped {
		return errStopped
	}
	switch b := batch.(type) {
	case ptrace.Traces:
		return r.next.(consumer.Traces).ConsumeTraces(ctx, b)
	case pmetric.Metrics:
		return r.next.(consumer.Metrics).ConsumeMetrics(ctx, b)
	default:
		return r.next.(consumer.Logs).ConsumeLogs(ctx, batch.(plog.Logs))
	}
}

// processorCollector is a collector whose pipelines go from the feed receiver through
// processors into a sink, with its own metrics on a Prometheus endpoint.
type processorCollector struct {
	*testutil.Collector
	feed    *feeder
	sink    *sink
	metrics string // host:port of the Prometheus endpoint
}

// processorConfig is the collector config: processors is the YAML under `processors:`
// (indented by two), pipelines under `service.pipelines:` (indented by four).
func processorConfig(metrics, processors, pipelines string) string {
	host, port, _ := strings.Cut(metrics, ":")
	return fmt.Sprintf(`
receivers:
  feed:
processors:
%s
exporters:
  sink:
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
`, processors, host, port, pipelines)
}

// runProcessors runs a collector with every Rust processor and the Go test processors
// (goProcessorFactories).
func runProcessors(t testing.TB, processors, pipelines string) *processorCollector {
	t.Helper()
	rust, err := rustprocessor.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	pc := &processorCollector{feed: newFeeder(), sink: &sink{}, metrics: testutil.FreeEndpoint(t)}
	pc.Collector = testutil.RunCollectorWithProcessors(t, processorConfig(pc.metrics, processors, pipelines),
		append(rust, goProcessorFactories()...), []receiver.Factory{pc.feed.factory()}, []exporter.Factory{pc.sink.factory()})
	pc.WaitRunning(t, 20*time.Second)
	return pc
}

// pipeline is one line of `service.pipelines:` from feed through processors to the sink.
func pipeline(signal string, processors ...string) string {
	return fmt.Sprintf("    %s:\n      receivers: [feed]\n      processors: [%s]\n      exporters: [sink]\n", signal, strings.Join(processors, ", "))
}

// sums reads the collector's metrics (see metricSums), waiting for the endpoint to answer.
func (pc *processorCollector) sums(t *testing.T, names []string, labels ...string) map[string]float64 {
	t.Helper()
	var sums map[string]float64
	waitFor(t, 10*time.Second, func() string { return "the metrics endpoint does not answer" }, func() bool {
		var ok bool
		sums, ok = metricSums(pc.metrics, names, labels...)
		return ok
	})
	return sums
}

// processed reads one processor's processorhelper counts: items in and out.
func (pc *processorCollector) processed(t *testing.T, id string) (in, out float64) {
	t.Helper()
	sums := pc.sums(t, []string{"otelcol_processor_incoming_items", "otelcol_processor_outgoing_items"}, `processor="`+id+`"`)
	return sums["otelcol_processor_incoming_items"], sums["otelcol_processor_outgoing_items"]
}

// libraryCounts answers the Rust library's counters (process-wide).
func libraryCounts(t testing.TB) rustffi.LibraryCounts {
	t.Helper()
	counts, err := rustffi.LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// crossings answers the Rust library's process counters: crossings and stages run.
func crossings(t testing.TB) (calls, stages uint64) {
	t.Helper()
	counts := libraryCounts(t)
	return counts.ProcessCrossings, counts.ProcessStages
}

// The Go test processors: what rust_chaos's modes do, written with pdata, for the golden
// comparisons and the mixed pipelines.

// goProcessorFactories are go_append_path (append_path's transformation in Go) and
// go_forward, a Go component that passes a copy of each batch on and answers Capabilities
// with its consumer's, so that a probe cannot tell it from the collector's own wrappers.
func goProcessorFactories() []processor.Factory {
	noConfig := func() component.Config { return &struct{}{} }
	appendPath := processor.NewFactory(component.MustNewType("go_append_path"), noConfig,
		processor.WithTraces(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Traces) (processor.Traces, error) {
			return processorhelper.NewTraces(ctx, set, cfg, next, func(_ context.Context, td ptrace.Traces) (ptrace.Traces, error) {
				appendPathTraces(td, set.ID.String())
				return td, nil
			})
		}, component.StabilityLevelDevelopment),
		processor.WithMetrics(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
			return processorhelper.NewMetrics(ctx, set, cfg, next, func(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
				appendPathMetrics(md, set.ID.String())
				return md, nil
			})
		}, component.StabilityLevelDevelopment),
		processor.WithLogs(func(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
			return processorhelper.NewLogs(ctx, set, cfg, next, func(_ context.Context, ld plog.Logs) (plog.Logs, error) {
				appendPathLogs(ld, set.ID.String())
				return ld, nil
			})
		}, component.StabilityLevelDevelopment))
	forward := processor.NewFactory(component.MustNewType("go_forward"), noConfig,
		processor.WithTraces(func(_ context.Context, _ processor.Settings, _ component.Config, next consumer.Traces) (processor.Traces, error) {
			return forwarder{Traces: next}, nil
		}, component.StabilityLevelDevelopment))
	return []processor.Factory{appendPath, forward}
}

// forwarder passes a copy of each batch on; its Capabilities are its consumer's (embedded).
type forwarder struct{ consumer.Traces }

func (forwarder) Start(context.Context, component.Host) error { return nil }
func (forwarder) Shutdown(context.Context) error              { return nil }

func (f forwarder) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	clone := ptrace.NewTraces()
	td.CopyTo(clone)
	return f.Traces.ConsumeTraces(ctx, clone)
}

// pathKey is the attribute rust_chaos's append_path extends.
const pathKey = "chaos.path"

// appendPath does to m what append_path does: the id appended to pathKey's string, after a
// "/" when it is not empty (PutStr: in place, or appended to the map).
func appendPath(m pcommon.Map, id string) {
	if v, ok := m.Get(pathKey); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
		m.PutStr(pathKey, v.Str()+"/"+id)
		return
	}
	m.PutStr(pathKey, id)
}

func appendPathTraces(td ptrace.Traces, id string) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, span := range ss.Spans().All() {
				appendPath(span.Attributes(), id)
			}
		}
	}
}

func appendPathMetrics(md pmetric.Metrics, id string) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				eachPoint(m, func(attributes pcommon.Map) { appendPath(attributes, id) })
			}
		}
	}
}

func appendPathLogs(ld plog.Logs, id string) {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, record := range sl.LogRecords().All() {
				appendPath(record.Attributes(), id)
			}
		}
	}
}

// eachPoint calls f with the attributes of every data point of m.
func eachPoint(m pmetric.Metric, f func(pcommon.Map)) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		for _, p := range m.Gauge().DataPoints().All() {
			f(p.Attributes())
		}
	case pmetric.MetricTypeSum:
		for _, p := range m.Sum().DataPoints().All() {
			f(p.Attributes())
		}
	case pmetric.MetricTypeHistogram:
		for _, p := range m.Histogram().DataPoints().All() {
			f(p.Attributes())
		}
	case pmetric.MetricTypeExponentialHistogram:
		for _, p := range m.ExponentialHistogram().DataPoints().All() {
			f(p.Attributes())
		}
	case pmetric.MetricTypeSummary:
		for _, p := range m.Summary().DataPoints().All() {
			f(p.Attributes())
		}
	}
}
