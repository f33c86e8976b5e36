#!/bin/bash
# Builds tests/fuzz (clang, libFuzzer + ASan + UBSan) in BUILD_DIR, replays the seed corpus
# (configs/, the good and bad scenario corpus, tests/fuzz/seeds/ and traces/ repro files, and
# every regression case in tests/scenario/corpus/regressions/), then fuzzes for SECONDS. Any
# crash fails; its input is left in BUILD_DIR/crashes/ (keep it as a regression case: see
# README.md "Bad input").
# Usage: run_fuzz.sh SOURCE_DIR BUILD_DIR [SECONDS]
set -euo pipefail
src=$(cd "$1" && pwd)
build=$2
seconds=${3:-60}
mkdir -p "$build"
build=$(cd "$build" && pwd)

cmake -S "$src/tests/fuzz" -B "$build" -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" >/dev/null
cmake --build "$build" -j2

# Seeds: the selector byte (0 scenario, 1 repro) followed by the file.
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$build/corpus" "$build/crashes"
add_seed() {  # SELECTOR FILE
    local name
    name=$(printf '%s' "$2" | tr '/' '_')
    { printf "\\$(printf '%03o' "$1")"; cat "$2"; } >"$seeds/$name"
}
cd "$src"
shopt -s nullglob globstar
for f in configs/**/*.json tests/scenario/corpus/good/*.json tests/scenario/corpus/bad/*.json \
         tests/scenario/corpus/regressions/scenario-*; do
    add_seed 0 "$f"
done
for f in tests/fuzz/seeds/*.repro.json traces/*.repro.json \
         tests/scenario/corpus/regressions/repro-*; do
    add_seed 1 "$f"
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Every seed once (regressions included), then the timed run; the corpus in BUILD_DIR/corpus
# grows from one run to the next.
"$build/fuzz_loaders" -rss_limit_mb=2048 -timeout=20 "$seeds"/* 2>"$build/seeds.log" || {
    tail -50 "$build/seeds.log"
    echo "fuzz_loaders: a seed or regression input fails" >&2
    exit 1
}
if ! "$build/fuzz_loaders" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
    -max_len=65536 -dict="$src/tests/fuzz/loaders.dict" -print_final_stats=1 \
    -artifact_prefix="$build/crashes/" "$build/corpus" "$seeds" 2>"$build/fuzz.log"; then
    tail -80 "$build/fuzz.log"
    echo "fuzz_loaders: crash; inputs in $build/crashes/ (first byte: 0 scenario, 1 repro)." >&2
    echo "Keep each as tests/scenario/corpus/regressions/{scenario,repro}-NAME.json without" >&2
    echo "its first byte, fix the loader, and rerun." >&2
    exit 1
fi
tail -12 "$build/fuzz.log"
