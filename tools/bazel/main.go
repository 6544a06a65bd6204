// Command bazel keeps the repository's Bazel graph (MODULE.bazel, BUILD.bazel files) in step
// with its Cargo and Go sources. Bazel itself cannot run on the project's machines, so these
// are the checks that can run without it (docs/bazel.md):
//
//	go run . gazelle [-fix]     Go BUILD files match the Go sources (gazelle -mode=diff)
//	go run . buildifier [-fix]  every Bazel file is formatted and lint-clean
//	go run . check              the graph agrees with go.mod, Cargo.toml/Cargo.lock and the
//	                            source tree, and is hermetic
//	go run . replay [-graph DIR] what rules_rust would run for the static library and the doc
//	                            tests, run with the local cargo/rustc/gcc (replay.go)
//
// Run from tools/bazel (its own module). Each takes -root, the repository root (default ../..,
// which is right from here).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
)

func main() {
	if os.Getenv(replayWrapperEnv) != "" {
		os.Exit(rustcWrapper(os.Args[1:])) // cargo runs this program as rustc's wrapper (replay.go)
	}
	if len(os.Args) < 2 {
		usage()
	}
	flags := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	root := flags.String("root", "../..", "the repository root (default: two levels up, right when run from tools/bazel)")
	fix := flags.Bool("fix", false, "rewrite the files instead of reporting drift")
	graph := flags.String("graph", "", "replay: read .bazelrc and the BUILD files from DIR instead of -root (e.g. a copy of an older graph)")
	_ = flags.Parse(os.Args[2:])
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		fail(err)
	}
	switch os.Args[1] {
	case "gazelle":
		err = runGazelle(absRoot, *fix)
	case "buildifier":
		err = runBuildifier(absRoot, *fix)
	case "check":
		if problems := check(absRoot); len(problems) > 0 {
			err = fmt.Errorf("the Bazel graph disagrees with the sources:\n  %s", strings.Join(problems, "\n  "))
		}
	case "replay":
		graphRoot := absRoot
		if *graph != "" {
			if graphRoot, err = filepath.Abs(*graph); err != nil {
				fail(err)
			}
		}
		err = runReplay(absRoot, graphRoot, os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fail(err)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: go run . gazelle|buildifier|check|replay [-root DIR] [-fix] [-graph DIR]")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bazel:", err)
	os.Exit(1)
}

// runGazelle runs the pinned gazelle over the repository. Gazelle would look up every imported
// module's root on the network; a repository config listing the modules of go/go.mod (named as
// go_deps names them) makes it exact and offline.
func runGazelle(root string, fix bool) error {
	config, err := goRepositoryConfig(root)
	if err != nil {
		return err
	}
	file, err := os.CreateTemp("", "gazelle-repos-*.bzl")
	if err != nil {
		return err
	}
	defer os.Remove(file.Name())
	if _, err := file.WriteString(config); err != nil {
		return err
	}
	if err := file.Close(); err != nil {
		return err
	}
	mode := "diff"
	if fix {
		mode = "fix"
	}
	cmd := exec.Command("go", "tool", "gazelle", "update", "-repo_root="+root, "-repo_config="+file.Name(), "-mode="+mode, root)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("gazelle: the Go BUILD files differ from what the sources need (diff above; make bazel-fix rewrites them): %w", err)
	}
	return nil
}

// goRepositoryConfig lists go/go.mod's module graph as go_repository rules for gazelle.
func goRepositoryConfig(root string) (string, error) {
	cmd := exec.Command("go", "-C", filepath.Join(root, goModuleDir), "list", "-m", "-f", "{{if not .Main}}{{.Path}}{{end}}", "all")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m all: %w: %s", err, stderr.String())
	}
	var config strings.Builder
	for _, module := range strings.Fields(string(out)) {
		fmt.Fprintf(&config, "go_repository(name = %q, importpath = %q)\n", label.ImportPathToBazelRepoName(module), module)
	}
	return config.String(), nil
}

// runBuildifier runs the pinned buildifier over every Bazel file.
func runBuildifier(root string, fix bool) error {
	files, err := bazelFiles(root)
	if err != nil {
		return err
	}
	args := []string{"tool", "buildifier", "-mode=check", "-lint=warn"}
	if fix {
		args = []string{"tool", "buildifier", "-mode=fix", "-lint=fix"}
	}
	for _, file := range files {
		args = append(args, filepath.Join(root, file))
	}
	cmd := exec.Command("go", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("buildifier: files above are not formatted or not lint-clean (make bazel-fix formats them): %w", err)
	}
	return nil
}
