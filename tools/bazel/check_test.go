package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/bazelbuild/buildtools/build"
)

const repoRoot = "../.."

// Guarantees: the committed graph agrees with the sources (what make check-bazel enforces).
func TestRepositoryGraphIsConsistent(t *testing.T) {
	if problems := check(repoRoot); len(problems) > 0 {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
}

// fixture unpacks testdata/graph.txtar (a minimal graph and the sources the checks read) into a
// temp dir. The broken-on-purpose cases edit it, not the live tree, so they do not depend on
// how the live BUILD files are laid out or ordered.
func fixture(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "graph.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	// txtar: a comment, then files, each introduced by a "-- name --" line.
	var name string
	var body strings.Builder
	flush := func() {
		if name == "" {
			return
		}
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if header, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "-- "); ok && strings.HasSuffix(header, " --") {
			flush()
			name = strings.TrimSuffix(header, " --")
			continue
		}
		if name != "" {
			body.WriteString(line)
		}
	}
	flush()
	return root
}

// Guarantees: the fixture itself passes, so each broken case fails for its own edit only.
func TestFixtureGraphIsConsistent(t *testing.T) {
	if problems := check(fixture(t)); len(problems) > 0 {
		t.Fatalf("problems:\n%s", strings.Join(problems, "\n"))
	}
}

// edit is one deliberate break of the fixture.
type edit struct {
	file, old, new string // replace old by new in file; old == "" appends new
}

