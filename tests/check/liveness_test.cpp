// Liveness checkers (check/liveness.cpp): stranded-callbacks (I12), latency (I12b) and
// deferred-wake (I13). Each fires on a scenario that shows it (S10: rcu_barrier() without
// the entrain wake; S11: a member's lazy deferral postpones a pending WAKE; lazy flushes
// postponed by members' LAZY re-arms) and stays quiet on the same scenario under the fixed
// variant or on the ordinary paths (wake with IRQs on, deferred WAKE with IRQs off, a
// non-lazy bypass, rcuog's own BYPASS override of a pending WAKE).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "support/model_runs.hpp"
#include "support/repo_paths.hpp"

using namespace rcusim;
using namespace rcusim::testing;

namespace {

// S10 (MODEL.md §6): CPU 1 in OFF-LAZY(8) (rcuog asleep behind its LAZY timer, 10 s), then
// rcu_barrier() from CPU 0: the entrain flushes the bypass and queues the barrier callback
// behind it; without the wake rcuog sleeps on until the lazy timer.
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

// S11 (MODEL.md §6): CPUs 0 (leader) and 1 in one group; CPU 0 queues a hurry callback with
// IRQs off (deferred WAKE, timer at the next jiffy), CPU 1 a lazy one in the same jiffy.
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

// Lazy callbacks of CPU 1 wait for the group's LAZY timer (lazy_flush 100 ms). The first lazy
// callbacks of CPU 2 (90 ms) and CPU 3 (180 ms) each make wake_nocb_gp_defer(LAZY) read the
// member's own level (NOT) before L5 and re-arm the group timer 100 ms out: CPU 1's bypass is
// flushed at 280 ms, past 2 x lazy_flush after its bypass_first. With L5 the level read is
// rdp_gp's (LAZY), so the timer moves to the next jiffy instead.
constexpr const char* kLazyPostponedJson = R"({
  "format": "rcusim-scenario/1",
  "name": "lazy-postponed",
  "machine": { "cpus": 4, "nocb_cpus": "all", "group_size": 4 },
  "kernel": { "variant": "v6.5", "lazy_flush": "100ms" },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 4 },
    { "at": "90ms", "op": "call_rcu", "cpu": 2, "lazy": true },
    { "at": "180ms", "op": "call_rcu", "cpu": 3, "lazy": true }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "0" },
  "run": { "until": "2s" }
})";

// Ordinary traffic in one group: hurry callbacks with IRQs on (immediate wake) and off
// (deferred WAKE), a burst of 40 hurry callbacks on CPU 1 (past the 16-per-jiffy budget the
// rest go through the bypass: non-lazy bypass, flushed by rcuog after 2 jiffies), lazy
// callbacks behind the LAZY timer, an rcu_barrier().
constexpr const char* kOrdinaryJson = R"({
  "format": "rcusim-scenario/1",
  "name": "ordinary",
  "machine": { "cpus": 4, "nocb_cpus": "all", "group_size": 4 },
  "kernel": { "variant": "v6.5", "lazy_flush": "200ms" },
  "events": [
    { "at": "1ms", "op": "call_rcu_hurry", "cpu": 0, "count": 5, "every": "3ms" },
    { "at": "2ms", "op": "call_rcu_hurry", "cpu": 2, "count": 5, "every": "4ms", "irqs_off": true },
    { "at": "10ms", "op": "call_rcu_hurry", "cpu": 1, "count": 40 },
    { "at": "20ms", "op": "call_rcu", "cpu": 3, "lazy": true, "count": 6, "every": "5ms" },
    { "at": "60ms", "op": "rcu_barrier", "cpu": 0 },
    { "at": "70ms", "op": "call_rcu", "cpu": 3, "lazy": true, "count": 3 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "1ms" },
  "run": { "until": "2s" }
})";

