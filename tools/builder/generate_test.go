package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	repo, err := findRepo(".")
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// Guarantees: the generated crate lists the boundary crate and each cargo line (with where it
// came from), redirects crates.io's SDK to the checkout's, links each crate from lib.rs by the name Rust code knows it by (a rename, or a
// library name other than the package's), carries the workspace's release profile (the one
// that keeps registrations in the Go link) and starts from the workspace's lock file.
func TestGeneratedRustCrate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo metadata")
	}
	repo := repoRoot(t)
	customLib, err := filepath.Abs(filepath.Join("testdata", "custom-lib"))
	if err != nil {
		t.Fatal(err)
	}
	path := writeManifest(t, distHeader+"extensions:\n  - cargo: 'renamed-ext = { package = \"my-ext\", path = \"my_ext\" }'\n"+
		"  - cargo: 'custom-lib-crate = { path = \""+customLib+"\" }'\n")
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	crate := newRustCrate(m)
	if crate.Package != "otelcol-rust-dist-mycol" || crate.Lib != "otelcol_rust_dist_mycol" {
		t.Errorf("crate %+v", crate)
	}
	if err := crate.generate(m, repo); err != nil {
		t.Fatal(err)
	}
	crates, err := crate.resolve(m, repo, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	// Whose factories are whose: each module's own library crate, by rustc's name for it,
	// and what it brings in.
	if len(crates) != 2 || crates[0].Own != "my_ext" || crates[1].Own != "custom_name" || !slices.Contains(crates[1].Brought, "custom_name") {
		t.Errorf("module crates %+v", crates)
	}
	cargoToml := read(t, filepath.Join(crate.Dir, "Cargo.toml"))
	for _, want := range []string{
		`otelcol-rust-ffi = { path = "` + filepath.Join(repo, "rust", "ffi") + `" }`,
		"# extensions[0], " + path + ":5:5\nrenamed-ext = { package = \"my-ext\", path = \"" + filepath.Join(filepath.Dir(path), "my_ext") + "\" }\n",
		"# extensions[1], " + path + ":6:5\ncustom-lib-crate = { path = \"" + customLib + "\" }\n",
		"[patch.crates-io]\notelcol-rust-sdk = { path = \"" + filepath.Join(repo, "rust", "sdk") + "\" }\n",
		"[profile.release]\ncodegen-units = 1\ndebug = \"line-tables-only\"\nlto = \"fat\"\npanic = \"unwind\"\n",
		"crate-type = [\"staticlib\"]",
		"\n[workspace]\n",
	} {
		if !strings.Contains(cargoToml, want) {
			t.Errorf("Cargo.toml lacks %q:\n%s", want, cargoToml)
		}
	}
	libRs := read(t, filepath.Join(crate.Dir, "lib.rs"))
	for _, want := range []string{"pub use otelcol_rust_ffi;", "use renamed_ext as _; // extensions[0]", "use custom_name as _; // extensions[1]"} {
		if !strings.Contains(libRs, want) {
			t.Errorf("lib.rs lacks %q:\n%s", want, libRs)
		}
	}
	// Seeded from the workspace's lock: shared crates keep its versions; cargo adds the rest.
	lock, workspaceLock := read(t, filepath.Join(crate.Dir, "Cargo.lock")), read(t, filepath.Join(repo, "rust", "Cargo.lock"))
	tokio := regexp.MustCompile(`name = "tokio"\nversion = "[^"]+"`)
	if got, want := tokio.FindString(lock), tokio.FindString(workspaceLock); got == "" || got != want || !strings.Contains(lock, `name = "custom-lib-crate"`) {
		t.Errorf("Cargo.lock has %q, the workspace %q (or lacks custom-lib-crate)", got, want)
	}
}

