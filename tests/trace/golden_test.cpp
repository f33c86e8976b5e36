// Golden traces: the jsonl, text and chrome renderings of two small runs, byte for byte.
// A difference is either a bug or an intended change of the model or of a format: review
// it, then regenerate with
//
//   RCUSIM_UPDATE_GOLDEN=1 ctest --test-dir build -R golden
//
// and commit traces/golden/ with the change that caused it.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "trace/chrome_validator.hpp"
#include "trace/trace_runs.hpp"

namespace {

bool updating() {
    const char* v = std::getenv("RCUSIM_UPDATE_GOLDEN");
    return v && std::string(v) == "1";
}

// Compares `actual` with traces/golden/<name>, or rewrites the file when updating.
void check_golden(const std::string& name, const std::string& actual) {
    const std::string path = "traces/golden/" + name;
    if (updating()) {
        std::filesystem::create_directories("traces/golden");
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << actual;
        REQUIRE(out.good());
        WARN("rewrote " << path);
        return;
    }
    INFO(path << " (regenerate with RCUSIM_UPDATE_GOLDEN=1 after reviewing the change)");
    REQUIRE(std::filesystem::exists(path));
    std::string expected = rcusim::testing::read_file(path);
    if (expected == actual) {
        SUCCEED();
        return;
    }
    // Point at the first differing line.
    std::size_t at = 0, line = 1;
    while (at < expected.size() && at < actual.size() && expected[at] == actual[at]) {
        if (expected[at] == '\n') ++line;
        ++at;
    }
    auto line_at = [](const std::string& s, std::size_t pos) {
        std::size_t b = s.rfind('\n', pos == 0 ? 0 : pos - 1);
        b = b == std::string::npos ? 0 : b + 1;
        std::size_t e = s.find('\n', pos);
        return s.substr(b, e == std::string::npos ? std::string::npos : e - b);
    };
    FAIL("first difference at line " << line << "\n  golden: " << line_at(expected, at)
                                     << "\n  actual: " << line_at(actual, at));
}

}  // namespace

TEST_CASE("trace::golden: seed race under v6.3 (jsonl, text, chrome)") {
    auto a = rcusim::testing::run_traced("configs/seed-race.json");
    auto b = rcusim::testing::run_traced("configs/seed-race.json");
    CHECK(a.jsonl == b.jsonl);
    CHECK(a.text == b.text);
    CHECK(a.chrome == b.chrome);
    CHECK(a.result.digest == b.result.digest);
    check_golden("seed-race.v6.3.jsonl", a.jsonl);
    check_golden("seed-race.v6.3.txt", a.text);
    check_golden("seed-race.v6.3.json", a.chrome);
}

TEST_CASE("trace::golden: seed race under v6.5 (jsonl, text)") {
    auto a = rcusim::testing::run_traced("configs/seed-race.json", "v6.5");
    auto b = rcusim::testing::run_traced("configs/seed-race.json", "v6.5");
    CHECK(a.jsonl == b.jsonl);
    CHECK(a.text == b.text);
    check_golden("seed-race.v6.5.jsonl", a.jsonl);
    check_golden("seed-race.v6.5.txt", a.text);
}
