// Lock checkers on real interleavings: lock-imbalance (I1), mutual-exclusion (I2),
// deadlock (I10) and reclaim-blocks (I11). Each fires on a scenario that shows it and stays
// quiet on the same scenario under a fixed variant (or without the interleaving).
// Rule parameters: see tests/kernel/s1_*, s2_* and s3_* for how they were found.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support/model_runs.hpp"
#include "support/race_scenarios.hpp"

using namespace rcusim;
using namespace rcusim::testing;

namespace {

constexpr const char* kShr = "shrinker@0";
constexpr const char* kReadLocking = "rcu_nocb_lock_irqsave: read LOCKING";
constexpr const char* kReread = "rcu_nocb_unlock_irqrestore: re-read LOCKING";

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// S2: the shrinker reads LOCKING = 0 after the de-offload, then releases at its unlock
// after O1 set LOCKING. `reread_hold` touches / keep_idle choose what it releases.
std::vector<engine::Rule> s2_rules(std::uint64_t reread_hold, bool keep_idle) {
    return {hold(kShr, kReadLocking, 8), hold(kShr, kReread, reread_hold, 1, keep_idle)};
}

// S2 plus: hold rcuo/1 inside its nocb_lock section (its first delay-eligible
// "rcu_do_batch: extract done", the one whose lock the shrinker releases) for 10 steps, so
// rcuog/0, woken by the re-offload, acquires the released lock while rcuo/1 still believes
// it holds it. (A sweep over 1..20 steps: from 7 on rcuog gets in.)
std::vector<engine::Rule> s2_two_owner_rules() {
    auto r = s2_rules(1, true);
    r.push_back(hold("rcuo/1", "rcu_do_batch: extract done", 10, 1, true));
    return r;
}

std::string mutex_contend_json(const std::string& op) {
    return std::string(kMutexContendJsonHead) + op + kMutexContendJsonTail;
}

}  // namespace

// ---- lock-imbalance ----------------------------------------------------------------------

TEST_CASE("check::lock-imbalance: fires on a release of a lock held by another context (S2)") {
    const Outcome o = run_rules(make_scenario(kS2Json), s2_rules(1, true));
    INFO(o.summary());
    const check::Violation* v = o.find("lock-imbalance");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kError);
    CHECK(v->object == "nocb_lock[1]");
    CHECK(v->site == "lazy_rcu_shrink_scan");
    CHECK(v->cpu == 0);
    CHECK(contains(v->actors, kShr));
    CHECK(contains(v->actors, "rcuo/1"));
    CHECK_THAT(v->report, Catch::Contains("WARNING: bad unlock balance detected!"));
    CHECK_THAT(v->report, Catch::Contains("is trying to release lock (nocb_lock[1])"));
    CHECK_THAT(v->report, Catch::Contains("but the lock is held by rcuo/1"));
    // The S2 explanation: no lock taken at lock time, a release at unlock time.
    CHECK_THAT(v->report, Catch::Contains("found SEGCBLIST_LOCKING clear and took nothing"));
    // The schedule steps that led to it include the shrinker's own.
    REQUIRE_FALSE(v->steps.empty());
    CHECK(std::any_of(v->steps.begin(), v->steps.end(),
                      [](const check::StepLine& s) { return s.actor == kShr; }));
    CHECK_THAT(check::render_violation(*v), Catch::Contains("schedule steps that led to it"));
}

TEST_CASE("check::lock-imbalance: fires on a release of a free lock (S2 step 6a)") {
    // Held at the re-read without keeping through idle periods: rcuo/1 runs its whole
    // section, the machine idles, the hold ends and the shrinker releases a free lock.
    const Outcome o = run_rules(make_scenario(kS2Json), s2_rules(15, false));
    INFO(o.summary());
    const check::Violation* v = o.find("lock-imbalance");
    REQUIRE(v != nullptr);
    CHECK_THAT(v->message, Catch::EndsWith("released nocb_lock[1], which was not held"));
    CHECK_THAT(v->report, Catch::Contains("but there are no more locks to release!"));
}

