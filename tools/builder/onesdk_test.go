package main

import (
	"strings"
	"testing"
)

// A fake resolved graph, as cargo metadata gives it for a generated crate: package IDs are
// short names here (the builder treats them as opaque).

const checkoutSDKDir = "/src/otelcol-rust/rust/sdk"

var (
	checkoutSDK = cargoPackage{ID: "sdk", Name: sdkCrate, Version: "0.1.0", ManifestPath: checkoutSDKDir + "/Cargo.toml"}
	boundary    = cargoPackage{ID: "ffi", Name: "otelcol-rust-ffi", Version: "0.1.0", ManifestPath: "/src/otelcol-rust/rust/ffi/Cargo.toml",
		Dependencies: []cargoDependency{{Name: sdkCrate, Req: "*", Path: checkoutSDKDir}}}
)

func gitSDK(id, version, url string) cargoPackage {
	return cargoPackage{ID: id, Name: sdkCrate, Version: version, Source: "git+" + url + "#0123abcd", ManifestPath: "/cargo/git/checkouts/x/rust/sdk/Cargo.toml"}
}

func component(id, name string, deps ...cargoDependency) cargoPackage {
	return cargoPackage{ID: id, Name: name, Version: "0.3.0", ManifestPath: "/components/" + name + "/Cargo.toml", Dependencies: deps}
}

func onPath(req, dir string) cargoDependency {
	return cargoDependency{Name: sdkCrate, Req: req, Path: dir}
}
func onGit(req, url string) cargoDependency {
	return cargoDependency{Name: sdkCrate, Req: req, Source: "git+" + url}
}

// graph makes the metadata of a generated crate ("root") that depends on the boundary and on
// each module package, with the packages and dependency edges given (from ID -> to IDs). The
// boundary always depends on the checkout's SDK.
func graph(packages []cargoPackage, modules []string, edges map[string][]string) *cargoMetadata {
	md := &cargoMetadata{Packages: append([]cargoPackage{{ID: "root", Name: "otelcol-rust-dist-mycol"}, boundary, checkoutSDK}, packages...)}
	md.Resolve.Root = "root"
	names := map[string]string{}
	for _, pkg := range md.Packages {
		names[pkg.ID] = strings.ReplaceAll(pkg.Name, "-", "_")
	}
	all := map[string][]string{"root": append([]string{"ffi"}, modules...), "ffi": {"sdk"}}
	for from, to := range edges {
		all[from] = to
	}
	for _, pkg := range md.Packages {
		node := cargoNode{ID: pkg.ID}
		for _, to := range all[pkg.ID] {
			node.Deps = append(node.Deps, struct {
				Name string `json:"name"`
				Pkg  string `json:"pkg"`
			}{names[to], to})
		}
		md.Resolve.Nodes = append(md.Resolve.Nodes, node)
	}
	return md
}

func cargoModules(packages ...string) []CargoModule {
	var modules []CargoModule
	for i, pkg := range packages {
		modules = append(modules, CargoModule{Where: "extensions[" + string(rune('0'+i)) + "]", Pos: "m.yaml:" + string(rune('5'+i)) + ":5", Key: pkg, Package: pkg})
	}
	return modules
}

const adviceLine = "\na component runs only on an SDK its requirement accepts (Cargo's rules: in 0.x a new minor version is incompatible); " +
	"build it against otelcol-rust-sdk 0.1.0, or build the distribution from an otelcol-rust checkout whose SDK every module accepts (--otelcol-rust)"

