package rustffi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ExpandedKey marks a provider-substituted value in the config JSON Rust reads (see
// Expanded). A user config that holds the key itself is refused, so the mark is never
// ambiguous.
const ExpandedKey = "$otelcol.expanded"

// Expanded is a config value a config provider substituted (`endpoint: ${env:EP}`), in both
// forms confmap keeps: the parsed Value (8080) and the Original text ("8080"). Rust gives a
// string field the text and any other field the value, as confmap does for a Go component.
// It crosses as {"$otelcol.expanded":{"value":8080,"original":"8080"}}.
type Expanded struct {
	Value    any
	Original string
}

// MarshalJSON writes the marked object Rust's config decoder reads.
func (e Expanded) MarshalJSON() ([]byte, error) {
	type forms struct {
		Value    any    `json:"value"`
		Original string `json:"original"`
	}
	return json.Marshal(map[string]forms{ExpandedKey: {Value: e.Value, Original: e.Original}})
}

// ConfigProblem is one thing Rust found wrong with a config. Rust reports every problem
// validation found; a call that fails on a config returns one ConfigProblem per problem,
// joined (errors.Join).
type ConfigProblem struct {
	// Path is the key path as the collector writes it: "timeout_ms", "tls::cert_file",
	// "targets[2]"; empty when the problem is the config as a whole.
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p ConfigProblem) Error() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// callError is the error of a failed call: Rust's config problems (sent as a JSON list beside
// the message), one error each, or else the message.
func callError(message, problemsJSON string) error {
	var problems []ConfigProblem
	if problemsJSON == "" || json.Unmarshal([]byte(problemsJSON), &problems) != nil || len(problems) == 0 {
		return errors.New(message)
	}
	if len(problems) == 1 {
		return problems[0]
	}
	errs := make([]error, len(problems))
	for i, problem := range problems {
		errs[i] = problem
	}
	return errors.Join(errs...)
}

// checkReserved refuses a config that uses ExpandedKey as a key of its own.
func checkReserved(value any, path string) error {
	switch v := value.(type) {
	case map[string]any:
		for key, item := range v {
			keyPath := key
			if path != "" {
				keyPath = path + "::" + key
			}
			if key == ExpandedKey {
				return ConfigProblem{Path: keyPath, Message: "the key is reserved (otelcol-rust marks values from config providers with it)"}
			}
			if err := checkReserved(item, keyPath); err != nil {
				return err
			}
		}
	case []any:
		for i, item := range v {
			if err := checkReserved(item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case Expanded:
		return checkReserved(v.Value, path)
	}
	return nil
}

// exactNumbers replaces, in place, every json.Number of a value decoded with UseNumber by a Go
// number typed as the collector's YAML parser types it: int64 if it fits, else uint64, else
// float64. Decoding straight into float64 would cut integers to 53 bits (9007199254740993
// became 9007199254740992) and turn the u64 maximum into a float Rust refuses.
func exactNumbers(value any) (any, error) {
	switch v := value.(type) {
	case map[string]any:
		for key, item := range v {
			exact, err := exactNumbers(item)
			if err != nil {
				return nil, err
			}
			v[key] = exact
		}
	case []any:
		for i, item := range v {
			exact, err := exactNumbers(item)
			if err != nil {
				return nil, err
			}
			v[i] = exact
		}
	case json.Number:
		if n, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return n, nil
		}
		if n, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
			return n, nil
		}
		return strconv.ParseFloat(v.String(), 64)
	}
	return value, nil
}
