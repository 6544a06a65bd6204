#!/usr/bin/env bash
# Runs the Rust lifecycle churn test (rust/ffi/tests/churn.rs) under valgrind and fails on any
# definitely-lost block. Installs valgrind with apt-get when it is missing (CI runs as root).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v valgrind >/dev/null; then
  apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
fi
cd "$root/rust"
binary=$(cargo test --locked -p otelcol-rust-ffi --test churn --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*churn[^"]*\)".*/\1/p' | tail -1)
[[ -x "$binary" ]] || { echo "leakcheck: churn test binary not found" >&2; exit 1; }
mkdir -p "$root/.tools"
status=0
CHURN_CYCLES=${CHURN_CYCLES:-200} valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --error-exitcode=99 "$binary" --test-threads=1 \
  >"$root/.tools/leakcheck.log" 2>&1 || status=$?
if [[ $status -ne 0 ]]; then
  tail -40 "$root/.tools/leakcheck.log" >&2
  echo "leakcheck: valgrind reported definite leaks or errors (exit $status); see .tools/leakcheck.log" >&2
  exit 1
fi
echo "leakcheck: ${CHURN_CYCLES:-200} cycles under valgrind, no definite leaks"
