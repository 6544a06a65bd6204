//go:build otelcolrust_testcomponents && cgo

package exporterbench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/otlphttpexporter"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Every benchmark handles b.N copies of one pre-built 1,000-span batch (newBatch) and reports,
// besides ns/op (per batch), the figures per span: ns/span (wall clock), spans/s and
// cpu-ns/span, the CPU time of this whole process (every thread: Go's and the Rust library's)
// over the timed region, from getrusage, divided by the spans sent. The receiver runs in
// another process, so its CPU is not in these figures. The benchmarks that send also report
// wire-B/op, the request body bytes the receiver read per batch. B/op and allocs/op count
// Go's heap only: what Rust allocates is not in them.

// BenchmarkExportTraces is the full path, as a collector's pipeline calls an exporter:
// exporter.Factory, Create with the default exporterhelper settings, Start, ConsumeTraces of
// b.N batches, for the Go otlphttp exporter (side=base) and rust_otlphttp (side=rust),
// to the same receiver with gzip.
//   - queue=off: sending_queue disabled, so ConsumeTraces returns when the receiver answered
//     and the time is the send's (one batch at a time).
//   - queue=on: the default sending queue (10 consumers); the timed region ends when shutdown
//     has drained the queue, so the figure is the exporter's throughput with 10 batches in
//     flight.
func BenchmarkExportTraces(b *testing.B) {
	recv := childReceiver(b)
	td := newBatch()
	for _, queue := range []struct {
		name   string
		config map[string]any
	}{{"queue=off", queueOff}, {"queue=on", queueOn}} {
		for _, side := range sides {
			b.Run(queue.name+"/"+side.name, func(b *testing.B) {
				e := startExporter(b, side.factory(b), exporterConfig(recv.url, queue.config))
				ctx := context.Background()
				before := recv.stats(b)
				measure(b, func() {
					for range b.N {
						if err := e.ConsumeTraces(ctx, td); err != nil {
							b.Fatal(err)
						}
					}
					// With the queue, the batches are sent once shutdown has drained it.
					e.shutdown(b)
				})
				checkDelivered(b, e, recv, before, b.N)
			})
		}
	}
}

