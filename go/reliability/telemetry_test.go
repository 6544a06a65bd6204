//go:build otelcolrust_testcomponents

package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/featuregate"

	"github.com/otelcol-rust/otelcol-rust/go/internal/testutil"
	"github.com/otelcol-rust/otelcol-rust/go/rustextension"
)

// jsonLogs is the telemetry section that makes the collector log JSON at level, unsampled.
func jsonLogs(level string) string {
	return fmt.Sprintf(`    metrics:
      level: none
    logs:
      level: %s
      encoding: json
      sampling:
        enabled: false
`, level)
}

// parseJSONLines parses every line of out as one JSON object; any other line fails the test.
func parseJSONLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var records []map[string]any
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("output line %d is not JSON (%v): %q\n%s", i+1, err, line, out)
		}
		records = append(records, record)
	}
	return records
}

// withMessage answers the records whose msg is message.
func withMessage(records []map[string]any, message string) []map[string]any {
	var found []map[string]any
	for _, record := range records {
		if record["msg"] == message {
			found = append(found, record)
		}
	}
	return found
}

// runUntilReady starts the built collector, waits until its OTLP receiver (started after every
// extension) accepts connections on otlp, sends SIGTERM and answers everything it wrote once it
// exited (with exit status 0). It waits on the port, not on a log line, so it works at any log
// level.
func runUntilReady(t *testing.T, bin, config, otlp string, env ...string) string {
	t.Helper()
	cmd, output := startCollector(t, bin, config, env...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", otlp, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector not serving OTLP within 20s\n%s", output.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("collector exit: %v\n%s", err, output.String())
	}
	return output.String()
}

// withoutRustBacktrace is this process's environment without the variables that make Rust
// capture backtraces, so a test decides whether there is one.
func withoutRustBacktrace() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "RUST_BACKTRACE=") || strings.HasPrefix(kv, "RUST_LIB_BACKTRACE=")
	})
}

// Scenario: the built collector logs JSON; rust_chaos logs at every level in start (through
// `tracing` and the `log` crate), from a background task, and in shutdown.
// Guarantees: every line the collector writes is JSON; each Rust record carries the
// component's id and kind, its level, its structured fields typed, its Rust target and
// caller; `service.telemetry.logs.level` filters Rust records like Go ones; the record
// written during shutdown appears, before the collector's last line.
func TestRustLogsFollowTheCollectorsLogConfig(t *testing.T) {
	bin := testutil.BuildCollector(t, t.TempDir(), "otelcolrust_testcomponents")
	chaos := `  rust_chaos:
    log_at_start: true
    log_in_task: true
    log_on_shutdown: true
`
	otlp := testutil.FreeEndpoint(t)
	config := func(level string) string {
		return testutil.WriteConfig(t, testutil.Config{
			Extensions: chaos,
			Enabled:    []string{"rust_chaos"},
			Pipeline:   testutil.OTLPPipeline(otlp),
			Telemetry:  jsonLogs(level),
		}.YAML())
	}

	t.Run("debug", func(t *testing.T) {
		records := parseJSONLines(t, runUntilReady(t, bin, config("debug"), otlp))
		info := withMessage(records, "rust_chaos info record")
		if len(info) != 1 {
			t.Fatalf("%d info records, want 1", len(info))
		}
		want := map[string]any{
			"level":                  "info",
			"otelcol.component.id":   "rust_chaos",
			"otelcol.component.kind": "extension",
			"n":                      float64(3),
			"flag":                   true,
			"ratio":                  0.5,
			"text":                   `hello "quoted"`,
		}
		for key, value := range want {
			if info[0][key] != value {
				t.Errorf("info record: %s = %#v, want %#v (record %v)", key, info[0][key], value, info[0])
			}
		}
		if target, _ := info[0]["rust.target"].(string); !strings.HasPrefix(target, "rust_chaos") {
			t.Errorf("info record: rust.target %q, want the Rust module path", target)
		}
		if caller, _ := info[0]["caller"].(string); !strings.Contains(caller, ".rs:") {
			t.Errorf("info record: caller %q, want the Rust file and line", caller)
		}
		for message, level := range map[string]string{
			"rust_chaos debug record":                       "debug",
			"rust_chaos warn record":                        "warn",
			"rust_chaos error record":                       "error",
			"rust_chaos log-crate record":                   "info",
			"rust_chaos task record":                        "info",
			"rust_chaos shutting down":                      "info",
			"rust_chaos info record":                        "info",
			"Rust log records dropped: the buffer was full": "",
		} {
			found := withMessage(records, message)
			if level == "" {
				if len(found) != 0 {
					t.Errorf("%q logged: %v", message, found)
				}
				continue
			}
			if len(found) != 1 || found[0]["level"] != level || found[0]["otelcol.component.id"] != "rust_chaos" {
				t.Errorf("%q: want one %s record of rust_chaos, got %v", message, level, found)
			}
		}
		// zap has no trace level: Rust trace records are not forwarded.
		if found := withMessage(records, "rust_chaos trace record"); len(found) != 0 {
			t.Errorf("trace record forwarded: %v", found)
		}
		last := records[len(records)-1]
		shutdown := slices.IndexFunc(records, func(r map[string]any) bool { return r["msg"] == "rust_chaos shutting down" })
		if shutdown < 0 || !strings.Contains(fmt.Sprint(last["msg"]), "Shutdown complete") {
			t.Errorf("want the shutdown record before the collector's last line %v", last)
		}
	})

	t.Run("warn", func(t *testing.T) {
		records := parseJSONLines(t, runUntilReady(t, bin, config("warn"), otlp))
		for _, message := range []string{"rust_chaos warn record", "rust_chaos error record"} {
			if len(withMessage(records, message)) != 1 {
				t.Errorf("%q missing at level warn", message)
			}
		}
		for _, message := range []string{
			"rust_chaos debug record", "rust_chaos info record", "rust_chaos log-crate record",
			"rust_chaos task record", "rust_chaos shutting down",
		} {
			if found := withMessage(records, message); len(found) != 0 {
				t.Errorf("%q logged at level warn: %v", message, found)
			}
		}
	})
}

