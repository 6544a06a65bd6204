package main

// replay: what the pinned rules_rust 0.73.0 would run for the static library and the doc tests,
// run with the local toolchains (cargo/rustc/rustdoc, gcc), because no Bazel runs here. The
// flags are derived from the graph (.bazelrc's LTO mode, the rust_static_library's rustc_flags
// and crate_features, the rust_doc_test targets), and the real crates are built through cargo
// in a target directory of its own. Citations are file:line in rules_rust at tag 0.73.0
// (docs/bazel.md).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/bazelbuild/buildtools/build"
)

const (
	replayCargoDir    = "rust"                     // the Cargo workspace, relative to the repository root
	replayProfile     = "bazel-replay"             // the cargo profile below; also the output directory's name
	replayTargetDir   = "rust/target/bazel-replay" // CARGO_TARGET_DIR: apart from the main builds
	replayStaticlibPk = "rust/staticlib"
	replayStaticlib   = "staticlib" // the target go/internal/rustffi's cdeps name
	replayComponents  = "rust/components"
	ltoSetting        = "@rules_rust//rust/settings:lto"
	digestVariable    = "github.com/otelcol-rust/otelcol-rust/go/internal/rustffi.archiveDigest"
)

// replayProfileConfig is a cargo profile with what rules_rust passes in the default compilation
// mode (fastbuild):
//   - opt-level=0, debuginfo=0, strip=none: rustc.bzl:1236-1240 (compilation_mode_opts of
//     fastbuild) and 1259 (--codegen=strip=none). Cargo would add -C strip=debuginfo for debug=0.
//   - codegen-units=16, incremental=false: rustc's own default when nothing is passed, as with
//     rules_rust (rustc.bzl:2263-2283 adds -Ccodegen-units only when enabled; default -1).
//   - lto=false: of cargo's LTO choices the one that adds least, -C embed-bitcode=no on every
//     crate. replayBaseRustflags resets that to rustc's default; the graph's flags follow.
//
// Debug assertions and overflow checks stay on (dev): rustc turns both on at opt-level 0.
var replayProfileConfig = []string{
	`profile.` + replayProfile + `.inherits="dev"`,
	`profile.` + replayProfile + `.opt-level=0`,
	`profile.` + replayProfile + `.debug=0`,
	`profile.` + replayProfile + `.strip="none"`,
	`profile.` + replayProfile + `.lto=false`,
	`profile.` + replayProfile + `.codegen-units=16`,
	`profile.` + replayProfile + `.incremental=false`,
}

// replayBaseRustflags undo cargo's profile (lto=false above) so that each crate starts from
// rustc's defaults, as under Bazel (rustc takes the last -C of a name).
var replayBaseRustflags = []string{"-Cembed-bitcode=yes"}

// Cargo has no stable per-crate flags, and it puts `cargo rustc -- <args>` before RUSTFLAGS, so
// the flags that differ by crate type go through a rustc wrapper: this program itself. RUSTFLAGS
// carries them as --bazel-replay-<crate type>=<flag> words (so cargo's fingerprints see them);
// the wrapper drops those words and appends the flags of the crate's type last, where rules_rust
// puts the LTO flags and then the target's rustc_flags (rustc.bzl:1287, 1500-1510).
const (
	replayWrapperEnv  = "OTELCOL_BAZEL_REPLAY_RUSTC_WRAPPER" // set: main runs rustcWrapper
	replayMarker      = "--bazel-replay-"
	replayWrapperName = "bazel-replay-rustc-wrapper"
)

// replayMarkers encodes per-crate-type flags as RUSTFLAGS words, in a stable order.
func replayMarkers(flags map[string][]string) []string {
	var words []string
	for _, crateType := range slices.Sorted(maps.Keys(flags)) {
		for _, flag := range flags[crateType] {
			words = append(words, replayMarker+crateType+"="+flag)
		}
	}
	return words
}

// wrapRustcArgs is what the wrapper passes to rustc for cargo's args: the markers dropped, and
// the flags of the crate's type appended when the invocation compiles one crate of one type
// (not cargo's --print probes).
func wrapRustcArgs(args []string) []string {
	flags := map[string][]string{}
	var kept, types []string
	for _, arg := range args {
		if rest, ok := strings.CutPrefix(arg, replayMarker); ok {
			crateType, flag, _ := strings.Cut(rest, "=")
			flags[crateType] = append(flags[crateType], flag)
			continue
		}
		kept = append(kept, arg)
	}
	for i, arg := range kept {
		if arg == "--crate-type" && i+1 < len(kept) {
			types = append(types, kept[i+1])
		}
	}
	if len(types) != 1 || slices.ContainsFunc(kept, func(a string) bool { return strings.HasPrefix(a, "--print") }) {
		return kept
	}
	crateType := types[0]
	if crateType == "lib" {
		crateType = "rlib" // cargo's "lib" is rustc's default library type, an rlib
	}
	return append(kept, flags[crateType]...)
}