// Guarantees: ocb gets the Go modules as written, one generated factory module per Rust type in
// place of the cargo modules, in the section of its kind (an extension's calls
// rustextension.NewFactory, an exporter's rustexporter.NewFactory, a processor's
// rustprocessor.NewFactory, a receiver's rustreceiver.NewFactory; one type may be of several
// kinds), cgo
// on, the distribution build tag, and replaces for this repository's Go module and the
// modules it replaces itself.
func TestOCBManifest(t *testing.T) {
	repo := repoRoot(t)
	path := writeManifest(t, distHeader+"  build_tags: netgo osusergo\n  version: 1.0\n"+`extensions:
  - gomod: go.opentelemetry.io/collector/extension/zpagesextension v0.164.0
  - cargo: 'my-ext = { path = "my_ext" }'
receivers:
  - gomod: go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0
  - cargo: 'my-ext = { path = "my_ext" }'
processors:
  - gomod: go.opentelemetry.io/collector/processor/batchprocessor v0.164.0
  - cargo: 'my-ext = { path = "my_ext" }'
exporters:
  - gomod: go.opentelemetry.io/collector/exporter/debugexporter v0.164.0
  - cargo: 'my-ext = { path = "my_ext" }'
replaces:
  - example.com/a => ../a
`)
	m, err := LoadManifest(path)
	if err != nil {
		t.Fatal(err)
	}
	m.SetOutputPath(filepath.Join(t.TempDir(), "out dir")) // a space, as in many home directories
	module, err := readGoModule(repo)
	if err != nil {
		t.Fatal(err)
	}
	factories := newGoFactories(m, []rustType{
		{Kind: "exporter", Type: "my_ext", Signals: []string{"logs"}},
		{Kind: "extension", Type: "my_ext"},
		{Kind: "extension", Type: "my_ext_two"},
		{Kind: "processor", Type: "my_ext", Signals: []string{"traces", "logs"}},
		{Kind: "receiver", Type: "my_ext", Signals: []string{"metrics"}},
	})
	for _, factory := range factories {
		if err := factory.generate(m, module); err != nil {
			t.Fatal(err)
		}
	}
	out, err := ocbManifest(m, factories, module)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := ocbManifest(m, factories, module); err != nil || string(again) != string(out) {
		t.Errorf("a second ocbManifest differs (%v):\n%s", err, again)
	}
	var got struct {
		Dist struct {
			CgoEnabled bool   `yaml:"cgo_enabled"`
			Version    any    `yaml:"version"`
			BuildTags  string `yaml:"build_tags"`
			OutputPath string `yaml:"output_path"`
		} `yaml:"dist"`
		Extensions []map[string]string `yaml:"extensions"`
		Receivers  []map[string]string `yaml:"receivers"`
		Processors []map[string]string `yaml:"processors"`
		Exporters  []map[string]string `yaml:"exporters"`
		Replaces   []string            `yaml:"replaces"`
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Dist.Version != "1.0" {
		t.Errorf("dist.version = %#v, want the string 1.0 as written", got.Dist.Version)
	}
	if !got.Dist.CgoEnabled || got.Dist.BuildTags != "netgo,osusergo,otelcolrust_distribution" || got.Dist.OutputPath != m.OutputPath {
		t.Errorf("dist %+v", got.Dist)
	}
	for section, want := range map[string][]string{
		"extensions": {
			"go.opentelemetry.io/collector/extension/zpagesextension v0.164.0",
			"go.opentelemetry.io/collector/cmd/builder/rustfactories/extension/my_ext v0.0.0",
			"go.opentelemetry.io/collector/cmd/builder/rustfactories/extension/my_ext_two v0.0.0",
		},
		"receivers": {
			"go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0",
			"go.opentelemetry.io/collector/cmd/builder/rustfactories/receiver/my_ext v0.0.0",
		},
		"processors": {
			"go.opentelemetry.io/collector/processor/batchprocessor v0.164.0",
			"go.opentelemetry.io/collector/cmd/builder/rustfactories/processor/my_ext v0.0.0",
		},
		"exporters": {
			"go.opentelemetry.io/collector/exporter/debugexporter v0.164.0",
			"go.opentelemetry.io/collector/cmd/builder/rustfactories/exporter/my_ext v0.0.0",
		},
	} {
		modules := map[string][]map[string]string{"extensions": got.Extensions, "receivers": got.Receivers, "processors": got.Processors, "exporters": got.Exporters}[section]
		var gomods, names []string
		for _, module := range modules {
			gomods = append(gomods, module["gomod"])
			if module["name"] != "" {
				names = append(names, module["name"])
			}
		}
		if !slices.Equal(gomods, want) {
			t.Errorf("%s: %v, want gomod %v", section, modules, want)
		}
		// ocb imports each under its name: the same type in two kinds needs two.
		if wantNames := map[string][]string{"extensions": {"rustextension_my_ext", "rustextension_my_ext_two"}, "receivers": {"rustreceiver_my_ext"}, "processors": {"rustprocessor_my_ext"}, "exporters": {"rustexporter_my_ext"}}[section]; !slices.Equal(names, wantNames) {
			t.Errorf("%s: import names %v, want %v", section, names, wantNames)
		}
	}
	for _, want := range []string{
		"example.com/a => ../a",
		"go.opentelemetry.io/collector/cmd/builder/rustfactories/extension/my_ext => \"" + filepath.Join(m.OutputPath, "rustfactories", "extension", "my_ext") + "\"",
		"go.opentelemetry.io/collector/cmd/builder/rustfactories/exporter/my_ext => \"" + filepath.Join(m.OutputPath, "rustfactories", "exporter", "my_ext") + "\"",
		"go.opentelemetry.io/collector/cmd/builder/rustfactories/processor/my_ext => \"" + filepath.Join(m.OutputPath, "rustfactories", "processor", "my_ext") + "\"",
		"go.opentelemetry.io/collector/cmd/builder/rustfactories/receiver/my_ext => \"" + filepath.Join(m.OutputPath, "rustfactories", "receiver", "my_ext") + "\"",
		"github.com/otelcol-rust/otelcol-rust/go => " + filepath.Join(repo, "go"),
		"github.com/ihciah/rust2go => " + filepath.Join(repo, "third_party", "rust2go"),
	} {
		if !strings.Contains(strings.Join(got.Replaces, "\n"), want) {
			t.Errorf("replaces %v lack %q", got.Replaces, want)
		}
	}
	for dir, want := range map[string][]string{
		filepath.Join("extension", "my_ext_two"): {
			`"go.opentelemetry.io/collector/extension"`, `"github.com/otelcol-rust/otelcol-rust/go/rustextension"`,
			`func NewFactory() extension.Factory { return rustextension.NewFactory("my_ext_two") }`,
		},
		filepath.Join("exporter", "my_ext"): {
			`"go.opentelemetry.io/collector/exporter"`, `"github.com/otelcol-rust/otelcol-rust/go/rustexporter"`,
			`func NewFactory() exporter.Factory { return rustexporter.NewFactory("my_ext") }`,
		},
		filepath.Join("processor", "my_ext"): {
			`"go.opentelemetry.io/collector/processor"`, `"github.com/otelcol-rust/otelcol-rust/go/rustprocessor"`,
			`func NewFactory() processor.Factory { return rustprocessor.NewFactory("my_ext") }`,
		},
		filepath.Join("receiver", "my_ext"): {
			`"go.opentelemetry.io/collector/receiver"`, `"github.com/otelcol-rust/otelcol-rust/go/rustreceiver"`,
			`func NewFactory() receiver.Factory { return rustreceiver.NewFactory("my_ext") }`,
		},
	} {
		factory := read(t, filepath.Join(m.OutputPath, "rustfactories", dir, "factory.go"))
		for _, want := range append(want, "package rustfactory") {
			if !strings.Contains(factory, want) {
				t.Errorf("%s/factory.go lacks %s:\n%s", dir, want, factory)
			}
		}
		goMod := read(t, filepath.Join(m.OutputPath, "rustfactories", dir, "go.mod"))
		collector := strings.Trim(want[0], `"`)
		if !strings.Contains(goMod, "\t"+collector+" "+module.Requires[collector]+"\n") {
			t.Errorf("%s/go.mod does not require %s at %s:\n%s", dir, collector, module.Requires[collector], goMod)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Guarantees: a relative --otelcol-rust becomes absolute (generated files are read from other
// directories), and a directory that is not a checkout is refused.
func TestLocateRepo(t *testing.T) {
	repo, err := locateRepo("../..", t.TempDir())
	if err != nil || repo != repoRoot(t) {
		t.Errorf("locateRepo(../..) = %q, %v; want %q", repo, err, repoRoot(t))
	}
	if _, err := locateRepo(t.TempDir(), "."); err == nil || !strings.Contains(err.Error(), "not an otelcol-rust checkout") {
		t.Errorf("locateRepo(empty dir): %v", err)
	}
}

// Guarantees: a cargo failure is blamed on the module its error line names, not on one that
// only has warnings.
func TestBlameNamesTheFailingModule(t *testing.T) {
	m := &Manifest{Cargo: []CargoModule{
		{Where: "extensions[0]", Pos: "m.yaml:3:5", Key: "warns", Package: "warns"},
		{Where: "extensions[1]", Pos: "m.yaml:4:5", Key: "fails", Package: "fails"},
	}}
	output := "warning: `warns` (lib) generated 1 warning\nerror[E0308]: mismatched types\nerror: could not compile `fails` (lib) due to 1 previous error\n"
	if got, want := blame(m, output), " in extensions[1] (m.yaml:4:5, crate fails)"; got != want {
		t.Errorf("blame = %q, want %q", got, want)
	}
	// A requirement cargo cannot meet names its package on the lines after the error.
	unmet := "    Updating git repository `file:///src/sdk`\n" +
		"error: failed to select a version for the requirement `otelcol-rust-sdk = \"^0.2\"`\n" +
		"candidate versions found which didn't match: 0.1.0\n" +
		"location searched: Git repository file:///src/sdk\n" +
		"required by package `helper v0.3.0 (/src/helper)`\n" +
		"    ... which satisfies path dependency `helper` of package `fails v0.1.0 (/src/fails)`\n" +
		"    ... which satisfies path dependency `fails` of package `otelcol-rust-dist-mycol v0.0.0 (/src/out/rust)`\n"
	if got, want := blame(m, unmet), " in extensions[1] (m.yaml:4:5, crate fails)"; got != want {
		t.Errorf("blame of an unmet requirement = %q, want %q", got, want)
	}
	if got := blame(m, "error: linking failed\n"); got != "" {
		t.Errorf("blame of an error naming no module = %q", got)
	}
}

// Guarantees: the release profile is copied with its nested tables under their full names.
func TestReleaseProfileKeepsNestedTables(t *testing.T) {
	cargoToml := writeFile(t, "Cargo.toml", "[profile.release]\nlto = \"fat\"\n\n[profile.release.package.foo]\nopt-level = 3\n")
	profile, err := releaseProfile(cargoToml)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[profile.release]\nlto = \"fat\"\n", "[profile.release.package.foo]\nopt-level = 3\n"} {
		if !strings.Contains(profile, want) {
			t.Errorf("profile lacks %q:\n%s", want, profile)
		}
	}
}
