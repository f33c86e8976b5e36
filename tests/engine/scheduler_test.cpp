// The scheduler's decisions: scripted replay of a decision log, seeded random schedules,
// delays counted in touches of the declared resource, idle release, and RuleStrategy.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/decision.hpp"
#include "engine/simulator.hpp"
#include "engine_helpers.hpp"

using namespace rcusim::engine;
using namespace rcusim::engine::testing;

namespace {

constexpr Resource kR = 11;
constexpr Resource kOther = 12;

// A lock-like workload: "acquire" declares `r` and touches it, "work" declares nothing,
// and every third round the actor naps.
Task<void> worker(Simulator& sim, Actor& self, Resource r, int n, Time nap) {
    for (int i = 0; i < n; ++i) {
        co_await sim.point(self, "acquire", i, r);
        sim.touch(r);
        co_await sim.point(self, "work", i);
        if (nap > 0 && i % 3 == 2) co_await sim.sleep_until(self, sim.now() + nap, "nap");
    }
}

struct WorkloadRun {
    std::vector<std::string> history;
    DecisionLog log;
    Time end = 0;
};

WorkloadRun run_workload(Strategy& st) {
    SchedulerConfig cfg;
    cfg.max_delay = 200 * kUs;
    cfg.delay_in_irq_off = false;
    Simulator sim(cfg, st, 2);
    add_actor(sim, "w0", 0, [&](Actor& a) { return worker(sim, a, 1, 12, 10 * kUs); });
    add_actor(sim, "w1", 0, [&](Actor& a) { return worker(sim, a, 2, 12, 0); });
    add_actor(sim, "w2", 1, [&](Actor& a) { return worker(sim, a, 1, 12, 30 * kUs); });
    add_actor(sim, "w3", 1, [&](Actor& a) { return worker(sim, a, 2, 12, 0); });
    REQUIRE(sim.run(1 * kSec) == Simulator::StopReason::kIdle);
    REQUIRE(sim.steps() < Simulator::kHistory);  // the whole history is remembered
    return {history_lines(sim), sim.decisions(), sim.now()};
}

// One point declaring `r`, then logs `name` and the time.
Task<void> lock_once(Simulator& sim, Actor& self, Resource r, Log* log, Time* at) {
    co_await sim.point(self, "lock", -1, r);
    *at = sim.now();
    log->push_back(self.name);
}

// n rounds of: a point, then a touch of `r`, logged as name + round.
Task<void> toucher(Simulator& sim, Actor& self, Resource r, int n, Log* log) {
    for (int i = 1; i <= n; ++i) {
        co_await sim.point(self, "t", i);
        sim.touch(r);
        log->push_back(self.name + std::to_string(i));
    }
}

// Polls `*flag` (a point per poll, no resource) until it is set: a busy-wait.
Task<void> spinner(Simulator& sim, Actor& self, const bool* flag, std::uint64_t* polls) {
    while (!*flag) {
        ++*polls;
        co_await sim.point(self, "poll", -1);
    }
}

Task<void> setter(Simulator& sim, Actor& self, Resource r, bool* flag) {
    co_await sim.point(self, "lock", -1, r);
    *flag = true;
}

Task<void> nap_until(Simulator& sim, Actor& self, Time until) {
    co_await sim.sleep_until(self, until, "nap");
}

// n points declaring `r` labelled "lock", each logged.
Task<void> locker(Simulator& sim, Actor& self, Resource r, int n, Log* log) {
    for (int i = 1; i <= n; ++i) {
        co_await sim.point(self, "lock", i, r);
        log->push_back(self.name + std::to_string(i));
    }
}

Task<void> named_steps(Simulator& sim, Actor& self, int n, Log* log) {
    log->push_back(self.name + "0");
    for (int i = 1; i <= n; ++i) {
        co_await sim.point(self, "step", i);
        log->push_back(self.name + std::to_string(i));
    }
}

Task<void> irq_points(Simulator& sim, Actor& self, int n) {
    sim.irq_disable(self);
    for (int i = 0; i < n; ++i) co_await sim.point(self, "irq-off", i, kR);
    sim.irq_enable(self);
    co_await sim.point(self, "irq-on", 0, kR);
}

// Counts delay queries per label, never delays.
class CountingStrategy final : public Strategy {
   public:
    std::uint64_t pick(std::uint64_t, std::span<const ActorId>, const Simulator&) override {
        return 0;
    }
    std::uint64_t delay(std::uint64_t, const Actor& a, const Simulator&) override {
        (std::string_view(a.label) == "irq-off" ? irq_off : irq_on)++;
        return 0;
    }
    int irq_off = 0, irq_on = 0;
};

bool has_kind(const DecisionLog& log, DecisionKind k) {
    for (const auto& d : log.entries)
        if (d.kind == k) return true;
    return false;
}

}  // namespace

