package main

import (
	"bytes"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// config runs rust_sample on rustEndpoint (plus rustSection, indented keys) beside an
// otlp -> batch -> debug pipeline.
func config(rustEndpoint, otlpEndpoint, rustSection string) string {
	return testutil.Config{
		Extensions: "  rust_sample:\n    endpoint: " + rustEndpoint + "\n" + rustSection,
		Enabled:    []string{"rust_sample"},
		Pipeline:   testutil.OTLPPipeline(otlpEndpoint).WithBatch(),
	}.YAML()
}

// Guarantees: the built binary's `components`, `validate` and run + SIGTERM behave as a
// collector user expects, with the Rust extension inside.
func TestBuiltBinary(t *testing.T) {
	bin := testutil.BuildCollector(t, t.TempDir(), "")

	t.Run("components lists rust_sample", func(t *testing.T) {
		out, err := exec.Command(bin, "components").CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(string(out), "name: rust_sample") {
			t.Fatalf("rust_sample missing:\n%s", out)
		}
	})

	t.Run("validate rejects a bad Rust config", func(t *testing.T) {
		path := testutil.WriteConfig(t, config(testutil.FreeEndpoint(t), testutil.FreeEndpoint(t), "    timeout_ms: 0\n"))
		out, err := exec.Command(bin, "validate", "--config", path).CombinedOutput()
		if err == nil {
			t.Fatalf("validate accepted timeout_ms: 0\n%s", out)
		}
		if !strings.Contains(string(out), "timeout_ms must be greater than 0") {
			t.Fatalf("Rust's message missing:\n%s", out)
		}
	})

	t.Run("validate accepts the example config", func(t *testing.T) {
		out, err := exec.Command(bin, "validate", "--config", "../../../examples/config.yaml").CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})

	t.Run("print-config shows the Rust config merged over its defaults", func(t *testing.T) {
		path := testutil.WriteConfig(t, config(testutil.FreeEndpoint(t), testutil.FreeEndpoint(t), "    timeout_ms: 1234\n"))
		out, err := exec.Command(bin, "print-config", "--config", path).CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{"timeout_ms: 1234", "enabled: true", "depends_on: []"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("print-config lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("runs and exits cleanly on SIGTERM", func(t *testing.T) {
		endpoint := testutil.FreeEndpoint(t)
		cmd := exec.Command(bin, "--config", testutil.WriteConfig(t, config(endpoint, testutil.FreeEndpoint(t), "")))
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		var answered bool
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if resp, err := http.Get("http://" + endpoint + "/"); err == nil {
				resp.Body.Close()
				answered = resp.StatusCode == http.StatusOK
				break
			}
		}
		if !answered {
			t.Fatalf("rust_sample never answered\n%s", output.String())
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", err, output.String())
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no exit within 20s of SIGTERM\n%s", output.String())
		}
		if !strings.Contains(output.String(), "Rust extension stopped") {
			t.Fatalf("no Rust shutdown logged\n%s", output.String())
		}
		l, err := net.Listen("tcp", endpoint)
		if err != nil {
			t.Fatalf("port still taken after exit: %v", err)
		}
		l.Close()
	})
}