// rustcWrapper runs as RUSTC_WRAPPER: args are rustc's path and cargo's arguments.
func rustcWrapper(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "bazel replay wrapper: no rustc to run")
		return 2
	}
	cmd := exec.Command(args[0], wrapRustcArgs(args[1:])...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "bazel replay wrapper:", err)
		return 1
	}
	return 0
}

// installWrapper copies this program to a stable path in the target directory (go run's binary
// lives in a temporary directory).
func installWrapper(targetDir string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(self)
	if err != nil {
		return "", err
	}
	wrapper := filepath.Join(targetDir, replayWrapperName)
	if old, err := os.ReadFile(wrapper); err == nil && bytes.Equal(old, data) {
		return wrapper, nil
	}
	if err := os.MkdirAll(targetDir, 0o755); err != nil {
		return "", err
	}
	tmp := wrapper + ".tmp"
	if err := os.WriteFile(tmp, data, 0o755); err != nil {
		return "", err
	}
	return wrapper, os.Rename(tmp, wrapper)
}

// ltoFlags is what rules_rust adds for a crate of crateType in an LTO mode (rust/private/lto.bzl,
// _add_lto_flags at rustc.bzl:1287, defined 2251-2261). Crates built in the exec configuration
// (proc-macros, build scripts) always get -Cembed-bitcode=no (lto.bzl:58-61); the replay passes
// --target so that RUSTFLAGS do not reach them, and cargo gives them -C embed-bitcode=no itself.
func ltoFlags(mode, crateType string) ([]string, error) {
	switch mode {
	case "manual":
		return nil, nil // lto.bzl:99-101: nothing for any crate
	case "unspecified", "off", "thin", "fat":
	default:
		return nil, fmt.Errorf("%s=%s: not a mode of rules_rust 0.73.0 (lto.bzl:5-20)", ltoSetting, mode)
	}
	var flags []string
	// lto.bzl:107-108: -Clto=<mode> for off/thin/fat, except proc-macros.
	if mode != "unspecified" && crateType != "proc-macro" {
		flags = append(flags, "-Clto="+mode)
	}
	// lto.bzl:65-66: off/unspecified → only object code. Otherwise lto.bzl:68-84: a crate that
	// links (bin, staticlib, cdylib) → object and bitcode (nothing added); an rlib → only bitcode;
	// dylib/proc-macro → only object. lto.bzl:110-118 turn those into flags.
	switch {
	case mode == "off" || mode == "unspecified" || crateType == "dylib" || crateType == "proc-macro":
		flags = append(flags, "-Cembed-bitcode=no")
	case crateType == "rlib":
		flags = append(flags, "-Clinker-plugin-lto")
	}
	return flags, nil
}

// ltoMode is the rules_rust LTO mode .bazelrc sets for plain `bazel build`/`bazel test`: the last
// `build`/`test`/`common` line without a :config that sets it (Bazel applies rc lines in order,
// and for a build setting the last value wins). Without one it is the default, "unspecified"
// (rust/settings/settings.bzl:63-68).
func ltoMode(bazelrc string) string {
	mode := "unspecified"
	for _, line := range strings.Split(bazelrc, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !slices.Contains([]string{"build", "test", "common"}, fields[0]) {
			continue
		}
		for i, arg := range fields[1:] {
			name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			if !strings.HasPrefix(arg, "--") || strings.TrimLeft(name, "@") != strings.TrimLeft(ltoSetting, "@") {
				continue
			}
			if !hasValue && i+2 < len(fields) {
				value = fields[i+2]
			}
			mode = value
		}
	}
	return mode
}

// defaultValue evaluates an attribute in the default configuration: lists, strings, `+`, and
// select() taking its "//conditions:default" branch (what `bazel test //...` builds).
func defaultValue(expr build.Expr) []string {
	switch e := expr.(type) {
	case nil:
		return nil
	case *build.StringExpr:
		return []string{e.Value}
	case *build.ListExpr:
		var out []string
		for _, item := range e.List {
			out = append(out, defaultValue(item)...)
		}
		return out
	case *build.BinaryExpr:
		if e.Op == "+" {
			return append(defaultValue(e.X), defaultValue(e.Y)...)
		}
	case *build.CallExpr:
		if ident, ok := e.X.(*build.Ident); ok && ident.Name == "select" && len(e.List) == 1 {
			if dict, ok := e.List[0].(*build.DictExpr); ok {
				for _, kv := range dict.List {
					if key, ok := kv.Key.(*build.StringExpr); ok && key.Value == "//conditions:default" {
						return defaultValue(kv.Value)
					}
				}
			}
		}
	}
	return nil
}

