package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/bazelbuild/bazel-gazelle/label"
	"github.com/bazelbuild/buildtools/build"
	"golang.org/x/mod/modfile"
)

// The graph's fixed points.
const (
	staticLibPackage = "rust/staticlib" // the one package that may hold rust_static_library
	goModuleDir      = "go"             // the Go module the graph builds
	rustWorkspaceDir = "rust"           // the Cargo workspace
)

// requiredBazelDeps are the rule sets MODULE.bazel must depend on.
var requiredBazelDeps = []string{"bazel_skylib", "gazelle", "platforms", "rules_cc", "rules_go", "rules_rust"}

// check compares the Bazel graph under root with the sources and returns every disagreement,
// each naming the file and what to change.
func check(root string) []string {
	c := &checker{root: root}
	c.checkModule()
	c.checkRustCrates()
	c.checkGoPackages()
	c.checkHermetic()
	sort.Strings(c.problems)
	return c.problems
}

type checker struct {
	root     string
	problems []string
	module   *build.File
}

func (c *checker) fail(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// cargoWorkspace is what the checks need of rust/Cargo.toml.
type cargoWorkspace struct {
	Workspace struct {
		Members []string `toml:"members"`
		Package struct {
			Edition     string `toml:"edition"`
			RustVersion string `toml:"rust-version"`
		} `toml:"package"`
	} `toml:"workspace"`
}

// cargoCrate is what the checks need of a member's Cargo.toml.
type cargoCrate struct {
	Package struct {
		Name    string `toml:"name"`
		Edition any    `toml:"edition"` // a string, or {workspace = true}
	} `toml:"package"`
	Lib struct {
		Name      string   `toml:"name"`
		CrateType []string `toml:"crate-type"`
		Test      *bool    `toml:"test"`
	} `toml:"lib"`
}

func (c *checker) cargo() (cargoWorkspace, bool) {
	var ws cargoWorkspace
	if _, err := toml.DecodeFile(filepath.Join(c.root, rustWorkspaceDir, "Cargo.toml"), &ws); err != nil {
		c.fail("rust/Cargo.toml: %v", err)
		return ws, false
	}
	return ws, true
}

// --- MODULE.bazel -------------------------------------------------------------------------

func (c *checker) checkModule() {
	file := filepath.Join(c.root, "MODULE.bazel")
	data, err := os.ReadFile(file)
	if err != nil {
		c.fail("MODULE.bazel: %v", err)
		return
	}
	if c.module, err = build.ParseModule(file, data); err != nil {
		c.fail("MODULE.bazel: %v", err)
		return
	}
	deps := map[string]string{}
	for _, rule := range c.module.Rules("bazel_dep") {
		deps[rule.AttrString("name")] = rule.AttrString("version")
	}
	for _, name := range requiredBazelDeps {
		if deps[name] == "" {
			c.fail("MODULE.bazel: no bazel_dep(name = %q, version = ...)", name)
		}
	}
	c.checkGoModule()
	c.checkRustModule()
}

func (c *checker) moduleCalls(kind string) []*build.Rule { return c.module.Rules(kind) }

func (c *checker) checkGoModule() {
	goMod, err := readGoMod(filepath.Join(c.root, goModuleDir, "go.mod"))
	if err != nil {
		c.fail("go/go.mod: %v", err)
		return
	}
	downloads := c.moduleCalls("go_sdk.download")
	if len(downloads) != 1 {
		c.fail("MODULE.bazel: want exactly one go_sdk.download(version = %q), found %d", goMod.Go.Version, len(downloads))
	} else if v := downloads[0].AttrString("version"); v != goMod.Go.Version {
		c.fail("MODULE.bazel: go_sdk.download(version = %q) but go/go.mod says go %s", v, goMod.Go.Version)
	}
	if len(c.moduleCalls("go_deps.module")) > 0 {
		c.fail("MODULE.bazel: go_deps.module pins Go modules outside go/go.mod; require them in go/go.mod instead")
	}
	fromFile := c.moduleCalls("go_deps.from_file")
	if len(fromFile) != 1 || fromFile[0].AttrString("go_mod") != "//go:go.mod" {
		c.fail(`MODULE.bazel: want go_deps.from_file(go_mod = "//go:go.mod")`)
	}
	want := map[string]string{}
	for _, require := range goMod.Require {
		if !require.Indirect {
			want[label.ImportPathToBazelRepoName(require.Mod.Path)] = require.Mod.Path
		}
	}
	got := c.useRepo("go_deps")
	for repo, module := range want {
		if !slices.Contains(got, repo) {
			c.fail("MODULE.bazel: use_repo(go_deps, ...) lacks %q (go/go.mod requires %s)", repo, module)
		}
	}
	for _, repo := range got {
		if _, ok := want[repo]; !ok {
			c.fail("MODULE.bazel: use_repo(go_deps, ...) names %q, which is not a direct requirement in go/go.mod", repo)
		}
	}
}

// useRepo lists the repositories a use_repo(extension, ...) call names.
func (c *checker) useRepo(extension string) []string {
	var repos []string
	for _, rule := range c.moduleCalls("use_repo") {
		if len(rule.Call.List) == 0 {
			continue
		}
		if ident, ok := rule.Call.List[0].(*build.Ident); !ok || ident.Name != extension {
			continue
		}
		for _, arg := range rule.Call.List[1:] {
			if s, ok := arg.(*build.StringExpr); ok {
				repos = append(repos, s.Value)
			}
		}
	}
	return repos
}

func (c *checker) checkRustModule() {
	ws, ok := c.cargo()
	if !ok {
		return
	}
	toolchains := c.moduleCalls("rust.toolchain")
	if len(toolchains) != 1 {
		c.fail("MODULE.bazel: want exactly one rust.toolchain(...), found %d", len(toolchains))
	} else {
		versions := toolchains[0].AttrStrings("versions")
		rustVersion := ws.Workspace.Package.RustVersion
		if len(versions) != 1 || (versions[0] != rustVersion && !strings.HasPrefix(versions[0], rustVersion+".")) {
			c.fail("MODULE.bazel: rust.toolchain(versions = %q) but rust/Cargo.toml says rust-version = %q", versions, rustVersion)
		}
		if edition := toolchains[0].AttrString("edition"); edition != ws.Workspace.Package.Edition {
			c.fail("MODULE.bazel: rust.toolchain(edition = %q) but rust/Cargo.toml says edition = %q", edition, ws.Workspace.Package.Edition)
		}
	}
	crates := c.moduleCalls("crate.from_cargo")
	if len(crates) != 1 {
		c.fail("MODULE.bazel: want exactly one crate.from_cargo(...), found %d", len(crates))
		return
	}
	if lock := crates[0].AttrString("cargo_lockfile"); lock != "//rust:Cargo.lock" {
		c.fail(`MODULE.bazel: crate.from_cargo(cargo_lockfile = %q), want "//rust:Cargo.lock" (the committed lock file)`, lock)
	}
	want := []string{"//rust:Cargo.toml"}
	for _, member := range ws.Workspace.Members {
		want = append(want, "//rust/"+member+":Cargo.toml")
	}
	got := crates[0].AttrStrings("manifests")
	for _, manifest := range want {
		if !slices.Contains(got, manifest) {
			c.fail("MODULE.bazel: crate.from_cargo(manifests) lacks %q", manifest)
		}
	}
	for _, manifest := range got {
		if !slices.Contains(want, manifest) {
			c.fail("MODULE.bazel: crate.from_cargo(manifests) names %q, which is not a Cargo workspace member", manifest)
		}
	}
	if !slices.Contains(c.useRepo("crate"), "crates") {
		c.fail(`MODULE.bazel: no use_repo(crate, "crates")`)
	}
	for _, kind := range []string{"crate.spec", "crate.from_specs"} {
		if len(c.moduleCalls(kind)) > 0 {
			c.fail("MODULE.bazel: %s pins crates outside rust/Cargo.lock; add the dependency to a Cargo.toml instead", kind)
		}
	}
}

func readGoMod(path string) (*modfile.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	file, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil, err
	}
	if file.Go == nil {
		return nil, fmt.Errorf("no go directive")
	}
	return file, nil
}

