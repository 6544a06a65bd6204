package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bazelbuild/buildtools/build"
)

// The table of rules_rust 0.73.0's lto.bzl (docs/bazel.md): what each mode adds per crate type.
func TestLtoFlags(t *testing.T) {
	for _, tc := range []struct {
		mode, crateType string
		want            []string
	}{
		{"unspecified", "rlib", []string{"-Cembed-bitcode=no"}},
		{"unspecified", "staticlib", []string{"-Cembed-bitcode=no"}},
		{"manual", "rlib", nil},
		{"manual", "staticlib", nil},
		{"off", "rlib", []string{"-Clto=off", "-Cembed-bitcode=no"}},
		{"fat", "rlib", []string{"-Clto=fat", "-Clinker-plugin-lto"}},
		{"fat", "staticlib", []string{"-Clto=fat"}},
		{"fat", "bin", []string{"-Clto=fat"}},
		{"fat", "proc-macro", []string{"-Cembed-bitcode=no"}},
		{"thin", "rlib", []string{"-Clto=thin", "-Clinker-plugin-lto"}},
		{"thin", "dylib", []string{"-Clto=thin", "-Cembed-bitcode=no"}},
	} {
		got, err := ltoFlags(tc.mode, tc.crateType)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ltoFlags(%s, %s) = %q, %v; want %q", tc.mode, tc.crateType, got, err, tc.want)
		}
	}
	if _, err := ltoFlags("full", "rlib"); err == nil {
		t.Error("ltoFlags accepted a mode rules_rust does not have")
	}
}

func TestLtoMode(t *testing.T) {
	for rc, want := range map[string]string{
		"": "unspecified",
		"build --@rules_rust//rust/settings:lto=fat\n":                                                 "fat",
		"build --@rules_rust//rust/settings:lto=fat\nbuild --@@rules_rust//rust/settings:lto=manual\n": "manual",
		"common --@rules_rust//rust/settings:lto thin\n":                                               "thin",
		// A named config applies only with --config=...: plain `bazel test //...` does not see it.
		"build:release --@rules_rust//rust/settings:lto=fat\n": "unspecified",
		"# build --@rules_rust//rust/settings:lto=fat\n":       "unspecified",
	} {
		if got := ltoMode(rc); got != want {
			t.Errorf("ltoMode(%q) = %s, want %s", rc, got, want)
		}
	}
}

func TestDefaultValue(t *testing.T) {
	file, err := build.ParseBuild("BUILD.bazel", []byte(`x(
    a = ["-Clto=fat"] + select({":c": ["no"], "//conditions:default": ["-Copt-level=3"]}),
    b = select({":c": ["bench-abi"], "//conditions:default": []}),
)`))
	if err != nil {
		t.Fatal(err)
	}
	rule := file.Rules("x")[0]
	if got := defaultValue(rule.Attr("a")); !slices.Equal(got, []string{"-Clto=fat", "-Copt-level=3"}) {
		t.Errorf("a = %q", got)
	}
	if got := defaultValue(rule.Attr("b")); len(got) != 0 {
		t.Errorf("b = %q", got)
	}
}

