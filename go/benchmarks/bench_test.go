package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

const extensionsPerCollector = 10

// collectorConfig has n extensions of typ (each with the given settings) and a nop pipeline.
func collectorConfig(typ, settings string, n int) string {
	var extensions strings.Builder
	enabled := make([]string, n)
	for i := range n {
		enabled[i] = fmt.Sprintf("%s/%d", typ, i)
		fmt.Fprintf(&extensions, "  %s: %s\n", enabled[i], settings)
	}
	return testutil.Config{
		Extensions: extensions.String(),
		Enabled:    enabled,
		Pipeline:   testutil.NopPipeline,
		QuietLogs:  true,
	}.YAML()
}

func newCollector(b *testing.B, config string) *otelcol.Collector {
	b.Helper()
	factories := func() (otelcol.Factories, error) {
		rust, err := rustextension.NewFactories()
		if err != nil {
			return otelcol.Factories{}, err
		}
		extensions, err := otelcol.MakeFactoryMap[extension.Factory](append(rust, extensiontest.NewNopFactory())...)
		if err != nil {
			return otelcol.Factories{}, err
		}
		receivers, _ := otelcol.MakeFactoryMap[receiver.Factory](receivertest.NewNopFactory())
		exporters, _ := otelcol.MakeFactoryMap[exporter.Factory](exportertest.NewNopFactory())
		return otelcol.Factories{Extensions: extensions, Receivers: receivers, Exporters: exporters,
			Telemetry: otelconftelemetry.NewFactory()}, nil
	}
	col, err := otelcol.NewCollector(otelcol.CollectorSettings{
		BuildInfo: component.NewDefaultBuildInfo(),
		Factories: factories,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			URIs:              []string{"yaml:" + config},
			ProviderFactories: []confmap.ProviderFactory{yamlprovider.NewFactory()},
		}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return col
}

// BenchmarkCollectorStartShutdown is one in-process collector life (config load, start,
// running, shutdown) with 10 Rust extensions (rust_sample, enabled: false) against 10 Go nop
// extensions.
func BenchmarkCollectorStartShutdown(b *testing.B) {
	for _, tc := range []struct{ name, config string }{
		{"side=base", collectorConfig("nop", "{}", extensionsPerCollector)},
		{"side=rust", collectorConfig("rust_sample", "{enabled: false}", extensionsPerCollector)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				col := newCollector(b, tc.config)
				done := make(chan error, 1)
				go func() { done <- col.Run(context.Background()) }()
				for col.GetState() != otelcol.StateRunning {
					select {
					case err := <-done:
						b.Fatalf("collector stopped: %v", err)
					default:
						time.Sleep(50 * time.Microsecond)
					}
				}
				col.Shutdown()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var (
	buildOnce sync.Once
	binaries  map[string]string
	buildErr  error
)

// buildBinaries builds the development collector with and without the Rust library.
func buildBinaries(b *testing.B) map[string]string {
	buildOnce.Do(func() {
		// A failed build stops this benchmark inside Do; the ones after it see this error.
		buildErr = errors.New("building the collectors failed (see the first benchmark's failure)")
		dir, err := os.MkdirTemp("", "otelcol-rust-bench")
		if err != nil {
			buildErr = err
			return
		}
		binaries = map[string]string{
			"with":    testutil.BuildCollector(b, dir, ""),
			"without": testutil.BuildCollector(b, dir, "otelcolrust_norust"),
		}
		buildErr = nil
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binaries
}

// idleMemory runs bin with config, waits until it has been idle for a while and reads its
// resident set: all of it (VmRSS) and the private, anonymous part (RssAnon). The rest is
// file-backed pages of the executable, shared and reclaimable.
func idleMemory(b *testing.B, bin, config string) (rss, anon int64) {
	b.Helper()
	cmd := exec.Command(bin, "--config", testutil.WriteConfig(b, config))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	time.Sleep(3 * time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		fields := strings.Fields(line)
		if len(fields) < 2 || (fields[0] != "VmRSS:" && fields[0] != "RssAnon:") {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		if fields[0] == "VmRSS:" {
			rss = kb * 1024
		} else {
			anon = kb * 1024
		}
	}
	if rss == 0 || anon == 0 {
		b.Fatal("no VmRSS/RssAnon in /proc/PID/status")
	}
	return rss, anon
}

// BenchmarkLinkingRust reports binary size (MB) and idle RSS (rss-MB, anon-rss-MB) of the development collector
// built without the Rust library (side=base) and with it (side=rust), same Go-only config.
// The loop itself measures nothing.
func BenchmarkLinkingRust(b *testing.B) {
	bins := buildBinaries(b)
	reportBinary(b, "side=base", bins["without"], goOnlyConfig)
	reportBinary(b, "side=rust", bins["with"], goOnlyConfig)
}

// BenchmarkRunningRustExtensions reports the same figures for the binary with the Rust
// library: idle (side=base) and running two rust_sample extensions (side=rust).
func BenchmarkRunningRustExtensions(b *testing.B) {
	bins := buildBinaries(b)
	reportBinary(b, "side=base", bins["with"], goOnlyConfig)
	reportBinary(b, "side=rust", bins["with"], rustConfig)
}

func goOnlyConfig(b *testing.B) string {
	return testutil.Config{Pipeline: testutil.OTLPPipeline(testutil.FreeEndpoint(b))}.YAML()
}

func rustConfig(b *testing.B) string {
	return testutil.Config{
		Extensions: "  rust_sample/a:\n    endpoint: " + testutil.FreeEndpoint(b) +
			"\n  rust_sample/b:\n    endpoint: " + testutil.FreeEndpoint(b) + "\n",
		Enabled:  []string{"rust_sample/a", "rust_sample/b"},
		Pipeline: testutil.OTLPPipeline(testutil.FreeEndpoint(b)),
	}.YAML()
}

func reportBinary(b *testing.B, name, bin string, config func(*testing.B) string) {
	b.Run(name, func(b *testing.B) {
		info, err := os.Stat(bin)
		if err != nil {
			b.Fatal(err)
		}
		rss, anon := idleMemory(b, bin, config(b))
		for b.Loop() {
		}
		b.ReportMetric(float64(info.Size())/1e6, "MB")
		b.ReportMetric(float64(rss)/(1<<20), "rss-MB")
		b.ReportMetric(float64(anon)/(1<<20), "anon-rss-MB")
		b.ReportMetric(0, "ns/op")
	})
}
