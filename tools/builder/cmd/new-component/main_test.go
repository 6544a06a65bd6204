package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// The files of this checkout the tool reads or edits; fakeRepo copies them.
var repoFiles = []string{
	"MODULE.bazel",
	"go/go.mod",
	"go/rustextension/BUILD.bazel",
	"rust/Cargo.lock",
	"rust/Cargo.toml",
	"rust/components/rust_filter/src/lib.rs",
	"rust/components/rust_otlphttp/src/lib.rs",
	"rust/components/rust_sample/src/lib.rs",
	"rust/sdk/Cargo.toml",
	"rust/staticlib/BUILD.bazel",
	"rust/staticlib/Cargo.toml",
	"rust/staticlib/src/lib.rs",
	"tools/builder/go.mod",
}

// fakeRepo copies the files the tool reads and edits from this checkout into a temporary
// directory, so a refusal can be checked to write nothing.
func fakeRepo(t *testing.T) string {
	t.Helper()
	real, err := findRepo(".")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, file := range repoFiles {
		data, err := os.ReadFile(filepath.Join(real, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, file)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, file), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// snapshot is every file under dir with its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for path, text := range after {
		if old, ok := before[path]; !ok {
			t.Errorf("%s was written", path)
		} else if old != text {
			t.Errorf("%s was changed", path)
		}
	}
	for path := range before {
		if _, ok := after[path]; !ok {
			t.Errorf("%s was removed", path)
		}
	}
}

// Guarantees: a NAME that is not a lower_snake_case crate name, a Rust keyword, one that would
// shadow a type the generated code imports, a crate already in the lock file and an existing
// extension type are each refused with the reason, and nothing is written.
func TestRefusedNamesWriteNothing(t *testing.T) {
	root := fakeRepo(t)
	before := snapshot(t, root)
	out := filepath.Join(t.TempDir(), "standalone")
	for name, want := range map[string]string{
		"Heartbeat":                          "not a valid extension type: use lower_snake_case",
		"my-ext":                             "not a valid extension type",
		"my__ext":                            "not a valid extension type",
		"ext_":                               "not a valid extension type",
		"2ext":                               "not a valid extension type",
		strings.Repeat("a", 64):              "the collector allows 63",
		"type":                               "cannot name a Rust crate",
		"std":                                "cannot name a Rust crate",
		"extension":                          "would name its factory type ExtensionFactory",
		"serde":                              "rust/Cargo.lock already has a crate serde",
		"otelcol_rust_sdk":                   "rust/Cargo.lock already has a crate otelcol-rust-sdk",
		"rust_sample":                        `extension type "rust_sample" already exists: rust/components/rust_sample/src/lib.rs registers it`,
		"heartbeat --sdk-git x":              "--sdk-git and --sdk-path go with --out",
		"a --out o --sdk-git x --sdk-path y": "not both",
	} {
		args := append([]string{"--repo", root}, strings.Fields(name)...)
		if strings.Contains(name, "--out o") {
			args = []string{"--repo", root, "--out", out, "--sdk-git", "x", "--sdk-path", "y", "a"}
		} else if len(name) <= 63 && !strings.Contains(name, " ") {
			// The standalone variant refuses the same names.
			if err := run([]string{"--repo", root, "--out", out, name}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("--out, %q: error %v, want it to contain %q", name, err, want)
			}
		}
		if err := run(args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", name, err, want)
		}
	}
	// An exporter's: the same rules, its kind's words, and only an exporter's registration
	// of the type counts (the collector tells the kinds apart).
	for name, want := range map[string]string{
		"Heartbeat":     "not a valid exporter type: use lower_snake_case",
		"type":          "cannot name a Rust crate",
		"exporter":      "would name its factory type ExporterFactory",
		"serde":         "rust/Cargo.lock already has a crate serde",
		"rust_otlphttp": `exporter type "rust_otlphttp" already exists: rust/components/rust_otlphttp/src/lib.rs registers it`,
		"rust_sample":   "rust/Cargo.lock already has a crate rust-sample",
	} {
		for _, args := range [][]string{
			{"--repo", root, "--kind", "exporter", name},
			{"--repo", root, "--kind=exporter", "--out", out, name},
		} {
			if err := run(args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q: error %v, want it to contain %q", args, err, want)
			}
		}
	}
	// A processor's: the same, with a processor's registration.
	for name, want := range map[string]string{
		"Heartbeat":   "not a valid processor type: use lower_snake_case",
		"processor":   "would name its factory type ProcessorFactory",
		"rust_filter": `processor type "rust_filter" already exists: rust/components/rust_filter/src/lib.rs registers it`,
		"rust_sample": "rust/Cargo.lock already has a crate rust-sample",
	} {
		for _, args := range [][]string{
			{"--repo", root, "--kind", "processor", name},
			{"--repo", root, "--kind=processor", "--out", out, name},
		} {
			if err := run(args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q: error %v, want it to contain %q", args, err, want)
			}
		}
	}
	// A receiver's: the same, with a receiver's registration.
	for name, want := range map[string]string{
		"Heartbeat":     "not a valid receiver type: use lower_snake_case",
		"receiver":      "would name its factory type ReceiverFactory",
		"rust_otlphttp": `receiver type "rust_otlphttp" already exists: rust/components/rust_otlphttp/src/lib.rs registers it`,
		"rust_sample":   "rust/Cargo.lock already has a crate rust-sample",
	} {
		for _, args := range [][]string{
			{"--repo", root, "--kind", "receiver", name},
			{"--repo", root, "--kind=receiver", "--out", out, name},
		} {
			if err := run(args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%q: error %v, want it to contain %q", args, err, want)
			}
		}
	}
	// An extension named like an exporter type: not an extension type, but its crate is taken.
	if err := run([]string{"--repo", root, "rust_otlphttp"}, &bytes.Buffer{}); err == nil || err.Error() != `"rust_otlphttp" is taken: rust/Cargo.lock already has a crate rust-otlphttp` {
		t.Errorf("extension rust_otlphttp: %v", err)
	}
	sameFiles(t, before, snapshot(t, root))
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s was created (%v)", out, err)
	}
}

