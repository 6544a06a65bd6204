package main

import (
	"fmt"
	"io/fs"
	"os"
	"path"
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
	c := &checker{root: root, packages: map[string]loaded{}}
	files, err := bazelFiles(root)
	if err != nil {
		c.fail("%v", err)
		return c.problems
	}
	c.files = files
	if _, err := toml.DecodeFile(filepath.Join(root, rustWorkspaceDir, "Cargo.toml"), &c.ws); err != nil {
		c.fail("rust/Cargo.toml: %v", err)
		return c.problems
	}
	c.checkModule()
	c.checkRustCrates()
	c.checkGoPackages()
	c.checkLinkTestSeesEveryComponent()
	c.checkHermetic()
	sort.Strings(c.problems)
	return c.problems
}

type checker struct {
	root     string
	problems []string
	module   *build.File
	ws       cargoWorkspace
	files    []string          // the repository's Bazel files, listed once
	packages map[string]loaded // BUILD files by directory, parsed once
}

type loaded struct {
	pkg pkg
	ok  bool
	err error
}

// load parses dir/BUILD.bazel the first time it is asked for.
func (c *checker) load(dir string) (pkg, bool, error) {
	if l, seen := c.packages[dir]; seen {
		return l.pkg, l.ok, l.err
	}
	p, ok, err := loadPackage(c.root, dir)
	c.packages[dir] = loaded{p, ok, err}
	return p, ok, err
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
		Dependencies map[string]any `toml:"dependencies"`
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
		ProcMacro bool     `toml:"proc-macro"`
		Test      *bool    `toml:"test"`
	} `toml:"lib"`
	Bin             []any          `toml:"bin"`
	Dependencies    map[string]any `toml:"dependencies"`
	DevDependencies map[string]any `toml:"dev-dependencies"`
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
	// The gazelle that checks the BUILD files is the one Bazel users run.
	if tools, err := readGoMod(filepath.Join(c.root, "tools", "bazel", "go.mod")); err == nil {
		for _, require := range tools.Require {
			if require.Mod.Path == "github.com/bazelbuild/bazel-gazelle" && "v"+deps["gazelle"] != require.Mod.Version {
				c.fail("MODULE.bazel: bazel_dep gazelle %s, but tools/bazel/go.mod pins %s", deps["gazelle"], require.Mod.Version)
			}
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
	ws := c.ws.Workspace
	toolchains := c.moduleCalls("rust.toolchain")
	if len(toolchains) != 1 {
		c.fail("MODULE.bazel: want exactly one rust.toolchain(...), found %d", len(toolchains))
	} else {
		versions := toolchains[0].AttrStrings("versions")
		rustVersion := ws.Package.RustVersion
		if len(versions) != 1 || (versions[0] != rustVersion && !strings.HasPrefix(versions[0], rustVersion+".")) {
			c.fail("MODULE.bazel: rust.toolchain(versions = %q) but rust/Cargo.toml says rust-version = %q", versions, rustVersion)
		}
		if edition := toolchains[0].AttrString("edition"); edition != ws.Package.Edition {
			c.fail("MODULE.bazel: rust.toolchain(edition = %q) but rust/Cargo.toml says edition = %q", edition, ws.Package.Edition)
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
	for _, member := range ws.Members {
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
	members := map[string]bool{}
	for _, member := range c.ws.Workspace.Members {
		dir := rustWorkspaceDir + "/" + member
		members[dir] = true
		c.checkRustCrate(dir)
	}
	// Rust targets outside the workspace would build code Cargo never sees.
	var staticLibraries []string
	c.eachPackage(func(p pkg) {
		if len(p.rules(append(rustLibraryKinds, "rust_test", "rust_test_suite", "rust_binary")...)) > 0 && !members[p.Dir] {
			c.fail("%s/BUILD.bazel: Rust targets in a directory that is not a member of the Cargo workspace (rust/Cargo.toml)", p.Dir)
		}
		for _, rule := range p.rules("rust_static_library") {
			staticLibraries = append(staticLibraries, "//"+p.Dir+":"+rule.Name())
			if p.Dir != staticLibPackage {
				c.fail("%s/BUILD.bazel: rust_static_library %q: Go links exactly one Rust static library, and it lives in //%s", p.Dir, rule.Name(), staticLibPackage)
			}
			c.checkStaticLibraryFlags(p, rule)
		}
		c.checkLTOFlagsOnlyOnStaticLibrary(p)
		c.checkDistinctOutputs(p)
	})
	// One target, whose deps select() the test components: a second one per variant declares
	// the same archive (checkDistinctOutputs) or links a second copy of the boundary into Go.
	if len(staticLibraries) != 1 {
		c.fail("want exactly one rust_static_library (in //%s; variants select() their deps), found %d: %q", staticLibPackage, len(staticLibraries), staticLibraries)
	}
}

// staticLibraryFlags are the static library's own rustc_flags, under .bazelrc's lto=manual:
// fat LTO and one codegen unit make the archive one object, so the Go link cannot drop the
// object holding a component's linkme registration (the linker trap, rust/Cargo.toml's release
// profile); opt-level 3 beats fastbuild's opt-level=0, since rules_rust appends a target's
// rustc_flags last (rules_rust 0.73.0 rust/private/rustc.bzl:1500-1510).
var staticLibraryFlags = []string{"-Clto=fat", "-Ccodegen-units=1", "-Copt-level=3"}

func (c *checker) checkStaticLibraryFlags(p pkg, rule *build.Rule) {
	flags := stringsIn(rule.Attr("rustc_flags"))
	for _, want := range staticLibraryFlags {
		if !slices.Contains(flags, want) {
			c.fail("%s/BUILD.bazel: rust_static_library %q lacks rustc_flags %q (want %q: one object, so no registration can be dropped)", p.Dir, rule.Name(), want, staticLibraryFlags)
		}
	}
}

// ltoOptions are the codegen options that belong to the static library only. On an rlib,
// -Clto/-Clinker-plugin-lto make it bitcode-only and the rust_doc_tests' gcc link fails;
// -Cembed-bitcode=no on a dependency leaves fat LTO nothing to read (rules_rust 0.73.0
// rust/private/lto.bzl:65-118).
var ltoOptions = []string{"lto", "codegen-units", "opt-level", "embed-bitcode", "linker-plugin-lto"}

// codegenOption is the name of the rustc -C option a flag sets ("" if it sets none):
// -Cname=v, --codegen=name=v, or the value after a separate "-C".
func codegenOption(flag string) string {
	for _, prefix := range []string{"--codegen=", "--codegen", "-C"} {
		if rest, ok := strings.CutPrefix(flag, prefix); ok {
			flag = rest
			break
		}
	}
	name, _, _ := strings.Cut(strings.TrimSpace(flag), "=")
	return name
}

func (c *checker) checkLTOFlagsOnlyOnStaticLibrary(p pkg) {
	for _, rule := range p.File.Rules("") {
		if rule.Kind() == "rust_static_library" {
			continue
		}
		for _, attr := range []string{"rustc_flags", "rustdoc_flags"} {
			for _, flag := range stringsIn(rule.Attr(attr)) {
				if slices.Contains(ltoOptions, codegenOption(flag)) {
					c.fail("%s/BUILD.bazel: %s %q sets %q in %s; LTO, codegen-unit and opt-level flags belong on the rust_static_library only (on a library they break the doc tests' link or the static library's fat LTO)", p.Dir, rule.Kind(), rule.Name(), flag, attr)
				}
			}
		}
	}
}

// declaredOutputs are the files a rule declares in its package, for the rules whose output
// names do not derive from the target name alone. rules_rust names a static or shared
// library lib<crate_name>.a/.so with no hash (rules_rust 0.73.0 rust/private/rust.bzl:236-251,
// utils.bzl:835-876).
func declaredOutputs(rule *build.Rule) []string {
	switch rule.Kind() {
	case "rust_static_library":
		return []string{"lib" + ruleCrateName(rule) + ".a"}
	case "rust_shared_library":
		return []string{"lib" + ruleCrateName(rule) + ".so"}
	case "write_file", "copy_file", "expand_template":
		if out := rule.AttrString("out"); out != "" {
			return []string{out}
		}
	case "genrule":
		return stringsIn(rule.Attr("outs"))
	}
	return nil
}

// checkDistinctOutputs: two targets of one package that declare the same file fail Bazel's
// analysis ("generated by these conflicting actions"), for every build of //....
func (c *checker) checkDistinctOutputs(p pkg) {
	owners := map[string]*build.Rule{}
	for _, rule := range p.File.Rules("") {
		for _, out := range declaredOutputs(rule) {
			if first, ok := owners[out]; ok {
				c.fail("%s/BUILD.bazel: %s %q and %s %q both declare %s/%s (conflicting actions); give one another name (crate_name, out)", p.Dir, first.Kind(), first.Name(), rule.Kind(), rule.Name(), p.Dir, out)
				continue
			}
			owners[out] = rule
		}
	}
}

func (c *checker) checkRustCrate(dir string) {
	var crate cargoCrate
	if _, err := toml.DecodeFile(filepath.Join(c.root, dir, "Cargo.toml"), &crate); err != nil {
		c.fail("%s/Cargo.toml: %v", dir, err)
		return
	}
	p, ok := c.requirePackage(dir, "Cargo workspace member")
	if !ok {
		return
	}
	crateName := crate.Lib.Name
	if crateName == "" {
		crateName = strings.ReplaceAll(crate.Package.Name, "-", "_")
	}
	wantKind := "rust_library"
	switch {
	case slices.Contains(crate.Lib.CrateType, "staticlib"):
		wantKind = "rust_static_library"
	case crate.Lib.ProcMacro:
		wantKind = "rust_proc_macro"
	}
	edition, _ := crate.Package.Edition.(string)
	if edition == "" {
		edition = c.ws.Workspace.Package.Edition
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
	tests := p.rules("rust_test", "rust_test_suite")
	testedFiles := map[string]bool{}
	for _, rule := range tests {
		if got := rule.AttrString("edition"); got != edition {
			c.fail("%s/BUILD.bazel: %s %q has edition = %q, Cargo.toml says %q", dir, rule.Kind(), rule.Name(), got, edition)
		}
		for _, src := range srcsOf(c.root, dir, rule.Attr("srcs")) {
			testedFiles[src] = true
		}
	}
	if exists(filepath.Join(c.root, dir, "build.rs")) && len(p.rules("cargo_build_script")) == 0 {
		c.fail("%s/BUILD.bazel: %s/build.rs has no cargo_build_script (Bazel would build the crate without it)", dir, dir)
	}
	if (len(crate.Bin) > 0 || exists(filepath.Join(c.root, dir, "src", "main.rs")) || exists(filepath.Join(c.root, dir, "src", "bin"))) && len(p.rules("rust_binary")) == 0 {
		c.fail("%s/BUILD.bazel: the crate has binaries but no rust_binary", dir)
	}
	c.checkMemberDeps(p, crate, libraries, tests)
	for _, test := range files(c.root, dir, "tests/*.rs") {
		if !testedFiles[test] {
			c.fail("%s/BUILD.bazel: integration test %s/%s is in no rust_test or rust_test_suite", dir, dir, test)
		}
	}
}

// checkMemberDeps compares the crate's dependencies on other workspace members with the
// targets' deps: every library target has each required one, some library target each optional
// one (a feature's), some test target each dev-dependency. External crates come from @crates.
func (c *checker) checkMemberDeps(p pkg, crate cargoCrate, libraries, tests []*build.Rule) {
	has := func(rule *build.Rule, member string) bool {
		// A proc-macro member is a proc_macro_deps entry; which list is right, rules_rust says.
		deps := append(stringsIn(rule.Attr("deps")), stringsIn(rule.Attr("proc_macro_deps"))...)
		return slices.ContainsFunc(deps, func(label string) bool { return labelPackage(label, p.Dir) == member })
	}
	for name, spec := range crate.Dependencies {
		member, optional := c.memberOf(p.Dir, name, spec)
		if member == "" {
			continue
		}
		switch {
		case !optional:
			for _, lib := range libraries {
				if !has(lib, member) {
					c.fail("%s/BUILD.bazel: %s %q lacks a dep on //%s (Cargo.toml depends on %s)", p.Dir, lib.Kind(), lib.Name(), member, name)
				}
			}
		case !slices.ContainsFunc(libraries, func(lib *build.Rule) bool { return has(lib, member) }):
			c.fail("%s/BUILD.bazel: no library target has a dep on //%s (Cargo.toml's optional dependency %s)", p.Dir, member, name)
		}
	}
	for name, spec := range crate.DevDependencies {
		member, _ := c.memberOf(p.Dir, name, spec)
		if member != "" && !slices.ContainsFunc(tests, func(test *build.Rule) bool { return has(test, member) }) {
			c.fail("%s/BUILD.bazel: no test target has a dep on //%s (Cargo.toml's dev-dependency %s)", p.Dir, member, name)
		}
	}
}

// memberOf returns the workspace member directory a dependency points at ("" for an external
// crate) and whether it is optional.
func (c *checker) memberOf(dir, name string, spec any) (string, bool) {
	table, _ := spec.(map[string]any)
	optional, _ := table["optional"].(bool)
	path, _ := table["path"].(string)
	base := dir
	if inherited, _ := table["workspace"].(bool); inherited {
		workspaceSpec, _ := c.ws.Workspace.Dependencies[name].(map[string]any)
		path, _ = workspaceSpec["path"].(string)
		base = rustWorkspaceDir
	}
	if path == "" {
		return "", optional
	}
	member := filepath.ToSlash(filepath.Join(base, path))
	if !slices.Contains(c.ws.Workspace.Members, strings.TrimPrefix(member, rustWorkspaceDir+"/")) {
		return "", optional
	}
	return member, optional
}

// labelPackage is the package a label names, relative to the root ("" for an external one).
func labelPackage(label, currentDir string) string {
	switch {
	case strings.HasPrefix(label, ":"):
		return currentDir
	case strings.HasPrefix(label, "//"):
		pkg, _, _ := strings.Cut(strings.TrimPrefix(label, "//"), ":")
		return pkg
	}
	return ""
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
		if skipDir(relSlash(c.root, p)) {
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
	var goFiles, cgoFiles, cargoLinkFiles []string
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !strings.HasSuffix(name, ".go") {
			continue
		}
		if strings.HasSuffix(name, "_test.go") {
			continue // which go_test holds it, gazelle -mode=diff checks
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
	if len(goFiles) == 0 {
		return // a test-only directory: gazelle -mode=diff checks its BUILD file
	}
	p, ok := c.requirePackage(dir, "Go package")
	if !ok {
		return
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
		// One static library, which selects its own test components: cdeps name it alone.
		for _, dep := range cdeps {
			if dep != "//"+staticLibPackage && dep != "//"+staticLibPackage+":"+path.Base(staticLibPackage) {
				c.fail("%s/BUILD.bazel: go_library %q has cdeps %q; Rust must come from //%s only", dir, rule.Name(), dep, staticLibPackage)
			}
		}
	}
}

// checkLinkTestSeesEveryComponent: go/rustextension's TestEveryRustComponentIsLinked lists the
// directories under rust/components; under Bazel it sees only those in its runfiles.
func (c *checker) checkLinkTestSeesEveryComponent() {
	components, err := os.ReadDir(filepath.Join(c.root, "rust", "components"))
	if err != nil {
		return
	}
	p, ok, err := c.load("go/rustextension")
	if err != nil || !ok {
		return // reported by checkGoPackages
	}
	for _, test := range p.rules("go_test") {
		data := stringsIn(test.Attr("data"))
		for _, component := range components {
			want := "//rust/components/" + component.Name() + ":Cargo.toml"
			if component.IsDir() && !slices.Contains(data, want) {
				c.fail("go/rustextension/BUILD.bazel: go_test %q lacks data %q (TestEveryRustComponentIsLinked lists rust/components)", test.Name(), want)
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
	for _, file := range c.files {
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
	if data, err := os.ReadFile(filepath.Join(c.root, ".bazelversion")); err != nil || !bazelVersionPattern.Match(data) {
		c.fail(".bazelversion: want one pinned Bazel version (x.y.z)")
	}
}

// absolutePathPattern finds a path from the filesystem root inside a string: at its start or
// after `=`, `:`, `,`, a space or -L/-I/-R ("-Clink-arg=-L/usr/lib"). Labels ("//x", "@r//x")
// and URLs ("https://") have two slashes and do not match.
var absolutePathPattern = regexp.MustCompile(`(^|[\s=:,]|-[LIR])/[^/\s]|file:///|^[A-Za-z]:\\`)

func isAbsolutePath(s string) bool { return absolutePathPattern.MatchString(s) }

var bazelVersionPattern = regexp.MustCompile(`^\d+\.\d+\.\d+\n?$`)

// requiredBazelrcFlags must be in effect for every command: on a `common` or `build` line
// without a :config, and not negated later.
var requiredBazelrcFlags = []string{
	"--enable_bzlmod",
	"--incompatible_strict_action_env",
	"--@rules_rust//rust/settings:lto=manual", // the static library sets its own LTO flags (staticLibraryFlags)
}

// ltoSettingName is rules_rust's global LTO mode (rules_rust 0.73.0 rust/settings/settings.bzl:63-68).
const ltoSettingName = "@rules_rust//rust/settings:lto"

func (c *checker) checkBazelrc() {
	data, err := os.ReadFile(filepath.Join(c.root, ".bazelrc"))
	if err != nil {
		c.fail(".bazelrc: %v", err)
		return
	}
	inEffect := map[string]bool{}
	userRC := false
	for i, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		command, args := fields[0], fields[1:]
		if command == "try-import" && len(args) == 1 && args[0] == "%workspace%/user.bazelrc" {
			userRC = true
		}
		for _, arg := range args {
			if isAbsolutePath(arg) {
				c.fail(".bazelrc:%d: absolute path in %q: use %%workspace%% or put it in user.bazelrc", i+1, arg)
			}
			if name, value, ok := strings.Cut(arg, "="); (name == "--action_env" || name == "--repo_env") && (!ok || !strings.Contains(value, "=")) {
				c.fail(".bazelrc:%d: %s passes this machine's environment into the build", i+1, arg)
			}
			// Any other LTO mode, even under a :config, breaks that build: fat and thin make
			// every rlib bitcode-only, the default adds -Cembed-bitcode=no to every crate
			// (rules_rust 0.73.0 rust/private/lto.bzl:65-118).
			if name, value, ok := strings.Cut(arg, "="); ok && strings.TrimLeft(name, "-@") == strings.TrimLeft(ltoSettingName, "@") && value != "manual" {
				c.fail(".bazelrc:%d: %s: rules_rust's LTO mode must stay manual; the static library sets -Clto=fat itself", i+1, arg)
			}
			if name, value, ok := strings.Cut(arg, "="); ok && strings.Contains(name, "extra_rustc_flag") && slices.Contains(ltoOptions, codegenOption(value)) {
				c.fail(".bazelrc:%d: %s puts an LTO, codegen-unit or opt-level flag on every crate; it belongs on the rust_static_library only", i+1, arg)
			}
			if command != "common" && command != "build" {
				continue
			}
			for _, want := range requiredBazelrcFlags {
				name, _, _ := strings.Cut(strings.TrimPrefix(want, "--"), "=")
				switch {
				case arg == want:
					inEffect[want] = true
				case strings.HasPrefix(arg, "--no"+name) || strings.HasPrefix(arg, "--"+name+"="):
					inEffect[want] = false // negated or set to something else
				}
			}
		}
	}
	for _, want := range requiredBazelrcFlags {
		if !inEffect[want] {
			c.fail(".bazelrc: %s is not in effect for every command (want it on a common or build line without a :config)", want)
		}
	}
	if !userRC {
		c.fail(".bazelrc: missing try-import %%workspace%%/user.bazelrc (per-user settings such as a remote cache)")
	}
}

// requirePackage loads dir's BUILD.bazel, reporting it missing (what names the directory's role).
func (c *checker) requirePackage(dir, what string) (pkg, bool) {
	p, ok, err := c.load(dir)
	switch {
	case err != nil:
		c.fail("%s/BUILD.bazel: %v", dir, err)
	case !ok:
		c.fail("%s: %s without a BUILD.bazel", dir, what)
	}
	return p, err == nil && ok
}

// eachPackage calls fn for every BUILD.bazel package in the repository.
func (c *checker) eachPackage(fn func(pkg)) {
	for _, file := range c.files {
		if filepath.Base(file) != "BUILD.bazel" {
			continue
		}
		dir := filepath.ToSlash(filepath.Dir(file))
		if dir == "." {
			dir = ""
		}
		if p, ok, err := c.load(dir); err == nil && ok {
			fn(p) // a parse error is reported by checkHermetic
		}
	}
}
