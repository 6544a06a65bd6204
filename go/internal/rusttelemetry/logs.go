package rusttelemetry

import (
	"encoding/json"
	"math"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

const (
	// drainInterval is how often the drain goroutine empties the Rust buffer (each tick drains
	// until a batch comes back short). A burst of up to 4096 records between two ticks is
	// never dropped; beyond that, Go's write cost per record sets the rate (docs/performance.md).
	drainInterval = 100 * time.Millisecond
	// drainBatch is the most records one cgo call takes.
	drainBatch = 1024
)

// DroppedMessage is the library's warning when the Rust buffer was full.
const DroppedMessage = "Rust log records dropped: the buffer was full"

// drainMu serialises drains (the cgo call and the writes), so the records of one drain reach
// zap in the order Rust buffered them, and Flush returns only once they are written.
var drainMu sync.Mutex

// drainFailed stops a failing drain from logging every 100 ms; guarded by drainMu.
var drainFailed bool

// Flush writes every record the Rust buffer holds now, before it returns. It is used before a
// fatal error is reported (Close does the same after an instance shut down), so the records
// written just before are not lost. While no scope is open it writes nothing: there is no
// logger to write to, and the records stay in Rust's buffer.
func Flush() {
	drainMu.Lock()
	defer drainMu.Unlock()
	drainLocked()
}

// drainLoop drains every drainInterval until stop is closed. It only makes non-blocking cgo
// calls: a goroutine parked in cgo would hold its P (see rustextension's eventPoll).
func drainLoop(stop <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	ticker := time.NewTicker(drainInterval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			Flush()
		}
	}
}

// drainLocked drains batches until one comes back short. drainMu is held. While no scope is
// open nothing is drained: there is no logger to write to, and the records wait in Rust's
// buffer (which counts what it cannot hold) for the next Open.
func drainLocked() {
	for {
		registry.mu.Lock()
		idle := registry.library == nil
		registry.mu.Unlock()
		if idle {
			return
		}
		batch, err := rustffi.DrainLogs(drainBatch)
		// Scopes only close under drainMu, so the library logger is still set.
		registry.mu.Lock()
		library := registry.library
		if err != nil {
			registry.mu.Unlock()
			if !drainFailed {
				library.Error("Cannot drain Rust log records", zap.Error(err))
			}
			drainFailed = true
			return
		}
		drainFailed = false
		// Resolved under the lock, written outside it: zap's outputs may be slow.
		loggers := make([]*zap.Logger, len(batch.Records))
		open := make([]bool, len(batch.Records))
		for i, r := range batch.Records {
			loggers[i], open[i] = loggerFor(r.Scope)
		}
		registry.mu.Unlock()
		for i, r := range batch.Records {
			if open[i] || r.Scope == 0 {
				write(loggers[i], r)
			} else {
				write(loggers[i], r, scopeField(r.Scope))
			}
		}
		if batch.Dropped > 0 {
			library.Warn(DroppedMessage, zap.Uint64("dropped", batch.Dropped))
		}
		if len(batch.Records) < drainBatch {
			return
		}
	}
}

// write writes one Rust record to logger as zap would have written it at the Rust call site:
// zap's level check, sampling, encoding and outputs apply; the time and caller are Rust's.
func write(logger *zap.Logger, r rustffi.LogRecord, extra ...zap.Field) {
	ce := logger.Check(zapLevel(r.Level), r.Message)
	if ce == nil {
		return
	}
	ce.Time = time.Unix(0, int64(min(r.TimeUnixNano, math.MaxInt64)))
	// What zap captured (a caller when the logger adds callers, a stack trace at the levels it
	// adds them) is this drain goroutine's, not the Rust call site's: replace or drop it. A
	// panic record carries its Rust backtrace as a field.
	ce.Caller = zapcore.EntryCaller{}
	if r.File != "" {
		ce.Caller = zapcore.EntryCaller{Defined: true, File: r.File, Line: r.Line}
	}
	ce.Stack = ""
	fields := make([]zap.Field, 0, 1+len(extra)+len(r.Fields))
	if r.Target != "" { // a panic record has none
		fields = append(fields, zap.String("rust.target", r.Target))
	}
	fields = append(fields, extra...)
	for _, f := range r.Fields {
		fields = append(fields, field(f))
	}
	ce.Write(fields...)
}

func zapLevel(level string) zapcore.Level {
	switch level {
	case "debug":
		return zapcore.DebugLevel
	case "warn":
		return zapcore.WarnLevel
	case "error":
		return zapcore.ErrorLevel
	default:
		return zapcore.InfoLevel
	}
}

// field types a Rust field value: integers stay integers (u64 above the i64 range included).
func field(kv rustffi.KeyValue) zap.Field {
	switch v := kv.Value.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return zap.Int64(kv.Key, i)
		}
		if u, err := strconv.ParseUint(string(v), 10, 64); err == nil {
			return zap.Uint64(kv.Key, u)
		}
		if f, err := v.Float64(); err == nil {
			return zap.Float64(kv.Key, f)
		}
		return zap.String(kv.Key, string(v))
	case string:
		return zap.String(kv.Key, v)
	case bool:
		return zap.Bool(kv.Key, v)
	default:
		return zap.Any(kv.Key, v)
	}
}
