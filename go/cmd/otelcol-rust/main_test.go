package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
)

// ready is what the collector logs once a (re)started service runs.
const ready = "Everything is ready."

// config runs the rust_sample extension id on rustEndpoint (plus rustSection, indented keys)
// beside an otlp -> batch -> debug pipeline.
func config(id, rustEndpoint, otlpEndpoint, rustSection string) string {
	return testutil.Config{
		Extensions: "  " + id + ":\n    endpoint: " + rustEndpoint + "\n" + rustSection,
		Enabled:    []string{id},
		Pipeline:   testutil.OTLPPipeline(otlpEndpoint).WithBatch(),
	}.YAML()
}

// Guarantees: the built binary's `components`, `validate`, `print-config`, config reload and
// SIGTERM behave as a collector user expects, with the Rust extension inside.
func TestBuiltBinary(t *testing.T) {
	bin := testutil.BuildCollector(t, t.TempDir(), "")

	t.Run("components lists each Rust extension, receiver, processor and exporter at its declared stability", func(t *testing.T) {
		out, err := exec.Command(bin, "components").Output()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		listed := listedComponents(t, out)
		// This test links the same archive as the binary: what its Rust factories declare.
		types, err := rustffi.ComponentTypes()
		if err != nil {
			t.Fatal(err)
		}
		for _, typ := range types {
			// An extension has one level; any other kind one per signal, Undefined for the
			// signals it does not declare.
			want := map[string]string{"extension": typ.Stability}
			if typ.Kind != rustffi.KindExtension {
				want = map[string]string{"traces": "Undefined", "metrics": "Undefined", "logs": "Undefined"}
				for _, signal := range typ.Signals {
					want[signal] = typ.Stability
				}
			}
			if got, ok := listed[string(typ.Kind)][typ.Type]; !ok || !maps.Equal(got, want) {
				t.Errorf("%s %s: listed %t at %v, its factory declares %v:\n%s", typ.Kind, typ.Type, ok, got, want, out)
			}
		}
		// rust_sample declares no level: the SDK's default; the sample exporter every signal.
		if got := listed["extension"]["rust_sample"]["extension"]; got != "Development" {
			t.Errorf("rust_sample at %q, want Development:\n%s", got, out)
		}
		if got, want := listed["exporter"]["rust_otlphttp"], (map[string]string{"traces": "Development", "metrics": "Development", "logs": "Development"}); !maps.Equal(got, want) {
			t.Errorf("rust_otlphttp at %v, want %v:\n%s", got, want, out)
		}
		// The sample receiver takes every signal, as the Go otlpreceiver does.
		if got, want := listed["receiver"]["rust_otlphttp"], (map[string]string{"traces": "Development", "metrics": "Development", "logs": "Development"}); !maps.Equal(got, want) {
			t.Errorf("the rust_otlphttp receiver at %v, want %v:\n%s", got, want, out)
		}
		// The Go components are still there beside the Rust ones.
		// (otlpexporter's type is otlp_grpc; `otlp` is its deprecated alias.)
		for kind, names := range map[string][]string{"exporter": {"debug", "otlp_grpc"}, "extension": {"zpages"}, "receiver": {"otlp"}} {
			for _, name := range names {
				if _, ok := listed[kind][name]; !ok {
					t.Errorf("the Go %s %s is not listed:\n%s", kind, name, out)
				}
			}
		}
	})

	t.Run("validate rejects a bad Rust config", func(t *testing.T) {
		path := testutil.WriteConfig(t, config("rust_sample", testutil.FreeEndpoint(t), testutil.FreeEndpoint(t), "    timeout_ms: 0\n"))
		out, err := exec.Command(bin, "validate", "--config", path).CombinedOutput()
		if err == nil {
			t.Fatalf("validate accepted timeout_ms: 0\n%s", out)
		}
		for _, want := range []string{"timeout_ms", "must be greater than 0"} {
			if !strings.Contains(string(out), want) {
				t.Fatalf("Rust's message (%q) missing:\n%s", want, out)
			}
		}
	})

	t.Run("validate and print-config judge a Rust receiver's config by Rust", func(t *testing.T) {
		receiverConfig := func(section string) string {
			return testutil.WriteConfig(t, testutil.Config{Pipeline: testutil.Pipeline{
				Sections: "receivers:\n  rust_otlphttp/in:\n" + section + "exporters:\n  debug:\n",
				Receiver: "rust_otlphttp/in",
				Exporter: "debug",
			}}.YAML())
		}
		bad := receiverConfig("    max_concurrent_requests: 0\n    endpoint: nowhere\n")
		for _, command := range []string{"validate", "print-config"} {
			out, err := exec.Command(bin, command, "--config", bad).CombinedOutput()
			if want := "receivers::rust_otlphttp/in: endpoint: \"nowhere\" is not host:port"; err == nil || !strings.Contains(string(out), want) {
				t.Errorf("%s: %v, want %q:\n%s", command, err, want, out)
			}
			if want := "max_concurrent_requests: must be at least 1"; !strings.Contains(string(out), want) {
				t.Errorf("%s does not say %q:\n%s", command, want, out)
			}
		}
		good := receiverConfig("    max_concurrent_requests: 9\n    endpoint: localhost:0\n")
		if out, err := exec.Command(bin, "validate", "--config", good).CombinedOutput(); err != nil {
			t.Fatalf("validate: %v\n%s", err, out)
		}
		out, err := exec.Command(bin, "print-config", "--config", good).CombinedOutput()
		if err != nil {
			t.Fatalf("print-config: %v\n%s", err, out)
		}
		// Rust's keys, the one set and the defaulted ones.
		for _, want := range []string{"max_concurrent_requests: 9", "traces_url_path: /v1/traces", "retry_after: 1s"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("print-config lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("validate accepts the example config", func(t *testing.T) {
		out, err := exec.Command(bin, "validate", "--config", "../../../examples/config.yaml").CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})

	// The example config sends every signal through rust_otlphttp to a second receiver of the
	// same collector: print-config must show the exporter with its Rust keys (merged over the
	// Rust defaults) and the collector's standard exporter keys, and pipelines without a loop.
	t.Run("print-config shows the example's Rust exporter and its loopback pipelines", func(t *testing.T) {
		out, err := exec.Command(bin, "print-config", "--format", "json", "--config", "../../../examples/config.yaml").Output()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var printed struct {
			Exporters map[string]map[string]any `json:"exporters"`
			Service   struct {
				Pipelines map[string]struct {
					Receivers []string `json:"receivers"`
					Exporters []string `json:"exporters"`
				} `json:"pipelines"`
			} `json:"service"`
		}
		decoder := json.NewDecoder(bytes.NewReader(out[bytes.IndexByte(out, '{'):]))
		decoder.UseNumber()
		if err := decoder.Decode(&printed); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		rust := printed.Exporters["rust_otlphttp"]
		// Rust's keys, set and defaulted, and the collector's (JSON shows a duration in ns).
		for key, want := range map[string]any{"endpoint": "http://localhost:4319", "compression": "gzip", "traces_endpoint": "", "timeout": json.Number("5000000000")} {
			if rust[key] != want {
				t.Errorf("rust_otlphttp's %s is %#v, want %#v:\n%s", key, rust[key], want, out)
			}
		}
		for _, key := range []string{"sending_queue", "retry_on_failure", "headers"} {
			if _, ok := rust[key]; !ok {
				t.Errorf("rust_otlphttp lacks %s:\n%s", key, out)
			}
		}
		for _, signal := range []string{"traces", "metrics", "logs"} {
			in, loopback := printed.Service.Pipelines[signal], printed.Service.Pipelines[signal+"/loopback"]
			if !slices.Equal(in.Receivers, []string{"otlp"}) || !slices.Contains(in.Exporters, "rust_otlphttp") ||
				!slices.Equal(loopback.Receivers, []string{"otlp/loopback"}) || slices.Contains(loopback.Exporters, "rust_otlphttp") {
				t.Errorf("%s pipelines: %+v, then %+v", signal, in, loopback)
			}
		}
	})

	t.Run("print-config shows the Rust config merged over its defaults", func(t *testing.T) {
		path := testutil.WriteConfig(t, config("rust_sample", testutil.FreeEndpoint(t), testutil.FreeEndpoint(t), "    timeout_ms: 1234\n"))
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

	// The Rust server must give its port back when its instance shuts down, not when the
	// process exits (the OS frees it then anyway). A reload (SIGHUP) shuts the old instance
	// down and starts the new one inside the same process: the new config names another
	// instance on the same port, which can bind only if the old one released it. Had it kept
	// the port, the new start fails ("cannot listen on") and the collector exits.
	t.Run("a reload hands the Rust port to the new instance; SIGTERM exits cleanly", func(t *testing.T) {
		endpoint, otlpEndpoint := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
		path := testutil.WriteConfig(t, config("rust_sample", endpoint, otlpEndpoint, ""))
		collector := startCollector(t, bin, path)
		collector.waitForLog(t, ready, 1)
		requireServedBy(t, collector, endpoint, "rust_sample")

		if err := os.WriteFile(path, []byte(config("rust_sample/reloaded", endpoint, otlpEndpoint, "")), 0o600); err != nil {
			t.Fatal(err)
		}
		// The collector logs "Everything is ready" before it subscribes to SIGHUP
		// (otelcol v0.164.0 collector.go: setupConfigurationComponents, then signal.Notify),
		// and nothing it does afterwards can be observed from outside: a SIGHUP sent in
		// between kills it (seen once under a loaded CI). A moment's grace covers that gap.
		time.Sleep(250 * time.Millisecond)
		collector.signal(t, syscall.SIGHUP)
		collector.waitForLog(t, ready, 2)
		requireServedBy(t, collector, endpoint, "rust_sample/reloaded")

		collector.signal(t, syscall.SIGTERM)
		select {
		case <-collector.exited:
			if collector.err != nil {
				t.Fatalf("exit after SIGTERM: %v\n%s", collector.err, collector.log)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no exit within 20s of SIGTERM\n%s", collector.log)
		}
		if !strings.Contains(collector.log.String(), "Shutdown complete.") {
			t.Fatalf("no clean shutdown logged\n%s", collector.log)
		}
	})
}

// listedComponents parses `components` output: by kind ("extension", "receiver", "processor",
// "exporter"), each component's stability levels by type, as listed (an extension's under
// "extension", the others' per signal).
func listedComponents(t *testing.T, components []byte) map[string]map[string]map[string]string {
	t.Helper()
	retrieved, err := confmap.NewRetrievedFromYAML(components)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := retrieved.AsConf()
	if err != nil {
		t.Fatalf("%v\n%s", err, components)
	}
	type entry struct {
		Name      string            `mapstructure:"name"`
		Stability map[string]string `mapstructure:"stability"`
	}
	var parsed struct {
		Extensions []entry `mapstructure:"extensions"`
		Receivers  []entry `mapstructure:"receivers"`
		Exporters  []entry `mapstructure:"exporters"`
		Processors []entry `mapstructure:"processors"`
	}
	if err := conf.Unmarshal(&parsed, confmap.WithIgnoreUnused()); err != nil {
		t.Fatalf("%v\n%s", err, components)
	}
	listed := map[string]map[string]map[string]string{}
	for kind, entries := range map[string][]entry{"extension": parsed.Extensions, "receiver": parsed.Receivers, "exporter": parsed.Exporters, "processor": parsed.Processors} {
		listed[kind] = map[string]map[string]string{}
		for _, e := range entries {
			listed[kind][e.Name] = e.Stability
		}
	}
	return listed
}

// requireServedBy fails unless endpoint answers with the status of the rust_sample instance id.
func requireServedBy(t *testing.T, collector *runningCollector, endpoint, id string) {
	t.Helper()
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + endpoint + "/")
	if err != nil {
		t.Fatalf("%s: %v\n%s", endpoint, err, collector.log)
	}
	defer resp.Body.Close()
	var status struct {
		ComponentID string `json:"component_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&status); err != nil {
		t.Fatal(err)
	}
	if status.ComponentID != id {
		t.Fatalf("%s is served by %q, want %q\n%s", endpoint, status.ComponentID, id, collector.log)
	}
}

// runningCollector is the built binary running in the background.
type runningCollector struct {
	cmd    *exec.Cmd
	log    *outputLog
	exited chan struct{} // closed once the process has exited and its output is complete
	err    error         // the process's exit, set before exited is closed
}

func startCollector(t *testing.T, bin, configPath string) *runningCollector {
	t.Helper()
	collector := &runningCollector{
		cmd:    exec.Command(bin, "--config", configPath),
		log:    &outputLog{written: make(chan struct{})},
		exited: make(chan struct{}),
	}
	collector.cmd.Stdout, collector.cmd.Stderr = collector.log, collector.log
	if err := collector.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		collector.err = collector.cmd.Wait()
		close(collector.exited)
	}()
	t.Cleanup(func() {
		_ = collector.cmd.Process.Kill() // a no-op once it has exited
		<-collector.exited
	})
	return collector
}

func (c *runningCollector) signal(t *testing.T, signal os.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(signal); err != nil {
		t.Fatalf("%v: %v\n%s", signal, err, c.log)
	}
}

// waitForLog waits until the output holds want count times, woken by each write.
func (c *runningCollector) waitForLog(t *testing.T, want string, count int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		text, written := c.log.snapshot()
		if strings.Count(text, want) >= count {
			return
		}
		select {
		case <-written:
		case <-c.exited:
			if text, _ := c.log.snapshot(); strings.Count(text, want) < count {
				t.Fatalf("the collector exited (%v) before logging %q %d times:\n%s", c.err, want, count, text)
			}
			return
		case <-timeout:
			t.Fatalf("%q not logged %d times within 30s:\n%s", want, count, c.log)
		}
	}
}

// outputLog collects a process's output and wakes waiters on every write, so a test waits for
// a log line as an event rather than by polling.
type outputLog struct {
	mu      sync.Mutex
	text    strings.Builder
	written chan struct{} // closed, and replaced, by every Write
}

func (l *outputLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text.Write(p)
	close(l.written)
	l.written = make(chan struct{})
	return len(p), nil
}

// snapshot returns the output so far and a channel closed by the next write.
func (l *outputLog) snapshot() (string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.String(), l.written
}

func (l *outputLog) String() string {
	text, _ := l.snapshot()
	return text
}
