package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// rustType is a component type the archive registers, as go/internal/cmd/rusttypes prints it.
type rustType struct {
	Kind      string `json:"kind"` // "extension", "receiver", "processor" or "exporter"
	Type      string `json:"type"`
	Stability string `json:"stability"` // as the collector names it: "Development", "Alpha"...
	// Factory is the factory's Rust type path; its first segment is the crate that defines it.
	Factory string `json:"factory"`
	// Signals are a receiver's, a processor's or an exporter's pipelines: "traces", "metrics", "logs".
	Signals []string `json:"signals,omitempty"`
}

func (t rustType) String() string { return "the " + t.Kind + " " + t.Type }

// crate is the Rust crate that defines the factory: the first segment of its type path
// (std::any::type_name names the crate as rustc knows it, `-` written `_`).
func (t rustType) crate() string {
	crate, _, _ := strings.Cut(t.Factory, "::")
	return crate
}

// moduleCrates are the library crates a cargo module brings into the distribution, as
// rustc names them: its own, and every crate of its dependency graph.
type moduleCrates struct {
	Own     string
	Brought []string // Own included
}

// owners are the cargo modules (indices into Manifest.Cargo) that register typ: the module
// whose own crate defines its factory, or else every module that brings that crate in (a
// component may register the factories of a helper crate of its own).
func owners(typ rustType, crates []moduleCrates) []int {
	var own, brought []int
	for i, c := range crates {
		if c.Own == typ.crate() {
			own = append(own, i)
		} else if slices.Contains(c.Brought, typ.crate()) {
			brought = append(brought, i)
		}
	}
	if len(own) > 0 {
		return own
	}
	return brought
}

// selectTypes checks each cargo module against the sections it is listed in and returns the
// types the distribution takes, with notes for the types it leaves out.
//
// A module listed under a section must register at least one component of that section's
// kind: a crate under exporters: that registers only an extension is a mistake the user
// should hear about before ocb runs, naming the module and what it does register. As with
// ocb's Go modules, a section says which components the distribution takes: a type is taken
// if a module registering it is listed under its kind's section (a crate registering both
// an extension and an exporter is listed under both to have both). A type no module can be
// found to register (its factory's crate is in no module's graph) is taken, so nothing
// registered is lost to a naming surprise.
func selectTypes(m *Manifest, crates []moduleCrates, types []rustType) (selected []rustType, notes []string, err error) {
	registers := make([][]rustType, len(m.Cargo))
	for _, typ := range types {
		owned := owners(typ, crates)
		taken := len(owned) == 0
		for _, i := range owned {
			registers[i] = append(registers[i], typ)
			if slices.ContainsFunc(m.Cargo[i].Listings, func(l Listing) bool { return l.Kind() == typ.Kind }) {
				taken = true
			}
		}
		if taken {
			selected = append(selected, typ)
			continue
		}
		module := m.Cargo[owned[0]]
		notes = append(notes, fmt.Sprintf("%s registers %s, which the distribution leaves out: list the crate under %s: as well to have it",
			module.Describe(), typ, kindSections[typ.Kind]))
	}
	var errs []error
	for i, module := range m.Cargo {
		for _, listing := range module.Listings {
			if !slices.ContainsFunc(registers[i], func(t rustType) bool { return t.Kind == listing.Kind() }) {
				errs = append(errs, fmt.Errorf("%s registers no %s: %s", listing.Describe(module), listing.Kind(), registered(registers[i], listing.Kind())))
			}
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return selected, notes, nil
}

// registered says what a module registers instead of a kind it is listed for.
func registered(types []rustType, kind string) string {
	if len(types) == 0 {
		return fmt.Sprintf("its crate registers no component (an otelcol-rust %s registers its factory with otelcol_rust_sdk::register_%s!)", kind, kind)
	}
	var names, sections []string
	for _, typ := range types {
		names = append(names, typ.String())
		if section := kindSections[typ.Kind]; !slices.Contains(sections, section) {
			sections = append(sections, section)
		}
	}
	return fmt.Sprintf("its crate registers only %s; list it under %s:", strings.Join(names, ", "), strings.Join(sections, ": or "))
}

// moduleCrates lists, per cargo module, the library crates it brings in (see moduleCrates).
func (md *cargoMetadata) moduleCrates(modules []CargoModule) ([]moduleCrates, error) {
	ids, err := md.moduleIDs(modules)
	if err != nil {
		return nil, err
	}
	packages := md.packageByID()
	crates := make([]moduleCrates, len(modules))
	for i, id := range ids {
		crates[i].Own = libCrate(packages[id])
		seen := map[string]bool{id: true}
		for queue := []string{id}; len(queue) > 0; queue = queue[1:] {
			if name := libCrate(packages[queue[0]]); name != "" {
				crates[i].Brought = append(crates[i].Brought, name)
			}
			node := md.node(queue[0])
			if node == nil {
				continue
			}
			for _, dep := range node.Deps {
				if !seen[dep.Pkg] {
					seen[dep.Pkg] = true
					queue = append(queue, dep.Pkg)
				}
			}
		}
	}
	return crates, nil
}

// libCrate is the name rustc gives a package's library crate ("" if it has none): its lib
// target's name, which `[lib] name` may set apart from the package's, with `-` written `_`.
func libCrate(pkg *cargoPackage) string {
	if pkg == nil {
		return ""
	}
	for _, target := range pkg.Targets {
		if slices.ContainsFunc(target.Kind, func(k string) bool {
			return k == "lib" || k == "rlib" || k == "staticlib" || k == "dylib" || k == "cdylib"
		}) {
			return strings.ReplaceAll(target.Name, "-", "_")
		}
	}
	return ""
}
