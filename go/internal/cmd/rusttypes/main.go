// Command rusttypes prints the extension types registered in the Rust archive it is linked
// with, as a JSON array of {"type": "rust_sample", "stability": "Development", "factory":
// "rust_sample::SampleFactory", "sdk_version": "0.1.0"} objects sorted by type
// (rustffi.ExtensionType). tools/builder runs it against a distribution's freshly built
// archive (-tags otelcolrust_distribution, the archive in CGO_LDFLAGS) to learn which Go factory
// packages to generate and what `components` must then list; it fails when the registry does
// (a duplicate type, say) and when a type was built with an SDK this Go module cannot run
// (docs/versioning.md).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

func main() {
	types, err := rustffi.ExtensionTypes()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(types); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
