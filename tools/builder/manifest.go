package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// Manifest is an ocb manifest whose modules may be Rust crates (`cargo:`) as well as Go modules
// (`gomod:`). Everything but the cargo modules is handed to ocb as written, except that paths
// are resolved against the manifest's directory (see resolvePaths).
type Manifest struct {
	Path       string // as given on the command line; prefixes every error
	AbsPath    string // named in the generated files
	Dir        string // the manifest's directory, absolute
	Name       string // dist.name: the binary's name
	Module     string // dist.module: the generated Go module's path
	OutputPath string // dist.output_path, absolute
	Debug      bool   // dist.debug_compilation
	Cargo      []CargoModule
	// doc is the whole manifest, decoded, without the cargo modules: the base of ocb's manifest.
	doc map[string]any
}

// CargoModule is one crate the manifest lists as a `cargo:` module: a Cargo dependency line,
// kept verbatim. A crate is listed at most once per section; a crate registering components
// of several kinds may be listed in each of their sections (Listings), but it is one
// dependency of the generated crate.
type CargoModule struct {
	Where string // its first listing: "extensions[1]"
	Pos   string // "manifest.yaml:12:5"
	// Listings are the places the crate is listed, one per section, in the manifest's order
	// (the first is Where and Pos).
	Listings []Listing
	Text     string // the line as written
	// Line is Text with a relative `path` made absolute: what goes into the generated Cargo.toml.
	Line    string
	Key     string // the dependency key: the crate's name in Rust code (with - for _)
	Package string // the crate's package name (`package = ...`, or Key)
	Path    string // a path dependency's directory, absolute; "" for others
	// spec is the parsed dependency with a relative path made absolute: two listings of one
	// crate must agree on it.
	spec any
}

// Listing is one place a cargo module is listed: the section names the kind of the
// components the crate must register and the distribution takes from it.
type Listing struct {
	Section string // "exporters"
	Where   string // "exporters[0]"
	Pos     string // "manifest.yaml:20:5"
}

// Kind is the component kind the section lists, as the Rust registry names it ("exporter").
func (l Listing) Kind() string { return sectionKinds[l.Section] }

// Describe names the listing the way every error does.
func (l Listing) Describe(m CargoModule) string {
	return fmt.Sprintf("%s (%s, crate %s)", l.Where, l.Pos, m.Package)
}

// Describe names the module the way every error does.
func (m CargoModule) Describe() string {
	return fmt.Sprintf("%s (%s, crate %s)", m.Where, m.Pos, m.Package)
}

// The module lists of an ocb manifest.
var moduleSections = []string{"extensions", "receivers", "processors", "exporters", "connectors", "providers", "converters"}

// sectionKinds are the sections cargo modules may be listed in, with the component kind each
// lists, as the Rust registry names it. Rust connectors are not supported yet.
var sectionKinds = map[string]string{"extensions": "extension", "receivers": "receiver", "processors": "processor", "exporters": "exporter"}

// kindSections is sectionKinds reversed.
var kindSections = map[string]string{"extension": "extensions", "receiver": "receivers", "processor": "processors", "exporter": "exporters"}

// boundaryCrate is added to every generated crate by the builder itself.
const boundaryCrate = "otelcol-rust-ffi"

// ocbDefaultModule is ocb's default for dist.module.
const ocbDefaultModule = "go.opentelemetry.io/collector/cmd/builder"

var (
	crateNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	distNamePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// LoadManifest reads and validates a manifest. All problems are reported at once, each
// prefixed with file:line:column and the module's place ("extensions[1]").
func LoadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	absPath, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a manifest is a YAML mapping with dist: and module lists", path)
	}
	m := &Manifest{Path: path, AbsPath: absPath, Dir: filepath.Dir(absPath), Module: ocbDefaultModule}
	v := &validator{manifest: m}
	top := root.Content[0]
	v.readDist(mappingValue(top, "dist"))
	for _, section := range moduleSections {
		v.readModules(section, mappingValue(top, section))
	}
	if cgo := scalar(mappingValue(top, "dist"), "cgo_enabled"); cgo != nil && cgo.Value == "false" && len(m.Cargo) > 0 {
		v.fail(cgo, "dist.cgo_enabled", "must not be false: Rust components are linked through cgo")
	}
	if telemetry := mappingValue(top, "telemetry"); telemetry != nil && mappingValue(telemetry, "cargo") != nil {
		v.fail(telemetry, "telemetry", "a cargo module cannot be the telemetry module")
	}
	if len(v.errs) > 0 {
		return nil, errors.Join(v.errs...)
	}
	if err := top.Decode(&m.doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// ocb reads these as strings; decoding into `any` would turn `version: 1.0` into 1.
	if dist, ok := m.doc["dist"].(map[string]any); ok {
		for _, key := range []string{"name", "module", "description", "version", "go", "build_tags"} {
			if node := scalar(mappingValue(top, "dist"), key); node != nil {
				dist[key] = node.Value
			}
		}
	}
	m.resolvePaths()
	return m, nil
}