TEST_CASE("check::lock-imbalance: fires on a lock leaked by a returning operation (S1)") {
    const Outcome o = run_rules(make_scenario(kS1Json), {hold(kShr, kReadLocking, 7)});
    INFO(o.summary());
    const check::Violation* v = o.find("lock-imbalance");
    REQUIRE(v != nullptr);
    CHECK_THAT(v->report, Catch::Contains("WARNING: unbalanced nocb locking: lock leaked!"));
    CHECK_THAT(v->message, Catch::Contains("lock/unlock decisions differ"));
    // The decision report and the "returned holding it" report share kind, lock and site.
    CHECK(v->occurrences == 2);
}

TEST_CASE("check::lock-imbalance: quiet when patch 1 excludes the toggler (S2 rules)") {
    const std::string variant = GENERATE("patch1-trylock", "v6.5");
    const Outcome o = run_rules(make_scenario(kS2Json, variant), s2_rules(1, true));
    INFO(variant << ": " << o.summary());
    CHECK_FALSE(o.has("lock-imbalance"));
    CHECK(o.result.violations.empty());
}

// ---- mutual-exclusion --------------------------------------------------------------------

TEST_CASE("check::mutual-exclusion: fires when a foreign release lets a second owner in (S2 6b)") {
    const Outcome o = run_rules(make_scenario(kS2Json), s2_two_owner_rules());
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1, 1, 1});
    const check::Violation* v = o.find("mutual-exclusion");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kError);
    CHECK(v->object == "nocb_lock[1]");
    CHECK(contains(v->actors, "rcuog/0"));
    CHECK(contains(v->actors, "rcuo/1"));
    CHECK_THAT(v->report, Catch::Contains("BUG: mutual exclusion broken: lock has two owners!"));
    CHECK_THAT(v->message, Catch::Contains("acquired by rcuog/0"));
    CHECK_THAT(v->message, Catch::Contains("while held by rcuo/1"));
    // The foreign release came first.
    CHECK(o.has("lock-imbalance"));
}

TEST_CASE("check::mutual-exclusion: quiet when nobody acquires before the owner releases") {
    // The same foreign release (lock-imbalance) without holding rcuo/1: it leaves its
    // section before anyone else takes the lock, so there is never a second owner.
    const Outcome o = run_rules(make_scenario(kS2Json), s2_rules(1, true));
    INFO(o.summary());
    CHECK(o.has("lock-imbalance"));
    CHECK_FALSE(o.has("mutual-exclusion"));
}

TEST_CASE("check::mutual-exclusion: quiet under patch1-trylock with the same rules") {
    const Outcome o = run_rules(make_scenario(kS2Json, "patch1-trylock"), s2_two_owner_rules());
    INFO(o.summary());
    CHECK_FALSE(o.has("mutual-exclusion"));
    CHECK(o.result.violations.empty());
}

// ---- deadlock ----------------------------------------------------------------------------

TEST_CASE("check::deadlock: fires on a spin on a lock whose owner returned (S1)") {
    const Outcome o = run_rules(make_scenario(kS1Json), {hold(kShr, kReadLocking, 7)});
    INFO(o.summary());
    const check::Violation* v = o.find("deadlock");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kError);
    CHECK(v->object == "nocb_lock[1]");
    CHECK(v->site == "lazy_rcu_shrink_scan");  // the operation that leaked it
    CHECK_THAT(v->report, Catch::Contains("BUG: spinlock lockup suspected!"));
    CHECK_THAT(v->message, Catch::Contains("kworker/1"));
    CHECK_THAT(v->message, Catch::Contains("waits forever for nocb_lock[1] leaked by shrinker@0"));
}

