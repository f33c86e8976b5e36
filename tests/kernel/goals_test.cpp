// Coverage goals (sim/kernel/goals.hpp): each goal is hit on an interleaving that reaches
// its race window and stays at zero on one that does not (a fixed variant that closes the
// window, or the same scenario without the interleaving). Counting changes nothing: the
// golden traces keep their digests. The interleavings are those of the scenario tests
// (tests/kernel/s*_test.cpp, tests/check/*): see there for how each rule was found.
#include "kernel/goals.hpp"

#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/model_runs.hpp"
#include "support/race_scenarios.hpp"
#include "support/repo_paths.hpp"
#include "trace/sha256.hpp"

using namespace rcusim;
using namespace rcusim::testing;
using kernel::Goal;

namespace {

constexpr const char* kShr = "shrinker@0";
constexpr const char* kReadLocking = "rcu_nocb_lock_irqsave: read LOCKING";
constexpr const char* kReread = "rcu_nocb_unlock_irqrestore: re-read LOCKING";
constexpr const char* kRmw = "rcu_nocb_try_bypass: lazy_len = tmp + 1";

std::uint64_t hits(const Outcome& o, Goal g) { return o.result.goals[static_cast<std::size_t>(g)]; }

// "name x3, ..." of the goals a run hit, for failure messages.
std::string hit_list(const Outcome& o) {
    std::string out;
    for (const auto& g : kernel::goal_infos())
        if (const auto n = hits(o, g.goal))
            out += std::string(out.empty() ? "" : ", ") + g.name + " x" + std::to_string(n);
    return out.empty() ? "(no goal hit)" : out;
}

Outcome run_plain(const scenario::Scenario& s) { return run_rules(s, {}); }

std::string slurp_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// S1 (tests/kernel/s1_deoffload_leak_test.cpp): the shrinker held at its lock-time LOCKING
// check of rdp 1 for j touches of nocb_lock[1]; j = 7 releases it while D4 holds the lock.
Outcome run_s1(const std::string& variant, std::uint64_t j = 7) {
    return run_rules(make_scenario(kS1Json, variant), {hold(kShr, kReadLocking, j)});
}

// S2 (tests/kernel/s2_offload_unowned_unlock_test.cpp).
Outcome run_s2(const std::string& variant) {
    return run_rules(make_scenario(kS2Json, variant),
                     {hold(kShr, kReadLocking, 8), hold(kShr, kReread, 1, 1, true)});
}

// S6 (tests/kernel/s6_ignored_flush_test.cpp): the ninth lazy enqueue held inside its
// lazy_len read-modify-write; j = 2 straddles the shrinker's reset, j = 1 does not.
Outcome run_s6(const std::string& variant, std::uint64_t j) {
    return run_rules(make_scenario(kS6Json, variant), {hold("call_rcu@1", kRmw, j, 9)});
}

// S8 (tests/check/field_checkers_test.cpp): j = 1 holds the shrinker after its lockless
// read until the hurry enqueue has flushed the bypass; j = 0 no hold.
Outcome run_s8(const std::string& variant, std::uint64_t j) {
    std::vector<engine::Rule> rules;
    if (j > 0) rules.push_back(hold(kShr, kReadLocking, j));
    return run_rules(make_scenario(kS8Json, variant), rules);
}

// S10 and S11 as in tests/check/liveness_test.cpp.
constexpr const char* kS10Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s10",
  "machine": { "cpus": 2, "nocb_cpus": "all" },
  "kernel": { "variant": "v6.5", "switches": { "barrier_wake": false } },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 },
    { "at": "5ms", "op": "rcu_barrier", "cpu": 0 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "1ms" },
  "run": { "until": "30s" }
})";

constexpr const char* kS11Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s11",
  "machine": { "cpus": 2, "nocb_cpus": "all", "group_size": 2 },
  "kernel": { "variant": "v6.5" },
  "events": [
    { "at": "2ms", "op": "call_rcu_hurry", "cpu": 0, "irqs_off": true },
    { "at": "2500us", "op": "call_rcu", "cpu": 1, "lazy": true }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "100us" },
  "run": { "until": "30s" }
})";

}  // namespace

