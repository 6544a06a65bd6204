package main

import (
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
)

var (
	manifestModule = regexp.MustCompile(`(?m)^\s*-\s*gomod:\s*(\S+)\s`)
	componentPath  = regexp.MustCompile(`^go\.opentelemetry\.io/collector/((receiver|processor|exporter|extension|connector)/[a-z]+|confmap/provider/[a-z]+)$`)
)

// Guarantees: this development collector has exactly the Go components of the sample
// distribution's manifest (examples/manifest.yaml, built by tools/builder), so the binary the
// tests run and the one users build cannot drift apart.
func TestComponentsMatchTheSampleManifest(t *testing.T) {
	manifest, err := os.ReadFile("../../../examples/manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, match := range manifestModule.FindAllStringSubmatch(string(manifest), -1) {
		listed = append(listed, match[1])
	}
	var imported []string
	for _, file := range []string{"main.go", "components.go"} {
		parsed, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range parsed.Imports {
			path, _ := strconv.Unquote(spec.Path.Value)
			if componentPath.MatchString(path) {
				imported = append(imported, path)
			}
		}
	}
	for _, module := range listed {
		if !slices.Contains(imported, module) {
			t.Errorf("examples/manifest.yaml lists %s; the development collector does not use it", module)
		}
	}
	for _, path := range imported {
		if !slices.Contains(listed, path) {
			t.Errorf("the development collector uses %s; examples/manifest.yaml does not list it", path)
		}
	}
}
