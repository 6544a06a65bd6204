#!/usr/bin/env bash
# Runs two Rust tests of the C ABI under valgrind and fails on any definitely-lost block: the
# lifecycle churn (rust/ffi/tests/churn.rs) and the export path (rust/ffi/tests/fuzz_export.rs:
# exporters started, fed malformed batches, panicking, sending over HTTP, shut down). Installs
# valgrind with apt-get when it is missing (CI runs as root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null; then
  apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi
cd "$root/rust"
mkdir -p "$root/.tools"

# check TEST: builds the test binary TEST and runs it under valgrind (with the caller's env).
check() {
  local test=$1 binary status=0
  binary=$(cargo test --locked -p otelcol-rust-ffi --test "$test" --no-run --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*'"$test"'[^"]*\)".*/\1/p' | tail -1)
  [[ -x "$binary" ]] || { echo "leakcheck: $test test binary not found" >&2; exit 1; }
  valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \
    --show-leak-kinds=definite --error-exitcode=99 "$binary" --test-threads=1 \
    >"$root/.tools/leakcheck-$test.log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then
    tail -40 "$root/.tools/leakcheck-$test.log" >&2
    echo "leakcheck: valgrind reported definite leaks or errors in $test (exit $status); see .tools/leakcheck-$test.log" >&2
    exit 1
  fi
}

CHURN_CYCLES=${CHURN_CYCLES:-200} check churn
echo "leakcheck: ${CHURN_CYCLES:-200} lifecycle cycles under valgrind, no definite leaks"
# The small inputs only: the big ones (1 MiB values, 10,000 attributes) take half a minute
# under valgrind and exercise no other code.
FUZZ_BIG=0 FUZZ_EXECS=${EXPORT_EXECS:-500} check fuzz_export
echo "leakcheck: ${EXPORT_EXECS:-500} exports of malformed batches under valgrind, no definite leaks"
