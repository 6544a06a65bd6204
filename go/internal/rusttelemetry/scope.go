// Package rusttelemetry carries the telemetry of Rust components into the collector's: their
// log records into the zap logger of the instance that emitted them, their metric instruments
// into its MeterProvider, and the Rust library's own counters into the library's.
//
// Rust never calls Go per record: records wait in a bounded Rust buffer that one goroutine per
// process drains every 100 ms while a scope is open (see docs/telemetry.md).
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
	// library is the library logger: the newest open scope's, without the component
	// attributes; nil while no scope is open (records then wait in Rust's buffer).
	library      *zap.Logger
	libraryScope uint64              // the scope library and libraryMR come from
	libraryMR    metric.Registration // the library metrics' callback while a scope is open
	pushed       string              // the level last pushed to Rust; "" before the first push
	stop         chan struct{}       // closed to stop the drain goroutine; nil while none runs
	stopped      chan struct{}       // closed by the drain goroutine when it ends
}

// libraryName names the library logger.
const libraryName = "otelcol-rust"

// Open gives a Rust instance a telemetry scope writing to set's logger and meter provider
// (the collector made them for the instance: they carry its otelcol.component.* attributes).
// The library's own records and metrics go to the newest open scope's providers, without
// those attributes. The first Open starts the drain goroutine; each one pushes the most
// verbose level any open scope's logger enables down to Rust. Close the scope once the Rust
// instance is shut down.
func Open(set component.TelemetrySettings) *Scope {
	logger := set.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	meterProvider := set.MeterProvider
	if meterProvider == nil {
		meterProvider = noop.NewMeterProvider()
	}

	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.nextToken++
	s := &Scope{token: registry.nextToken, logger: logger, meterProvider: meterProvider}
	if registry.scopes == nil {
		registry.scopes = map[uint64]*Scope{}
	}
	registry.scopes[s.token] = s
	bindLibraryLocked(s)
	pushLevelLocked()
	if registry.stop == nil {
		registry.stop, registry.stopped = make(chan struct{}), make(chan struct{})
		go drainLoop(registry.stop, registry.stopped)
	}
	return s
}

// bindLibraryLocked makes s's logger and meter provider, without the component attributes,
// the library's. registry.mu is held.
func bindLibraryLocked(s *Scope) {
	registry.library = dropInjectedLogger(s.logger).Named(libraryName)
	registry.libraryScope = s.token
	unregisterLibraryMetricsLocked()
	registry.libraryMR = registerLibraryMetrics(dropInjectedMeterProvider(s.meterProvider), registry.library)
}

// unregisterLibraryMetricsLocked removes the library metrics' callback. registry.mu is held.
func unregisterLibraryMetricsLocked() {
	if registry.libraryMR == nil {
		return
	}
	if err := registry.libraryMR.Unregister(); err != nil {
		registry.library.Warn("Cannot unregister the Rust library metrics", zap.Error(err))
	}
	registry.libraryMR = nil
}

// Token is the scope's id on the boundary (never 0, never reused in the process).
func (s *Scope) Token() uint64 { return s.token }

// Close unregisters the scope's metrics, writes the records Rust still holds, and forgets the
// scope: records of its token emitted later go to the library logger, with the token in the
// field otelcol.rust.scope. If the library used the scope's providers, it moves to the newest
// open scope's. Once no scope is open, the drain goroutine ends, the library metrics are
// unregistered and no logger is held (records wait in Rust's buffer for the next Open). Close
// is idempotent.
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

	// Drained and forgotten under drainMu, so that no drain takes records while the scope
	// is open and chooses their loggers after it was forgotten.
	drainMu.Lock()
	drainLocked()
	registry.mu.Lock()
	delete(registry.scopes, s.token)
	var stop, stopped chan struct{}
	if len(registry.scopes) == 0 {
		stop, stopped = registry.stop, registry.stopped
		registry.stop, registry.stopped = nil, nil
		unregisterLibraryMetricsLocked()
		registry.library, registry.libraryScope = nil, 0
	} else {
		if registry.libraryScope == s.token {
			bindLibraryLocked(registry.scopes[newestScopeLocked()])
		}
		pushLevelLocked()
	}
	registry.mu.Unlock()
	drainMu.Unlock()
	// Waited for outside both locks: the drain goroutine takes them.
	if stop != nil {
		close(stop)
		<-stopped
	}
}

// newestScopeLocked answers the token of the most recently opened open scope (tokens grow).
// registry.mu is held and a scope is open.
func newestScopeLocked() uint64 {
	var newest uint64
	for token := range registry.scopes {
		newest = max(newest, token)
	}
	return newest
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