// staticLibrary is what the replay needs of the rust_static_library the Go packages link.
type staticLibrary struct {
	CrateName  string
	RustcFlags []string
	Features   []string
}

func readStaticLibrary(graph string) (staticLibrary, error) {
	p, ok, err := loadPackage(graph, replayStaticlibPk)
	if err != nil || !ok {
		return staticLibrary{}, fmt.Errorf("%s/BUILD.bazel: %v", replayStaticlibPk, err)
	}
	for _, rule := range p.rules("rust_static_library") {
		if rule.Name() != replayStaticlib {
			continue
		}
		lib := staticLibrary{
			CrateName:  rule.AttrString("crate_name"),
			RustcFlags: defaultValue(rule.Attr("rustc_flags")),
			Features:   defaultValue(rule.Attr("crate_features")),
		}
		if lib.CrateName == "" {
			lib.CrateName = replayStaticlib // rules_rust: the target name (utils.bzl:422-429)
		}
		return lib, nil
	}
	return staticLibrary{}, fmt.Errorf("%s/BUILD.bazel has no rust_static_library %q", replayStaticlibPk, replayStaticlib)
}

// docTestCrates lists the Cargo packages of every rust_doc_test's crate, with the crate's
// default-configuration features as cargo's "package/feature".
func docTestCrates(graph, root string) (packages, features []string, err error) {
	files, err := bazelFiles(graph)
	if err != nil {
		return nil, nil, err
	}
	for _, file := range files {
		if path.Base(file) != "BUILD.bazel" {
			continue
		}
		dir := path.Dir(file)
		if dir == "." {
			dir = ""
		}
		p, _, err := loadPackage(graph, dir)
		if err != nil {
			return nil, nil, err
		}
		for _, test := range p.rules("rust_doc_test") {
			dir, name := resolveLabel(p.Dir, test.AttrString("crate"))
			var crate struct{ Package struct{ Name string } }
			if _, err := toml.DecodeFile(filepath.Join(root, filepath.FromSlash(dir), "Cargo.toml"), &crate); err != nil {
				return nil, nil, fmt.Errorf("%s: the crate of %s:%s: %w", file, p.Label(), test.Name(), err)
			}
			packages = append(packages, crate.Package.Name)
			if lib, ok, _ := loadPackage(graph, dir); ok {
				for _, rule := range lib.rules("rust_library") {
					if rule.Name() == name {
						for _, feature := range defaultValue(rule.Attr("crate_features")) {
							features = append(features, crate.Package.Name+"/"+feature)
						}
					}
				}
			}
		}
	}
	if len(packages) == 0 {
		return nil, nil, errors.New("no rust_doc_test in the graph")
	}
	return packages, features, nil
}

// resolveLabel splits a label written in package dir into its package and target name.
func resolveLabel(dir, label string) (string, string) {
	if rest, ok := strings.CutPrefix(label, ":"); ok {
		return dir, rest
	}
	label = strings.TrimPrefix(label, "//")
	pkgDir, name, ok := strings.Cut(label, ":")
	if !ok {
		name = path.Base(pkgDir)
	}
	return pkgDir, name
}

// replayStep is one command the replay runs, printed as a shell line.
type replayStep struct {
	Dir  string
	Env  []string // shown and set; the rest of the environment is inherited
	Args []string
}

func (s replayStep) String() string {
	quoted := make([]string, 0, len(s.Env)+len(s.Args))
	for _, word := range slices.Concat(s.Env, s.Args) {
		if strings.ContainsAny(word, " '\"$") {
			word = "'" + strings.ReplaceAll(word, "'", `'\''`) + "'"
		}
		quoted = append(quoted, word)
	}
	return "(cd " + s.Dir + " && " + strings.Join(quoted, " ") + ")"
}

func (s replayStep) run(stdout, stderr io.Writer) error {
	cmd := exec.Command(s.Args[0], s.Args[1:]...)
	cmd.Dir = s.Dir
	// Cargo prefers CARGO_ENCODED_RUSTFLAGS (even empty) to RUSTFLAGS: drop any from the caller.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "CARGO_ENCODED_RUSTFLAGS=") || strings.HasPrefix(kv, "CARGO_ENCODED_RUSTDOCFLAGS=")
	})
	cmd.Env = append(cmd.Env, s.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}