// Guarantees: the resolve step redirects every git copy of the SDK to the checkout's when each
// requirement accepts the checkout's version, and otherwise refuses before compiling, listing
// every module's requirement with the incompatible ones marked, naming module, requirement,
// source and the version in use; a path copy of another checkout and a registry other than
// crates.io are refused with what to do instead.
func TestPlanOneSDK(t *testing.T) {
	for _, tc := range []struct {
		name     string
		md       *cargoMetadata
		modules  []CargoModule
		patches  []string
		err      string // the whole message; "" for none
		wantReqs []string
	}{
		{
			name:     "every module on the checkout's SDK by path",
			md:       graph([]cargoPackage{component("a", "rust-sample", onPath("*", checkoutSDKDir))}, []string{"a"}, map[string][]string{"a": {"sdk"}}),
			modules:  cargoModules("rust-sample"),
			wantReqs: []string{"^0.1.0"},
		},
		{
			name: "a git SDK without version and a crates.io requirement met by the checkout",
			md: graph([]cargoPackage{
				component("a", "rust-sample", onPath("*", checkoutSDKDir)),
				component("b", "git-sample", onGit("*", "file:///git/otelcol-rust")),
				component("c", "registry-sample", cargoDependency{Name: sdkCrate, Req: "^0.1", Source: cratesIO}),
				gitSDK("gitsdk", "0.1.0", "file:///git/otelcol-rust"),
			}, []string{"a", "b", "c"}, map[string][]string{"a": {"sdk"}, "b": {"gitsdk"}, "c": {"sdk"}}),
			modules:  cargoModules("rust-sample", "git-sample", "registry-sample"),
			patches:  []string{"file:///git/otelcol-rust"},
			wantReqs: []string{"^0.1.0", "^0.1.0", "^0.1"},
		},
		{
			name: "a git SDK on a branch, with a version, two modules",
			md: graph([]cargoPackage{
				component("a", "one", onGit("^0.1", "file:///git/sdk?branch=main")),
				component("b", "two", onGit("^0.1.0", "file:///git/sdk?branch=main")),
				gitSDK("gitsdk", "0.1.0", "file:///git/sdk?branch=main"),
			}, []string{"a", "b"}, map[string][]string{"a": {"gitsdk"}, "b": {"gitsdk"}}),
			modules:  cargoModules("one", "two"),
			patches:  []string{"file:///git/sdk"},
			wantReqs: []string{"^0.1", "^0.1.0"},
		},
		{
			name: "a git SDK of another series, no version given",
			md: graph([]cargoPackage{
				component("a", "rust-sample", onPath("*", checkoutSDKDir)),
				component("b", "newer", onGit("*", "file:///git/sdk-0.2")),
				gitSDK("gitsdk", "0.2.0", "file:///git/sdk-0.2"),
			}, []string{"a", "b"}, map[string][]string{"a": {"sdk"}, "b": {"gitsdk"}}),
			modules: cargoModules("rust-sample", "newer"),
			err: "the distribution's SDK is otelcol-rust-sdk 0.1.0 (" + checkoutSDKDir + "), and not every module accepts it:\n" +
				"  ok            extensions[0] (m.yaml:5:5, crate rust-sample): otelcol-rust-sdk ^0.1.0 (no version given: the one at path " + checkoutSDKDir + ", 0.1.0)\n" +
				"  INCOMPATIBLE  extensions[1] (m.yaml:6:5, crate newer): otelcol-rust-sdk ^0.2.0 (no version given: the one at git file:///git/sdk-0.2, 0.2.0)" +
				adviceLine,
		},
		{
			name: "a requirement that asks for another series, a later patch and a module without the SDK",
			md: graph([]cargoPackage{
				component("a", "newer", onGit("^0.2", "file:///git/sdk-0.2")),
				component("b", "patched", onGit("^0.1.4", "file:///git/sdk-0.1.4")),
				component("c", "plain"),
				gitSDK("gitsdk2", "0.2.0", "file:///git/sdk-0.2"),
				gitSDK("gitsdk14", "0.1.4", "file:///git/sdk-0.1.4"),
			}, []string{"a", "b", "c"}, map[string][]string{"a": {"gitsdk2"}, "b": {"gitsdk14"}}),
			modules: cargoModules("newer", "patched", "plain"),
			err: "the distribution's SDK is otelcol-rust-sdk 0.1.0 (" + checkoutSDKDir + "), and not every module accepts it:\n" +
				"  INCOMPATIBLE  extensions[0] (m.yaml:5:5, crate newer): otelcol-rust-sdk ^0.2 from git file:///git/sdk-0.2\n" +
				"  INCOMPATIBLE  extensions[1] (m.yaml:6:5, crate patched): otelcol-rust-sdk ^0.1.4 from git file:///git/sdk-0.1.4\n" +
				"  ok            extensions[2] (m.yaml:7:5, crate plain): does not depend on otelcol-rust-sdk" +
				adviceLine,
		},
		{
			name: "a crates.io requirement for the next series, met there",
			md: graph([]cargoPackage{
				component("a", "published", cargoDependency{Name: sdkCrate, Req: "^0.2", Source: cratesIO}),
				{ID: "cratessdk", Name: sdkCrate, Version: "0.2.1", Source: cratesIO, ManifestPath: "/cargo/registry/src/index.crates.io/otelcol-rust-sdk-0.2.1/Cargo.toml"},
			}, []string{"a"}, map[string][]string{"a": {"cratessdk"}}),
			modules: cargoModules("published"),
			err: "the distribution's SDK is otelcol-rust-sdk 0.1.0 (" + checkoutSDKDir + "), and not every module accepts it:\n" +
				"  INCOMPATIBLE  extensions[0] (m.yaml:5:5, crate published): otelcol-rust-sdk ^0.2 from crates.io" +
				adviceLine,
		},
		{
			name: "a module that reaches the SDK through a helper crate",
			md: graph([]cargoPackage{
				component("a", "wrapped", cargoDependency{Name: "helper", Req: "^1"}),
				component("h", "helper", onGit("*", "file:///git/sdk-0.2")),
				gitSDK("gitsdk", "0.2.0", "file:///git/sdk-0.2"),
			}, []string{"a"}, map[string][]string{"a": {"h"}, "h": {"gitsdk"}}),
			modules: cargoModules("wrapped"),
			err: "the distribution's SDK is otelcol-rust-sdk 0.1.0 (" + checkoutSDKDir + "), and not every module accepts it:\n" +
				"  INCOMPATIBLE  extensions[0] (m.yaml:5:5, crate wrapped) through helper 0.3.0: otelcol-rust-sdk ^0.2.0 (no version given: the one at git file:///git/sdk-0.2, 0.2.0)" +
				adviceLine,
		},
		{
			name: "a dev-dependency on another SDK is not built",
			md: graph([]cargoPackage{
				component("a", "tested", onPath("*", checkoutSDKDir), cargoDependency{Name: sdkCrate, Req: "^0.2", Kind: "dev"}),
			}, []string{"a"}, map[string][]string{"a": {"sdk"}}),
			modules:  cargoModules("tested"),
			wantReqs: []string{"^0.1.0"},
		},
		{
			name: "the SDK of another checkout by path",
			md: graph([]cargoPackage{
				component("a", "elsewhere", onPath("*", "/src/other-checkout/otelcol-rust/rust/sdk")),
				{ID: "othersdk", Name: sdkCrate, Version: "0.1.0", ManifestPath: "/src/other-checkout/otelcol-rust/rust/sdk/Cargo.toml"},
			}, []string{"a"}, map[string][]string{"a": {"othersdk"}}),
			modules: cargoModules("elsewhere"),
			err: "extensions[0] (m.yaml:5:5, crate elsewhere) uses the otelcol-rust-sdk at /src/other-checkout/otelcol-rust/rust/sdk, not the distribution's (" + checkoutSDKDir + "): " +
				"a path dependency cannot be redirected, and two copies of the SDK would be two factory registries; " +
				"depend on the SDK by version or git, or build with --otelcol-rust /src/other-checkout/otelcol-rust",
		},
		{
			name: "an SDK from another registry",
			md: graph([]cargoPackage{
				component("a", "acme", cargoDependency{Name: sdkCrate, Req: "^0.1", Source: "sparse+https://registry.acme.example/index/"}),
				{ID: "acmesdk", Name: sdkCrate, Version: "0.1.0", Source: "sparse+https://registry.acme.example/index/", ManifestPath: "/cargo/registry/src/acme/otelcol-rust-sdk-0.1.0/Cargo.toml"},
			}, []string{"a"}, map[string][]string{"a": {"acmesdk"}}),
			modules: cargoModules("acme"),
			err: "extensions[0] (m.yaml:5:5, crate acme) uses otelcol-rust-sdk 0.1.0 from sparse+https://registry.acme.example/index/: " +
				"the builder redirects only crates.io and git copies of the SDK to the distribution's; depend on it from crates.io or by git",
		},
		{
			name:    "a module cargo does not show",
			md:      graph(nil, nil, nil),
			modules: cargoModules("missing"),
			err:     "cargo metadata does not show extensions[0] (m.yaml:5:5, crate missing) as a library dependency",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := planOneSDK(tc.md, tc.modules, checkoutSDKDir+"/Cargo.toml")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error\n got: %v\nwant: %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(plan.Patches, " ") != strings.Join(tc.patches, " ") {
				t.Errorf("patches %q, want %q", plan.Patches, tc.patches)
			}
			var reqs []string
			for _, use := range plan.Uses {
				reqs = append(reqs, use.Req)
				if !use.Accepted {
					t.Errorf("%s not accepted", use.who())
				}
			}
			if strings.Join(reqs, " ") != strings.Join(tc.wantReqs, " ") {
				t.Errorf("requirements %q, want %q", reqs, tc.wantReqs)
			}
			if err := checkOneSDK(tc.md, plan.SDK); tc.patches == nil && err != nil {
				t.Errorf("checkOneSDK: %v", err)
			}
		})
	}
}