TEST_CASE("kernel::goals: stable kebab-case names, each citing a MODEL.md scenario") {
    std::set<std::string> names;
    for (const auto& g : kernel::goal_infos()) {
        const std::string name = g.name;
        INFO(name);
        CHECK(names.insert(name).second);
        CHECK_FALSE(name.empty());
        for (const char c : name) CHECK((std::islower(static_cast<unsigned char>(c)) || c == '-'));
        CHECK(std::string(g.scenario).rfind("S", 0) == 0);
        CHECK(std::string(g.description).size() > 20);
        CHECK(kernel::goal_name(g.goal) == name);
        REQUIRE(kernel::goal_by_name(name));
        CHECK(*kernel::goal_by_name(name) == g.goal);
    }
    CHECK(names.size() == kernel::kGoalCount);
    CHECK_FALSE(kernel::goal_by_name("no-such-goal"));
    // The names users' scripts key on.
    CHECK(kernel::goal_name(Goal::kShrinkerInDeoffload) == std::string("shrinker-in-deoffload"));
    CHECK(kernel::goal_name(Goal::kLockingFlippedUnderShrinker) ==
          std::string("locking-flipped-under-shrinker"));
    // The window of lock-imbalance is marked by the LOCKING flip, not by the mere overlap.
    CHECK(kernel::goal_marks_window_of(Goal::kLockingFlippedUnderShrinker, "lock-imbalance"));
    CHECK_FALSE(kernel::goal_marks_window_of(Goal::kShrinkerInDeoffload, "lock-imbalance"));
    CHECK(kernel::goal_marks_window_of(Goal::kBypassLockRemoteContended, "bypass-contention"));
    CHECK_FALSE(kernel::goal_marks_window_of(Goal::kStaleLazyLen, "shrinker"));
}

TEST_CASE("kernel::goals: counting changes no trace: the golden traces keep their digests") {
    for (const std::string variant : {"v6.3", "v6.5"}) {
        INFO(variant);
        scenario::Scenario s =
            scenario::load_scenario_file(repo_path("configs/seed-race.json").string());
        scenario::apply_variant(s, variant, "--variant");
        const auto r = scenario::run_scenario(s);
        const std::string golden =
            slurp_file(repo_path("traces/golden/seed-race." + variant + ".jsonl"));
        REQUIRE_FALSE(golden.empty());
        CHECK(r.digest == "sha256:" + trace::sha256_hex(golden));
        if (variant == "v6.3") {  // and the v6.3 run did count: it reaches the S1 window
            CHECK(r.goals[static_cast<std::size_t>(Goal::kShrinkerInDeoffload)] > 0);
            CHECK(r.goals[static_cast<std::size_t>(Goal::kLockingFlippedUnderShrinker)] > 0);
        }
        // And the same again: goals are per run, nothing carries over.
        const auto again = scenario::run_scenario(s);
        CHECK(again.digest == r.digest);
        CHECK(again.goals == r.goals);
    }
}

TEST_CASE("kernel::goals: shrinker-in-deoffload and locking-flipped-under-shrinker (S1)") {
    SECTION("v6.3: D4 clears LOCKING while the shrinker spins between its checks") {
        const Outcome o = run_s1("v6.3");
        INFO(hit_list(o) << "; " << o.summary());
        REQUIRE(o.fired == std::vector<int>{1});
        CHECK(hits(o, Goal::kShrinkerInDeoffload) > 0);
        CHECK(hits(o, Goal::kLockingFlippedUnderShrinker) == 1);
        CHECK(hits(o, Goal::kShrinkerInOffload) == 0);
        CHECK(o.has("lock-imbalance"));
    }
    SECTION("patch1-trylock and patch1-mutex exclude the toggler: neither window opens") {
        const std::string variant = GENERATE("patch1-trylock", "patch1-mutex", "v6.5");
        for (std::uint64_t j = 1; j <= 30; ++j) {
            const Outcome o = run_s1(variant, j);
            INFO(variant << " j=" << j << ": " << hit_list(o));
            CHECK(hits(o, Goal::kShrinkerInDeoffload) == 0);
            CHECK(hits(o, Goal::kShrinkerInOffload) == 0);
            CHECK(hits(o, Goal::kLockingFlippedUnderShrinker) == 0);
        }
    }
    SECTION(
        "force-lock-recheck: the shrinker meets the de-offload, but LOCKING cannot flip "
        "under its raw lock") {
        const Outcome o = run_rules(make_scenario(kS1Json, "force-lock-recheck"),
                                    {hold(kShr, "lazy_rcu_shrink_scan: raw_spin_lock_irqsave", 7)});
        INFO(hit_list(o) << "; " << o.summary());
        REQUIRE(o.fired == std::vector<int>{1});
        CHECK(hits(o, Goal::kShrinkerInDeoffload) > 0);
        CHECK(hits(o, Goal::kLockingFlippedUnderShrinker) == 0);
        for (std::uint64_t j = 1; j <= 30; ++j) {
            const Outcome p =
                run_rules(make_scenario(kS1Json, "force-lock-recheck"),
                          {hold(kShr, "lazy_rcu_shrink_scan: raw_spin_lock_irqsave", j)});
            INFO("j=" << j << ": " << hit_list(p));
            CHECK(hits(p, Goal::kLockingFlippedUnderShrinker) == 0);
        }
    }
    SECTION("no toggles: no toggle window") {
        const Outcome o = run_s8("v6.3", 1);  // shrinker and enqueues only
        INFO(hit_list(o));
        CHECK(hits(o, Goal::kShrinkerInDeoffload) == 0);
        CHECK(hits(o, Goal::kShrinkerInOffload) == 0);
        CHECK(hits(o, Goal::kLockingFlippedUnderShrinker) == 0);
    }
}

