package rustextension

import (
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/xconfmap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

// RustComponentConfig is the config of every Rust extension: one document, the user's keys
// merged over the extension type's defaults as written (a value from a config provider keeps
// both its parsed value and its text), plus the extension type that owns it. Rust is the only
// judge of what is valid; it decodes this same document for Validate, Values, Marshal and the
// instance's Start, so they cannot disagree.
type RustComponentConfig struct {
	extensionType string
	// values is the merged document; Start sends it to Rust as is.
	values map[string]any
}

var (
	_ confmap.Unmarshaler = (*RustComponentConfig)(nil)
	_ confmap.Marshaler   = RustComponentConfig{}
	_ confmap.Validator   = (*RustComponentConfig)(nil)
)

// Unmarshal merges the user's keys over the current values (the defaults, at config load); see
// mergeOver. It does not judge them: Rust's verdict comes from Validate, which the collector
// runs on every config it loads (`validate`, start-up, print-config, reloads) and which it
// shows under the component's path, `extensions::rust_sample/bad: timeout_ms: must be greater
// than 0`. confmap would show an error from Unmarshal after an empty field name instead.
func (c *RustComponentConfig) Unmarshal(conf *confmap.Conf) error {
	c.values = mergeOver(c.values, xconfmap.ToStringMapRaw(conf))
	return nil
}

// Marshal writes the config as Rust normalized it (every key; a string field set from a
// provider holds its text), so print-config shows what the instance runs with. A config Rust
// rejects (print-config --validate=false shows those) is written as merged, as the user wrote
// it.
func (c RustComponentConfig) Marshal(conf *confmap.Conf) error {
	normalized, err := rustffi.ValidateConfig(c.extensionType, c.values)
	if err != nil {
		return conf.Marshal(parsedValue(c.values))
	}
	return conf.Marshal(normalized)
}

// Validate has Rust judge the config: nil, or one error per problem ("path: message", the key
// path as the collector writes it), joined. It also covers configs that never reached
// Unmarshal (a bare `rust_sample:` keeps the defaults) and configs built in code.
func (c *RustComponentConfig) Validate() error {
	if _, err := rustffi.ValidateConfig(c.extensionType, c.values); err != nil {
		return err
	}
	_, err := c.dependencies()
	return err
}

// Values returns the config as Rust normalized it, a fresh copy (see Marshal), or nil if Rust
// rejects it (Validate says why). Integers are int64, or uint64 above the int64 range.
func (c *RustComponentConfig) Values() map[string]any {
	normalized, err := rustffi.ValidateConfig(c.extensionType, c.values)
	if err != nil {
		return nil
	}
	return normalized
}

// Set replaces one top-level value without validation, as code building a config might; Rust
// rejects a bad one at Validate and again at Start.
func (c *RustComponentConfig) Set(key string, value any) {
	values := deepCopy(c.values)
	if values == nil {
		values = map[string]any{}
	}
	values[key] = copyValue(value)
	c.values = values
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
