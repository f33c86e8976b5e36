// The one translation unit with Catch2's main (it compiles slowly; keep it alone).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
