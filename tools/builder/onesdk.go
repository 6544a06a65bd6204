package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// One SDK in a distribution. The SDK crate owns the factory registry (a linkme slice), so two
// copies of it in one archive are two registries, which linkme refuses at run time
// ("duplicate #[distributed_slice]"). The distribution is built with the SDK of the otelcol-rust
// checkout the builder runs from: [patch.crates-io] redirects registry requirements to it, and
// the resolve step redirects each git copy a component asks for with [patch."<url>"], after
// checking that every requirement accepts the checkout's version (Cargo would apply a patch
// that `*` accepts to a component written for another SDK series).

// sdkCrate is the SDK's package name.
const sdkCrate = "otelcol-rust-sdk"

// cratesIO is the source cargo metadata gives crates.io packages and dependencies.
const cratesIO = "registry+https://github.com/rust-lang/crates.io-index"

// cargoMetadata is the part of `cargo metadata --format-version 1` the builder reads.
type cargoMetadata struct {
	Packages []cargoPackage `json:"packages"`
	Resolve  struct {
		Root  string      `json:"root"`
		Nodes []cargoNode `json:"nodes"`
	} `json:"resolve"`
}

type cargoPackage struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	Source       string            `json:"source"` // "" for a path package
	ManifestPath string            `json:"manifest_path"`
	Dependencies []cargoDependency `json:"dependencies"`
	Targets      []cargoTarget     `json:"targets"`
}

// cargoTarget is one of a package's targets (its library, binaries, tests...).
type cargoTarget struct {
	Name string   `json:"name"`
	Kind []string `json:"kind"` // "lib", "rlib", "proc-macro", "bin"...
}

// cargoDependency is a dependency as its package declares it.
type cargoDependency struct {
	Name   string `json:"name"` // the package name, even when the dependency renames it
	Source string `json:"source"`
	Req    string `json:"req"`
	Kind   string `json:"kind"` // "" (normal), "build" or "dev"
	Path   string `json:"path"` // a path dependency's directory
}

// cargoNode is a package in the resolved graph, with the packages it depends on.
type cargoNode struct {
	ID   string `json:"id"`
	Deps []struct {
		Name string `json:"name"` // the extern crate name
		Pkg  string `json:"pkg"`
	} `json:"deps"`
}

func (md *cargoMetadata) packageByID() map[string]*cargoPackage {
	packages := make(map[string]*cargoPackage, len(md.Packages))
	for i := range md.Packages {
		packages[md.Packages[i].ID] = &md.Packages[i]
	}
	return packages
}

func (md *cargoMetadata) node(id string) *cargoNode {
	for i := range md.Resolve.Nodes {
		if md.Resolve.Nodes[i].ID == id {
			return &md.Resolve.Nodes[i]
		}
	}
	return nil
}

// sdkPackages lists the SDK packages in the resolved graph.
func (md *cargoMetadata) sdkPackages() []*cargoPackage {
	packages := md.packageByID()
	var sdks []*cargoPackage
	for _, node := range md.Resolve.Nodes {
		if pkg := packages[node.ID]; pkg != nil && pkg.Name == sdkCrate {
			sdks = append(sdks, pkg)
		}
	}
	return sdks
}

// moduleIDs maps each cargo module to its package in the graph: the root's dependency of that
// package name.
func (md *cargoMetadata) moduleIDs(modules []CargoModule) ([]string, error) {
	packages := md.packageByID()
	root := md.node(md.Resolve.Root)
	if root == nil {
		return nil, errors.New("cargo metadata shows no resolved root package")
	}
	ids := make([]string, len(modules))
	for i, module := range modules {
		for _, dep := range root.Deps {
			if pkg := packages[dep.Pkg]; pkg != nil && pkg.Name == module.Package {
				ids[i] = dep.Pkg
			}
		}
		if ids[i] == "" {
			return nil, fmt.Errorf("cargo metadata does not show %s as a library dependency", module.Describe())
		}
	}
	return ids, nil
}

