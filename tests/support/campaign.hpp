// Helpers for the campaign tests (tests/explore: fuzz, PCT, explore, replay, minimize, shards;
// tests/cli: the same through the rcusim binary): the seed race under a variant, what one
// seed of a campaign shows when run on its own (the sequential reference a campaign result
// is compared with), temporary folders, and running $RCUSIM_BIN with its output captured.
// Nothing here hard-codes which seeds fail: tests compute that with these helpers.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/fuzz.hpp"
#include "scenario/scenario.hpp"
#include "support/repo_paths.hpp"

extern char** environ;

namespace rcusim::testing {

// configs/seed-race.json, optionally under another variant (as `--variant`).
inline scenario::Scenario seed_race(const std::string& variant = "") {
    scenario::Scenario s =
        scenario::load_scenario_file(repo_path("configs/seed-race.json").string());
    if (!variant.empty()) scenario::apply_variant(s, variant, "--variant");
    return s;
}

// What one seed shows when run on its own, as a campaign runs it.
struct SeedRun {
    std::uint64_t seed = 0;
    std::uint64_t steps = 0;
    std::optional<std::string> primary;  // signature of the first error (stop at it)
    std::optional<std::string> primary_kind;
    std::vector<std::string> signatures;  // every error of the full run (keep-going)
    std::vector<std::string> kinds;       // their kinds, same order
};

// The PCT sizing a campaign uses (probe_size), or {0, 0} for random.
inline std::pair<std::uint64_t, int> pct_size(const scenario::Scenario& s,
                                              const std::string& strategy) {
    if (strategy != "pct") return {0, 0};
    return explore::probe_size(s);
}

// `keep_going` selects how the campaign runs the seed: without it the run stops at its first
// error and only that one counts; with it the run goes on and every error counts.
inline SeedRun run_one(const scenario::Scenario& s, const std::string& strategy, std::uint64_t seed,
                       bool keep_going, int depth = 3) {
    const auto [k, n] = pct_size(s, strategy);
    SeedRun out;
    out.seed = seed;
    auto r = explore::run_seed(s, strategy, seed, depth, k, n, !keep_going);
    out.steps = r.steps;
    if (auto v = explore::primary_violation(r, false)) {
        out.primary = v->signature();
        out.primary_kind = v->kind;
    }
    for (const auto& v : r.violations)
        if (v.severity == check::Severity::kError) {
            out.signatures.push_back(v.signature());
            out.kinds.push_back(v.kind);
        }
    return out;
}

// The smallest seed in [lo, hi] whose run (stopped at its first error) fails; and the
// smallest one whose full run shows an error of `kind` (empty kind: the former).
inline std::optional<SeedRun> smallest_failing(const scenario::Scenario& s,
                                               const std::string& strategy, std::uint64_t lo,
                                               std::uint64_t hi, const std::string& kind = "") {
    for (std::uint64_t seed = lo; seed <= hi; ++seed) {
        SeedRun r = run_one(s, strategy, seed, !kind.empty());
        if (kind.empty() ? r.primary.has_value()
                         : std::find(r.kinds.begin(), r.kinds.end(), kind) != r.kinds.end())
            return r;
    }
    return std::nullopt;
}

// Per signature: the smallest seed and the number of runs that showed it, over `seeds`
// (the keep-going grouping, computed sequentially).
struct SigStat {
    std::uint64_t seed = 0, count = 0;
    std::string kind;
    bool operator==(const SigStat&) const = default;
};
inline std::map<std::string, SigStat> group_by_signature(const std::vector<SeedRun>& runs) {
    std::map<std::string, SigStat> out;
    for (const auto& r : runs) {
        std::set<std::string> seen;  // a run counts once per signature
        for (std::size_t i = 0; i < r.signatures.size(); ++i) {
            if (!seen.insert(r.signatures[i]).second) continue;
            auto [it, fresh] = out.try_emplace(r.signatures[i], SigStat{r.seed, 0, r.kinds[i]});
            it->second.count++;
            if (r.seed < it->second.seed) it->second.seed = r.seed;
        }
    }
    return out;
}
inline std::map<std::string, SigStat> group_by_signature(const explore::FuzzResult& f) {
    std::map<std::string, SigStat> out;
    for (const auto& x : f.failures) out[x.signature] = SigStat{x.seed, x.count, x.kind};
    return out;
}

}  // namespace rcusim::testing

