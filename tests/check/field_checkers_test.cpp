// Field, WARN and shrinker checkers on real interleavings: lockset (I3/I5),
// bypass-contention (I7), mask-mismatch (I9), shrinker-ineffective (I6') and
// shrinker-overcount (I8). Each fires on a scenario that shows it and stays quiet on the
// same scenario under a fixed variant or without the interleaving.
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
constexpr const char* kRmw = "rcu_nocb_try_bypass: lazy_len = tmp + 1";

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

// S6: the ninth lazy enqueue held in its lazy_len read-modify-write for j touches of
// nocb_lock[1] (j = 2: its write lands after the shrinker's reset; see
// tests/kernel/s6_ignored_flush_test.cpp).
Outcome run_s6(const std::string& variant, std::uint64_t j) {
    return run_rules(make_scenario(kS6Json, variant), {hold("call_rcu@1", kRmw, j, 9)});
}

// S8: the shrinker held after its lockless lazy_len read until the call_rcu_hurry() on
// CPU 1 has taken nocb_lock[1] (one touch) to flush the bypass. j = 0: no hold.
Outcome run_s8(const std::string& variant, std::uint64_t j) {
    std::vector<engine::Rule> rules;
    if (j > 0) rules.push_back(hold(kShr, kReadLocking, j));
    return run_rules(make_scenario(kS8Json, variant), rules);
}

// S9: the shrinker passes count() before the de-offload takes barrier_mutex (prefer), then
// is held after reading CPU 1's mask bit, at its READ_ONCE(rdp->lazy_len) point for CPU 1
// (the 2nd such point, CPU 0 is the 1st), until the machine goes idle: that point declares
// no resource, so a hold of 1000 steps outlasts the whole de-offload and ends at the idle
// release. Any hold from 54 steps on lands after D4 (a sweep over 1..100 and 1000).
std::vector<engine::Rule> s9_rules(bool with_hold) {
    std::vector<engine::Rule> r{prefer(kShr, "start"), prefer(kShr, "lazy_rcu_shrink_count")};
    if (with_hold) r.push_back(hold(kShr, "lazy_rcu_shrink_scan: READ_ONCE(rdp->lazy_len)", 1000, 2));
    return r;
}

}  // namespace

// ---- lockset -----------------------------------------------------------------------------

TEST_CASE("check::lockset: fires when lazy_len is written holding neither lock (S2 step 5)") {
    const Outcome o = run_rules(make_scenario(kS2Json),
                                {hold(kShr, kReadLocking, 8), hold(kShr, kReread, 1, 1, true)});
    INFO(o.summary());
    const check::Violation* v = o.find("lockset");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kError);
    CHECK(v->object == "lazy_len[1]");
    CHECK(v->site == "lazy_rcu_shrink_scan");
    CHECK(contains(v->actors, kShr));
    CHECK_THAT(v->report, Catch::Contains("WARNING: protected field written without its lock!"));
    CHECK_THAT(v->report, Catch::Contains("holding neither nocb_bypass_lock[1] nor nocb_lock[1]"));
}

TEST_CASE("check::lockset: quiet when lazy_len is written under the lock the protocol requires") {
    SECTION("v6.3 shrinker under nocb_lock of an offloaded rdp, enqueuers under the bypass lock") {
        const Outcome o = run_s6("v6.3", 1);
        INFO(o.summary());
        CHECK(o.trace.count(TraceType::kCounter, kShr, "lazy_len", 1) == 1);
        CHECK(o.trace.count(TraceType::kCounter, "call_rcu@1", "lazy_len", 1) == 9);
        CHECK_FALSE(o.has("lockset"));
        CHECK(o.result.violations.empty());
    }
    SECTION("force-lock-recheck in the S2 window: the write happens under the raw lock") {
        const Outcome o = run_rules(make_scenario(kS2Json, "force-lock-recheck"),
                                    {hold(kShr, "lazy_rcu_shrink_scan: raw_spin_lock_irqsave", 8),
                                     hold(kShr, kReread, 1, 1, true)});
        INFO(o.summary());
        CHECK(o.fired == std::vector<int>{1, 1});
        CHECK(o.trace.count(TraceType::kCounter, kShr, "lazy_len", 1) == 1);
        CHECK_FALSE(o.has("lockset"));
    }
}

// ---- bypass-contention -------------------------------------------------------------------

TEST_CASE("check::bypass-contention: fires when the P2 scan spins on a remote bypass lock (S7)") {
    const Outcome o = run_s6("v6.5", 2);
    INFO(o.summary());
    const check::Violation* v = o.find("bypass-contention");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kWarning);
    CHECK(v->object == "nocb_bypass_lock[1]");
    CHECK(v->cpu == 0);
    CHECK(contains(v->actors, kShr));
    CHECK_THAT(v->report, Catch::Contains("WARNING: kernel WARN_ON_ONCE() fired!"));
    CHECK_THAT(v->message, Catch::Contains("remote CPU spins on nocb_bypass_lock[1]"));
    CHECK(o.trace.find(TraceType::kLockContend, kShr, "nocb_bypass_lock", 1) >= 0);
}

