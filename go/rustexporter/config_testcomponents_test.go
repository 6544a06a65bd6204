//go:build otelcolrust_testcomponents

package rustexporter

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/provider/envprovider"
	"go.opentelemetry.io/collector/confmap/provider/fileprovider"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/otlpexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/service/telemetry/otelconftelemetry"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

func defaultConfig(t *testing.T) *Config {
	t.Helper()
	return NewFactory("rust_chaos").CreateDefaultConfig().(*Config)
}

// Guarantees: the standard settings have the Go OTLP exporter's defaults (so a Rust exporter
// queues, retries and times out as a Go one does), the config struct passes the collector's
// config checks, and the Rust half holds the Rust defaults and is valid.
func TestDefaultsAreTheOTLPExportersDefaults(t *testing.T) {
	cfg := defaultConfig(t)
	if err := componenttest.CheckConfigStruct(cfg); err != nil {
		t.Fatal(err)
	}
	otlp := otlpexporter.NewFactory().CreateDefaultConfig().(*otlpexporter.Config)
	if !reflect.DeepEqual(cfg.TimeoutConfig, otlp.TimeoutConfig) {
		t.Errorf("timeout %+v, otlp exporter's %+v", cfg.TimeoutConfig, otlp.TimeoutConfig)
	}
	if !reflect.DeepEqual(cfg.QueueConfig, otlp.QueueConfig) {
		t.Errorf("sending_queue %+v, otlp exporter's %+v", cfg.QueueConfig, otlp.QueueConfig)
	}
	if !reflect.DeepEqual(cfg.RetryConfig, otlp.RetryConfig) {
		t.Errorf("retry_on_failure %+v, otlp exporter's %+v", cfg.RetryConfig, otlp.RetryConfig)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"outcomes": []any{}, "delay_ms": int64(0), "reason": "", "decode": false}
	if got := cfg.rust.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Rust half %#v, want %#v", got, want)
	}
}

// Scenario: a section with the three standard keys and two of rust_chaos's.
// Guarantees: the standard keys are decoded into exporterhelper's types over their defaults
// (what is not set keeps its default); the others, and only they, reach Rust.
func TestStandardKeysAndRustKeysAreSplit(t *testing.T) {
	cfg := defaultConfig(t)
	err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{
		"timeout":          "2s",
		"sending_queue":    map[string]any{"num_consumers": 3},
		"retry_on_failure": map[string]any{"enabled": false},
		"outcomes":         []any{"permanent"},
		"delay_ms":         5,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.TimeoutConfig.Timeout != 2*time.Second {
		t.Errorf("timeout %v", cfg.TimeoutConfig.Timeout)
	}
	queue := cfg.QueueConfig.Get()
	if !cfg.QueueConfig.HasValue() || queue.NumConsumers != 3 || queue.QueueSize != 1000 {
		t.Errorf("sending_queue %+v", queue)
	}
	if cfg.RetryConfig.Enabled || cfg.RetryConfig.InitialInterval != 5*time.Second {
		t.Errorf("retry_on_failure %+v", cfg.RetryConfig)
	}
	want := map[string]any{"outcomes": []any{"permanent"}, "delay_ms": int64(5), "reason": "", "decode": false}
	if got := cfg.rust.Values(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Rust half %#v, want %#v", got, want)
	}
}

// Guarantees: the standard settings are as strict as a Go exporter's: an unknown key inside
// them is an error naming it, and so is a value their own validation refuses.
func TestStandardSettingsAreStrict(t *testing.T) {
	cfg := defaultConfig(t)
	err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{"sending_queue": map[string]any{"num_consumerz": 3}}))
	if err == nil || !strings.Contains(err.Error(), "num_consumerz") {
		t.Fatalf("unknown key inside sending_queue: %v", err)
	}
	cfg = defaultConfig(t)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{"timeout": "-1s"})); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(cfg); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("negative timeout: %v", err)
	}
}

// Guarantees: Rust judges its half: each problem under its key path (list elements in
// brackets), and a key neither half knows is Rust's unknown key.
func TestRustProblemsNameTheirPaths(t *testing.T) {
	cfg := defaultConfig(t)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{"outcomes": []any{"ok", "explode"}, "timout": "1s"})); err != nil {
		t.Fatal(err)
	}
	err := confmap.Validate(cfg)
	if err == nil || !strings.Contains(err.Error(), "timout: unknown configuration key") {
		t.Fatalf("got %v", err)
	}
	cfg = defaultConfig(t)
	if err := cfg.Unmarshal(confmap.NewFromStringMap(map[string]any{"outcomes": []any{"ok", "explode"}})); err != nil {
		t.Fatal(err)
	}
	if err := confmap.Validate(cfg); err == nil || !strings.Contains(err.Error(), `outcomes[1]: unknown outcome "explode"`) {
		t.Fatalf("got %v", err)
	}
}

// Scenario: the collector's own print-config command on a config with a rust_chaos exporter
// that sets a standard key and a Rust key.
// Guarantees: print-config shows both halves: every standard setting (defaults included) and
// the Rust config as Rust normalized it (defaults included).
func TestPrintConfigShowsBothHalves(t *testing.T) {
	path := testutil.WriteConfig(t, `
receivers:
  nop:
exporters:
  rust_chaos:
    timeout: 7s
    outcomes: [partial:1]
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [nop]
      exporters: [rust_chaos]
`)
	cmd := otelcol.NewCommand(otelcol.CollectorSettings{
		BuildInfo: component.BuildInfo{Command: "otelcol-rust-test", Version: "1.2.3-test"},
		Factories: func() (otelcol.Factories, error) {
			receivers, err := otelcol.MakeFactoryMap[receiver.Factory](receivertest.NewNopFactory())
			if err != nil {
				return otelcol.Factories{}, err
			}
			exporters, err := otelcol.MakeFactoryMap[exporter.Factory](NewFactory("rust_chaos"))
			return otelcol.Factories{Receivers: receivers, Exporters: exporters, Telemetry: otelconftelemetry.NewFactory()}, err
		},
		ConfigProviderSettings: otelcol.ConfigProviderSettings{ResolverSettings: confmap.ResolverSettings{
			ProviderFactories: []confmap.ProviderFactory{fileprovider.NewFactory(), envprovider.NewFactory()},
		}},
	})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"print-config", "--config", "file:" + path})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var printed struct {
		Exporters map[string]map[string]any `yaml:"exporters"`
	}
	if err := yaml.Unmarshal(out.Bytes(), &printed); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	section := printed.Exporters["rust_chaos"]
	for key, want := range map[string]any{"timeout": "7s", "outcomes": []any{"partial:1"}, "delay_ms": 0, "reason": "", "decode": false} {
		if !reflect.DeepEqual(section[key], want) {
			t.Errorf("%s: %#v, want %#v", key, section[key], want)
		}
	}
	for _, key := range []string{"sending_queue", "retry_on_failure"} {
		if _, ok := section[key].(map[string]any); !ok {
			t.Errorf("%s not shown: %#v", key, section[key])
		}
	}
	if t.Failed() {
		t.Log(out.String())
	}
}
