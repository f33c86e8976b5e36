// Coverage goals in campaigns (FuzzResult::coverage, ExploreResult::coverage, summary.json,
// merge): per goal, the number of executions counted that hit it and the smallest seed that
// did, which is what the seeds show when run one by one, whatever --jobs is, and shards
// merged add up to the unsharded campaign.
#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "explore/campaign_io.hpp"
#include "explore/explore.hpp"
#include "explore/fuzz.hpp"
#include "kernel/goals.hpp"
#include "scenario/scenario_json.hpp"
#include "support/campaign.hpp"

using namespace rcusim;
using rcusim::testing::seed_race;
using rcusim::testing::TempDir;

namespace {

// The coverage of seeds lo..hi, run one by one as a campaign runs them.
explore::Coverage sequential(const scenario::Scenario& s, std::uint64_t lo, std::uint64_t hi,
                             bool keep_going) {
    explore::Coverage c{};
    for (std::uint64_t seed = lo; seed <= hi; ++seed) {
        auto r = explore::run_seed(s, "random", seed, 3, 0, 0, !keep_going);
        explore::add_coverage(c, explore::goal_mask(r), seed);
    }
    return c;
}

explore::FuzzOptions options(std::uint64_t lo, std::uint64_t hi, int jobs, bool keep_going) {
    explore::FuzzOptions o;
    o.seeds = {lo, hi};
    o.jobs = jobs;
    o.keep_going = keep_going;
    o.minimize = false;
    return o;
}

std::string show(const explore::Coverage& c) {
    std::string out;
    for (const auto& [name, g] : explore::named(c))
        out += "\n  " + name + ": " + std::to_string(g.executions) + " first " +
               (g.first ? std::to_string(*g.first) : "-");
    return out;
}

std::size_t idx(kernel::Goal g) { return static_cast<std::size_t>(g); }

}  // namespace

TEST_CASE("explore::coverage: a keep-going campaign counts what each seed hits, any --jobs") {
    const auto s = seed_race("v6.3");
    const auto ref = sequential(s, 0, 79, true);
    INFO("sequential:" << show(ref));
    // The seed race reaches its S1/S2 windows on some of these seeds, and never S10's.
    CHECK(ref[idx(kernel::Goal::kShrinkerInDeoffload)].executions > 0);
    CHECK(ref[idx(kernel::Goal::kLockingFlippedUnderShrinker)].executions > 0);
    CHECK(ref[idx(kernel::Goal::kBarrierEntrainNeedsWake)].executions == 0);
    for (const int jobs : {1, 2}) {
        const auto r = explore::fuzz(s, options(0, 79, jobs, true));
        INFO("jobs " << jobs << ":" << show(r.coverage));
        CHECK(r.executions == 80);
        CHECK(r.coverage == ref);
    }
}

TEST_CASE("explore::coverage: without keep-going only the seeds up to the first failure count") {
    const auto s = seed_race("v6.3");
    const auto first = rcusim::testing::smallest_failing(s, "random", 0, 1999);
    REQUIRE(first);
    const auto ref = sequential(s, 0, first->seed, false);
    INFO("first failure at seed " << first->seed << "; sequential:" << show(ref));
    for (const int jobs : {1, 2}) {
        const auto r = explore::fuzz(s, options(0, 1999, jobs, false));
        INFO("jobs " << jobs << " ran " << r.executions_run << ":" << show(r.coverage));
        REQUIRE(r.first_failure_seed == first->seed);
        CHECK(r.executions == first->seed + 1);
        CHECK(r.coverage == ref);
        for (const auto& g : r.coverage) CHECK(g.executions <= r.executions);
    }
}

