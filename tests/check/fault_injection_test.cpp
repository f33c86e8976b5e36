// Checkers for invariants the model keeps by construction (no interleaving of the model
// reaches them): lazy-len (I4/I5), callback-lost, callback-duplicated (I6) and
// callback-early (GP safety), plus lockset's flag branch (I3). A Kernel and Checkers are
// wired on a Simulator by hand, booted and run; then the kernel's state is corrupted
// through ModelAccess (the test-only friend kernel.hpp declares) the way a buggy kernel
// function would, with the same observer calls the kernel makes, and the checkers judge.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "check/checkers.hpp"
#include "engine/simulator.hpp"
#include "kernel/kernel.hpp"
#include "kernel/variant.hpp"

namespace rcusim::kernel {

// Test-only access to Kernel internals (friend of Kernel). Only what the faults need.
struct ModelAccess {
    // A kernel context that never runs: a place to attribute injected writes to.
    static Actor& context(Kernel& k, const std::string& name, CpuId cpu) {
        const ActorId id = k.spawn(name, cpu, Task<void>{}, 0);
        return k.sim().actor(id);
    }
    static void take(Kernel& k, Actor& a, Lock& l) { k.take(a, l, "fault injection"); }
    static void unlock(Kernel& k, Actor& a, Lock& l) { k.raw_spin_unlock(a, l); }
    static void write_lazy_len(Kernel& k, Actor& a, Rdp& rdp, std::int64_t v) {
        k.write_lazy_len(a, rdp, v);
    }
    static void set_flags(Kernel& k, Actor& a, Rdp& rdp, std::uint32_t set, std::uint32_t clear) {
        k.set_flags(a, rdp, set, clear);
    }
    static void invoke_cb(Kernel& k, Actor& a, Rdp& rdp, CbId id) { k.invoke_cb(a, rdp, id); }
    static Callback& cb(Kernel& k, CbId id) { return k.cbs_[static_cast<std::size_t>(id)]; }
};

}  // namespace rcusim::kernel

using namespace rcusim;
using kernel::ModelAccess;

namespace {

void step_hook(void* ctx, engine::ActorId a) { static_cast<kernel::Kernel*>(ctx)->after_step(a); }

kernel::Config two_cpus(const std::string& variant) {
    kernel::Config c;
    c.ncpus = 2;
    c.nocb_cpus = {0, 1};
    c.switches = kernel::find_preset(variant)->switches;
    return c;
}

// Simulator + Kernel + Checkers, wired like scenario::run_scenario() does.
struct Machine {
    explicit Machine(const std::string& variant = "v6.3")
        : sim(engine::SchedulerConfig{}, strategy, 2),
          k(sim, two_cpus(variant)),
          checkers(k, {"fault-injection", variant, 0}) {
        k.set_observer(&checkers);
        sim.set_step_hook(&step_hook, &k);
        k.boot();
    }
    // `count` call_rcu() (lazy or not) on CPU 1 at t = 0, then run until `until`.
    void enqueue_and_run(bool lazy, std::int64_t count, engine::Time until) {
        k.add_call_rcu_stream(0, 1, lazy, count, 0, false);
        sim.run(until);
    }
    std::vector<const check::Violation*> of(const std::string& kind) const {
        std::vector<const check::Violation*> out;
        for (const auto& v : checkers.violations())
            if (v.kind == kind) out.push_back(&v);
        return out;
    }
    std::string summary() const {
        std::string s;
        for (const auto& v : checkers.violations()) s += v.kind + "(" + v.object + ") ";
        return s.empty() ? "(no violations)" : s;
    }

    engine::RuleStrategy strategy{std::vector<engine::Rule>{}};
    engine::Simulator sim;
    kernel::Kernel k;
    check::Checkers checkers;
};

constexpr engine::Time kMs = engine::kMs;

}  // namespace

// ---- lazy-len ----------------------------------------------------------------------------