// Guarantees: --kind defaults to extension, takes exporter, processor and receiver in either
// flag form and after NAME, and an unknown kind is a usage error naming the kinds, before
// anything is read or written.
func TestKindFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		kind string
	}{
		{[]string{"hb"}, "extension"},
		{[]string{"--kind", "extension", "hb"}, "extension"},
		{[]string{"--kind", "exporter", "hb"}, "exporter"},
		{[]string{"--kind=exporter", "hb"}, "exporter"},
		{[]string{"hb", "--kind", "exporter", "--out", "dir"}, "exporter"},
		{[]string{"--kind", "processor", "hb"}, "processor"},
		{[]string{"hb", "--kind=processor", "--out", "dir"}, "processor"},
		{[]string{"--kind", "receiver", "hb"}, "receiver"},
		{[]string{"hb", "--kind=receiver", "--out", "dir"}, "receiver"},
	} {
		opts, err := parseArgs(tc.args)
		if err != nil || opts.Kind != tc.kind || opts.Name != "hb" {
			t.Errorf("%q: %+v, %v; want kind %s", tc.args, opts, err, tc.kind)
		}
	}
	root := fakeRepo(t)
	before := snapshot(t, root)
	for _, kind := range []string{"connector", "Exporter", "processors", "receivers", ""} {
		err := run([]string{"--repo", root, "--kind", kind, "hb"}, &bytes.Buffer{})
		var usage usageError
		if !errors.As(err, &usage) || err.Error() != `unknown --kind "`+kind+`": use extension (the default), exporter, processor or receiver` {
			t.Errorf("--kind %q: %v (a usage error: %v)", kind, err, errors.As(err, &usage))
		}
	}
	sameFiles(t, before, snapshot(t, root))
	if !strings.Contains(usageText, "--kind extension|exporter|processor|receiver") || !strings.Contains(usageText, "NAME is the component type") {
		t.Errorf("the usage does not describe --kind and NAME:\n%s", usageText)
	}
}