TEST_CASE("explore::coverage: runs past the first failure (jobs 2) change no coverage") {
    // The tally a campaign keeps, fed as two workers may feed it: execution i hits goal i
    // only, so the coverage tells which executions counted. Index 2 fails, and finishes after
    // 3 and 4 (run past it); 5 finishes after the failure is known.
    const std::uint64_t none = UINT64_MAX;
    explore::CoverageTally t;
    t.add(3, 1u << 3, none, 103);
    t.add(1, 1u << 1, none, 101);
    t.add(4, 1u << 4, none, 104);
    t.add(0, 1u << 0, none, 100);
    t.add(2, 1u << 2, 2, 102);
    t.add(5, 1u << 5, 2, 105);
    for (std::size_t g = 0; g < 6; ++g) {
        INFO("execution " << g);
        CHECK(t.all()[g].executions == 1);
        CHECK(t.all()[g].first == 100 + g);
        CHECK(t.counted()[g].executions == (g <= 2 ? 1u : 0u));
    }
    // A smaller failure found later still cuts what is not yet committed.
    explore::CoverageTally u;
    u.add(1, 1u << 1, none, 1);
    u.add(3, 1u << 3, 3, 3);  // fails, waits for 0 and 2
    u.add(2, 1u << 2, 2, 2);  // fails too: the first failure is now 2
    u.add(0, 1u << 0, 2, 0);
    for (std::size_t g = 0; g < 4; ++g) {
        INFO("execution " << g);
        CHECK(u.counted()[g].executions == (g <= 2 ? 1u : 0u));
    }
    // With no failure every execution counts, in any order.
    explore::CoverageTally v;
    for (const std::uint64_t i : {4, 0, 3, 1, 2}) v.add(i, 1u << 7, none, i);
    CHECK(v.counted()[7] == explore::GoalCoverage{5, 0});
    CHECK(v.counted() == v.all());

    // And a campaign whose every seed fails, with two workers.
    auto j = nlohmann::json::parse(rcusim::testing::slurp(
        rcusim::testing::repo_path("configs/bugs/S3-reclaim-mutex-deadlock.json")));
    const auto s = scenario::load_scenario_text(j.dump(), "s3.json");
    const auto ref = sequential(s, 0, 0, false);
    const auto a = explore::fuzz(s, options(0, 50, 1, false));
    const auto b = explore::fuzz(s, options(0, 50, 2, false));
    INFO("jobs 2 ran " << b.executions_run << ":" << show(b.coverage));
    REQUIRE(a.first_failure_seed == 0u);
    REQUIRE(b.first_failure_seed == 0u);
    CHECK(a.coverage == ref);
    CHECK(b.coverage == ref);
}

TEST_CASE(
    "explore::coverage: summary.json lists every goal and shards merged add up to the whole") {
    const auto s = seed_race("v6.3");
    const std::uint64_t lo = 3, hi = 64;
    TempDir whole("cov-whole"), merged("cov-merged");
    const auto ou = options(lo, hi, 2, true);
    const auto u = explore::fuzz(s, ou);
    explore::write_campaign(whole.str(), s, ou, u);

    const auto sj = nlohmann::json::parse(rcusim::testing::slurp(whole.path / "summary.json"));
    REQUIRE(sj.contains("coverage"));
    CHECK(sj["coverage"].size() == kernel::kGoalCount);
    for (const auto& g : kernel::goal_infos()) {
        INFO(g.name);
        REQUIRE(sj["coverage"].contains(g.name));
        const auto& c = sj["coverage"][g.name];
        const auto& want = u.coverage[idx(g.goal)];
        CHECK(c["executions"] == want.executions);
        if (want.first)
            CHECK(c["first_seed"] == *want.first);
        else
            CHECK(c["first_seed"].is_null());
    }

    std::vector<std::unique_ptr<TempDir>> dirs;
    std::vector<std::string> names;
    for (int k = 0; k < 3; ++k) {
        dirs.push_back(std::make_unique<TempDir>("cov-shard" + std::to_string(k)));
        auto o = ou;
        o.shard_k = k;
        o.shard_n = 3;
        explore::write_campaign(dirs.back()->str(), s, o, explore::fuzz(s, o));
        names.push_back(dirs.back()->str());
    }
    const auto m = explore::merge_campaigns(names, merged.str());
    CHECK(m.executions == u.executions);
    REQUIRE(m.coverage);
    CHECK(*m.coverage == explore::named(u.coverage));
    // The merged folder's summary carries the same.
    const auto mj = nlohmann::json::parse(rcusim::testing::slurp(merged.path / "summary.json"));
    CHECK(mj["coverage"] == sj["coverage"]);
    // Merging the merged folder on its own changes nothing.
    const auto again = explore::merge_campaigns({merged.str()}, "");
    REQUIRE(again.coverage);
    CHECK(*again.coverage == *m.coverage);
}

