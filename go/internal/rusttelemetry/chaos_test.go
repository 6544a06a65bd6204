//go:build otelcolrust_testcomponents

package rusttelemetry

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// These tests run the test-only rust_chaos component (linked only into the test archive:
// `make rust-testlib`, `-tags otelcolrust_testcomponents`) through the real boundary.

// chaos is one rust_chaos instance started in a scope.
type chaos struct {
	t      *testing.T
	scope  *Scope
	id     rustffi.ComponentID
	handle rustffi.Handle
}

// startChaos creates and starts rust_chaos/name with config in scope and binds its metrics.
func startChaos(t *testing.T, scope *Scope, name string, config map[string]any) *chaos {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id := rustffi.ComponentID{Type: "rust_chaos", Name: name}
	h, instruments, err := rustffi.CreateAndStart(ctx, rustffi.KindExtension, id, scope.Token(), config, rustffi.HostInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if err := scope.BindMetrics("rust_chaos", h, instruments); err != nil {
		t.Fatal(err)
	}
	return &chaos{t: t, scope: scope, id: id, handle: h}
}

// shutdown shuts the instance down in its scope.
func (c *chaos) shutdown() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rustffi.Shutdown(ctx, c.id, c.scope.Token(), c.handle); err != nil {
		c.t.Fatal(err)
	}
}

// flushUntil flushes until logs holds a record with message (Rust emits it from a task of its
// own, at a time this test does not control), or fails after 10 s.
func flushUntil(t *testing.T, logs *observer.ObservedLogs, message string) observer.LoggedEntry {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		Flush()
		if found := logs.FilterMessage(message).All(); len(found) > 0 {
			return found[0]
		}
	}
	t.Fatalf("no %q record within 10s: %v", message, logs.All())
	return observer.LoggedEntry{}
}

// fieldOf answers the field key of e, or fails.
func fieldOf(t *testing.T, e observer.LoggedEntry, key string) zap.Field {
	t.Helper()
	for _, f := range e.Context {
		if f.Key == key {
			return f
		}
	}
	t.Fatalf("%q has no field %q: %v", e.Message, key, e.Context)
	return zap.Field{}
}

// Scenario: rust_chaos logs one record per level (trace to error, fields n, flag, ratio, text)
// and one through the `log` crate in start, one from a background task, and one in shutdown,
// in a scope whose logger logs debug, adds callers and adds stack traces at error (as the
// collector's does).
// Guarantees: every record but trace reaches the scope's logger at its level, with the
// logger's fields, Rust's time, Rust's file and line as the caller, no Go stack trace,
// rust.target, and each field typed; start's records keep their order; Close writes the
// shutdown's record before it returns (no wait for the drain goroutine); once the last scope
// closed, no goroutine of this package is left.
func TestRustRecordsReachTheScopesLogger(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	core, logs := observer.New(zapcore.DebugLevel)
	logger := zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel)).
		With(zap.String("otelcol.component.id", "rust_chaos/logs"))
	scope := Open(component.TelemetrySettings{Logger: logger})
	before := time.Now()
	c := startChaos(t, scope, "logs", map[string]any{"log_at_start": true, "log_in_task": true, "log_on_shutdown": true})
	flushUntil(t, logs, "rust_chaos task record")
	c.shutdown()
	scope.Close()
	after := time.Now()

	var messages []string // the instance's (records outside any scope go to the library logger)
	for _, e := range logs.All() {
		if e.LoggerName != libraryName {
			messages = append(messages, e.Message)
		}
	}
	start := []string{
		"rust_chaos debug record", "rust_chaos info record", "rust_chaos warn record",
		"rust_chaos error record", "rust_chaos log-crate record",
	}
	if i := slices.Index(messages, start[0]); i < 0 || !slices.Equal(messages[i:i+len(start)], start) {
		t.Errorf("records %q, want %q in order", messages, start)
	}
	if slices.Contains(messages, "rust_chaos trace record") {
		t.Error("a trace record was forwarded")
	}
	if len(messages) == 0 || messages[len(messages)-1] != "rust_chaos shutting down" {
		t.Errorf("records %q, want the shutdown's record last, written by Close", messages)
	}

	for i, level := range []zapcore.Level{zapcore.DebugLevel, zapcore.InfoLevel, zapcore.WarnLevel, zapcore.ErrorLevel} {
		found := logs.FilterMessage("rust_chaos " + level.String() + " record").All()
		if len(found) != 1 {
			t.Errorf("%d %v records, want 1", len(found), level)
			continue
		}
		e := found[0]
		if e.Level != level {
			t.Errorf("%q at %v", e.Message, e.Level)
		}
		if e.Time.Before(before) || e.Time.After(after) {
			t.Errorf("%q at %v, not between %v and %v", e.Message, e.Time, before, after)
		}
		if !e.Caller.Defined || !strings.HasSuffix(e.Caller.File, ".rs") || e.Caller.Line == 0 || e.Caller.Function != "" {
			t.Errorf("%q: caller %+v, want the Rust file and line", e.Message, e.Caller)
		}
		if e.Stack != "" {
			t.Errorf("%q carries a Go stack trace:\n%s", e.Message, e.Stack)
		}
		want := []zap.Field{
			zap.String("otelcol.component.id", "rust_chaos/logs"),
			zap.String("rust.target", "rust_chaos"),
			zap.Int64("n", int64(i+2)),
			zap.Bool("flag", true),
			zap.Float64("ratio", 0.5),
			zap.String("text", `hello "quoted"`),
		}
		for _, w := range want {
			if f := fieldOf(t, e, w.Key); !f.Equals(w) {
				t.Errorf("%q: field %v, want %v", e.Message, f, w)
			}
		}
	}
	bridged := logs.FilterMessage("rust_chaos log-crate record").All()
	if len(bridged) != 1 {
		t.Fatalf("%d log-crate records, want 1", len(bridged))
	}
	if bridged := bridged[0]; bridged.Level != zapcore.InfoLevel || !fieldOf(t, bridged, "rust.target").Equals(zap.String("rust.target", "rust_chaos")) {
		t.Errorf("log-crate record %+v %v", bridged.Entry, bridged.Context)
	}
}