TEST_CASE("engine::scheduler: ScriptedStrategy replays a recorded DecisionLog exactly") {
    bool saw_pick = false, saw_delay = false;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        INFO("seed " << seed);
        RandomStrategy random(seed);
        const WorkloadRun first = run_workload(random);
        REQUIRE_FALSE(first.log.entries.empty());
        saw_pick |= has_kind(first.log, DecisionKind::kPick);
        saw_delay |= has_kind(first.log, DecisionKind::kDelay);

        ScriptedStrategy scripted(first.log);
        const WorkloadRun again = run_workload(scripted);
        CHECK_FALSE(scripted.diverged());
        CHECK(scripted.exhausted());
        CHECK(again.history == first.history);
        CHECK(again.log.entries == first.log.entries);
        CHECK(again.log.points == first.log.points);
        CHECK(again.end == first.end);
    }
    CHECK(saw_pick);
    CHECK(saw_delay);
}

TEST_CASE("engine::scheduler: ScriptedStrategy reports a log that does not fit the run") {
    RandomStrategy random(3);
    const WorkloadRun first = run_workload(random);
    REQUIRE_FALSE(first.log.entries.empty());
    DecisionLog edited = first.log;
    Decision& d = edited.entries.front();
    d.kind = d.kind == DecisionKind::kPick ? DecisionKind::kDelay : DecisionKind::kPick;
    ScriptedStrategy scripted(edited);
    run_workload(scripted);
    CHECK(scripted.diverged());
}

TEST_CASE("engine::scheduler: RandomStrategy with the same seed gives the same decision log") {
    RandomStrategy a(7), b(7), c(8);
    const WorkloadRun ra = run_workload(a);
    const WorkloadRun rb = run_workload(b);
    const WorkloadRun rc = run_workload(c);
    REQUIRE_FALSE(ra.log.entries.empty());
    CHECK(ra.log.entries == rb.log.entries);
    CHECK(ra.log.points == rb.log.points);
    CHECK(ra.history == rb.history);
    // Another seed schedules differently.
    CHECK(rc.log.entries != ra.log.entries);
}

TEST_CASE("engine::scheduler: a delay ends after j touches of the declared resource") {
    // A is held at its "lock" point (resource kR) from t=0. At 1us, B touches kR and C
    // touches another resource, six times each. A steps right after B's j-th touch.
    const std::uint64_t j = GENERATE(1, 2, 3, 5);
    DelayOnce st("A", "lock", j);
    SchedulerConfig cfg;
    cfg.max_delay = 1 * kMs;
    Simulator sim(cfg, st, 3);
    Log log;
    Time a_at = -1;
    add_actor(sim, "A", 0, [&](Actor& self) { return lock_once(sim, self, kR, &log, &a_at); });
    add_actor(sim, "C", 2, [&](Actor& self) { return toucher(sim, self, kOther, 6, &log); },
              1 * kUs);
    add_actor(sim, "B", 1, [&](Actor& self) { return toucher(sim, self, kR, 6, &log); }, 1 * kUs);
    CHECK(sim.run(1 * kSec) == Simulator::StopReason::kIdle);
    REQUIRE(st.used());
    INFO("log: " << Catch::Detail::stringify(log));
    std::string b_entry = "B";
    b_entry += std::to_string(j);
    const long b_j = index_of(log, b_entry);
    REQUIRE(b_j >= 0);
    CHECK(index_of(log, "A") == b_j + 1);
    CHECK(a_at == 1 * kUs);
    REQUIRE(sim.decisions().entries.size() >= 1);
    CHECK(sim.decisions().entries.front().kind == DecisionKind::kDelay);
    CHECK(sim.decisions().entries.front().value == j);
}

TEST_CASE("engine::scheduler: an idle machine ends a delay unless it keeps through idle periods") {
    // Nobody touches kR; the only other event is a sleeper waking at 10 ms.
    const bool keep_idle = GENERATE(false, true);
    DelayOnce st("A", "lock", 3 | (keep_idle ? kDelayKeepIdle : 0));
    SchedulerConfig cfg;
    cfg.max_delay = 1 * kMs;
    Simulator sim(cfg, st, 2);
    Log log;
    Time a_at = -1;
    add_actor(sim, "A", 0, [&](Actor& self) { return lock_once(sim, self, kR, &log, &a_at); });
    add_actor(sim, "S", 1, [&](Actor& self) { return nap_until(sim, self, 10 * kMs); });
    CHECK(sim.run(1 * kSec) == Simulator::StopReason::kIdle);
    REQUIRE(st.used());
    // Released at once when the machine idles; a keep-idle delay lasts until max_delay.
    CHECK(a_at == (keep_idle ? 1 * kMs : 0));
}