TEST_CASE("explore::coverage: merge reads old summaries without coverage and rejects bad ones") {
    const auto s = seed_race("v6.3");
    TempDir a("cov-a"), b("cov-b");
    const auto o = options(0, 9, 1, true);
    explore::write_campaign(a.str(), s, o, explore::fuzz(s, o));
    explore::write_campaign(b.str(), s, o, explore::fuzz(s, o));
    SECTION("a summary without coverage (an older rcusim): the merge has none") {
        auto j = nlohmann::json::parse(rcusim::testing::slurp(b.path / "summary.json"));
        j.erase("coverage");
        rcusim::testing::spill(b.path / "summary.json", j.dump(2));
        const auto m = explore::merge_campaigns({a.str(), b.str()}, "");
        CHECK(m.executions == 20);
        CHECK_FALSE(m.coverage);
        CHECK_FALSE(m.json().contains("coverage"));
    }
    SECTION("a goal this build does not know is kept") {
        auto j = nlohmann::json::parse(rcusim::testing::slurp(b.path / "summary.json"));
        j["coverage"]["future-goal"] = {{"executions", 3}, {"first_seed", 7}};
        rcusim::testing::spill(b.path / "summary.json", j.dump(2));
        const auto m = explore::merge_campaigns({a.str(), b.str()}, "");
        REQUIRE(m.coverage);
        CHECK(m.coverage->size() == kernel::kGoalCount + 1);
        CHECK(m.coverage->back().first == "future-goal");
        CHECK(m.coverage->back().second == explore::GoalCoverage{3, 7});
    }
    SECTION("malformed coverage: a ConfigError naming the JSON pointer") {
        auto j = nlohmann::json::parse(rcusim::testing::slurp(b.path / "summary.json"));
        j["coverage"]["stale-lazy-len"]["executions"] = -1;
        rcusim::testing::spill(b.path / "summary.json", j.dump(2));
        try {
            explore::merge_campaigns({a.str(), b.str()}, "");
            FAIL("no error");
        } catch (const scenario::ConfigError& e) {
            CHECK_THAT(std::string(e.what()),
                       Catch::Contains("/coverage/stale-lazy-len/executions"));
        }
    }
}

TEST_CASE("explore::coverage: explore counts the schedules it ran, the same for jobs 1 and 2") {
    const auto s = seed_race("patch1-trylock");
    explore::ExploreOptions o;
    o.bound = 1;
    o.jobs = 1;
    const auto a = explore::explore_bounded(s, o);
    o.jobs = 2;
    const auto b = explore::explore_bounded(s, o);
    INFO(show(a.coverage));
    REQUIRE_FALSE(a.found);
    CHECK(a.coverage == b.coverage);
    // Patch 1 keeps the shrinker out of every toggle, whatever the schedule.
    CHECK(a.coverage[idx(kernel::Goal::kShrinkerInDeoffload)].executions == 0);
    CHECK(a.coverage[idx(kernel::Goal::kLockingFlippedUnderShrinker)].executions == 0);
    CHECK(a.coverage[idx(kernel::Goal::kDeoffloadWithLazyCallbacks)].executions > 0);
    for (const auto& g : a.coverage) {
        CHECK(g.executions <= a.schedules);
        if (g.executions > 0) CHECK(*g.first <= 1u);
    }
    // Under v6.3 one deviation reaches the S1 window.
    const auto v = explore::explore_bounded(seed_race("v6.3"), o);
    CHECK(v.coverage[idx(kernel::Goal::kLockingFlippedUnderShrinker)].first == 1u);
}
