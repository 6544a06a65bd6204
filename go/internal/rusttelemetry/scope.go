// Package rusttelemetry carries the telemetry of Rust components into the collector's: their
// log records into the zap logger of the instance that emitted them, their metric instruments
// into its MeterProvider, and the Rust library's own counters into the library's.
//
// Rust never calls Go per record: records wait in a bounded Rust buffer that one goroutine per
// process drains every 100 ms while a scope is open (see docs/boundary.md).
package rusttelemetry

import (
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scope is the telemetry scope of one Rust instance: Rust tags the records the instance emits
// (in its create, start, shutdown and tasks) with Token, and Go writes them to the instance's
// logger.
type Scope struct {
	token         uint64
	logger        *zap.Logger
	meterProvider metric.MeterProvider

	mu      sync.Mutex
	closed  bool
	metrics metric.Registration // nil until BindMetrics registered a callback
}

// registry is the process-wide state: the open scopes, the library logger and meter provider,
// and the drain goroutine.
var registry struct {
	mu        sync.Mutex
	nextToken uint64
	scopes    map[uint64]*Scope
	library   *zap.Logger
	pushed    string              // the level last pushed to Rust; "" before the first push
	libraryMR metric.Registration // the library metrics' callback while a scope is open
	stop      chan struct{}       // closed to stop the drain goroutine; nil while none runs
	stopped   chan struct{}       // closed by the drain goroutine when it ends
}

// Open gives the Rust instance id a telemetry scope writing to set's logger and meter
// provider. The library's own records and metrics go to set's providers too (the most recent
// scope's), without the component attributes the collector injected. Close it once the Rust
// instance is shut down.
func Open(set component.TelemetrySettings, id component.ID) *Scope {
	logger := set.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	meterProvider := set.MeterProvider
	if meterProvider == nil {
		meterProvider = noop.NewMeterProvider()
	}
	_ = id // the collector's logger and meter provider already carry the component's id

	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.nextToken++
	s := &Scope{token: registry.nextToken, logger: logger, meterProvider: meterProvider}
	if registry.scopes == nil {
		registry.scopes = map[uint64]*Scope{}
	}
	registry.scopes[s.token] = s

	library := dropInjectedLogger(logger).Named("otelcol-rust")
	registry.library = library
	if registry.libraryMR != nil {
		if err := registry.libraryMR.Unregister(); err != nil {
			library.Warn("Cannot unregister the Rust library metrics", zap.Error(err))
		}
	}
	registry.libraryMR = registerLibraryMetrics(dropInjectedMeterProvider(meterProvider), library)
	pushLevelLocked()
	if registry.stop == nil {
		registry.stop, registry.stopped = make(chan struct{}), make(chan struct{})
		go drainLoop(registry.stop, registry.stopped)
	}
	return s
}

// Token is the scope's id on the boundary (never 0, never reused in the process).
func (s *Scope) Token() uint64 { return s.token }

// Close unregisters the scope's metrics, writes the records Rust still holds, and forgets the
// scope: records of its token emitted later go to the library logger, with the token in the
// field otelcol.rust.scope. Once no scope is open, the drain goroutine ends and the library
// metrics are unregistered. Close is idempotent.
func (s *Scope) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	if s.metrics != nil {
		if err := s.metrics.Unregister(); err != nil {
			s.logger.Warn("Cannot unregister the Rust instance's metrics", zap.Error(err))
		}
		s.metrics = nil
	}
	s.mu.Unlock()

	Flush()

	registry.mu.Lock()
	delete(registry.scopes, s.token)
	var stop, stopped chan struct{}
	if len(registry.scopes) == 0 {
		stop, stopped = registry.stop, registry.stopped
		registry.stop, registry.stopped = nil, nil
		if registry.libraryMR != nil {
			if err := registry.libraryMR.Unregister(); err != nil {
				registry.library.Warn("Cannot unregister the Rust library metrics", zap.Error(err))
			}
			registry.libraryMR = nil
		}
	} else {
		pushLevelLocked()
	}
	registry.mu.Unlock()
	// Waited for outside the lock: the drain goroutine takes it to look scopes up.
	if stop != nil {
		close(stop)
		<-stopped
	}
}

// pushLevelLocked tells Rust the most verbose level any open scope's logger enables, so Rust
// skips records no logger would write. registry.mu is held.
func pushLevelLocked() {
	level := "off"
	rank := len(levels)
	for _, s := range registry.scopes {
		for i, l := range levels[:rank] {
			if s.logger.Core().Enabled(l.zap) {
				rank, level = i, l.rust
				break
			}
		}
	}
	if level == registry.pushed {
		return
	}
	if err := rustffi.SetLogLevel(level); err != nil {
		registry.library.Warn("Cannot set the Rust log level", zap.String("level", level), zap.Error(err))
		return
	}
	registry.pushed = level
}

// levels maps the Rust levels Go forwards to zap's, most verbose first. Rust TRACE is never
// forwarded: zap has no level below debug.
var levels = []struct {
	rust string
	zap  zapcore.Level
}{
	{"debug", zapcore.DebugLevel},
	{"info", zapcore.InfoLevel},
	{"warn", zapcore.WarnLevel},
	{"error", zapcore.ErrorLevel},
}

// The attributes the collector injects into a component's logger and meter provider
// (go.opentelemetry.io/collector/internal/telemetry attribute.go); the library's records and
// metrics belong to no component.
var injectedAttributes = []string{
	"otelcol.component.kind", "otelcol.component.id", "otelcol.pipeline.id",
	"otelcol.signal", "otelcol.signal.output",
}

// dropInjectedLogger and dropInjectedMeterProvider do what the collector's internal
// telemetry.DropInjectedAttributes does, duck-typed because that package is internal.
func dropInjectedLogger(logger *zap.Logger) *zap.Logger {
	return logger.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		if ic, ok := c.(interface {
			DropInjectedAttributes(...string) zapcore.Core
		}); ok {
			return ic.DropInjectedAttributes(injectedAttributes...)
		}
		return c
	}))
}

func dropInjectedMeterProvider(mp metric.MeterProvider) metric.MeterProvider {
	if imp, ok := mp.(interface {
		DropInjectedAttributes(...string) metric.MeterProvider
	}); ok {
		return imp.DropInjectedAttributes(injectedAttributes...)
	}
	return mp
}

// loggerFor answers the logger of the scope token and whether the scope is open; records of
// scope 0 or of a closed scope go to the library logger.
func loggerFor(token uint64) (*zap.Logger, bool) {
	if s, ok := registry.scopes[token]; ok {
		return s.logger, true
	}
	return registry.library, false
}

func scopeField(token uint64) zap.Field {
	return zap.Uint64("otelcol.rust.scope", token)
}