TEST_CASE("check::deadlock: fires on a cycle in the waits-for graph and at the end of the run (S3)") {
    const Outcome o = run_rules(make_scenario(kS3Json), {});
    INFO(o.summary());
    std::vector<const check::Violation*> dls;
    for (const auto& v : o.result.violations)
        if (v.kind == "deadlock") dls.push_back(&v);
    REQUIRE(dls.size() == 2);
    CHECK(dls[0]->object == "completion");
    CHECK_THAT(dls[0]->report, Catch::Contains("WARNING: deadlock: cycle in the waits-for graph!"));
    CHECK(contains(dls[0]->actors, "kworker/1"));
    CHECK(contains(dls[0]->actors, "deoffload@2"));
    // Still blocked when the run ends: reported again against the mutex it never gets.
    CHECK(dls[1]->object == "barrier_mutex");
    CHECK(dls[1]->site == "end of run");
    CHECK_THAT(dls[1]->message, Catch::Contains("never gets barrier_mutex"));
}

TEST_CASE("check::deadlock: quiet when the scan only trylocks or re-checks") {
    SECTION("S3 under patch1-trylock") {
        const Outcome o = run_rules(make_scenario(kS3Json, "patch1-trylock"), {});
        INFO(o.summary());
        CHECK_FALSE(o.has("deadlock"));
    }
    SECTION("S1 under force-lock-recheck") {
        const Outcome o =
            run_rules(make_scenario(kS1Json, "force-lock-recheck"),
                      {hold(kShr, "lazy_rcu_shrink_scan: raw_spin_lock_irqsave", 7)});
        INFO(o.summary());
        CHECK(o.fired == std::vector<int>{1});
        CHECK_FALSE(o.has("deadlock"));
    }
}

// ---- reclaim-blocks ----------------------------------------------------------------------

TEST_CASE("check::reclaim-blocks: fires when a scan in reclaim sleeps on barrier_mutex") {
    SECTION("kswapd-style reclaim contends with a de-offload") {
        const Outcome o = run_rules(make_scenario(mutex_contend_json("shrink")), {});
        INFO(o.summary());
        const check::Violation* v = o.find("reclaim-blocks");
        REQUIRE(v != nullptr);
        CHECK(v->severity == check::Severity::kError);
        CHECK(v->object == "barrier_mutex");
        CHECK(v->site == "lazy_rcu_shrink_scan");
        CHECK(contains(v->actors, kShr));
        CHECK(contains(v->actors, "deoffload@2"));
        CHECK_THAT(v->report, Catch::Contains("WARNING: reclaim sleeps on RCU's toggling mutex!"));
        // It only sleeps: once the de-offload is done the scan goes on.
        CHECK_FALSE(o.has("deadlock"));
    }
    SECTION("direct reclaim in the toggler's own kworker (S3)") {
        const Outcome o = run_rules(make_scenario(kS3Json), {});
        INFO(o.summary());
        const check::Violation* v = o.find("reclaim-blocks");
        REQUIRE(v != nullptr);
        CHECK(contains(v->actors, "kworker/1"));
    }
}

TEST_CASE("check::reclaim-blocks: quiet for the same sleep outside reclaim, and for trylock") {
    SECTION("drop_caches is not reclaim") {
        const Outcome o = run_rules(make_scenario(mutex_contend_json("drop_caches")), {});
        INFO(o.summary());
        // The same contention happened ...
        CHECK(o.trace.find(TraceType::kLockContend, "drop_caches@0", "barrier_mutex") >= 0);
        // ... but a task writing drop_caches may sleep.
        CHECK_FALSE(o.has("reclaim-blocks"));
        CHECK(o.result.violations.empty());
    }
    SECTION("S3 under patch1-trylock") {
        const Outcome o = run_rules(make_scenario(kS3Json, "patch1-trylock"), {});
        INFO(o.summary());
        CHECK_FALSE(o.has("reclaim-blocks"));
    }
}