TEST_CASE("kernel::goals: shrinker-in-offload and locking-flipped-under-shrinker (S2)") {
    SECTION("v6.3: O1 sets LOCKING between the shrinker's checks") {
        const Outcome o = run_s2("v6.3");
        INFO(hit_list(o) << "; " << o.summary());
        REQUIRE(o.fired == std::vector<int>{1, 1});
        CHECK(hits(o, Goal::kShrinkerInOffload) > 0);
        CHECK(hits(o, Goal::kLockingFlippedUnderShrinker) == 1);
        CHECK(o.has("lock-imbalance"));
    }
    SECTION("patch1-trylock: the scan and the toggles exclude each other") {
        const Outcome o = run_s2("patch1-trylock");
        INFO(hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kShrinkerInOffload) == 0);
        CHECK(hits(o, Goal::kShrinkerInDeoffload) == 0);
        CHECK(hits(o, Goal::kLockingFlippedUnderShrinker) == 0);
    }
    SECTION("S1's interleaving ends the scan before the re-offload") {
        const Outcome o = run_s1("v6.3");
        INFO(hit_list(o));
        CHECK(hits(o, Goal::kShrinkerInOffload) == 0);
    }
}

TEST_CASE("kernel::goals: barrier-mutex-trylock-failed and reclaim-while-toggling (S3, S4)") {
    SECTION("the toggler's kworker enters reclaim while its toggler holds barrier_mutex") {
        const std::string variant = GENERATE("patch1-mutex", "patch1-trylock", "v6.5");
        const Outcome o = run_plain(make_scenario(kS3Json, variant));
        INFO(variant << ": " << hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kReclaimWhileToggling) == 1);
        // V2's scan trylock or P4's count trylock fails; V1 sleeps instead (S3).
        CHECK(hits(o, Goal::kBarrierMutexTrylockFailed) == (variant == "patch1-mutex" ? 0 : 1));
        CHECK(o.has("reclaim-blocks") == (variant == "patch1-mutex"));
    }
    SECTION("without memory pressure the allocation does not enter reclaim") {
        scenario::Scenario s = make_scenario(kS3Json, "patch1-trylock");
        s.pressure.clear();
        const Outcome o = run_plain(s);
        INFO(hit_list(o));
        CHECK(hits(o, Goal::kReclaimWhileToggling) == 0);
        CHECK(hits(o, Goal::kBarrierMutexTrylockFailed) == 0);
    }
    SECTION("v6.3 takes no mutex in the shrinker") {
        const Outcome o = run_plain(make_scenario(kS3Json, "v6.3"));
        INFO(hit_list(o));
        CHECK(hits(o, Goal::kReclaimWhileToggling) == 1);
        CHECK(hits(o, Goal::kBarrierMutexTrylockFailed) == 0);
    }
}

TEST_CASE("kernel::goals: enqueue-raced-shrinker-reset (S6)") {
    SECTION("v6.3: the reset lands inside the enqueue's read-modify-write") {
        const Outcome o = run_s6("v6.3", 2);
        INFO(hit_list(o) << "; " << o.summary());
        REQUIRE(o.fired == std::vector<int>{1});
        CHECK(hits(o, Goal::kEnqueueRacedShrinkerReset) == 1);
        CHECK(o.has("shrinker-ineffective"));
    }
    SECTION("v6.3 without the straddle, and v6.5 whose flush waits for the bypass lock") {
        const Outcome a = run_s6("v6.3", 1);
        INFO(hit_list(a));
        CHECK(hits(a, Goal::kEnqueueRacedShrinkerReset) == 0);
        const Outcome b = run_s6("v6.5", 2);
        INFO(hit_list(b));
        CHECK(hits(b, Goal::kEnqueueRacedShrinkerReset) == 0);
    }
}