// --- Rust ---------------------------------------------------------------------------------

var rustLibraryKinds = []string{"rust_library", "rust_static_library", "rust_proc_macro"}

var unitTestPattern = regexp.MustCompile(`#\[(cfg\(test\)|test)\]`)

func (c *checker) checkRustCrates() {
	ws, ok := c.cargo()
	if !ok {
		return
	}
	members := map[string]bool{}
	for _, member := range ws.Workspace.Members {
		dir := rustWorkspaceDir + "/" + member
		members[dir] = true
		c.checkRustCrate(dir, ws)
	}
	// Rust targets outside the workspace would build code Cargo never sees.
	c.eachPackage(func(p pkg) {
		if len(p.rules(append(rustLibraryKinds, "rust_test", "rust_test_suite", "rust_binary")...)) > 0 && !members[p.Dir] {
			c.fail("%s/BUILD.bazel: Rust targets in a directory that is not a member of the Cargo workspace (rust/Cargo.toml)", p.Dir)
		}
		for _, rule := range p.rules("rust_static_library") {
			if p.Dir != staticLibPackage {
				c.fail("%s/BUILD.bazel: rust_static_library %q: Go links exactly one Rust static library, and it lives in //%s", p.Dir, rule.Name(), staticLibPackage)
			}
			// The linker trap (rust/Cargo.toml, [profile.release]): with more than one object
			// in the archive, the Go link can drop a component's registration.
			if !slices.Contains(rule.AttrStrings("rustc_flags"), "-Ccodegen-units=1") {
				c.fail("%s/BUILD.bazel: rust_static_library %q needs rustc_flags = [\"-Ccodegen-units=1\"] (with fat LTO, one object: no registration can be dropped)", p.Dir, rule.Name())
			}
		}
	})
}

