package rustffi

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

// Guarantees: an Expanded value crosses as the marked object Rust's config decoder reads.
func TestExpandedCrossesMarked(t *testing.T) {
	data, err := json.Marshal(map[string]any{"port": Expanded{Value: 8080, Original: "8080"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(data); got != `{"port":{"$otelcol.expanded":{"value":8080,"original":"8080"}}}` {
		t.Fatalf("got %s", got)
	}
}

// Guarantees: a user key equal to the mark is refused wherever it is, with its key path.
func TestReservedKeyIsRefused(t *testing.T) {
	config := map[string]any{"targets": []any{"a", map[string]any{ExpandedKey: 1}}}
	err := checkReserved(config, "")
	var problem ConfigProblem
	if !errors.As(err, &problem) || problem.Path != "targets[1]::$otelcol.expanded" {
		t.Fatalf("got %#v", err)
	}
	inside := map[string]any{"tls": Expanded{Value: map[string]any{ExpandedKey: 1}, Original: "x"}}
	if err := checkReserved(inside, ""); err == nil {
		t.Fatal("a reserved key inside a provider value was accepted")
	}
	if err := checkReserved(map[string]any{"ok": []any{map[string]any{"a": nil}}}, ""); err != nil {
		t.Fatal(err)
	}
}

// Guarantees: numbers are typed as the collector's YAML parser types them, exactly.
func TestExactNumbers(t *testing.T) {
	value := map[string]any{
		"big":   json.Number("9007199254740993"),
		"max":   json.Number("18446744073709551615"),
		"neg":   json.Number("-9223372036854775808"),
		"float": json.Number("1.5"),
		"list":  []any{json.Number("1"), map[string]any{"huge": json.Number("1e400")}},
	}
	if _, err := exactNumbers(value); err == nil {
		t.Fatal("an out-of-range number was accepted")
	}
	value["list"] = []any{json.Number("1")}
	if _, err := exactNumbers(value); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"big":   int64(9007199254740993),
		"max":   uint64(math.MaxUint64),
		"neg":   int64(math.MinInt64),
		"float": 1.5,
		"list":  []any{int64(1)},
	}
	if !reflect.DeepEqual(value, want) {
		t.Fatalf("got %#v", value)
	}
}

// Guarantees: Rust's problem list becomes one error per problem, "path: message"; a reply
// without one keeps its message.
func TestCallErrorListsProblems(t *testing.T) {
	err := callError("a; b", `[{"path":"tls::cert_file","message":"must be set"},{"path":"","message":"needs a target"}]`)
	if err.Error() != "tls::cert_file: must be set\nneeds a target" {
		t.Fatalf("got %q", err)
	}
	var problem ConfigProblem
	if !errors.As(err, &problem) || problem.Path != "tls::cert_file" {
		t.Fatalf("got %#v", err)
	}
	if err := callError("unknown extension type", ""); err.Error() != "unknown extension type" {
		t.Fatalf("got %q", err)
	}
}
