//go:build otelcolrust_testcomponents && cgo

package rusttelemetry

import (
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Scenario: 6000 records are logged at once into the 4096-record buffer while the drain
// goroutine runs.
// Guarantees: every record is either written to zap or counted as dropped, and the drops are
// logged by the library (the sum of its warnings) and counted in the library metric.
func TestDroppedRecordsAreCountedAndLogged(t *testing.T) {
	logger, warnings := jsonLogger(zapcore.InfoLevel)
	written, records := observer.New(zapcore.InfoLevel)
	scope := Open(component.TelemetrySettings{Logger: zap.New(zapcore.NewTee(logger.Core(), written))})
	defer scope.Close()
	Flush()
	before, err := rustffi.LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	const n = 6000
	rustffi.BenchLogFill(n)
	Flush()
	after, err := rustffi.LibraryMetrics()
	if err != nil {
		t.Fatal(err)
	}
	dropped := after.LogRecordsDropped - before.LogRecordsDropped
	kept := uint64(records.FilterMessage("request served").Len())
	if dropped == 0 || kept+dropped != n {
		t.Fatalf("%d written + %d dropped, want %d with some dropped", kept, dropped, n)
	}
	var logged uint64
	for _, entry := range warnings.FilterMessage(DroppedMessage).All() {
		logged += uint64(entry.ContextMap()["dropped"].(uint64))
	}
	if logged != dropped {
		t.Fatalf("the library logged %d dropped records, Rust counted %d", logged, dropped)
	}
}
