package rustcomponent

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// Config is the config document of one Rust component: the user's keys merged over the
// component type's defaults as written (a value from a config provider keeps both its parsed
// value and its text), plus the kind and type that own it. Rust is the only judge of what is
// valid; it decodes this same document for Validate, Values, Marshal and the instance's Start,
// so they cannot disagree.
type Config struct {
	kind          Kind
	componentType string
	// values is the merged document; Start sends it to Rust as is.
	values map[string]any
}

var (
	_ confmap.Unmarshaler = (*Config)(nil)
	_ confmap.Marshaler   = Config{}
	_ confmap.Validator   = (*Config)(nil)
)

// NewConfig returns the document of a component of kind and componentType holding defaults
// (copied), as its factory's default config.
func NewConfig(kind Kind, componentType string, defaults map[string]any) *Config {
	return &Config{kind: kind, componentType: componentType, values: deepCopy(defaults)}
}

// Unmarshal merges the user's keys over the current values (the defaults, at config load); see
// Merge.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	c.Merge(xconfmap.ToStringMapRaw(conf))
	return nil
}

// Merge lays user (keys as confmap holds them, xconfmap.ToStringMapRaw) over the current
// values; see mergeOver. It does not judge them: Rust's verdict comes from Validate, which the
// collector runs on every config it loads (`validate`, start-up, print-config, reloads) and
// which it shows under the component's path, `extensions::rust_sample/bad: timeout_ms: must be
// greater than 0`. confmap would show an error from Unmarshal after an empty field name
// instead.
func (c *Config) Merge(user map[string]any) {
	c.values = mergeOver(c.values, user)
}

// Marshal writes the config as Rust normalized it (every key; a string field set from a
// provider holds its text), so print-config shows what the instance runs with. A config Rust
// rejects (print-config --validate=false shows those) is written as merged, as the user wrote
// it.
func (c Config) Marshal(conf *confmap.Conf) error {
	normalized, err := rustffi.ValidateConfig(c.kind, c.componentType, c.values)
	if err != nil {
		return conf.Marshal(parsedValue(c.values))
	}
	return conf.Marshal(normalized)
}

// Validate has Rust judge the config: nil, or one error per problem ("path: message", the key
// path as the collector writes it), joined. It also covers configs that never reached
// Unmarshal (a bare `rust_sample:` keeps the defaults) and configs built in code. An
// extension's dependencies must be component ids.
func (c *Config) Validate() error {
	if _, err := rustffi.ValidateConfig(c.kind, c.componentType, c.values); err != nil {
		return err
	}
	if c.kind != KindExtension {
		return nil
	}
	_, err := c.Dependencies()
	return err
}

// Values returns the config as Rust normalized it, a fresh copy (see Marshal), or nil if Rust
// rejects it (Validate says why). Integers are int64, or uint64 above the int64 range.
func (c *Config) Values() map[string]any {
	normalized, err := rustffi.ValidateConfig(c.kind, c.componentType, c.values)
	if err != nil {
		return nil
	}
	return normalized
}

// Set replaces one top-level value without validation, as code building a config might; Rust
// rejects a bad one at Validate and again at Start.
func (c *Config) Set(key string, value any) {
	values := deepCopy(c.values)
	if values == nil {
		values = map[string]any{}
	}
	values[key] = copyValue(value)
	c.values = values
}

// Dependencies returns the extensions an extension with this config must start after, as
// its Rust factory reads them from the config.
func (c *Config) Dependencies() ([]component.ID, error) {
	if c.kind != KindExtension {
		return nil, errors.New("only extensions have dependencies")
	}
	names, err := rustffi.Dependencies(c.componentType, c.values)
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

// mergeOver returns a copy of base with the user's keys laid over it, as confmap merges a
// component's section over its defaults (maps merge key by key; anything else replaces), so
// that Rust gets what a Go component would:
//   - A null in a user map means "not set" and is dropped, at any depth: the default stays,
//     as mapstructure leaves a Go field alone for nil. A null inside a list is a value.
//   - A map from a provider (`tls: ${env:TLS}`) merges like a written one where the default is
//     a map: a Go struct field is decoded from the parsed map over its defaults.
//   - Any other value from a provider stays an Expanded value (parsed value and text), which
//     Rust reads as confmap does for Go: the text for a string field, the value otherwise.
func mergeOver(base, user map[string]any) map[string]any {
	merged := deepCopy(base)
	if merged == nil {
		merged = map[string]any{}
	}
	for key, value := range user {
		if expanded, ok := value.(xconfmap.ExpandedValue); ok {
			if parsed, isMap := expanded.Value.(map[string]any); isMap {
				if _, defaultIsMap := merged[key].(map[string]any); defaultIsMap {
					value = parsed
				}
			}
		}
		switch v := value.(type) {
		case nil:
		case map[string]any:
			inner, _ := merged[key].(map[string]any)
			merged[key] = mergeOver(inner, v)
		default:
			merged[key] = copyValue(v)
		}
	}
	return merged
}

// deepCopy copies a config document, so no two configs share nested maps or lists.
func deepCopy(values map[string]any) map[string]any {
	if values == nil {
		return nil
	}
	return copyValue(values).(map[string]any)
}

// copyValue copies a config value: maps and lists are copied, and a value from a config
// provider (xconfmap.ExpandedValue, which the rustffi package does not know) becomes
// rustffi.Expanded.
func copyValue(value any) any {
	switch v := value.(type) {
	case map[string]any:
		if v == nil {
			return v
		}
		copied := make(map[string]any, len(v))
		for key, item := range v {
			copied[key] = copyValue(item)
		}
		return copied
	case []any:
		if v == nil {
			return v
		}
		copied := make([]any, len(v))
		for i, item := range v {
			copied[i] = copyValue(item)
		}
		return copied
	case xconfmap.ExpandedValue:
		return rustffi.Expanded{Value: copyValue(v.Value), Original: v.Original}
	case rustffi.Expanded:
		return rustffi.Expanded{Value: copyValue(v.Value), Original: v.Original}
	}
	return value
}

// parsedValue copies a config value with each provider value replaced by its parsed form, as
// confmap's ToStringMap shows it.
func parsedValue(value any) any {
	switch v := value.(type) {
	case map[string]any:
		copied := make(map[string]any, len(v))
		for key, item := range v {
			copied[key] = parsedValue(item)
		}
		return copied
	case []any:
		copied := make([]any, len(v))
		for i, item := range v {
			copied[i] = parsedValue(item)
		}
		return copied
	case rustffi.Expanded:
		return parsedValue(v.Value)
	}
	return value
}