TEST_CASE("check::lazy-len: fires when lazy_len exceeds the lazy callbacks in the bypass") {
    Machine m("v6.3");
    m.enqueue_and_run(true, 4, 1 * kMs);
    kernel::Rdp& rdp = m.k.rdp(1);
    REQUIRE(rdp.bypass.size() == 4);
    REQUIRE(rdp.lazy_len == 4);
    REQUIRE(rdp.lazy_in_bypass == 4);
    REQUIRE(m.checkers.violations().empty());

    // A buggy increment, done under the bypass lock like the real one.
    kernel::Actor& a = ModelAccess::context(m.k, "inject@1", 1);
    ModelAccess::take(m.k, a, rdp.nocb_bypass_lock);
    ModelAccess::write_lazy_len(m.k, a, rdp, 5);
    m.checkers.step_end(a.id);  // inside the bypass critical section: not judged yet
    CHECK(m.of("lazy-len").empty());
    ModelAccess::unlock(m.k, a, rdp.nocb_bypass_lock);
    m.checkers.step_end(a.id);
    INFO(m.summary());
    const auto v = m.of("lazy-len");
    REQUIRE(v.size() == 1);
    CHECK(v[0]->object == "lazy_len[1]");
    CHECK(v[0]->severity == check::Severity::kError);
    CHECK_THAT(v[0]->message,
               Catch::Contains("0 <= lazy_len <= #lazy callbacks in bypass <= bypass length fails"));
    CHECK_THAT(v[0]->report, Catch::Contains("lazy_len = 5, lazy callbacks in bypass = 4"));
    CHECK(m.of("lockset").empty());  // the write itself held the right lock
}

TEST_CASE("check::lazy-len: with P2, lazy_len must equal the lazy callbacks in the bypass") {
    // Writing 3 with 4 lazy callbacks queued: allowed before P2 (the V0-V2 shrinker zeroes
    // lazy_len on purpose), a violation once the shrinker flushes instead.
    const std::string variant = GENERATE("v6.3", "v6.5");
    Machine m(variant);
    m.enqueue_and_run(true, 4, 1 * kMs);
    kernel::Rdp& rdp = m.k.rdp(1);
    REQUIRE(rdp.lazy_in_bypass == 4);
    kernel::Actor& a = ModelAccess::context(m.k, "inject@1", 1);
    ModelAccess::take(m.k, a, rdp.nocb_bypass_lock);
    ModelAccess::write_lazy_len(m.k, a, rdp, 3);
    ModelAccess::unlock(m.k, a, rdp.nocb_bypass_lock);
    m.checkers.step_end(a.id);
    INFO(variant << ": " << m.summary());
    if (variant == "v6.5") {
        const auto v = m.of("lazy-len");
        REQUIRE(v.size() == 1);
        CHECK_THAT(v[0]->message, Catch::Contains("lazy_len != #lazy callbacks in bypass"));
    } else {
        CHECK(m.checkers.violations().empty());
    }
}

TEST_CASE("check::lazy-len: fires on a de-offloaded rdp with a non-empty bypass") {
    Machine m("v6.3");
    m.enqueue_and_run(true, 2, 1 * kMs);
    kernel::Rdp& rdp = m.k.rdp(1);
    REQUIRE(rdp.bypass.size() == 2);
    // Setting RCU_CORE (a de-offload's D1) without flushing the bypass first.
    kernel::Actor& a = ModelAccess::context(m.k, "inject@1", 1);
    ModelAccess::take(m.k, a, rdp.nocb_lock);
    ModelAccess::set_flags(m.k, a, rdp, kernel::kRcuCore, 0);
    ModelAccess::unlock(m.k, a, rdp.nocb_lock);
    m.checkers.step_end(a.id);
    INFO(m.summary());
    const auto v = m.of("lazy-len");
    REQUIRE(v.size() == 1);
    CHECK_THAT(v[0]->message, Catch::Contains("de-offloaded (RCU_CORE set) but the bypass is not empty"));
    CHECK(m.of("lockset").empty());
}