// drainScope drains the whole Rust buffer itself (the caller holds drainMu, so the drain
// goroutine takes nothing) and answers the levels of the records of scope.
func drainScope(t *testing.T, scope *Scope) []string {
	t.Helper()
	var levels []string
	for {
		batch, err := rustffi.DrainLogs(drainBatch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range batch.Records {
			if r.Scope == scope.Token() {
				levels = append(levels, r.Level)
			}
		}
		if len(batch.Records) < drainBatch {
			return levels
		}
	}
}

// Scenario: rust_chaos logs at every level in start, in a scope whose logger enables warn;
// then again while a second scope whose logger enables debug is open; then again after that
// scope closed. The test reads the Rust buffer itself.
// Guarantees: Rust buffers only the records of the most verbose level an open scope's logger
// enables (Open and Close push it down), so records no logger writes cost no crossing.
func TestTheEnabledLevelIsPushedDownToRust(t *testing.T) {
	warnCore, _ := observer.New(zapcore.WarnLevel)
	warn := Open(component.TelemetrySettings{Logger: zap.New(warnCore)})
	defer warn.Close()
	start := func() []string {
		t.Helper()
		drainMu.Lock()
		defer drainMu.Unlock()
		drainScope(t, warn) // what earlier tests left
		c := startChaos(t, warn, "level", map[string]any{"log_at_start": true})
		levels := drainScope(t, warn)
		c.shutdown()
		return levels
	}
	if got, want := start(), []string{"warn", "error"}; !slices.Equal(got, want) {
		t.Errorf("warn logger: Rust buffered %q, want %q", got, want)
	}
	debugCore, _ := observer.New(zapcore.DebugLevel)
	debug := Open(component.TelemetrySettings{Logger: zap.New(debugCore)})
	if got, want := start(), []string{"debug", "info", "warn", "error", "info"}; !slices.Equal(got, want) {
		t.Errorf("debug logger open: Rust buffered %q, want %q", got, want)
	}
	debug.Close()
	if got, want := start(), []string{"warn", "error"}; !slices.Equal(got, want) {
		t.Errorf("debug logger closed: Rust buffered %q, want %q", got, want)
	}
}

// Scenario: rust_chaos logs every millisecond from a background task; its scope is closed
// while it runs (the instance is shut down afterwards), while another scope stays open.
// Guarantees: once Close returned, the scope's logger gets nothing more; the instance's later
// records reach the library logger (the open scope's, named otelcol-rust) with the closed
// token in otelcol.rust.scope.
func TestRecordsOfAClosedScopeGoToTheLibraryLogger(t *testing.T) {
	instanceCore, instanceLogs := observer.New(zapcore.InfoLevel)
	instance := Open(component.TelemetrySettings{Logger: zap.New(instanceCore)})
	libraryCore, libraryLogs := observer.New(zapcore.InfoLevel)
	other := Open(component.TelemetrySettings{Logger: zap.New(libraryCore)})
	defer other.Close()
	c := startChaos(t, instance, "closed", map[string]any{"log_loop": true})
	defer c.shutdown()
	flushUntil(t, instanceLogs, "rust_chaos loop record")
	instance.Close()
	written := instanceLogs.Len()

	e := flushUntil(t, libraryLogs, "rust_chaos loop record")
	if e.LoggerName != libraryName || !fieldOf(t, e, "otelcol.rust.scope").Equals(zap.Uint64("otelcol.rust.scope", instance.Token())) {
		t.Errorf("record of the closed scope: logger %q, fields %v", e.LoggerName, e.Context)
	}
	if instanceLogs.Len() != written {
		t.Errorf("the closed scope's logger got %d more records", instanceLogs.Len()-written)
	}
}

// Scenario: two scopes are open; the newer one, whose providers the library uses, closes;
// then Rust emits records outside any Go scope and the buffer overflows.
// Guarantees: the library's logger and metrics move to the scope still open; its records
// carry no component attributes (the DropInjectedAttributes duck typing of the collector's
// logger core and meter provider is honoured); the overflow is logged once with its count and
// counted in otelcol_rust_log_records_dropped.
func TestTheLibraryUsesTheNewestOpenScope(t *testing.T) {
	oldLibrary, oldLibraryLogs := observer.New(zapcore.InfoLevel)
	oldReader := sdkmetric.NewManualReader()
	oldScope := Open(component.TelemetrySettings{
		Logger: zap.New(injectedCore{Core: oldLibrary}),
		// The instance's own provider has no reader: the library metrics must not go there.
		MeterProvider: injectedProvider{MeterProvider: sdkmetric.NewMeterProvider(), library: sdkmetric.NewMeterProvider(sdkmetric.WithReader(oldReader))},
	})
	defer oldScope.Close()
	newCore, newLogs := observer.New(zapcore.InfoLevel)
	newScope := Open(component.TelemetrySettings{Logger: zap.New(newCore)})
	newScope.Close()

	drainMu.Lock() // so the buffer overflows before anything drains it
	drainScope(t, oldScope)
	const capacity, dropped = 4096, 50 // the Rust buffer holds 4096 records
	rustffi.BenchLogFill(capacity + dropped)
	drainMu.Unlock()
	Flush()

	fill := oldLibraryLogs.FilterMessage("request served").All()
	if len(fill) != capacity || newLogs.FilterMessage("request served").Len() != 0 {
		t.Fatalf("%d library records on the open scope's library logger, want %d; %d on the closed scope's",
			len(fill), capacity, newLogs.FilterMessage("request served").Len())
	}
	if _, ok := fill[0].ContextMap()["otelcol.component.id"]; ok || fill[0].LoggerName != libraryName {
		t.Errorf("library record: logger %q, fields %v", fill[0].LoggerName, fill[0].Context)
	}
	warnings := oldLibraryLogs.FilterMessage(DroppedMessage).All()
	if len(warnings) != 1 || !fieldOf(t, warnings[0], "dropped").Equals(zap.Uint64("dropped", dropped)) {
		t.Errorf("drop warnings %v, want one with dropped=%d", warnings, dropped)
	}

	var rm metricdata.ResourceMetrics
	if err := oldReader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	counts, err := rustffi.LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if got := sumOf(t, rm, "otelcol_rust_log_records_dropped", nil); got != int64(counts.LogRecordsDropped) || got < dropped {
		t.Errorf("otelcol_rust_log_records_dropped = %d, Rust counts %d (at least %d)", got, counts.LogRecordsDropped, dropped)
	}
	if got := sumOf(t, rm, "otelcol_rust_live_instances", nil); got != int64(counts.LiveInstances) {
		t.Errorf("otelcol_rust_live_instances = %d, Rust counts %d", got, counts.LiveInstances)
	}
}

// injectedCore stands for the collector's component logger core: DropInjectedAttributes
// answers a core without the component's fields (here, simply the core beneath).
type injectedCore struct{ zapcore.Core }

func (c injectedCore) With(fields []zapcore.Field) zapcore.Core {
	return injectedCore{Core: c.Core.With(fields)}
}

func (c injectedCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		// Written through the component's fields, as the collector's core writes them.
		return ce.AddCore(e, c.Core.With([]zapcore.Field{zap.String("otelcol.component.id", "rust_chaos")}))
	}
	return ce
}

