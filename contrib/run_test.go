package contrib

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-rust/otelcol-rust/go/rustprocessor"
)

// The processors the comparisons use, by the type a config names.
var (
	goRedaction = redactionprocessor.NewFactory()
	goFilter    = newOTTLFilterFactory()
	rustFactory = sync.OnceValues(func() (map[string]processor.Factory, error) {
		factories, err := rustprocessor.NewFactories()
		if err != nil {
			return nil, err
		}
		byType := make(map[string]processor.Factory, len(factories))
		for _, f := range factories {
			byType[f.Type().String()] = f
		}
		return byType, nil
	})
)

// rust returns the rustprocessor factory of typ (rust_redaction, rust_filter); the test fails
// if the linked Rust library does not register it.
func rust(tb testing.TB, typ string) processor.Factory {
	tb.Helper()
	factories, err := rustFactory()
	if err != nil {
		tb.Fatal(err)
	}
	f, ok := factories[typ]
	if !ok {
		tb.Fatalf("the linked Rust library registers no %s processor", typ)
	}
	return f
}

// stage is one processor of a chain: its factory, its name (the id is type/name) and its
// config as a user writes it under `processors:` (YAML).
type stage struct {
	factory processor.Factory
	name    string
	config  string
}

// loadConfig decodes config (YAML) over factory's default config as the collector does, and
// validates it.
func loadConfig(tb testing.TB, factory processor.Factory, config string) component.Config {
	tb.Helper()
	raw := map[string]any{}
	if err := yaml.Unmarshal([]byte(config), &raw); err != nil {
		tb.Fatalf("%s config: %v", factory.Type(), err)
	}
	cfg := factory.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(raw).Unmarshal(cfg); err != nil {
		tb.Fatalf("%s config: %v", factory.Type(), err)
	}
	if err := confmap.Validate(cfg); err != nil {
		tb.Fatalf("%s config: %v", factory.Type(), err)
	}
	return cfg
}

// chainOps is what building a chain of one signal's processors takes: the signal's create and
// consume calls, and a sink that keeps what reaches it.
type chainOps[T any] struct {
	signal[T]
	create  func(f processor.Factory, ctx context.Context, set processor.Settings, cfg component.Config, next any) (processorOf[T], error)
	newSink func() (next any, batches func() []T)
}

// processorOf is a created processor of one signal.
type processorOf[T any] interface {
	component.Component
	consume(ctx context.Context, data T) error
}

type tracesProc struct{ processor.Traces }

func (p tracesProc) consume(ctx context.Context, td ptrace.Traces) error {
	return p.ConsumeTraces(ctx, td)
}

type metricsProc struct{ processor.Metrics }

func (p metricsProc) consume(ctx context.Context, md pmetric.Metrics) error {
	return p.ConsumeMetrics(ctx, md)
}

type logsProc struct{ processor.Logs }

func (p logsProc) consume(ctx context.Context, ld plog.Logs) error {
	return p.ConsumeLogs(ctx, ld)
}

var (
	tracesChain = chainOps[ptrace.Traces]{
		signal: tracesSignal,
		create: func(f processor.Factory, ctx context.Context, set processor.Settings, cfg component.Config, next any) (processorOf[ptrace.Traces], error) {
			p, err := f.CreateTraces(ctx, set, cfg, next.(consumer.Traces))
			return tracesProc{p}, err
		},
		newSink: func() (any, func() []ptrace.Traces) {
			s := new(consumertest.TracesSink)
			return s, s.AllTraces
		},
	}
	metricsChain = chainOps[pmetric.Metrics]{
		signal: metricsSignal,
		create: func(f processor.Factory, ctx context.Context, set processor.Settings, cfg component.Config, next any) (processorOf[pmetric.Metrics], error) {
			p, err := f.CreateMetrics(ctx, set, cfg, next.(consumer.Metrics))
			return metricsProc{p}, err
		},
		newSink: func() (any, func() []pmetric.Metrics) {
			s := new(consumertest.MetricsSink)
			return s, s.AllMetrics
		},
	}
	logsChain = chainOps[plog.Logs]{
		signal: logsSignal,
		create: func(f processor.Factory, ctx context.Context, set processor.Settings, cfg component.Config, next any) (processorOf[plog.Logs], error) {
			p, err := f.CreateLogs(ctx, set, cfg, next.(consumer.Logs))
			return logsProc{p}, err
		},
		newSink: func() (any, func() []plog.Logs) {
			s := new(consumertest.LogsSink)
			return s, s.AllLogs
		},
	}
)

// startChain creates the stages, each handing its output to the next and the last to next,
// and starts them downstream first (as the collector does, which is also when a Rust
// processor finds the Rust processor after it, to run both in one crossing). It returns the
// first stage; cleanup shuts them down in pipeline order.
func startChain[T any](tb testing.TB, ops chainOps[T], stages []stage, next any) processorOf[T] {
	tb.Helper()
	ctx := context.Background()
	host := componenttest.NewNopHost()
	procs := make([]processorOf[T], len(stages))
	for i := len(stages) - 1; i >= 0; i-- {
		s := stages[i]
		set := processortest.NewNopSettings(s.factory.Type())
		set.ID = component.NewIDWithName(s.factory.Type(), s.name)
		p, err := ops.create(s.factory, ctx, set, loadConfig(tb, s.factory, s.config), next)
		if err != nil {
			tb.Fatalf("create %s: %v", set.ID, err)
		}
		if err := p.Start(ctx, host); err != nil {
			tb.Fatalf("start %s: %v", set.ID, err)
		}
		procs[i] = p
		next = p
	}
	tb.Cleanup(func() {
		for i, p := range procs {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := p.Shutdown(ctx); err != nil {
				tb.Errorf("shutdown %s/%s: %v", stages[i].factory.Type(), stages[i].name, err)
			}
			cancel()
		}
	})
	return procs[0]
}

// runChain sends a copy of each input batch through a new chain of stages and returns what
// reached its end, batch by batch (a batch every stage dropped does not arrive).
func runChain[T any](tb testing.TB, ops chainOps[T], stages []stage, inputs ...T) []T {
	tb.Helper()
	sink, batches := ops.newSink()
	first := startChain(tb, ops, stages, sink)
	for _, in := range inputs {
		if err := first.consume(context.Background(), ops.copyOf(in)); err != nil {
			tb.Fatalf("%s: %v", ops.name, err)
		}
	}
	return batches()
}
