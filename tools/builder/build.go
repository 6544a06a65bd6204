package main

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
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

type step struct {
	name string
	run  func() error
	// logged: the step's error does not carry its tool's output, so a failure shows the end of
	// what it wrote to the build log.
	logged bool
}

// options are the builder's command-line flags.
type options struct {
	Manifest   string // the manifest's path
	Repo       string // the otelcol-rust checkout; found if empty
	OutputPath string // overrides dist.output_path if set (as ocb's --output-path does)
	Verbose    bool   // stream cargo's, go's and ocb's output to progress too
}

// logName is the build log's name in the output directory.
const logName = "build.log"

// failureLines is how much of a failed step's output is shown: the end, where cargo and go put
// their errors (cargo's "Compiling" lines come first).
const failureLines = 100

// build turns the manifest into a collector binary and returns its path. Progress is a short
// list, one line per step; what cargo, go and ocb print goes to OUTPUT/build.log (and to
// progress as well when opts.Verbose). An error names the step (and, where one is to blame,
// the module); before it, progress gets the end of the failed step's output.
func build(opts options, progress io.Writer) (_ string, err error) {
	repo := opts.Repo
	var (
		m         *Manifest
		log       *buildLog
		crate     rustCrate
		archive   string
		digest    string
		crates    []moduleCrates
		types     []rustType
		module    goModule
		factories []goFactory
	)
	defer func() {
		if log != nil {
			err = errors.Join(err, log.Close())
		}
	}()
	steps := []step{
		{name: "read the manifest", run: func() (err error) {
			if m, err = LoadManifest(opts.Manifest); err != nil {
				return err
			}
			if opts.OutputPath != "" {
				m.SetOutputPath(opts.OutputPath)
			}
			if len(m.Cargo) == 0 {
				return fmt.Errorf("%s lists no cargo: modules; a Go-only distribution needs no Rust (run ocb on it directly)", m.Path)
			}
			if m.OutputPath == "" {
				return fmt.Errorf("%s: dist.output_path: missing (or pass --output-path): the builder writes the sources and the binary there", m.Path)
			}
			if repo, err = locateRepo(repo, m.Dir); err != nil {
				return err
			}
			crate = newRustCrate(m)
			if log, err = createBuildLog(filepath.Join(m.OutputPath, logName), opts.Verbose, progress); err != nil {
				return err
			}
			fmt.Fprintf(progress, "builder: full output in %s\n", log.Path)
			return nil
		}},
		{name: "generate the Rust crate", run: func() error {
			return crate.generate(m, repo)
		}},
		{name: "resolve the Rust crates (one SDK)", run: func() (err error) {
			crates, err = crate.resolve(m, repo, log)
			return err
		}},
		{name: "build the Rust crate (cargo)", logged: true, run: func() (err error) {
			if archive, err = crate.build(m, log); err != nil {
				return err
			}
			digest, err = fileDigest(archive)
			return err
		}},
		{name: "list the Rust component types", run: func() (err error) {
			if module, err = readGoModule(repo); err != nil {
				return err
			}
			registered, err := listRustTypes(module, archive, digest, log)
			if err != nil {
				return err
			}
			var notes []string
			if types, notes, err = selectTypes(m, crates, registered); err != nil {
				return err
			}
			for _, note := range notes {
				log.Note(progress, "builder: note: "+note+"\n")
			}
			return nil
		}},
		{name: "generate the Go factories and ocb's manifest", run: func() error {
			factories = newGoFactories(m, types)
			for _, factory := range factories {
				if err := factory.generate(m, module); err != nil {
					return err
				}
			}
			manifest, err := ocbManifest(m, factories, module)
			if err != nil {
				return err
			}
			return writeIfChanged(ocbManifestPath(crate), manifest)
		}},
		{name: "build the collector (ocb)", logged: true, run: func() error {
			return runOCB(repo, ocbManifestPath(crate), archive, digest, m.Debug, log)
		}},
		{name: "check the binary's components", run: func() error {
			return checkComponents(filepath.Join(m.OutputPath, m.Name), types)
		}},
	}
	for i, s := range steps {
		header := fmt.Sprintf("builder: [%d/%d] %s\n", i+1, len(steps), s.name)
		fmt.Fprint(progress, header)
		if log != nil {
			log.StartStep(header)
		}
		if err := s.run(); err != nil {
			if s.logged && log != nil && !opts.Verbose {
				log.ShowStepEnd(progress, failureLines)
			}
			return "", fmt.Errorf("step %d/%d (%s) failed: %w", i+1, len(steps), s.name, err)
		}
	}
	return filepath.Join(m.OutputPath, m.Name), nil
}

