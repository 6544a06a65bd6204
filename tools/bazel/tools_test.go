package main

import "testing"

// Guarantees: the pinned gazelle passes the committed Go BUILD files and fails when one no
// longer matches the sources (here: a test file dropped from a go_test; check leaves that to
// gazelle).
func TestGazelleFindsStaleBuildFiles(t *testing.T) {
	root := copyRepo(t)
	if err := runGazelle(root, false); err != nil {
		t.Fatalf("committed BUILD files: %v", err)
	}
	apply(t, root, edit{"go/internal/rustffi/BUILD.bazel", `"rustffi_test.go",`, ""})
	if err := runGazelle(root, false); err == nil {
		t.Fatal("gazelle accepted a go_test without rustffi_test.go")
	}
}

// Guarantees: the pinned buildifier passes the committed Bazel files and fails on an
// unformatted one and on a lint warning.
func TestBuildifierFindsUnformattedAndUnlintedFiles(t *testing.T) {
	root := copyRepo(t)
	if err := runBuildifier(root, false); err != nil {
		t.Fatalf("committed Bazel files: %v", err)
	}
	for name, e := range map[string]edit{
		"unformatted": {"examples/BUILD.bazel", "exports_files([", "exports_files( ["},
		"lint":        {"go/BUILD.bazel", "", "\ncc_library(name = \"native\")\n"},
	} {
		t.Run(name, func(t *testing.T) {
			broken := copyRepo(t)
			apply(t, broken, e)
			if err := runBuildifier(broken, false); err == nil {
				t.Fatalf("buildifier accepted %s", e.file)
			}
		})
	}
}
