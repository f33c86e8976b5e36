// Repro files the fuzzer (tests/fuzz) once crashed the loader on stay harmless: each loads or
// is refused with a ConfigError naming the file.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "explore/repro.hpp"
#include "scenario/scenario.hpp"
#include "support/repo_paths.hpp"

namespace fs = std::filesystem;

TEST_CASE("explore::repro: regression inputs the fuzzer found load or fail cleanly") {
    const fs::path dir = rcusim::testing::repo_path("tests/scenario/corpus/regressions");
    REQUIRE(fs::is_directory(dir));
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file() || e.path().filename().string().rfind("repro-", 0) != 0) continue;
        const std::string path = e.path().string();
        INFO(path);
        try {
            rcusim::explore::load_repro_file(path);
        } catch (const rcusim::scenario::ConfigError& err) {
            CHECK(std::string(err.what()).rfind(path + ":", 0) == 0);
        }
    }
}

TEST_CASE("explore::repro: the fuzzer's repro seeds load") {
    const fs::path dir = rcusim::testing::repo_path("tests/fuzz/seeds");
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() < 11 || name.compare(name.size() - 11, 11, ".repro.json") != 0) continue;
        INFO(e.path().string());
        CHECK_NOTHROW(rcusim::explore::load_repro_file(e.path().string()));
        ++n;
    }
    CHECK(n >= 1);
}