// rcuog's own BYPASS request overriding a pending WAKE: CPU 1 queues 20 hurry callbacks at
// 100 us (16 direct, 4 in the bypass) and wakes rcuog; rcuog is held at its look at rdp 1
// (second member) until 600 us; meanwhile (300 us) CPU 0 queues a hurry callback with IRQs
// off: deferred WAKE, timer at 1 ms. rcuog then sees the non-lazy bypass and requests
// BYPASS, which moves the pending WAKE timer to 2 ms: the documented override.
constexpr const char* kBypassOverrideJson = R"({
  "format": "rcusim-scenario/1",
  "name": "bypass-override",
  "machine": { "cpus": 2, "nocb_cpus": "all", "group_size": 2 },
  "kernel": { "variant": "v6.5" },
  "events": [
    { "at": "100us", "op": "call_rcu_hurry", "cpu": 1, "count": 20 },
    { "at": "300us", "op": "call_rcu_hurry", "cpu": 0, "irqs_off": true }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "500us" },
  "run": { "until": "1s" }
})";

Outcome run_plain(const scenario::Scenario& s) {
    Outcome o;
    scenario::RunOptions opt;
    opt.sinks.push_back(&o.trace);
    o.result = scenario::run_scenario(s, opt);
    return o;
}

std::vector<std::string> kinds_of(const scenario::RunResult& r) { return r.kinds(); }

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

scenario::Scenario config(const std::string& rel, const std::string& variant = "") {
    scenario::Scenario s = scenario::load_scenario_file(repo_path(rel).string());
    if (!variant.empty()) scenario::apply_variant(s, variant, rel);
    return s;
}

void set_switch(scenario::Scenario& s, const char* name, bool value) {
    REQUIRE(kernel::set_switch(s.switches, name, value));
}

}  // namespace

// ---- stranded-callbacks --------------------------------------------------------------------

TEST_CASE(
    "check::stranded-callbacks: fires when rcu_barrier() leaves rcuog asleep behind a LAZY timer "
    "(S10)") {
    const Outcome o = run_plain(make_scenario(kS10Json));
    INFO(o.summary());
    const check::Violation* v = o.find("stranded-callbacks");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kError);
    CHECK(v->object == "rdp[1]");
    CHECK(contains(v->actors, "rcuog/0"));
    CHECK_THAT(v->report, Catch::Contains("callbacks stranded on a no-CBs CPU"));
    CHECK_THAT(v->report,
               Catch::Contains("a non-lazy waiter sits behind the group's LAZY timer only"));
    // Reported once the LAZY timer finally fires (10 s), not before.
    CHECK(v->at >= 10 * engine::kSec);
}

TEST_CASE(
    "check::stranded-callbacks: fires at the end of a run that stops before the LAZY timer (S10)") {
    scenario::Scenario s = make_scenario(kS10Json);
    s.until = 100 * engine::kMs;
    const Outcome o = run_plain(s);
    INFO(o.summary());
    const check::Violation* v = o.find("stranded-callbacks");
    REQUIRE(v != nullptr);
    CHECK(v->object == "rdp[1]");
    CHECK(v->at == 100 * engine::kMs);
}

TEST_CASE(
    "check::stranded-callbacks: quiet with the entrain wake and for lazy callbacks behind their "
    "LAZY timer") {
    SECTION("S10 with barrier_wake (every preset)") {
        scenario::Scenario s = make_scenario(kS10Json);
        set_switch(s, "barrier_wake", true);
        const Outcome o = run_plain(s);
        INFO(o.summary());
        CHECK(o.result.violations.empty());
    }
    SECTION("OFF-LAZY(8) alone: the LAZY timer is what moves lazy callbacks") {
        const Outcome o = run_plain(make_scenario(R"({
          "format": "rcusim-scenario/1", "name": "off-lazy",
          "machine": { "cpus": 2, "nocb_cpus": "all" },
          "kernel": { "variant": "v6.5" },
          "events": [ { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 } ],
          "explore": { "strategy": "random", "seed": 1, "max_delay": "1ms" },
          "run": { "until": "5s" } })"));
        INFO(o.summary());
        bool lazy_timer = false;
        for (const Ev& e : o.trace.events())
            if (e.type == TraceType::kTimer && e.name == "arm" && e.value >= 10 * engine::kSec)
                lazy_timer = true;
        CHECK(lazy_timer);
        CHECK(o.result.violations.empty());
    }
}

