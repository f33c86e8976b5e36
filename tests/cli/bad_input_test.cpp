// Bad input never hurts: the rcusim binary ($RCUSIM_BIN) on every file of the bad corpus,
// the run limits (run.max_steps, --trace-max-bytes) and SIGINT / SIGTERM during a run. Exit
// codes 2 (invalid input), 3 (a limit stopped the run), 130 (interrupted); never a crash, a
// sanitizer report or an output file left behind.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/campaign.hpp"
#include "support/repo_paths.hpp"

namespace fs = std::filesystem;

namespace {

// A fresh, empty directory under the temp dir, removed at scope exit.
struct TempDir {
    explicit TempDir(const std::string& tag) {
        path = fs::temp_directory_path() / ("rcusim-cli-" + tag + "-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : fs::recursive_directory_iterator(path))
            out.push_back(e.path().lexically_relative(path).string());
        return out;
    }
    fs::path path;
};

using Result = rcusim::testing::CliResult;
using rcusim::testing::slurp;

pid_t spawn(const std::vector<std::string>& args, const fs::path& io) {
    return rcusim::testing::spawn_cli(args, io);
}

Result wait_for(pid_t pid, const fs::path& io,
                std::chrono::seconds limit = std::chrono::seconds(120)) {
    return rcusim::testing::wait_cli(pid, io, limit);
}

Result run(const std::vector<std::string>& args, const fs::path& io) {
    return wait_for(spawn(args, io), io);
}

// Text a crash, a sanitizer or an uncaught exception would leave on stderr.
void check_no_crash_text(const std::string& err) {
    for (const char* bad : {"AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                            "runtime error:", "terminate called", "Segmentation fault", "Aborted",
                            "core dumped", "RCUSIM_ASSERT", "assertion failed"}) {
        INFO("stderr: " << err);
        CHECK(err.find(bad) == std::string::npos);
    }
}

std::vector<fs::path> bad_files() {
    std::vector<fs::path> out;
    for (const auto& e :
         fs::directory_iterator(rcusim::testing::repo_path("tests/scenario/corpus/bad"))) {
        if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The message names the file, then a JSON pointer or line:column.
void check_names_file_and_place(const std::string& err, const std::string& file) {
    INFO("stderr: " << err);
    REQUIRE(err.rfind(file + ":", 0) == 0);
    const std::string rest = err.substr(file.size() + 1);
    const bool pointer = rest.rfind(" /", 0) == 0 && rest.find(" (line ") != std::string::npos;
    const bool line_col = !rest.empty() && rest[0] >= '1' && rest[0] <= '9';
    CHECK((pointer || line_col));
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

// A scenario that runs for minutes unless stopped.
const char* kLong = R"({
  "format": "rcusim-scenario/1", "name": "long",
  "machine": { "cpus": 64 },
  "events": [ { "at": 0, "op": "call_rcu", "cpu": "all", "count": 1000000, "every": "10us" } ],
  "run": { "until": "100000s", "max_steps": 1000000000000 }
})";

}  // namespace

TEST_CASE("cli::bad input: validate and run refuse every bad file with exit 2, nothing written") {
    const auto files = bad_files();
    REQUIRE(files.size() >= 40);
    TempDir io("bad-io");
    TempDir out("bad-out");
    for (const auto& f : files) {
        const std::string file = f.string();
        INFO(file);
        const Result v = run({"validate", file}, io.path);
        CHECK(v.code == 2);
        CHECK(v.out.empty());
        check_names_file_and_place(v.err, file);
        check_no_crash_text(v.err);

        const Result r = run({"run", file, "--trace", (out.path / "t.jsonl").string(),
                              "--repro-dir", (out.path / "repro").string()},
                             io.path);
        CHECK(r.code == 2);
        CHECK(r.out.empty());
        CHECK(r.err == v.err);
        check_no_crash_text(r.err);
        CHECK(out.entries().empty());
    }
}

TEST_CASE("cli::limits: run.max_steps stops the run with exit 3 and says so") {
    TempDir io("steps-io");
    TempDir out("steps-out");
    const fs::path scenario = io.path / "steps.json";
    std::ofstream(scenario) << R"({"format": "rcusim-scenario/1", "name": "steps",
        "events": [{"at": 0, "op": "call_rcu", "cpu": "all", "count": 1000}],
        "run": {"max_steps": 100}})";
    const Result r = run({"run", scenario.string(), "--trace", (out.path / "t.jsonl").string(),
                          "--repro-dir", (out.path / "repro").string()},
                         io.path);
    INFO(r.out << r.err);
    CHECK(r.code == 3);
    CHECK_THAT(r.err, Catch::Contains("step limit reached: the run stopped after 100 steps "
                                      "(run.max_steps)"));
    CHECK_THAT(r.out, Catch::Contains("100 steps") && Catch::Contains("(step-limit)"));
    CHECK_THAT(r.out, Catch::Contains("== no violations"));  // no end-of-run checks mid-step
    // The run is complete up to its limit (deterministic, replayable): the trace is kept.
    CHECK(out.entries() == std::vector<std::string>{"t.jsonl"});
    check_no_crash_text(r.err);