// Failure messages show both groupings in full.
template <>
struct Catch::StringMaker<std::map<std::string, rcusim::testing::SigStat>> {
    static std::string convert(const std::map<std::string, rcusim::testing::SigStat>& m) {
        std::string out = "{";
        for (const auto& [sig, st] : m)
            out += "\n  " + sig + ": seed " + std::to_string(st.seed) + " x" +
                   std::to_string(st.count);
        return out + (m.empty() ? "}" : "\n}");
    }
};

namespace rcusim::testing {

inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void spill(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

// A fresh, empty folder under the temp dir, removed at scope exit.
struct TempDir {
    explicit TempDir(const std::string& tag) {
        static std::atomic<int> counter{0};
        path = std::filesystem::temp_directory_path() /
               ("rcusim-campaign-" + tag + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(counter++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string str(const std::string& rel = "") const {
        return rel.empty() ? path.string() : (path / rel).string();
    }
    // File name -> content of the regular files directly in `sub` (sorted by name).
    std::map<std::string, std::string> files(const std::string& sub = "") const {
        std::map<std::string, std::string> out;
        const auto dir = sub.empty() ? path : path / sub;
        if (!std::filesystem::is_directory(dir)) return out;
        for (const auto& e : std::filesystem::directory_iterator(dir))
            if (e.is_regular_file()) out[e.path().filename().string()] = slurp(e.path());
        return out;
    }
    std::filesystem::path path;
};

// ---- the rcusim binary

inline std::string rcusim_bin() {
    const char* b = std::getenv("RCUSIM_BIN");
    return b != nullptr ? b : "build/rcusim";
}

struct CliResult {
    int code = -1;    // exit status, or 128 + signal
    std::string out;  // stdout
    std::string err;  // stderr
};

// Starts the program argv[0] (a path) with stdin from /dev/null and stdout / stderr going to
// the files `stdout` and `stderr` in `io`.
inline pid_t spawn_program(std::vector<std::string> all, const std::filesystem::path& io) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, (io / "stdout").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, (io / "stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, all[0].c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    INFO("spawning " << all[0]);
    REQUIRE(rc == 0);
    return pid;
}

// Starts `rcusim args...` as spawn_program() does.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::filesystem::path& io) {
    std::vector<std::string> all = {rcusim_bin()};
    all.insert(all.end(), args.begin(), args.end());
    return spawn_program(std::move(all), io);
}

// Waits for a child started by spawn_cli() and collects its output; kills it after `limit`
// (and fails the test) so a hung child never hangs the suite.
inline CliResult wait_cli(pid_t pid, const std::filesystem::path& io,
                          std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (true) {
        const pid_t got = ::waitpid(pid, &status, WNOHANG);
        REQUIRE(got >= 0);
        if (got == pid) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            FAIL("rcusim did not finish in time");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(io / "stdout");
    r.err = slurp(io / "stderr");
    return r;
}

// Runs `rcusim args...` to completion (killed, and the test failed, after `limit`).
inline CliResult run_cli(const std::vector<std::string>& args,
                         std::chrono::seconds limit = std::chrono::seconds(120)) {
    TempDir io("io");
    return wait_cli(spawn_cli(args, io.path), io.path, limit);
}

// Runs the program argv[0] (a path) with its arguments, as run_cli() runs rcusim.
inline CliResult run_program(const std::vector<std::string>& argv,
                             std::chrono::seconds limit = std::chrono::seconds(120)) {
    TempDir io("io");
    return wait_cli(spawn_program(argv, io.path), io.path, limit);
}

// The seed scenario's path, and the one JSON document a --json command printed.
inline std::string seed_race_file() { return repo_path("configs/seed-race.json").string(); }

inline nlohmann::json parse_stdout(const CliResult& r) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    REQUIRE_NOTHROW(nlohmann::json::parse(r.out));
    return nlohmann::json::parse(r.out);
}

}  // namespace rcusim::testing
