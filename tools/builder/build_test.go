package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// components is `components` output of a collector with two Rust extensions and a Go one, a
// Rust exporter (traces and logs) beside a Go one, a Rust processor (traces and metrics) beside
// a Go one, and a Rust receiver (metrics and logs) beside a Go one, as the collector (otelcol
// v0.164.0) prints it.
const components = `buildinfo:
    command: otelcol-rust
    version: 0.1.0-dev
receivers:
    - name: otlp
      module: go.opentelemetry.io/collector/receiver/otlpreceiver v0.164.0
      stability:
        logs: Stable
        metrics: Stable
        traces: Stable
    - name: rust_otlphttp
      module: example.com/dist/rustfactories/receiver/rust_otlphttp v0.0.0
      stability:
        logs: Alpha
        metrics: Alpha
        traces: Undefined
processors:
    - name: batch
      module: go.opentelemetry.io/collector/processor/batchprocessor v0.164.0
      stability:
        logs: Beta
        metrics: Beta
        traces: Beta
    - name: rust_filter
      module: example.com/dist/rustfactories/processor/rust_filter v0.0.0
      stability:
        logs: Undefined
        metrics: Alpha
        traces: Alpha
exporters:
    - name: debug
      module: go.opentelemetry.io/collector/exporter/debugexporter v0.164.0
      stability:
        logs: Alpha
        metrics: Alpha
        traces: Alpha
    - name: rust_chaos
      module: example.com/dist/rustfactories/exporter/rust_chaos v0.0.0
      stability:
        logs: Beta
        metrics: Undefined
        traces: Beta
extensions:
    - name: rust_chaos
      module: example.com/dist/rustfactories/extension/rust_chaos v0.0.0
      stability:
        extension: Alpha
    - name: rust_sample
      module: example.com/dist/rustfactories/extension/rust_sample v0.0.0
      stability:
        extension: Development
    - name: zpages
      module: go.opentelemetry.io/collector/extension/zpagesextension v0.164.0
      stability:
        extension: Beta
`