TEST_CASE("check::lazy-len: quiet on a consistent write and on real lazy traffic") {
    Machine m("v6.5");
    m.enqueue_and_run(true, 4, 1 * kMs);  // every real increment was judged already
    kernel::Rdp& rdp = m.k.rdp(1);
    kernel::Actor& a = ModelAccess::context(m.k, "inject@1", 1);
    ModelAccess::take(m.k, a, rdp.nocb_bypass_lock);
    ModelAccess::write_lazy_len(m.k, a, rdp, 4);
    ModelAccess::unlock(m.k, a, rdp.nocb_bypass_lock);
    m.checkers.step_end(a.id);
    m.checkers.finish();
    INFO(m.summary());
    CHECK(m.checkers.violations().empty());
}

// ---- lockset (flags) ---------------------------------------------------------------------

TEST_CASE("check::lockset: a SEGCBLIST flag change without nocb_lock fires, with it stays quiet") {
    const bool locked = GENERATE(false, true);
    Machine m("v6.3");
    m.enqueue_and_run(false, 1, 10 * kMs);
    kernel::Rdp& rdp = m.k.rdp(1);
    kernel::Actor& a = ModelAccess::context(m.k, "inject@1", 1);
    if (locked) ModelAccess::take(m.k, a, rdp.nocb_lock);
    ModelAccess::set_flags(m.k, a, rdp, 0, kernel::kKthreadCb);
    if (locked) ModelAccess::unlock(m.k, a, rdp.nocb_lock);
    m.checkers.step_end(a.id);
    INFO("locked=" << locked << ": " << m.summary());
    const auto v = m.of("lockset");
    if (locked) {
        CHECK(v.empty());
    } else {
        REQUIRE(v.size() == 1);
        CHECK(v[0]->object == "flags[1]");
        CHECK_THAT(v[0]->report, Catch::Contains("SEGCBLIST flags changed without nocb_lock!"));
    }
}

// ---- callback-lost -----------------------------------------------------------------------

TEST_CASE("check::callback-lost: fires when a callback vanishes from the bypass") {
    Machine m("v6.3");
    m.enqueue_and_run(true, 4, 1 * kMs);
    kernel::Rdp& rdp = m.k.rdp(1);
    REQUIRE(rdp.bypass.size() == 4);
    const kernel::CbId dropped = rdp.bypass.back();
    rdp.bypass.pop_back();  // a flush that forgets one
    m.checkers.finish();
    INFO(m.summary());
    const auto v = m.of("callback-lost");
    REQUIRE(v.size() == 2);
    // The length accounting no longer adds up ...
    CHECK(v[0]->object == "cblist.len[1]");
    CHECK_THAT(v[0]->report, Catch::Contains("->cblist.len = 4 but bypass + segments + in flight = 3"));
    // ... and the callback is nowhere.
    CHECK(v[1]->object == "callback");
    CHECK(v[1]->message == "callback " + std::to_string(dropped) + " was neither invoked nor queued");
    CHECK(m.of("callback-duplicated").empty());
}

TEST_CASE("check::callback-lost: quiet when every callback is queued or invoked") {
    const bool lazy = GENERATE(true, false);
    Machine m("v6.3");
    // Lazy ones stay in the bypass (10 s); non-lazy ones are invoked after their GP.
    m.enqueue_and_run(lazy, 4, 100 * kMs);
    m.checkers.finish();
    INFO(m.summary());
    int invoked = 0;
    for (const auto& cb : m.k.callbacks()) invoked += cb.invocations;
    CHECK(invoked == (lazy ? 0 : 4));
    CHECK(m.k.callbacks().size() == 4);
    CHECK(m.of("callback-lost").empty());
    CHECK(m.checkers.violations().empty());
}

// ---- callback-duplicated -----------------------------------------------------------------

TEST_CASE("check::callback-duplicated: fires on a callback queued twice") {
    Machine m("v6.3");
    m.enqueue_and_run(true, 4, 1 * kMs);
    kernel::Rdp& rdp = m.k.rdp(1);
    const kernel::CbId id = rdp.bypass.front();
    // A flush that copies instead of moving one callback (the length stays consistent).
    rdp.cblist.push_back({id, 0});
    rdp.cblist_len++;
    m.checkers.finish();
    INFO(m.summary());
    const auto v = m.of("callback-duplicated");
    REQUIRE(v.size() == 1);
    CHECK(v[0]->message == "callback " + std::to_string(id) + " is queued twice");
    CHECK(m.of("callback-lost").empty());
}