// Guarantees: each kind of drift between the graph and the sources is caught, with a message
// naming the file and what is wrong.
func TestBrokenGraphsAreRejected(t *testing.T) {
	cases := []struct {
		name  string
		edits []edit
		want  []string
	}{
		{
			name:  "a crate's unit tests lose their rust_test",
			edits: []edit{{"rust/sdk/BUILD.bazel", `crate = ":otelcol_rust_sdk",` + "\n    edition", `crate = ":other",` + "\n    edition"}},
			want:  []string{`rust/sdk/BUILD.bazel: crate otelcol_rust_sdk has unit tests but no rust_test(crate = ":otelcol_rust_sdk")`},
		},
		{
			name:  "integration tests left out",
			edits: []edit{{"rust/ffi/BUILD.bazel", `srcs = glob(["tests/*.rs"]),`, `srcs = ["tests/churn.rs"],`}},
			want:  []string{"rust/ffi/BUILD.bazel: integration test rust/ffi/tests/reply_memory.rs is in no rust_test or rust_test_suite"},
		},
		{
			name:  "Rust sources left out of the library",
			edits: []edit{{"rust/sdk/BUILD.bazel", `srcs = glob(["src/**/*.rs"]),` + "\n    edition", `srcs = ["src/lib.rs"],` + "\n    edition"}},
			want:  []string{"rust/sdk/BUILD.bazel: rust/sdk/src/registry.rs is in no target's srcs"},
		},
		{
			name:  "edition differs from Cargo.toml",
			edits: []edit{{"rust/ffi/BUILD.bazel", "    ),\n    edition = \"2021\",", "    ),\n    edition = \"2024\","}},
			want:  []string{`rust/ffi/BUILD.bazel: rust_library "otelcol_rust_ffi" has edition = "2024", Cargo.toml says "2021"`},
		},
		{
			name:  "a proc-macro crate built as a library",
			edits: []edit{{"rust/ffi/macros/BUILD.bazel", "rust_proc_macro(", "rust_library("}},
			want:  []string{`rust/ffi/macros/BUILD.bazel: rust_library "macros" builds crate otelcol_rust_ffi_macros, but Cargo builds it as a rust_proc_macro`},
		},
		{
			name:  "a proc-macro dependency left out",
			edits: []edit{{"rust/ffi/BUILD.bazel", `proc_macro_deps = ["//rust/ffi/macros"] + all_crate_deps(proc_macro = True),` + "\n    deps = [\"//rust/sdk:otelcol_rust_sdk\"] + all_crate_deps(normal = True),\n)\n\n# The same", `proc_macro_deps = all_crate_deps(proc_macro = True),` + "\n    deps = [\"//rust/sdk:otelcol_rust_sdk\"] + all_crate_deps(normal = True),\n)\n\n# The same"}},
			want:  []string{`rust/ffi/BUILD.bazel: rust_library "otelcol_rust_ffi" lacks a dep on //rust/ffi/macros (Cargo.toml depends on otelcol-rust-ffi-macros)`},
		},
		{
			name: "a new workspace member without targets",
			edits: []edit{
				{"rust/Cargo.toml", `"testing/chaos"]`, `"testing/chaos", "components/new_ext"]`},
				{"rust/components/new_ext/Cargo.toml", "", "[package]\nname = \"new-ext\"\nedition.workspace = true\n"},
				{"rust/components/new_ext/src/lib.rs", "", "//! New.\n"},
			},
			want: []string{
				"rust/components/new_ext: Cargo workspace member without a BUILD.bazel",
				`MODULE.bazel: crate.from_cargo(manifests) lacks "//rust/components/new_ext:Cargo.toml"`,
			},
		},
		{
			name:  "a second Rust static library",
			edits: []edit{{"rust/ffi/BUILD.bazel", "", "\nrust_static_library(\n    name = \"ffi_static\",\n    srcs = [\"src/lib.rs\"],\n    crate_name = \"ffi_static\",\n)\n"}},
			want:  []string{`rust/ffi/BUILD.bazel: rust_static_library "ffi_static": Go links exactly one Rust static library, and it lives in //rust/staticlib`},
		},
		{
			name:  "a static library that may drop registrations",
			edits: []edit{{"rust/staticlib/BUILD.bazel", "        \"-Ccodegen-units=1\",\n", ""}},
			want:  []string{`rust/staticlib/BUILD.bazel: rust_static_library "staticlib" lacks rustc_flags "-Ccodegen-units=1" (want ["-Clto=fat" "-Ccodegen-units=1" "-Copt-level=3"]: one object, so no registration can be dropped)`},
		},
		{
			name:  "the static library without its own fat LTO",
			edits: []edit{{"rust/staticlib/BUILD.bazel", "        \"-Clto=fat\",\n", ""}},
			want:  []string{`rust/staticlib/BUILD.bazel: rust_static_library "staticlib" lacks rustc_flags "-Clto=fat" (want ["-Clto=fat" "-Ccodegen-units=1" "-Copt-level=3"]: one object, so no registration can be dropped)`},
		},
		{
			// Defect 1 of issue 11: the old graph's second target for the test components.
			name: "two static libraries with one crate_name",
			edits: []edit{{"rust/staticlib/BUILD.bazel", "", `
rust_static_library(
    name = "staticlib_testcomponents",
    srcs = ["src/lib.rs"],
    crate_name = "otelcol_rust",
    edition = "2024",
    rustc_flags = ["-Clto=fat", "-Ccodegen-units=1", "-Copt-level=3"],
    deps = ["//rust/components/rust_sample", "//rust/ffi:otelcol_rust_ffi"],
)
`}},
			want: []string{
				`rust/staticlib/BUILD.bazel: rust_static_library "staticlib" and rust_static_library "staticlib_testcomponents" both declare rust/staticlib/libotelcol_rust.a (conflicting actions); give one another name (crate_name, out)`,
				`want exactly one rust_static_library (in //rust/staticlib; variants select() their deps), found 2: ["//rust/staticlib:staticlib" "//rust/staticlib:staticlib_testcomponents"]`,
			},
		},
		{
			name: "two generated files with one name",
			edits: []edit{{"go/internal/rustffi/BUILD.bazel", "", `
write_file(
    name = "other",
    out = "link_bazel.go",
    content = ["package rustffi"],
)
`}},
			want: []string{`go/internal/rustffi/BUILD.bazel: write_file "link_bazel" and write_file "other" both declare go/internal/rustffi/link_bazel.go (conflicting actions); give one another name (crate_name, out)`},
		},
		{
			name:  "fat LTO on a library",
			edits: []edit{{"rust/sdk/BUILD.bazel", "    edition = \"2024\",\n", "    edition = \"2024\",\n    rustc_flags = [\"-Clto=fat\"],\n"}},
			want:  []string{`rust/sdk/BUILD.bazel: rust_library "otelcol_rust_sdk" sets "-Clto=fat" in rustc_flags; LTO, codegen-unit and opt-level flags belong on the rust_static_library only (on a library they break the doc tests' link or the static library's fat LTO)`},
		},
		{
			name:  "bitcode left out of a test's dependencies",
			edits: []edit{{"rust/sdk/BUILD.bazel", "", "\nrust_test(\n    name = \"other_test\",\n    crate = \":otelcol_rust_sdk\",\n    edition = \"2024\",\n    rustc_flags = [\"-C\", \"embed-bitcode=no\"],\n)\n"}},
			want:  []string{`rust/sdk/BUILD.bazel: rust_test "other_test" sets "embed-bitcode=no" in rustc_flags; LTO, codegen-unit and opt-level flags belong on the rust_static_library only (on a library they break the doc tests' link or the static library's fat LTO)`},
		},
		{
			name:  "rules_rust's LTO mode left at its default",
			edits: []edit{{".bazelrc", "build --@rules_rust//rust/settings:lto=manual\n", ""}},
			want:  []string{".bazelrc: --@rules_rust//rust/settings:lto=manual is not in effect for every command (want it on a common or build line without a :config)"},
		},
		{
			// Defect 2 of issue 11: the old graph's global fat LTO.
			name:  "global fat LTO",
			edits: []edit{{".bazelrc", "build --@rules_rust//rust/settings:lto=manual\n", "build --@rules_rust//rust/settings:lto=fat\n"}},
			want: []string{
				".bazelrc:{lto}: --@rules_rust//rust/settings:lto=fat: rules_rust's LTO mode must stay manual; the static library sets -Clto=fat itself",
				".bazelrc: --@rules_rust//rust/settings:lto=manual is not in effect for every command (want it on a common or build line without a :config)",
			},
		},
		{
			name:  "LTO flags for every crate",
			edits: []edit{{".bazelrc", "", "build --@rules_rust//rust/settings:extra_rustc_flag=-Ccodegen-units=1\n"}},
			want:  []string{".bazelrc:{appended}: --@rules_rust//rust/settings:extra_rustc_flag=-Ccodegen-units=1 puts an LTO, codegen-unit or opt-level flag on every crate; it belongs on the rust_static_library only"},
		},
		{
			name:  "thin LTO under a config",
			edits: []edit{{".bazelrc", "", "build:release --@rules_rust//rust/settings:lto=thin\n"}},
			want:  []string{".bazelrc:{appended}: --@rules_rust//rust/settings:lto=thin: rules_rust's LTO mode must stay manual; the static library sets -Clto=fat itself"},
		},
		{
			name:  "strict action env turned off again",
			edits: []edit{{".bazelrc", "", "build --noincompatible_strict_action_env\n"}},
			want:  []string{".bazelrc: --incompatible_strict_action_env is not in effect for every command (want it on a common or build line without a :config)"},
		},
		{
			name:  "the machine's environment leaks in",
			edits: []edit{{".bazelrc", "", "build --action_env=PATH\n"}},
			want:  []string{".bazelrc:{appended}: --action_env=PATH passes this machine's environment into the build"},
		},
		{
			name:  "a crate pinned outside Cargo.lock",
			edits: []edit{{"MODULE.bazel", "", "\ncrate.spec(\n    package = \"serde\",\n    version = \"1.0.0\",\n)\n"}},
			want:  []string{"MODULE.bazel: crate.spec pins crates outside rust/Cargo.lock; add the dependency to a Cargo.toml instead"},
		},
		{
			name:  "a Go module pinned outside go.mod",
			edits: []edit{{"MODULE.bazel", "", "\ngo_deps.module(\n    path = \"github.com/pkg/errors\",\n    version = \"v0.9.1\",\n)\n"}},
			want:  []string{"MODULE.bazel: go_deps.module pins Go modules outside go/go.mod; require them in go/go.mod instead"},
		},
		{
			name:  "the cgo package links another target of the static library's package",
			edits: []edit{{"go/internal/rustffi/BUILD.bazel", `cdeps = ["//rust/staticlib"],`, `cdeps = ["//rust/staticlib:staticlib_testcomponents"],`}},
			want:  []string{`go/internal/rustffi/BUILD.bazel: go_library "rustffi" has cdeps "//rust/staticlib:staticlib_testcomponents"; Rust must come from //rust/staticlib only`},
		},
		{
			name:  "a component missing from the static library's deps",
			edits: []edit{{"rust/staticlib/BUILD.bazel", `deps = ["//rust/components/rust_sample"] + select({`, `deps = select({`}},
			want:  []string{`rust/staticlib/BUILD.bazel: rust_static_library "staticlib" lacks a dep on //rust/components/rust_sample (Cargo.toml depends on rust-sample)`},
		},
		{
			name:  "a feature's component missing from every variant",
			edits: []edit{{"rust/staticlib/BUILD.bazel", "        \"//rust/testing/chaos:rust_chaos\",\n", ""}},
			want:  []string{`rust/staticlib/BUILD.bazel: no library target has a dep on //rust/testing/chaos (Cargo.toml's optional dependency rust-chaos)`},
		},
		{
			name: "a dev-dependency missing from the tests",
			edits: []edit{
				{"rust/ffi/BUILD.bazel", `deps = ["//rust/components/rust_sample"] + all_crate_deps(normal_dev = True),`, `deps = all_crate_deps(normal_dev = True),`},
				{"rust/ffi/BUILD.bazel", "        \":otelcol_rust_ffi\",\n        \"//rust/components/rust_sample\",\n", "        \":otelcol_rust_ffi\",\n"},
			},
			want: []string{`rust/ffi/BUILD.bazel: no test target has a dep on //rust/components/rust_sample (Cargo.toml's dev-dependency rust-sample)`},
		},
		{
			name:  "a test built with another edition",
			edits: []edit{{"rust/ffi/BUILD.bazel", "    crate = \":otelcol_rust_ffi\",\n    edition = \"2021\",", "    crate = \":otelcol_rust_ffi\",\n    edition = \"2024\","}},
			want:  []string{`rust/ffi/BUILD.bazel: rust_test "otelcol_rust_ffi_test" has edition = "2024", Cargo.toml says "2021"`},
		},
		{
			name:  "a build script Bazel would skip",
			edits: []edit{{"rust/sdk/build.rs", "", "fn main() {}\n"}},
			want:  []string{"rust/sdk/BUILD.bazel: rust/sdk/build.rs has no cargo_build_script (Bazel would build the crate without it)"},
		},
		{
			name:  "an absolute path inside a flag",
			edits: []edit{{"rust/staticlib/BUILD.bazel", `        "-Copt-level=3",`, `        "-Copt-level=3", "-Clink-arg=-L/usr/local/lib",`}},
			want:  []string{`rust/staticlib/BUILD.bazel:{flagline}: absolute path "-Clink-arg=-L/usr/local/lib": use a label or a workspace-relative path`},
		},
		{
			name:  "gazelle in Bazel differs from the checking gazelle",
			edits: []edit{{"MODULE.bazel", `bazel_dep(name = "gazelle", version = "0.53.0")`, `bazel_dep(name = "gazelle", version = "0.52.0")`}},
			want:  []string{"MODULE.bazel: bazel_dep gazelle 0.52.0, but tools/bazel/go.mod pins v0.53.0"},
		},
		{
			name:  "a component the link test cannot see",
			edits: []edit{{"rust/components/extra/Cargo.toml", "", "[package]\nname = \"extra\"\n"}},
			want:  []string{`go/rustextension/BUILD.bazel: go_test "rustextension_test" lacks data "//rust/components/extra:Cargo.toml" (TestEveryRustComponentIsLinked lists rust/components)`},
		},
		{
			name:  "the cgo package links something else",
			edits: []edit{{"go/internal/rustffi/BUILD.bazel", `cdeps = ["//rust/staticlib"],`, `cdeps = ["//third_party:rustlib"],`}},
			want:  []string{`go/internal/rustffi/BUILD.bazel: go_library "rustffi" has cdeps "//third_party:rustlib"; Rust must come from //rust/staticlib only`},
		},
		{
			name:  "the cgo package loses its cdeps",
			edits: []edit{{"go/internal/rustffi/BUILD.bazel", `cdeps = ["//rust/staticlib"],`, ""}},
			want:  []string{`go/internal/rustffi/BUILD.bazel: cgo go_library "rustffi" has no cdeps on //rust/staticlib (the one Rust static library)`},
		},
		{
			name:  "Cargo's link flags reach the Bazel build",
			edits: []edit{{"go/internal/rustffi/BUILD.bazel", "# gazelle:exclude link.go\n", ""}},
			want:  []string{"go/internal/rustffi/BUILD.bazel: link.go carries Cargo's link flags (rust/target/...); exclude it with # gazelle:exclude link.go"},
		},
		{
			name:  "Go SDK differs from go.mod",
			edits: []edit{{"MODULE.bazel", `go_sdk.download(version = "1.26.0")`, `go_sdk.download(version = "1.25.0")`}},
			want:  []string{`MODULE.bazel: go_sdk.download(version = "1.25.0") but go/go.mod says go 1.26.0`},
		},
		{
			name:  "a direct Go dependency not brought into scope",
			edits: []edit{{"MODULE.bazel", "    \"org_uber_go_zap\",\n", ""}},
			want:  []string{`MODULE.bazel: use_repo(go_deps, ...) lacks "org_uber_go_zap" (go/go.mod requires go.uber.org/zap)`},
		},
		{
			name:  "Rust toolchain differs from rust-version",
			edits: []edit{{"MODULE.bazel", `versions = ["1.95.0"]`, `versions = ["1.94.0"]`}},
			want:  []string{`MODULE.bazel: rust.toolchain(versions = ["1.94.0"]) but rust/Cargo.toml says rust-version = "1.95"`},
		},
		{
			name:  "crates from another lock file",
			edits: []edit{{"MODULE.bazel", `cargo_lockfile = "//rust:Cargo.lock"`, `cargo_lockfile = "//:Cargo.lock"`}},
			want:  []string{`MODULE.bazel: crate.from_cargo(cargo_lockfile = "//:Cargo.lock"), want "//rust:Cargo.lock" (the committed lock file)`},
		},
		{
			name:  "a local override",
			edits: []edit{{"MODULE.bazel", "", "\nlocal_path_override(\n    module_name = \"rules_go\",\n    path = \"../rules_go\",\n)\n"}},
			want:  []string{"MODULE.bazel: local_path_override is not hermetic (it depends on this machine's files)"},
		},
		{
			name:  "a host Go SDK",
			edits: []edit{{"MODULE.bazel", `go_sdk.download(version = "1.26.0")`, "go_sdk.download(version = \"1.26.0\")\n\ngo_sdk.host()"}},
			want:  []string{"MODULE.bazel: go_sdk.host is not hermetic (it depends on this machine's files)"},
		},
		{
			name:  "an absolute path in a BUILD file",
			edits: []edit{{"examples/BUILD.bazel", `"manifest.yaml",`, `"manifest.yaml",` + "\n    \"/etc/otelcol/config.yaml\","}},
			want:  []string{`examples/BUILD.bazel:4: absolute path "/etc/otelcol/config.yaml": use a label or a workspace-relative path`},
		},
		{
			name:  "an absolute path in .bazelrc",
			edits: []edit{{".bazelrc", "", "build --disk_cache=/var/cache/bazel\n"}},
			want:  []string{`.bazelrc:{appended}: absolute path in "--disk_cache=/var/cache/bazel": use %workspace% or put it in user.bazelrc`},
		},
		{
			name:  "WORKSPACE grows dependencies",
			edits: []edit{{"WORKSPACE.bazel", "", "local_repository(\n    name = \"x\",\n    path = \"x\",\n)\n"}},
			want:  []string{"WORKSPACE.bazel: must stay empty: dependencies are declared in MODULE.bazel"},
		},
	}
	// The line number of a line appended to .bazelrc.
	bazelrc, err := os.ReadFile(filepath.Join(fixture(t), ".bazelrc"))
	if err != nil {
		t.Fatal(err)
	}
	appendedLine := strconv.Itoa(strings.Count(string(bazelrc), "\n") + 1)
	staticlib, err := os.ReadFile(filepath.Join(fixture(t), "rust", "staticlib", "BUILD.bazel"))
	if err != nil {
		t.Fatal(err)
	}
	placeholders := strings.NewReplacer(
		"{appended}", appendedLine,
		"{lto}", lineOf(t, string(bazelrc), "lto=manual"),
		"{flagline}", lineOf(t, string(staticlib), `"-Copt-level=3",`),
	)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := fixture(t)
			for _, e := range tc.edits {
				apply(t, root, e)
			}
			problems := check(root)
			for _, want := range tc.want {
				want = placeholders.Replace(want)
				if !slices.Contains(problems, want) {
					t.Errorf("missing problem %q; got:\n%s", want, strings.Join(problems, "\n"))
				}
			}
		})
	}
}