TEST_CASE("check::bypass-contention: quiet with the try-flush (v6.9, L1) or without contention") {
    SECTION("v6.9 skips the busy bypass") {
        const Outcome o = run_s6("v6.9", 2);
        INFO(o.summary());
        CHECK(o.fired == std::vector<int>{1});
        CHECK(o.trace.find(TraceType::kLockContend, kShr, "nocb_bypass_lock", 1) == -1);
        CHECK_FALSE(o.has("bypass-contention"));
        CHECK(o.result.violations.empty());
    }
    SECTION("v6.5 when the enqueue is not in flight") {
        const Outcome o = run_rules(make_scenario(kS6Json, "v6.5"), {});
        INFO(o.summary());
        CHECK(o.trace.find(TraceType::kCallback, kShr, "flush", 1) >= 0);
        CHECK_FALSE(o.has("bypass-contention"));
    }
}

// ---- mask-mismatch -----------------------------------------------------------------------

TEST_CASE("check::mask-mismatch: fires when a mask walk without the mutex meets a de-offload (S9)") {
    const Outcome o = run_rules(make_scenario(kS9Json), s9_rules(true));
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1, 1, 1});
    const Recorder& t = o.trace;
    // D4 cleared LOCKING while the shrinker was held between its mask read and flag read.
    const long d4 = t.find_step("kworker/1", "rcu_nocb_rdp_deoffload: D4 clear LOCKING", 1);
    const long read = t.find_step(kShr, "lazy_rcu_shrink_scan: READ_ONCE(rdp->lazy_len)", 1);
    REQUIRE(d4 >= 0);
    CHECK(read > d4);
    const check::Violation* v = o.find("mask-mismatch");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kError);
    CHECK(v->object == "rdp[1]");
    CHECK_THAT(v->message, Catch::Contains("CPU 1 is in rcu_nocb_mask but not offloaded"));
}

TEST_CASE("check::mask-mismatch: quiet with the merged P4 (trylock) or outside the window") {
    SECTION("v6.5: the scan cannot run while the toggler holds barrier_mutex") {
        const Outcome o = run_rules(make_scenario(kS9Json, "v6.5"), s9_rules(true));
        INFO(o.summary());
        CHECK_FALSE(o.has("mask-mismatch"));
        CHECK(o.result.violations.empty());
    }
    SECTION("V0+P4 without the hold: the walk is over before D4") {
        const Outcome o = run_rules(make_scenario(kS9Json), s9_rules(false));
        INFO(o.summary());
        CHECK(o.trace.find_step(kShr, "lazy_rcu_shrink_scan: READ_ONCE(rdp->lazy_len)", 1) >= 0);
        CHECK_FALSE(o.has("mask-mismatch"));
    }
}

// ---- shrinker-ineffective ----------------------------------------------------------------

TEST_CASE("check::shrinker-ineffective: fires when the reset is lost to a lazy enqueue (S6)") {
    const Outcome o = run_s6("v6.3", 2);
    INFO(o.summary());
    const check::Violation* v = o.find("shrinker-ineffective");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kWarning);
    CHECK(v->object == "lazy_len[1]");
    CHECK_THAT(v->report, Catch::Contains("rcusim: shrinker scan was ineffective"));
    CHECK_THAT(v->report, Catch::Contains("9 of the 9 lazy callbacks"));
}

TEST_CASE("check::shrinker-ineffective: quiet when the scan's effect holds") {
    SECTION("v6.3 without the straddle") {
        const Outcome o = run_s6("v6.3", 1);
        INFO(o.summary());
        CHECK_FALSE(o.has("shrinker-ineffective"));
    }
    SECTION("v6.5 flushes (P2)") {
        const Outcome o = run_s6("v6.5", 2);
        INFO(o.summary());
        CHECK_FALSE(o.has("shrinker-ineffective"));
    }
    SECTION("v6.9 may skip a busy bypass (L1): a skip is not a lost reset") {
        const Outcome o = run_s6("v6.9", 2);
        INFO(o.summary());
        CHECK(o.trace.count(TraceType::kCallback, "", "invoke") == 0);  // still lazy ...
        CHECK_FALSE(o.has("shrinker-ineffective"));                     // ... by design
    }
}

// ---- shrinker-overcount ------------------------------------------------------------------

TEST_CASE("check::shrinker-overcount: fires on a count from a stale lockless read (S8)") {
    const Outcome o = run_s8("v6.3", 1);
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1});
    const Recorder& t = o.trace;
    const long flush = t.find(TraceType::kCallback, "call_rcu_hurry@1", "flush", 1);
    const long shr_acq = t.find(TraceType::kLockAcquire, kShr, "nocb_lock", 1);
    REQUIRE(flush >= 0);
    CHECK(shr_acq > flush);
    const check::Violation* v = o.find("shrinker-overcount");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kWarning);
    CHECK(v->object == "lazy_len[1]");
    CHECK_THAT(v->message, Catch::Contains("scan counted 8 on rdp 1 with an empty bypass"));
    CHECK_THAT(v->report, Catch::Contains("rcusim: shrinker over-reports freed callbacks"));
}

TEST_CASE("check::shrinker-overcount: quiet with the re-check under nocb_lock or without the flush") {
    SECTION("v6.5 re-reads lazy_len under nocb_lock (P3)") {
        const Outcome o = run_s8("v6.5", 1);
        INFO(o.summary());
        CHECK(o.fired == std::vector<int>{1});
        CHECK_FALSE(o.has("shrinker-overcount"));
        CHECK(o.result.violations.empty());
    }
    SECTION("v6.3 when the scan is not held") {
        const Outcome o = run_s8("v6.3", 0);
        INFO(o.summary());
        CHECK(o.trace.count(TraceType::kCounter, kShr, "lazy_len", 1) == 1);  // it did scan
        CHECK_FALSE(o.has("shrinker-overcount"));
    }
}