// Guarantees: the graph is refused if the checkout's SDK is not in it, and after the git copies
// are redirected any copy left over is named.
func TestCheckOneSDK(t *testing.T) {
	md := graph([]cargoPackage{component("a", "x", onPath("*", "/elsewhere/sdk"))}, []string{"a"}, nil)
	md.Packages[2].ManifestPath = "/elsewhere/sdk/Cargo.toml"
	if _, err := planOneSDK(md, cargoModules("x"), checkoutSDKDir+"/Cargo.toml"); err == nil ||
		err.Error() != "cargo metadata does not show the checkout's otelcol-rust-sdk ("+checkoutSDKDir+")" {
		t.Errorf("no checkout SDK: %v", err)
	}

	left := graph([]cargoPackage{gitSDK("gitsdk", "0.1.0", "file:///git/sdk?rev=abc")}, nil, map[string][]string{"ffi": {"sdk", "gitsdk"}})
	want := "the graph still holds other copies of otelcol-rust-sdk than the distribution's (" + checkoutSDKDir + "): 0.1.0 from git file:///git/sdk?rev=abc"
	if err := checkOneSDK(left, &checkoutSDK); err == nil || err.Error() != want {
		t.Errorf("checkOneSDK\n got: %v\nwant: %s", err, want)
	}
}

// Guarantees: a [patch] key is the source's URL without kind, reference or revision.
func TestSourceURL(t *testing.T) {
	for source, want := range map[string]string{
		"git+file:///src/sdk#0123abcd":                    "file:///src/sdk",
		"git+https://github.com/o/r?branch=main#0123abcd": "https://github.com/o/r",
		"git+ssh://git@host/r.git?tag=v0.1.0":             "ssh://git@host/r.git",
		cratesIO:                                          "https://github.com/rust-lang/crates.io-index",
	} {
		if got := sourceURL(source); got != want {
			t.Errorf("sourceURL(%q) = %q, want %q", source, got, want)
		}
	}
}