// ---- latency -------------------------------------------------------------------------------

TEST_CASE("check::latency: fires when a hurry callback waits for a postponed timer (S11)") {
    const Outcome o = run_plain(make_scenario(kS11Json));
    INFO(o.summary());
    const check::Violation* v = o.find("latency");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kError);
    CHECK(v->object == "rcuog[0]");
    CHECK(v->site == "call_rcu");
    CHECK_THAT(v->report, Catch::Contains("rcuog did not look at a non-lazy callback in time"));
}

TEST_CASE("check::latency: fires when rcu_barrier() waits for a LAZY timer (S10)") {
    const Outcome o = run_plain(make_scenario(kS10Json));
    INFO(o.summary());
    const check::Violation* v = o.find("latency");
    REQUIRE(v != nullptr);
    CHECK(v->object == "rcu_barrier");
    CHECK_THAT(v->message,
               Catch::Contains("the barrier callback on CPU 1 has no grace period yet"));
}

TEST_CASE("check::latency: fires when members' LAZY deferrals postpone a lazy flush (before L5)") {
    const Outcome o = run_plain(make_scenario(kLazyPostponedJson));
    INFO(o.summary());
    const check::Violation* v = o.find("latency");
    REQUIRE(v != nullptr);
    CHECK(v->object == "nocb_bypass[1]");
    CHECK_THAT(v->report, Catch::Contains("lazy bypass not flushed in time"));
    // Flushed only when the twice postponed timer fires (280 ms).
    CHECK(o.trace.find(TraceType::kCallback, "rcuog/0", "flush", 1) >= 0);
    CHECK(o.trace.at(o.trace.find(TraceType::kCallback, "rcuog/0", "flush", 1)).at >=
          280 * engine::kMs);
    CHECK_FALSE(o.has("deferred-wake"));  // LAZY over LAZY is not I13's business
}

TEST_CASE("check::latency: quiet on ordinary traffic and with the L5 fix") {
    SECTION("wakes with IRQs on and off, a non-lazy bypass, lazy callbacks, a barrier") {
        for (const char* variant : {"v6.3", "v6.5", "v6.9", "latest"}) {
            for (std::uint64_t seed = 1; seed <= 20; ++seed) {
                scenario::Scenario s = make_scenario(kOrdinaryJson, variant);
                s.seed = seed;
                const scenario::RunResult r = scenario::run_scenario(s);
                INFO(variant << " seed " << seed);
                CHECK(r.violations.empty());
            }
        }
    }
    SECTION("the non-lazy bypass of the burst is used and flushed") {
        const Outcome o = run_plain(make_scenario(kOrdinaryJson));
        CHECK(o.trace.find(TraceType::kCallback, "rcuog/0", "flush", 1) >= 0);
        CHECK(o.result.violations.empty());
    }
    SECTION("members' LAZY deferrals under latest (L5)") {
        const Outcome o = run_plain(make_scenario(kLazyPostponedJson, "latest"));
        INFO(o.summary());
        CHECK(o.result.violations.empty());
    }
    SECTION("S11 under latest") {
        const Outcome o = run_plain(make_scenario(kS11Json, "latest"));
        INFO(o.summary());
        CHECK(o.result.violations.empty());
    }
}

// ---- deferred-wake -------------------------------------------------------------------------

