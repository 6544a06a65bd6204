//go:build otelcolrust_testcomponents

package rustexporter

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// chaos is a started rust_chaos exporter of one signal, built by its real factory and wrapped
// by the real exporterhelper, with telemetry a test can read: the collector's standard
// exporter metrics, this package's own, the Rust instance's counters (rust_chaos_batches,
// rust_chaos_items) and every log record.
type chaos struct {
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
	set  exporter.Settings
	cfg  *Config
}

// newChaos loads conf (a rust_chaos exporter section) over the factory's defaults as the
// collector does and validates it.
func newChaos(t *testing.T, conf map[string]any) *chaos {
	t.Helper()
	factory := NewFactory("rust_chaos")
	cfg := factory.CreateDefaultConfig().(*Config)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	core, logs := observer.New(zapcore.DebugLevel)
	set := exportertest.NewNopSettings(factory.Type())
	set.ID = component.NewID(factory.Type()) // errors and logs name "rust_chaos"
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	return &chaos{tel: tel, logs: logs, set: set, cfg: cfg}
}

// synchronous is a section whose consume calls return the export's final outcome: no queue,
// and retries a few milliseconds apart.
func synchronous(section map[string]any) map[string]any {
	conf := map[string]any{
		"sending_queue":    map[string]any{"enabled": false},
		"retry_on_failure": map[string]any{"initial_interval": "5ms", "max_interval": "5ms", "randomization_factor": 0.0},
	}
	for key, value := range section {
		conf[key] = value
	}
	return conf
}

// traces creates the traces exporter and starts it; it is shut down when the test ends.
func (c *chaos) traces(t *testing.T) exporter.Traces {
	t.Helper()
	exp, err := NewFactory("rust_chaos").CreateTraces(context.Background(), c.set, c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	start(t, exp)
	return exp
}

func start(t *testing.T, exp component.Component) {
	t.Helper()
	if err := exp.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exp.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
}

// sum answers the total of every series of the metric name (0 when it has none yet).
func (c *chaos) sum(t *testing.T, name string) int64 {
	t.Helper()
	m, err := c.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	total := int64(0)
	switch data := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, point := range data.DataPoints {
			total += point.Value
		}
	default:
		t.Fatalf("%s: unexpected data %T", name, m.Data)
	}
	return total
}

// eventually polls done (a condition another goroutine makes true in its own time) for 10 s.
func eventually(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}
