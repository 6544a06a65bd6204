//go:build otelcolrust_testcomponents

package reliability

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

// FuzzRustConfig feeds arbitrary config maps (from JSON, numbers kept exact as the collector's
// YAML parser keeps them, or raw text as a value) through the collector's config path into
// Rust: Unmarshal (merge over the defaults), Validate (Rust's verdict), Values, Marshal (what
// print-config shows) and back. Seeds live in testdata/fuzz/FuzzRustConfig.
//
// Guarantees: every input gets an error or success, never a crash or hang; Unmarshal never
// fails (Rust's verdict is Validate's); an accepted config gives back every key the input set
// (to anything but null) unchanged, in value and Go type (rust_sample's fields each normalize
// to what was written, so a lost digit or a float shows; an integral float given to an integer
// field comes back as that integer); Marshal's output loads to the same
// config.
func FuzzRustConfig(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"endpoint":"localhost:1","timeout_ms":1,"enabled":false}`, `{"timeout_ms":0}`,
		`{"endpoint":""}`, `{"endpont":"x"}`, `{"timeout_ms":"soon"}`, `{"timeout_ms":1e300}`,
		`{"depends_on":["a/b","Not An ID"]}`, `{"enabled":{"deep":[[[[[]]]]]}}`, "\x00\xff",
		`{"timeout_ms":9007199254740993}`, `{"timeout_ms":18446744073709551615}`,
		`{"timeout_ms":18446744073709551616}`, `{"timeout_ms":-1}`, `{"timeout_ms":null,"endpoint":null}`,
		`{"depends_on":["zpages",5]}`, `{"endpoint":{"$otelcol.expanded":{"value":1,"original":"1"}}}`,
	} {
		f.Add([]byte(seed))
	}
	defaults := factory(f, "rust_sample").CreateDefaultConfig
	f.Fuzz(func(t *testing.T, raw []byte) {
		conf, err := decodeExact(raw)
		if err != nil {
			// Not a JSON object: use the bytes as a string value in every key.
			conf = map[string]any{"endpoint": string(raw), "timeout_ms": string(raw)}
		}
		cfg := defaults().(*rustextension.RustComponentConfig)
		if err := cfg.Unmarshal(confmap.NewFromStringMap(conf)); err != nil {
			t.Fatalf("Unmarshal failed (only Validate judges): %v", err)
		}
		if err := cfg.Validate(); err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		values := cfg.Values()
		for key, value := range conf {
			if value != nil && !reflect.DeepEqual(values[key], value) && !sameInteger(value, values[key]) {
				t.Fatalf("%s: %#v (%T) came back as %#v (%T)", key, value, value, values[key], values[key])
			}
		}
		out := confmap.New()
		if err := cfg.Marshal(out); err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again := defaults().(*rustextension.RustComponentConfig)
		if err := again.Unmarshal(out); err != nil {
			t.Fatalf("Marshal output does not Unmarshal: %v", err)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("Marshal output is rejected: %v", err)
		}
		if got := again.Values(); !reflect.DeepEqual(got, values) {
			t.Fatalf("Marshal output loads as %#v, not %#v", got, values)
		}
	})
}

// sameInteger reports whether an integral float the input gave an integer field came back as
// that integer: `timeout_ms: 1.0` is accepted as 1, as a Go component's integer field takes it,
// and the config then holds (and print-config shows) the field's type.
func sameInteger(input, normalized any) bool {
	f, ok := input.(float64)
	if !ok {
		return false
	}
	switch n := normalized.(type) {
	case int64: // in range first: an out-of-range conversion is implementation-defined
		return f >= -0x1p63 && f < 0x1p63 && float64(int64(f)) == f && int64(f) == n
	case uint64:
		return f >= 0 && f < 0x1p64 && float64(uint64(f)) == f && uint64(f) == n
	}
	return false
}

// decodeExact decodes a JSON object with every integer kept exact, as the collector's YAML
// parser keeps it: int64 when it fits, else uint64, else (like any other number) float64.
func decodeExact(raw []byte) (map[string]any, error) {
	decoder := json.NewDecoder(bytes.NewReader(raw))
	decoder.UseNumber()
	var conf map[string]any
	if err := decoder.Decode(&conf); err != nil {
		return nil, err
	}
	if _, err := decoder.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("trailing data")
	}
	return exactNumbers(conf).(map[string]any), nil
}

// exactNumbers types the fuzz input's numbers as the collector's YAML parser would. It is
// written again here, not borrowed from rustffi, on purpose: the fuzz test is the oracle for
// rustffi's own conversion and must not share its bugs.
func exactNumbers(value any) any {
	switch v := value.(type) {
	case map[string]any:
		for key, item := range v {
			v[key] = exactNumbers(item)
		}
	case []any:
		for i, item := range v {
			v[i] = exactNumbers(item)
		}
	case json.Number:
		if n, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(v.String(), 10, 64); err == nil {
			return n
		}
		n, _ := strconv.ParseFloat(v.String(), 64) // ±Inf when out of range, as YAML gives
		return n
	}
	return value
}