func TestWrapRustcArgs(t *testing.T) {
	markers := replayMarkers(map[string][]string{"rlib": {"-Clinker-plugin-lto"}, "staticlib": {"-Clto=fat", "-Copt-level=3"}})
	for _, tc := range []struct {
		args, want []string
	}{
		{[]string{"--crate-type", "lib", "-Cembed-bitcode=no"}, []string{"--crate-type", "lib", "-Cembed-bitcode=no", "-Clinker-plugin-lto"}},
		{[]string{"--crate-type", "staticlib"}, []string{"--crate-type", "staticlib", "-Clto=fat", "-Copt-level=3"}},
		{[]string{"--crate-type", "bin"}, []string{"--crate-type", "bin"}},
		// cargo's probe of the target: markers dropped, nothing added.
		{[]string{"-", "--crate-type", "bin", "--crate-type", "rlib", "--print=file-names"}, []string{"-", "--crate-type", "bin", "--crate-type", "rlib", "--print=file-names"}},
	} {
		if got := wrapRustcArgs(slices.Concat(tc.args[:1], markers, tc.args[1:])); !slices.Equal(got, tc.want) {
			t.Errorf("wrapRustcArgs(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// The plan for the graph before issue 11 (global fat LTO, two static libraries) and after it
// (lto=manual, one static library with its own LTO flags), read from copies of the files.
func TestPlanReplay(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docTests := map[string]string{
		"rust/sdk/BUILD.bazel": `rust_library(name = "otelcol_rust_sdk")
rust_doc_test(name = "otelcol_rust_sdk_doc_test", crate = ":otelcol_rust_sdk")
`,
		"rust/ffi/BUILD.bazel": `rust_doc_test(name = "otelcol_rust_ffi_doc_test", crate = "//rust/ffi:otelcol_rust_ffi")
`,
	}
	old := map[string]string{
		".bazelrc": "build --@rules_rust//rust/settings:lto=fat\n",
		"rust/staticlib/BUILD.bazel": `rust_static_library(name = "staticlib", crate_name = "otelcol_rust", rustc_flags = ["-Ccodegen-units=1"])
rust_static_library(name = "staticlib_testcomponents", crate_name = "otelcol_rust", crate_features = ["bench-abi"], rustc_flags = ["-Ccodegen-units=1"])
`,
	}
	fixed := map[string]string{
		".bazelrc": "build --@rules_rust//rust/settings:lto=manual\n",
		"rust/staticlib/BUILD.bazel": `rust_static_library(
    name = "staticlib",
    crate_name = "otelcol_rust",
    crate_features = select({":test_components_enabled": ["bench-abi", "test-components"], "//conditions:default": []}),
    rustc_flags = ["-Clto=fat", "-Ccodegen-units=1", "-Copt-level=3"],
)
`,
	}
	plan := func(files map[string]string) replayPlan {
		t.Helper()
		graph := t.TempDir()
		for name, text := range files {
			if err := os.MkdirAll(filepath.Join(graph, filepath.Dir(name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(graph, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p, err := planReplay(root, graph, "x86_64-unknown-linux-gnu", "/usr/bin/gcc", "/wrapper")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	envOf := func(step replayStep, name string) string {
		for _, kv := range step.Env {
			if value, ok := strings.CutPrefix(kv, name+"="); ok {
				return value
			}
		}
		return ""
	}

	before := plan(mergeFiles(old, docTests))
	if !slices.Equal(before.RlibFlags, []string{"-Clto=fat", "-Clinker-plugin-lto"}) {
		t.Errorf("old graph: rlib flags %q", before.RlibFlags)
	}
	if got := envOf(before.DocTest, "RUSTDOCFLAGS"); got != "-Cembed-bitcode=yes -Clto=fat -Clinker-plugin-lto -Clinker=/usr/bin/gcc" {
		t.Errorf("old graph: RUSTDOCFLAGS %q", got)
	}
	if !slices.Equal(before.StaticlibFlags, []string{"-Clto=fat", "-Ccodegen-units=1"}) {
		t.Errorf("old graph: staticlib flags %q", before.StaticlibFlags)
	}

	after := plan(mergeFiles(fixed, docTests))
	if len(after.RlibFlags) != 0 || !slices.Equal(after.StaticlibFlags, []string{"-Clto=fat", "-Ccodegen-units=1", "-Copt-level=3"}) {
		t.Errorf("new graph: rlib %q, staticlib %q", after.RlibFlags, after.StaticlibFlags)
	}
	if slices.Contains(after.Staticlib.Args, "--features") {
		t.Errorf("new graph: the default configuration has no features: %q", after.Staticlib.Args)
	}
	if got := envOf(after.Staticlib, "RUSTFLAGS"); !strings.HasSuffix(got, "--bazel-replay-staticlib=-Copt-level=3") {
		t.Errorf("new graph: RUSTFLAGS %q", got)
	}
	if !slices.Contains(after.DocTest.Args, "otelcol-rust-sdk") || !slices.Contains(after.DocTest.Args, "otelcol-rust-ffi") {
		t.Errorf("doc tests of both crates: %q", after.DocTest.Args)
	}
	if filepath.Base(after.Archive) != "libotelcol_rust.a" {
		t.Errorf("archive %s", after.Archive)
	}
}

func mergeFiles(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
