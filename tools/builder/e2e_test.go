package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// These tests run the whole builder: cargo, the Go toolchain and ocb. Set CARGO_TARGET_DIR to
// the workspace's target directory (the Makefile does) so cargo reuses the built dependencies.

// Guarantees: the repository's own sample manifest (examples/manifest.yaml, the path users
// take) builds a collector in which the Rust extension and a Go extension are both listed,
// both serve, a bad Rust config is rejected by `validate` naming the component, and SIGTERM
// stops it cleanly. The Rust exporter it lists under exporters: is in the collector as an
// exporter: a trace sent over OTLP/HTTP crosses it (otlp -> rust_otlphttp -> otlp/loopback ->
// debug, in one collector) and arrives intact, and the example config (examples/config.yaml,
// which does that for every signal) passes `validate` and `print-config` shows both the Rust
// exporter's keys and the collector's. The Rust processors it lists under processors: are in
// the collector as processors and, configured as the example config configures them and in
// its order (batch, rust_redaction, rust_filter), do what it says: attributes not allowed
// removed, card numbers masked, health checks dropped, both processors in one crossing per
// batch, each counting its items under its own id. The Rust receiver it lists under receivers:
// (the crate of the Rust exporter, listed under both) is in the collector as a receiver, and
// the example's Rust pipelines (rust_otlphttp receiver -> rust_redaction -> rust_filter ->
// rust_otlphttp exporter) carry a trace in OTLP/HTTP JSON and gzipped log records in protobuf
// from an HTTP client to a Go receiver, redacted and filtered, each answered 200 once the
// pipeline took it, a signal without a pipeline 404 and a body that does not decode 400, with
// the receiver's standard metrics (transport http) and the library's delivery counters.
func TestBuildExampleDistribution(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a collector")
	}
	repo := repoRoot(t)
	output := t.TempDir()
	var progress bytes.Buffer
	binary, err := build(options{Manifest: filepath.Join(repo, "examples", "manifest.yaml"), OutputPath: output}, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(progress.String(), 40))
	}
	// Progress is the step list and the log's name; the tools' output is in the log.
	log := filepath.Join(output, "build.log")
	wantProgress := "builder: [1/8] read the manifest\n" +
		"builder: full output in " + log + "\n" +
		"builder: [2/8] generate the Rust crate\n" +
		"builder: [3/8] resolve the Rust crates (one SDK)\n" +
		"builder: [4/8] build the Rust crate (cargo)\n" +
		"builder: [5/8] list the Rust component types\n" +
		"builder: [6/8] generate the Go factories and ocb's manifest\n" +
		"builder: [7/8] build the collector (ocb)\n" +
		"builder: [8/8] check the binary's components\n"
	if progress.String() != wantProgress {
		t.Errorf("progress\n got:\n%s\nwant:\n%s", progress.String(), wantProgress)
	}
	logged := read(t, log)
	for _, want := range []string{"builder: [4/8] build the Rust crate (cargo)\n", "Finished `release` profile", "builder: [7/8] build the collector (ocb)\n", "Compiled\t{\"binary\": \"" + binary + "\"}"} {
		if !strings.Contains(logged, want) {
			t.Errorf("build.log lacks %q:\n%s", want, tail(logged, 40))
		}
	}

	components := run(t, binary, "components")
	for _, want := range []string{"- name: rust_sample", "- name: zpages", "- name: otlp", "- name: debug", "- name: rust_otlphttp", "- name: batch", "- name: rust_redaction", "- name: rust_filter"} {
		if !strings.Contains(components, want) {
			t.Errorf("components lacks %q:\n%s", want, components)
		}
	}
	var listed struct {
		Receivers []struct{ Name string } `yaml:"receivers"`
		Exporters []struct{ Name string } `yaml:"exporters"`
	}
	isOTLPHTTP := func(c struct{ Name string }) bool { return c.Name == "rust_otlphttp" }
	if yaml.Unmarshal([]byte(components), &listed) != nil || !slices.ContainsFunc(listed.Receivers, isOTLPHTTP) || !slices.ContainsFunc(listed.Exporters, isOTLPHTTP) {
		t.Errorf("components does not list rust_otlphttp as a receiver and an exporter:\n%s", components)
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

	collector, exited, logs := startCollector(t, binary, config)

	var status struct {
		ComponentID string `json:"component_id"`
	}
	if err := json.Unmarshal([]byte(waitForHTTP(t, "http://"+rustEndpoint+"/", exited, logs)), &status); err != nil || status.ComponentID != "rust_sample" {
		t.Errorf("rust_sample answered %+v (%v)", status, err)
	}
	waitForHTTP(t, "http://"+zpagesEndpoint+"/debug/servicez", exited, logs)

	stopCollector(t, collector, exited, logs)
	for _, endpoint := range []string{rustEndpoint, zpagesEndpoint} {
		listener, err := net.Listen("tcp", endpoint)
		if err != nil {
			t.Errorf("%s still in use after shutdown: %v", endpoint, err)
			continue
		}
		listener.Close()
	}

	t.Run("a trace crosses the Rust exporter", func(t *testing.T) { requireTraceCrossesRustExporter(t, binary) })

	t.Run("the example's Rust processors redact and filter in one crossing", func(t *testing.T) {
		requireExampleProcessorsWork(t, binary, filepath.Join(repo, "examples", "config.yaml"))
	})

	t.Run("the example's Rust receiver, processors and exporter carry data end to end", func(t *testing.T) {
		requireExampleRustPipelineWorks(t, binary, filepath.Join(repo, "examples", "config.yaml"))
	})

	t.Run("the example config validates and prints", func(t *testing.T) {
		example := filepath.Join(repo, "examples", "config.yaml")
		if out := run(t, binary, "validate", "--config", example); out != "" {
			t.Logf("validate: %s", out)
		}
		printed := run(t, binary, "print-config", "--config", example)
		var config struct {
			Receivers  map[string]map[string]any `yaml:"receivers"`
			Processors map[string]map[string]any `yaml:"processors"`
			Exporters  map[string]map[string]any `yaml:"exporters"`
			Service    struct {
				Pipelines map[string]struct {
					Receivers  []string `yaml:"receivers"`
					Processors []string `yaml:"processors"`
					Exporters  []string `yaml:"exporters"`
				} `yaml:"pipelines"`
			} `yaml:"service"`
		}
		if err := yaml.Unmarshal([]byte(printed), &config); err != nil {
			t.Fatalf("%v\n%s", err, printed)
		}
		rust := config.Exporters["rust_otlphttp"]
		// Rust's keys (what was set, and its defaults) and the collector's standard ones.
		for key, want := range map[string]any{"endpoint": "http://localhost:4319", "compression": "gzip", "timeout": "5s"} {
			if rust[key] != want {
				t.Errorf("print-config shows rust_otlphttp's %s as %v, want %v:\n%s", key, rust[key], want, printed)
			}
		}
		for _, key := range []string{"sending_queue", "retry_on_failure", "headers", "traces_endpoint"} {
			if _, ok := rust[key]; !ok {
				t.Errorf("print-config lacks rust_otlphttp's %s:\n%s", key, printed)
			}
		}
		// The Rust receiver's keys: what was set, and its defaults.
		receiver := config.Receivers["rust_otlphttp"]
		for key, want := range map[string]any{"endpoint": "localhost:4320", "traces_url_path": "/v1/traces", "max_concurrent_requests": 128} {
			if receiver[key] != want {
				t.Errorf("print-config shows the rust_otlphttp receiver's %s as %v, want %v:\n%s", key, receiver[key], want, printed)
			}
		}
		for _, key := range []string{"metrics_url_path", "logs_url_path", "max_request_body_size", "retry_after"} {
			if _, ok := receiver[key]; !ok {
				t.Errorf("print-config lacks the rust_otlphttp receiver's %s:\n%s", key, printed)
			}
		}
		// The Rust processors' keys: what was set, and their defaults.
		redaction, filter := config.Processors["rust_redaction"], config.Processors["rust_filter"]
		if redaction["summary"] != "debug" || redaction["allow_all_keys"] != false || redaction["hash_function"] != "" || filter["traces"] == nil || filter["logs"] == nil {
			t.Errorf("print-config shows rust_redaction %v and rust_filter %v:\n%s", redaction, filter, printed)
		}
		// Every signal goes through the Go batch processor, then the two Rust ones, and crosses
		// rust_otlphttp into otlp/loopback, whose pipelines end at debug.
		for _, signal := range []string{"traces", "metrics", "logs"} {
			in, loopback := config.Service.Pipelines[signal], config.Service.Pipelines[signal+"/loopback"]
			if !slices.Equal(in.Processors, []string{"batch", "rust_redaction", "rust_filter"}) || !slices.Contains(in.Exporters, "rust_otlphttp") ||
				!slices.Equal(loopback.Receivers, []string{"otlp/loopback"}) || !slices.Equal(loopback.Exporters, []string{"debug"}) {
				t.Errorf("%s pipelines: %+v then %+v", signal, in, loopback)
			}
			// And Rust from end to end: the Rust receiver, the Rust processors, the Rust exporter.
			if rust := config.Service.Pipelines[signal+"/rust"]; !slices.Equal(rust.Receivers, []string{"rust_otlphttp"}) ||
				!slices.Equal(rust.Processors, []string{"rust_redaction", "rust_filter"}) || !slices.Equal(rust.Exporters, []string{"rust_otlphttp"}) {
				t.Errorf("%s/rust pipeline: %+v", signal, rust)
			}
		}
	})
}

