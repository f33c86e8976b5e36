// Bounded exhaustive exploration (explore::explore_bounded): on the seed race one deviation
// from the default schedule suffices under v6.3; patch1-trylock survives a small bound, which
// is exhausted; results do not depend on the number of jobs.
#include "explore/explore.hpp"

#include <catch2/catch.hpp>
#include <numeric>
#include <string>

#include "explore/repro.hpp"
#include "support/campaign.hpp"

using namespace rcusim;

namespace {

explore::ExploreResult run_explore(const std::string& variant, int bound, int jobs) {
    explore::ExploreOptions o;
    o.bound = bound;
    o.jobs = jobs;
    return explore::explore_bounded(rcusim::testing::seed_race(variant), o);
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) {
    return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
}

}  // namespace

TEST_CASE("explore::explore: one preemption finds lock-imbalance on the seed race under v6.3") {
    const auto r = run_explore("v6.3", 1, 1);
    REQUIRE(r.found);
    CHECK_FALSE(r.bound_exhausted);
    CHECK_FALSE(r.interrupted);
    CHECK(r.level_reached <= 1);
    CHECK(r.schedules == sum(r.per_level));
    CHECK(r.per_level.front() == 1);  // level 0: the default schedule alone
    bool lock_imbalance = false;
    for (const auto& [kind, rp] : r.found_kinds) {
        INFO(kind);
        lock_imbalance = lock_imbalance || kind == "lock-imbalance";
        bool shows = false;
        for (const auto& v : rp.violations) shows = shows || v.kind == kind;
        CHECK(shows);
        CHECK(rp.strategy == "explore");
        const auto rr = explore::replay(rp);
        CHECK(rr.digest_matches);
        CHECK_FALSE(rr.run.diverged);
    }
    CHECK(lock_imbalance);
    REQUIRE_FALSE(r.found_kinds.empty());
    CHECK(r.kind == r.found_kinds.front().first);
}

TEST_CASE("explore::explore: under patch1-trylock a small bound is exhausted with no failure") {
    const auto r0 = run_explore("patch1-trylock", 0, 1);
    CHECK(r0.schedules == 1);
    CHECK(r0.bound_exhausted);
    CHECK_FALSE(r0.found);

    const auto r = run_explore("patch1-trylock", 1, 2);
    CHECK_FALSE(r.found);
    CHECK(r.found_kinds.empty());
    CHECK(r.bound_exhausted);
    CHECK_FALSE(r.interrupted);
    CHECK(r.level_reached == 1);
    REQUIRE(r.per_level.size() == 2);
    CHECK(r.per_level[0] == 1);
    CHECK(r.per_level[1] > 0);
    CHECK(r.schedules == 1 + r.per_level[1]);
    CHECK(r.distinct_outcomes >= 1);
    CHECK(r.distinct_outcomes <= r.schedules);
}

TEST_CASE("explore::explore: jobs 1 and 2 explore the same schedules and find the same") {
    for (const std::string variant : {"v6.3", "patch1-trylock"}) {
        INFO(variant);
        const auto a = run_explore(variant, 1, 1);
        const auto b = run_explore(variant, 1, 2);
        CHECK(a.schedules == b.schedules);
        CHECK(a.per_level == b.per_level);
        CHECK(a.bound_exhausted == b.bound_exhausted);
        CHECK(a.level_reached == b.level_reached);
        CHECK(a.distinct_outcomes == b.distinct_outcomes);
        CHECK(a.found.has_value() == b.found.has_value());
        CHECK(a.kind == b.kind);
        REQUIRE(a.found_kinds.size() == b.found_kinds.size());
        for (std::size_t i = 0; i < a.found_kinds.size(); ++i) {
            CHECK(a.found_kinds[i].first == b.found_kinds[i].first);
            CHECK(explore::repro_to_json(a.found_kinds[i].second) ==
                  explore::repro_to_json(b.found_kinds[i].second));
        }
    }
}
