package contrib

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
)

// A real collector for the pipeline comparisons: the test receiver `golden` hands the test
// the consumer the collector built for it (so the test sends batches into the pipeline as a
// receiver would), the processors are the real factories (redactionprocessor, ottl_filter,
// rustprocessor's), and the exporter `sink` keeps what reaches it.

// endpoints are one collector's test receivers' consumers and sink exporters' sinks, by
// component id and signal.
type endpoints struct {
	mu        sync.Mutex
	consumers map[string]any // "id signal" -> consumer.Traces/Metrics/Logs
	sinks     map[string]any // "id signal" -> *consumertest.TracesSink/MetricsSink/LogsSink
}

func key(id component.ID, sig pipeline.Signal) string { return id.String() + " " + sig.String() }

func (e *endpoints) put(m map[string]any, id component.ID, sig pipeline.Signal, v any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m[key(id, sig)] = v
}

func (e *endpoints) get(tb testing.TB, m map[string]any, id string, sig pipeline.Signal) any {
	tb.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := m[id+" "+sig.String()]
	if !ok {
		tb.Fatalf("the collector built no %s %s", id, sig)
	}
	return v
}

type nopConfig struct{}

// goldenReceiver is what the `golden` receiver factory creates: it holds its consumer and
// does nothing else.
type goldenReceiver struct{ component.Component }

func (e *endpoints) receiverFactory() receiver.Factory {
	nop := goldenReceiver{componentNop{}}
	return receiver.NewFactory(component.MustNewType("golden"), func() component.Config { return &nopConfig{} },
		receiver.WithTraces(func(_ context.Context, set receiver.Settings, _ component.Config, next consumer.Traces) (receiver.Traces, error) {
			e.put(e.consumers, set.ID, pipeline.SignalTraces, next)
			return nop, nil
		}, component.StabilityLevelDevelopment),
		receiver.WithMetrics(func(_ context.Context, set receiver.Settings, _ component.Config, next consumer.Metrics) (receiver.Metrics, error) {
			e.put(e.consumers, set.ID, pipeline.SignalMetrics, next)
			return nop, nil
		}, component.StabilityLevelDevelopment),
		receiver.WithLogs(func(_ context.Context, set receiver.Settings, _ component.Config, next consumer.Logs) (receiver.Logs, error) {
			e.put(e.consumers, set.ID, pipeline.SignalLogs, next)
			return nop, nil
		}, component.StabilityLevelDevelopment))
}

type componentNop struct{}

func (componentNop) Start(context.Context, component.Host) error { return nil }
func (componentNop) Shutdown(context.Context) error              { return nil }

type tracesSink struct {
	componentNop
	*consumertest.TracesSink
}
type metricsSink struct {
	componentNop
	*consumertest.MetricsSink
}
type logsSink struct {
	componentNop
	*consumertest.LogsSink
}

func (e *endpoints) exporterFactory() exporter.Factory {
	return exporter.NewFactory(component.MustNewType("sink"), func() component.Config { return &nopConfig{} },
		exporter.WithTraces(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Traces, error) {
			s := new(consumertest.TracesSink)
			e.put(e.sinks, set.ID, pipeline.SignalTraces, s)
			return tracesSink{TracesSink: s}, nil
		}, component.StabilityLevelDevelopment),
		exporter.WithMetrics(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Metrics, error) {
			s := new(consumertest.MetricsSink)
			e.put(e.sinks, set.ID, pipeline.SignalMetrics, s)
			return metricsSink{MetricsSink: s}, nil
		}, component.StabilityLevelDevelopment),
		exporter.WithLogs(func(_ context.Context, set exporter.Settings, _ component.Config) (exporter.Logs, error) {
			s := new(consumertest.LogsSink)
			e.put(e.sinks, set.ID, pipeline.SignalLogs, s)
			return logsSink{LogsSink: s}, nil
		}, component.StabilityLevelDevelopment))
}