func (c *checker) checkRustCrate(dir string, ws cargoWorkspace) {
	var crate cargoCrate
	if _, err := toml.DecodeFile(filepath.Join(c.root, dir, "Cargo.toml"), &crate); err != nil {
		c.fail("%s/Cargo.toml: %v", dir, err)
		return
	}
	p, ok, err := loadPackage(c.root, dir)
	if err != nil {
		c.fail("%s/BUILD.bazel: %v", dir, err)
		return
	}
	if !ok {
		c.fail("%s: Cargo workspace member without a BUILD.bazel", dir)
		return
	}
	crateName := crate.Lib.Name
	if crateName == "" {
		crateName = strings.ReplaceAll(crate.Package.Name, "-", "_")
	}
	wantKind := "rust_library"
	if slices.Contains(crate.Lib.CrateType, "staticlib") {
		wantKind = "rust_static_library"
	}
	edition, _ := crate.Package.Edition.(string)
	if edition == "" {
		edition = ws.Workspace.Package.Edition
	}
	var libraries []*build.Rule
	covered := map[string]bool{}
	for _, rule := range p.rules(rustLibraryKinds...) {
		if ruleCrateName(rule) != crateName {
			continue
		}
		libraries = append(libraries, rule)
		if rule.Kind() != wantKind {
			c.fail("%s/BUILD.bazel: %s %q builds crate %s, but Cargo builds it as a %s", dir, rule.Kind(), rule.Name(), crateName, wantKind)
		}
		if got := rule.AttrString("edition"); got != edition {
			c.fail("%s/BUILD.bazel: %s %q has edition = %q, Cargo.toml says %q", dir, rule.Kind(), rule.Name(), got, edition)
		}
		for _, src := range srcsOf(c.root, dir, rule.Attr("srcs")) {
			covered[src] = true
		}
	}
	if len(libraries) == 0 {
		c.fail("%s/BUILD.bazel: no %s for crate %s (package %s)", dir, wantKind, crateName, crate.Package.Name)
		return
	}
	unitTests := false
	for _, src := range files(c.root, dir, "src/**/*.rs") {
		if !covered[src] {
			c.fail("%s/BUILD.bazel: %s/%s is in no target's srcs", dir, dir, src)
		}
		if data, err := os.ReadFile(filepath.Join(c.root, dir, src)); err == nil && unitTestPattern.Match(data) {
			unitTests = true
		}
	}
	if unitTests && (crate.Lib.Test == nil || *crate.Lib.Test) {
		if !slices.ContainsFunc(p.rules("rust_test"), func(test *build.Rule) bool {
			return slices.ContainsFunc(libraries, func(lib *build.Rule) bool { return isLocalLabel(test.AttrString("crate"), dir, lib.Name()) })
		}) {
			c.fail("%s/BUILD.bazel: crate %s has unit tests but no rust_test(crate = \":%s\")", dir, crateName, libraries[0].Name())
		}
	}
	testedFiles := map[string]bool{}
	for _, rule := range p.rules("rust_test", "rust_test_suite") {
		for _, src := range srcsOf(c.root, dir, rule.Attr("srcs")) {
			testedFiles[src] = true
		}
	}
	for _, test := range files(c.root, dir, "tests/*.rs") {
		if !testedFiles[test] {
			c.fail("%s/BUILD.bazel: integration test %s/%s is in no rust_test or rust_test_suite", dir, dir, test)
		}
	}
}