type validator struct {
	manifest *Manifest
	errs     []error
}

func (v *validator) fail(node *yaml.Node, where, format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf("%s: %s: %s", v.pos(node), where, fmt.Sprintf(format, args...)))
}

func (v *validator) pos(node *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", v.manifest.Path, node.Line, node.Column)
}

func (v *validator) readDist(dist *yaml.Node) {
	m := v.manifest
	if dist == nil || dist.Kind != yaml.MappingNode {
		v.errs = append(v.errs, fmt.Errorf("%s: dist: missing; it needs at least name", m.Path))
		return
	}
	name := scalar(dist, "name")
	switch {
	case name == nil:
		v.fail(dist, "dist.name", "missing; it names the binary and the generated Rust crate")
	case !distNamePattern.MatchString(name.Value):
		v.fail(name, "dist.name", "%q is not a usable binary name (letters, digits, '.', '_', '-')", name.Value)
	default:
		m.Name = name.Value
	}
	if output := scalar(dist, "output_path"); output != nil && output.Value != "" {
		m.OutputPath = m.abs(output.Value)
	}
	if module := scalar(dist, "module"); module != nil && module.Value != "" {
		m.Module = module.Value
	}
	if debug := scalar(dist, "debug_compilation"); debug != nil {
		m.Debug = debug.Value == "true"
	}
}

func (v *validator) readModules(section string, list *yaml.Node) {
	if list == nil {
		return
	}
	if list.Kind != yaml.SequenceNode {
		v.fail(list, section, "must be a list of modules")
		return
	}
	for i, item := range list.Content {
		where := fmt.Sprintf("%s[%d]", section, i)
		if item.Kind != yaml.MappingNode {
			v.fail(item, where, "a module is a mapping with gomod: or cargo:")
			continue
		}
		gomod, cargo := mappingValue(item, "gomod"), mappingValue(item, "cargo")
		switch {
		case gomod != nil && cargo != nil:
			v.fail(item, where, "has both gomod and cargo; a module is either a Go module or a Rust crate")
		case gomod == nil && cargo == nil:
			v.fail(item, where, "has neither gomod nor cargo")
		case cargo != nil && sectionKinds[section] == "":
			v.fail(cargo, where, "cargo modules can only be extensions, receivers, processors or exporters for now (Rust %s are not supported yet)", section)
		case cargo != nil:
			v.readCargo(item, cargo, section, where)
		}
	}
}

func (v *validator) readCargo(item, cargo *yaml.Node, section, where string) {
	for i := 0; i < len(item.Content); i += 2 {
		if key := item.Content[i].Value; key != "cargo" {
			v.fail(item.Content[i], where, "%q does not apply to a cargo module; everything about the crate goes in the cargo line", key)
			return
		}
	}
	module, err := parseCargoLine(cargo.Value, v.manifest.Dir)
	if err != nil {
		v.fail(cargo, where, "cargo: %v", err)
		return
	}
	listing := Listing{Section: section, Where: where, Pos: v.pos(item)}
	module.Where, module.Pos, module.Listings = listing.Where, listing.Pos, []Listing{listing}
	for i := range v.manifest.Cargo {
		seen := &v.manifest.Cargo[i]
		if seen.Package != module.Package && seen.Key != module.Key {
			continue
		}
		same := slices.IndexFunc(seen.Listings, func(l Listing) bool { return l.Section == section })
		switch {
		case same >= 0:
			v.fail(cargo, where, "crate %s is already listed at %s (a crate registers its types once)", module.Package, seen.Listings[same].Where)
		case seen.Key != module.Key || !reflect.DeepEqual(seen.spec, module.spec):
			// One crate is one dependency of the generated crate: it cannot be two.
			v.fail(cargo, where, "crate %s is listed at %s as %s; a crate listed in several sections is one dependency, so write the same line in each", module.Package, seen.Where, seen.Text)
		default:
			seen.Listings = append(seen.Listings, listing)
		}
		return
	}
	v.manifest.Cargo = append(v.manifest.Cargo, module)
}

