//go:build otelcolrust_testcomponents

package rustprocessor

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
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// collectorCommand runs the collector's own command line (validate, print-config) with the
// rust_chaos processor, the nop receiver and exporter, on config.
func collectorCommand(t *testing.T, config string, args ...string) (string, error) {
	t.Helper()
	path := testutil.WriteConfig(t, config)
	cmd := otelcol.NewCommand(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-rust-test", Version: "1.2.3-test"},
		Factories: func() (otelcol.Factories, error) {
			receivers, err := otelcol.MakeFactoryMap[receiver.Factory](receivertest.NewNopFactory())
			if err != nil {
				return otelcol.Factories{}, err
			}
			processors, err := otelcol.MakeFactoryMap[processor.Factory](NewFactory("rust_chaos"))
			if err != nil {
				return otelcol.Factories{}, err
			}
			exporters, err := otelcol.MakeFactoryMap[exporter.Factory](exportertest.NewNopFactory())
			return otelcol.Factories{Receivers: receivers, Processors: processors, Exporters: exporters, Telemetry: otelconftelemetry.NewFactory()}, err
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

func chaosConfig(section string) string {
	return `
receivers:
  nop:
processors:
  rust_chaos/x:
` + section + `
exporters:
  nop:
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [nop]
      processors: [rust_chaos/x]
      exporters: [nop]
`
}

// Guarantees: Rust judges a processor's config at config load, each problem under the
// component's path and its key, as the collector shows a Go component's; an unknown key is
// refused.
func TestRustConfigIsValidatedAtLoad(t *testing.T) {
	for section, want := range map[string]string{
		"    mode: explode":                `processors::rust_chaos/x: mode: unknown mode "explode"`,
		"    mode: keep_every":             `processors::rust_chaos/x: every: keep_every needs every >= 1`,
		"    mode: unchanged\n    evry: 2": `processors::rust_chaos/x: evry: unknown configuration key`,
	} {
		out, err := collectorCommand(t, chaosConfig(section), "validate")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q\n%s", section, err, want, out)
		}
	}
	if out, err := collectorCommand(t, chaosConfig("    mode: keep_every\n    every: 2"), "validate"); err != nil {
		t.Errorf("a valid config refused: %v\n%s", err, out)
	}
}

// Guarantees: print-config shows a Rust processor's config as Rust normalized it (every key,
// defaults included).
func TestPrintConfigShowsTheRustConfig(t *testing.T) {
	out, err := collectorCommand(t, chaosConfig("    mode: keep_every\n    every: 4"), "print-config")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var printed struct {
		Processors map[string]map[string]any `yaml:"processors"`
	}
	if err := yaml.Unmarshal([]byte(out), &printed); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got, want := printed.Processors["rust_chaos/x"], (map[string]any{"mode": "keep_every", "every": 4}); !reflect.DeepEqual(got, want) {
		t.Errorf("printed %#v, want %#v\n%s", got, want, out)
	}
}