TEST_CASE(
    "check::deferred-wake: fires when a member's lazy deferral downgrades a pending WAKE (S11)") {
    for (const char* variant : {"v6.3", "v6.5", "v6.9"}) {
        const Outcome o = run_plain(make_scenario(kS11Json, variant));
        INFO(variant << ": " << o.summary());
        const check::Violation* v = o.find("deferred-wake");
        REQUIRE(v != nullptr);
        CHECK(v->severity == check::Severity::kError);
        CHECK(v->object == "nocb_defer_wakeup[0]");
        CHECK(v->cpu == 1);
        CHECK(v->actors.front() == "call_rcu@1");
        CHECK_THAT(v->report, Catch::Contains("before: level WAKE, timer at 0.003000000 s"));
        CHECK_THAT(v->report, Catch::Contains("after:  level LAZY, timer at 10.002000000 s"));
    }
}

TEST_CASE("check::deferred-wake: quiet with L5 and for rcuog's own BYPASS override") {
    SECTION("S11 under latest: the WAKE stays, rcuog runs at the next jiffy") {
        const Outcome o = run_plain(make_scenario(kS11Json, "latest"));
        CHECK_FALSE(o.has("deferred-wake"));
        CHECK(o.trace.find_value(TraceType::kTimer, "", "fire", 0, 3 * engine::kMs) >= 0);
    }
    SECTION("rcuog's BYPASS request moves a pending WAKE from 1 ms to 2 ms") {
        const Outcome o =
            run_rules(make_scenario(kBypassOverrideJson),
                      {hold("rcuog/0", "rcu_nocb_lock_irqsave: read LOCKING", 1000, 4, true)});
        INFO(o.summary());
        REQUIRE(o.fired == std::vector<int>{1});
        const long wake = o.trace.find_value(TraceType::kTimer, "", "arm", 0, 1 * engine::kMs);
        REQUIRE(wake >= 0);
        const long bypass =
            o.trace.find_value(TraceType::kTimer, "", "arm", 0, 2 * engine::kMs, wake);
        REQUIRE(bypass >= 0);
        CHECK(o.trace.at(bypass).at < 1 * engine::kMs);  // while the WAKE was still pending
        CHECK(o.trace.find(TraceType::kStep, "rcuog/0", "wake_nocb_gp_defer", 0, wake) < bypass);
        CHECK_FALSE(o.has("deferred-wake"));
        CHECK(o.result.violations.empty());
    }
}

// ---- the scenario files --------------------------------------------------------------------

TEST_CASE("check::liveness: configs/bugs/S10 shows its kinds without the entrain wake only") {
    const std::string f = "configs/bugs/S10-barrier-missing-wake.json";
    const scenario::Scenario buggy = config(f);
    REQUIRE_FALSE(buggy.switches.barrier_wake);
    const scenario::RunResult r = scenario::run_scenario(buggy);
    CHECK(scenario::expect_met(buggy, r));
    CHECK(contains(kinds_of(r), "stranded-callbacks"));
    CHECK(contains(kinds_of(r), "latency"));
    for (const char* variant : {"v6.3", "v6.5", "v6.9", "latest"}) {
        scenario::Scenario s = config(f, variant);
        set_switch(s, "barrier_wake", true);
        INFO(variant);
        CHECK(scenario::run_scenario(s).violations.empty());
    }
}

TEST_CASE("check::liveness: configs/bugs/S11 shows deferred-wake and latency before L5 only") {
    const std::string f = "configs/bugs/S11-hurry-delayed.json";
    for (const char* variant : {"v6.3", "v6.5", "v6.9"}) {
        const scenario::Scenario s = config(f, variant);
        const scenario::RunResult r = scenario::run_scenario(s);
        INFO(variant);
        CHECK(scenario::expect_met(s, r));
        CHECK(contains(kinds_of(r), "deferred-wake"));
        CHECK(contains(kinds_of(r), "latency"));
    }
    const scenario::RunResult fixed = scenario::run_scenario(config(f, "latest"));
    CHECK(fixed.violations.empty());
}