// Scenario: the built collector logs JSON; rust_chaos logs at start, then panics in a
// background task, which stops the collector.
// Guarantees: the panic is one JSON error record with the panic's message, its location and
// the component id, and nothing raw reaches the output; the record written before the panic
// is not lost; with RUST_BACKTRACE=1 the record carries the backtrace.
func TestRustPanicIsOneLogRecord(t *testing.T) {
	bin := testutil.BuildCollector(t, t.TempDir(), "otelcolrust_testcomponents")
	config := testutil.WriteConfig(t, testutil.Config{
		Extensions: "  rust_chaos:\n    log_at_start: true\n    panic_in: background\n    panic_after_ms: 300\n",
		Enabled:    []string{"rust_chaos"},
		Pipeline:   testutil.OTLPPipeline("127.0.0.1:0"),
		Telemetry:  jsonLogs("info"),
	}.YAML())
	run := func(t *testing.T, env ...string) map[string]any {
		cmd, output := startCollector(t, bin, config, env...)
		waitFatalExit(t, cmd, output)
		records := parseJSONLines(t, output.String())
		if len(withMessage(records, "rust_chaos info record")) != 1 {
			t.Errorf("the record written before the panic is missing")
		}
		panics := withMessage(records, "Rust code panicked")
		if len(panics) != 1 {
			t.Fatalf("%d panic records, want 1\n%s", len(panics), output.String())
		}
		record := panics[0]
		if record["level"] != "error" || record["otelcol.component.id"] != "rust_chaos" ||
			record["panic.message"] != "rust_chaos panics in a background task" ||
			!strings.Contains(fmt.Sprint(record["panic.location"]), "lib.rs:") {
			t.Errorf("panic record %v", record)
		}
		return record
	}
	t.Run("without RUST_BACKTRACE", func(t *testing.T) {
		if record := run(t); record["backtrace"] != nil {
			t.Errorf("backtrace without RUST_BACKTRACE: %v", record["backtrace"])
		}
	})
	t.Run("with RUST_BACKTRACE=1", func(t *testing.T) {
		if trace, _ := run(t, "RUST_BACKTRACE=1")["backtrace"].(string); trace == "" {
			t.Errorf("no backtrace with RUST_BACKTRACE=1")
		}
	})
}

// statusWatcher is a Go extension that records the status events of one component, as a
// health-check extension would see them.
type statusWatcher struct {
	watched component.ID
	mu      sync.Mutex
	events  []string // "StatusRecoverableError: <error>", "StatusOK", ...
}

var statusWatcherType = component.MustNewType("statuswatch")

func (*statusWatcher) Start(context.Context, component.Host) error { return nil }
func (*statusWatcher) Shutdown(context.Context) error              { return nil }

func (w *statusWatcher) ComponentStatusChanged(source *componentstatus.InstanceID, event *componentstatus.Event) {
	if source.ComponentID() != w.watched {
		return
	}
	text := event.Status().String()
	if event.Err() != nil {
		text += ": " + event.Err().Error()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, text)
}

func (w *statusWatcher) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.events)
}