// replayPlan is what the replay runs for a graph (.bazelrc and BUILD files read from graph, the
// crates built from root).
type replayPlan struct {
	Mode               string
	RlibFlags          []string
	StaticLibrary      staticLibrary
	StaticlibFlags     []string // the static library's own, after the rlib ones
	Staticlib, DocTest replayStep
	Archive            string
}

func planReplay(root, graph, triple, linker, wrapper string) (replayPlan, error) {
	bazelrc, err := os.ReadFile(filepath.Join(graph, ".bazelrc"))
	if err != nil {
		return replayPlan{}, err
	}
	plan := replayPlan{Mode: ltoMode(string(bazelrc))}
	if plan.RlibFlags, err = ltoFlags(plan.Mode, "rlib"); err != nil {
		return replayPlan{}, err
	}
	staticlibFlags, err := ltoFlags(plan.Mode, "staticlib")
	if err != nil {
		return replayPlan{}, err
	}
	if plan.StaticLibrary, err = readStaticLibrary(graph); err != nil {
		return replayPlan{}, err
	}
	// rustc.bzl:1287 puts the LTO flags for the crate type before the target's rustc_flags,
	// which come last (rustc.bzl:1500-1510).
	plan.StaticlibFlags = slices.Concat(staticlibFlags, plan.StaticLibrary.RustcFlags)
	packages, docFeatures, err := docTestCrates(graph, root)
	if err != nil {
		return replayPlan{}, err
	}

	cargoDir := filepath.Join(root, replayCargoDir)
	targetDir := filepath.Join(root, replayTargetDir)
	common := []string{"--locked", "--target", triple}
	for _, config := range replayProfileConfig {
		common = append(common, "--config", config)
	}
	common = append(common, "--profile", replayProfile)
	rlibFlags := slices.Concat(replayBaseRustflags, plan.RlibFlags)
	markers := replayMarkers(map[string][]string{
		"rlib":      rlibFlags,
		"staticlib": slices.Concat(replayBaseRustflags, plan.StaticlibFlags),
	})
	env := []string{"CARGO_TARGET_DIR=" + targetDir, "RUSTC_WRAPPER=" + wrapper, replayWrapperEnv + "=1", "RUSTFLAGS=" + strings.Join(markers, " ")}

	// (a) the static library: its dependencies are rlibs (RUSTFLAGS), then the staticlib itself.
	staticlibPackage, err := cargoPackageName(filepath.Join(root, replayStaticlibPk))
	if err != nil {
		return replayPlan{}, err
	}
	args := slices.Concat([]string{"cargo", "build", "-p", staticlibPackage}, common)
	if len(plan.StaticLibrary.Features) > 0 {
		args = append(args, "--features", strings.Join(plan.StaticLibrary.Features, ","))
	}
	plan.Staticlib = replayStep{Dir: cargoDir, Env: env, Args: args}
	plan.Archive = filepath.Join(targetDir, triple, replayProfile, "lib"+plan.StaticLibrary.CrateName+".a")

	// (b) the doc tests. rustdoc_test.bzl:298-318 takes the legacy implementation on a stable
	// toolchain; rustdoc.bzl:173-196 builds its arguments with construct_arguments for the crate
	// as an rlib (the LTO flags of an rlib, rustc.bzl:1287) and add_flags_for_binary, so the
	// linker is the C toolchain's gcc (rustc.bzl:400-402, 435-438, 1323).
	args = slices.Concat([]string{"cargo", "test", "--doc", "--no-fail-fast"}, common)
	for _, p := range packages {
		args = append(args, "-p", p)
	}
	if len(docFeatures) > 0 {
		args = append(args, "--features", strings.Join(docFeatures, ","))
	}
	// RUSTC_WRAPPER does not wrap rustdoc: RUSTDOCFLAGS carries the rlib flags directly.
	docEnv := append(slices.Clone(env), "RUSTDOCFLAGS="+strings.Join(rlibFlags, " ")+" -Clinker="+linker)
	plan.DocTest = replayStep{Dir: cargoDir, Env: docEnv, Args: args}
	return plan, nil
}

func cargoPackageName(dir string) (string, error) {
	var crate struct{ Package struct{ Name string } }
	_, err := toml.DecodeFile(filepath.Join(dir, "Cargo.toml"), &crate)
	return crate.Package.Name, err
}

func hostTriple() (string, error) {
	out, err := exec.Command("rustc", "-vV").Output()
	if err != nil {
		return "", fmt.Errorf("rustc -vV: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if host, ok := strings.CutPrefix(line, "host: "); ok {
			return strings.TrimSpace(host), nil
		}
	}
	return "", errors.New("rustc -vV names no host")
}