// sdkUse is one package's requirement on the SDK, attributed to the module that brings the
// package into the distribution.
type sdkUse struct {
	Module CargoModule
	Via    *cargoPackage // the package, when it is not the module's own crate
	Dep    *cargoDependency
	SDK    *cargoPackage // what cargo resolved the requirement to (before any git patch)
	// Req is the requirement checked: the declared one, or ^<that SDK's version> when the
	// declaration gives none (`*`, as a git or path dependency without `version` has).
	Req      string
	Accepted bool
}

// sdkPlan is what the resolve step decided.
type sdkPlan struct {
	SDK     *cargoPackage // the checkout's SDK, the one in use
	Uses    []sdkUse      // per module in manifest order; a module without an SDK dependency has one with Dep nil
	Patches []string      // git URLs whose SDK is redirected to the checkout's
}

// planOneSDK reads the graph cargo resolved for the generated crate (with only crates.io
// redirected) and decides how the distribution gets exactly one SDK, the one at sdkManifest
// (the checkout's rust/sdk/Cargo.toml): the git sources to redirect, or why it cannot.
func planOneSDK(md *cargoMetadata, modules []CargoModule, sdkManifest string) (sdkPlan, error) {
	var plan sdkPlan
	for _, sdk := range md.sdkPackages() {
		if sdk.Source == "" && filepath.Clean(sdk.ManifestPath) == filepath.Clean(sdkManifest) {
			plan.SDK = sdk
		}
	}
	if plan.SDK == nil {
		return plan, fmt.Errorf("cargo metadata does not show the checkout's %s (%s)", sdkCrate, filepath.Dir(sdkManifest))
	}
	inUse, err := parseSemver(plan.SDK.Version)
	if err != nil {
		return plan, fmt.Errorf("%s at %s: %w", sdkCrate, filepath.Dir(sdkManifest), err)
	}
	if plan.Uses, err = sdkUses(md, modules); err != nil {
		return plan, err
	}
	var problems []error
	incompatible := false
	for i := range plan.Uses {
		use := &plan.Uses[i]
		if use.Dep == nil {
			continue
		}
		req, err := parseRequirement(use.Req)
		if err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", use.who(), err))
			continue
		}
		use.Accepted = req.matches(inUse)
		incompatible = incompatible || !use.Accepted
		switch sdk := use.SDK; {
		case sdk.ID == plan.SDK.ID:
		case sdk.Source == "":
			problems = append(problems, foreignPathSDK(use.who(), filepath.Dir(sdk.ManifestPath), filepath.Dir(plan.SDK.ManifestPath)))
		case sdk.Source == cratesIO:
			// [patch.crates-io] meets every requirement that accepts the checkout's version;
			// this one does not, and is listed as incompatible.
		case strings.HasPrefix(sdk.Source, "git+"):
			if url := sourceURL(sdk.Source); !slices.Contains(plan.Patches, url) {
				plan.Patches = append(plan.Patches, url)
			}
		default:
			problems = append(problems, fmt.Errorf("%s uses %s %s from %s: the builder redirects only crates.io and git copies of the SDK to the distribution's; "+
				"depend on it from crates.io or by git", use.who(), sdkCrate, sdk.Version, sourceName(sdk.Source)))
		}
	}
	if incompatible {
		problems = append(problems, plan.incompatibility())
	}
	slices.Sort(plan.Patches)
	return plan, errors.Join(problems...)
}

// foreignPathSDK is the refusal of an SDK by path that is not the checkout's.
func foreignPathSDK(who, path, ours string) error {
	hint := ""
	if checkout, ok := strings.CutSuffix(path, string(filepath.Separator)+filepath.Join("rust", "sdk")); ok {
		hint = ", or build with --otelcol-rust " + checkout
	}
	return fmt.Errorf("%s uses the %s at %s, not the distribution's (%s): a path dependency cannot be redirected, "+
		"and two copies of the SDK would be two factory registries; depend on the SDK by version or git%s", who, sdkCrate, path, ours, hint)
}

// sdkCollision is cargo's refusal of two path packages of one name and version, which is how
// a path dependency on another checkout's SDK fails when that SDK has the checkout's version.
var sdkCollision = regexp.MustCompile("package collision in the lockfile: packages " + sdkCrate + ` v\S+ \(([^)]+)\) and ` + sdkCrate + ` v\S+ \(([^)]+)\)`)