// Scenario: an in-process collector runs rust_chaos, which reports recoverable error, ok and
// permanent error after it started, and a Go extension that watches component status.
// Guarantees: the watcher receives the three reports, in order, as rust_chaos's status.
func TestRustStatusReachesWatchers(t *testing.T) {
	watcher := &statusWatcher{watched: component.MustNewID("rust_chaos")}
	watcherFactory := extension.NewFactory(statusWatcherType,
		func() component.Config { return &struct{}{} },
		func(context.Context, extension.Settings, component.Config) (extension.Extension, error) {
			return watcher, nil
		},
		component.StabilityLevelDevelopment)
	rust, err := rustextension.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	col := testutil.RunCollector(t, testutil.Config{
		Extensions: `  statuswatch:
  rust_chaos:
    statuses: ["recoverable_error:disk is slow", "ok", "permanent_error:gave up"]
`,
		Enabled:  []string{"statuswatch", "rust_chaos"},
		Pipeline: testutil.NopPipeline,
	}.YAML(), append(rust, watcherFactory)...)
	col.WaitRunning(t, 20*time.Second)

	deadline := time.Now().Add(10 * time.Second)
	for !slices.ContainsFunc(watcher.seen(), func(e string) bool { return strings.HasPrefix(e, "StatusPermanentError") }) {
		if time.Now().After(deadline) {
			t.Fatalf("no permanent error within 10s; seen %q", watcher.seen())
		}
		time.Sleep(20 * time.Millisecond)
	}
	col.Stop(t)
	events := watcher.seen()
	recoverable := slices.IndexFunc(events, func(e string) bool {
		return strings.HasPrefix(e, "StatusRecoverableError") && strings.Contains(e, "disk is slow")
	})
	if recoverable < 0 || recoverable+2 >= len(events) ||
		events[recoverable+1] != "StatusOK" ||
		!strings.HasPrefix(events[recoverable+2], "StatusPermanentError") || !strings.Contains(events[recoverable+2], "gave up") {
		t.Fatalf("want recoverable error, ok, permanent error in order; seen %q", events)
	}
}

// scrape fetches the collector's own metrics in the Prometheus text format.
func scrape(t *testing.T, endpoint string) string {
	t.Helper()
	resp, err := http.Get("http://" + endpoint + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// sample answers the value of the first series of metric whose labels include every one of
// labels (`key="value"`), and whether there is one.
func sample(text, metric string, labels ...string) (string, bool) {
	for _, line := range strings.Split(text, "\n") {
		var name, labelText, value string
		if before, rest, ok := strings.Cut(line, "{"); ok {
			name = before
			if labelText, value, ok = strings.Cut(rest, "} "); !ok {
				continue
			}
		} else if name, value, ok = strings.Cut(line, " "); !ok {
			continue
		}
		if name != metric {
			continue
		}
		matches := true
		for _, label := range labels {
			if !strings.Contains(","+labelText+",", ","+label+",") {
				matches = false
			}
		}
		if matches {
			return strings.Fields(value)[0], true
		}
	}
	return "", false
}

// Scenario: an in-process collector exposes its own metrics (Prometheus, with units, type
// suffixes and scope attributes shown) and runs with telemetry.newPipelineTelemetry, the gate
// under which the collector (v0.164.0) gives component metrics their component attributes, as
// instrumentation scope attributes; rust_chaos declares one instrument of each kind and updates
// them at start; rust_sample answers two requests.
// Guarantees: the Rust instruments appear in the collector's metrics with their values, their
// attributes and the component's id, as a Go component's would; the library's own metrics
// appear too, without a component's id.
func TestRustMetricsInTheCollectorsMetrics(t *testing.T) {
	const gate = "telemetry.newPipelineTelemetry"
	if err := featuregate.GlobalRegistry().Set(gate, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = featuregate.GlobalRegistry().Set(gate, false) })
	metricsEndpoint, sampleEndpoint := testutil.FreeEndpoint(t), testutil.FreeEndpoint(t)
	host, port, err := net.SplitHostPort(metricsEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	rust, err := rustextension.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	col := testutil.RunCollector(t, testutil.Config{
		Extensions: fmt.Sprintf("  rust_chaos:\n    metrics: true\n  rust_sample:\n    endpoint: %s\n", sampleEndpoint),
		Enabled:    []string{"rust_chaos", "rust_sample"},
		Pipeline:   testutil.NopPipeline,
		Telemetry: fmt.Sprintf(`    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: %s
                port: %s
                without_units: false
                without_type_suffix: false
                without_scope_info: false
`, host, port),
	}.YAML(), rust...)
	col.WaitRunning(t, 20*time.Second)
	for range 2 {
		resp, err := http.Get("http://" + sampleEndpoint + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	text := scrape(t, metricsEndpoint)
	chaos := `otel_scope_otelcol_component_id="rust_chaos"`
	for _, want := range []struct {
		metric string
		labels []string
		value  string
	}{
		{"rust_chaos_events_total", []string{chaos, `kind="start"`}, "3"},
		{"rust_chaos_inflight", []string{chaos}, "3"},
		{"rust_chaos_ratio", []string{chaos}, "0.25"},
		{"rust_chaos_latency_milliseconds_bucket", []string{chaos, `le="1"`}, "1"},
		{"rust_chaos_latency_milliseconds_bucket", []string{chaos, `le="10"`}, "3"},
		{"rust_chaos_latency_milliseconds_bucket", []string{chaos, `le="100"`}, "4"},
		{"rust_chaos_latency_milliseconds_bucket", []string{chaos, `le="+Inf"`}, "5"},
		{"rust_chaos_latency_milliseconds_sum", []string{chaos}, "560.5"},
		{"rust_chaos_latency_milliseconds_count", []string{chaos}, "5"},
		{"rust_sample_requests_total", []string{`otel_scope_otelcol_component_id="rust_sample"`, `http_response_status_code="200"`}, "2"},
	} {
		got, ok := sample(text, want.metric, want.labels...)
		if !ok || got != want.value {
			t.Errorf("%s%v = %q (found %v), want %s", want.metric, want.labels, got, ok, want.value)
		}
	}
	// The series without attributes is a series of its own.
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "rust_chaos_events_total{") && strings.Contains(line, chaos) &&
			!strings.Contains(line, `kind="start"`) && !strings.HasSuffix(line, " 1") {
			t.Errorf("rust_chaos_events_total without attributes: %s", line)
		}
	}
	for _, metric := range []string{
		"otelcol_rust_boundary_calls_total", "otelcol_rust_live_instances",
		"otelcol_rust_panics_caught_total", "otelcol_rust_log_records_dropped_total",
	} {
		if _, ok := sample(text, metric); !ok {
			t.Errorf("library metric %s missing", metric)
		}
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, metric) && strings.Contains(line, "otelcol_component_id") {
				t.Errorf("library metric with a component id: %s", line)
			}
		}
	}
	if t.Failed() {
		t.Logf("scraped:\n%s", text)
	}
}