// buildLog is OUTPUT/build.log: everything the tools the builder runs print, which progress
// leaves out, headed by the step that ran them. Written to by one tool at a time.
type buildLog struct {
	Path      string
	file      *os.File
	verbose   io.Writer // progress, when it gets the tools' output too; else nil
	written   int64
	stepStart int64 // where the current step's output starts
}

func createBuildLog(path string, verbose bool, progress io.Writer) (*buildLog, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	file, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	log := &buildLog{Path: path, file: file}
	if verbose {
		log.verbose = progress
	}
	return log, nil
}

// Write appends to the file and, when verbose, copies to progress (whose errors do not stop
// the tool: the file has everything).
func (l *buildLog) Write(p []byte) (int, error) {
	n, err := l.file.Write(p)
	l.written += int64(n)
	if l.verbose != nil {
		_, _ = l.verbose.Write(p[:n])
	}
	return n, err
}

// streams reports whether what is written to log is shown as it comes (-v): an error then
// leaves that output out rather than show it twice.
func streams(log io.Writer) bool {
	l, ok := log.(*buildLog)
	return ok && l.verbose != nil
}

// StartStep writes the step's progress line to the file only (verbose progress has it already)
// and marks where its output begins.
func (l *buildLog) StartStep(header string) {
	n, _ := l.file.WriteString(header)
	l.written += int64(n)
	l.stepStart = l.written
}

// Note writes a line of the builder's own to progress and the file.
func (l *buildLog) Note(progress io.Writer, line string) {
	fmt.Fprint(progress, line)
	n, _ := l.file.WriteString(line)
	l.written += int64(n)
}

// ShowStepEnd writes the last lines of the current step's output to w, saying where the rest is.
func (l *buildLog) ShowStepEnd(w io.Writer, lines int) {
	output := make([]byte, l.written-l.stepStart)
	if _, err := l.file.ReadAt(output, l.stepStart); err != nil || len(output) == 0 {
		return
	}
	all := strings.Split(strings.TrimRight(string(output), "\n"), "\n")
	shown := all[max(0, len(all)-lines):]
	if len(shown) < len(all) {
		fmt.Fprintf(w, "builder: the last %d of the step's %d lines of output (all of it is in %s):\n", len(shown), len(all), l.Path)
	} else {
		fmt.Fprintf(w, "builder: the step's output (also in %s):\n", l.Path)
	}
	fmt.Fprintln(w, strings.Join(shown, "\n"))
}

func (l *buildLog) Close() error { return l.file.Close() }

// writeIfChanged leaves an unchanged file alone, so cargo and go see nothing new to rebuild.
func writeIfChanged(path string, content []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		return nil
	}
	return os.WriteFile(path, content, 0o644)
}

func ocbManifestPath(crate rustCrate) string { return filepath.Join(crate.Dir, "ocb-manifest.yaml") }

