#!/usr/bin/env bash
# Checks that tools/new-component's output passes make test's checks, in a temporary copy of
# this working tree (tracked files and untracked ones git does not ignore, mtimes kept):
#
#   tools/new-component-test.sh        (make test-new-component, part of make test)
#       tools/new-component NAME, tools/new-component --kind exporter NAME2,
#       tools/new-component --kind processor NAME3 and tools/new-component --kind receiver NAME4
#       in the copy, then there: make check-bazel lint test-rust, the Go tests that list every
#       component (TestEveryRustComponentIsLinked), every exporter
#       (TestEveryRustExporterIsAFactory), every processor (TestEveryRustProcessorIsAFactory)
#       and every receiver (TestEveryRustReceiverIsAFactory) against the release archive, and a
#       standalone crate of each kind (--out, SDK by path): cargo test, clippy, rustfmt
#   NEW_COMPONENT_FULL=1 tools/new-component-test.sh   (make reliability)
#       the same four components, then the whole `make test` in the copy
#
# Cost: the copy shares this checkout's Cargo outputs (rust/target/{debug,release,bazel-replay}
# are symlinked into it), and its unchanged sources keep their mtimes, so Cargo rebuilds only
# the new crates and the static library. Every kind goes into the one copy: each further crate
# costs its own compilation, not another copy or another build of the library. Cargo names a workspace member's outputs by its path
# relative to the workspace, so the copy's crates are the checkout's; the only shared file the
# copy's builds replace is the static library Cargo copies out of deps/ (release/*.a and the
# replay's): this script puts the checkout's back when it ends. While it runs, this checkout's
# rust/target/release/libotelcol_rust.a is the copy's.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=new_component_check                   # an extension
exporter=new_component_exporter_check      # an exporter
processor=new_component_processor_check    # a processor
receiver=new_component_receiver_check      # a receiver
standalone=standalone_check                # an extension in its own repository
standalone_exporter=standalone_exporter_check
standalone_processor=standalone_processor_check
standalone_receiver=standalone_receiver_check

work=$(mktemp -d "${TMPDIR:-/tmp}/new-component-test.XXXXXX")
copy=$work/otelcol-rust
target=$repo/rust/target
saved=     # the checkout's archives, hard-linked (set below)
saved_all= # every one is saved: an archive not among them is then the copy's

# The static libraries the copy's builds replace in the shared directories (Cargo replaces a
# file it copies out of deps/ by unlinking it first, so a hard link keeps the checkout's).
shared_archives() {
	find "$target/release" "$target/bazel-replay" -maxdepth 3 -name '*.a' -not -path '*/deps/*' 2>/dev/null || true
}
# Puts back only what was saved; removes the copy's archives only once every one was saved.
restore() {
	local status=$?
	if [[ -n $saved ]]; then
		local archive kept
		if [[ -n $saved_all ]]; then
			while IFS= read -r archive; do
				[[ -e $saved/${archive#"$target"/} ]] || rm -f "$archive" # the copy's: the checkout had none
			done < <(shared_archives)
		fi
		while IFS= read -r kept; do
			archive=$target/${kept#"$saved"/}
			[[ $kept -ef $archive ]] || mv -f "$kept" "$archive"
		done < <(find "$saved" -name '*.a')
		rm -rf "$saved"
	fi
	if ((status == 0)) || [[ -z ${NEW_COMPONENT_KEEP:-} ]]; then
		rm -rf "$work"
	else
		echo "new-component-test: the copy is kept in $copy (NEW_COMPONENT_KEEP)" >&2
	fi
	exit "$status"
}
trap restore EXIT

# Saved under rust/target: a hard link cannot leave its file system, and TMPDIR is often
# another one (a tmpfs /tmp).
mkdir -p "$target"
saved=$(mktemp -d "$target/new-component-test-saved.XXXXXX")
while IFS= read -r archive; do
	mkdir -p "$saved/$(dirname "${archive#"$target"/}")"
	ln "$archive" "$saved/${archive#"$target"/}"
done < <(shared_archives)
saved_all=1

step() { echo "new-component-test: [${SECONDS}s] $*" >&2; }

step "copying the working tree to $copy"
mkdir -p "$copy"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard) |
	tar -C "$repo" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$copy" -xf -
mkdir -p "$copy/rust/target" "$copy/.tools/bin"
for dir in debug release bazel-replay; do
	mkdir -p "$target/$dir"
	ln -s "$target/$dir" "$copy/rust/target/$dir"
done
# The pinned rust2go-cli (make check-generated), so the copy does not build its own.
if [[ -x $repo/.tools/bin/rust2go-cli ]]; then
	ln -s "$repo/.tools/bin/rust2go-cli" "$copy/.tools/bin/rust2go-cli"
fi
cd "$copy"
unset CARGO_TARGET_DIR # the copy's rust/target, as the Makefile expects
# A git repository holding the copied tree, as a user's checkout is: the new component is then
# an uncommitted change (the builder's end-to-end test clones the checkout's HEAD).
git init --quiet
git add --all
git -c user.name=new-component-test -c user.email=new-component-test@invalid commit --quiet -m "the working tree"

step "tools/new-component $name"
tools/new-component "$name"
step "tools/new-component --kind exporter $exporter"
tools/new-component --kind exporter "$exporter"
step "tools/new-component --kind processor $processor"
tools/new-component --kind processor "$processor"
step "tools/new-component --kind receiver $receiver"
tools/new-component --kind receiver "$receiver"

if [[ -n ${NEW_COMPONENT_FULL:-} ]]; then
	step "make test in the copy"
	NEW_COMPONENT_NESTED=1 make test
	step "ok: make test passes with $name, $exporter, $processor and $receiver"
	exit 0
fi

step "make check-bazel lint test-rust in the copy"
make check-bazel lint test-rust

step "the Go tests that list every component, every exporter, every processor and every receiver, against the copy's release archive"
make rust
archive=$copy/rust/target/release/libotelcol_rust.a
(cd go && GOFLAGS="-ldflags=-X=github.com/otelcol-rust/otelcol-rust/go/internal/rustffi.archiveDigest=$(sha256sum "$archive" | cut -d' ' -f1)" \
	go test -count=1 -v -run '^(TestEveryRustComponentIsLinked|TestEveryRustExporterIsAFactory|TestEveryRustProcessorIsAFactory|TestEveryRustReceiverIsAFactory)$' ./rustextension/ ./rustexporter/ ./rustprocessor/ ./rustreceiver/)

# check_standalone NAME [FLAG...]: writes the standalone crate NAME (SDK by path) and checks it
# as its own CI would. Its dependencies' outputs are shared with the copy's (the same target).
check_standalone() {
	local crate=$1
	shift
	step "tools/new-component ${*:+$* }--out ... --sdk-path rust/sdk $crate: cargo test, clippy, rustfmt"
	tools/new-component "$@" --out "$work/$crate" --sdk-path "$copy/rust/sdk" "$crate"
	(
		cd "$work/$crate"
		export CARGO_TARGET_DIR=$copy/rust/target
		cargo test --offline --locked
		cargo clippy --offline --locked --all-targets -- -D warnings
		cargo fmt --check
	)
}
check_standalone "$standalone"
check_standalone "$standalone_exporter" --kind exporter
check_standalone "$standalone_processor" --kind processor
check_standalone "$standalone_receiver" --kind receiver
step "ok: $name, $exporter, $processor and $receiver pass check-bazel, lint, test-rust and the link tests; $standalone, $standalone_exporter, $standalone_processor and $standalone_receiver test clean"
