// MODEL.md §6 S2: the shrinker reads LOCKING clear after a complete de-offload and takes no
// lock; the re-offload's O1 sets LOCKING before the shrinker's unlock-time re-read, so the
// shrinker releases a nocb_lock it never acquired ("bad unlock balance").
//
// The interleaving (kS2Json, delay_in_irq_off on):
//  1. hold the shrinker at "rcu_nocb_lock_irqsave: read LOCKING" (rdp 1) for 8 touches of
//     nocb_lock[1]: the 7 of S1 (D1 ... D4) and then O1's raw acquisition, so it reads
//     LOCKING after D4 cleared it and before O1 sets it again (found by a sweep over
//     j = 1..30: j = 8 is the only value that lands in that window);
//  2. hold it, IRQs off, at "rcu_nocb_unlock_irqrestore: re-read LOCKING" for one touch
//     (keeping through idle periods): the next acquisition of nocb_lock[1] after O1 is
//     rcuo/1's, so the shrinker's unlock releases the lock rcuo/1 holds (S2 step 6b).
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
constexpr const char* kKw = "kworker/1";
constexpr const char* kReadLocking = "rcu_nocb_lock_irqsave: read LOCKING";
constexpr const char* kReread = "rcu_nocb_unlock_irqrestore: re-read LOCKING";
constexpr const char* kO1 = "rcu_nocb_rdp_offload: O1 set LOCKING|OFFLOADED";

std::vector<engine::Rule> s2_rules(std::uint64_t j) {
    return {hold(kShr, kReadLocking, j), hold(kShr, kReread, 1, 1, /*keep_idle=*/true)};
}

}  // namespace

TEST_CASE("kernel::shrinker: v6.3 releases a nocb_lock it never took when offload sets LOCKING (S2)") {
    const Outcome o = run_rules(make_scenario(kS2Json), s2_rules(8));
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1, 1});

    const Recorder& t = o.trace;
    const long d4 = t.find_step(kKw, "rcu_nocb_rdp_deoffload: D4 clear LOCKING", 1);
    const long shr_read = t.find_step(kShr, kReadLocking, 1);
    const long o1 = t.find_step(kKw, kO1, 1);
    const long shr_reread = t.find_step(kShr, kReread, 1);
    REQUIRE(d4 >= 0);
    REQUIRE(shr_read >= 0);
    REQUIRE(o1 >= 0);
    REQUIRE(shr_reread >= 0);
    CHECK(d4 < shr_read);        // de-offloaded: LOCKING = 0 when read
    CHECK(shr_read < o1);        // ... and O1 sets it only afterwards
    CHECK(o1 < shr_reread);      // ... before the unlock re-reads it
    CHECK(t.find(TraceType::kLockAcquire, kShr, "nocb_lock", 1) == -1);  // never acquired
    const long rel = t.find(TraceType::kLockRelease, kShr, "nocb_lock", 1);
    REQUIRE(rel > shr_reread);
    CHECK(t.at(rel).value == 1);  // released by a context that did not own it

    // I1, in lockdep's words.
    const check::Violation* imb = o.find("lock-imbalance");
    REQUIRE(imb != nullptr);
    CHECK(imb->object == "nocb_lock[1]");
    CHECK(imb->site == "lazy_rcu_shrink_scan");
    CHECK_THAT(imb->report, Catch::Contains("WARNING: bad unlock balance detected!"));
    CHECK_THAT(imb->message, Catch::Contains("held by rcuo/1"));
    CHECK(std::find(imb->actors.begin(), imb->actors.end(), "rcuo/1") != imb->actors.end());
    // I5 (S2 step 5): lazy_len := 0 written holding neither lock.
    const check::Violation* ls = o.find("lockset");
    REQUIRE(ls != nullptr);
    CHECK(ls->object == "lazy_len[1]");
}

TEST_CASE("kernel::shrinker: the fixed variants keep nocb_lock balanced under S2's rules") {
    const std::string variant =
        GENERATE("patch1-mutex", "patch1-trylock", "force-lock-recheck", "v6.5");
    const scenario::Scenario s = make_scenario(kS2Json, variant);
    for (std::uint64_t j = 1; j <= 30; ++j) {
        const Outcome o = run_rules(s, s2_rules(j));
        INFO(variant << " j=" << j << ": " << o.summary());
        CHECK_FALSE(o.has("lock-imbalance"));
        CHECK_FALSE(o.has("mutual-exclusion"));
        CHECK_FALSE(o.has("lockset"));
        CHECK_FALSE(o.has("deadlock"));
        CHECK(o.trace.find_step(kKw, kO1, 1) >= 0);  // the re-offload happened
    }
}