TEST_CASE("kernel::goals: bypass-lock-remote-contended and try-flush-skipped (S7)") {
    SECTION("v6.5: the P2 scan spins on CPU 1's bypass lock (and WARNs)") {
        const Outcome o = run_s6("v6.5", 2);
        INFO(hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kBypassLockRemoteContended) == 1);
        CHECK(hits(o, Goal::kTryFlushSkipped) == 0);
        CHECK(o.has("bypass-contention"));
    }
    SECTION("v6.9: the same window, the L1 scan skips the flush: no WARN") {
        const Outcome o = run_s6("v6.9", 2);
        INFO(hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kBypassLockRemoteContended) == 1);
        CHECK(hits(o, Goal::kTryFlushSkipped) == 1);
        CHECK(o.result.violations.empty());
    }
    SECTION("no enqueue in flight: no contention") {
        const std::string variant = GENERATE("v6.5", "v6.9");
        const Outcome o = run_plain(make_scenario(kS6Json, variant));
        INFO(variant << ": " << hit_list(o));
        CHECK(hits(o, Goal::kBypassLockRemoteContended) == 0);
        CHECK(hits(o, Goal::kTryFlushSkipped) == 0);
    }
    SECTION("v6.3 never flushes from the scan") {
        const Outcome o = run_s6("v6.3", 2);
        INFO(hit_list(o));
        CHECK(hits(o, Goal::kBypassLockRemoteContended) == 0);
    }
}

TEST_CASE("kernel::goals: stale-lazy-len (S8)") {
    SECTION("the hurry enqueue flushes between the lockless read and the lock") {
        const std::string variant = GENERATE("v6.3", "v6.5");
        const Outcome o = run_s8(variant, 1);
        INFO(variant << ": " << hit_list(o) << "; " << o.summary());
        REQUIRE(o.fired == std::vector<int>{1});
        CHECK(hits(o, Goal::kStaleLazyLen) == 1);
        // P3 re-reads under the lock (v6.5): the window is reached, the over-count is not.
        CHECK(o.has("shrinker-overcount") == (variant == "v6.3"));
    }
    SECTION("no hold: the scan locks before the flush") {
        const Outcome o = run_s8("v6.3", 0);
        INFO(hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kStaleLazyLen) == 0);
        CHECK_FALSE(o.has("shrinker-overcount"));
    }
}

TEST_CASE("kernel::goals: lazy-request-while-wake-pending (S11)") {
    SECTION("a member's lazy deferral while the leader's WAKE is pending, fixed or not") {
        const std::string variant = GENERATE("v6.5", "latest");
        const Outcome o = run_plain(make_scenario(kS11Json, variant));
        INFO(variant << ": " << hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kLazyRequestWhileWakePending) == 1);
        CHECK(o.has("deferred-wake") == (variant == "v6.5"));
    }
    SECTION("the hurry callback with IRQs enabled wakes rcuog at once: no WAKE pending") {
        scenario::Scenario s = make_scenario(kS11Json);
        s.events.at(0).irqs_off = false;
        const Outcome o = run_plain(s);
        INFO(hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kLazyRequestWhileWakePending) == 0);
    }
}

TEST_CASE("kernel::goals: barrier-entrain-needs-wake (S10)") {
    SECTION("the entrain flushes an all-lazy bypass, with and without the fix's wake") {
        const bool wake = GENERATE(false, true);
        scenario::Scenario s = make_scenario(kS10Json);
        s.switches.barrier_wake = wake;
        const Outcome o = run_plain(s);
        INFO("barrier_wake " << wake << ": " << hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kBarrierEntrainNeedsWake) == 1);
        CHECK(o.has("stranded-callbacks") == !wake);
    }
    SECTION("hurry callbacks are pending already: rcuog knows") {
        scenario::Scenario s = make_scenario(kS10Json);
        s.events.at(0).lazy = false;
        s.events.at(0).at = 4 * engine::kMs;  // still queued when the barrier comes
        const Outcome o = run_plain(s);
        INFO(hit_list(o) << "; " << o.summary());
        CHECK(hits(o, Goal::kBarrierEntrainNeedsWake) == 0);
    }
}

TEST_CASE("kernel::goals: deoffload-with-lazy-callbacks (S1 initial state, I5)") {
    SECTION("D1 flushes CPU 1's lazy bypass") {
        const Outcome o = run_plain(make_scenario(kS1Json));
        INFO(hit_list(o));
        CHECK(hits(o, Goal::kDeoffloadWithLazyCallbacks) == 1);
    }
    SECTION("hurry callbacks never sit in the bypass") {
        scenario::Scenario s = make_scenario(kS1Json);
        s.events.at(0).lazy = false;
        const Outcome o = run_plain(s);
        INFO(hit_list(o));
        CHECK(hits(o, Goal::kDeoffloadWithLazyCallbacks) == 0);
    }
}
