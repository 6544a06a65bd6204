package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// componentFiles are the templates of a component of kind in this repository and where each
// goes in rust/components/NAME.
func componentFiles(kind string) map[string]string {
	files := sourceFiles(kind)
	files["component/Cargo.toml.tmpl"] = "Cargo.toml"
	files["component/BUILD.bazel.tmpl"] = "BUILD.bazel"
	return files
}

// wiring is one file a new component is added to.
type wiring struct {
	path string // relative to the checkout
	what string // what it gains, for the summary
	edit func(text string, d templateData) (string, error)
}

// wirings are every list of components that make test checks (docs/writing-an-extension.md §4),
// the same for every kind.
var wirings = []wiring{
	{"rust/Cargo.toml", "a workspace member and [workspace.dependencies] entry", editWorkspace},
	{"rust/staticlib/Cargo.toml", "a dependency (the archive the Go tests link)", editStaticlibCargo},
	{"rust/staticlib/src/lib.rs", "`use NAME as _;` (links its registration)", editStaticlibLib},
	{"rust/staticlib/BUILD.bazel", "a dep of //rust/staticlib", editStaticlibBuild},
	{"MODULE.bazel", "crate.from_cargo(manifests)", editModule},
	{"go/rustextension/BUILD.bazel", "data of rustextension_test (TestEveryRustComponentIsLinked lists rust/components)", editLinkTestData},
}

var (
	membersList          = regexp.MustCompile(`(?m)^members\s*=\s*\[`)
	workspaceDepsTable   = regexp.MustCompile(`(?m)^\[workspace\.dependencies\]`)
	componentDepLine     = regexp.MustCompile(`^([A-Za-z0-9_-]+) = \{ path = "components/`)
	componentsComment    = regexp.MustCompile(`(?m)^# Components\b`)
	workspaceDepLine     = regexp.MustCompile(`^([A-Za-z0-9_-]+)\.workspace = true$`)
	linkLine             = regexp.MustCompile(`^use ([a-z0-9_]+) as _;$`)
	staticLibraryRule    = regexp.MustCompile(`(?m)^rust_static_library\(`)
	depsList             = regexp.MustCompile(`\bdeps = \[`)
	fromCargoCall        = regexp.MustCompile(`(?m)^crate\.from_cargo\(`)
	manifestsList        = regexp.MustCompile(`\bmanifests = \[`)
	goTestRule           = regexp.MustCompile(`(?m)^go_test\(`)
	dataList             = regexp.MustCompile(`\bdata = \[`)
	componentLabelPrefix = "//rust/components/"
)

func editWorkspace(text string, d templateData) (string, error) {
	text, err := insertIntoList(text, 0, membersList, "components/"+d.Name, "components/", tomlList)
	if err != nil {
		return "", fmt.Errorf("[workspace] members: %w", err)
	}
	table := indexAfter(text, 0, workspaceDepsTable)
	if table < 0 {
		return "", errors.New("no [workspace.dependencies]")
	}
	text, err = insertLine(text, table, componentDepLine, fmt.Sprintf(`%s = { path = "components/%s" }`, d.Package, d.Name))
	if err != nil {
		return "", fmt.Errorf(`[workspace.dependencies] (the block of NAME = { path = "components/..." } lines): %w`, err)
	}
	return text, nil
}

func editStaticlibCargo(text string, d templateData) (string, error) {
	comment := indexAfter(text, 0, componentsComment)
	if comment < 0 {
		return "", errors.New("no `# Components.` comment above the components in [dependencies]")
	}
	text, err := insertLine(text, comment, workspaceDepLine, d.Package+".workspace = true")
	if err != nil {
		return "", fmt.Errorf("the components below `# Components.`: %w", err)
	}
	return text, nil
}

func editStaticlibLib(text string, d templateData) (string, error) {
	// The unconditional block: a line under an attribute (`#[cfg(feature = ...)]`) is a
	// test-only component's.
	from, offset := -1, 0
	previous := ""
	for _, line := range strings.SplitAfter(text, "\n") {
		if linkLine.MatchString(strings.TrimSuffix(line, "\n")) && !strings.HasPrefix(previous, "#[") {
			from = offset
			break
		}
		previous, offset = line, offset+len(line)
	}
	if from < 0 {
		return "", errors.New("no `use component as _;` line outside a #[cfg]")
	}
	text, err := insertLine(text, from, linkLine, "use "+d.Name+" as _;")
	if err != nil {
		return "", fmt.Errorf("the `use component as _;` lines: %w", err)
	}
	return text, nil
}

func editStaticlibBuild(text string, d templateData) (string, error) {
	rule := indexAfter(text, 0, staticLibraryRule)
	if rule < 0 {
		return "", errors.New("no rust_static_library")
	}
	return insertIntoList(text, rule, depsList, componentLabelPrefix+d.Name, componentLabelPrefix, bazelList)
}