// Guarantees: every template of each kind renders (in-repo and standalone); the exporter's
// crate has a config with validate() and none of the collector's own exporter keys, an exporter
// whose export decodes traces, logs at debug, counts with an instrument declared in create and
// answers an outcome, a factory for the three signals, its registration and unit tests through
// TestHost; the processor's likewise, with a process that answers edits or Unchanged; the
// receiver's likewise, with a start that spawns a task sending log batches through its logs
// consumer and a shutdown that waits for it; the extension's sources are untouched by the
// other kinds' words.
func TestTemplatesOfEachKind(t *testing.T) {
	r := mustRepo(t, fakeRepo(t))
	rendered := map[string]map[string]string{} // kind -> output path -> text
	for kind := range kinds {
		data, err := r.templateData(kind, "probe_"+kind)
		if err != nil {
			t.Fatal(err)
		}
		data.SDKDependency = `{ path = "/sdk", version = "0.1" }`
		data.SDKPath, data.SDKCheckout = "/sdk", "/"
		rendered[kind] = map[string]string{}
		for name, files := range map[string]map[string]string{"in-repo": componentFiles(kind), "standalone": standaloneFiles(kind)} {
			out, err := renderAll("/"+name, files, data)
			if err != nil {
				t.Fatalf("%s %s: %v", kind, name, err)
			}
			for path, text := range out {
				rendered[kind][path] = string(text)
				if strings.Contains(string(text), "<no value>") {
					t.Errorf("%s: %s has an unset field:\n%s", kind, path, text)
				}
			}
		}
		if len(rendered[kind]) != 12 {
			t.Errorf("%s: %d files, want 4 in-repo and 8 standalone: %v", kind, len(rendered[kind]), slices.Sorted(maps.Keys(rendered[kind])))
		}
	}
	exporter := rendered["exporter"]
	lib := exporter["/in-repo/src/lib.rs"]
	for _, want := range []string{
		"impl ExporterFactory for ProbeExporterFactory {",
		`const TYPE: &'static str = "probe_exporter";`,
		"const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];",
		"type Exporter = ProbeExporterExporter;",
		".meter\n            .counter(\"probe_exporter_items\")",
		"impl Exporter for ProbeExporterExporter {",
		"async fn export(&self, batch: Batch<'_>, _ctx: &ExportContext) -> ExportOutcome {",
		"batch.decode_traces()",
		"debug!(",
		"ExportOutcome::permanent(",
		"ExportOutcome::Ok",
		"otelcol_rust_sdk::register_exporter!(ProbeExporterFactory);",
		"use otelcol_rust_sdk::prost::Message;",
		"use otelcol_rust_sdk::proto::collector::trace::v1::ExportTraceServiceRequest;",
		".encode_to_vec()",
		"use otelcol_rust_sdk::testing::TestHost;",
		"host.exporter(&ProbeExporterFactory,",
		"host.start_exporter(&mut exporter)",
		"host.export(&exporter, Batch::new(",
		"host.shutdown_exporter(&mut exporter)",
	} {
		if !strings.Contains(lib, want) {
			t.Errorf("the exporter's src/lib.rs lacks %q:\n%s", want, lib)
		}
	}
	if strings.Contains(lib, "register_extension!") || strings.Contains(lib, "Extension") {
		t.Errorf("the exporter's src/lib.rs speaks of an extension:\n%s", lib)
	}
	config := exporter["/in-repo/src/config.rs"]
	fields := regexp.MustCompile(`(?m)^    pub (\w+):`).FindAllStringSubmatch(config, -1)
	var keys []string
	for _, field := range fields {
		keys = append(keys, field[1])
	}
	if !slices.Equal(keys, []string{"max_items"}) || !strings.Contains(config, "fn validate(&self) -> Result<(), Error> {") || strings.Contains(config, "rename") {
		t.Errorf("the exporter's config has the keys %v (want max_items, and no timeout, sending_queue or retry_on_failure):\n%s", keys, config)
	}
	// The standalone crate's sources are the in-repo ones.
	for _, file := range []string{"src/lib.rs", "src/config.rs"} {
		for kind, files := range rendered {
			if files["/in-repo/"+file] != files["/standalone/"+file] {
				t.Errorf("%s: the standalone %s differs from the in-repo one", kind, file)
			}
		}
	}
	var cargo struct {
		Package         map[string]any `toml:"package"`
		Dependencies    map[string]any `toml:"dependencies"`
		DevDependencies map[string]any `toml:"dev-dependencies"`
	}
	for _, path := range []string{"/in-repo/Cargo.toml", "/standalone/Cargo.toml"} {
		cargo.Dependencies, cargo.DevDependencies = nil, nil
		if _, err := toml.Decode(exporter[path], &cargo); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		// The exporter's code needs no tokio of its own; its tests' #[tokio::test] does.
		if cargo.Package["description"] != "The probe_exporter collector exporter." || cargo.Dependencies["tokio"] != nil || cargo.DevDependencies["tokio"] == nil || cargo.Dependencies["otelcol-rust-sdk"] == nil {
			t.Errorf("the exporter's %s: %+v\n%s", path, cargo, exporter[path])
		}
	}
	if rendered["exporter"]["/in-repo/BUILD.bazel"] != strings.ReplaceAll(rendered["extension"]["/in-repo/BUILD.bazel"], "probe_extension", "probe_exporter") {
		t.Errorf("the exporter's BUILD.bazel is not the extension's:\n%s", rendered["exporter"]["/in-repo/BUILD.bazel"])
	}
	if ext := rendered["extension"]["/in-repo/src/lib.rs"]; !strings.Contains(ext, "otelcol_rust_sdk::register_extension!(ProbeExtensionFactory);") || strings.Contains(ext, "Exporter") || strings.Contains(ext, "Processor") {
		t.Errorf("the extension's src/lib.rs:\n%s", ext)
	}

	// The processor: a factory for the three signals, a process that edits the items' maps
	// found through for_each_attributes and answers the edits or Unchanged, its registration
	// and unit tests through TestHost; the config's keys are key and value.
	processor := rendered["processor"]
	lib = processor["/in-repo/src/lib.rs"]
	for _, want := range []string{
		"impl ProcessorFactory for ProbeProcessorFactory {",
		`const TYPE: &'static str = "probe_processor";`,
		"const SIGNALS: &'static [Signal] = &[Signal::Traces, Signal::Metrics, Signal::Logs];",
		"type Processor = ProbeProcessorProcessor;",
		"impl Processor for ProbeProcessorProcessor {",
		"fn process(\n        &self,\n        batch: &ProcessBatch<'_>,\n        _ctx: &ProcessContext,\n    ) -> Result<Processed, ProcessError> {",
		".for_each_attributes(|map| {",
		"edits.set_str(map.index, &self.config.key, &self.config.value);",
		"ProcessError::permanent(",
		"Ok(Processed::Unchanged)",
		"Ok(Processed::Edits(edits))",
		"otelcol_rust_sdk::register_processor!(ProbeProcessorFactory);",
		"use otelcol_rust_sdk::testing::TestHost;",
		"host.processor(&ProbeProcessorFactory,",
		"host.start_processor(&mut processor)",
		"host.process(&processor, &ProcessBatch::new(",
		"host.shutdown_processor(&mut processor)",
	} {
		if !strings.Contains(lib, want) {
			t.Errorf("the processor's src/lib.rs lacks %q:\n%s", want, lib)
		}
	}
	if strings.Contains(lib, "register_extension!") || strings.Contains(lib, "Extension") || strings.Contains(lib, "Exporter") {
		t.Errorf("the processor's src/lib.rs speaks of another kind:\n%s", lib)
	}
	config = processor["/in-repo/src/config.rs"]
	keys = nil
	for _, field := range regexp.MustCompile(`(?m)^    pub (\w+):`).FindAllStringSubmatch(config, -1) {
		keys = append(keys, field[1])
	}
	if !slices.Equal(keys, []string{"key", "value"}) || !strings.Contains(config, "fn validate(&self) -> Result<(), Error> {") {
		t.Errorf("the processor's config has the keys %v (want key, value):\n%s", keys, config)
	}
	for _, path := range []string{"/in-repo/Cargo.toml", "/standalone/Cargo.toml"} {
		cargo.Dependencies, cargo.DevDependencies = nil, nil
		if _, err := toml.Decode(processor[path], &cargo); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		// process is synchronous: only the tests' #[tokio::test] (start, shutdown) needs tokio.
		if cargo.Package["description"] != "The probe_processor collector processor." || cargo.Dependencies["tokio"] != nil || cargo.DevDependencies["tokio"] == nil || cargo.Dependencies["otelcol-rust-sdk"] == nil {
			t.Errorf("the processor's %s: %+v\n%s", path, cargo, processor[path])
		}
	}
	if processor["/in-repo/BUILD.bazel"] != strings.ReplaceAll(rendered["extension"]["/in-repo/BUILD.bazel"], "probe_extension", "probe_processor") {
		t.Errorf("the processor's BUILD.bazel is not the extension's:\n%s", processor["/in-repo/BUILD.bazel"])
	}

	// The receiver: a factory for logs, a start that takes the logs consumer and spawns the
	// sending task, a send that answers back-pressure (missed ticks skipped, a retryable batch
	// kept and sent again, a permanent one dropped), a shutdown bounded by the deadline, its
	// registration and unit tests through TestHost; the config's keys are interval and body.
	receiver := rendered["receiver"]
	lib = receiver["/in-repo/src/lib.rs"]
	for _, want := range []string{
		"impl ReceiverFactory for ProbeReceiverFactory {",
		`const TYPE: &'static str = "probe_receiver";`,
		"const SIGNALS: &'static [Signal] = &[Signal::Logs];",
		"type Receiver = ProbeReceiverReceiver;",
		"impl Receiver for ProbeReceiverReceiver {",
		"consumers: Consumers,",
		"consumers.logs().cloned()",
		"host.spawn(",
		"ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);",
		"self.consumer.send_logs(&batch).await",
		"Err(err) if err.is_retryable() => {",
		"err.retry_after()",
		"ctx.remaining()",
		"otelcol_rust_sdk::register_receiver!(ProbeReceiverFactory);",
		"use otelcol_rust_sdk::testing::{TestConsumers, TestHost};",
		"pipeline.set_outcome(Err(ConsumeError::retryable(",
		"pipeline.wait_for_received(",
		"host.receiver(&ProbeReceiverFactory,",
		"host.start_receiver(&mut receiver, &[Signal::Logs])",
		"host.shutdown_receiver(&mut receiver)",
	} {
		if !strings.Contains(lib, want) {
			t.Errorf("the receiver's src/lib.rs lacks %q:\n%s", want, lib)
		}
	}
	if strings.Contains(lib, "register_extension!") || strings.Contains(lib, "Extension") || strings.Contains(lib, "Exporter") || strings.Contains(lib, "Processor") {
		t.Errorf("the receiver's src/lib.rs speaks of another kind:\n%s", lib)
	}
	config = receiver["/in-repo/src/config.rs"]
	keys = nil
	for _, field := range regexp.MustCompile(`(?m)^    pub (\w+):`).FindAllStringSubmatch(config, -1) {
		keys = append(keys, field[1])
	}
	if !slices.Equal(keys, []string{"interval", "body"}) || !strings.Contains(config, "fn validate(&self) -> Result<(), Error> {") {
		t.Errorf("the receiver's config has the keys %v (want interval, body):\n%s", keys, config)
	}
	for _, path := range []string{"/in-repo/Cargo.toml", "/standalone/Cargo.toml"} {
		cargo.Dependencies, cargo.DevDependencies = nil, nil
		if _, err := toml.Decode(receiver[path], &cargo); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		// The sending task needs tokio (time, select!, channels) in the crate's own code.
		if cargo.Package["description"] != "The probe_receiver collector receiver." || cargo.Dependencies["tokio"] == nil || cargo.Dependencies["otelcol-rust-sdk"] == nil {
			t.Errorf("the receiver's %s: %+v\n%s", path, cargo, receiver[path])
		}
	}
	if tokio, _ := cargo.Dependencies["tokio"].(map[string]any); !reflect.DeepEqual(tokio["features"], []any{"macros", "rt", "sync", "time"}) {
		t.Errorf("the standalone receiver's tokio: %v", cargo.Dependencies["tokio"])
	}
	if receiver["/in-repo/BUILD.bazel"] != strings.ReplaceAll(rendered["extension"]["/in-repo/BUILD.bazel"], "probe_extension", "probe_receiver") {
		t.Errorf("the receiver's BUILD.bazel is not the extension's:\n%s", receiver["/in-repo/BUILD.bazel"])
	}
}

