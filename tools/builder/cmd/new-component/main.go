// Command new-component writes a new Rust collector component from templates: an extension (a
// config with defaults and validate, an extension whose start spawns a task and whose shutdown
// stops it), with --kind exporter an exporter (a config with validate, an exporter that logs,
// counts and answers each batch), with --kind processor a processor (a config with validate,
// a processor that sets an attribute on every item and answers the edits, or Unchanged) or
// with --kind receiver a receiver (a config with validate, a receiver that sends a log record
// through its consumer every interval and answers back-pressure), its registration and unit
// tests.
//
//	new-component [--repo DIR] [--kind extension|exporter|processor|receiver] NAME
//	new-component [--repo DIR] [--kind extension|exporter|processor|receiver] --out DIR [--sdk-git URL | --sdk-path DIR] NAME
//
// Without --out it writes rust/components/NAME into the otelcol-rust checkout and wires it into
// the workspace, the static library, Cargo.lock and the Bazel graph, so `make test` passes right
// after. With --out it writes a standalone crate (its own Cargo.toml, lints, README) plus a
// manifest that builds a collector distribution with it. Nothing is written when NAME or the
// kind is refused or a file it edits has changed shape. tools/new-component is the wrapper to
// run.
package main

import (
	"bytes"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/BurntSushi/toml"
	"golang.org/x/mod/modfile"
)

