#!/bin/bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures and
# builds the project with RCUSIM_SANITIZE=ON in BUILD_DIR, then runs its ctest. Registered as
# the CTest `sanitizers` of the normal build (tests/CMakeLists.txt), so `ctest` alone runs it;
# the sanitizer build itself registers neither this test nor the fuzzer.
# Usage: run_sanitizers.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2

# clang when there is one (.ci/deps installs it): it compiles this code a third faster than
# g++ under the sanitizers, and the suite then also checks a second compiler (DESIGN.md:
# byte-identical traces with gcc or clang). -O1 with line tables, and assertions on (no
# NDEBUG): reports with file:line at a fraction of a -O2 -g build's compile time.
compiler=()
if [[ ! -f $build/CMakeCache.txt ]] && command -v clang++ >/dev/null; then
    compiler=(-DCMAKE_CXX_COMPILER=clang++)
fi
cmake -S "$src" -B "$build" "${compiler[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRCUSIM_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build "$build" -j2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2
