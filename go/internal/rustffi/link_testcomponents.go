//go:build otelcolrust_testcomponents

package rustffi

// Test builds only (-tags otelcolrust_testcomponents): the archive that also holds the
// test-only components (rust/testing/), built by `make test`. Never used for a release binary.

// #cgo LDFLAGS: ${SRCDIR}/../../../rust/target/testlib/libotelcol_rust.a -ldl -lpthread -lm
import "C"

// linkedArchive is the archive named above, relative to the repository root.
const linkedArchive = "rust/target/testlib/libotelcol_rust.a"
