package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// defaultSDKGit is the SDK's home for a component kept in a repository of its own.
const defaultSDKGit = "https://github.com/otelcol-rust/otelcol-rust"

// standaloneFiles are the templates of a standalone crate of kind and where each goes.
func standaloneFiles(kind string) map[string]string {
	files := sourceFiles(kind)
	for tmpl, path := range map[string]string{
		"standalone/Cargo.toml.tmpl":    "Cargo.toml",
		"standalone/clippy.toml.tmpl":   "clippy.toml",
		"standalone/gitignore.tmpl":     ".gitignore",
		"standalone/README.md.tmpl":     "README.md",
		"standalone/manifest.yaml.tmpl": "manifest.yaml",
		"standalone/config.yaml.tmpl":   "config.yaml",
	} {
		files[tmpl] = path
	}
	return files
}

// standaloneGoModules are the Go components of the standalone manifest, at the versions the
// checkout's go/go.mod requires (one collector release).
var standaloneGoModules = []string{
	"go.opentelemetry.io/collector/receiver/otlpreceiver",
	"go.opentelemetry.io/collector/exporter/debugexporter",
	"go.opentelemetry.io/collector/confmap/provider/envprovider",
	"go.opentelemetry.io/collector/confmap/provider/fileprovider",
	"go.opentelemetry.io/collector/confmap/provider/yamlprovider",
}

