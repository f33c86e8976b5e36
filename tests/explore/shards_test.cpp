// Shards (fuzz --shard K/N) split a seed range over processes: shard K runs the seeds with
// (seed - A) % N == K. Together the shards run every seed of the range exactly once, and
// merging their folders gives what the unsharded campaign finds.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "explore/campaign_io.hpp"
#include "explore/fuzz.hpp"
#include "explore/repro.hpp"
#include "support/campaign.hpp"

using namespace rcusim;
using rcusim::testing::group_by_signature;
using rcusim::testing::SeedRun;

namespace {

explore::FuzzOptions shard_options(std::uint64_t lo, std::uint64_t hi, int k, int n,
                                   bool minimize) {
    explore::FuzzOptions o;
    o.seeds = {lo, hi};
    o.shard_k = k;
    o.shard_n = n;
    o.jobs = 2;
    o.keep_going = true;
    o.minimize = minimize;
    return o;
}

}  // namespace

TEST_CASE("explore::shards: shards K/N of a range run each of its seeds exactly once") {
    const auto s = rcusim::testing::seed_race("v6.3");
    // Per seed, what it shows on its own: its steps are a fingerprint of which seeds ran.
    const std::uint64_t lo = 7, hi = 68;  // 62 seeds: no N below divides them evenly
    std::map<std::uint64_t, SeedRun> runs;
    for (std::uint64_t seed = lo; seed <= hi; ++seed)
        runs[seed] = rcusim::testing::run_one(s, "random", seed, true);

    for (const int n : {1, 2, 3, 5}) {
        std::multiset<std::uint64_t> all;
        std::uint64_t total = 0;
        for (int k = 0; k < n; ++k) {
            INFO("shard " << k << "/" << n);
            std::vector<SeedRun> mine;
            for (std::uint64_t seed = lo; seed <= hi; ++seed)
                if ((seed - lo) % static_cast<std::uint64_t>(n) == static_cast<std::uint64_t>(k))
                    mine.push_back(runs[seed]);
            for (const auto& r : mine) all.insert(r.seed);
            const auto r = explore::fuzz(s, shard_options(lo, hi, k, n, false));
            CHECK(r.seeds_total == mine.size());
            CHECK(r.executions == mine.size());
            CHECK(r.executions_run == mine.size());
            CHECK(r.steps ==
                  std::accumulate(mine.begin(), mine.end(), std::uint64_t{0},
                                  [](std::uint64_t a, const SeedRun& x) { return a + x.steps; }));
            CHECK(group_by_signature(r) == group_by_signature(mine));
            total += r.seeds_total;
        }
        // The shards' seed sets partition the range: none twice, none missing.
        CHECK(total == hi - lo + 1);
        CHECK(all.size() == hi - lo + 1);
        CHECK(std::set<std::uint64_t>(all.begin(), all.end()).size() == hi - lo + 1);
    }

    // More shards than seeds: the extra shards run nothing.
    for (int k = 0; k < 3; ++k) {
        const auto r = explore::fuzz(s, shard_options(10, 11, k, 3, false));
        CHECK(r.seeds_total == (k < 2 ? 1u : 0u));
        CHECK(r.executions_run == r.seeds_total);
    }
}

TEST_CASE("explore::shards: merging the shards' folders gives the unsharded campaign") {
    const auto s = rcusim::testing::seed_race("v6.3");
    const std::uint64_t lo = 0, hi = 149;
    rcusim::testing::TempDir whole("whole"), merged("merged");
    const auto ou = shard_options(lo, hi, 0, 1, true);
    const auto u = explore::fuzz(s, ou);
    REQUIRE(u.failures.size() >= 2);
    const auto upaths = explore::write_campaign(whole.str(), s, ou, u);

    std::vector<std::unique_ptr<rcusim::testing::TempDir>> dirs;
    std::vector<std::string> names;
    for (int k = 0; k < 3; ++k) {
        dirs.push_back(std::make_unique<rcusim::testing::TempDir>("shard" + std::to_string(k)));
        const auto o = shard_options(lo, hi, k, 3, true);
        explore::write_campaign(dirs.back()->str(), s, o, explore::fuzz(s, o));
        names.push_back(dirs.back()->str());
    }
    const auto m = explore::merge_campaigns(names, merged.str());
    CHECK(m.executions == u.executions);
    CHECK(m.shards == std::vector<std::string>{"0/3", "1/3", "2/3"});
    std::map<std::string, rcusim::testing::SigStat> got;
    for (const auto& f : m.failures) got[f.signature] = {f.seed, f.count, f.kind};
    CHECK(got == group_by_signature(u));

    // The merged folder holds, per signature, the same repro as the unsharded campaign.
    const auto out = merged.files();
    CHECK(out.count("summary.json") == 1);
    for (std::size_t i = 0; i < u.failures.size(); ++i) {
        const auto& uf = u.failures[i];
        INFO(uf.signature);
        for (const auto& f : m.failures) {
            if (f.signature != uf.signature) continue;
            REQUIRE(out.count(f.repro) == 1);
            CHECK(out.at(f.repro) == rcusim::testing::slurp(upaths[i]));
        }
    }
}