// runReplay runs the plan for graph and checks the outcome. Output of the commands goes to w.
func runReplay(root, graph string, w io.Writer) error {
	triple, err := hostTriple()
	if err != nil {
		return err
	}
	// The C toolchain rules_cc autoconfigures: $CC, else gcc on PATH (rules_cc 0.2.22
	// unix_cc_configure.bzl:359). Its extra link flags (-fuse-ld=gold/lld when found,
	// unix_cc_configure.bzl:496-513) are not replayed: they change how the doc tests fail
	// under a bitcode-only graph, not whether they do.
	cc := os.Getenv("CC")
	if cc == "" {
		cc = "gcc"
	}
	linker, err := exec.LookPath(cc)
	if err != nil {
		return err
	}
	wrapper, err := installWrapper(filepath.Join(root, replayTargetDir))
	if err != nil {
		return err
	}
	plan, err := planReplay(root, graph, triple, linker, wrapper)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "replay: %s=%s (from %s): rlib %q, staticlib %q; //%s:%s rustc_flags %q, crate_features %q\n",
		ltoSetting, plan.Mode, filepath.Join(graph, ".bazelrc"), plan.RlibFlags, plan.StaticlibFlags,
		replayStaticlibPk, replayStaticlib, plan.StaticLibrary.RustcFlags, plan.StaticLibrary.Features)

	var failures []string
	step := func(name string, s replayStep, check func() error) {
		fmt.Fprintf(w, "replay: %s\n  %s\n", name, s)
		start := time.Now()
		err := s.run(w, w)
		if err == nil && check != nil {
			err = check()
		}
		if err != nil {
			failures = append(failures, fmt.Sprintf("%s: %v", name, err))
			fmt.Fprintf(w, "replay: %s FAILED after %s: %v\n", name, time.Since(start).Round(time.Second), err)
			return
		}
		fmt.Fprintf(w, "replay: %s ok (%s)\n", name, time.Since(start).Round(time.Second))
	}
	step("static library //"+replayStaticlibPk+":"+replayStaticlib, plan.Staticlib, func() error {
		return checkArchive(root, plan.Archive, w)
	})
	step("doc tests (rust_doc_test)", plan.DocTest, nil)
	if len(failures) > 0 {
		return fmt.Errorf("the replay of what Bazel would run (%s=%s, flags above) failed:\n  %s",
			ltoSetting, plan.Mode, strings.Join(failures, "\n  "))
	}
	return nil
}

// checkArchive links the archive into go/internal/cmd/rusttypes, as tools/builder does for a
// distribution (-tags otelcolrust_distribution, the archive in CGO_LDFLAGS), and checks that the
// registry of the linked program lists every component under rust/components. That is the
// question that matters for Go: the external linker pulls only archive members that resolve
// a symbol, so a registration in a dropped object would be missing here too.
func checkArchive(root, archive string, w io.Writer) error {
	data, err := os.ReadFile(archive)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	// The digest makes Go relink when the archive changed (go run caches the executable).
	link := replayStep{
		Dir: filepath.Join(root, "go"),
		Env: []string{"CGO_ENABLED=1", "CGO_LDFLAGS=" + strings.TrimSpace(os.Getenv("CGO_LDFLAGS")+" '"+archive+"'")},
		Args: []string{"go", "run", "-tags", "otelcolrust_distribution",
			"-ldflags=-X=" + digestVariable + "=" + hex.EncodeToString(sum[:]), "./internal/cmd/rusttypes"},
	}
	fmt.Fprintf(w, "replay: the archive's registry, linked into a Go program\n  %s\n", link)
	var out bytes.Buffer
	if err := link.run(&out, w); err != nil {
		return fmt.Errorf("linking %s into rusttypes: %w", archive, err)
	}
	var types []struct{ Type string }
	if err := json.Unmarshal(out.Bytes(), &types); err != nil {
		return fmt.Errorf("rusttypes printed %q: %w", out.String(), err)
	}
	entries, err := os.ReadDir(filepath.Join(root, replayComponents))
	if err != nil {
		return err
	}
	var missing, linked []string
	for _, t := range types {
		linked = append(linked, t.Type)
	}
	for _, entry := range entries {
		if entry.IsDir() && !slices.Contains(linked, entry.Name()) {
			missing = append(missing, entry.Name())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s lacks the components %v (registered: %v)", archive, missing, linked)
	}
	fmt.Fprintf(w, "replay: %s registers %v\n", archive, linked)
	return nil
}