// writeStandalone writes a crate that builds on its own, in opts.Out: it depends on the SDK by
// git (or path) with the checkout's version as requirement, and carries a manifest that builds
// a distribution with it through this checkout's builder.
func writeStandalone(r *repo, data templateData, opts options, stdout io.Writer) error {
	dir, err := filepath.Abs(opts.Out)
	if err != nil {
		return err
	}
	// Cargo takes a crate below a workspace's Cargo.toml for a member of it and refuses to
	// build it ("believes it's in a workspace when it's not").
	if inside, err := filepath.Rel(r.Root, dir); err == nil && inside != ".." && !strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
		return fmt.Errorf("--out %s is inside the otelcol-rust checkout %s, where Cargo would take the crate for a member of its workspace: for a component of this checkout run tools/new-component %s (no --out); for one of its own repository give a directory outside the checkout", dir, r.Root, data.Name)
	}
	if workspace := enclosingWorkspace(dir); workspace != "" {
		return fmt.Errorf("--out %s is inside the Cargo workspace of %s, which would take the crate for a member and refuse to build it; give a directory outside it (or add the crate to that workspace's members yourself)", dir, workspace)
	}
	switch entries, err := os.ReadDir(dir); {
	case err == nil && len(entries) > 0:
		return fmt.Errorf("--out %s exists and is not empty; give a new or empty directory", dir)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return err
	}
	for _, module := range standaloneGoModules {
		if r.GoVersions[module] == "" {
			return fmt.Errorf("go/go.mod does not require %s, which the standalone manifest lists", module)
		}
	}
	source := ""
	if opts.SDKPath != "" {
		sdk, err := sdkDir(opts.SDKPath)
		if err != nil {
			return err
		}
		data.SDKDependency = fmt.Sprintf("{ path = %s, version = %s }", tomlString(sdk), tomlString(data.SDKVersion))
		source = sdk
		data.SDKPath, data.SDKCheckout = sdk, sdk
		if filepath.Base(sdk) == "sdk" && filepath.Base(filepath.Dir(sdk)) == "rust" {
			data.SDKCheckout = filepath.Dir(filepath.Dir(sdk))
		}
	} else {
		url := opts.SDKGit
		if url == "" {
			url = defaultSDKGit
		}
		data.SDKDependency = fmt.Sprintf("{ git = %s, version = %s }", tomlString(url), tomlString(data.SDKVersion))
		source = url
		data.SDKGit, data.SDKGitIsLocal = url, strings.HasPrefix(url, "file://")
	}
	data.DefaultSDKGit = defaultSDKGit
	files, err := renderAll(dir, standaloneFiles(data.Kind), data)
	if err != nil {
		return err
	}
	// The lock starts as the checkout's, so the crate builds with the dependency versions
	// otelcol-rust is tested with (and needs no registry look-up for those).
	if files[filepath.Join(dir, "Cargo.lock")], err = os.ReadFile(filepath.Join(r.Root, "rust", "Cargo.lock")); err != nil {
		return err
	}
	if err := writeFiles(files); err != nil {
		return err
	}
	if err := rustfmt(data.Edition, []string{filepath.Join(dir, "src", "lib.rs"), filepath.Join(dir, "src", "config.rs")}); err != nil {
		return err
	}
	lockNote := "from the checkout's; cargo completes it on the first build (it fetches the SDK from " + source + ")"
	// Resolving now trims the lock to this crate's graph. Only for an SDK on this machine: an
	// unreachable remote would make cargo wait for its network timeouts.
	if opts.SDKPath != "" || strings.HasPrefix(opts.SDKGit, "file://") {
		args := []string{"metadata", "--format-version", "1", "--manifest-path", filepath.Join(dir, "Cargo.toml")}
		if opts.SDKPath != "" {
			args = append(args, "--offline") // cargo --offline fetches no git repository, not even a local one
		}
		cmd := exec.Command("cargo", args...)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = io.Discard, &stderr
		if err := cmd.Run(); err != nil {
			lockNote = fmt.Sprintf("from the checkout's; `cargo metadata` could not resolve it yet (%v: %s)", err, strings.TrimSpace(stderr.String()))
		} else {
			lockNote = "resolved, with the checkout's dependency versions"
		}
	}

	fmt.Fprintf(stdout, "new-component: wrote the standalone crate %s (%s type %s) in %s:\n", data.Package, data.Kind, data.Name, dir)
	fmt.Fprintf(stdout, "  Cargo.toml      otelcol-rust-sdk = %s\n", data.SDKDependency)
	fmt.Fprintf(stdout, "  Cargo.lock      %s\n", lockNote)
	fmt.Fprintf(stdout, "  src/config.rs   %s\n", kinds[data.Kind].config)
	fmt.Fprintf(stdout, "  src/lib.rs      %s\n", kinds[data.Kind].lib)
	fmt.Fprintf(stdout, "  manifest.yaml   a collector distribution with it (output in ./dist); config.yaml runs it\n")
	fmt.Fprintf(stdout, "  README.md, clippy.toml, .gitignore\n")
	builder := filepath.Join(r.Root, "tools", "builder")
	if data.SDKPath != "" {
		builder = filepath.Join(data.SDKCheckout, "tools", "builder")
		fmt.Fprintf(stdout, "warning: the SDK is the directory %s on this machine: only the builder of %s accepts the crate, and other machines lack it; switch to git (README.md) before publishing\n", data.SDKPath, data.SDKCheckout)
	} else if data.SDKGitIsLocal {
		fmt.Fprintf(stdout, "warning: the SDK is the clone %s on this machine: switch to %s (README.md) before publishing\n", data.SDKGit, defaultSDKGit)
	}
	fmt.Fprintf(stdout, "Next:\n")
	fmt.Fprintf(stdout, "  cd %s && git init && cargo test\n", dir)
	fmt.Fprintf(stdout, "  cd %s && go run . --config %s\n", builder, filepath.Join(dir, "manifest.yaml"))
	fmt.Fprintf(stdout, "  %s --config %s\n", filepath.Join(dir, "dist", "otelcol-"+data.Package), filepath.Join(dir, "config.yaml"))
	return nil
}

// enclosingWorkspace returns the Cargo.toml with a [workspace] table in a directory above dir
// ("" if none), the one Cargo would find from a crate in dir.
func enclosingWorkspace(dir string) string {
	for parent := filepath.Dir(dir); ; parent = filepath.Dir(parent) {
		var manifest map[string]any
		path := filepath.Join(parent, "Cargo.toml")
		if _, err := toml.DecodeFile(path, &manifest); err == nil && manifest["workspace"] != nil {
			return path
		}
		if filepath.Dir(parent) == parent {
			return ""
		}
	}
}

// sdkDir returns the SDK crate's directory, absolute: dir itself, or rust/sdk when dir is an
// otelcol-rust checkout.
func sdkDir(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for _, candidate := range []string{dir, filepath.Join(dir, "rust", "sdk")} {
		var manifest struct {
			Package struct {
				Name string `toml:"name"`
			} `toml:"package"`
		}
		if _, err := toml.DecodeFile(filepath.Join(candidate, "Cargo.toml"), &manifest); err == nil && manifest.Package.Name == "otelcol-rust-sdk" {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("--sdk-path %s: no otelcol-rust-sdk crate there (give rust/sdk of an otelcol-rust checkout)", dir)
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