func (c injectedCore) DropInjectedAttributes(...string) zapcore.Core { return c.Core }

// injectedProvider stands for the collector's component meter provider: DropInjectedAttributes
// answers library, the provider without the component's attributes.
type injectedProvider struct {
	metric.MeterProvider
	library metric.MeterProvider
}

func (p injectedProvider) DropInjectedAttributes(...string) metric.MeterProvider { return p.library }

// sumOf answers the value of the int64 sum named name whose data point has attrs (nil: none).
func sumOf(t *testing.T, rm metricdata.ResourceMetrics, name string, attrs *attribute.Set) int64 {
	t.Helper()
	if attrs == nil {
		empty := attribute.NewSet()
		attrs = &empty
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("%s is a %T", name, m.Data)
			}
			for _, p := range sum.DataPoints {
				if p.Attributes.Equals(attrs) {
					return p.Value
				}
			}
		}
	}
	t.Fatalf("no %s%v in %+v", name, attrs.ToSlice(), rm)
	return 0
}

// Scenario: rust_chaos declares one instrument of each kind and updates them in start (counter
// rust_chaos_events +3 {kind=start} and +1; up-down rust_chaos_inflight +5 -2; gauge
// rust_chaos_ratio 0.25; histogram rust_chaos_latency, buckets [1 10 100], values 0.5 5 5 50
// 500); a manual reader collects twice, then once after Close.
// Guarantees: each is exported on the scope's meter provider with its kind, unit and
// description and Rust's values; the histogram's count, sum and bucket counts are exact and
// are not counted twice by a second collection; Close unregisters the callback.
func TestRustInstrumentsAreExportedExactly(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	scope := Open(component.TelemetrySettings{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))})
	defer scope.Close()
	c := startChaos(t, scope, "metrics", map[string]any{"metrics": true})
	defer c.shutdown()

	for range 2 {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			t.Fatal(err)
		}
		start := attribute.NewSet(attribute.String("kind", "start"))
		if got := sumOf(t, rm, "rust_chaos_events", &start); got != 3 {
			t.Errorf("rust_chaos_events{kind=start} = %d, want 3", got)
		}
		if got := sumOf(t, rm, "rust_chaos_events", nil); got != 1 {
			t.Errorf("rust_chaos_events = %d, want 1", got)
		}
		if got := sumOf(t, rm, "rust_chaos_inflight", nil); got != 3 {
			t.Errorf("rust_chaos_inflight = %d, want 3", got)
		}
		metrics := map[string]metricdata.Metrics{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if strings.HasPrefix(m.Name, "rust_chaos_") && sm.Scope.Name != meterName+"/rust_chaos" {
					t.Errorf("%s on the meter %q", m.Name, sm.Scope.Name)
				}
				metrics[m.Name] = m
			}
		}
		if m := metrics["rust_chaos_events"]; m.Unit != "{event}" || m.Description != "events" || !m.Data.(metricdata.Sum[int64]).IsMonotonic {
			t.Errorf("rust_chaos_events: %+v", m)
		}
		if m := metrics["rust_chaos_inflight"]; m.Data.(metricdata.Sum[int64]).IsMonotonic {
			t.Error("rust_chaos_inflight is monotonic")
		}
		if points := metrics["rust_chaos_ratio"].Data.(metricdata.Gauge[float64]).DataPoints; len(points) != 1 || points[0].Value != 0.25 {
			t.Errorf("rust_chaos_ratio %+v, want 0.25", points)
		}
		latency := metrics["rust_chaos_latency"]
		points := latency.Data.(metricdata.Histogram[float64]).DataPoints
		if latency.Unit != "ms" || len(points) != 1 {
			t.Fatalf("rust_chaos_latency %+v", latency)
		}
		p := points[0]
		if !slices.Equal(p.Bounds, []float64{1, 10, 100}) || !slices.Equal(p.BucketCounts, []uint64{1, 2, 1, 1}) ||
			p.Count != 5 || p.Sum != 560.5 {
			t.Errorf("rust_chaos_latency bounds %v counts %v count %d sum %v, want [1 10 100] [1 2 1 1] 5 560.5",
				p.Bounds, p.BucketCounts, p.Count, p.Sum)
		}
		if _, ok := metrics["otelcol_rust.collect"]; ok {
			t.Error("the collection trigger is exported")
		}
	}

	scope.Close()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "rust_chaos_events" {
				t.Errorf("rust_chaos_events still observed after Close: %+v", m)
			}
		}
	}
}