func fileDigest(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// linkEnv is the environment of every Go build that links the archive: rustffi's
// distribution build (go/internal/rustffi/link_distribution.go) leaves the archive to CGO_LDFLAGS.
// CGO_LDFLAGS is part of the build cache key of every cgo package (the standard library's
// too), so the archive is linked from cargo's stable path: a path that changed per build
// would recompile them all (~40 s here).
func linkEnv(archive string) []string {
	flags := strings.TrimSpace(os.Getenv("CGO_LDFLAGS") + " '" + archive + "'")
	return append(os.Environ(), "CGO_ENABLED=1", "CGO_LDFLAGS="+flags)
}

// digestFlag records the archive's hash in the binary. Go's build cache cannot see the archive,
// so without a flag that changes with it a rebuilt archive could leave the link up to date.
func digestFlag(digest string) string { return "-X=" + digestVariable + "=" + digest }

// listRustTypes links the archive into go/internal/cmd/rusttypes and runs it: the registry
// itself says which types of which kinds the archive has (and rejects duplicates).
func listRustTypes(module goModule, archive, digest string, log io.Writer) ([]rustType, error) {
	cmd := exec.Command("go", "-C", module.Dir, "run", "-tags", distributionTag,
		"-ldflags="+digestFlag(digest), "./internal/cmd/rusttypes")
	cmd.Env = linkEnv(archive)
	var stderr bytes.Buffer
	cmd.Stderr = io.MultiWriter(log, &stderr)
	out, err := cmd.Output()
	if err != nil {
		if streams(log) {
			return nil, fmt.Errorf("%w (its output is above)", err)
		}
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var types []rustType
	if err := json.Unmarshal(out, &types); err != nil {
		return nil, fmt.Errorf("unexpected output %q: %w", out, err)
	}
	return types, nil
}

// runOCB runs the ocb pinned in tools/builder/go.mod.
func runOCB(repo, manifest, archive, digest string, debug bool, log io.Writer) error {
	ldflags := "-s -w " + digestFlag(digest) // ocb's default (stripped), plus the archive's hash
	if debug {
		ldflags = digestFlag(digest)
	}
	cmd := exec.Command("go", "-C", filepath.Join(repo, "tools", "builder"), "tool", "builder",
		"--config", manifest, "--ldflags", ldflags)
	cmd.Env = linkEnv(archive)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ocb failed: %w", err)
	}
	return nil
}

// checkComponents runs `<binary> components` and checks that every Rust type is there, at the
// stability level its crate declares. This also catches a component type clash between a Go
// and a Rust module (the binary refuses to start) and a registration the linker dropped.
func checkComponents(binary string, types []rustType) error {
	out, err := exec.Command(binary, "components").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s components: %w: %s", binary, err, strings.TrimSpace(string(out)))
	}
	if err := checkListed(out, types); err != nil {
		return fmt.Errorf("%s components: %w", binary, err)
	}
	return nil
}

// checkListed checks the output of `components` (the collector's YAML) against the types: an
// extension at its stability level, a receiver, processor or exporter with its signals at its
// level and no other.
func checkListed(components []byte, types []rustType) error {
	type entry struct {
		Name      string            `yaml:"name"`
		Stability map[string]string `yaml:"stability"`
	}
	var listed struct {
		Extensions []entry `yaml:"extensions"`
		Receivers  []entry `yaml:"receivers"`
		Processors []entry `yaml:"processors"`
		Exporters  []entry `yaml:"exporters"`
	}
	if err := yaml.Unmarshal(components, &listed); err != nil {
		return err
	}
	byKind := map[string][]entry{"extension": listed.Extensions, "receiver": listed.Receivers, "processor": listed.Processors, "exporter": listed.Exporters}
	for _, typ := range types {
		i := slices.IndexFunc(byKind[typ.Kind], func(e entry) bool { return e.Name == typ.Type })
		if i < 0 {
			return fmt.Errorf("the Rust %s %q is not listed", typ.Kind, typ.Type)
		}
		// An extension's one level is listed under "extension"; a receiver's, a processor's or an
		// exporter's per signal, "Undefined" for a signal it does not support.
		want := map[string]string{"extension": typ.Stability}
		if typ.Kind != "extension" {
			want = map[string]string{}
			for _, signal := range []string{"traces", "metrics", "logs"} {
				want[signal] = "Undefined"
				if slices.Contains(typ.Signals, signal) {
					want[signal] = typ.Stability
				}
			}
		}
		if got := byKind[typ.Kind][i].Stability; !maps.Equal(got, want) {
			return fmt.Errorf("the Rust %s %q is listed at stability %s, its crate declares %s", typ.Kind, typ.Type, levels(got), levels(want))
		}
	}
	return nil
}

// levels renders stability levels by signal ("traces: Alpha, logs: Alpha"), or the one level
// of an extension ("Alpha").
func levels(stability map[string]string) string {
	if level, ok := stability["extension"]; ok && len(stability) == 1 {
		return fmt.Sprintf("%q", level)
	}
	var parts []string
	for _, signal := range []string{"traces", "metrics", "logs"} {
		if level, ok := stability[signal]; ok {
			parts = append(parts, signal+": "+level)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(stability)) {
		if !slices.Contains([]string{"traces", "metrics", "logs"}, key) {
			parts = append(parts, key+": "+stability[key])
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
