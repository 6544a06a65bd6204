package rustextension

import (
	"encoding/json"
	"fmt"
	"maps"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-rust/otelcol-rust/go/rustffi"
)

// RustComponentConfig is the config of every Rust extension: the values as Rust normalized
// them, plus the extension type that owns them. Rust is the only judge of what is valid.
type RustComponentConfig struct {
	extensionType string
	values        map[string]any
}

var (
	_ confmap.Unmarshaler = (*RustComponentConfig)(nil)
	_ confmap.Marshaler   = RustComponentConfig{}
)

// Unmarshal merges the user's keys over the current values (the defaults, at config load) and
// has Rust validate and normalize the result.
func (c *RustComponentConfig) Unmarshal(conf *confmap.Conf) error {
	// NewFromStringMap copies the map (koanf), so c.values is not touched by the merge.
	merged := confmap.NewFromStringMap(c.values)
	if err := merged.Merge(conf); err != nil {
		return err
	}
	normalized, err := rustffi.ValidateConfig(c.extensionType, merged.ToStringMap())
	if err != nil {
		return err
	}
	c.values = normalized
	_, err = c.dependencies()
	return err
}

// Marshal writes the values back, so print-config shows what Rust will run with.
func (c RustComponentConfig) Marshal(conf *confmap.Conf) error {
	return conf.Marshal(c.values)
}

// Validate has Rust validate the values. It covers configs that never reached Unmarshal (a
// bare `rust_sample:` section keeps the defaults) and configs built in code.
func (c *RustComponentConfig) Validate() error {
	if _, err := rustffi.ValidateConfig(c.extensionType, c.values); err != nil {
		return err
	}
	_, err := c.dependencies()
	return err
}

// Values returns a copy of the config values.
func (c *RustComponentConfig) Values() map[string]any { return deepCopy(c.values) }

// Set replaces one top-level value without validation, as code building a config might; Rust
// rejects it at Validate and again at Start.
func (c *RustComponentConfig) Set(key string, value any) {
	c.values = maps.Clone(c.values)
	if c.values == nil {
		c.values = map[string]any{}
	}
	c.values[key] = value
}

func (c *RustComponentConfig) dependencies() ([]component.ID, error) {
	names, err := rustffi.Dependencies(c.extensionType, c.values)
	if err != nil {
		return nil, err
	}
	ids := make([]component.ID, 0, len(names))
	for _, name := range names {
		var id component.ID
		if err := id.UnmarshalText([]byte(name)); err != nil {
			return nil, fmt.Errorf("dependency %q is not a component id: %w", name, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// deepCopy copies a JSON-shaped map, so no two configs share nested maps or slices.
func deepCopy(values map[string]any) map[string]any {
	data, err := json.Marshal(values)
	if err != nil {
		return maps.Clone(values)
	}
	var copied map[string]any
	if err := json.Unmarshal(data, &copied); err != nil {
		return maps.Clone(values)
	}
	return copied
}
