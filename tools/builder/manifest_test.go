package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeManifest writes body to a manifest.yaml in a fresh directory that also holds a crate
// directory my_ext/ (with a Cargo.toml), and returns the manifest's path.
func writeManifest(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "my_ext"), 0o755); err != nil {
		t.Fatal(err)
	}
	crate := map[string]string{
		"Cargo.toml": "[package]\nname = \"my-ext\"\nversion = \"0.0.0\"\nedition = \"2024\"\n",
		"src/lib.rs": "//! A crate.\n",
	}
	for name, content := range crate {
		path := filepath.Join(dir, "my_ext", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "manifest.yaml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const distHeader = "dist:\n  name: mycol\n  output_path: out\n"

// Guarantees: every malformed manifest is rejected with a message naming file:line:column,
// the module's place and what is wrong (the exact texts are what users see).
func TestManifestErrors(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{
			name: "both gomod and cargo",
			body: distHeader + "extensions:\n  - gomod: example.com/x v1.0.0\n    cargo: 'my-ext = \"1\"'\n",
			want: "manifest.yaml:5:5: extensions[0]: has both gomod and cargo; a module is either a Go module or a Rust crate",
		},
		{
			name: "neither gomod nor cargo",
			body: distHeader + "extensions:\n  - import: example.com/x\n",
			want: "manifest.yaml:5:5: extensions[0]: has neither gomod nor cargo",
		},
		{
			name: "cargo text that is not TOML",
			body: distHeader + "extensions:\n  - cargo: 'my-ext { path = \"my_ext\" }'\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: not a Cargo dependency line (want one dependency line, e.g. 'my-ext = { path = \"../my_ext\" }'): toml: line 1: expected '.' or '=', but got '{' instead",
		},
		{
			name: "cargo text naming two crates",
			body: distHeader + "extensions:\n  - cargo: 'a = \"1\", b = \"2\"'\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: not a Cargo dependency line (want one dependency line, e.g. 'my-ext = { path = \"../my_ext\" }'): toml: line 1: expected a top-level item to end with a newline, comment, or EOF, but got ',' instead",
		},
		{
			name: "cargo text naming no crate",
			body: distHeader + "extensions:\n  - cargo: '# my-ext'\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: names no crate; want one dependency line, e.g. 'my-ext = { path = \"../my_ext\" }'",
		},
		{
			name: "cargo text over two lines",
			body: distHeader + "extensions:\n  - cargo: |\n      a = \"1\"\n      b = \"2\"\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: spans several lines; want one dependency line, e.g. 'my-ext = { path = \"../my_ext\" }'",
		},
		{
			name: "cargo value of the wrong type",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = 3'\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: my-ext: want a version string or an inline table, got int64",
		},
		{
			name: "cargo table without a source",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = { features = [\"x\"] }'\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: my-ext: say where the crate comes from (version, path, git or registry)",
		},
		{
			name: "workspace dependency",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = { workspace = true }'\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: my-ext: workspace = true cannot work here: the generated crate is not in your workspace",
		},
		{
			name: "path without a crate",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = { path = \"nowhere\" }'\n",
			want: "extensions[0]: cargo: my-ext: path DIR/nowhere holds no Cargo.toml",
		},
		{
			name: "the boundary crate itself",
			body: distHeader + "extensions:\n  - cargo: 'otelcol-rust-ffi = \"0.1\"'\n",
			want: "manifest.yaml:5:12: extensions[0]: cargo: otelcol-rust-ffi is added by the builder itself; list component crates only",
		},
		{
			name: "the same crate twice",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = { path = \"my_ext\" }'\n  - cargo: 'other = { package = \"my-ext\", version = \"1\" }'\n",
			want: "manifest.yaml:6:12: extensions[1]: crate my-ext is already listed at extensions[0] (a crate registers its types once)",
		},
		{
			name: "cargo under connectors",
			body: distHeader + "connectors:\n  - cargo: 'my-ext = \"1\"'\n",
			want: "manifest.yaml:5:12: connectors[0]: cargo modules can only be extensions, receivers, processors or exporters for now (Rust connectors are not supported yet)",
		},
		{
			name: "the same crate twice in a second section",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = { path = \"my_ext\" }'\nexporters:\n  - cargo: 'my-ext = { path = \"my_ext\" }'\n  - cargo: 'my-ext = { path = \"my_ext\" }'\n",
			want: "manifest.yaml:8:12: exporters[1]: crate my-ext is already listed at exporters[0] (a crate registers its types once)",
		},
		{
			name: "one crate written two ways in two sections",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = { path = \"my_ext\" }'\nexporters:\n  - cargo: 'my-ext = { path = \"my_ext\", features = [\"x\"] }'\n",
			want: "manifest.yaml:7:12: exporters[0]: crate my-ext is listed at extensions[0] as my-ext = { path = \"my_ext\" }; a crate listed in several sections is one dependency, so write the same line in each",
		},
		{
			name: "a Go-only key on a cargo module",
			body: distHeader + "extensions:\n  - cargo: 'my-ext = \"1\"'\n    path: my_ext\n",
			want: "manifest.yaml:6:5: extensions[0]: \"path\" does not apply to a cargo module; everything about the crate goes in the cargo line",
		},
		{
			name: "module that is not a mapping",
			body: distHeader + "extensions:\n  - my-ext\n",
			want: "manifest.yaml:5:5: extensions[0]: a module is a mapping with gomod: or cargo:",
		},
		{
			name: "cgo disabled with Rust modules",
			body: "dist:\n  name: mycol\n  cgo_enabled: false\nextensions:\n  - cargo: 'my-ext = \"1\"'\n",
			want: "manifest.yaml:3:16: dist.cgo_enabled: must not be false: Rust components are linked through cgo",
		},
		{
			name: "no dist.name",
			body: "dist:\n  output_path: out\n",
			want: "manifest.yaml:2:3: dist.name: missing; it names the binary and the generated Rust crate",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeManifest(t, tc.body)
			_, err := LoadManifest(path)
			if err == nil {
				t.Fatal("manifest accepted")
			}
			got := strings.ReplaceAll(err.Error(), filepath.Dir(path), "DIR")
			want := strings.ReplaceAll(tc.want, "manifest.yaml:", "DIR/manifest.yaml:")
			if !strings.HasPrefix(tc.want, "manifest.yaml") {
				want = "DIR/manifest.yaml:5:12: " + tc.want
			}
			if got != want {
				t.Errorf("error\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

// Guarantees: every problem in a manifest is reported at once, not one per run.
func TestManifestErrorsAreAllReported(t *testing.T) {
	path := writeManifest(t, distHeader+"extensions:\n  - import: x\n  - cargo: 'my-ext = 3'\n")
	_, err := LoadManifest(path)
	if err == nil {
		t.Fatal("manifest accepted")
	}
	for _, want := range []string{"extensions[0]: has neither", "extensions[1]: cargo: my-ext: want a version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// Guarantees: a valid manifest keeps each cargo line as written, except that a relative path is
// rebased onto the manifest's directory; Go modules and other settings pass through for ocb.
func TestManifestCargoModules(t *testing.T) {
	path := writeManifest(t, distHeader+`telemetry:
  gomod: example.com/telemetry v1.0.0
  path: ../telemetry
extensions:
  - gomod: go.opentelemetry.io/collector/extension/zpagesextension v0.164.0
    path: ../zpages
  - cargo: 'my-ext = { path = "my_ext", features = ["fast"] }'
  - cargo: 'renamed = { package = "other-ext", version = "0.3" }'
`)
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(path)
	if m.Name != "mycol" || m.OutputPath != filepath.Join(dir, "out") {
		t.Errorf("name %q, output path %q", m.Name, m.OutputPath)
	}
	if len(m.Cargo) != 2 {
		t.Fatalf("cargo modules: %+v", m.Cargo)
	}
	first, second := m.Cargo[0], m.Cargo[1]
	if want := `my-ext = { path = "` + filepath.Join(dir, "my_ext") + `", features = ["fast"] }`; first.Line != want {
		t.Errorf("line %q, want %q", first.Line, want)
	}
	if first.Text != `my-ext = { path = "my_ext", features = ["fast"] }` || first.Where != "extensions[1]" || first.Pos != path+":10:5" {
		t.Errorf("module %+v", first)
	}
	if second.Key != "renamed" || second.Package != "other-ext" || second.Line != second.Text {
		t.Errorf("module %+v", second)
	}
	extensions := m.doc["extensions"].([]any)
	if len(extensions) != 1 || extensions[0].(map[string]any)["path"] != filepath.Join(filepath.Dir(dir), "zpages") {
		t.Errorf("Go modules for ocb: %v", extensions)
	}
	if telemetry := m.doc["telemetry"].(map[string]any); telemetry["path"] != filepath.Join(filepath.Dir(dir), "telemetry") {
		t.Errorf("telemetry module for ocb: %v", telemetry)
	}
}

// Guarantees: a crate registering components of two kinds may be listed under both sections,
// written alike (a relative path and the same directory written absolute count as alike): it
// is one module, one dependency of the generated crate, with both listings kept for the kind
// checks; a crate under exporters: alone is one exporter listing.
func TestManifestCrateInTwoSections(t *testing.T) {
	path := writeManifest(t, distHeader+`extensions:
  - cargo: 'my-ext = { path = "my_ext" }'
exporters:
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.164.0
  - cargo: 'my-ext = { path = "MY_EXT" }'
  - cargo: 'other-ext = "0.3"'
`)
	abs := filepath.Join(filepath.Dir(path), "my_ext")
	if err := os.WriteFile(path, []byte(strings.Replace(read(t, path), "MY_EXT", abs, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Cargo) != 2 {
		t.Fatalf("cargo modules: %+v", m.Cargo)
	}
	both, exporter := m.Cargo[0], m.Cargo[1]
	want := []Listing{{"extensions", "extensions[0]", path + ":5:5"}, {"exporters", "exporters[1]", path + ":8:5"}}
	if !slices.Equal(both.Listings, want) || both.Where != "extensions[0]" || both.Line != `my-ext = { path = "`+abs+`" }` {
		t.Errorf("module in two sections: %+v, want listings %+v", both, want)
	}
	if want := []Listing{{"exporters", "exporters[2]", path + ":9:5"}}; !slices.Equal(exporter.Listings, want) || exporter.Listings[0].Kind() != "exporter" {
		t.Errorf("exporter module: %+v, want listings %+v", exporter, want)
	}
	exporters := m.doc["exporters"].([]any)
	if len(exporters) != 1 || exporters[0].(map[string]any)["gomod"] != "go.opentelemetry.io/collector/exporter/debugexporter v0.164.0" {
		t.Errorf("Go modules for ocb: %v", exporters)
	}
}

// Guarantees: a cargo module under processors: is a processor listing (the kind the list step
// checks its crate for), kept out of ocb's processors beside the Go ones, which pass through.
func TestManifestProcessorModules(t *testing.T) {
	path := writeManifest(t, distHeader+`processors:
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v0.164.0
  - cargo: 'my-ext = { path = "my_ext" }'
`)
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Listing{{"processors", "processors[1]", path + ":6:5"}}
	if len(m.Cargo) != 1 || !slices.Equal(m.Cargo[0].Listings, want) || m.Cargo[0].Listings[0].Kind() != "processor" {
		t.Fatalf("cargo modules %+v, want one with listings %+v of kind processor", m.Cargo, want)
	}
	processors := m.doc["processors"].([]any)
	if len(processors) != 1 || processors[0].(map[string]any)["gomod"] != "go.opentelemetry.io/collector/processor/batchprocessor v0.164.0" {
		t.Errorf("Go modules for ocb: %v", processors)
	}
}

// Guarantees: a cargo module under receivers: is a receiver listing (the kind the list step
// checks its crate for), kept out of ocb's receivers beside the Go ones, which pass through;
// one crate may be listed under receivers: and exporters: (rust_otlphttp is both).
func TestManifestReceiverModules(t *testing.T) {
	path := writeManifest(t, distHeader+`receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0
  - cargo: 'my-ext = { path = "my_ext" }'
exporters:
  - cargo: 'my-ext = { path = "my_ext" }'
`)
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Listing{{"receivers", "receivers[1]", path + ":6:5"}, {"exporters", "exporters[0]", path + ":8:5"}}
	if len(m.Cargo) != 1 || !slices.Equal(m.Cargo[0].Listings, want) || m.Cargo[0].Listings[0].Kind() != "receiver" {
		t.Fatalf("cargo modules %+v, want one with listings %+v, the first of kind receiver", m.Cargo, want)
	}
	receivers := m.doc["receivers"].([]any)
	if len(receivers) != 1 || receivers[0].(map[string]any)["gomod"] != "go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0" {
		t.Errorf("Go modules for ocb: %v", receivers)
	}
}