    const Result j = run({"run", scenario.string(), "--json"}, io.path);
    CHECK(j.code == 3);
    CHECK_THAT(j.out, Catch::Contains("\"stop\": \"step-limit\""));
}

TEST_CASE("cli::limits: --trace-max-bytes stops the run with exit 3 and discards the trace") {
    TempDir io("bytes-io");
    TempDir out("bytes-out");
    const std::string seed_race = rcusim::testing::repo_path("configs/seed-race.json").string();
    const std::string trace = (out.path / "t.jsonl").string();
    const Result r = run({"run", seed_race, "--trace", trace, "--trace-max-bytes", "10KiB",
                          "--repro-dir", (out.path / "repro").string()},
                         io.path);
    CHECK(r.code == 3);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::StartsWith("rcusim: " + trace +
                                        ": trace size limit reached: "
                                        "10240 bytes (--trace-max-bytes)"));
    CHECK(out.entries().empty());
    check_no_crash_text(r.err);

    // Under the limit the trace is written as usual.
    const Result ok = run({"run", seed_race, "--trace", trace, "--trace-max-bytes", "64MiB",
                           "--repro-dir", (out.path / "repro").string()},
                          io.path);
    CHECK(ok.code == 1);  // the seed race shows its bug under v6.3
    CHECK(fs::exists(trace));

    for (const char* bad : {"0", "10X", "-5", "K", "99999999999999999999G"}) {
        const Result b =
            run({"run", seed_race, "--trace", trace, "--trace-max-bytes", bad}, io.path);
        CHECK(b.code == 2);
        CHECK_THAT(b.err, Catch::StartsWith("rcusim: --trace-max-bytes: expected a size"));
    }
}

TEST_CASE("cli::signals: SIGINT or SIGTERM during run stops it with exit 130, no trace left") {
    for (const int sig : {SIGINT, SIGTERM}) {
        INFO("signal " << sig);
        TempDir io("sig-io");
        TempDir out("sig-out");
        const fs::path scenario = io.path / "long.json";
        std::ofstream(scenario) << kLong;
        const fs::path trace = out.path / "t.jsonl";
        const pid_t pid =
            spawn({"run", scenario.string(), "--trace", trace.string(), "--trace-max-bytes",
                   "256MiB", "--repro-dir", (out.path / "repro").string()},
                  io.path);
        // The temporary trace file appears once the run is under way (and the signal handler
        // is installed before it is created).
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        bool started = false;
        while (!started && std::chrono::steady_clock::now() < deadline) {
            for (const auto& e : out.entries())
                if (e.find(".tmp.") != std::string::npos && fs::file_size(out.path / e) > 0)
                    started = true;
            if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        REQUIRE(started);
        ::kill(pid, sig);
        const Result r = wait_for(pid, io.path, std::chrono::seconds(60));
        INFO(r.err);
        CHECK(r.code == 130);
        CHECK_THAT(r.err, Catch::StartsWith("rcusim: interrupted: the run stopped at step "));
        CHECK_THAT(r.err, Catch::Contains("trace " + trace.string() + " not written"));
        CHECK(out.entries().empty());
        check_no_crash_text(r.err);
    }
}