// BenchmarkExportSplit splits the full path (queue=off) into its steps, each measured on its
// own with the same batch and receiver:
//   - step=marshal: ptraceotlp's MarshalProto of the batch. Both push functions make this
//     same call (Go otlphttp's to send the bytes, rustexporter's to lend them to Rust), so
//     the two sides are one measurement twice.
//   - step=crossing (rust only): rustffi.Export of the marshalled batch into the no-op
//     rust_chaos exporter: the cgo call, Rust's lookup of the instance, the export future
//     polled on this thread, and the outcome back.
//   - step=send/compression=gzip|none: the marshalled batch compressed (or not) and sent, and
//     the answer read. base: an HTTP request through the client Go otlphttp builds from its
//     default config (confighttp: its compressing round tripper, the transport); rust:
//     rustffi.Export into a rust_otlphttp instance (the crossing plus Rust's compress, send
//     and answer). gzip minus none is the compression.
//
// The full path minus marshal and send is exporterhelper and each exporter's own glue.
func BenchmarkExportSplit(b *testing.B) {
	recv := childReceiver(b)
	td := newBatch()
	batch, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	for _, side := range sides {
		b.Run("step=marshal/"+side.name, func(b *testing.B) {
			measure(b, func() {
				for range b.N {
					if _, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
	b.Run("step=crossing/side=rust", func(b *testing.B) {
		h := startRustExporter(b, "rust_chaos", map[string]any{})
		ctx := context.Background()
		measure(b, func() {
			for range b.N {
				if result := rustffi.Export(ctx, h, rustffi.SignalTraces, batch, spansPerBatch); result.Outcome != rustffi.ExportOK {
					b.Fatalf("rust_chaos answered %+v", result)
				}
			}
		})
	})
	for _, compression := range []string{"gzip", "none"} {
		b.Run("step=send/compression="+compression+"/side=base", func(b *testing.B) {
			send := goSender(b, recv.url, compression)
			before := recv.stats(b)
			measure(b, func() {
				for range b.N {
					if err := send(batch); err != nil {
						b.Fatal(err)
					}
				}
			})
			if problems := received(b, recv, before, b.N); len(problems) > 0 {
				b.Fatal(problems)
			}
		})
		b.Run("step=send/compression="+compression+"/side=rust", func(b *testing.B) {
			h := startRustExporter(b, "rust_otlphttp", map[string]any{"endpoint": recv.url, "compression": compression})
			ctx := context.Background()
			before := recv.stats(b)
			measure(b, func() {
				for range b.N {
					if result := rustffi.Export(ctx, h, rustffi.SignalTraces, batch, spansPerBatch); result.Outcome != rustffi.ExportOK {
						b.Fatalf("rust_otlphttp answered %+v", result)
					}
				}
			})
			if problems := received(b, recv, before, b.N); len(problems) > 0 {
				b.Fatal(problems)
			}
		})
	}
}

// TestExportersDeliverTheBatch checks what the benchmarks take for granted: through the
// factories and the configs the benchmarks use, each exporter's one request carries exactly
// the batch's OTLP bytes, gzipped, to a receiver that decompresses and compares them.
func TestExportersDeliverTheBatch(t *testing.T) {
	td := newBatch()
	if got := td.SpanCount(); got != spansPerBatch {
		t.Fatalf("the batch has %d spans", got)
	}
	batch, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range sides {
		t.Run(side.name, func(t *testing.T) {
			recv := &receiver{expect: batch}
			server := newLocalServer(t, recv)
			e := startExporter(t, side.factory(t), exporterConfig(server, queueOff))
			if err := e.ConsumeTraces(context.Background(), td); err != nil {
				t.Fatal(err)
			}
			if got := recv.stats(); got.Requests != 1 || got.Refused != 0 {
				t.Fatalf("the receiver saw %+v, want one request answered", got)
			}
			if sent := e.counted(t, "otelcol_exporter_sent_spans"); sent != spansPerBatch {
				t.Fatalf("otelcol_exporter_sent_spans %d", sent)
			}
		})
	}
}

// measure runs send (b.N batches) in the timed region and reports the per-span figures.
func measure(b *testing.B, send func()) {
	b.Helper()
	cpuBefore := cpuTime(b)
	b.ResetTimer()
	began := time.Now()
	send()
	elapsed := time.Since(began)
	b.StopTimer()
	cpu := cpuTime(b) - cpuBefore
	spans := float64(b.N * spansPerBatch)
	b.ReportMetric(float64(elapsed.Nanoseconds())/spans, "ns/span")
	b.ReportMetric(spans/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/spans, "cpu-ns/span")
}

// cpuTime is the CPU time (user and system) every thread of this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		b.Fatal(err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// startRustExporter creates and starts a Rust exporter instance of typ directly (no Go
// exporter around it), for the split; it shuts down in cleanup.
func startRustExporter(tb testing.TB, typ string, config map[string]any) rustffi.Handle {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := rustffi.ComponentID{Type: typ, Name: "split"}
	h, _, err := rustffi.CreateAndStart(ctx, rustffi.KindExporter, id, 0, config, rustffi.HostInfo{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := rustffi.Shutdown(ctx, id, 0, h); err != nil {
			tb.Error(err)
		}
	})
	return h
}

// goSender sends a marshalled batch as Go otlphttp does after marshalling: a POST through the
// HTTP client its default config builds (Content-Type, the compressing round tripper when
// compression is on), the answer read and closed.
func goSender(tb testing.TB, endpoint, compression string) func([]byte) error {
	tb.Helper()
	cfg := otlphttpexporter.NewFactory().CreateDefaultConfig().(*otlphttpexporter.Config)
	config := map[string]any{"endpoint": endpoint, "compression": compression}
	if err := confmap.NewFromStringMap(config).Unmarshal(cfg); err != nil {
		tb.Fatal(err)
	}
	client, err := cfg.ClientConfig.ToClient(context.Background(), nil, componenttest.NewNopTelemetrySettings())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(client.CloseIdleConnections)
	url := endpoint + tracesPath
	return func(batch []byte) error {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(batch))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		if closeErr := resp.Body.Close(); err == nil {
			err = closeErr
		}
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("the receiver answered %s", resp.Status)
		}
		return err
	}
}

// newLocalServer serves handler on 127.0.0.1 in this process until the test ends.
func newLocalServer(t *testing.T, handler http.Handler) string {
	t.Helper()
	server := &http.Server{Handler: handler, ReadHeaderTimeout: time.Minute}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = server.Serve(listener) }()
	t.Cleanup(func() { _ = server.Close() })
	return "http://" + listener.Addr().String()
}
