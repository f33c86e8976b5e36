#!/bin/bash
# CTest: chrome-format traces of the seed race (v6.3, with its lock leak, and v6.5) and of
# the 1024-CPU scenario under --trace-cpus, loaded by the Chrome DevTools trace engine
# (trace_engine_check.mjs). Exits 77 (CTest SKIP_RETURN_CODE) without node or the package.
#
#   trace_engine_test.sh RCUSIM_BIN SOURCE_DIR TOOLS_DIR WORK_DIR
set -euo pipefail
bin=$1 src=$2 tools=$3 work=$4
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node not found"
  exit 77
fi
if [ ! -f "$tools/node_modules/@paulirish/trace_engine/analyze-trace.mjs" ]; then
  # .ci/deps installs it; try the same here for a developer who did not run it.
  if command -v npm >/dev/null 2>&1; then
    npm install --prefix "$tools" --no-audit --no-fund @paulirish/trace_engine >/dev/null 2>&1 || true
  fi
  if [ ! -f "$tools/node_modules/@paulirish/trace_engine/analyze-trace.mjs" ]; then
    echo "SKIP: @paulirish/trace_engine is not installed in $tools (run: bash .ci/deps)"
    exit 77
  fi
fi
rm -rf "$work"
mkdir -p "$work"
run() {  # exit 1 means violations found: expected for v6.3
  local rc=0
  "$bin" run "$@" --repro-dir "$work/repro" >/dev/null || rc=$?
  if [ "$rc" -gt 1 ]; then echo "rcusim run $* exited $rc"; exit 1; fi
}
run "$src/configs/seed-race.json" --trace "$work/seed-race.v6.3.json"
run "$src/configs/seed-race.json" --variant v6.5 --trace "$work/seed-race.v6.5.json"
run "$src/configs/wide-1024.json" --trace "$work/wide-1024.cpus.json" --trace-cpus 0-3,700,1023
run "$src/configs/wide-1024.json" --trace "$work/wide-1024.window.json" --trace-window 1ms..5ms
exec node "$src/tests/trace/trace_engine_check.mjs" "$tools/node_modules" "$work"/*.json
