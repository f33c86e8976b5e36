// Minimization (explore::minimize, delta debugging over the decision log, then the
// scenario's events): the result still shows the violation kind, is no larger than the
// original, and replays exactly.
#include <catch2/catch.hpp>
#include <string>

#include "explore/fuzz.hpp"
#include "explore/repro.hpp"
#include "support/campaign.hpp"

using namespace rcusim;

namespace {

bool shows(const explore::Repro& r, const std::string& kind) {
    for (const auto& v : r.violations)
        if (v.kind == kind) return true;
    return false;
}

}  // namespace

TEST_CASE(
    "explore::minimize: the minimized repro keeps the kind and is no larger and replays exactly") {
    const auto s = rcusim::testing::seed_race("v6.3");
    // Every signature up to the first seed that shows lock-imbalance (with --keep-going: for
    // some of them the run shows another error first).
    const auto li = rcusim::testing::smallest_failing(s, "random", 0, 4999, "lock-imbalance");
    REQUIRE(li);
    explore::FuzzOptions o;
    o.seeds = {0, li->seed};
    o.keep_going = true;
    o.minimize = false;
    const auto r = explore::fuzz(s, o);
    REQUIRE(r.failures.size() >= 2);
    bool shrank = false;
    for (const auto& f : r.failures) {
        INFO(f.signature << " at seed " << f.seed);
        REQUIRE(shows(f.repro, f.kind));
        const auto m = explore::minimize(f.repro, f.kind);
        CHECK(m.kept);
        CHECK(shows(m.repro, f.kind));
        CHECK(m.decisions_before == f.repro.decisions.entries.size());
        CHECK(m.events_before == f.repro.scenario.events.size());
        CHECK(m.decisions_after == m.repro.decisions.entries.size());
        CHECK(m.events_after == m.repro.scenario.events.size());
        CHECK(m.decisions_after <= m.decisions_before);
        CHECK(m.events_after <= m.events_before);
        shrank =
            shrank || m.decisions_after < m.decisions_before || m.events_after < m.events_before;
        const auto rr = explore::replay(m.repro);
        CHECK(rr.digest_matches);
        CHECK_FALSE(rr.run.diverged);
        bool replay_shows = false;
        for (const auto& v : rr.run.violations) replay_shows = replay_shows || v.kind == f.kind;
        CHECK(replay_shows);
        // Deterministic: the same input minimizes to the same repro.
        CHECK(explore::repro_to_json(explore::minimize(f.repro, f.kind).repro) ==
              explore::repro_to_json(m.repro));
    }
    CHECK(shrank);
}

TEST_CASE("explore::minimize: a repro that does not show the kind is returned unchanged") {
    const auto s = rcusim::testing::seed_race("v6.3");
    const auto first = rcusim::testing::smallest_failing(s, "random", 0, 1999);
    REQUIRE(first);
    scenario::RunOptions ro;
    ro.seed = first->seed;
    ro.strategy = "random";
    const auto run = scenario::run_scenario(s, ro);
    const auto p = explore::make_repro(s, run);
    REQUIRE_FALSE(shows(p, "callback-lost"));
    const auto m = explore::minimize(p, "callback-lost");
    CHECK_FALSE(m.kept);
    CHECK(explore::repro_to_json(m.repro) == explore::repro_to_json(p));
    CHECK(m.decisions_after == m.decisions_before);
    CHECK(m.events_after == m.events_before);
}
