package main

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bazelbuild/buildtools/build"
)

// skippedPaths (relative to the repository root) are never part of the Bazel graph: build
// outputs, tool caches, VCS data; they are also in .bazelignore. testdata directories, at any
// depth, hold inputs, not packages.
var skippedPaths = []string{".git", ".tools", "bin", "rust/target", "node_modules"}

// skipDir reports whether the walk skips the directory at rel (relative to the repository root).
func skipDir(rel string) bool {
	return slices.Contains(skippedPaths, rel) || path.Base(rel) == "testdata"
}

// relSlash is p relative to root, slash-separated.
func relSlash(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return filepath.ToSlash(rel)
}

// bazelFiles lists the repository's Bazel files (BUILD, MODULE, WORKSPACE, .bzl), relative to
// root, in walk order.
func bazelFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(relSlash(root, p)) {
				return filepath.SkipDir
			}
			return nil
		}
		name := d.Name()
		if name == "BUILD.bazel" || name == "BUILD" || name == "MODULE.bazel" || name == "WORKSPACE.bazel" || strings.HasSuffix(name, ".bzl") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}

// pkg is one Bazel package: a directory and its parsed BUILD.bazel.
type pkg struct {
	Dir  string // relative to the repository root, slash-separated; "" is the root
	File *build.File
}

// Label is the package's label prefix, e.g. "//rust/sdk".
func (p pkg) Label() string { return "//" + p.Dir }

// rules returns the package's rules of the given kinds.
func (p pkg) rules(kinds ...string) []*build.Rule {
	var rules []*build.Rule
	for _, rule := range p.File.Rules("") {
		if slices.Contains(kinds, rule.Kind()) {
			rules = append(rules, rule)
		}
	}
	return rules
}

// excluded reports whether a `# gazelle:exclude` directive in this BUILD file names file.
func (p pkg) excluded(file string) bool {
	for _, directive := range gazelleDirectives(p.File) {
		if directive[0] == "exclude" {
			if ok, _ := path.Match(directive[1], file); ok {
				return true
			}
		}
	}
	return false
}

var directivePattern = regexp.MustCompile(`^#\s*gazelle:(\w+)\s*(.*)$`)

func gazelleDirectives(f *build.File) [][2]string {
	var directives [][2]string
	for _, stmt := range f.Stmt {
		comments := stmt.Comment()
		for _, comment := range slices.Concat(comments.Before, comments.Suffix, comments.After) {
			if m := directivePattern.FindStringSubmatch(strings.TrimSpace(comment.Token)); m != nil {
				directives = append(directives, [2]string{m[1], strings.TrimSpace(m[2])})
			}
		}
	}
	return directives
}

// loadPackage parses dir/BUILD.bazel, or returns ok=false if there is none.
func loadPackage(root, dir string) (pkg, bool, error) {
	file := filepath.Join(root, filepath.FromSlash(dir), "BUILD.bazel")
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return pkg{}, false, nil
	}
	if err != nil {
		return pkg{}, false, err
	}
	parsed, err := build.ParseBuild(file, data)
	if err != nil {
		return pkg{}, false, err
	}
	return pkg{Dir: dir, File: parsed}, true, nil
}

// files lists the files of a package directory matching pattern (a Bazel glob pattern:
// `*` within one path segment, `**` across segments), relative to the package.
func files(root, dir, pattern string) []string {
	base := filepath.Join(root, filepath.FromSlash(dir))
	var matched []string
	_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			// A subdirectory with its own BUILD file is another package.
			if p != base && (skipDir(relSlash(root, p)) || exists(filepath.Join(p, "BUILD.bazel"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if globMatch(pattern, rel) {
			matched = append(matched, rel)
		}
		return nil
	})
	return matched
}

func globMatch(pattern, name string) bool {
	patternParts, nameParts := strings.Split(pattern, "/"), strings.Split(name, "/")
	var match func(p, n []string) bool
	match = func(p, n []string) bool {
		switch {
		case len(p) == 0:
			return len(n) == 0
		case p[0] == "**":
			for i := 0; i <= len(n); i++ {
				if match(p[1:], n[i:]) {
					return true
				}
			}
			return false
		case len(n) == 0:
			return false
		default:
			ok, _ := path.Match(p[0], n[0])
			return ok && match(p[1:], n[1:])
		}
	}
	return match(patternParts, nameParts)
}

// srcsOf evaluates a rule's srcs-like attribute: string lists, glob(include, exclude = ...)
// and `+` of those. Anything else (a select, a variable) yields nothing.
func srcsOf(root, dir string, expr build.Expr) []string {
	switch e := expr.(type) {
	case *build.ListExpr:
		var out []string
		for _, item := range e.List {
			if s, ok := item.(*build.StringExpr); ok {
				out = append(out, s.Value)
			}
		}
		return out
	case *build.BinaryExpr:
		if e.Op == "+" {
			return append(srcsOf(root, dir, e.X), srcsOf(root, dir, e.Y)...)
		}
	case *build.CallExpr:
		if ident, ok := e.X.(*build.Ident); ok && ident.Name == "glob" && len(e.List) > 0 {
			var include, exclude []string
			for i, arg := range e.List {
				if assign, ok := arg.(*build.AssignExpr); ok {
					if key, ok := assign.LHS.(*build.Ident); ok && key.Name == "exclude" {
						exclude = srcsOf(root, dir, assign.RHS)
					}
				} else if i == 0 {
					include = srcsOf(root, dir, arg)
				}
			}
			var out []string
			for _, pattern := range include {
				for _, file := range files(root, dir, pattern) {
					if !slices.ContainsFunc(exclude, func(x string) bool { return globMatch(x, file) }) && !slices.Contains(out, file) {
						out = append(out, file)
					}
				}
			}
			return out
		}
	}
	return nil
}

// stringsIn collects every string literal in an expression (lists, selects, dicts, `+`).
func stringsIn(expr build.Expr) []string {
	var out []string
	build.Walk(expr, func(x build.Expr, _ []build.Expr) {
		if s, ok := x.(*build.StringExpr); ok {
			out = append(out, s.Value)
		}
	})
	return out
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