//go:embed templates
var templates embed.FS

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Println(usageText)
			return
		}
		fmt.Fprintln(os.Stderr, "new-component:", err)
		var usage usageError
		if errors.As(err, &usage) {
			fmt.Fprintln(os.Stderr, usageText)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

const usageText = `usage: tools/new-component [--kind extension|exporter|processor|receiver] NAME
       tools/new-component [--kind extension|exporter|processor|receiver] --out DIR [--sdk-git URL | --sdk-path DIR] NAME

NAME is the component type, lower_snake_case (e.g. heartbeat, my_exporter).
--kind: extension (the default), exporter, processor or receiver.
Without --out: rust/components/NAME, wired into this checkout (make test passes after).
With --out: a standalone crate in DIR depending on the SDK by git (default
` + defaultSDKGit + `) or path, with a manifest.yaml for tools/builder.
See docs/writing-an-extension.md, docs/writing-an-exporter.md, docs/writing-a-processor.md
and docs/writing-a-receiver.md.`

type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

type options struct {
	Repo    string // the otelcol-rust checkout
	Out     string // standalone: the directory to write
	SDKGit  string // standalone: the SDK's git URL
	SDKPath string // standalone: the SDK's directory
	Kind    string // extension, exporter, processor or receiver
	Name    string
}

// kind is what the component's kind changes in the crate: its source templates and how the
// summaries describe them.
type kind struct {
	config string // what src/config.rs holds
	lib    string // what src/lib.rs holds
}

// kinds are the component kinds the tool writes, by their --kind name (the SDK's and the
// collector's name of the kind). Connectors are not in the SDK yet.
var kinds = map[string]kind{
	"extension": {
		config: "the config (interval, message) and its validate()",
		lib:    "factory, extension (start spawns a task, shutdown stops it), registration, unit tests",
	},
	"exporter": {
		config: "the config (max_items) and its validate()",
		lib:    "factory (traces, metrics, logs), exporter (refuses a batch over max_items, decodes traces, logs, counts items), registration, unit tests",
	},
	"processor": {
		config: "the config (key, value) and its validate()",
		lib:    "factory (traces, metrics, logs), processor (sets key to value on every span, data point and log record: answers the edits, or Unchanged), registration, unit tests",
	},
	"receiver": {
		config: "the config (interval, body) and its validate()",
		lib:    "factory (logs), receiver (sends a log record through its consumer every interval: skips the ticks a slow pipeline makes it miss, sends again a batch it is asked to retry, drops one refused for good; shutdown waits for the send in flight), registration, unit tests",
	},
}

// sourceFiles are a kind's templates of src/, where each goes in the crate.
func sourceFiles(kind string) map[string]string {
	return map[string]string{
		kind + "/lib.rs.tmpl":    "src/lib.rs",
		kind + "/config.rs.tmpl": "src/config.rs",
	}
}

// parseArgs reads flags and NAME in any order (the flag package stops at the first argument
// that is not a flag).
func parseArgs(args []string) (options, error) {
	var opts options
	flags := flag.NewFlagSet("new-component", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.StringVar(&opts.Repo, "repo", "", "the otelcol-rust checkout (default: found from the working directory)")
	flags.StringVar(&opts.Out, "out", "", "write a standalone crate into this directory")
	flags.StringVar(&opts.SDKGit, "sdk-git", "", "standalone: the SDK's git repository")
	flags.StringVar(&opts.SDKPath, "sdk-path", "", "standalone: the SDK's directory (rust/sdk of a checkout)")
	flags.StringVar(&opts.Kind, "kind", "extension", "the component's kind: extension, exporter, processor or receiver")
	var names []string
	for {
		if err := flags.Parse(args); err != nil {
			return opts, usageError{err}
		}
		if flags.NArg() == 0 {
			break
		}
		names = append(names, flags.Arg(0))
		args = flags.Args()[1:]
	}
	switch {
	case len(names) == 0:
		return opts, usageError{errors.New("missing NAME")}
	case len(names) > 1:
		return opts, usageError{fmt.Errorf("one NAME at a time, got %d: %s", len(names), strings.Join(names, " "))}
	case opts.Out == "" && (opts.SDKGit != "" || opts.SDKPath != ""):
		return opts, usageError{errors.New("--sdk-git and --sdk-path go with --out (a component in this repository uses the workspace's SDK)")}
	case opts.SDKGit != "" && opts.SDKPath != "":
		return opts, usageError{errors.New("give --sdk-git or --sdk-path, not both")}
	}
	if _, ok := kinds[opts.Kind]; !ok {
		return opts, usageError{fmt.Errorf("unknown --kind %q: use extension (the default), exporter, processor or receiver", opts.Kind)}
	}
	opts.Name = names[0]
	return opts, nil
}

func run(args []string, stdout io.Writer) error {
	opts, err := parseArgs(args)
	if err != nil {
		return err
	}
	if opts.Repo == "" {
		if opts.Repo, err = findRepo("."); err != nil {
			return err
		}
	}
	repo, err := loadRepo(opts.Repo)
	if err != nil {
		return err
	}
	data, err := repo.templateData(opts.Kind, opts.Name)
	if err != nil {
		return err
	}
	if opts.Out != "" {
		return writeStandalone(repo, data, opts, stdout)
	}
	return writeInRepo(repo, data, stdout)
}

// repo is what the templates and checks need of the otelcol-rust checkout.
type repo struct {
	Root                  string
	Version               string            // the workspace's (and so the SDK's) version
	Edition               string            // the workspace's edition
	RustVersion           string            // the workspace's rust-version
	GoVersions            map[string]string // go/go.mod's requirements: module -> version
	WorkspaceDependencies map[string]any
	LockedPackages        []string // package names in rust/Cargo.lock
}

// findRepo walks up from dir to the otelcol-rust checkout.
func findRepo(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if isRepo(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("cannot find the otelcol-rust checkout from the working directory (a directory with rust/Cargo.toml and tools/builder); pass --repo")
		}
		dir = parent
	}
}

func isRepo(dir string) bool {
	for _, marker := range []string{"rust/Cargo.toml", "rust/sdk/Cargo.toml", "tools/builder/go.mod"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return false
		}
	}
	return true
}

