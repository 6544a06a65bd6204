// Command rusttypes prints the component types registered in the Rust archive it is linked
// with: one JSON array on stdout, sorted by kind then type, of rustffi.ComponentType objects:
//
//	[{"kind":"exporter","type":"rust_otlphttp","stability":"Development",
//	  "factory":"rust_otlphttp::OtlpHttpFactory","sdk_version":"0.1.0","signals":["traces","metrics","logs"]},
//	 {"kind":"extension","type":"rust_sample","stability":"Development",
//	  "factory":"rust_sample::SampleFactory","sdk_version":"0.1.0"}]
//
// `kind` is "extension" or "exporter" (one type may be registered in both); `signals` is an
// exporter's pipelines and absent for other kinds; `factory` is the factory's Rust type path,
// whose first segment is the crate that defines it.
//
// tools/builder runs it against a distribution's freshly built archive (-tags
// otelcolrust_distribution, the archive in CGO_LDFLAGS) to learn which Go factory packages to
// generate, which cargo module registers what, and what `components` must then list. It fails
// (exit 1, the reason on stderr) when the registry does (a type registered twice in one kind,
// say) and when a type was built with an SDK this Go module cannot run (docs/versioning.md).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/otelcol-rust/otelcol-rust/go/internal/rustffi"
)

func main() {
	types, err := rustffi.ComponentTypes()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := json.NewEncoder(os.Stdout).Encode(types); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