// parseCargoLine checks one Cargo dependency line (`name = "1.2"` or `name = { ... }`) and
// rebases a relative `path` onto baseDir.
func parseCargoLine(text, baseDir string) (CargoModule, error) {
	const example = `want one dependency line, e.g. 'my-ext = { path = "../my_ext" }'`
	if strings.TrimSpace(text) == "" {
		return CargoModule{}, errors.New("empty; " + example)
	}
	if strings.Contains(strings.TrimSpace(text), "\n") {
		return CargoModule{}, errors.New("spans several lines; " + example)
	}
	var parsed map[string]any
	if _, err := toml.Decode(text, &parsed); err != nil {
		return CargoModule{}, fmt.Errorf("not a Cargo dependency line (%s): %v", example, err)
	}
	if len(parsed) != 1 { // one line holds at most one key = value
		return CargoModule{}, errors.New("names no crate; " + example)
	}
	module := CargoModule{Text: text, Line: text}
	for key, spec := range parsed {
		module.Key, module.Package = key, key
		if !crateNamePattern.MatchString(key) {
			return CargoModule{}, fmt.Errorf("%q is not a crate name", key)
		}
		switch spec := spec.(type) {
		case string:
			if spec == "" {
				return CargoModule{}, fmt.Errorf("%s: empty version requirement", key)
			}
		case map[string]any:
			if err := module.checkTable(spec, baseDir); err != nil {
				return CargoModule{}, err
			}
			if module.Path != "" {
				spec["path"] = module.Path
			}
		default:
			return CargoModule{}, fmt.Errorf("%s: want a version string or an inline table, got %T", key, spec)
		}
		module.spec = spec
	}
	if module.Package == boundaryCrate {
		return CargoModule{}, fmt.Errorf("%s is added by the builder itself; list component crates only", boundaryCrate)
	}
	return module, nil
}

func (m *CargoModule) checkTable(spec map[string]any, baseDir string) error {
	if _, ok := spec["workspace"]; ok {
		return fmt.Errorf("%s: workspace = true cannot work here: the generated crate is not in your workspace", m.Key)
	}
	if pkg, ok := spec["package"].(string); ok {
		m.Package = pkg
	}
	if !slices.ContainsFunc([]string{"version", "path", "git", "registry"}, func(k string) bool { _, ok := spec[k]; return ok }) {
		return fmt.Errorf("%s: say where the crate comes from (version, path, git or registry)", m.Key)
	}
	path, ok := spec["path"].(string)
	if !ok {
		return nil
	}
	abs := path
	if !filepath.IsAbs(path) {
		abs = filepath.Join(baseDir, path)
	}
	if info, err := os.Stat(filepath.Join(abs, "Cargo.toml")); err != nil || info.IsDir() {
		return fmt.Errorf("%s: path %s holds no Cargo.toml", m.Key, abs)
	}
	m.Path = filepath.Clean(abs)
	if abs == path {
		return nil
	}
	// Cargo would resolve the path against the generated crate; users mean the manifest's
	// directory. Rewrite only the string, so the line stays as written otherwise.
	quoted := tomlString(abs)
	for _, literal := range []string{`"` + path + `"`, `'` + path + `'`} {
		if strings.Count(m.Text, literal) == 1 && quoted != "" {
			m.Line = strings.Replace(m.Text, literal, quoted, 1)
			return nil
		}
	}
	return fmt.Errorf("%s: cannot rebase path %q onto the manifest's directory; write it as an absolute path", m.Key, path)
}

// tomlString quotes s as a TOML basic string, or returns "" if s needs escapes.
func tomlString(s string) string {
	if strings.ContainsAny(s, "\"\\\n\r\t") {
		return ""
	}
	return `"` + s + `"`
}

// resolvePaths makes the manifest's relative paths absolute against its directory, so the
// result does not depend on where the builder runs: dist.output_path and each Go module's
// path: (the telemetry module's too). (`replaces:` entries are go.mod lines, relative to output_path, as in ocb.)
func (m *Manifest) resolvePaths() {
	if dist, ok := m.doc["dist"].(map[string]any); ok {
		dist["output_path"] = m.OutputPath
	}
	if telemetry, ok := m.doc["telemetry"].(map[string]any); ok {
		if path, ok := telemetry["path"].(string); ok && path != "" {
			telemetry["path"] = m.abs(path)
		}
	}
	for _, section := range moduleSections {
		list, _ := m.doc[section].([]any)
		kept := list[:0]
		for _, item := range list {
			module, _ := item.(map[string]any)
			if _, isCargo := module["cargo"]; isCargo {
				continue
			}
			if path, ok := module["path"].(string); ok && path != "" {
				module["path"] = m.abs(path)
			}
			kept = append(kept, item)
		}
		if list != nil {
			m.doc[section] = kept
		}
	}
}

// SetOutputPath replaces dist.output_path (relative paths are taken from the working directory,
// like any command-line path).
func (m *Manifest) SetOutputPath(path string) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	m.OutputPath = path
	if dist, ok := m.doc["dist"].(map[string]any); ok {
		dist["output_path"] = path
	}
}

func (m *Manifest) abs(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(m.Dir, path)
}

// mappingValue is the value of key in a YAML mapping node, or nil.
func mappingValue(mapping *yaml.Node, key string) *yaml.Node {
	if mapping == nil || mapping.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(mapping.Content); i += 2 {
		if mapping.Content[i].Value == key {
			return mapping.Content[i+1]
		}
	}
	return nil
}

// scalar is mappingValue restricted to scalars.
func scalar(mapping *yaml.Node, key string) *yaml.Node {
	if node := mappingValue(mapping, key); node != nil && node.Kind == yaml.ScalarNode {
		return node
	}
	return nil
}
