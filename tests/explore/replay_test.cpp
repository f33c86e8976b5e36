// Replay (explore::replay): a repro file written by a campaign re-executes exactly (same
// trace digest); an edited digest or a decision log that no longer fits the run is caught.
#include <catch2/catch.hpp>
#include <string>

#include "explore/campaign_io.hpp"
#include "explore/fuzz.hpp"
#include "explore/repro.hpp"
#include "support/campaign.hpp"

using namespace rcusim;

namespace {

// The first failure of a random campaign on the seed race (v6.3), as written to disk.
explore::Repro found_repro(bool minimize) {
    const auto s = rcusim::testing::seed_race("v6.3");
    explore::FuzzOptions o;
    o.seeds = {0, 1999};
    o.minimize = minimize;
    const auto r = explore::fuzz(s, o);
    REQUIRE(r.failures.size() == 1);
    rcusim::testing::TempDir dir("replay");
    const auto paths = explore::write_campaign(dir.str(), s, o, r);
    REQUIRE(paths.size() == 1);
    return explore::load_repro_file(paths[0]);
}

}  // namespace

TEST_CASE("explore::replay: a repro written by fuzz replays with its recorded digest") {
    for (const bool minimize : {false, true}) {
        INFO("minimized " << minimize);
        const auto p = found_repro(minimize);
        REQUIRE(p.trace_digest.rfind("sha256:", 0) == 0);
        const auto rr = explore::replay(p);
        CHECK(rr.digest_matches);
        CHECK(rr.run.digest == p.trace_digest);
        CHECK_FALSE(rr.run.diverged);
        CHECK(rr.run.steps == p.steps);
        REQUIRE(rr.run.violations.size() == p.violations.size());
        for (std::size_t i = 0; i < p.violations.size(); ++i) {
            CHECK(rr.run.violations[i].kind == p.violations[i].kind);
            CHECK(rr.run.violations[i].at == p.violations[i].at);
        }
        // And again: replay is a pure function of the file.
        CHECK(explore::replay(p).run.digest == rr.run.digest);
    }
}

TEST_CASE("explore::replay: a repro whose digest was edited does not reproduce") {
    auto p = found_repro(true);
    const std::string recorded = p.trace_digest;
    char& c = p.trace_digest.back();
    c = c == '0' ? '1' : '0';
    const auto rr = explore::replay(p);
    CHECK_FALSE(rr.digest_matches);
    CHECK(rr.run.digest == recorded);  // the run itself is the same
    CHECK_FALSE(rr.run.diverged);
}

TEST_CASE("explore::replay: a decision log that no longer fits the run is reported as divergence") {
    const auto p = found_repro(false);
    REQUIRE_FALSE(explore::replay(p).run.diverged);
    REQUIRE(p.decisions.entries.size() >= 2);

    SECTION("a pick answered where the run asks for a delay (or the reverse)") {
        auto q = p;
        auto& d = q.decisions.entries.front();
        d.kind = d.kind == engine::DecisionKind::kPick ? engine::DecisionKind::kDelay
                                                       : engine::DecisionKind::kPick;
        const auto rr = explore::replay(q);
        CHECK(rr.run.diverged);
        CHECK_FALSE(rr.digest_matches);
    }
    SECTION("a pick of an actor that is not there") {
        auto q = p;
        bool edited = false;
        for (auto& d : q.decisions.entries)
            if (d.kind == engine::DecisionKind::kPick && !edited) {
                d.value = 1'000'003;
                edited = true;
            }
        REQUIRE(edited);
        CHECK(explore::replay(q).run.diverged);
    }
    SECTION("a scenario cut short: the log's last decisions are never asked for") {
        auto q = p;
        q.scenario.until = q.scenario.events.front().at + 1;  // before the race starts
        for (const auto& e : q.scenario.events) REQUIRE(e.at >= q.scenario.events.front().at);
        const auto rr = explore::replay(q);
        REQUIRE(rr.run.decisions.points <= q.decisions.entries.back().index);
        CHECK(rr.run.diverged);
        CHECK_FALSE(rr.digest_matches);
    }
}