// Guarantees: a standalone receiver's manifest lists the crate under receivers: (and no other
// receiver, with the debug exporter under exporters: and no extensions: or processors:
// section), and its config.yaml runs the receiver, with its keys, in a logs pipeline to a
// detailed debug exporter; its README and the summary speak of a receiver.
func TestStandaloneReceiver(t *testing.T) {
	root := fakeRepo(t)
	out := filepath.Join(t.TempDir(), "ticker")
	var stdout bytes.Buffer
	if err := run([]string{"--repo", root, "--kind", "receiver", "--out", out, "--sdk-git", "https://example.invalid/otelcol-rust", "ticker"}, &stdout); err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := yaml.Unmarshal([]byte(read(t, filepath.Join(out, "manifest.yaml"))), &manifest); err != nil {
		t.Fatal(err)
	}
	receivers, _ := manifest["receivers"].([]any)
	exporters, _ := manifest["exporters"].([]any)
	if len(receivers) != 1 || !reflect.DeepEqual(receivers[0], map[string]any{"cargo": `ticker = { path = "." }`}) {
		t.Errorf("manifest.yaml receivers: %v", receivers)
	}
	if len(exporters) != 1 || !strings.HasPrefix(fmt.Sprint(exporters[0]), "map[gomod:go.opentelemetry.io/collector/exporter/debugexporter v0.") {
		t.Errorf("manifest.yaml exporters: %v", exporters)
	}
	if _, ok := manifest["extensions"]; ok || manifest["processors"] != nil || manifest["providers"] == nil {
		t.Errorf("manifest.yaml: %v", manifest)
	}
	var config struct {
		Receivers  map[string]map[string]any `yaml:"receivers"`
		Processors map[string]any            `yaml:"processors"`
		Exporters  map[string]map[string]any `yaml:"exporters"`
		Service    struct {
			Extensions []string `yaml:"extensions"`
			Pipelines  map[string]struct {
				Receivers  []string `yaml:"receivers"`
				Processors []string `yaml:"processors"`
				Exporters  []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	text := read(t, filepath.Join(out, "config.yaml"))
	if err := yaml.Unmarshal([]byte(text), &config); err != nil {
		t.Fatal(err)
	}
	if config.Receivers["ticker"]["interval"] != "5s" || config.Receivers["ticker"]["body"] != "hello from ticker" || len(config.Receivers) != 1 ||
		config.Exporters["debug"]["verbosity"] != "detailed" || len(config.Exporters) != 1 || config.Processors != nil {
		t.Errorf("config.yaml receivers, processors and exporters:\n%s", text)
	}
	logs := config.Service.Pipelines["logs"]
	if len(config.Service.Extensions) != 0 || strings.Contains(text, "extensions:") || len(config.Service.Pipelines) != 1 ||
		!slices.Equal(logs.Receivers, []string{"ticker"}) || len(logs.Processors) != 0 || !slices.Equal(logs.Exporters, []string{"debug"}) {
		t.Errorf("config.yaml service:\n%s", text)
	}
	if lib := read(t, filepath.Join(out, "src", "lib.rs")); !strings.Contains(lib, "otelcol_rust_sdk::register_receiver!(TickerFactory);") {
		t.Errorf("src/lib.rs:\n%s", lib)
	}
	readme := read(t, filepath.Join(out, "README.md"))
	for _, want := range []string{"the\nreceiver type is `ticker`", "`components` lists the receiver:", "receivers:\n  - cargo: 'ticker = { git =", "creates the receiver and starts it"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}
	if strings.Contains(readme, "extension") || strings.Contains(readme, "exporter") || strings.Contains(readme, "processor") {
		t.Errorf("README.md speaks of another kind:\n%s", readme)
	}
	for _, want := range []string{"wrote the standalone crate ticker (receiver type ticker)", "src/config.rs   " + kinds["receiver"].config, "src/lib.rs      " + kinds["receiver"].lib} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

// Guarantees: a standalone processor's manifest lists the crate under processors: (with the
// debug exporter under exporters: and no extensions: section), and its config.yaml puts the
// processor, with its keys, in a traces, a metrics and a logs pipeline from the otlp receiver
// to a detailed debug exporter; its README and the summary speak of a processor.
func TestStandaloneProcessor(t *testing.T) {
	root := fakeRepo(t)
	out := filepath.Join(t.TempDir(), "tagger")
	var stdout bytes.Buffer
	if err := run([]string{"--repo", root, "--kind", "processor", "--out", out, "--sdk-git", "https://example.invalid/otelcol-rust", "tagger"}, &stdout); err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := yaml.Unmarshal([]byte(read(t, filepath.Join(out, "manifest.yaml"))), &manifest); err != nil {
		t.Fatal(err)
	}
	processors, _ := manifest["processors"].([]any)
	exporters, _ := manifest["exporters"].([]any)
	if len(processors) != 1 || !reflect.DeepEqual(processors[0], map[string]any{"cargo": `tagger = { path = "." }`}) {
		t.Errorf("manifest.yaml processors: %v", processors)
	}
	if len(exporters) != 1 || !strings.HasPrefix(fmt.Sprint(exporters[0]), "map[gomod:go.opentelemetry.io/collector/exporter/debugexporter v0.") {
		t.Errorf("manifest.yaml exporters: %v", exporters)
	}
	if _, ok := manifest["extensions"]; ok || manifest["receivers"] == nil || manifest["providers"] == nil {
		t.Errorf("manifest.yaml: %v", manifest)
	}
	var config struct {
		Receivers  map[string]any            `yaml:"receivers"`
		Processors map[string]map[string]any `yaml:"processors"`
		Exporters  map[string]map[string]any `yaml:"exporters"`
		Service    struct {
			Extensions []string `yaml:"extensions"`
			Pipelines  map[string]struct {
				Receivers  []string `yaml:"receivers"`
				Processors []string `yaml:"processors"`
				Exporters  []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	text := read(t, filepath.Join(out, "config.yaml"))
	if err := yaml.Unmarshal([]byte(text), &config); err != nil {
		t.Fatal(err)
	}
	if config.Processors["tagger"]["key"] != "processed.by" || config.Processors["tagger"]["value"] != "tagger" ||
		config.Exporters["debug"]["verbosity"] != "detailed" || config.Receivers["otlp"] == nil || len(config.Exporters) != 1 {
		t.Errorf("config.yaml receivers, processors and exporters:\n%s", text)
	}
	if len(config.Service.Extensions) != 0 || strings.Contains(text, "extensions:") || len(config.Service.Pipelines) != 3 {
		t.Errorf("config.yaml service:\n%s", text)
	}
	for _, signal := range []string{"traces", "metrics", "logs"} {
		pipeline := config.Service.Pipelines[signal]
		if !slices.Equal(pipeline.Receivers, []string{"otlp"}) || !slices.Equal(pipeline.Processors, []string{"tagger"}) || !slices.Equal(pipeline.Exporters, []string{"debug"}) {
			t.Errorf("config.yaml %s pipeline: %+v", signal, pipeline)
		}
	}
	if lib := read(t, filepath.Join(out, "src", "lib.rs")); !strings.Contains(lib, "otelcol_rust_sdk::register_processor!(TaggerFactory);") {
		t.Errorf("src/lib.rs:\n%s", lib)
	}
	readme := read(t, filepath.Join(out, "README.md"))
	for _, want := range []string{"the processor type is `tagger`", "`components` lists the processor:", "processors:\n  - cargo: 'tagger = { git =", "creates and starts the processor"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}
	if strings.Contains(readme, "extension") || strings.Contains(readme, "exporter") {
		t.Errorf("README.md speaks of another kind:\n%s", readme)
	}
	for _, want := range []string{"wrote the standalone crate tagger (processor type tagger)", "src/config.rs   " + kinds["processor"].config, "src/lib.rs      " + kinds["processor"].lib} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

// Guarantees: a standalone exporter's manifest lists the crate under exporters: (beside the
// debug exporter, with no extensions: section), and its config.yaml puts the exporter in a
// traces, a metrics and a logs pipeline fed by the otlp receiver, beside debug, with its own
// key and a standard exporter key, and no extension.
func TestStandaloneExporter(t *testing.T) {
	root := fakeRepo(t)
	out := filepath.Join(t.TempDir(), "audit")
	var stdout bytes.Buffer
	if err := run([]string{"--repo", root, "--kind", "exporter", "--out", out, "--sdk-git", "https://example.invalid/otelcol-rust", "audit"}, &stdout); err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	if err := yaml.Unmarshal([]byte(read(t, filepath.Join(out, "manifest.yaml"))), &manifest); err != nil {
		t.Fatal(err)
	}
	exporters, _ := manifest["exporters"].([]any)
	if len(exporters) != 2 || !reflect.DeepEqual(exporters[0], map[string]any{"cargo": `audit = { path = "." }`}) ||
		!strings.HasPrefix(fmt.Sprint(exporters[1]), "map[gomod:go.opentelemetry.io/collector/exporter/debugexporter v0.") {
		t.Errorf("manifest.yaml exporters: %v", exporters)
	}
	if _, ok := manifest["extensions"]; ok || manifest["receivers"] == nil || manifest["providers"] == nil {
		t.Errorf("manifest.yaml: %v", manifest)
	}
	var config struct {
		Receivers map[string]any            `yaml:"receivers"`
		Exporters map[string]map[string]any `yaml:"exporters"`
		Service   struct {
			Extensions []string `yaml:"extensions"`
			Pipelines  map[string]struct {
				Receivers []string `yaml:"receivers"`
				Exporters []string `yaml:"exporters"`
			} `yaml:"pipelines"`
		} `yaml:"service"`
	}
	text := read(t, filepath.Join(out, "config.yaml"))
	decoder := yaml.NewDecoder(strings.NewReader(text))
	decoder.KnownFields(false)
	if err := decoder.Decode(&config); err != nil {
		t.Fatal(err)
	}
	if _, ok := config.Exporters["debug"]; !ok || config.Exporters["audit"]["max_items"] != 10000 || config.Exporters["audit"]["timeout"] != "5s" || config.Receivers["otlp"] == nil {
		t.Errorf("config.yaml receivers and exporters:\n%s", text)
	}
	if len(config.Service.Extensions) != 0 || strings.Contains(text, "extensions:") || len(config.Service.Pipelines) != 3 {
		t.Errorf("config.yaml service:\n%s", text)
	}
	for _, signal := range []string{"traces", "metrics", "logs"} {
		pipeline := config.Service.Pipelines[signal]
		if !slices.Equal(pipeline.Receivers, []string{"otlp"}) || !slices.Equal(pipeline.Exporters, []string{"audit", "debug"}) {
			t.Errorf("config.yaml %s pipeline: %+v", signal, pipeline)
		}
	}
	if lib := read(t, filepath.Join(out, "src", "lib.rs")); !strings.Contains(lib, "otelcol_rust_sdk::register_exporter!(AuditFactory);") {
		t.Errorf("src/lib.rs:\n%s", lib)
	}
	readme := read(t, filepath.Join(out, "README.md"))
	for _, want := range []string{"the exporter type is `audit`", "`components` lists the exporter:", "exporters:\n  - cargo: 'audit = { git ="} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}
	if strings.Contains(readme, "extension") {
		t.Errorf("README.md speaks of an extension:\n%s", readme)
	}
	for _, want := range []string{"wrote the standalone crate audit (exporter type audit)", "src/config.rs   " + kinds["exporter"].config, "src/lib.rs      " + kinds["exporter"].lib} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, stdout.String())
		}
	}
}

// Guarantees: an existing component directory, and a file whose anchor is gone (here the
// static library's `use component as _;` lines), stop the tool before it writes anything, with
// the file named.
func TestMissingAnchorOrExistingComponentWritesNothing(t *testing.T) {
	root := fakeRepo(t)
	lib := filepath.Join(root, "rust", "staticlib", "src", "lib.rs")
	text, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	// Every component's line goes (a checkout may hold more components than rust_sample).
	if err := os.WriteFile(lib, regexp.MustCompile(`(?m)^use \w+ as _;.*\n`).ReplaceAll(text, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "rust", "components", "taken"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, root)
	err = run([]string{"--repo", root, "heartbeat"}, &bytes.Buffer{})
	if err == nil || !strings.HasPrefix(err.Error(), "rust/staticlib/src/lib.rs: no `use component as _;` line outside a #[cfg]") || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("error: %v", err)
	}
	err = run([]string{"--repo", root, "taken"}, &bytes.Buffer{})
	if err == nil || err.Error() != "rust/components/taken already exists" {
		t.Errorf("error: %v", err)
	}
	sameFiles(t, before, snapshot(t, root))
}

// Guarantees: when a step after the writes fails (here Cargo's lock update: the fake checkout
// has none of the workspace's crates), every edited file is put back and the new directory is
// removed, for either kind.
func TestFailedLockUpdatePutsEverythingBack(t *testing.T) {
	for kind := range kinds {
		root := fakeRepo(t)
		before := snapshot(t, root)
		err := run([]string{"--repo", root, "--kind", kind, "heartbeat"}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "updating rust/Cargo.lock (cargo metadata --offline)") || !strings.Contains(err.Error(), "every file is back as it was") {
			t.Fatalf("%s: error: %v", kind, err)
		}
		sameFiles(t, before, snapshot(t, root))
		if _, err := os.Stat(filepath.Join(root, "rust", "components", "heartbeat")); !os.IsNotExist(err) {
			t.Errorf("%s: rust/components/heartbeat is left (%v)", kind, err)
		}
	}
}

// Guarantees: the edits of this checkout's real files add the component to each list the
// checks read, in sorted position, and change nothing else. The probe's name sorts right
// before rust_sample, so its neighbour in every list is rust_sample whatever other components
// the checkout holds (make test passes after tools/new-component NAME, for any NAME).
func TestWiringEditsOfThisCheckout(t *testing.T) {
	root := fakeRepo(t)
	data, err := mustRepo(t, root).templateData("extension", "rust_sampl")
	if err != nil {
		t.Fatal(err)
	}
	wants := map[string][]string{
		"rust/Cargo.toml":              {`"components/rust_sampl", "components/rust_sample"`, `rust-sampl = { path = "components/rust_sampl" }` + "\n" + `rust-sample = { path = "components/rust_sample" }`},
		"rust/staticlib/Cargo.toml":    {"rust-sampl.workspace = true\nrust-sample.workspace = true\n"},
		"rust/staticlib/src/lib.rs":    {"use rust_sampl as _;\nuse rust_sample as _;\n"},
		"rust/staticlib/BUILD.bazel":   {"        \"//rust/components/rust_sampl\",\n        \"//rust/components/rust_sample\",\n"},
		"MODULE.bazel":                 {"        \"//rust/components/rust_sampl:Cargo.toml\",\n        \"//rust/components/rust_sample:Cargo.toml\",\n"},
		"go/rustextension/BUILD.bazel": {"        \"//rust/components/rust_sampl:Cargo.toml\",\n        \"//rust/components/rust_sample:Cargo.toml\",\n    ],  # keep\n"},
	}
	for _, w := range wirings {
		text, err := os.ReadFile(filepath.Join(root, w.path))
		if err != nil {
			t.Fatal(err)
		}
		got, err := w.edit(string(text), data)
		if err != nil {
			t.Errorf("%s: %v", w.path, err)
			continue
		}
		for _, want := range wants[w.path] {
			if !strings.Contains(got, want) {
				t.Errorf("%s lacks\n%s\nin\n%s", w.path, want, got)
			}
		}
		// Nothing else changes: without the new entry (and the layout buildifier gives a list
		// that grows to two entries) the text is the old one.
		strip := func(s string) string {
			s = strings.Join(strings.Fields(s), "")
			for _, entry := range []string{
				`"components/rust_sampl",`, `rust-sampl={path="components/rust_sampl"}`, "rust-sampl.workspace=true", "userust_samplas_;",
				`"//rust/components/rust_sampl",`, `"//rust/components/rust_sampl:Cargo.toml",`,
			} {
				s = strings.Replace(s, entry, "", 1)
			}
			return strings.ReplaceAll(s, ",]", "]")
		}
		if strip(got) != strip(string(text)) {
			t.Errorf("%s: more than the new entry changed:\n%s", w.path, got)
		}
	}
}

// Guarantees: the standalone crate depends on the SDK by git with the checkout's version as
// requirement (by path with --sdk-path, a checkout root naming its rust/sdk), inherits nothing
// from a workspace, declares the workspace's lints, and its manifest names the crate by path
// with the Go modules at go/go.mod's versions; a non-empty --out is refused.
func TestStandaloneCrate(t *testing.T) {
	root := fakeRepo(t)
	out := filepath.Join(t.TempDir(), "heartbeat")
	var stdout bytes.Buffer
	if err := run([]string{"--repo", root, "heartbeat", "--out", out, "--sdk-git", "https://example.invalid/otelcol-rust"}, &stdout); err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Package         map[string]any `toml:"package"`
		Dependencies    map[string]any `toml:"dependencies"`
		DevDependencies map[string]any `toml:"dev-dependencies"`
		Lints           map[string]map[string]string
	}
	if _, err := toml.DecodeFile(filepath.Join(out, "Cargo.toml"), &manifest); err != nil {
		t.Fatal(err)
	}
	version := sdkRequirement(mustRepo(t, root).Version)
	sdk, _ := manifest.Dependencies["otelcol-rust-sdk"].(map[string]any)
	if sdk["git"] != "https://example.invalid/otelcol-rust" || sdk["version"] != version || len(sdk) != 2 {
		t.Errorf("otelcol-rust-sdk = %v", sdk)
	}
	if manifest.Package["name"] != "heartbeat" || manifest.Package["edition"] != "2024" || manifest.Package["rust-version"] == nil {
		t.Errorf("[package] %v", manifest.Package)
	}
	if manifest.Lints["rust"]["missing_docs"] != "deny" || manifest.Lints["clippy"]["unwrap_used"] != "deny" {
		t.Errorf("[lints] %v", manifest.Lints)
	}
	yaml := read(t, filepath.Join(out, "manifest.yaml"))
	for _, want := range []string{
		"  - cargo: 'heartbeat = { path = \".\" }'\n",
		"  output_path: ./dist\n",
		"go.opentelemetry.io/collector/confmap/provider/envprovider v1.",
		"go.opentelemetry.io/collector/receiver/otlpreceiver v0.",
	} {
		if !strings.Contains(yaml, want) {
			t.Errorf("manifest.yaml lacks %q:\n%s", want, yaml)
		}
	}
	for _, file := range []string{"src/lib.rs", "src/config.rs", "README.md", "config.yaml", ".gitignore", "clippy.toml", "Cargo.lock"} {
		if _, err := os.Stat(filepath.Join(out, file)); err != nil {
			t.Error(err)
		}
	}
	if lib := read(t, filepath.Join(out, "src", "lib.rs")); !strings.Contains(lib, "otelcol_rust_sdk::register_extension!(HeartbeatFactory);") {
		t.Errorf("src/lib.rs:\n%s", lib)
	}
	if !strings.Contains(stdout.String(), "go run . --config "+filepath.Join(out, "manifest.yaml")) {
		t.Errorf("the next commands are not printed:\n%s", stdout.String())
	}
	// The README says what a git SDK without tag or rev means, and the offline alternatives.
	readme := read(t, filepath.Join(out, "README.md"))
	for _, want := range []string{
		"by git from `https://example.invalid/otelcol-rust`, with no `tag` or `rev`",
		"`cargo test` needs that URL reachable",
		"follows the\nrepository's default branch",
		"`--sdk-git file://<a clone>`",
		"`--sdk-path <a checkout>`",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md lacks %q:\n%s", want, readme)
		}
	}
	if strings.Contains(stdout.String(), "warning:") {
		t.Errorf("a warning for a public git SDK:\n%s", stdout.String())
	}

	if err := run([]string{"--repo", root, "--out", out, "other"}, &stdout); err == nil || !strings.Contains(err.Error(), "exists and is not empty") {
		t.Errorf("a non-empty --out: %v", err)
	}

	byPath := filepath.Join(t.TempDir(), "by-path")
	stdout.Reset()
	if err := run([]string{"--repo", root, "--out", byPath, "--sdk-path", root, "by_path"}, &stdout); err != nil {
		t.Fatal(err)
	}
	if text := read(t, filepath.Join(byPath, "Cargo.toml")); !strings.Contains(text, "otelcol-rust-sdk = { path = "+tomlString(filepath.Join(root, "rust", "sdk"))+`, version = "`+version+`" }`) {
		t.Errorf("Cargo.toml with --sdk-path:\n%s", text)
	}
	// A path SDK: the README and the summary name the checkout whose builder must be used and
	// say to switch to git before publishing.
	readme = read(t, filepath.Join(byPath, "README.md"))
	for _, want := range []string{
		"by path from `" + filepath.Join(root, "rust", "sdk") + "`",
		"only the builder of that checkout (`" + filepath.Join(root, "tools", "builder") + "`)",
		"Before publishing the crate, switch to git",
		`otelcol-rust-sdk = { git = "` + defaultSDKGit + `", version = "` + version + `" }`,
		"(cd " + root + "/tools/builder && go run . --config $component/manifest.yaml)",
	} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.md with --sdk-path lacks %q:\n%s", want, readme)
		}
	}
	if strings.Contains(readme, "<otelcol-rust checkout>") || strings.Contains(readme, "needs that URL reachable") {
		t.Errorf("README.md with --sdk-path speaks of any checkout or of git:\n%s", readme)
	}
	if want := "warning: the SDK is the directory " + filepath.Join(root, "rust", "sdk") + " on this machine: only the builder of " + root + " accepts the crate"; !strings.Contains(stdout.String(), want) {
		t.Errorf("the summary lacks %q:\n%s", want, stdout.String())
	}
}

