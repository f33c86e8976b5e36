#!/bin/bash
# The whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures and
# builds the project with RCUSIM_SANITIZE=ON in BUILD_DIR, then runs its ctest. Registered as
# the CTest `sanitizers` of the normal build (tests/CMakeLists.txt), so `ctest` alone runs it;
# the sanitizer build itself registers neither this test nor the fuzzer.
# Usage: run_sanitizers.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2

# -O1 with line tables: reports with file:line, a fraction of a -O2 -g build's compile time.
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRCUSIM_SANITIZE=ON \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" >/dev/null
cmake --build "$build" -j2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j2
