//go:build otelcolrust_distribution && !otelcolrust_testcomponents

package rustffi

// Distributions built by tools/builder (-tags otelcolrust_distribution): the builder generates
// and builds the distribution's own Rust archive and passes its path in CGO_LDFLAGS, so this
// file names only the system libraries Rust's std needs.

// #cgo LDFLAGS: -ldl -lpthread -lm
import "C"

// linkedArchive is empty: the archive's path is not known when this package is compiled.
const linkedArchive = ""
