// The one translation unit with Catch2's main (it compiles slowly; keep it alone).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include <cstdlib>

namespace {
// Real-code tests build kernel objects into the build directory (RCUSIM_KERNEL_CACHE, also
// read by the rcusim binaries the tests start), unless the caller chose a cache.
const bool kernel_cache_set = [] {
#ifdef RCUSIM_TEST_KERNEL_CACHE
    setenv("RCUSIM_KERNEL_CACHE", RCUSIM_TEST_KERNEL_CACHE, 0);
#endif
    return true;
}();
}  // namespace
