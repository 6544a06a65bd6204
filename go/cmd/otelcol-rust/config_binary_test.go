package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// rustConfig is a collector config with the given extensions section beside an
// otlp -> batch -> debug pipeline.
func rustConfig(t *testing.T, extensions string, enabled ...string) string {
	t.Helper()
	return testutil.WriteConfig(t, testutil.Config{
		Extensions: extensions,
		Enabled:    enabled,
		Pipeline:   testutil.OTLPPipeline(testutil.FreeEndpoint(t)).WithBatch(),
	}.YAML())
}

// collector runs the binary with args and extra environment variables and returns its output
// (stdout and stderr) and its exit error. It is for commands that end by themselves; one that
// runs on is killed after a minute.
func collector(t *testing.T, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Guarantees, with the built binary: values from `${env:...}` reach the Rust config as they
// reach a Go component's (a String field gets the text "8080", an integer the number, a bool
// the bool), integers keep every digit up to the u64 maximum, and a null key keeps its
// default, in what `print-config` shows and what `validate` accepts. A bad config is refused
// by `validate`, by start-up and by `print-config` with each problem under its key path.
func TestBuiltBinaryConfig(t *testing.T) {
	bin := testutil.BuildCollector(t, t.TempDir(), "")
	good := rustConfig(t, `  rust_sample:
    endpoint: ${env:OTELCOL_RUST_TEST_PORT}
    timeout_ms: ${env:OTELCOL_RUST_TEST_TIMEOUT}
    enabled: ${env:OTELCOL_RUST_TEST_ENABLED}
  rust_sample/max:
    enabled: false
    timeout_ms: 18446744073709551615
    depends_on: null
`, "rust_sample", "rust_sample/max")
	env := []string{
		"OTELCOL_RUST_TEST_PORT=8080",
		"OTELCOL_RUST_TEST_TIMEOUT=9007199254740993",
		"OTELCOL_RUST_TEST_ENABLED=false",
	}

	t.Run("print-config shows provider values as a Go component gets them, exact integers and defaults", func(t *testing.T) {
		out, err := collector(t, bin, env, "print-config", "--config", good)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{`endpoint: "8080"`, "timeout_ms: 9007199254740993\n", "timeout_ms: 18446744073709551615\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("print-config lacks %q:\n%s", want, out)
			}
		}

		out, err = collector(t, bin, env, "print-config", "--format", "json", "--config", good)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var printed struct {
			Extensions map[string]map[string]any `json:"extensions"`
		}
		decoder := json.NewDecoder(strings.NewReader(out[strings.Index(out, "{"):]))
		decoder.UseNumber()
		if err := decoder.Decode(&printed); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		want := map[string]map[string]any{
			"rust_sample":     {"endpoint": "8080", "timeout_ms": json.Number("9007199254740993"), "enabled": false, "depends_on": []any{}},
			"rust_sample/max": {"endpoint": "localhost:8080", "timeout_ms": json.Number("18446744073709551615"), "enabled": false, "depends_on": []any{}},
		}
		if !reflect.DeepEqual(printed.Extensions, want) {
			t.Fatalf("print-config shows %v, want %v", printed.Extensions, want)
		}
	})

	t.Run("validate accepts them", func(t *testing.T) {
		if out, err := collector(t, bin, env, "validate", "--config", good); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})

	twoProblems := rustConfig(t, `  rust_sample/bad:
    timeout_ms: 0
    endpoint: " "
`, "rust_sample/bad")
	for name, command := range map[string][]string{"validate": {"validate"}, "start-up": {}, "print-config": {"print-config"}} {
		t.Run(name+" reports two problems at once", func(t *testing.T) {
			out, err := collector(t, bin, nil, append(command, "--config", twoProblems)...)
			if err == nil {
				t.Fatalf("accepted:\n%s", out)
			}
			requireMessage(t, out, "extensions::rust_sample/bad: timeout_ms: must be greater than 0\nendpoint: cannot be empty")
		})
	}

	t.Run("validate names the key of a wrong type and of an unknown key", func(t *testing.T) {
		for section, want := range map[string]string{
			"timeout_ms: soon": `extensions::rust_sample/bad: timeout_ms: invalid type: string "soon", expected u64`,
			"endpont: x:1":     "extensions::rust_sample/bad: endpont: unknown configuration key",
			"depends_on: [a, 5]": "extensions::rust_sample/bad: depends_on[1]: invalid type: integer `5`, " +
				"expected a string",
		} {
			path := rustConfig(t, "  rust_sample/bad:\n    "+section+"\n", "rust_sample/bad")
			out, err := collector(t, bin, nil, "validate", "--config", path)
			if err == nil {
				t.Fatalf("%s accepted:\n%s", section, out)
			}
			requireMessage(t, out, want)
		}
	})
}

// requireMessage fails unless out holds want, and holds neither the empty field name confmap
// shows for errors from Unmarshal nor a position in the JSON the user never wrote.
func requireMessage(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	for _, noise := range []string{"''", "line 1", "column"} {
		if strings.Contains(out, noise) {
			t.Errorf("output contains %q:\n%s", noise, out)
		}
	}
}
