package rustffi

import (
	"os"
	"regexp"
	"testing"
)

// Guarantees: the Go module's SDK version is the Rust workspace's, so a release's Go module
// and archive agree (the Rust crates take `version.workspace = true`).
func TestSDKVersionIsTheWorkspaceVersion(t *testing.T) {
	manifest, err := os.ReadFile("../../../rust/Cargo.toml")
	if err != nil {
		t.Fatal(err)
	}
	found := regexp.MustCompile(`(?ms)^\[workspace\.package\]$.*?^version = "([^"]+)"$`).FindSubmatch(manifest)
	if found == nil {
		t.Fatal("no version in rust/Cargo.toml's [workspace.package]")
	}
	if workspace := string(found[1]); workspace != SDKVersion {
		t.Fatalf("rustffi.SDKVersion is %q but rust/Cargo.toml's workspace version is %q: bump them together", SDKVersion, workspace)
	}
}

// Guarantees: Cargo's caret rule, for the versions a release can carry.
func TestCaretMatches(t *testing.T) {
	for _, tc := range []struct {
		built, speaks string
		want          bool
	}{
		{"0.1.0", "0.1.0", true},
		{"0.1.0", "0.1.3", true},  // newer patch of the 0.1 series
		{"0.1.4", "0.1.3", false}, // the component may use what 0.1.4 added
		{"0.2.0", "0.1.0", false}, // another 0.x series
		{"0.1.0", "0.2.0", false}, // in 0.x a minor release is breaking
		{"1.2.0", "1.4.1", true},
		{"1.2.5", "1.2.4", false},
		{"1.0.0", "2.0.0", false},
		{"2.1.0", "1.9.0", false},
		{"0.0.3", "0.0.3", true},
		{"0.0.3", "0.0.4", false}, // in 0.0.x every patch is a series
		{"0.1.0+abc", "0.1.0", true},
		{"0.2.0-rc.1", "0.2.0-rc.1", true},
		{"0.2.0-rc.1", "0.2.0", false}, // pre-releases: only the identical version
		{"0.2.0", "0.2.0-rc.1", false},
		{"", "0.1.0", false},
		{"0.1", "0.1.0", false},
		{"latest", "0.1.0", false},
		{"0.1.x", "0.1.0", false},
	} {
		if got := caretMatches(tc.built, tc.speaks); got != tc.want {
			t.Errorf("caretMatches(%q, %q) = %v, want %v", tc.built, tc.speaks, got, tc.want)
		}
	}
}

// Guarantees: the refusal names the type, the factory, both versions and docs/versioning.md,
// whatever the type's position; an archive that records no version is refused too.
func TestIncompatibleSDKVersionsAreRefused(t *testing.T) {
	types := []ComponentType{
		{Kind: KindExtension, Type: "alpha", Factory: "alpha::AlphaFactory", SDKVersion: "0.1.2"},
		{Kind: KindExporter, Type: "alpha", Factory: "alpha::AlphaOut", SDKVersion: "0.1.2", Signals: []string{"logs"}},
		{Kind: KindExtension, Type: "heartbeat", Factory: "heartbeat::HeartbeatFactory", SDKVersion: "0.2.0"},
	}
	if err := checkSDKVersions(types[:2], "0.1.2"); err != nil {
		t.Fatalf("compatible type refused: %v", err)
	}
	err := checkSDKVersions(types, "0.1.2")
	want := `extension type "heartbeat" (heartbeat::HeartbeatFactory) was built with otelcol-rust-sdk 0.2.0, which this otelcol-rust Go module (SDK 0.1.2) cannot run: it needs ^0.2.0; build the Rust archive and the Go module from one otelcol-rust release (docs/versioning.md)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	err = checkSDKVersions([]ComponentType{{Kind: KindExporter, Type: "old"}}, "0.1.2")
	want = `exporter type "old" records no otelcol-rust-sdk version (an archive older than this otelcol-rust Go module, which speaks SDK 0.1.2): build the Rust archive and the Go module from one otelcol-rust release (docs/versioning.md)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
