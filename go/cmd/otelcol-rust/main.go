// Command otelcol-rust is the development collector: the Go components of
// examples/manifest.yaml plus every extension, receiver, processor and exporter registered in
// the in-tree Rust archive (and, with -tags otelcolrust_testcomponents, the test-only ones).
// The Go tests and benchmarks build it. The sample distribution users run is built by
// tools/builder from examples/manifest.yaml (docs/distribution.md); unlike it, this binary
// exits 1 after a Rust component's fatal error.
package main

import (
	"log"
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider"
	"go.opentelemetry.io/collector/otelcol"
)

// version is overridden at link time by release builds.
var version = "0.1.0-dev"

func main() {
	settings := otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{
			Command:     "otelcol-rust",
			Description: "OpenTelemetry Collector with Rust components (otelcol-rust sample)",
			Version:     version,
		},
		Factories: components,
		ConfigProviderSettings: otelcol.ConfigProviderSettings{
			ResolverSettings: confmap.ResolverSettings{
				ProviderFactories: []confmap.ProviderFactory{
					fileprovider.NewFactory(),
					envprovider.NewFactory(),
					yamlprovider.NewFactory(),
				},
			},
		},
	}
	if err := otelcol.NewCommand(settings).Execute(); err != nil {
		log.Fatal(err)
	}
	// The collector stops on a component's fatal error but returns no error; exit non-zero so
	// supervisors see the failure. The collector has logged the error itself ("Asynchronous
	// error received"), in the configured encoding; a plain line here would break a JSON log.
	if rustFatalError() != nil {
		os.Exit(1)
	}
}