func ruleCrateName(rule *build.Rule) string {
	if name := rule.AttrString("crate_name"); name != "" {
		return name
	}
	return strings.ReplaceAll(rule.Name(), "-", "_")
}

// isLocalLabel reports whether label names target name in package dir.
func isLocalLabel(label, dir, name string) bool {
	return label == ":"+name || label == "//"+dir+":"+name || (label == "//"+dir && dir[strings.LastIndex(dir, "/")+1:] == name)
}

// --- Go -----------------------------------------------------------------------------------

var cargoLinkPattern = regexp.MustCompile(`(?m)^\s*//\s*#cgo\s+LDFLAGS:.*rust/target/`)

func (c *checker) checkGoPackages() {
	base := filepath.Join(c.root, goModuleDir)
	_ = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if slices.Contains(skippedDirs, d.Name()) {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(c.root, p)
		c.checkGoPackage(filepath.ToSlash(rel))
		return nil
	})
}

func (c *checker) checkGoPackage(dir string) {
	entries, err := os.ReadDir(filepath.Join(c.root, dir))
	if err != nil {
		c.fail("%s: %v", dir, err)
		return
	}
	var goFiles, testFiles, cgoFiles, cargoLinkFiles []string
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		if strings.HasSuffix(name, "_test.go") {
			testFiles = append(testFiles, name)
			continue
		}
		goFiles = append(goFiles, name)
		data, err := os.ReadFile(filepath.Join(c.root, dir, name))
		if err != nil {
			continue
		}
		if cargoLinkPattern.Match(data) {
			cargoLinkFiles = append(cargoLinkFiles, name)
		} else if strings.Contains(string(data), "\nimport \"C\"") {
			cgoFiles = append(cgoFiles, name)
		}
	}
	if len(goFiles)+len(testFiles) == 0 {
		return
	}
	p, ok, err := loadPackage(c.root, dir)
	if err != nil {
		c.fail("%s/BUILD.bazel: %v", dir, err)
		return
	}
	if !ok {
		c.fail("%s: Go package without a BUILD.bazel (run make bazel-fix)", dir)
		return
	}
	inTests := map[string]bool{}
	for _, rule := range p.rules("go_test") {
		for _, src := range srcsOf(c.root, dir, rule.Attr("srcs")) {
			inTests[src] = true
		}
	}
	for _, test := range testFiles {
		if !inTests[test] && !p.excluded(test) {
			c.fail("%s/BUILD.bazel: %s/%s is in no go_test", dir, dir, test)
		}
	}
	libraries := p.rules("go_library")
	inLibraries := map[string]bool{}
	for _, rule := range libraries {
		for _, src := range srcsOf(c.root, dir, rule.Attr("srcs")) {
			inLibraries[src] = true
		}
	}
	for _, file := range cargoLinkFiles {
		if inLibraries[file] || !p.excluded(file) {
			c.fail("%s/BUILD.bazel: %s carries Cargo's link flags (rust/target/...); exclude it with # gazelle:exclude %s", dir, file, file)
		}
	}
	if !slices.ContainsFunc(cgoFiles, func(f string) bool { return inLibraries[f] }) {
		return
	}
	for _, rule := range libraries {
		if rule.AttrLiteral("cgo") != "True" {
			continue
		}
		cdeps := cdepValues(rule.Attr("cdeps"))
		if len(cdeps) == 0 {
			c.fail("%s/BUILD.bazel: cgo go_library %q has no cdeps on //%s (the one Rust static library)", dir, rule.Name(), staticLibPackage)
		}
		for _, dep := range cdeps {
			if dep != "//"+staticLibPackage && !strings.HasPrefix(dep, "//"+staticLibPackage+":") {
				c.fail("%s/BUILD.bazel: go_library %q has cdeps %q; Rust must come from //%s only", dir, rule.Name(), dep, staticLibPackage)
			}
		}
	}
}

