//go:build !otelcolrust_testcomponents && !otelcolrust_distribution

package rustffi

// The cgo link flags for the Rust archive, kept alone in this file so Bazel (which links the
// archive through cdeps) can exclude it. The archive is built with fat LTO so that it is one
// object and no component registration can be left behind by the linker (see
// rust/Cargo.toml, [profile.release]).

// #cgo LDFLAGS: ${SRCDIR}/../../../rust/target/release/libotelcol_rust.a -ldl -lpthread -lm
import "C"

// linkedArchive is the archive named above, relative to the repository root.
const linkedArchive = "rust/target/release/libotelcol_rust.a"
