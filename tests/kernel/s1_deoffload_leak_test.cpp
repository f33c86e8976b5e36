// MODEL.md §6 S1: the de-offload clears SEGCBLIST_LOCKING between the shrinker's lock-time
// check and its unlock-time check, so the shrinker acquires nocb_lock and never releases it.
//
// The interleaving: hold the shrinker at its "rcu_nocb_lock_irqsave: read LOCKING" point
// (CPU 1's rdp) for j touches of nocb_lock[1]. A sweep over j = 1..30 on kS1Json shows the
// touches after the hold begins are D1 (kworker), rcuog (twice), rcu_core, rcuo (twice)
// and then D4's acquisition: j = 7 releases the shrinker exactly while D4 holds the lock,
// so it reads LOCKING = 1, spins, and gets the lock after D4 cleared LOCKING and released it.
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
constexpr const char* kKw = "kworker/1";  // the toggle work on CPU 1 (both toggles)
constexpr const char* kReadLocking = "rcu_nocb_lock_irqsave: read LOCKING";
constexpr const char* kD4 = "rcu_nocb_rdp_deoffload: D4 clear LOCKING";
constexpr std::uint64_t kJ = 7;

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("kernel::shrinker: v6.3 leaks nocb_lock when de-offload flips LOCKING (S1)") {
    const Outcome o = run_rules(make_scenario(kS1Json), {hold(kShr, kReadLocking, kJ)});
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1});

    // The interleaving of MODEL.md S1: D4 takes the lock, the shrinker reads LOCKING = 1,
    // D4 clears LOCKING and releases, the shrinker acquires.
    const Recorder& t = o.trace;
    const long d1_acq = t.find(TraceType::kLockAcquire, kKw, "nocb_lock", 1);
    const long d4_acq = t.find(TraceType::kLockAcquire, kKw, "nocb_lock", 1, d1_acq + 1);
    const long shr_read = t.find_step(kShr, kReadLocking, 1);
    const long d4 = t.find_step(kKw, kD4, 1);
    const long shr_acq = t.find(TraceType::kLockAcquire, kShr, "nocb_lock", 1);
    REQUIRE(d1_acq >= 0);
    REQUIRE(d4_acq >= 0);
    REQUIRE(shr_read >= 0);
    REQUIRE(d4 >= 0);
    REQUIRE(shr_acq >= 0);
    CHECK(d4_acq < shr_read);
    CHECK(shr_read < d4);
    CHECK(d4 < shr_acq);
    const long flags = t.find(TraceType::kFlags, kKw, "flags", 1, d4);
    REQUIRE(flags >= 0);
    CHECK(t.at(flags).text == "ENABLED|RCU_CORE");  // LOCKING cleared by D4
    // The shrinker never releases nocb_lock[1].
    CHECK(t.find(TraceType::kLockRelease, kShr, "nocb_lock", 1) == -1);

    // I1: the lock/unlock decisions differ and the scan returns holding the lock.
    const check::Violation* imb = o.find("lock-imbalance");
    REQUIRE(imb != nullptr);
    CHECK(imb->severity == check::Severity::kError);
    CHECK(imb->object == "nocb_lock[1]");
    CHECK(imb->site == "lazy_rcu_shrink_scan");
    CHECK(contains(imb->actors, kShr));
    CHECK_THAT(imb->report, Catch::Contains("lock leaked"));

    // I10: the re-offload's O1 raw acquisition spins forever on the leaked lock.
    const check::Violation* dl = o.find("deadlock");
    REQUIRE(dl != nullptr);
    CHECK(dl->object == "nocb_lock[1]");
    CHECK(contains(dl->actors, kKw));
    CHECK(contains(dl->actors, kShr));
    CHECK_THAT(dl->message, Catch::Contains("leaked by shrinker@0"));
    CHECK(t.find_step(kKw, "rcu_nocb_rdp_offload: raw_spin_lock_irqsave", 1) >= 0);
    CHECK(t.find_step(kKw, "rcu_nocb_rdp_offload: O1 set LOCKING|OFFLOADED", 1) == -1);
    CHECK(o.result.failed(false));
}

TEST_CASE("kernel::shrinker: patch 1 and the re-check keep nocb_lock balanced under S1's rule") {
    // The same rule, for every hold length that the v6.3 sweep tried.
    const std::string variant = GENERATE("patch1-mutex", "patch1-trylock", "force-lock-recheck");
    const scenario::Scenario s = make_scenario(kS1Json, variant);
    for (std::uint64_t j = 1; j <= 30; ++j) {
        const Outcome o = run_rules(s, {hold(kShr, kReadLocking, j)});
        INFO(variant << " j=" << j << ": " << o.summary());
        CHECK_FALSE(o.has("lock-imbalance"));
        CHECK_FALSE(o.has("mutual-exclusion"));
        CHECK_FALSE(o.has("deadlock"));
        CHECK_FALSE(o.has("lockset"));
        // Both toggles complete: the re-offload reaches O1.
        CHECK(o.trace.find_step(kKw, "rcu_nocb_rdp_offload: O1 set LOCKING|OFFLOADED", 1) >= 0);
    }
}

TEST_CASE("kernel::shrinker: force-lock-recheck takes the raw lock after D4 and backs off (S1/S5)") {
    // V3 has no conditional lock; its S1 window is the raw acquisition. The same j puts the
    // shrinker's raw_spin_lock_irqsave right after D4's acquisition.
    const Outcome o = run_rules(make_scenario(kS1Json, "force-lock-recheck"),
                                {hold(kShr, "lazy_rcu_shrink_scan: raw_spin_lock_irqsave", kJ)});
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1});
    const Recorder& t = o.trace;
    const long d1_acq = t.find(TraceType::kLockAcquire, kKw, "nocb_lock", 1);
    const long d4_acq = t.find(TraceType::kLockAcquire, kKw, "nocb_lock", 1, d1_acq + 1);
    const long shr_point = t.find_step(kShr, "lazy_rcu_shrink_scan: raw_spin_lock_irqsave", 1);
    const long d4 = t.find_step(kKw, kD4, 1);
    const long shr_acq = t.find(TraceType::kLockAcquire, kShr, "nocb_lock", 1);
    REQUIRE(d4_acq >= 0);
    REQUIRE(shr_point >= 0);
    REQUIRE(shr_acq >= 0);
    CHECK(d4_acq < shr_point);
    CHECK(shr_point < d4);
    CHECK(d4 < shr_acq);
    // Re-check: LOCKING is clear, so it releases the raw lock itself and skips the rdp.
    const long shr_rel = t.find(TraceType::kLockRelease, kShr, "nocb_lock", 1, shr_acq);
    REQUIRE(shr_rel > shr_acq);
    CHECK(t.at(shr_rel).value == 0);  // released by its owner
    CHECK(t.find_step(kShr, "lazy_rcu_shrink_scan: re-check offloaded", 1) > shr_acq);
    CHECK(t.count(TraceType::kCounter, kShr, "lazy_len", 1) == 0);  // never wrote lazy_len
    CHECK_FALSE(o.has("lock-imbalance"));
    CHECK_FALSE(o.has("deadlock"));
    CHECK_FALSE(o.has("lockset"));
    CHECK(t.find_step(kKw, "rcu_nocb_rdp_offload: O1 set LOCKING|OFFLOADED", 1) >= 0);
}