TEST_CASE("check::callback-duplicated: fires on a callback invoked twice") {
    Machine m("v6.3");
    m.enqueue_and_run(false, 2, 100 * kMs);
    REQUIRE(m.k.callbacks().size() == 2);
    REQUIRE(m.k.callbacks()[0].invocations == 1);
    REQUIRE(m.checkers.violations().empty());
    kernel::Actor& a = ModelAccess::context(m.k, "inject@1", 1);
    ModelAccess::invoke_cb(m.k, a, m.k.rdp(1), 0);  // rcu_do_batch() running it again
    INFO(m.summary());
    const auto v = m.of("callback-duplicated");
    REQUIRE(v.size() == 1);
    CHECK(v[0]->message == "callback 0 invoked twice");
    CHECK_THAT(v[0]->report, Catch::Contains("BUG: callback invoked twice!"));
    CHECK(m.of("callback-early").empty());  // its grace period did end
}

TEST_CASE("check::callback-duplicated: quiet when each callback runs once") {
    Machine m("v6.3");
    m.enqueue_and_run(false, 5, 100 * kMs);
    m.checkers.finish();
    INFO(m.summary());
    REQUIRE(m.k.callbacks().size() == 5);
    for (const auto& cb : m.k.callbacks()) CHECK(cb.invocations == 1);
    CHECK(m.of("callback-duplicated").empty());
}

// ---- callback-early ----------------------------------------------------------------------

TEST_CASE("check::callback-early: fires on a callback invoked before its grace period ends") {
    Machine m("v6.3");
    // A non-lazy callback reaches the cblist and waits for GP 1 (started, not yet ended:
    // gp_duration is 3 ms).
    m.enqueue_and_run(false, 1, 1 * kMs);
    kernel::Rdp& rdp = m.k.rdp(1);
    REQUIRE(m.k.gp_completed() == 0);
    REQUIRE(rdp.cblist.size() == 1);
    REQUIRE(rdp.cblist.front().gp == 1);
    // rcu_do_batch() without the readiness check: extract, invoke, fix the length.
    kernel::Actor& a = ModelAccess::context(m.k, "inject@1", 1);
    ModelAccess::take(m.k, a, rdp.nocb_lock);
    const kernel::CbId id = rdp.cblist.front().cb;
    rdp.cblist.pop_front();
    ModelAccess::cb(m.k, id).where = kernel::CbWhere::kInFlight;
    rdp.in_flight++;
    ModelAccess::unlock(m.k, a, rdp.nocb_lock);
    ModelAccess::invoke_cb(m.k, a, rdp, id);
    ModelAccess::take(m.k, a, rdp.nocb_lock);
    rdp.in_flight--;
    rdp.cblist_len--;
    ModelAccess::unlock(m.k, a, rdp.nocb_lock);
    m.checkers.finish();
    INFO(m.summary());
    const auto v = m.of("callback-early");
    REQUIRE(v.size() == 1);
    CHECK(v[0]->severity == check::Severity::kError);
    CHECK(v[0]->message == "callback " + std::to_string(id) + " invoked before a full GP");
    CHECK_THAT(v[0]->report, Catch::Contains("BUG: callback invoked before a full grace period!"));
    // The bookkeeping itself is consistent: only the timing is wrong.
    CHECK(m.of("callback-lost").empty());
    CHECK(m.of("callback-duplicated").empty());
}

TEST_CASE("check::callback-early: quiet when callbacks wait for their grace period") {
    Machine m("v6.3");
    m.enqueue_and_run(false, 3, 100 * kMs);
    m.checkers.finish();
    INFO(m.summary());
    REQUIRE(m.k.gp_completed() >= 1);
    for (const auto& cb : m.k.callbacks()) CHECK(cb.invocations == 1);
    CHECK(m.of("callback-early").empty());
}