func loadRepo(root string) (*repo, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if !isRepo(root) {
		return nil, fmt.Errorf("--repo %s: not an otelcol-rust checkout (no rust/Cargo.toml, rust/sdk, tools/builder)", root)
	}
	var ws struct {
		Workspace struct {
			Package struct {
				Version     string `toml:"version"`
				Edition     string `toml:"edition"`
				RustVersion string `toml:"rust-version"`
			} `toml:"package"`
			Dependencies map[string]any `toml:"dependencies"`
		} `toml:"workspace"`
	}
	if _, err := toml.DecodeFile(filepath.Join(root, "rust", "Cargo.toml"), &ws); err != nil {
		return nil, err
	}
	pkg := ws.Workspace.Package
	if pkg.Version == "" || pkg.Edition == "" || pkg.RustVersion == "" {
		return nil, errors.New("rust/Cargo.toml: [workspace.package] lacks version, edition or rust-version")
	}
	var lock struct {
		Package []struct {
			Name string `toml:"name"`
		} `toml:"package"`
	}
	if _, err := toml.DecodeFile(filepath.Join(root, "rust", "Cargo.lock"), &lock); err != nil {
		return nil, err
	}
	r := &repo{
		Root:                  root,
		Version:               pkg.Version,
		Edition:               pkg.Edition,
		RustVersion:           pkg.RustVersion,
		GoVersions:            map[string]string{},
		WorkspaceDependencies: ws.Workspace.Dependencies,
	}
	for _, p := range lock.Package {
		r.LockedPackages = append(r.LockedPackages, p.Name)
	}
	goMod := filepath.Join(root, "go", "go.mod")
	text, err := os.ReadFile(goMod)
	if err != nil {
		return nil, err
	}
	mod, err := modfile.ParseLax(goMod, text, nil)
	if err != nil {
		return nil, err
	}
	for _, require := range mod.Require {
		r.GoVersions[require.Mod.Path] = require.Mod.Version
	}
	return r, nil
}

// templateData is what every template is rendered with.
type templateData struct {
	Kind        string // extension, exporter, processor or receiver
	Name        string // the component type and the Rust crate name: heartbeat, my_ext
	Package     string // the Cargo package: heartbeat, my-ext
	Camel       string // the prefix of the Rust type names: Heartbeat, MyExt
	Edition     string
	RustVersion string
	SDKVersion  string // the SDK requirement a standalone crate writes: "0.1"
	GoVersions  map[string]string
	// Standalone only.
	SDKDependency string // the otelcol-rust-sdk dependency's inline table
	SDKGit        string // the SDK's git URL, or "" with SDKPath
	SDKGitIsLocal bool   // SDKGit is a file:// URL
	SDKPath       string // the SDK's directory, or "" with SDKGit
	SDKCheckout   string // the checkout holding SDKPath (whose builder must build the crate)
	DefaultSDKGit string
}

// A component type is an identifier for the collector (lower_snake_case, component.Type allows
// 63 characters) and the name of a Rust crate.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// reservedNames cannot name a crate: Rust keywords (`use NAME as _;` would not parse) and the
// crates of Rust's own library.
var reservedNames = strings.Fields(`as async await break const continue crate dyn else enum extern false fn for gen if impl in let loop
	match mod move mut pub ref return self static struct super trait true try type unsafe use where while yield
	abstract become box do final macro override priv typeof unsized virtual
	alloc core proc_macro std test`)

