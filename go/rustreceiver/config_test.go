package rustreceiver

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// collectorCommand runs the collector's own command line (validate, print-config) with the
// Rust receivers and the nop exporter, on config.
func collectorCommand(t *testing.T, config string, args ...string) (string, error) {
	t.Helper()
	path := testutil.WriteConfig(t, config)
	cmd := otelcol.NewCommand(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-rust-test", Version: "1.2.3-test"},
		Factories: func() (otelcol.Factories, error) {
			rust, err := NewFactories()
			if err != nil {
				return otelcol.Factories{}, err
			}
			receivers, err := otelcol.MakeFactoryMap[receiver.Factory](rust...)
			if err != nil {
				return otelcol.Factories{}, err
			}
			exporters, err := otelcol.MakeFactoryMap[exporter.Factory](exportertest.NewNopFactory())
			return otelcol.Factories{Receivers: receivers, Exporters: exporters, Telemetry: otelconftelemetry.NewFactory()}, err
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		}},
	})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append(args, "--config", "file:"+path))
	err := cmd.Execute()
	return out.String(), err
}

// receiverConfig is a collector config with rust_otlphttp/x (section: its indented keys) in a
// traces and a logs pipeline.
func receiverConfig(section string) string {
	return `
receivers:
  rust_otlphttp/x:
` + section + `
exporters:
  nop:
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [rust_otlphttp/x]
      exporters: [nop]
    logs:
      receivers: [rust_otlphttp/x]
      exporters: [nop]
`
}

// Guarantees: Rust judges a receiver's config at config load, each problem under the
// component's path and its key, as the collector shows a Go component's; an unknown key is
// refused; a valid config passes.
func TestRustConfigIsValidatedAtLoad(t *testing.T) {
	for section, want := range map[string]string{
		"    max_concurrent_requests: 0":             `receivers::rust_otlphttp/x: max_concurrent_requests: must be at least 1`,
		"    endpoint: nowhere\n    retry_after: 0s": "receivers::rust_otlphttp/x: endpoint: \"nowhere\" is not host:port (e.g. \"localhost:4318\" or \"0.0.0.0:4318\")\nretry_after: must be more than 0s",
		"    protocols:\n      http:":                `receivers::rust_otlphttp/x: protocols: unknown configuration key`,
	} {
		out, err := collectorCommand(t, receiverConfig(section), "validate")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q\n%s", section, err, want, out)
		}
	}
	if out, err := collectorCommand(t, receiverConfig("    endpoint: localhost:0\n    max_concurrent_requests: 7"), "validate"); err != nil {
		t.Errorf("a valid config refused: %v\n%s", err, out)
	}
}

// Guarantees: print-config shows a Rust receiver's config as Rust normalized it (every key,
// defaults included).
func TestPrintConfigShowsTheRustConfig(t *testing.T) {
	out, err := collectorCommand(t, receiverConfig("    endpoint: localhost:0\n    max_concurrent_requests: 7\n    logs_url_path: logs"), "print-config")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var printed struct {
		Receivers map[string]map[string]any `yaml:"receivers"`
	}
	if err := yaml.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]any{
		"endpoint":                "localhost:0",
		"traces_url_path":         "/v1/traces",
		"metrics_url_path":        "/v1/metrics",
		"logs_url_path":           "logs",
		"max_request_body_size":   20971520,
		"max_concurrent_requests": 7,
		"retry_after":             "1s",
	}
	if got := printed.Receivers["rust_otlphttp/x"]; !reflect.DeepEqual(got, want) {
		t.Errorf("printed %#v, want %#v\n%s", got, want, out)
	}
}
