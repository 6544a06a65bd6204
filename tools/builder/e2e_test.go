package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run the whole builder: cargo, the Go toolchain and ocb. Set CARGO_TARGET_DIR to
// the workspace's target directory (the Makefile does) so cargo reuses the built dependencies.

// Guarantees: the repository's own sample manifest (examples/manifest.yaml, the path users
// take) builds a collector in which the Rust extension and a Go extension are both listed,
// both serve, a bad Rust config is rejected by `validate` naming the component, and SIGTERM
// stops it cleanly.
func TestBuildExampleDistribution(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a collector")
	}
	repo := repoRoot(t)
	var progress bytes.Buffer
	binary, err := build(options{Manifest: filepath.Join(repo, "examples", "manifest.yaml"), OutputPath: t.TempDir()}, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(progress.String(), 40))
	}
	for i, name := range []string{"read the manifest", "build the Rust crate (cargo)", "build the collector (ocb)", "check the binary's components"} {
		if !strings.Contains(progress.String(), "] "+name+"\n") {
			t.Errorf("progress %d (%q) not shown", i, name)
		}
	}

	components := run(t, binary, "components")
	for _, want := range []string{"- name: rust_sample", "- name: zpages", "- name: otlp", "- name: debug"} {
		if !strings.Contains(components, want) {
			t.Errorf("components lacks %q:\n%s", want, components)
		}
	}

	rustEndpoint, zpagesEndpoint, otlpEndpoint := freeEndpoint(t), freeEndpoint(t), freeEndpoint(t)
	config := writeFile(t, "config.yaml", fmt.Sprintf(`extensions:
  rust_sample:
    endpoint: %s
  zpages:
    endpoint: %s
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
exporters:
  debug:
service:
  extensions: [rust_sample, zpages]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
`, rustEndpoint, zpagesEndpoint, otlpEndpoint))
	if out := run(t, binary, "validate", "--config", config); out != "" {
		t.Logf("validate: %s", out)
	}

	bad := writeFile(t, "bad.yaml", strings.Replace(read(t, config), "    endpoint: "+rustEndpoint, "    endpoint: "+rustEndpoint+"\n    timeout_ms: 0", 1))
	out, err := exec.Command(binary, "validate", "--config", bad).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "rust_sample") || !strings.Contains(string(out), "timeout_ms: must be greater than 0") {
		t.Errorf("validate of a bad Rust config: err %v, output:\n%s", err, out)
	}

	collector := exec.Command(binary, "--config", config)
	var logs bytes.Buffer
	collector.Stdout, collector.Stderr = &logs, &logs
	if err := collector.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- collector.Wait() }()
	defer collector.Process.Kill()

	var status struct {
		ComponentID string `json:"component_id"`
	}
	if err := json.Unmarshal([]byte(waitForHTTP(t, "http://"+rustEndpoint+"/", exited, &logs)), &status); err != nil || status.ComponentID != "rust_sample" {
		t.Errorf("rust_sample answered %+v (%v)", status, err)
	}
	waitForHTTP(t, "http://"+zpagesEndpoint+"/debug/servicez", exited, &logs)

	if err := collector.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("collector exited with %v after SIGTERM:\n%s", err, tail(logs.String(), 20))
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("collector still running 20 s after SIGTERM:\n%s", tail(logs.String(), 20))
	}
	for _, endpoint := range []string{rustEndpoint, zpagesEndpoint} {
		listener, err := net.Listen("tcp", endpoint)
		if err != nil {
			t.Errorf("%s still in use after shutdown: %v", endpoint, err)
			continue
		}
		listener.Close()
	}
}

// Guarantees: when cargo fails, the error names the step and the module whose crate failed.
func TestBuildFailureNamesStepAndModule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo")
	}
	broken, err := filepath.Abs(filepath.Join("testdata", "broken"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := writeManifest(t, distHeader+"extensions:\n  - gomod: go.opentelemetry.io/collector/extension/zpagesextension v0.164.0\n"+
		"  - cargo: 'broken-component = { path = \""+broken+"\" }'\n")
	var progress bytes.Buffer
	_, err = build(options{Manifest: manifest, Repo: repoRoot(t)}, &progress)
	want := "step 3/7 (build the Rust crate (cargo)) failed: cargo build failed in extensions[1] (" + manifest + ":6:5, crate broken-component): exit status 101"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s\noutput:\n%s", err, want, tail(progress.String(), 30))
	}
}

// Guarantees: two crates registering one type stop the build at the step that lists the types,
// with both factories named (their Rust paths start with the crates).
func TestBuildRejectsDuplicateRustTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo")
	}
	repo := repoRoot(t)
	duplicate, err := filepath.Abs(filepath.Join("testdata", "duplicate"))
	if err != nil {
		t.Fatal(err)
	}
	manifest := writeManifest(t, distHeader+"extensions:\n"+
		"  - cargo: 'rust-sample = { path = \""+filepath.Join(repo, "rust", "components", "rust_sample")+"\" }'\n"+
		"  - cargo: 'duplicate-sample = { path = \""+duplicate+"\" }'\n")
	var progress bytes.Buffer
	_, err = build(options{Manifest: manifest, Repo: repo}, &progress)
	for _, want := range []string{
		"step 4/7 (list the Rust extension types) failed:",
		`extension type "rust_sample" is registered more than once: by `,
		"rust_sample::",
		"duplicate_sample::ImpostorFactory",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v lacks %q\noutput:\n%s", err, want, tail(progress.String(), 30))
		}
	}
}

func run(t *testing.T, binary string, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", binary, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitForHTTP polls url until it answers 200 and returns the body; it fails if the collector
// exits first or 30 s pass.
func waitForHTTP(t *testing.T, url string, exited <-chan error, logs *bytes.Buffer) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("collector exited (%v):\n%s", err, tail(logs.String(), 20))
		default:
		}
		if resp, err := http.Get(url); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer within 30 s:\n%s", url, tail(logs.String(), 20))
	return ""
}

func freeEndpoint(t *testing.T) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func tail(text string, lines int) string {
	all := strings.Split(strings.TrimRight(text, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}