// requireTraceCrossesRustExporter runs binary with otlp -> rust_otlphttp -> otlp/loopback ->
// debug (detailed), all in one collector, sends one trace to the first receiver with net/http
// and waits for the debug exporter, which only the loopback pipeline reaches, to print it with
// its attribute; then SIGTERM must stop the collector cleanly.
func requireTraceCrossesRustExporter(t *testing.T, binary string) {
	otlpEndpoint, loopbackEndpoint := freeEndpoint(t), freeEndpoint(t)
	config := writeFile(t, "crossing.yaml", fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
  otlp/loopback:
    protocols:
      http:
        endpoint: %s
exporters:
  rust_otlphttp:
    endpoint: http://%s
  debug:
    verbosity: detailed
service:
  telemetry:
    metrics:
      level: none
    logs:
      sampling:
        enabled: false
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [rust_otlphttp]
    traces/loopback:
      receivers: [otlp/loopback]
      exporters: [debug]
`, otlpEndpoint, loopbackEndpoint, loopbackEndpoint))
	collector, exited, logs := startCollector(t, binary, config)
	waitForLog(t, logs, "Everything is ready.", exited)

	// One span in OTLP/HTTP JSON, which the otlp receiver takes as well as protobuf; its name and
	// attribute are what the debug exporter must print after the crossing.
	const span = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"builder-e2e"}}]},` +
		`"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",` +
		`"name":"crossed-the-rust-exporter","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000",` +
		`"attributes":[{"key":"e2e.check","value":{"intValue":"42"}}]}]}]}]}`
	resp, err := http.Post("http://"+otlpEndpoint+"/v1/traces", "application/json", strings.NewReader(span))
	if err != nil {
		t.Fatalf("sending the trace: %v\n%s", err, tail(logs.String(), 20))
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the otlp receiver answered %s: %s", resp.Status, body)
	}
	for _, want := range []string{"Name           : crossed-the-rust-exporter", "-> e2e.check: Int(42)", "-> service.name: Str(builder-e2e)", "Trace ID       : 5b8efff798038103d269b633813fc60c"} {
		waitForLog(t, logs, want, exited)
	}
	stopCollector(t, collector, exited, logs)
}

// requireExampleProcessorsWork runs binary with the processors of the example config (their
// settings and the traces and logs pipelines' processor lists, as written there), between an
// OTLP/HTTP receiver and a detailed debug exporter, and sends one trace and one log batch,
// each with an item the example's rust_filter drops and one carrying a card number and
// attributes rust_redaction's allow list does not have. debug must print exactly what the
// example's comments promise; the collector's metrics must show each batch crossing into Rust
// once for both processors (two stages a crossing) and each processor's items under its id.
func requireExampleProcessorsWork(t *testing.T, binary, exampleConfig string) {
	var example struct {
		Processors map[string]any `yaml:"processors"`
		Service    struct {
			Pipelines map[string]struct {
				Processors []string `yaml:"processors"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	if err := yaml.Unmarshal([]byte(read(t, exampleConfig)), &example); err != nil {
		t.Fatal(err)
	}
	chain := []string{"batch", "rust_redaction", "rust_filter"}
	for _, signal := range []string{"traces", "logs"} {
		if got := example.Service.Pipelines[signal].Processors; !slices.Equal(got, chain) {
			t.Fatalf("the example's %s pipeline has processors %v; this test checks %v", signal, got, chain)
		}
	}
	otlpEndpoint, metricsEndpoint := freeEndpoint(t), freeEndpoint(t)
	metricsHost, port, err := net.SplitHostPort(metricsEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	metricsPort, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	pipeline := map[string]any{"receivers": []string{"otlp"}, "processors": chain, "exporters": []string{"debug"}}
	config, err := yaml.Marshal(map[string]any{
		"receivers":  map[string]any{"otlp": map[string]any{"protocols": map[string]any{"http": map[string]any{"endpoint": otlpEndpoint}}}},
		"processors": example.Processors,
		"exporters":  map[string]any{"debug": map[string]any{"verbosity": "detailed"}},
		"service": map[string]any{
			"telemetry": map[string]any{
				"logs": map[string]any{"sampling": map[string]any{"enabled": false}},
				"metrics": map[string]any{"readers": []any{map[string]any{"pull": map[string]any{"exporter": map[string]any{
					"prometheus": map[string]any{"host": metricsHost, "port": metricsPort},
				}}}}},
			},
			"pipelines": map[string]any{"traces": pipeline, "logs": pipeline},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	collector, exited, logs := startCollector(t, binary, writeFile(t, "processors.yaml", string(config)))
	waitForLog(t, logs, "Everything is ready.", exited)

	// A checkout span with a Visa number and a password, and a health check; a log record with
	// a MasterCard number, and a health check. service.name is on the allow list, host.arch not.
	const resource = `"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}},{"key":"host.arch","value":{"stringValue":"amd64"}}]}`
	const traces = `{"resourceSpans":[{` + resource + `,"scopeSpans":[{"spans":[` +
		`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"POST /checkout","startTimeUnixNano":"1","endTimeUnixNano":"2",` +
		`"attributes":[{"key":"payment.card","value":{"stringValue":"4111111111111111"}},{"key":"http.route","value":{"stringValue":"/checkout"}},{"key":"user.password","value":{"stringValue":"hunter2"}}]},` +
		`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"GET /health","startTimeUnixNano":"3","endTimeUnixNano":"4"}]}]}]}`
	const logRecords = `{"resourceLogs":[{` + resource + `,"scopeLogs":[{"logRecords":[` +
		`{"body":{"stringValue":"order 42 placed"},"attributes":[{"key":"payment.card","value":{"stringValue":"5555555555554444"}}]},` +
		`{"body":{"stringValue":"health check ok"}}]}]}]}`
	for path, body := range map[string]string{"/v1/traces": traces, "/v1/logs": logRecords} {
		resp, err := http.Post("http://"+otlpEndpoint+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the otlp receiver answered %s to %s: %s", resp.Status, path, answer)
		}
	}
	for _, want := range []string{
		"Name           : POST /checkout",
		"-> payment.card: Str(****)",
		"-> http.route: Str(/checkout)",
		"-> redaction.masked.keys: Str(payment.card)",
		"-> redaction.redacted.keys: Str(user.password)",
		"-> service.name: Str(shop)",
		"-> redaction.redacted.keys: Str(host.arch)",
		"Body: Str(order 42 placed)",
	} {
		waitForLog(t, logs, want, exited)
	}
	// debug prints a batch in one log entry: both batches are printed whole by now.
	for _, unwanted := range []string{"4111111111111111", "5555555555554444", "hunter2", "-> host.arch:", "GET /health", "health check ok"} {
		if strings.Contains(logs.String(), unwanted) {
			t.Errorf("debug printed %q:\n%s", unwanted, tail(logs.String(), 80))
		}
	}

	// One crossing per batch (traces, logs) ran both processors; each counted its own items.
	want := map[string]float64{
		"otelcol_rust_process_crossings":                              2,
		"otelcol_rust_process_stages":                                 4,
		`otelcol_processor_incoming_items{processor="rust_redaction"`: 4,
		`otelcol_processor_outgoing_items{processor="rust_redaction"`: 4,
		`otelcol_processor_incoming_items{processor="rust_filter"`:    4,
		`otelcol_processor_outgoing_items{processor="rust_filter"`:    2,
	}
	var got map[string]float64
	deadline := time.Now().Add(30 * time.Second)
	for got = scrapeSums("http://"+metricsEndpoint+"/metrics", want); !maps.Equal(got, want); got = scrapeSums("http://"+metricsEndpoint+"/metrics", want) {
		if time.Now().After(deadline) {
			t.Fatalf("the collector's metrics show %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopCollector(t, collector, exited, logs)
}

// requireExampleRustPipelineWorks runs binary with the example config's Rust pipelines (their
// receiver, processors and exporter as written there, the processors' settings too) for traces
// and logs, the rust_otlphttp receiver and the loopback receiver on free ports, and the
// loopback pipelines printing to a detailed debug. An HTTP client sends a trace in OTLP/JSON
// and log records in gzipped OTLP protobuf, each with an item rust_filter drops and one
// carrying a card number and attributes rust_redaction's allow list lacks: each is answered
// 200 with Go's otlpreceiver's response in its encoding once the pipeline took it, and debug prints what
// the example promises after the crossing back into Go. A signal without a pipeline is 404, a
// body that does not decode 400. The collector's metrics show the receiver's standard counts
// (transport http), both processors fused, the exporter's sends and the library's deliveries;
// SIGTERM stops it and frees the receiver's port.
func requireExampleRustPipelineWorks(t *testing.T, binary, exampleConfig string) {
	var example struct {
		Processors map[string]any `yaml:"processors"`
		Service    struct {
			Pipelines map[string]struct {
				Receivers  []string `yaml:"receivers"`
				Processors []string `yaml:"processors"`
				Exporters  []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	if err := yaml.Unmarshal([]byte(read(t, exampleConfig)), &example); err != nil {
		t.Fatal(err)
	}
	pipelines := map[string]any{}
	for _, signal := range []string{"traces", "logs"} {
		rust := example.Service.Pipelines[signal+"/rust"]
		if !slices.Equal(rust.Receivers, []string{"rust_otlphttp"}) || !slices.Equal(rust.Processors, []string{"rust_redaction", "rust_filter"}) || !slices.Equal(rust.Exporters, []string{"rust_otlphttp"}) {
			t.Fatalf("the example's %s/rust pipeline is %+v; this test checks rust_otlphttp -> rust_redaction, rust_filter -> rust_otlphttp", signal, rust)
		}
		pipelines[signal+"/rust"] = map[string]any{"receivers": rust.Receivers, "processors": rust.Processors, "exporters": rust.Exporters}
		pipelines[signal+"/loopback"] = map[string]any{"receivers": []string{"otlp/loopback"}, "exporters": []string{"debug"}}
	}
	rustEndpoint, loopbackEndpoint, metricsEndpoint := freeEndpoint(t), freeEndpoint(t), freeEndpoint(t)
	metricsHost, port, err := net.SplitHostPort(metricsEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	metricsPort, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	config, err := yaml.Marshal(map[string]any{
		"receivers": map[string]any{
			"rust_otlphttp": map[string]any{"endpoint": rustEndpoint},
			"otlp/loopback": map[string]any{"protocols": map[string]any{"http": map[string]any{"endpoint": loopbackEndpoint}}},
		},
		"processors": example.Processors,
		"exporters": map[string]any{
			"rust_otlphttp": map[string]any{"endpoint": "http://" + loopbackEndpoint},
			"debug":         map[string]any{"verbosity": "detailed"},
		},
		"service": map[string]any{
			"telemetry": map[string]any{
				"logs": map[string]any{"sampling": map[string]any{"enabled": false}},
				"metrics": map[string]any{"readers": []any{map[string]any{"pull": map[string]any{"exporter": map[string]any{
					"prometheus": map[string]any{"host": metricsHost, "port": metricsPort},
				}}}}},
			},
			"pipelines": pipelines,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	collector, exited, logs := startCollector(t, binary, writeFile(t, "rust-pipeline.yaml", string(config)))
	waitForLog(t, logs, "Everything is ready.", exited)

	// The trace of requireExampleProcessorsWork: a checkout span with a Visa number and a
	// password, and a health check, in OTLP/JSON.
	const traces = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"shop"}},{"key":"host.arch","value":{"stringValue":"amd64"}}]},` +
		`"scopeSpans":[{"spans":[` +
		`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"POST /checkout","startTimeUnixNano":"1","endTimeUnixNano":"2",` +
		`"attributes":[{"key":"payment.card","value":{"stringValue":"4111111111111111"}},{"key":"user.password","value":{"stringValue":"hunter2"}}]},` +
		`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","name":"GET /health","startTimeUnixNano":"3","endTimeUnixNano":"4"}]}]}]}`
	status, header, body := post(t, "http://"+rustEndpoint+"/v1/traces", "application/json", "", []byte(traces))
	// The answers are Go's otlpreceiver's, byte for byte: an ExportTraceServiceResponse with an
	// empty partial_success.
	if status != http.StatusOK || header.Get("Content-Type") != "application/json" || body != `{"partialSuccess":{}}` {
		t.Fatalf("the Rust receiver answered the JSON trace %d (%s) %q", status, header.Get("Content-Type"), body)
	}
	// Log records in OTLP protobuf (encoded by hand: this module has no pdata), gzipped: one
	// with a MasterCard number, one health check.
	// An AnyValue holding a string, and a KeyValue.
	str := func(s string) []byte { return protoField(1, []byte(s)) }
	attribute := func(key, value string) []byte {
		return slices.Concat(protoField(1, []byte(key)), protoField(2, str(value)))
	}
	resource := protoField(1, slices.Concat(protoField(1, attribute("service.name", "shop")), protoField(1, attribute("host.arch", "amd64"))))
	records := slices.Concat(
		protoField(2, slices.Concat(protoField(5, str("order 42 placed")), protoField(6, attribute("payment.card", "5555555555554444")))),
		protoField(2, protoField(5, str("health check ok"))),
	)
	request := protoField(1, slices.Concat(resource, protoField(2, records))) // ExportLogsServiceRequest
	var gzipped bytes.Buffer
	zw := gzip.NewWriter(&gzipped)
	if _, err := zw.Write(request); err != nil || zw.Close() != nil {
		t.Fatal(err)
	}
	status, header, body = post(t, "http://"+rustEndpoint+"/v1/logs", "application/x-protobuf", "gzip", gzipped.Bytes())
	if status != http.StatusOK || header.Get("Content-Type") != "application/x-protobuf" || body != "\x0a\x00" {
		t.Fatalf("the Rust receiver answered the gzipped protobuf logs %d (%s) %q", status, header.Get("Content-Type"), body)
	}
	// No metrics pipeline: the path is not served. A trace that is not JSON: the client's fault.
	if status, _, body := post(t, "http://"+rustEndpoint+"/v1/metrics", "application/json", "", []byte(`{}`)); status != http.StatusNotFound {
		t.Errorf("metrics without a pipeline: %d %q, want 404", status, body)
	}
	if status, _, body := post(t, "http://"+rustEndpoint+"/v1/traces", "application/json", "", []byte(`{"resourceSpans":[`)); status != http.StatusBadRequest {
		t.Errorf("a trace that does not decode: %d %q, want 400", status, body)
	}

	for _, want := range []string{
		"Name           : POST /checkout",
		"-> payment.card: Str(****)",
		"-> redaction.masked.keys: Str(payment.card)",
		"-> redaction.redacted.keys: Str(user.password)",
		"-> service.name: Str(shop)",
		"-> redaction.redacted.keys: Str(host.arch)",
		"Body: Str(order 42 placed)",
	} {
		waitForLog(t, logs, want, exited)
	}
	for _, unwanted := range []string{"4111111111111111", "5555555555554444", "hunter2", "-> host.arch:", "GET /health", "health check ok"} {
		if strings.Contains(logs.String(), unwanted) {
			t.Errorf("debug printed %q:\n%s", unwanted, tail(logs.String(), 80))
		}
	}

	// Two items each taken by the receiver (over HTTP), both processors in one crossing per
	// batch, one item each sent on by the exporter; three batches delivered into Go (the one
	// that did not decode refused there).
	want := map[string]float64{
		`otelcol_receiver_accepted_spans{receiver="rust_otlphttp",transport="http"`:       2,
		`otelcol_receiver_accepted_log_records{receiver="rust_otlphttp",transport="http"`: 2,
		"otelcol_rust_process_crossings":                                                  2,
		"otelcol_rust_process_stages":                                                     4,
		`otelcol_processor_outgoing_items{processor="rust_filter"`:                        2,
		`otelcol_exporter_sent_spans{exporter="rust_otlphttp"`:                            1,
		`otelcol_exporter_sent_log_records{exporter="rust_otlphttp"`:                      1,
		"otelcol_rust_receive_deliveries":                                                 3,
		"otelcol_rust_receive_accepted":                                                   2,
		"otelcol_rust_receive_refused":                                                    1,
	}
	var got map[string]float64
	deadline := time.Now().Add(30 * time.Second)
	for got = scrapeSums("http://"+metricsEndpoint+"/metrics", want); !maps.Equal(got, want); got = scrapeSums("http://"+metricsEndpoint+"/metrics", want) {
		if time.Now().After(deadline) {
			t.Fatalf("the collector's metrics show %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	stopCollector(t, collector, exited, logs)
	listener, err := net.Listen("tcp", rustEndpoint)
	if err != nil {
		t.Fatalf("the Rust receiver's %s is still in use after shutdown: %v", rustEndpoint, err)
	}
	listener.Close()
}

// post sends body with the content type (and encoding, if any) and returns the answer.
func post(t *testing.T, url, contentType, encoding string, body []byte) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("POST %s: reading the answer: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(answer)
}

// protoField is a length-delimited protobuf field: its tag (wire type 2), length and payload.
func protoField(number int, payload []byte) []byte {
	field := binary.AppendUvarint(nil, uint64(number)<<3|2)
	field = binary.AppendUvarint(field, uint64(len(payload)))
	return append(field, payload...)
}

// scrapeSums reads a Prometheus text page and sums, for each key of series, the samples of the
// metrics whose name starts with the key's name (the exporter's _total and unit suffixes do not
// matter) and whose labels contain each of the comma-separated labels the key has after "{",
// if any: `otelcol_processor_incoming_items{processor="x"` sums every series of that
// processor's counter, `otelcol_receiver_accepted_spans{receiver="x",transport="http"` the
// receiver's with that transport, wherever the labels are in the series'. A page that does
// not answer sums to nothing.
func scrapeSums(url string, series map[string]float64) map[string]float64 {
	sums := map[string]float64{}
	resp, err := http.Get(url)
	if err != nil {
		return sums
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(resp.Body)
	if err != nil {
		return sums
	}
	for _, line := range strings.Split(string(page), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		name, labels, _ := strings.Cut(line, "{")
		valueAt := strings.LastIndexByte(line, ' ')
		if valueAt < 0 {
			continue
		}
		value, err := strconv.ParseFloat(line[valueAt+1:], 64)
		if err != nil {
			continue
		}
		for key := range series {
			keyName, keyLabels, _ := strings.Cut(key, "{")
			if !strings.HasPrefix(name, keyName) || !hasLabels(labels, keyLabels) {
				continue
			}
			sums[key] += value
		}
	}
	return sums
}

// hasLabels reports whether a series' labels contain every comma-separated label of want.
func hasLabels(labels, want string) bool {
	for _, label := range strings.Split(want, ",") {
		if !strings.Contains(labels, label) {
			return false
		}
	}
	return true
}

// Guarantees: a crate that registers an extension, a processor and an exporter of one type
// (the test-only rust_chaos), listed under extensions:, processors: and exporters:, builds
// into a collector that has all three, and all three run: the extension starts, and a batch
// sent through an OTLP pipeline is changed by the processor (its append_path mark, printed by
// debug) and answered by the exporter.
func TestBuildCrateOfThreeKinds(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a collector")
	}
	repo := repoRoot(t)
	chaos := "  - cargo: 'rust-chaos = { path = \"" + filepath.Join(repo, "rust", "testing", "chaos") + "\" }'\n"
	manifest := writeManifest(t, distHeader+"extensions:\n"+chaos+
		"receivers:\n  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0\n"+
		"processors:\n"+chaos+
		"exporters:\n  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.164.0\n"+chaos+
		"providers:\n  - gomod: go.opentelemetry.io/collector/confmap/provider/envprovider v1.70.0\n"+
		"  - gomod: go.opentelemetry.io/collector/confmap/provider/fileprovider v1.70.0\n")
	var progress bytes.Buffer
	binary, err := build(options{Manifest: manifest, Repo: repo}, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(progress.String(), 40))
	}
	if strings.Contains(progress.String(), "note:") {
		t.Errorf("a type was left out:\n%s", progress.String())
	}
	var components struct {
		Extensions []struct{ Name string } `yaml:"extensions"`
		Processors []struct{ Name string } `yaml:"processors"`
		Exporters  []struct{ Name string } `yaml:"exporters"`
	}
	isChaos := func(c struct{ Name string }) bool { return c.Name == "rust_chaos" }
	if out := run(t, binary, "components"); yaml.Unmarshal([]byte(out), &components) != nil ||
		!slices.ContainsFunc(components.Extensions, isChaos) || !slices.ContainsFunc(components.Processors, isChaos) ||
		!slices.ContainsFunc(components.Exporters, isChaos) {
		t.Fatalf("components does not list rust_chaos as an extension, a processor and an exporter:\n%s", out)
	}

	otlpEndpoint := freeEndpoint(t)
	config := writeFile(t, "config.yaml", fmt.Sprintf(`extensions:
  rust_chaos:
    log_at_start: true
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
processors:
  rust_chaos:
    mode: append_path
exporters:
  rust_chaos:
    outcomes: [permanent]
    reason: the chaos exporter got the batch
  debug:
    verbosity: detailed
service:
  extensions: [rust_chaos]
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [rust_chaos]
      exporters: [rust_chaos, debug]
`, otlpEndpoint))
	collector, exited, logs := startCollector(t, binary, config)
	waitForLog(t, logs, "Everything is ready.", exited)
	waitForLog(t, logs, "rust_chaos info record", exited) // the extension started
	const record = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hello"}}]}]}]}`
	resp, err := http.Post("http://"+otlpEndpoint+"/v1/logs", "application/json", strings.NewReader(record))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The processor marked the record with its id; the exporter answered the batch: its
	// permanent error, with its reason, is logged.
	waitForLog(t, logs, "-> chaos.path: Str(rust_chaos)", exited)
	waitForLog(t, logs, `rust exporter \"rust_chaos\": the chaos exporter got the batch`, exited)
	stopCollector(t, collector, exited, logs)
}

// Guarantees: when cargo fails, the error names the step and the module whose crate failed,
// and progress shows cargo's output only then (at once with -v).
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
	want := "step 4/8 (build the Rust crate (cargo)) failed: cargo build failed in extensions[1] (" + manifest + ":6:5, crate broken-component): exit status 101"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s\noutput:\n%s", err, want, tail(progress.String(), 30))
	}
	// Cargo's output is not in progress until the step fails; then its end is shown.
	log := filepath.Join(filepath.Dir(manifest), "out", "build.log")
	before, failure, found := strings.Cut(progress.String(), "builder: [4/8] build the Rust crate (cargo)\n")
	if !found || strings.Contains(before, "Compiling") || !strings.HasPrefix(failure, "builder: the step's output (also in "+log+"):\n") ||
		!strings.Contains(failure, "error[E0308]: mismatched types") || !strings.Contains(failure, "error: could not compile `broken-component`") {
		t.Errorf("progress does not end with the failed step's output:\n%s", progress.String())
	}

	// -v: cargo's output as it comes, not repeated after the failure.
	progress.Reset()
	if _, err = build(options{Manifest: manifest, Repo: repoRoot(t), Verbose: true}, &progress); err == nil || err.Error() != want {
		t.Fatalf("error with -v\n got: %v\nwant: %s", err, want)
	}
	_, streamed, _ := strings.Cut(progress.String(), "builder: [4/8] build the Rust crate (cargo)\n")
	if !strings.Contains(streamed, "error[E0308]: mismatched types") || strings.Contains(streamed, "builder: the step's output") {
		t.Errorf("-v does not stream cargo's output:\n%s", progress.String())
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
		"step 5/8 (list the Rust component types) failed:",
		`extension type "rust_sample" is registered more than once: by `,
		"rust_sample::",
		"duplicate_sample::ImpostorFactory",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %v lacks %q\noutput:\n%s", err, want, tail(progress.String(), 30))
		}
	}
	// -v: the registry's refusal is streamed once, not repeated in the error.
	progress.Reset()
	_, err = build(options{Manifest: manifest, Repo: repo, Verbose: true}, &progress)
	const refusal = `extension type "rust_sample" is registered more than once`
	if err == nil || !strings.HasPrefix(err.Error(), "step 5/8 (list the Rust component types) failed:") || strings.Contains(err.Error(), refusal) || strings.Count(progress.String(), refusal) != 1 {
		t.Errorf("with -v the refusal is not shown once:\nerror: %v\nprogress:\n%s", err, tail(progress.String(), 30))
	}
}

// Guarantees: a module listed under a section whose kind its crate does not register stops
// the build at the step that lists the types, before ocb runs, each such module named with
// its place in the manifest and what its crate registers instead: here a crate of an exporter
// and a receiver under extensions:, a processor under receivers:, an extension under
// processors: and a processor under exporters:.
func TestBuildRefusesModulesOfTheWrongKind(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo")
	}
	repo := repoRoot(t)
	components := filepath.Join(repo, "rust", "components")
	manifest := writeManifest(t, distHeader+"extensions:\n"+
		"  - cargo: 'rust-otlphttp = { path = \""+filepath.Join(components, "rust_otlphttp")+"\" }'\n"+
		"processors:\n"+
		"  - cargo: 'rust-sample = { path = \""+filepath.Join(components, "rust_sample")+"\" }'\n"+
		"receivers:\n"+
		"  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0\n"+
		"  - cargo: 'rust-redaction = { path = \""+filepath.Join(components, "rust_redaction")+"\" }'\n"+
		"exporters:\n"+
		"  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.164.0\n"+
		"  - cargo: 'rust-filter = { path = \""+filepath.Join(components, "rust_filter")+"\" }'\n")
	var progress bytes.Buffer
	_, err := build(options{Manifest: manifest, Repo: repo}, &progress)
	want := "step 5/8 (list the Rust component types) failed: " +
		"extensions[0] (" + manifest + ":5:5, crate rust-otlphttp) registers no extension: its crate registers only the exporter rust_otlphttp, the receiver rust_otlphttp; list it under exporters: or receivers:\n" +
		"receivers[1] (" + manifest + ":10:5, crate rust-redaction) registers no receiver: its crate registers only the processor rust_redaction; list it under processors:\n" +
		"processors[0] (" + manifest + ":7:5, crate rust-sample) registers no processor: its crate registers only the extension rust_sample; list it under extensions:\n" +
		"exporters[1] (" + manifest + ":13:5, crate rust-filter) registers no exporter: its crate registers only the processor rust_filter; list it under processors:"
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s\noutput:\n%s", err, want, tail(progress.String(), 30))
	}
	if strings.Contains(progress.String(), "[6/8]") {
		t.Errorf("the build went on after the list step:\n%s", progress.String())
	}
}

// Guarantees: a component crate in a git repository of its own that depends on otelcol-rust-sdk
// by git (as tools/new-component --out writes it), listed beside one that uses this checkout's
// SDK by path, builds into a collector with one SDK (two would be two factory registries,
// which linkme refuses at start): both types are listed and both run. The standalone crate's
// own manifest is the one built, with its crate taken from its git repository. A processor
// written by tools/new-component --kind processor --out, from a git repository of its own too,
// is listed under processors: of the same build and does in a pipeline what its template says
// (its attribute on every span, printed by debug); so does a receiver written by
// tools/new-component --kind receiver --out, listed under receivers: (its log records, through
// that processor, printed by debug).
func TestBuildGitComponentWithGitSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a collector")
	}
	repo := repoRoot(t)
	// The SDK's git repository: a clone of this checkout, reached like a remote one.
	sdkGit := "file://" + gitClone(t, repo)
	component := filepath.Join(t.TempDir(), "git-beat")
	newComponent := exec.Command(filepath.Join(repo, "tools", "new-component"), "--out", component, "--sdk-git", sdkGit, "git_beat")
	if out, err := newComponent.CombinedOutput(); err != nil {
		t.Fatalf("tools/new-component: %v\n%s", err, out)
	}
	if cargoToml := read(t, filepath.Join(component, "Cargo.toml")); !strings.Contains(cargoToml, `otelcol-rust-sdk = { git = "`+sdkGit+`", version = "`) {
		t.Fatalf("the component does not depend on the SDK by git:\n%s", cargoToml)
	}
	gitCommit(t, component)
	// A processor written the same way, in a repository of its own too.
	processor := filepath.Join(t.TempDir(), "git-tag")
	newProcessor := exec.Command(filepath.Join(repo, "tools", "new-component"), "--kind", "processor", "--out", processor, "--sdk-git", sdkGit, "git_tag")
	if out, err := newProcessor.CombinedOutput(); err != nil {
		t.Fatalf("tools/new-component --kind processor: %v\n%s", err, out)
	}
	gitCommit(t, processor)
	// And a receiver.
	receiver := filepath.Join(t.TempDir(), "git-gen")
	newReceiver := exec.Command(filepath.Join(repo, "tools", "new-component"), "--kind", "receiver", "--out", receiver, "--sdk-git", sdkGit, "git_gen")
	if out, err := newReceiver.CombinedOutput(); err != nil {
		t.Fatalf("tools/new-component --kind receiver: %v\n%s", err, out)
	}
	gitCommit(t, receiver)
	manifest := filepath.Join(component, "manifest.yaml")
	standalone := read(t, manifest)
	pathLine := `  - cargo: 'git-beat = { path = "." }'` + "\n"
	if !strings.Contains(standalone, pathLine) {
		t.Fatalf("manifest.yaml does not list the crate as %q:\n%s", pathLine, standalone)
	}
	// The manifest as written (the crate by path = ".") is never built here: the crate is taken
	// by git instead, beside rust-sample, and building it as written as well would cost another
	// distribution build (1-2 min). Only its other lines (dist, Go modules, providers) are
	// built as written.
	withReceiver := strings.Replace(standalone, "\nreceivers:\n", "\nreceivers:\n  - cargo: 'git-gen = { git = \"file://"+receiver+"\" }'\n", 1)
	if withReceiver == standalone {
		t.Fatalf("manifest.yaml has no receivers: section:\n%s", standalone)
	}
	writeTo(t, manifest, strings.Replace(withReceiver, pathLine,
		"  - cargo: 'git-beat = { git = \"file://"+component+"\" }'\n"+
			"  - cargo: 'rust-sample = { path = \""+filepath.Join(repo, "rust", "components", "rust_sample")+"\" }'\n", 1)+
		"processors:\n  - cargo: 'git-tag = { git = \"file://"+processor+"\" }'\n")
	var progress bytes.Buffer
	binary, err := build(options{Manifest: manifest, Repo: repo}, &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, tail(progress.String(), 40))
	}
	components := run(t, binary, "components")
	for _, want := range []string{"- name: rust_sample", "- name: git_beat", "- name: git_tag", "- name: git_gen"} {
		if !strings.Contains(components, want) {
			t.Errorf("components lacks %q:\n%s", want, components)
		}
	}

	rustEndpoint, otlpEndpoint := freeEndpoint(t), freeEndpoint(t)
	config := writeFile(t, "config.yaml", fmt.Sprintf(`extensions:
  rust_sample:
    endpoint: %s
  git_beat:
    interval: 100ms
    message: beat from git
receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
  git_gen:
    interval: 100ms
    body: generated in git
processors:
  git_tag:
exporters:
  debug:
    verbosity: detailed
service:
  extensions: [rust_sample, git_beat]
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      processors: [git_tag]
      exporters: [debug]
    logs:
      receivers: [git_gen]
      processors: [git_tag]
      exporters: [debug]
`, rustEndpoint, otlpEndpoint))
	collector, exited, logs := startCollector(t, binary, config)

	waitForLog(t, logs, "beat from git", exited)
	const span = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"tagged","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`
	resp, err := http.Post("http://"+otlpEndpoint+"/v1/traces", "application/json", strings.NewReader(span))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	waitForLog(t, logs, "-> processed.by: Str(git_tag)", exited)
	// The receiver's first batches, through the processor.
	for _, want := range []string{"Body: Str(generated in git)", "-> git_gen.sequence: Int(1)", "-> git_gen.sequence: Int(2)"} {
		waitForLog(t, logs, want, exited)
	}
	var status struct {
		ComponentID string `json:"component_id"`
	}
	if err := json.Unmarshal([]byte(waitForHTTP(t, "http://"+rustEndpoint+"/", exited, logs)), &status); err != nil || status.ComponentID != "rust_sample" {
		t.Errorf("rust_sample answered %+v (%v)", status, err)
	}
	stopCollector(t, collector, exited, logs)
}

// gitClone clones the repository's committed state (HEAD) into a temporary directory.
func gitClone(t *testing.T, repo string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "otelcol-rust")
	git(t, "", "clone", "--quiet", repo, dir)
	return dir
}

// gitCommit makes dir a git repository holding its files in one commit.
func gitCommit(t *testing.T, dir string) {
	t.Helper()
	git(t, dir, "init", "--quiet")
	git(t, dir, "add", ".")
	git(t, dir, "-c", "user.name=builder test", "-c", "user.email=builder@test.invalid", "commit", "--quiet", "-m", "component")
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// writeTo writes a file, creating its directory.
func writeTo(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startCollector runs binary with config; exited receives its exit, logs collects its output.
// The process is killed when the test ends, whatever happened.
func startCollector(t *testing.T, binary, config string) (*exec.Cmd, <-chan error, *syncBuffer) {
	t.Helper()
	collector := exec.Command(binary, "--config", config)
	logs := &syncBuffer{}
	collector.Stdout, collector.Stderr = logs, logs
	if err := collector.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- collector.Wait() }()
	t.Cleanup(func() { _ = collector.Process.Kill() })
	return collector, exited, logs
}

// stopCollector sends SIGTERM and expects a clean exit within 20 s.
func stopCollector(t *testing.T, collector *exec.Cmd, exited <-chan error, logs *syncBuffer) {
	t.Helper()
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
}

// syncBuffer is a bytes.Buffer a collector writes its logs to while the test reads them.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitForLog polls the collector's logs until they contain text; it fails if the collector
// exits first or 30 s pass.
func waitForLog(t *testing.T, logs *syncBuffer, text string, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), text) {
		select {
		case err := <-exited:
			t.Fatalf("collector exited (%v) before logging %q:\n%s", err, text, tail(logs.String(), 20))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q logged within 30 s:\n%s", text, tail(logs.String(), 20))
		}
	}
}

// Guarantees: a module whose SDK requirement does not accept the checkout's SDK (here a git
// SDK of the next series, 0.2.0) stops the build in the resolve step, before anything is
// compiled, with every module's requirement listed and the incompatible one marked.
func TestBuildRefusesIncompatibleSDKs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo")
	}
	repo := repoRoot(t)
	var workspace struct {
		Workspace struct {
			Package struct{ Version string } `toml:"package"`
		} `toml:"workspace"`
	}
	if _, err := toml.DecodeFile(filepath.Join(repo, "rust", "Cargo.toml"), &workspace); err != nil {
		t.Fatal(err)
	}
	inUse := workspace.Workspace.Package.Version
	next, err := parseSemver(inUse)
	if err != nil {
		t.Fatal(err)
	}
	next = semver{next.major, next.minor + 1, 0, ""} // the next 0.x series: incompatible
	if next.major > 0 {
		next = semver{next.major + 1, 0, 0, ""}
	}
	sdk := filepath.Join(t.TempDir(), "otelcol-rust-sdk")
	writeTo(t, filepath.Join(sdk, "Cargo.toml"), "[package]\nname = \"otelcol-rust-sdk\"\nversion = \""+next.String()+"\"\nedition = \"2024\"\n")
	writeTo(t, filepath.Join(sdk, "src", "lib.rs"), "//! A later SDK.\n")
	gitCommit(t, sdk)
	newer := filepath.Join(t.TempDir(), "newer-sample")
	writeTo(t, filepath.Join(newer, "Cargo.toml"), "[package]\nname = \"newer-sample\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n"+
		"[dependencies]\notelcol-rust-sdk = { git = \"file://"+sdk+"\" }\n")
	writeTo(t, filepath.Join(newer, "src", "lib.rs"), "//! Written for a later SDK.\n")
	manifest := writeManifest(t, distHeader+"extensions:\n"+
		"  - cargo: 'rust-sample = { path = \""+filepath.Join(repo, "rust", "components", "rust_sample")+"\" }'\n"+
		"  - cargo: 'newer-sample = { path = \""+newer+"\" }'\n")
	var progress bytes.Buffer
	_, err = build(options{Manifest: manifest, Repo: repo}, &progress)
	sdkDir := filepath.Join(repo, "rust", "sdk")
	want := "step 3/8 (resolve the Rust crates (one SDK)) failed: the distribution's SDK is otelcol-rust-sdk " + inUse + " (" + sdkDir + "), and not every module accepts it:\n" +
		"  ok            extensions[0] (" + manifest + ":5:5, crate rust-sample): otelcol-rust-sdk ^" + inUse + " (no version given: the one at path " + sdkDir + ", " + inUse + ")\n" +
		"  INCOMPATIBLE  extensions[1] (" + manifest + ":6:5, crate newer-sample): otelcol-rust-sdk ^" + next.String() + " (no version given: the one at git file://" + sdk + ", " + next.String() + ")\n" +
		"a component runs only on an SDK its requirement accepts"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error\n got: %v\nwant: %s...\noutput:\n%s", err, want, tail(progress.String(), 30))
	}
	// Nothing was compiled: cargo build is the next step.
	log := read(t, filepath.Join(filepath.Dir(manifest), "out", "build.log"))
	if strings.Contains(progress.String(), "[4/8]") || strings.Contains(log, "[4/8]") || strings.Contains(log, "Compiling") {
		t.Errorf("the build went on after the resolve step:\n%s\nbuild.log:\n%s", progress.String(), log)
	}
}

// Guarantees: a module that depends by path on the SDK of another checkout (same version, so
// cargo itself refuses the two as a lock file collision) is named in the resolve step, with
// both SDKs' paths and the way out.
func TestBuildRefusesAnotherCheckoutsSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo")
	}
	repo := repoRoot(t)
	other := filepath.Join(t.TempDir(), "other-otelcol-rust")
	otherSDK := filepath.Join(other, "rust", "sdk")
	sdkToml := read(t, filepath.Join(repo, "rust", "sdk", "Cargo.toml"))
	var version struct {
		Workspace struct {
			Package struct{ Version string } `toml:"package"`
		} `toml:"workspace"`
	}
	if _, err := toml.DecodeFile(filepath.Join(repo, "rust", "Cargo.toml"), &version); err != nil || !strings.Contains(sdkToml, "version.workspace = true") {
		t.Fatalf("cannot tell the SDK's version (%v)", err)
	}
	writeTo(t, filepath.Join(otherSDK, "Cargo.toml"), "[package]\nname = \"otelcol-rust-sdk\"\nversion = \""+version.Workspace.Package.Version+"\"\nedition = \"2024\"\n")
	writeTo(t, filepath.Join(otherSDK, "src", "lib.rs"), "//! Another checkout's SDK.\n")
	elsewhere := filepath.Join(t.TempDir(), "elsewhere")
	writeTo(t, filepath.Join(elsewhere, "Cargo.toml"), "[package]\nname = \"elsewhere\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n"+
		"[dependencies]\notelcol-rust-sdk = { path = \""+otherSDK+"\" }\n")
	writeTo(t, filepath.Join(elsewhere, "src", "lib.rs"), "//! Built against another checkout.\n")
	manifest := writeManifest(t, distHeader+"extensions:\n"+
		"  - cargo: 'rust-sample = { path = \""+filepath.Join(repo, "rust", "components", "rust_sample")+"\" }'\n"+
		"  - cargo: 'elsewhere = { path = \""+elsewhere+"\" }'\n")
	var progress bytes.Buffer
	_, err := build(options{Manifest: manifest, Repo: repo}, &progress)
	want := "step 3/8 (resolve the Rust crates (one SDK)) failed: extensions[1] (" + manifest + ":6:5, crate elsewhere) uses the otelcol-rust-sdk at " + otherSDK +
		", not the distribution's (" + filepath.Join(repo, "rust", "sdk") + "): a path dependency cannot be redirected, and two copies of the SDK would be two factory registries; " +
		"depend on the SDK by version or git, or build with --otelcol-rust " + other
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got: %v\nwant: %s\noutput:\n%s", err, want, tail(progress.String(), 30))
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
func waitForHTTP(t *testing.T, url string, exited <-chan error, logs fmt.Stringer) string {
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
