// Every scenario file shipped in configs/ (recursively) runs with
// its own explore settings and shows what its `expect` says.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "support/repo_paths.hpp"

using namespace rcusim;
namespace fs = std::filesystem;

TEST_CASE("kernel::configs: every scenario in configs/ meets its expect") {
    const fs::path dir = rcusim::testing::repo_path("configs");
    REQUIRE(fs::is_directory(dir));
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file() || e.path().extension() != ".json") continue;
        files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    REQUIRE_FALSE(files.empty());
    for (const auto& f : files) {
        INFO(f.string());
        const scenario::Scenario s = scenario::load_scenario_file(f.string());
        if (!s.kernel_source.empty() && !fs::exists(s.kernel_source)) {
            // Real-code scenarios name a Debian linux-source package (.ci/deps installs it).
            WARN(f.string() << ": skipped, " << s.kernel_source << " is not installed");
            continue;
        }
        const scenario::RunResult r = scenario::run_scenario(s);
        std::string seen;
        for (const auto& k : r.kinds()) seen += k + " ";
        INFO("expected: " << (s.expect ? Catch::Detail::stringify(*s.expect) : "(nothing)")
                          << ", seen: " << (seen.empty() ? "(nothing)" : seen));
        CHECK(scenario::expect_met(s, r));
    }
}