// Scenario: an in-process collector runs six rust_chaos instances that log every millisecond
// from background tasks; its config is reloaded five times (each generation gets new ids).
// Guarantees (also under -race): every loop record carries the id of an instance configured
// in that run, every instance's records arrive, and each instance's shutdown record appears,
// the last generation's included.
func TestRustLogsUnderConcurrencyAndReloads(t *testing.T) {
	const instances, generations = 6, 5
	config := func(generation int) (string, []string) {
		var sections strings.Builder
		var ids []string
		for i := range instances {
			id := fmt.Sprintf("rust_chaos/g%di%d", generation, i)
			ids = append(ids, id)
			sections.WriteString("  " + id + ":\n    log_loop: true\n    log_on_shutdown: true\n")
		}
		return testutil.Config{Extensions: sections.String(), Enabled: ids, Pipeline: testutil.NopPipeline}.YAML(), ids
	}
	rust, err := rustextension.NewFactories()
	if err != nil {
		t.Fatal(err)
	}
	var col *testutil.Collector
	// Each generation runs until all of its instances have logged from their loops.
	waitLogging := func(ids []string) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			logging := map[string]bool{}
			for _, entry := range col.Logged("rust_chaos loop record") {
				logging[fmt.Sprint(entry.ContextMap()["otelcol.component.id"])] = true
			}
			if !slices.ContainsFunc(ids, func(id string) bool { return !logging[id] }) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not every instance of %v logged within 20s", ids)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	first, allIDs := config(0)
	col = testutil.RunCollector(t, first, rust...)
	col.WaitRunning(t, 20*time.Second)
	waitLogging(allIDs)
	for generation := 1; generation < generations; generation++ {
		next, ids := config(generation)
		allIDs = append(allIDs, ids...)
		col.Reload(t, next)
		waitLogging(ids)
	}
	col.Stop(t)

	perID := map[string]int{}
	for _, entry := range col.Logged("rust_chaos loop record") {
		id := fmt.Sprint(entry.ContextMap()["otelcol.component.id"])
		if !slices.Contains(allIDs, id) {
			t.Fatalf("loop record with id %q", id)
		}
		perID[id]++
	}
	shutdowns := map[string]int{}
	for _, entry := range col.Logged("rust_chaos shutting down") {
		shutdowns[fmt.Sprint(entry.ContextMap()["otelcol.component.id"])]++
	}
	for _, id := range allIDs {
		if perID[id] == 0 || shutdowns[id] != 1 {
			t.Errorf("%s: %d loop records, %d shutdown records (want > 0 and 1)", id, perID[id], shutdowns[id])
		}
	}
}
