package rustexporter

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/xconfmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustcomponent"
)

// Config is the config of every Rust exporter. The collector's standard exporter settings
// are decoded into the exporterhelper types Go exporters use, with otlpexporter's defaults,
// and applied by exporterhelper; every other key is the Rust exporter's own config, a
// document merged over its Rust defaults and judged by Rust (see rustextension's
// RustComponentConfig, which is the same document).
type Config struct {
	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig   configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// rust holds every other key; set by the factory.
	rust *rustcomponent.Config
}

var (
	_ confmap.Unmarshaler = (*Config)(nil)
	_ confmap.Marshaler   = Config{}
	_ confmap.Validator   = (*Config)(nil)
)

// standardSettings is Config without its methods, so that confmap decodes and encodes the
// standard keys by their mapstructure tags instead of calling Config's Unmarshal and Marshal
// again. mapstructure skips the unexported Rust document.
type standardSettings Config

// newDefaultConfig is a Rust exporter type's default config: otlpexporter's standard
// defaults and the Rust defaults.
func newDefaultConfig(componentType string, rustDefaults map[string]any) *Config {
	return &Config{
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:   configretry.NewDefaultBackOffConfig(),
		rust:          rustcomponent.NewConfig(rustcomponent.KindExporter, componentType, rustDefaults),
	}
}

// standardKeys are the top-level keys of the standard settings (`timeout`, `sending_queue`,
// `retry_on_failure`), read from how confmap writes them, so that a key exporterhelper adds
// is the collector's, not Rust's, without a list here to keep up to date.
var standardKeys = sync.OnceValues(func() ([]string, error) {
	conf := confmap.New()
	if err := conf.Marshal(standardSettings(*newDefaultConfig("", nil))); err != nil {
		return nil, fmt.Errorf("cannot list the standard exporter settings: %w", err)
	}
	keys := slices.Sorted(maps.Keys(conf.ToStringMap()))
	return keys, nil
})

// Unmarshal decodes the standard keys as a Go exporter's config does (unknown keys inside
// them are errors) and merges every other key over the Rust defaults; Rust judges those in
// Validate (see rustcomponent.Config.Merge).
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	keys, err := standardKeys()
	if err != nil {
		return err
	}
	standard, own := map[string]any{}, map[string]any{}
	for key, value := range xconfmap.ToStringMapRaw(conf) {
		if slices.Contains(keys, key) {
			standard[key] = value
		} else {
			own[key] = value
		}
	}
	if err := confmap.NewFromStringMap(standard).Unmarshal((*standardSettings)(c)); err != nil {
		return err
	}
	if c.rust == nil {
		return errNoRustDocument
	}
	c.rust.Merge(own)
	return nil
}

// Marshal writes both halves, so print-config shows the standard settings and the Rust
// config as Rust normalized it.
func (c Config) Marshal(conf *confmap.Conf) error {
	if c.rust == nil {
		return errNoRustDocument
	}
	if err := c.rust.Marshal(conf); err != nil {
		return err
	}
	return conf.Marshal(standardSettings(c))
}

// Validate has Rust judge its half (one "path: message" error per problem); the collector
// validates the standard settings through their own Validate methods.
func (c *Config) Validate() error {
	if c.rust == nil {
		return errNoRustDocument
	}
	return c.rust.Validate()
}

var errNoRustDocument = errors.New("the config of a Rust exporter must come from its factory's CreateDefaultConfig")
