package testutil

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// Collector is an in-process collector (nop receiver and exporter, the given extensions)
// whose config a test can replace, which reloads it as a changed config file would. The config
// may use `${env:...}`, resolved by the collector's env provider as distributions do.
type Collector struct {
	*otelcol.Collector
	config *reloadableConfig
	done   chan error
	// Logs holds every record the collector and its components logged (also written to
	// stderr as usual).
	Logs *observer.ObservedLogs
}

// RunCollector builds a collector from config (YAML) and runs it; Run's result arrives on
// Done. It does not wait for the collector to be running (see WaitRunning).
func RunCollector(tb testing.TB, config string, extensions ...extension.Factory) *Collector {
	tb.Helper()
	return RunCollectorWith(tb, config, nil, nil, extensions...)
}

// RunCollectorWith is RunCollector with receivers and exporters besides the nop ones.
func RunCollectorWith(tb testing.TB, config string, moreReceivers []receiver.Factory, moreExporters []exporter.Factory, extensions ...extension.Factory) *Collector {
	tb.Helper()
	return RunCollectorWithProcessors(tb, config, nil, moreReceivers, moreExporters, extensions...)
}

// RunCollectorWithProcessors is RunCollectorWith with processors.
func RunCollectorWithProcessors(tb testing.TB, config string, processors []processor.Factory, moreReceivers []receiver.Factory, moreExporters []exporter.Factory, extensions ...extension.Factory) *Collector {
	tb.Helper()
	source := &reloadableConfig{yaml: config}
	factories := func() (otelcol.Factories, error) {
		exts, err := otelcol.MakeFactoryMap(extensions...)
		if err != nil {
			return otelcol.Factories{}, err
		}
		receivers, err := otelcol.MakeFactoryMap(append([]receiver.Factory{receivertest.NewNopFactory()}, moreReceivers...)...)
		if err != nil {
			return otelcol.Factories{}, err
		}
		exporters, err := otelcol.MakeFactoryMap(append([]exporter.Factory{exportertest.NewNopFactory()}, moreExporters...)...)
		if err != nil {
			return otelcol.Factories{}, err
		}
		procs, err := otelcol.MakeFactoryMap(processors...)
		if err != nil {
			return otelcol.Factories{}, err
		}
		return otelcol.Factories{
			Extensions: exts,
			Receivers:  receivers,
			Processors: procs,
			Exporters:  exporters,
			Telemetry:  otelconftelemetry.NewFactory(),
		}, nil
	}
	observed, logs := observer.New(zapcore.DebugLevel)
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-rust-test", Version: "1.2.3-test"},
		Factories: factories,
		LoggingOptions: []zap.Option{zap.WrapCore(func(core zapcore.Core) zapcore.Core {
			return zapcore.NewTee(core, observed)
		})},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				URIs: []string{"test:config"},
				ProviderFactories: []confmap.ProviderFactory{
					confmap.NewProviderFactory(source.provider),
					envprovider.NewFactory(),
				},
			},
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	c := &Collector{Collector: col, config: source, done: make(chan error, 1), Logs: logs}
	go func() { c.done <- col.Run(context.Background()) }()
	tb.Cleanup(func() {
		if _, stopped := c.ShutdownWithin(20 * time.Second); !stopped {
			tb.Errorf("collector did not stop within 20s (state %v)", c.GetState())
		}
	})
	return c
}

// ShutdownWithin asks the collector to shut down and waits up to timeout for Run to return
// (otelcol's Shutdown itself waits for Run without a bound, so a hung collector would hang
// the test instead of failing it).
func (c *Collector) ShutdownWithin(timeout time.Duration) (err error, ok bool) {
	go c.Shutdown()
	return c.WaitStopped(timeout)
}

// Logged answers the records whose message is message.
func (c *Collector) Logged(message string) []observer.LoggedEntry {
	return c.Logs.FilterMessage(message).All()
}

// WaitRunning waits up to timeout for the collector to be running.
func (c *Collector) WaitRunning(tb testing.TB, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for c.GetState() != otelcol.StateRunning {
		select {
		case err := <-c.done:
			c.done <- err
			tb.Fatalf("collector stopped before running: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("collector not running within %v (state %v)", timeout, c.GetState())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitStopped waits up to timeout for Run to return and answers its result; ok is false
// when it did not return in time.
func (c *Collector) WaitStopped(timeout time.Duration) (err error, ok bool) {
	select {
	case err := <-c.done:
		c.done <- err
		return err, true
	case <-time.After(timeout):
		return nil, false
	}
}

// Stop shuts the collector down and fails the test unless Run returns nil within 20 s.
func (c *Collector) Stop(tb testing.TB) {
	tb.Helper()
	err, ok := c.ShutdownWithin(20 * time.Second)
	if !ok {
		tb.Fatalf("collector did not stop within 20s (state %v)", c.GetState())
	}
	if err != nil {
		tb.Fatalf("collector run: %v", err)
	}
}

// Reload replaces the config and tells the collector it changed.
func (c *Collector) Reload(tb testing.TB, config string) {
	tb.Helper()
	if err := c.config.replace(config); err != nil {
		tb.Fatal(err)
	}
}

// reloadableConfig is a confmap provider (scheme "test") serving YAML the test can replace.
type reloadableConfig struct {
	mu      sync.Mutex
	yaml    string
	watcher confmap.WatcherFunc
}

func (r *reloadableConfig) provider(confmap.ProviderSettings) confmap.Provider { return r }

func (r *reloadableConfig) Retrieve(_ context.Context, _ string, watcher confmap.WatcherFunc) (*confmap.Retrieved, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.watcher = watcher
	return confmap.NewRetrievedFromYAML([]byte(r.yaml))
}

func (r *reloadableConfig) replace(config string) error {
	r.mu.Lock()
	r.yaml = config
	watcher := r.watcher
	r.mu.Unlock()
	if watcher == nil {
		return errors.New("the collector has not read its config yet")
	}
	watcher(&confmap.ChangeEvent{})
	return nil
}

func (*reloadableConfig) Scheme() string                 { return "test" }
func (*reloadableConfig) Shutdown(context.Context) error { return nil }
