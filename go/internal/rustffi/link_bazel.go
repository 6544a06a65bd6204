//go:build otelcolrust_bazel

package rustffi

// Bazel builds (.bazelrc sets -tags otelcolrust_bazel): the go_library's cdeps bring in
// //rust/staticlib, so no link flags are needed here, and gazelle excludes the Cargo link
// files (link.go, link_testcomponents.go, link_distribution.go).

// linkedArchive is empty: Bazel links the archive it built, not a path on disk.
const linkedArchive = ""