// collidingPathSDK recognises that refusal in cargo's output and says which module asks for
// the other SDK (a path module that declares it itself; cargo names none), or "" if it is not one.
func collidingPathSDK(cargoOutput string, modules []CargoModule, ours string) error {
	match := sdkCollision.FindStringSubmatch(cargoOutput)
	if match == nil {
		return nil
	}
	other := filepath.Clean(match[1])
	if other == filepath.Clean(ours) {
		other = filepath.Clean(match[2])
	}
	who := "a module"
	for _, module := range modules {
		if module.Path != "" && declaresSDKAt(module, other) {
			who = module.Describe()
			break
		}
	}
	return foreignPathSDK(who, other, ours)
}

// declaresSDKAt says whether a path module's own Cargo.toml depends on the SDK at dir, as cargo
// reads it (workspace inheritance applied). --no-deps resolves nothing and writes no lock file.
func declaresSDKAt(module CargoModule, dir string) bool {
	manifest := filepath.Join(module.Path, "Cargo.toml")
	out, err := exec.Command("cargo", "metadata", "--no-deps", "--format-version", "1", "--manifest-path", manifest).Output()
	var md cargoMetadata
	if err != nil || json.Unmarshal(out, &md) != nil {
		return false
	}
	for _, pkg := range md.Packages {
		if filepath.Clean(pkg.ManifestPath) != manifest {
			continue
		}
		for _, dep := range pkg.Dependencies {
			if dep.Name == sdkCrate && dep.Kind != "dev" && filepath.Clean(dep.Path) == dir {
				return true
			}
		}
	}
	return false
}

// sdkUses lists, per module, every package it brings in that depends on the SDK: its own crate
// first, then the others by name. A package several modules bring in counts for the first.
func sdkUses(md *cargoMetadata, modules []CargoModule) ([]sdkUse, error) {
	ids, err := md.moduleIDs(modules)
	if err != nil {
		return nil, err
	}
	packages := md.packageByID()
	owner := map[string]int{}
	for i, id := range ids {
		if _, seen := owner[id]; !seen {
			owner[id] = i
		}
	}
	brings := make([][]string, len(modules)) // the module's own crate first
	for i, id := range ids {
		if owner[id] != i { // listed twice: the manifest refuses that
			continue
		}
		brings[i] = []string{id}
		queue := []string{id}
		for len(queue) > 0 {
			node := md.node(queue[0])
			queue = queue[1:]
			if node == nil {
				continue
			}
			for _, dep := range node.Deps {
				if _, seen := owner[dep.Pkg]; !seen {
					owner[dep.Pkg] = i
					brings[i] = append(brings[i], dep.Pkg)
					queue = append(queue, dep.Pkg)
				}
			}
		}
		slices.SortFunc(brings[i][1:], func(a, b string) int {
			return strings.Compare(packages[a].Name+" "+packages[a].Version, packages[b].Name+" "+packages[b].Version)
		})
	}
	var uses []sdkUse
	for i, module := range modules {
		before := len(uses)
		for _, id := range brings[i] {
			pkg := packages[id]
			if pkg == nil || pkg.Name == sdkCrate {
				continue
			}
			for d := range pkg.Dependencies {
				dep := &pkg.Dependencies[d]
				if dep.Name != sdkCrate || dep.Kind == "dev" { // dev-dependencies of a dependency are not built
					continue
				}
				use := sdkUse{Module: module, Dep: dep, SDK: resolvedSDK(md, packages, id, dep)}
				if id != ids[i] {
					use.Via = pkg
				}
				if use.SDK == nil {
					return nil, fmt.Errorf("%s: cargo metadata shows no %s package for its dependency", use.who(), sdkCrate)
				}
				use.Req = dep.Req
				if strings.TrimSpace(dep.Req) == "*" {
					use.Req = "^" + use.SDK.Version
				}
				uses = append(uses, use)
			}
		}
		if len(uses) == before {
			uses = append(uses, sdkUse{Module: module})
		}
	}
	return uses, nil
}

