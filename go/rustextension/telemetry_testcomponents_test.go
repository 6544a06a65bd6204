//go:build otelcolrust_testcomponents

package rustextension

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension/extensiontest"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// newChaos creates a rust_chaos extension with conf through its factory, with set's logger and
// meter provider when given.
func newChaos(t *testing.T, conf map[string]any, set component.TelemetrySettings) *rustExtension {
	t.Helper()
	factory := NewFactory("rust_chaos")
	cfg := factory.CreateDefaultConfig().(*RustComponentConfig)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
		t.Fatal(err)
	}
	settings := extensiontest.NewNopSettings(factory.Type())
	if set.Logger != nil {
		settings.Logger = set.Logger
	}
	if set.MeterProvider != nil {
		settings.MeterProvider = set.MeterProvider
	}
	ext, err := factory.Create(context.Background(), settings, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ext.(*rustExtension)
}

// statusHost is a host that implements componentstatus.Reporter, as the collector's host for a
// component does: it keeps what the component reports.
type statusHost struct {
	component.Host
	mu       sync.Mutex
	statuses []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.statuses = append(h.statuses, ev)
}

func (h *statusHost) reported() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.statuses)
}

// eventually polls done (a condition the Rust instance makes true in its own time) for 10 s.
func eventually(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
	}
}

// Scenario: a started rust_chaos reports a recoverable error, ok and a permanent error from a
// background task (host.report_status).
// Guarantees: the three reach the host's componentstatus.Reporter in order, as the collector's
// status events (status and error message).
func TestStatusesReachTheHostInOrder(t *testing.T) {
	ext := newChaos(t, map[string]any{"statuses": []any{"recoverable_error:flaky", "ok", "permanent_error:broken"}}, component.TelemetrySettings{})
	host := &statusHost{Host: componenttest.NewNopHost()}
	if err := ext.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ext.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	eventually(t, "three statuses reported", func() bool { return len(host.reported()) >= 3 })

	want := []struct {
		status  componentstatus.Status
		message string
	}{
		{componentstatus.StatusRecoverableError, "flaky"},
		{componentstatus.StatusOK, ""},
		{componentstatus.StatusPermanentError, "broken"},
	}
	got := host.reported()
	if len(got) != len(want) {
		t.Fatalf("%d statuses, want %d", len(got), len(want))
	}
	for i, w := range want {
		message := ""
		if err := got[i].Err(); err != nil {
			message = err.Error()
		}
		if got[i].Status() != w.status || message != w.message {
			t.Errorf("status %d: %v %q, want %v %q", i, got[i].Status(), message, w.status, w.message)
		}
	}
}

// Scenario: rust_chaos reports a recoverable error from a background task 20 ms after start;
// the collector calls NotReady before the watcher collected it (it polls every 200 ms).
// Guarantees: the status is logged, not reported: once the collector began stopping the
// instance it reports Stopping and then Stopped, and its status reporter refuses Stopped
// after an error, which would leave the instance in that error for status watchers.
func TestStatusesAfterNotReadyAreLoggedNotReported(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	ext := newChaos(t, map[string]any{"statuses": []any{"recoverable_error:late"}}, component.TelemetrySettings{Logger: zap.New(core)})
	host := &statusHost{Host: componenttest.NewNopHost()}
	if err := ext.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	if err := ext.NotReady(); err != nil {
		t.Fatal(err)
	}
	const message = "Rust extension reported a status while the collector stops it; not reported"
	eventually(t, "the late status logged", func() bool { return logs.FilterMessage(message).Len() == 1 })
	if err := ext.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := host.reported(); len(got) != 0 {
		t.Errorf("reported %v after NotReady", got)
	}
	if fields := logs.FilterMessage(message).All()[0].ContextMap(); fields["status"] != "StatusRecoverableError" || fields["error"] != "late" {
		t.Errorf("logged %v", fields)
	}
}

// Scenario: rust_chaos, with a debug logger and a meter provider with a manual reader as the
// collector would give it, logs in start and shutdown and declares instruments; it is started,
// its metrics collected, and shut down.
// Guarantees: Start opens the instance's scope (start's records reach its logger, debug
// included: the level was pushed before create) and exports its instruments on its meter
// provider; Shutdown writes the shutdown's records before it returns, unregisters the
// instruments' callback and leaves no goroutine behind (event watcher, drain loop).
func TestTheInstancesTelemetryUsesItsSettings(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	core, logs := observer.New(zapcore.DebugLevel)
	reader := sdkmetric.NewManualReader()
	ext := newChaos(t, map[string]any{"log_at_start": true, "log_on_shutdown": true, "metrics": true}, component.TelemetrySettings{
		Logger:        zap.New(core),
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	inflight := func() (int64, bool) {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name == "rust_chaos_inflight" {
					return m.Data.(metricdata.Sum[int64]).DataPoints[0].Value, true
				}
			}
		}
		return 0, false
	}
	if v, ok := inflight(); !ok || v != 3 {
		t.Errorf("rust_chaos_inflight = %d (exported: %v), want 3", v, ok)
	}
	if err := ext.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, message := range []string{"rust_chaos debug record", "rust_chaos error record", "rust_chaos shutting down"} {
		// The instance's logger has no name; the library logger (records outside any scope)
		// is the same one named otelcol-rust.
		found := logs.FilterMessage(message).All()
		if len(found) != 1 || found[0].LoggerName != "" {
			t.Errorf("%q records of the instance once Shutdown returned: %v", message, found)
		}
	}
	if _, ok := inflight(); ok {
		t.Error("rust_chaos_inflight still exported after Shutdown")
	}
}