func editModule(text string, d templateData) (string, error) {
	call := indexAfter(text, 0, fromCargoCall)
	if call < 0 {
		return "", errors.New("no crate.from_cargo")
	}
	// The list is kept sorted as a whole.
	return insertIntoList(text, call, manifestsList, componentLabelPrefix+d.Name+":Cargo.toml", "", bazelList)
}

func editLinkTestData(text string, d templateData) (string, error) {
	rule := indexAfter(text, 0, goTestRule)
	if rule < 0 {
		return "", errors.New("no go_test")
	}
	return insertIntoList(text, rule, dataList, componentLabelPrefix+d.Name+":Cargo.toml", componentLabelPrefix, bazelList)
}

// writeInRepo writes rust/components/NAME and wires it in. Every edit is computed before
// anything is written; if writing, formatting or Cargo's lock update fails, every file is put
// back as it was.
func writeInRepo(r *repo, data templateData, stdout io.Writer) error {
	dir := filepath.Join(r.Root, "rust", "components", data.Name)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("rust/components/%s already exists", data.Name)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	files, err := renderAll(dir, componentFiles(data.Kind), data)
	if err != nil {
		return err
	}
	originals := map[string][]byte{}
	edited := map[string][]byte{}
	for _, w := range wirings {
		path := filepath.Join(r.Root, w.path)
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out, err := w.edit(string(text), data)
		if err != nil {
			return fmt.Errorf("%s: %w; nothing was written (add %s by hand, docs/writing-an-extension.md §4)", w.path, err, data.Name)
		}
		originals[path], edited[path] = text, []byte(out)
	}
	lockPath := filepath.Join(r.Root, "rust", "Cargo.lock")
	if originals[lockPath], err = os.ReadFile(lockPath); err != nil {
		return err
	}

	restore := func(cause error) error {
		for path, text := range originals {
			if err := os.WriteFile(path, text, 0o644); err != nil {
				cause = fmt.Errorf("%w; restoring %s also failed: %v", cause, path, err)
			}
		}
		if err := os.RemoveAll(dir); err != nil {
			cause = fmt.Errorf("%w; removing %s also failed: %v", cause, dir, err)
		}
		return fmt.Errorf("%w (every file is back as it was)", cause)
	}
	for path, text := range edited {
		files[path] = text
	}
	if err := writeFiles(files); err != nil {
		return restore(err)
	}
	if err := rustfmt(data.Edition, []string{filepath.Join(dir, "src", "lib.rs"), filepath.Join(dir, "src", "config.rs")}); err != nil {
		return restore(err)
	}
	// Cargo records the new member in Cargo.lock (make's checks run with --locked). Offline: the
	// crate's dependencies are the workspace's, all locked already.
	cmd := exec.Command("cargo", "metadata", "--offline", "--format-version", "1", "--manifest-path", filepath.Join(r.Root, "rust", "Cargo.toml"))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Run(); err != nil {
		return restore(fmt.Errorf("updating rust/Cargo.lock (cargo metadata --offline): %w\n%s", err, strings.TrimSpace(stderr.String())))
	}

	printInRepoSummary(stdout, data)
	return nil
}

// printInRepoSummary prints what writeInRepo wrote and the commands to run next, from the
// checkout's root.
func printInRepoSummary(stdout io.Writer, data templateData) {
	fmt.Fprintf(stdout, "new-component: wrote rust/components/%s (crate %s, %s type %s):\n", data.Name, data.Package, data.Kind, data.Name)
	fmt.Fprintf(stdout, "  Cargo.toml      the workspace's dependencies and lints\n")
	fmt.Fprintf(stdout, "  src/config.rs   %s\n", kinds[data.Kind].config)
	fmt.Fprintf(stdout, "  src/lib.rs      %s\n", kinds[data.Kind].lib)
	fmt.Fprintf(stdout, "  BUILD.bazel     rust_library and rust_test\n")
	fmt.Fprintf(stdout, "and wired it into:\n")
	for _, w := range wirings {
		fmt.Fprintf(stdout, "  %-29s %s\n", w.path, strings.ReplaceAll(w.what, "NAME", data.Name))
	}
	fmt.Fprintf(stdout, "  %-29s the new member (cargo metadata --offline)\n", "rust/Cargo.lock")
	fmt.Fprintf(stdout, "Next:\n")
	// Run from the checkout's root as printed: the cd stays in a subshell, so make finds the Makefile.
	unitTests := fmt.Sprintf("(cd rust && cargo test -p %s)", data.Package)
	fmt.Fprintf(stdout, "  %-*s  # its unit tests\n", len(unitTests), unitTests)
	fmt.Fprintf(stdout, "  %-*s  # everything, including the check that %s is in the Go binary\n", len(unitTests), "make test", data.Name)
	fmt.Fprintf(stdout, "To ship it in the sample distribution (make build), add under %ss: in examples/manifest.yaml:\n", data.Kind)
	fmt.Fprintf(stdout, "  - cargo: '%s = { path = \"../rust/components/%s\" }'\n", data.Package, data.Name)
}