func (r *repo) templateData(kind, name string) (templateData, error) {
	data := templateData{
		Kind:        kind,
		Name:        name,
		Package:     strings.ReplaceAll(name, "_", "-"),
		Edition:     r.Edition,
		RustVersion: r.RustVersion,
		GoVersions:  r.GoVersions,
	}
	if !namePattern.MatchString(name) {
		return data, fmt.Errorf("%q is not a valid %s type: use lower_snake_case (a-z, 0-9, single underscores between words, starting with a letter), e.g. heartbeat or my_ext", name, kind)
	}
	if len(name) > 63 {
		return data, fmt.Errorf("%q is %d characters long; the collector allows 63 in a component type", name, len(name))
	}
	if slices.Contains(reservedNames, name) {
		return data, fmt.Errorf("%q cannot name a Rust crate (a keyword or a crate of Rust's standard library)", name)
	}
	for _, word := range strings.Split(name, "_") {
		data.Camel += strings.ToUpper(word[:1]) + word[1:]
	}
	// The generated types are CamelConfig, CamelExtension (CamelExporter, CamelProcessor,
	// CamelReceiver) and CamelFactory. Of the SDK names the generated code imports, only the
	// kind's factory trait (ExtensionFactory, ExporterFactory, ProcessorFactory,
	// ReceiverFactory) has that shape.
	if name == kind {
		return data, fmt.Errorf("%q would name its factory type %sFactory, which the generated code imports from the SDK; choose another name", name, data.Camel)
	}
	if file, err := r.registeredType(kind, name); err != nil {
		return data, err
	} else if file != "" {
		return data, fmt.Errorf("%s type %q already exists: %s registers it", kind, name, file)
	}
	// The crate sits beside these in any distribution built from this checkout.
	for _, taken := range r.LockedPackages {
		if taken == data.Package || strings.ReplaceAll(taken, "-", "_") == name {
			return data, fmt.Errorf("%q is taken: rust/Cargo.lock already has a crate %s", name, taken)
		}
	}
	if _, ok := r.WorkspaceDependencies[data.Package]; ok {
		return data, fmt.Errorf("%q is taken: rust/Cargo.toml's [workspace.dependencies] already has %s", name, data.Package)
	}
	major, minor, _ := strings.Cut(r.Version, ".")
	minor, _, _ = strings.Cut(minor, ".")
	data.SDKVersion = major + "." + minor
	return data, nil
}

// registeredType returns the file under rust/ that registers name as a type of kind ("" if
// none): one that declares the type and calls register_extension! (register_exporter!,
// register_processor!, register_receiver!); a doc example declares one too. A type may be of several kinds (the
// collector tells them apart), so only the same kind's registration counts.
func (r *repo) registeredType(kind, name string) (string, error) {
	declaration := fmt.Sprintf("const TYPE: &'static str = %q;", name)
	macro := "register_" + kind + "!("
	found := ""
	err := filepath.WalkDir(filepath.Join(r.Root, "rust"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path == filepath.Join(r.Root, "rust", "target") {
			return filepath.SkipDir
		}
		if found != "" || d.IsDir() || !strings.HasSuffix(path, ".rs") {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(text, []byte(declaration)) && bytes.Contains(text, []byte(macro)) {
			found, _ = filepath.Rel(r.Root, path)
		}
		return nil
	})
	return found, err
}

// render renders one embedded template.
func render(name string, data templateData) ([]byte, error) {
	tmpl, err := template.New(filepath.Base(name)).Option("missingkey=error").ParseFS(templates, "templates/"+name)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return out.Bytes(), nil
}

// renderAll renders templates (template name -> output path relative to dir) into a map of
// absolute output paths.
func renderAll(dir string, files map[string]string, data templateData) (map[string][]byte, error) {
	out := map[string][]byte{}
	for tmpl, path := range files {
		content, err := render(tmpl, data)
		if err != nil {
			return nil, err
		}
		out[filepath.Join(dir, path)] = content
	}
	return out, nil
}

// rustfmt formats the generated Rust files with the edition they are compiled with: the
// templates are formatted for typical names, and a long name changes where rustfmt breaks lines.
func rustfmt(edition string, files []string) error {
	if _, err := exec.LookPath("rustfmt"); err != nil {
		return fmt.Errorf("rustfmt not found (install it with `rustup component add rustfmt`): %w", err)
	}
	cmd := exec.Command("rustfmt", append([]string{"--edition", edition}, files...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("rustfmt: %w\n%s", err, out)
	}
	return nil
}

// writeFiles writes each file, creating directories.
func writeFiles(files map[string][]byte) error {
	for _, path := range slices.Sorted(maps.Keys(files)) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[path], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// rel is path relative to base for messages (path itself if it is not below base).
func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
