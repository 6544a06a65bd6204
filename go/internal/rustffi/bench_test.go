//go:build otelcolrust_testcomponents && cgo

package rustffi

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// The same calls through rust2go's generated binding (side=rust, the product path) and a
// hand-written cgo C ABI (side=base, bench_abi.go), with the same Go and Rust work around them.
// `benchstat -col /side` puts the two side by side (make bench).

func BenchmarkEmptyCall(b *testing.B) {
	b.Run("side=base", func(b *testing.B) {
		for b.Loop() {
			cgoNoop()
		}
	})
	b.Run("side=rust", func(b *testing.B) {
		for b.Loop() {
			RustExtensionsImpl{}.ping()
		}
	})
}

func BenchmarkDefaultConfig(b *testing.B) {
	b.Run("side=base", func(b *testing.B) {
		for b.Loop() {
			if _, err := cgoDefaultConfig("rust_sample"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("side=rust", func(b *testing.B) {
		for b.Loop() {
			if _, err := DefaultConfig(KindExtension, "rust_sample"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkValidateConfig(b *testing.B) {
	config := map[string]any{"endpoint": "localhost:4000", "timeout_ms": 250, "enabled": true}
	b.Run("side=base", func(b *testing.B) {
		for b.Loop() {
			if _, err := cgoValidateConfig("rust_sample", config); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("side=rust", func(b *testing.B) {
		for b.Loop() {
			if _, err := ValidateConfig(KindExtension, "rust_sample", config); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStartShutdown is one create-and-start plus shutdown round trip of rust_sample with
// enabled: false (no port is bound).
func BenchmarkStartShutdown(b *testing.B) {
	config := map[string]any{"enabled": false}
	id := ComponentID{Type: "rust_sample", Name: "bench"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	type impl struct {
		start func(context.Context, ComponentID, map[string]any, HostInfo) (Handle, error)
		stop  func(context.Context, ComponentID, Handle) ([]string, error)
	}
	for _, tc := range []struct {
		name string
		impl impl
	}{
		{"side=base", impl{cgoCreateAndStart, cgoShutdown}},
		{"side=rust", impl{
			func(ctx context.Context, id ComponentID, config map[string]any, host HostInfo) (Handle, error) {
				h, _, err := CreateAndStart(ctx, KindExtension, id, 0, config, host)
				return h, err
			},
			func(ctx context.Context, id ComponentID, h Handle) ([]string, error) { return Shutdown(ctx, id, 0, h) },
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				h, err := tc.impl.start(ctx, id, config, HostInfo{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := tc.impl.stop(ctx, id, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkExport1000Spans is one batch of 1,000 spans (ptrace, 2 attributes each), three ways:
// side=marshal is the Go OTLP exporters' own cost for it (ptraceotlp's MarshalProto, which
// the Rust exporter's push function pays too), side=rust the product crossing (Export,
// which lends Rust the bytes) into a rust_chaos exporter that does nothing, side=base the
// same crossing with Rust copying the batch into a Vec first, as rust2go's g2r would.
// docs/boundary.md compares them.
func BenchmarkExport1000Spans(b *testing.B) {
	batch, items := traces(b, 1000)
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(batch)
	if err != nil {
		b.Fatal(err)
	}
	h := startChaosExporter(b, "bench", map[string]any{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	b.Run("side=marshal", func(b *testing.B) {
		b.SetBytes(int64(len(batch)))
		for b.Loop() {
			if _, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, side := range []struct {
		name  string
		cross crossing
	}{{"side=base", copyFirst}, {"side=rust", lend}} {
		b.Run(side.name, func(b *testing.B) {
			b.SetBytes(int64(len(batch)))
			for b.Loop() {
				if got := exportWith(ctx, h, SignalTraces, batch, items, side.cross); got.Outcome != ExportOK {
					b.Fatal(got)
				}
			}
		})
	}
}
