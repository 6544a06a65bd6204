//go:build otelcolrust_testcomponents && cgo

package rusttelemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// The cost of Rust telemetry next to the same work in Go, in one run (make bench, `benchstat
// -col /side`): side=base is zap or the OTel Go SDK in this process, side=rust the Rust library
// through the test archive's benchmark entry points (rust/ffi/src/bench_abi.rs).
// Every benchmark reports ns/record (or ns/update): for side=rust the time the Rust thread
// spent, measured in Rust; for side=base the time per operation.

// jsonLogger is a production zap logger (JSON, no sampling) writing to io.Discard at level,
// teed into an observer of warnings and errors.
func jsonLogger(level zapcore.Level) (*zap.Logger, *observer.ObservedLogs) {
	encoder := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	warnings, logs := observer.New(zapcore.WarnLevel)
	core := zapcore.NewTee(zapcore.NewCore(encoder, zapcore.AddSync(io.Discard), level), warnings)
	return zap.New(core, zap.AddCaller()), logs
}

// benchLogRecord runs one record, enabled or below the level, on both sides.
func benchLogRecord(b *testing.B, enabled bool) {
	level := zapcore.WarnLevel
	if enabled {
		level = zapcore.InfoLevel
	}
	b.Run("side=base", func(b *testing.B) {
		logger, _ := jsonLogger(level)
		var i int64
		for b.Loop() {
			i++
			logger.Info("request served", zap.Int64("i", i), zap.String("path", "/v1/traces"))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/record")
	})
	b.Run("side=rust", func(b *testing.B) {
		spent := rustffi.BenchLogRecords(b.N, enabled)
		b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "ns/record")
	})
}

func BenchmarkLogRecordEnabled(b *testing.B)  { benchLogRecord(b, true) }
func BenchmarkLogRecordDisabled(b *testing.B) { benchLogRecord(b, false) }

func BenchmarkMetricUpdate(b *testing.B) {
	b.Run("side=base", func(b *testing.B) {
		provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		counter, err := provider.Meter("bench").Int64Counter("bench")
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		for b.Loop() {
			counter.Add(ctx, 1)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/update")
	})
	b.Run("side=rust", func(b *testing.B) {
		spent := rustffi.BenchMetricAdds(b.N)
		b.ReportMetric(float64(spent.Nanoseconds())/float64(b.N), "ns/update")
	})
}

// openBenchScope opens a scope whose logger is jsonLogger(info); closed when b ends.
func openBenchScope(tb testing.TB) *observer.ObservedLogs {
	logger, warnings := jsonLogger(zapcore.InfoLevel)
	scope := Open(component.TelemetrySettings{Logger: logger})
	tb.Cleanup(scope.Close)
	return warnings
}

// BenchmarkDrain is Go's side of a record: the cgo drain call, decoding and writing it with
// zap (JSON, to io.Discard), per record, in batches of 1000.
func BenchmarkDrain(b *testing.B) {
	b.Run("side=rust", func(b *testing.B) {
		openBenchScope(b)
		const batch = 1000
		for b.Loop() {
			b.StopTimer()
			rustffi.BenchLogFill(batch)
			b.StartTimer()
			Flush()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/record")
	})
}

// BenchmarkLogFlood: 4 Rust threads log 1 M records/s for 2 s while the drain goroutine runs
// and an HTTP server in this process answers a client in a loop (the collector serving).
// Reports the share dropped and the requests' p99 latency; fails if the drops logged by the
// library differ from the drops Rust counted.
func BenchmarkLogFlood(b *testing.B) {
	b.Run("side=rust", func(b *testing.B) {
		warnings := openBenchScope(b)
		server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "ok")
		}))
		defer server.Close()
		var sent, dropped uint64
		var latencies []time.Duration
		for b.Loop() {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					began := time.Now()
					resp, err := http.Get(server.URL)
					if err != nil {
						b.Error(err)
						return
					}
					resp.Body.Close()
					latencies = append(latencies, time.Since(began))
				}
			}()
			s, d := rustffi.BenchLogFlood(4, 1_000_000, 2*time.Second)
			close(stop)
			wg.Wait()
			sent, dropped = sent+s, dropped+d
		}
		Flush()
		var logged uint64
		for _, entry := range warnings.FilterMessage(DroppedMessage).All() {
			logged += uint64(entry.ContextMap()["dropped"].(uint64))
		}
		if logged != dropped {
			b.Fatalf("Rust dropped %d records, the library logged %d", dropped, logged)
		}
		slices.Sort(latencies)
		b.ReportMetric(float64(sent)/float64(b.N)/2, "records/s")
		b.ReportMetric(100*float64(dropped)/float64(sent), "%dropped")
		if len(latencies) > 0 {
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(latencies))/float64(b.N), "requests")
		}
	})
}