// cdepValues lists the labels of a cdeps attribute, taking every branch of a select (but not
// its condition keys).
func cdepValues(expr build.Expr) []string {
	switch e := expr.(type) {
	case nil:
		return nil
	case *build.CallExpr:
		if ident, ok := e.X.(*build.Ident); ok && ident.Name == "select" && len(e.List) == 1 {
			if dict, ok := e.List[0].(*build.DictExpr); ok {
				var out []string
				for _, kv := range dict.List {
					out = append(out, stringsIn(kv.Value)...)
				}
				return out
			}
		}
	case *build.BinaryExpr:
		return append(cdepValues(e.X), cdepValues(e.Y)...)
	}
	return stringsIn(expr)
}

// --- hermeticity --------------------------------------------------------------------------

func (c *checker) checkHermetic() {
	files, err := bazelFiles(c.root)
	if err != nil {
		c.fail("%v", err)
		return
	}
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(c.root, file))
		if err != nil {
			c.fail("%s: %v", file, err)
			continue
		}
		parsed, err := build.Parse(file, data)
		if err != nil {
			c.fail("%s: %v", file, err)
			continue
		}
		if filepath.Base(file) == "WORKSPACE.bazel" && slices.ContainsFunc(parsed.Stmt, func(stmt build.Expr) bool {
			_, comment := stmt.(*build.CommentBlock)
			return !comment
		}) {
			c.fail("%s: must stay empty: dependencies are declared in MODULE.bazel", file)
		}
		for _, rule := range parsed.Rules("") {
			switch kind := rule.Kind(); kind {
			case "local_path_override", "local_repository", "new_local_repository", "go_sdk.host", "go_sdk.wrap":
				c.fail("%s: %s is not hermetic (it depends on this machine's files)", file, kind)
			}
		}
		build.Walk(parsed, func(x build.Expr, _ []build.Expr) {
			if s, ok := x.(*build.StringExpr); ok && isAbsolutePath(s.Value) {
				start, _ := s.Span()
				c.fail("%s:%d: absolute path %q: use a label or a workspace-relative path", file, start.Line, s.Value)
			}
		})
	}
	c.checkBazelrc()
	if data, err := os.ReadFile(filepath.Join(c.root, ".bazelversion")); err != nil || !regexp.MustCompile(`^\d+\.\d+\.\d+\n?$`).Match(data) {
		c.fail(".bazelversion: want one pinned Bazel version (x.y.z)")
	}
}

func isAbsolutePath(s string) bool {
	return (strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")) || strings.Contains(s, "file:///") || regexp.MustCompile(`^[A-Za-z]:\\`).MatchString(s)
}

func (c *checker) checkBazelrc() {
	data, err := os.ReadFile(filepath.Join(c.root, ".bazelrc"))
	if err != nil {
		c.fail(".bazelrc: %v", err)
		return
	}
	var flags []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, field := range strings.Fields(line) {
			value := field[strings.Index(field, "=")+1:]
			if isAbsolutePath(value) {
				c.fail(".bazelrc:%d: absolute path %q: use %%workspace%% or put it in user.bazelrc", i+1, value)
			}
			flags = append(flags, field)
		}
	}
	for _, want := range []string{"--enable_bzlmod", "--incompatible_strict_action_env", "--@rules_rust//rust/settings:lto=fat", "%workspace%/user.bazelrc"} {
		if !slices.Contains(flags, want) {
			c.fail(".bazelrc: missing %s", want)
		}
	}
}

// eachPackage calls fn for every BUILD.bazel package in the repository.
func (c *checker) eachPackage(fn func(pkg)) {
	files, err := bazelFiles(c.root)
	if err != nil {
		c.fail("%v", err)
		return
	}
	for _, file := range files {
		if filepath.Base(file) != "BUILD.bazel" {
			continue
		}
		dir := filepath.ToSlash(filepath.Dir(file))
		if dir == "." {
			dir = ""
		}
		p, ok, err := loadPackage(c.root, dir)
		if err != nil {
			c.fail("%s: %v", file, err)
			continue
		}
		if ok {
			fn(p)
		}
	}
}
