// Package testutil holds helpers shared by this module's tests and benchmarks: free loopback
// ports, temp config files, and building the development collector (go/cmd/otelcol-rust).
package testutil

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CollectorPackage is the development collector's import path.
const CollectorPackage = "github.com/otelcol-rust/otelcol-rust/go/cmd/otelcol-rust"

// FreeEndpoint returns a loopback address whose port was free a moment ago.
func FreeEndpoint(tb testing.TB) string {
	tb.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().String()
}

// WriteConfig writes text to a config file in a temp dir and returns its path.
func WriteConfig(tb testing.TB, text string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BuildCollector builds the development collector with the given build tags into dir and returns
// the binary's path. It inherits GOFLAGS, so the Makefile's archive digest reaches the link.
//
// Under Bazel the binary is a data dependency instead (the test's BUILD file names it in
// $OTELCOL_RUST_COLLECTOR, a path from the workspace root), since a sandboxed test cannot run
// the go command.
func BuildCollector(tb testing.TB, dir, tags string) string {
	tb.Helper()
	if prebuilt := os.Getenv("OTELCOL_RUST_COLLECTOR"); prebuilt != "" {
		if tags == "otelcolrust_norust" {
			tb.Skip("the collector without Rust is not part of the Bazel graph")
		}
		return filepath.Join(os.Getenv("TEST_SRCDIR"), os.Getenv("TEST_WORKSPACE"), prebuilt)
	}
	bin := filepath.Join(dir, "otelcol-rust")
	if tags != "" {
		bin += "-" + tags
	}
	out, err := exec.Command("go", "build", "-tags", tags, "-o", bin, CollectorPackage).CombinedOutput()
	if err != nil {
		tb.Fatalf("go build %s: %v\n%s", CollectorPackage, err, out)
	}
	return bin
}
