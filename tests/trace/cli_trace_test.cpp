// The trace options of `rcusim run` / `replay`: --format chrome, the .json extension rule,
// --trace-window and --trace-cpus (caps for the file, never for the digest), bad usage.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "trace/chrome_validator.hpp"

namespace fs = std::filesystem;

namespace {

struct Dir {
    fs::path path;
    Dir() : path(fs::temp_directory_path() / ("rcusim_cli_trace_" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~Dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& n) const { return (path / n).string(); }
};

int run_cli(const std::vector<std::string>& args, const std::string& out) {
    const char* bin = std::getenv("RCUSIM_BIN");
    std::string cmd = std::string("'") + (bin ? bin : "build/rcusim") + "'";
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += " >'" + out + "' 2>&1";
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string digest_of(const std::string& log) {
    std::string text = rcusim::testing::read_file(log);
    auto at = text.find("sha256:");
    return at == std::string::npos ? "" : text.substr(at, 71);
}

}  // namespace

TEST_CASE("trace::cli: a .json trace is chrome, --format chrome too, and caps keep the digest") {
    Dir d;
    const std::string repro = d / "repro";
    REQUIRE(
        run_cli({"run", "configs/seed-race.json", "--trace", d / "a.json", "--repro-dir", repro},
                d / "a.log") == 1);
    auto a = rcusim::testing::validate_chrome_trace(rcusim::testing::read_file(d / "a.json"));
    INFO(a.summary());
    CHECK(a.ok());
    CHECK_FALSE(a.slices.empty());

    REQUIRE(run_cli({"run", "configs/seed-race.json", "--trace", d / "b.trace", "--format",
                     "chrome", "--repro-dir", repro},
                    d / "b.log") == 1);
    CHECK(rcusim::testing::read_file(d / "b.trace") == rcusim::testing::read_file(d / "a.json"));

    REQUIRE(run_cli({"run", "configs/wide-1024.json", "--trace", d / "w.json", "--trace-cpus",
                     "0-3,700", "--trace-window", "1ms..5ms", "--repro-dir", repro},
                    d / "w.log") == 0);
    REQUIRE(run_cli({"run", "configs/wide-1024.json", "--repro-dir", repro}, d / "plain.log") == 0);
    CHECK(digest_of(d / "w.log") == digest_of(d / "plain.log"));
    CHECK_FALSE(digest_of(d / "w.log").empty());
    auto w = rcusim::testing::validate_chrome_trace(rcusim::testing::read_file(d / "w.json"));
    INFO(w.summary());
    CHECK(w.ok());
    CHECK(w.pids.size() == 6);  // the machine and CPUs 0-3 and 700
    for (const auto& sl : w.slices) {
        CHECK(sl.ts >= 1000.0);
        CHECK(sl.end <= 5000.0 + 1e-6);
    }

    // jsonl and text obey the same caps.
    REQUIRE(run_cli({"run", "configs/wide-1024.json", "--trace", d / "w.jsonl", "--trace-cpus",
                     "700", "--trace-window", "1ms..", "--repro-dir", repro},
                    d / "wj.log") == 0);
    std::istringstream lines(rcusim::testing::read_file(d / "w.jsonl"));
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line);
        CHECK(j["t"].get<long long>() >= 1'000'000);
        ++n;
    }
    CHECK(n > 0);
}

TEST_CASE("trace::cli: bad --format, --trace-window and --trace-cpus exit 2 and write nothing") {
    Dir d;
    const std::vector<std::vector<std::string>> bad = {
        {"--format", "perfetto"},      {"--trace-window", "5ms"},    {"--trace-window", "5ms..1ms"},
        {"--trace-window", "1x..2ms"}, {"--trace-window", "1j..2j"}, {"--trace-cpus", "0-"},
        {"--trace-cpus", "4096"},
    };
    for (const auto& extra : bad) {
        std::vector<std::string> args = {
            "run", "configs/seed-race.json", "--trace", d / "x.json", "--repro-dir", d / "repro"};
        args.insert(args.end(), extra.begin(), extra.end());
        INFO(extra[0] << " " << extra[1]);
        CHECK(run_cli(args, d / "log") == 2);
        CHECK_FALSE(fs::exists(d / "x.json"));
        CHECK(rcusim::testing::read_file(d / "log").find(extra[0]) != std::string::npos);
    }
    // A cap without a trace is a usage error too.
    CHECK(
        run_cli({"run", "configs/seed-race.json", "--trace-cpus", "0", "--repro-dir", d / "repro"},
                d / "log") == 2);
}