// lineOf is the (1-based) number of the first line of text that contains substr.
func lineOf(t *testing.T, text, substr string) string {
	t.Helper()
	for i, line := range strings.Split(text, "\n") {
		if strings.Contains(line, substr) {
			return strconv.Itoa(i + 1)
		}
	}
	t.Fatalf("no line contains %q", substr)
	return ""
}

// copyRepo copies the repository's sources (not build outputs or VCS data) to a temp dir.
func copyRepo(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if slices.Contains([]string{".git", ".tools", "bin", "target", "node_modules"}, d.Name()) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func apply(t *testing.T, root string, e edit) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(e.file))
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	text := string(data)
	switch {
	case e.old == "":
		text += e.new
	case !strings.Contains(text, e.old):
		t.Fatalf("%s does not contain %q", e.file, e.old)
	default:
		text = strings.Replace(text, e.old, e.new, 1)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Guarantees: a user who adds a component the way docs/writing-an-extension.md §1 and §4 say
// passes the checks and gazelle, whatever its name sorts before (rust_alpha comes before
// rust_sample in every list). The steps edit a copy of the live tree by parsing it, not at
// fixed places. (cargo update -w, also in §4, changes only Cargo.lock, which no check reads.)
func TestNewComponentFollowingTheGuidePasses(t *testing.T) {
	root := copyRepo(t)
	read := func(file string) string {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	write := func(file, text string) {
		path := filepath.Join(root, filepath.FromSlash(file))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// §1: the crate, a workspace member.
	write("rust/components/rust_alpha/Cargo.toml", "[package]\nname = \"rust-alpha\"\nversion.workspace = true\nedition.workspace = true\nrust-version.workspace = true\n\n[dependencies]\notelcol-rust-sdk.workspace = true\n")
	write("rust/components/rust_alpha/src/lib.rs", "//! A new component.\n")
	var ws struct {
		Workspace struct{ Members []string } `toml:"workspace"`
	}
	if _, err := toml.Decode(read("rust/Cargo.toml"), &ws); err != nil {
		t.Fatal(err)
	}
	members := strconv.Quote(ws.Workspace.Members[0])
	write("rust/Cargo.toml", strings.Replace(read("rust/Cargo.toml"), "members = ["+members, "members = [\"components/rust_alpha\", "+members, 1))
	// §4: rust/staticlib's Cargo.toml and src/lib.rs.
	write("rust/staticlib/Cargo.toml", strings.Replace(read("rust/staticlib/Cargo.toml"), "[dependencies]\n", "[dependencies]\nrust-alpha = { path = \"../components/rust_alpha\" }\n", 1))
	write("rust/staticlib/src/lib.rs", read("rust/staticlib/src/lib.rs")+"use rust_alpha as _;\n")
	// §4, Bazel: rust_sample's BUILD file copied with the targets renamed; the manifest in
	// MODULE.bazel, the link test's data, and the static library's deps.
	write("rust/components/rust_alpha/BUILD.bazel", strings.ReplaceAll(read("rust/components/rust_sample/BUILD.bazel"), "rust_sample", "rust_alpha"))
	addToList(t, root, "MODULE.bazel", "crate.from_cargo", "manifests", "//rust/components/rust_alpha:Cargo.toml")
	addToList(t, root, "go/rustextension/BUILD.bazel", "go_test", "data", "//rust/components/rust_alpha:Cargo.toml")
	addToList(t, root, "rust/staticlib/BUILD.bazel", "rust_static_library", "deps", "//rust/components/rust_alpha")

	if problems := check(root); len(problems) > 0 {
		t.Fatalf("check after adding rust_alpha:\n%s", strings.Join(problems, "\n"))
	}
	if err := runGazelle(root, false); err != nil {
		t.Fatalf("gazelle after adding rust_alpha: %v", err)
	}
}

// addToList adds value to the first list literal of attr (outside any select) in every rule of
// kind in file, sorting the list as buildifier would.
func addToList(t *testing.T, root, file, kind, attr, value string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(file))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	parse := build.ParseBuild
	if filepath.Base(file) == "MODULE.bazel" {
		parse = build.ParseModule
	}
	parsed, err := parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	rules := parsed.Rules(kind)
	if len(rules) == 0 {
		t.Fatalf("%s: no %s", file, kind)
	}
	for _, rule := range rules {
		list := firstList(rule.Attr(attr))
		if list == nil {
			t.Fatalf("%s: %s %q has no list in %s", file, kind, rule.Name(), attr)
		}
		list.List = append(list.List, &build.StringExpr{Value: value})
		slices.SortStableFunc(list.List, func(a, b build.Expr) int {
			as, _ := a.(*build.StringExpr)
			bs, _ := b.(*build.StringExpr)
			if as == nil || bs == nil {
				return 0
			}
			return strings.Compare(as.Value, bs.Value)
		})
	}
	if err := os.WriteFile(path, build.Format(parsed), 0o644); err != nil {
		t.Fatal(err)
	}
}

// firstList is the list literal of an attribute value: the value itself or the left-most
// operand of a `+` (["//a"] + select(...)).
func firstList(expr build.Expr) *build.ListExpr {
	switch e := expr.(type) {
	case *build.ListExpr:
		return e
	case *build.BinaryExpr:
		if list := firstList(e.X); list != nil {
			return list
		}
		return firstList(e.Y)
	}
	return nil
}