TEST_CASE("engine::scheduler: a busy-waiting actor ends a delay after delay_step_cap steps") {
    // A is held at "lock" (kR, 3 touches nobody makes); B polls, in steps that take no
    // virtual time, for the flag A sets. Without a cap the machine spins to max_steps;
    // with one, A is released after `cap` steps of B and the run ends.
    const std::uint64_t cap = GENERATE(0, 100, 5000);
    DelayOnce st("A", "lock", 3);
    SchedulerConfig cfg;
    cfg.max_delay = 1 * kMs;
    cfg.max_steps = 20000;
    cfg.delay_step_cap = cap;
    Simulator sim(cfg, st, 2);
    bool flag = false;
    std::uint64_t polls = 0;
    add_actor(sim, "A", 0, [&](Actor& self) { return setter(sim, self, kR, &flag); });
    add_actor(sim, "B", 1, [&](Actor& self) { return spinner(sim, self, &flag, &polls); });
    const auto stop = sim.run(1 * kSec);
    REQUIRE(st.used());
    if (cap == 0) {
        CHECK(stop == Simulator::StopReason::kStepLimit);
        CHECK_FALSE(flag);
    } else {
        CHECK(stop == Simulator::StopReason::kIdle);
        CHECK(flag);
        CHECK(polls >= cap);
        CHECK(polls <= cap + 2);
        CHECK(sim.now() == 0);
    }
}

TEST_CASE("engine::scheduler: delays are offered inside IRQ-off sections only when allowed") {
    const bool allowed = GENERATE(false, true);
    CountingStrategy st;
    SchedulerConfig cfg;
    cfg.max_delay = 1 * kMs;
    cfg.delay_in_irq_off = allowed;
    Simulator sim(cfg, st, 1);
    add_actor(sim, "A", 0, [&](Actor& self) { return irq_points(sim, self, 3); });
    CHECK(sim.run(1 * kSec) == Simulator::StopReason::kIdle);
    CHECK(st.irq_on == 2);  // "start" and "irq-on"
    CHECK(st.irq_off == (allowed ? 3 : 0));
}

TEST_CASE("engine::scheduler: RuleStrategy delay rule fires on the nth occurrence only") {
    // A reaches "lock" three times; the rule (label prefix "lo") holds its second one for
    // one touch of kR by B.
    RuleStrategy st({Rule{.actor = "A", .label = "lo", .nth = 2, .delay = 1}});
    SchedulerConfig cfg;
    cfg.max_delay = 1 * kMs;
    Simulator sim(cfg, st, 2);
    Log log;
    add_actor(sim, "A", 0, [&](Actor& self) { return locker(sim, self, kR, 3, &log); });
    add_actor(sim, "B", 1, [&](Actor& self) { return toucher(sim, self, kR, 6, &log); });
    CHECK(sim.run(1 * kSec) == Simulator::StopReason::kIdle);
    INFO("log: " << Catch::Detail::stringify(log));
    CHECK(st.fired() == std::vector<int>{1});
    const long a2 = index_of(log, "A2");
    REQUIRE(a2 > 0);
    CHECK(log[static_cast<std::size_t>(a2 - 1)].front() == 'B');  // released by B's touch
    CHECK(index_of(log, "A1") < a2);
    int delays = 0;
    for (const auto& d : sim.decisions().entries)
        if (d.kind == DecisionKind::kDelay) {
            ++delays;
            CHECK(d.value == 1);
        }
    CHECK(delays == 1);
}

TEST_CASE("engine::scheduler: RuleStrategy prefer rule steps the preferred actor first") {
    auto first_entry = [](std::vector<Rule> rules, std::vector<int>* fired) {
        RuleStrategy st(std::move(rules));
        Simulator sim({}, st, 2);
        Log log;
        add_actor(sim, "X", 0, [&](Actor& self) { return named_steps(sim, self, 2, &log); });
        add_actor(sim, "Y", 1, [&](Actor& self) { return named_steps(sim, self, 2, &log); });
        REQUIRE(sim.run(1 * kSec) == Simulator::StopReason::kIdle);
        *fired = st.fired();
        return log.front();
    };
    std::vector<int> fired;
    // Without rules the first runnable (X, started first) steps first.
    CHECK(first_entry({}, &fired) == "X0");
    CHECK(first_entry({Rule{.actor = "Y", .label = "start", .prefer = true}}, &fired) == "Y0");
    REQUIRE(fired.size() == 1);
    CHECK(fired[0] >= 1);
}