// Guarantees: the builder's last step accepts a binary only if it lists every Rust type of its
// kind at the stability level the type's crate declares (a receiver's, a processor's or an
// exporter's for exactly its signals), and says which type is wrong and how. A type in two
// kinds is checked in each.
func TestCheckListed(t *testing.T) {
	sample := rustType{Kind: "extension", Type: "rust_sample", Stability: "Development"}
	chaosExporter := rustType{Kind: "exporter", Type: "rust_chaos", Stability: "Beta", Signals: []string{"traces", "logs"}}
	for _, tc := range []struct {
		name  string
		types []rustType
		want  string // error text; empty for none
	}{
		{"all listed as declared", []rustType{{Kind: "extension", Type: "rust_chaos", Stability: "Alpha"}, sample}, ""},
		{"a type missing", []rustType{sample, {Kind: "extension", Type: "rust_gone", Stability: "Development"}}, `the Rust extension "rust_gone" is not listed`},
		{"another level", []rustType{{Kind: "extension", Type: "rust_chaos", Stability: "Beta"}}, `the Rust extension "rust_chaos" is listed at stability "Alpha", its crate declares "Beta"`},
		{"an exporter and an extension of one type", []rustType{{Kind: "extension", Type: "rust_chaos", Stability: "Alpha"}, chaosExporter}, ""},
		{"an exporter listed only as an extension", []rustType{{Kind: "exporter", Type: "rust_sample", Stability: "Development", Signals: []string{"logs"}}}, `the Rust exporter "rust_sample" is not listed`},
		{"an exporter at another level", []rustType{{Kind: "exporter", Type: "rust_chaos", Stability: "Alpha", Signals: []string{"traces", "logs"}}},
			`the Rust exporter "rust_chaos" is listed at stability {traces: Beta, metrics: Undefined, logs: Beta}, its crate declares {traces: Alpha, metrics: Undefined, logs: Alpha}`},
		{"an exporter without a signal it declares", []rustType{{Kind: "exporter", Type: "rust_chaos", Stability: "Beta", Signals: []string{"traces", "metrics", "logs"}}},
			`the Rust exporter "rust_chaos" is listed at stability {traces: Beta, metrics: Undefined, logs: Beta}, its crate declares {traces: Beta, metrics: Beta, logs: Beta}`},
		{"a processor listed as declared", []rustType{{Kind: "processor", Type: "rust_filter", Stability: "Alpha", Signals: []string{"traces", "metrics"}}, sample}, ""},
		{"a processor listed only as an exporter", []rustType{{Kind: "processor", Type: "rust_chaos", Stability: "Beta", Signals: []string{"traces", "logs"}}}, `the Rust processor "rust_chaos" is not listed`},
		{"a processor without a signal it declares", []rustType{{Kind: "processor", Type: "rust_filter", Stability: "Alpha", Signals: []string{"traces", "metrics", "logs"}}},
			`the Rust processor "rust_filter" is listed at stability {traces: Alpha, metrics: Alpha, logs: Undefined}, its crate declares {traces: Alpha, metrics: Alpha, logs: Alpha}`},
		{"a receiver listed as declared", []rustType{{Kind: "receiver", Type: "rust_otlphttp", Stability: "Alpha", Signals: []string{"metrics", "logs"}}, sample}, ""},
		{"a receiver listed only as an exporter", []rustType{{Kind: "receiver", Type: "rust_chaos", Stability: "Beta", Signals: []string{"traces", "logs"}}}, `the Rust receiver "rust_chaos" is not listed`},
		{"a receiver without a signal it declares", []rustType{{Kind: "receiver", Type: "rust_otlphttp", Stability: "Alpha", Signals: []string{"traces", "metrics", "logs"}}},
			`the Rust receiver "rust_otlphttp" is listed at stability {traces: Undefined, metrics: Alpha, logs: Alpha}, its crate declares {traces: Alpha, metrics: Alpha, logs: Alpha}`},
		{"a receiver at another level", []rustType{{Kind: "receiver", Type: "rust_otlphttp", Stability: "Development", Signals: []string{"metrics", "logs"}}},
			`the Rust receiver "rust_otlphttp" is listed at stability {traces: Undefined, metrics: Alpha, logs: Alpha}, its crate declares {traces: Undefined, metrics: Development, logs: Development}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkListed([]byte(components), tc.types)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// Guarantees: a failed step's output is shown whole when short, its last lines when long (with
// where the rest is), and never another step's.
func TestShowStepEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "build.log")
	log, err := createBuildLog(path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	log.StartStep("builder: [3/8] resolve\n")
	fmt.Fprintln(log, "resolved")
	log.StartStep("builder: [4/8] build\n")
	fmt.Fprint(log, "error: short\n")
	var shown bytes.Buffer
	log.ShowStepEnd(&shown, 3)
	if want := "builder: the step's output (also in " + path + "):\nerror: short\n"; shown.String() != want {
		t.Errorf("short output shown as\n%s\nwant\n%s", shown.String(), want)
	}
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(log, "line %d\n", i)
	}
	shown.Reset()
	log.ShowStepEnd(&shown, 3)
	if want := "builder: the last 3 of the step's 6 lines of output (all of it is in " + path + "):\nline 3\nline 4\nline 5\n"; shown.String() != want {
		t.Errorf("long output shown as\n%s\nwant\n%s", shown.String(), want)
	}
	if logged := read(t, path); logged != "builder: [3/8] resolve\nresolved\nbuilder: [4/8] build\nerror: short\nline 1\nline 2\nline 3\nline 4\nline 5\n" {
		t.Errorf("build.log:\n%s", logged)
	}
}

// Guarantees: with -v, a failed cargo metadata (the resolve step) is streamed once and not
// repeated in the error; without -v the error carries its output.
func TestVerboseResolveFailureIsShownOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo")
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, "Cargo.toml"), []byte("[package]\nname = \"not-toml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := writeManifest(t, distHeader+"extensions:\n  - cargo: 'not-toml = { path = \""+broken+"\" }'\n")
	const cargoSays = "invalid basic string"
	var progress bytes.Buffer
	_, err := build(options{Manifest: manifest, Repo: repoRoot(t)}, &progress)
	if err == nil || !strings.HasPrefix(err.Error(), "step 3/8 (resolve the Rust crates (one SDK)) failed: cargo metadata failed") || !strings.Contains(err.Error(), cargoSays) {
		t.Fatalf("error without -v: %v", err)
	}
	progress.Reset()
	_, err = build(options{Manifest: manifest, Repo: repoRoot(t), Verbose: true}, &progress)
	if err == nil || !strings.HasPrefix(err.Error(), "step 3/8 (resolve the Rust crates (one SDK)) failed: cargo metadata failed") {
		t.Fatalf("error with -v: %v", err)
	}
	if strings.Contains(err.Error(), cargoSays) || strings.Count(progress.String(), cargoSays) != 1 {
		t.Errorf("with -v cargo's output is not shown once:\nprogress:\n%s\nerror: %v", progress.String(), err)
	}
}