// Guarantees: --out inside this checkout (where Cargo would take the crate for a member of
// rust/'s workspace) is refused pointing to the form without --out, and --out below another
// Cargo workspace is refused naming it; nothing is written.
func TestOutInsideAWorkspaceIsRefused(t *testing.T) {
	root := fakeRepo(t)
	inRepo := filepath.Join(root, "rust", "xcomp")
	err := run([]string{"--repo", root, "--out", inRepo, "xcomp"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "is inside the otelcol-rust checkout "+root) || !strings.Contains(err.Error(), "run tools/new-component xcomp (no --out)") {
		t.Errorf("--out in the checkout: %v", err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "Cargo.toml"), []byte("[workspace]\nmembers = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(other, "crates", "ycomp")
	err = run([]string{"--repo", root, "--out", nested, "ycomp"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "inside the Cargo workspace of "+filepath.Join(other, "Cargo.toml")) {
		t.Errorf("--out in another workspace: %v", err)
	}
	for _, dir := range []string{inRepo, nested} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s was created (%v)", dir, err)
		}
	}
}

// Guarantees: the next commands printed after writing a component run when pasted at the
// checkout's root (the cd stays in a subshell), and their comments line up for any name; the
// summary names the kind, and the manifest section to ship the component in is the kind's.
func TestInRepoNextCommands(t *testing.T) {
	for _, kind := range []string{"extension", "exporter", "processor", "receiver"} {
		for _, name := range []string{"hb", "a_rather_long_component_name_for_the_columns"} {
			data, err := mustRepo(t, fakeRepo(t)).templateData(kind, name)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			printInRepoSummary(&out, data)
			summary, next, _ := strings.Cut(out.String(), "Next:\n")
			lines := strings.SplitN(next, "\n", 5)
			test := "  (cd rust && cargo test -p " + data.Package + ")"
			if !strings.HasPrefix(lines[0], test+"  # ") || !strings.HasPrefix(lines[1], "  make test ") {
				t.Errorf("next commands:\n%s", next)
			}
			if strings.Index(lines[0], "#") != strings.Index(lines[1], "#") {
				t.Errorf("the comments do not line up:\n%s", next)
			}
			if want := "add under " + kind + "s: in examples/manifest.yaml:"; !strings.HasSuffix(lines[2], want) ||
				lines[3] != "  - cargo: '"+data.Package+" = { path = \"../rust/components/"+name+"\" }'" {
				t.Errorf("%s: the manifest lines (want %q):\n%s", kind, want, next)
			}
			if want := "(crate " + data.Package + ", " + kind + " type " + name + ")"; !strings.Contains(summary, want) || !strings.Contains(summary, kinds[kind].lib) {
				t.Errorf("%s: the summary lacks %q:\n%s", kind, want, summary)
			}
		}
	}
}

// Guarantees: flags may follow NAME.
func TestFlagsAfterName(t *testing.T) {
	opts, err := parseArgs([]string{"heartbeat", "--out", "dir", "--sdk-path", "sdk"})
	if err != nil || opts.Name != "heartbeat" || opts.Out != "dir" || opts.SDKPath != "sdk" {
		t.Errorf("%+v, %v", opts, err)
	}
	if _, err := parseArgs([]string{"a", "b"}); err == nil || err.Error() != "one NAME at a time, got 2: a b" {
		t.Errorf("two names: %v", err)
	}
	if _, err := parseArgs([]string{"--out", "dir"}); err == nil || err.Error() != "missing NAME" {
		t.Errorf("no name: %v", err)
	}
}

// sdkRequirement is the requirement a standalone crate writes for SDK version: "X.Y".
func sdkRequirement(version string) string {
	major, rest, _ := strings.Cut(version, ".")
	minor, _, _ := strings.Cut(rest, ".")
	return major + "." + minor
}

func mustRepo(t *testing.T, root string) *repo {
	t.Helper()
	r, err := loadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
