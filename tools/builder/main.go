// Command builder builds an OpenTelemetry Collector distribution whose manifest lists Rust
// components as well as Go ones.
//
// The manifest is ocb's (the OpenTelemetry Collector Builder's), extended with `cargo:` modules:
//
//	extensions:
//	  - gomod: go.opentelemetry.io/collector/extension/zpagesextension v0.164.0
//	  - cargo: 'rust-sample = { path = "../rust/components/rust_sample" }'
//	receivers:
//	  - cargo: 'rust-otlphttp = { path = "../rust/components/rust_otlphttp" }'
//	processors:
//	  - cargo: 'rust-redaction = { path = "../rust/components/rust_redaction" }'
//	exporters:
//	  - cargo: 'rust-otlphttp = { path = "../rust/components/rust_otlphttp" }'
//
// The builder validates the manifest, generates the distribution's one Rust staticlib (the
// boundary plus every cargo module), makes its crate graph hold one SDK (the checkout's),
// builds it, lists the component types each module registers (a module must register one of
// the kind of each section it is listed in), generates a Go factory module per Rust type, then
// runs ocb (pinned in this module's go.mod) with cgo on and the archive in the link. It prints one line per step;
// cargo's, go's and ocb's output goes to OUTPUT/build.log (-v shows it too).
// See docs/distribution.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	config := flag.String("config", "", "the manifest (ocb's format plus cargo: modules)")
	repo := flag.String("otelcol-rust", "", "the otelcol-rust checkout whose rust/ and go/ the distribution uses (default: found from the working directory or the manifest)")
	output := flag.String("output-path", "", "where to write the generated sources and the binary (overrides dist.output_path)")
	verbose := flag.Bool("v", false, "show cargo's, go's and ocb's output as they run (it always goes to OUTPUT/"+logName+")")
	flag.Parse()
	if *config == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: builder --config manifest.yaml [--output-path DIR] [--otelcol-rust DIR] [-v]")
		os.Exit(2)
	}
	binary, err := build(options{Manifest: *config, Repo: *repo, OutputPath: *output, Verbose: *verbose}, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "builder:", err)
		os.Exit(1)
	}
	fmt.Println(binary)
}

// locateRepo returns the otelcol-rust checkout as an absolute path (it is written into generated
// files that are read from other directories): the given one, or the one found from the
// working directory or the manifest's.
func locateRepo(given, manifestDir string) (string, error) {
	if given == "" {
		return findRepo(".", manifestDir)
	}
	repo, err := filepath.Abs(given)
	if err != nil {
		return "", err
	}
	if !isRepo(repo) {
		return "", fmt.Errorf("--otelcol-rust %s: not an otelcol-rust checkout (no rust/ffi, go/internal/rustffi, tools/builder)", given)
	}
	return repo, nil
}

// findRepo walks up from each start directory to the otelcol-rust checkout.
func findRepo(starts ...string) (string, error) {
	for _, start := range starts {
		dir, err := filepath.Abs(start)
		if err != nil {
			continue
		}
		for {
			if isRepo(dir) {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("cannot find the otelcol-rust checkout (a directory with rust/ffi and go/internal/rustffi); pass --otelcol-rust")
}

func isRepo(dir string) bool {
	for _, marker := range []string{"rust/ffi/Cargo.toml", "go/internal/rustffi", "tools/builder/go.mod"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return false
		}
	}
	return true
}
