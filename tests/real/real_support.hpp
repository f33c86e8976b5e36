// Helpers for the real-code tests: Debian's kernel sources (skipped, with a message, where
// they are not installed), mutated copies of a tree in a temporary folder (never in the
// repository), and campaigns run in-process.
#pragma once

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/fuzz.hpp"
#include "real/build.hpp"
#include "real/process.hpp"
#include "real/tree_source.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "support/repo_paths.hpp"

namespace rcusim::testing {

inline const char* const kLinux612 = "/usr/src/linux-source-6.12.tar.xz";
inline const char* const kLinux61 = "/usr/src/linux-source-6.1.tar.xz";

// Skips the test case (CTest reports it skipped) when the package is not installed.
#define RCUSIM_REQUIRE_KERNEL(path)                                                          \
    do {                                                                                     \
        if (!std::filesystem::exists(path)) {                                                \
            WARN("RCUSIM_TEST_SKIPPED: " << (path)                                           \
                                         << " is not installed (apt-get install -y "         \
                                            "linux-source-6.12 linux-source-6.1; .ci/deps "  \
                                            "does)");                                        \
            return;                                                                          \
        }                                                                                    \
    } while (0)

// A scenario of configs/real/, with its kernel.source replaced when `kernel` is given.
inline scenario::Scenario real_config(const std::string& name, const std::string& kernel = "") {
    scenario::Scenario s =
        scenario::load_scenario_file(repo_path("configs/real/" + name).string());
    if (!kernel.empty()) s.kernel_source = kernel;
    return s;
}

// configs/real/<config> with kernel.source set to `tree`, written as DIR/on-tree.json (for
// the command line); returns its path.
inline std::string scenario_file_on(const std::filesystem::path& dir, const std::string& tree,
                                    const std::string& config = "seed-race-6.12.json") {
    std::ifstream in(repo_path("configs/real/" + config));
    std::stringstream text;
    text << in.rdbuf();
    auto j = nlohmann::json::parse(text.str());
    j["kernel"]["source"] = tree;
    const auto path = dir / "on-tree.json";
    std::ofstream(path) << j.dump(2);
    return path.string();
}

// A copy of the files real-code mode reads from a tree, in a temporary folder, to mutate.
class TreeCopy {
   public:
    explicit TreeCopy(const std::string& source) {
        real::Tree t = real::open_tree(source, real::cache_dir());
        char tmpl[] = "/tmp/rcusim-tree-XXXXXX";
        dir_ = mkdtemp(tmpl);
        for (const auto& [rel, content] : t.files) {
            auto path = std::filesystem::path(dir_) / rel;
            std::filesystem::create_directories(path.parent_path());
            std::ofstream(path, std::ios::binary) << content;
        }
    }
    ~TreeCopy() { std::filesystem::remove_all(dir_); }
    TreeCopy(const TreeCopy&) = delete;
    TreeCopy& operator=(const TreeCopy&) = delete;
    const std::string& dir() const { return dir_; }
    // Replaces the one occurrence of `from` in `rel` (fails the test if it is not there once:
    // the mutation must still apply to the tree).
    void replace(const std::string& rel, const std::string& from, const std::string& to) {
        auto path = std::filesystem::path(dir_) / rel;
        std::string text = real::read_file(path.string());
        const auto at = text.find(from);
        INFO(rel << ": " << from);
        REQUIRE(at != std::string::npos);
        REQUIRE(text.find(from, at + 1) == std::string::npos);
        text.replace(at, from.size(), to);
        std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    }

   private:
    std::string dir_;
};

// 6.12 without the fix the seed thread led to: lazy_rcu_shrink_scan()'s
// mutex_trylock(&rcu_state.nocb_mutex) / mutex_unlock() pair removed, so the shrinker races
// with (de-)offloading again.
inline void remove_shrinker_trylock(TreeCopy& t) {
    t.replace("kernel/rcu/tree_nocb.h", "	if (!mutex_trylock(&rcu_state.nocb_mutex)) {\n		/*",
              "	if (0) {\n		/*");
    t.replace("kernel/rcu/tree_nocb.h",
              "	mutex_unlock(&rcu_state.nocb_mutex);\n\n	return count ? count : SHRINK_STOP;",
              "	return count ? count : SHRINK_STOP;");
}

// Every kind a keep-going campaign over `seeds` showed (warnings too).
inline std::set<std::string> campaign_kinds(const scenario::Scenario& s, std::uint64_t lo,
                                            std::uint64_t hi, int jobs = 2,
                                            explore::FuzzResult* out = nullptr) {
    explore::FuzzOptions o;
    o.seeds = {lo, hi};
    o.jobs = jobs;
    o.keep_going = true;
    o.strict = true;
    o.minimize = false;
    explore::FuzzResult r = explore::fuzz(s, o);
    std::set<std::string> kinds;
    for (const auto& f : r.failures) kinds.insert(f.kind);
    if (out) *out = std::move(r);
    return kinds;
}

inline std::string join_kinds(const std::set<std::string>& k) {
    std::string out;
    for (const auto& x : k) out += (out.empty() ? "" : " ") + x;
    return out.empty() ? "(none)" : out;
}

}  // namespace rcusim::testing