// resolvedSDK is the SDK package the graph gives pkg for its declared dependency dep: its only
// SDK package, or (if it has several, each renamed) the one from the declared source.
func resolvedSDK(md *cargoMetadata, packages map[string]*cargoPackage, id string, dep *cargoDependency) *cargoPackage {
	node := md.node(id)
	if node == nil {
		return nil
	}
	var sdks []*cargoPackage
	for _, d := range node.Deps {
		if pkg := packages[d.Pkg]; pkg != nil && pkg.Name == sdkCrate {
			sdks = append(sdks, pkg)
		}
	}
	for _, sdk := range sdks {
		if len(sdks) == 1 ||
			(dep.Path != "" && sdk.Source == "" && filepath.Dir(sdk.ManifestPath) == filepath.Clean(dep.Path)) ||
			(dep.Source != "" && sourceURL(sdk.Source) == sourceURL(dep.Source)) {
			return sdk
		}
	}
	return nil
}

// who names the module, and the package through which it depends on the SDK if that is not
// its own crate.
func (u sdkUse) who() string {
	if u.Via != nil {
		return fmt.Sprintf("%s through %s %s", u.Module.Describe(), u.Via.Name, u.Via.Version)
	}
	return u.Module.Describe()
}

// requirement says what the package asks for and where from.
func (u sdkUse) requirement() string {
	if u.Dep == nil {
		return "does not depend on " + sdkCrate
	}
	from := sourceName(u.Dep.Source)
	if u.Dep.Path != "" {
		from = "path " + u.Dep.Path
	}
	if strings.TrimSpace(u.Dep.Req) == "*" {
		return fmt.Sprintf("%s %s (no version given: the one at %s, %s)", sdkCrate, u.Req, from, u.SDK.Version)
	}
	return fmt.Sprintf("%s %s from %s", sdkCrate, u.Req, from)
}

// incompatibility lists every module's requirement, marking those that refuse the SDK in use.
func (p sdkPlan) incompatibility() error {
	var b strings.Builder
	fmt.Fprintf(&b, "the distribution's SDK is %s %s (%s), and not every module accepts it:", sdkCrate, p.SDK.Version, filepath.Dir(p.SDK.ManifestPath))
	for _, use := range p.Uses {
		mark := "ok"
		if use.Dep != nil && !use.Accepted {
			mark = "INCOMPATIBLE"
		}
		fmt.Fprintf(&b, "\n  %-12s  %s: %s", mark, use.who(), use.requirement())
	}
	fmt.Fprintf(&b, "\na component runs only on an SDK its requirement accepts (Cargo's rules: in 0.x a new minor version is incompatible); "+
		"build it against %s %s, or build the distribution from an otelcol-rust checkout whose SDK every module accepts (--otelcol-rust)", sdkCrate, p.SDK.Version)
	return errors.New(b.String())
}

// checkOneSDK checks the final graph: exactly one SDK, the checkout's.
func checkOneSDK(md *cargoMetadata, sdk *cargoPackage) error {
	var others []string
	for _, pkg := range md.sdkPackages() {
		if pkg.ID != sdk.ID {
			others = append(others, fmt.Sprintf("%s from %s", pkg.Version, sourceName(pkg.Source)))
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("the graph still holds other copies of %s than the distribution's (%s): %s", sdkCrate, filepath.Dir(sdk.ManifestPath), strings.Join(others, ", "))
	}
	return nil
}

// sourceURL is a cargo source without its kind, git reference and locked revision: what a
// [patch] table is keyed by. "git+file:///x?branch=main#0123abc" -> "file:///x".
func sourceURL(source string) string {
	_, url, found := strings.Cut(source, "+")
	if !found {
		url = source
	}
	url, _, _ = strings.Cut(url, "#")
	url, _, _ = strings.Cut(url, "?")
	return url
}

// sourceName says where a package or dependency comes from, as users write it.
func sourceName(source string) string {
	switch {
	case source == cratesIO:
		return "crates.io"
	case strings.HasPrefix(source, "git+"):
		url, _, _ := strings.Cut(strings.TrimPrefix(source, "git+"), "#")
		return "git " + url
	case source == "":
		return "a path"
	}
	return source
}
