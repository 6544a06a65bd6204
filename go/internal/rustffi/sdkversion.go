package rustffi

import (
	"fmt"
	"strconv"
	"strings"
)

// SDKVersion is the otelcol-rust-sdk version this Go module speaks to: the version of the
// otelcol-rust release it belongs to, kept equal to rust/Cargo.toml's workspace version
// (TestSDKVersionIsTheWorkspaceVersion). The Rust archive a collector links may come from
// another release (a distribution's own main with this module at one version and an archive
// built from another checkout); ComponentTypes refuses a type registered with an SDK this
// version does not satisfy (docs/versioning.md).
const SDKVersion = "0.1.0"

// checkSDKVersions refuses the first type whose recorded SDK version `speaks` does not
// satisfy by Cargo's caret rule.
func checkSDKVersions(types []ComponentType, speaks string) error {
	for _, typ := range types {
		if caretMatches(typ.SDKVersion, speaks) {
			continue
		}
		factory := ""
		if typ.Factory != "" {
			factory = " (" + typ.Factory + ")"
		}
		const remedy = "build the Rust archive and the Go module from one otelcol-rust release (docs/versioning.md)"
		if typ.SDKVersion == "" {
			return fmt.Errorf("%s type %q%s records no otelcol-rust-sdk version (an archive older than this otelcol-rust Go module, which speaks SDK %s): %s",
				typ.Kind, typ.Type, factory, speaks, remedy)
		}
		return fmt.Errorf("%s type %q%s was built with otelcol-rust-sdk %s, which this otelcol-rust Go module (SDK %s) cannot run: it needs ^%s; %s",
			typ.Kind, typ.Type, factory, typ.SDKVersion, speaks, typ.SDKVersion, remedy)
	}
	return nil
}

// caretMatches reports whether version v satisfies Cargo's `^built`: v is in built's series
// (same major from 1.0 on, same minor in 0.y, same patch in 0.0.z) and not older. Only
// MAJOR.MINOR.PATCH numbers are read (build metadata is ignored, as Cargo does); a
// pre-release on either side matches only the identical version, which is stricter than Cargo
// and all a lockstep release needs.
func caretMatches(built, v string) bool {
	built, _, _ = strings.Cut(built, "+")
	v, _, _ = strings.Cut(v, "+")
	if strings.Contains(built, "-") || strings.Contains(v, "-") {
		return built == v
	}
	b, okB := parseVersion(built)
	h, okH := parseVersion(v)
	if !okB || !okH {
		return false
	}
	switch {
	case b[0] > 0:
		return h[0] == b[0] && (h[1] > b[1] || h[1] == b[1] && h[2] >= b[2])
	case b[1] > 0:
		return h[0] == 0 && h[1] == b[1] && h[2] >= b[2]
	default:
		return h == b
	}
}

// parseVersion reads MAJOR.MINOR.PATCH, each a decimal number.
func parseVersion(text string) ([3]uint64, bool) {
	var numbers [3]uint64
	parts := strings.Split(text, ".")
	if len(parts) != 3 {
		return numbers, false
	}
	for i, part := range parts {
		n, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return numbers, false
		}
		numbers[i] = n
	}
	return numbers, true
}
