package main

import (
	"regexp"
	"strings"
	"testing"
)

// Guarantees: a list entry goes in sorted position among its group, in the list's layout: one
// line per entry where the list has them (indented like the others), a one-line TOML list stays
// one line, a one-line Bazel list becomes buildifier's layout once it has two entries, and what
// follows the list on its line (a `# keep`, a `+ select(`) stays.
func TestInsertIntoList(t *testing.T) {
	data := regexp.MustCompile(`data = \[`)
	members := regexp.MustCompile(`members = \[`)
	manifests := regexp.MustCompile(`manifests = \[`)
	for _, tc := range []struct {
		name, text, entry, group string
		opening                  *regexp.Regexp
		style                    listStyle
		want                     string
	}{{
		name:    "one-line Bazel list grows to one entry per line",
		text:    "go_test(\n    data = [\"//rust/components/rust_sample:Cargo.toml\"],  # keep\n)\n",
		opening: data, entry: "//rust/components/heartbeat:Cargo.toml", group: "//rust/components/", style: bazelList,
		want: "go_test(\n    data = [\n        \"//rust/components/heartbeat:Cargo.toml\",\n        \"//rust/components/rust_sample:Cargo.toml\",\n    ],  # keep\n)\n",
	}, {
		name:    "one-line TOML list stays one line; sorted within its group",
		text:    "members = [\"sdk\", \"staticlib\", \"components/rust_sample\", \"testing/chaos\"]\n",
		opening: members, entry: "components/zeta", group: "components/", style: tomlList,
		want: "members = [\"sdk\", \"staticlib\", \"components/rust_sample\", \"components/zeta\", \"testing/chaos\"]\n",
	}, {
		name:    "labels sort by package, then name",
		text:    "    manifests = [\n        \"//rust:Cargo.toml\",\n        \"//rust/components/rust_sample:Cargo.toml\",\n        \"//rust/ffi:Cargo.toml\",\n    ],\n",
		opening: manifests, entry: "//rust/components/heartbeat:Cargo.toml", style: bazelList,
		want: "    manifests = [\n        \"//rust:Cargo.toml\",\n        \"//rust/components/heartbeat:Cargo.toml\",\n        \"//rust/components/rust_sample:Cargo.toml\",\n        \"//rust/ffi:Cargo.toml\",\n    ],\n",
	}, {
		name:    "last in a multi-line list",
		text:    "    manifests = [\n        \"//a:Cargo.toml\",\n        \"//b:Cargo.toml\",\n    ],\n",
		opening: manifests, entry: "//c:Cargo.toml", style: bazelList,
		want: "    manifests = [\n        \"//a:Cargo.toml\",\n        \"//b:Cargo.toml\",\n        \"//c:Cargo.toml\",\n    ],\n",
	}, {
		name:    "no entry of the group: after the last entry",
		text:    "members = [\"sdk\", \"ffi\"]\n",
		opening: members, entry: "components/heartbeat", group: "components/", style: tomlList,
		want: "members = [\"sdk\", \"ffi\", \"components/heartbeat\"]\n",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := insertIntoList(tc.text, 0, tc.opening, tc.entry, tc.group, tc.style)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	if _, err := insertIntoList("deps = [\"//x\"]\n", 0, data, "//y", "", bazelList); err == nil {
		t.Error("no `data = [`: no error")
	}
	if _, err := insertIntoList("data = [\"//x\"]\n", 0, data, "//x", "", bazelList); err == nil || !strings.Contains(err.Error(), "already lists") {
		t.Errorf("an entry that is there: %v", err)
	}
}

// Guarantees: a line goes into the first block of lines matching the pattern, sorted by key,
// before the first line after the block; a key that is there, or no block, is an error.
func TestInsertLine(t *testing.T) {
	uses := regexp.MustCompile(`^use ([a-z0-9_]+) as _;$`)
	text := "pub use ffi;\n\nuse beta as _;\nuse delta as _;\n\n#[cfg(test)]\nuse zeta as _;\n"
	for _, tc := range []struct{ line, want string }{
		{"use alpha as _;", "pub use ffi;\n\nuse alpha as _;\nuse beta as _;\nuse delta as _;\n\n#[cfg(test)]\nuse zeta as _;\n"},
		{"use charlie as _;", "pub use ffi;\n\nuse beta as _;\nuse charlie as _;\nuse delta as _;\n\n#[cfg(test)]\nuse zeta as _;\n"},
		{"use echo as _;", "pub use ffi;\n\nuse beta as _;\nuse delta as _;\nuse echo as _;\n\n#[cfg(test)]\nuse zeta as _;\n"},
	} {
		got, err := insertLine(text, 0, uses, tc.line)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: got\n%s", tc.line, got)
		}
	}
	if _, err := insertLine(text, 0, uses, "use delta as _;"); err == nil {
		t.Error("a line that is there: no error")
	}
	if _, err := insertLine("pub use ffi;\n", 0, uses, "use alpha as _;"); err == nil {
		t.Error("no block: no error")
	}
	// At the end of the file.
	if got, err := insertLine("use a as _;", 0, uses, "use b as _;"); err != nil || got != "use a as _;\nuse b as _;\n" {
		t.Errorf("at the end: %q, %v", got, err)
	}
}