// runCollector runs a collector with config (YAML), the golden receiver, the sink exporter
// and every processor factory the comparisons use, and waits until it is running; cleanup
// shuts it down.
func runCollector(tb testing.TB, config string) *endpoints {
	tb.Helper()
	e := &endpoints{consumers: map[string]any{}, sinks: map[string]any{}}
	rustFactories, err := rustFactory()
	if err != nil {
		tb.Fatal(err)
	}
	processors := []processor.Factory{goRedaction, goFilter}
	for _, f := range rustFactories {
		processors = append(processors, f)
	}
	factories := func() (otelcol.Factories, error) {
		var f otelcol.Factories
		var err error
		if f.Receivers, err = otelcol.MakeFactoryMap(e.receiverFactory()); err != nil {
			return f, err
		}
		if f.Exporters, err = otelcol.MakeFactoryMap(e.exporterFactory()); err != nil {
			return f, err
		}
		if f.Processors, err = otelcol.MakeFactoryMap(processors...); err != nil {
			return f, err
		}
		f.Telemetry = otelconftelemetry.NewFactory()
		return f, nil
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-rust-contrib-test", Version: "test"},
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"yaml:" + config},
			ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
		}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- col.Run(context.Background()) }()
	tb.Cleanup(func() {
		col.Shutdown()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("collector run: %v", err)
			}
		case <-time.After(30 * time.Second):
			tb.Errorf("the collector did not stop within 30 s")
		}
	})
	// The collector has no "running" notification for an in-process caller: poll its state.
	deadline := time.Now().Add(30 * time.Second)
	for col.GetState() != otelcol.StateRunning {
		select {
		case err := <-done:
			tb.Fatalf("the collector stopped before running: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the collector is not running after 30 s (state %v)", col.GetState())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return e
}

// send hands copies of inputs to receiver id's consumer of the signal, one batch at a time.
func send[T any](tb testing.TB, e *endpoints, id string, ops collectorOps[T], inputs ...T) {
	tb.Helper()
	c := e.get(tb, e.consumers, id, ops.pipelineSignal)
	for _, in := range inputs {
		if err := ops.consume(c, ops.copyOf(in)); err != nil {
			tb.Fatalf("%s %s: %v", id, ops.name, err)
		}
	}
}

// received is what the sink exporter id got, batch by batch.
func received[T any](tb testing.TB, e *endpoints, id string, ops collectorOps[T]) []T {
	tb.Helper()
	return ops.batches(e.get(tb, e.sinks, id, ops.pipelineSignal))
}

// collectorOps is what sending into and reading out of a collector takes for one signal.
type collectorOps[T any] struct {
	signal[T]
	pipelineSignal pipeline.Signal
	consume        func(consumer any, data T) error
	batches        func(sink any) []T
}

var (
	tracesCollector = collectorOps[ptrace.Traces]{
		signal: tracesSignal, pipelineSignal: pipeline.SignalTraces,
		consume: func(c any, td ptrace.Traces) error {
			return c.(consumer.Traces).ConsumeTraces(context.Background(), td)
		},
		batches: func(s any) []ptrace.Traces { return s.(*consumertest.TracesSink).AllTraces() },
	}
	metricsCollector = collectorOps[pmetric.Metrics]{
		signal: metricsSignal, pipelineSignal: pipeline.SignalMetrics,
		consume: func(c any, md pmetric.Metrics) error {
			return c.(consumer.Metrics).ConsumeMetrics(context.Background(), md)
		},
		batches: func(s any) []pmetric.Metrics { return s.(*consumertest.MetricsSink).AllMetrics() },
	}
	logsCollector = collectorOps[plog.Logs]{
		signal: logsSignal, pipelineSignal: pipeline.SignalLogs,
		consume: func(c any, ld plog.Logs) error { return c.(consumer.Logs).ConsumeLogs(context.Background(), ld) },
		batches: func(s any) []plog.Logs { return s.(*consumertest.LogsSink).AllLogs() },
	}
)

// indent indents every line of text by n spaces, to put a config under its key.
func indent(text string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.Trim(text, "\n"), "\n")
	for i, line := range lines {
		if line != "" {
			lines[i] = pad + line
		}
	}
	return strings.Join(lines, "\n")
}

// processorsYAML is the `processors:` section holding every config of configs (id -> YAML).
func processorsYAML(configs map[string]string) string {
	var out strings.Builder
	out.WriteString("processors:\n")
	for id, config := range configs {
		fmt.Fprintf(&out, "  %s:\n%s\n", id, indent(config, 4))
	}
	return out.String()
}
