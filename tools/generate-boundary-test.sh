#!/usr/bin/env bash
# Checks that tools/generate-boundary.sh stops, with a message and without touching its output
# file, when rust2go-cli's output no longer has a shape one of its edits relies on. Each case runs
# the script with a stand-in rust2go-cli: the real one ($1), whose output is then changed by one
# sed script, as a future release could change it. Offline; about a second.
# Usage: tools/generate-boundary-test.sh RUST2GO_CLI (run by `make check-generated`).
set -euo pipefail
real_cli=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A rust2go-cli that runs the real one and then applies $MANGLE to the file it wrote.
cat > "$work/rust2go-cli" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
"$REAL_CLI" "$@"
while (( $# )); do
  if [[ $1 == --dst ]]; then dst=$2; fi
  shift
done
sed -i -e "$MANGLE" "$dst"
EOF
chmod +x "$work/rust2go-cli"

failures=0
# expect_failure NAME SED-SCRIPT MESSAGE: with rust2go-cli's output changed by SED-SCRIPT, the
# generator must exit non-zero, say MESSAGE, and leave its output file alone.
expect_failure() {
  local name=$1 mangle=$2 message=$3 out=$work/out.go
  echo 'previous output' > "$out"
  if REAL_CLI=$real_cli MANGLE=$mangle "$here/generate-boundary.sh" "$work/rust2go-cli" "$out" \
    2> "$work/stderr"; then
    echo "FAIL $name: generate-boundary.sh succeeded" >&2
    failures=$((failures + 1))
  elif ! grep -qF -- "$message" "$work/stderr"; then
    echo "FAIL $name: error does not say '$message':" >&2
    cat "$work/stderr" >&2
    failures=$((failures + 1))
  elif [[ $(cat "$out") != 'previous output' ]]; then
    echo "FAIL $name: the output file was changed" >&2
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

# The unchanged output must go through, or every case below would pass for the wrong reason.
if ! REAL_CLI=$real_cli MANGLE='' "$here/generate-boundary.sh" "$work/rust2go-cli" "$work/ok.go"; then
  echo "FAIL unchanged rust2go-cli output: generate-boundary.sh failed" >&2
  exit 1
fi

expect_failure 'no package main' \
  '1s/^package main$/package bindings/' 'package name: nothing matched'
expect_failure 'drop declared differently' \
  's/^const void c_rust2go_internal_drop(void\*);/void c_rust2go_internal_drop(void*);/' \
  'drop declaration: nothing matched'
expect_failure 'no c_rust2go_internal_drop at all' \
  's/c_rust2go_internal_drop/c_rust2go_internal_free/g' 'drop declaration: nothing matched'
# A method whose reply is not a Reply: otelcol_rust_drop_reply would free it as one.
expect_failure 'a reply that is not a Reply' \
  '0,/val := ownReply(/s/val := ownReply(\*(\*C.ReplyRef)/val := ownString(*(*C.StringRef)/' \
  'a method that does not return Reply'
expect_failure 'reply copied differently' \
  's/val := ownReply(/val := copyReply(/' 'reply drop: nothing matched'
expect_failure 'parameter array declared differently' \
  's/_internal_params := \[\([0-9]*\)\]unsafe\.Pointer{}/var _internal_params [\1]unsafe.Pointer/' \
  'pinner: nothing matched'
expect_failure 'parameters stored differently' \
  's/_internal_params\[\([0-9]*\)\] = unsafe\.Pointer(/_internal_params[\1] = (unsafe.Pointer)(/' \
  'pinned parameters: nothing matched'
expect_failure 'one parameter stored differently' \
  '0,/_internal_params\[0\] = unsafe\.Pointer(/s//_internal_params[0] = (unsafe.Pointer)(/' \
  'a parameter left unpinned'

if ((failures)); then
  echo "generate-boundary-test.sh: $failures case(s) failed" >&2
  exit 1
fi
