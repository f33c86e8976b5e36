#include "scenario/runner.hpp"

#include <algorithm>
#include <memory>
#include <type_traits>

#include "check/checkers.hpp"
#include "check/real_checkers.hpp"
#include "kernel/kernel.hpp"
#include "real/build.hpp"
#include "real/machine.hpp"
#include "trace/sinks.hpp"

namespace rcusim::scenario {

bool RunResult::failed(bool strict) const {
    for (const auto& v : violations)
        if (strict || v.severity == check::Severity::kError) return true;
    return false;
}

std::vector<std::string> RunResult::kinds() const {
    std::vector<std::string> out;
    for (const auto& v : violations)
        if (std::find(out.begin(), out.end(), v.kind) == out.end()) out.push_back(v.kind);
    return out;
}

bool expect_met(const Scenario& s, const RunResult& r) {
    if (!s.expect) return true;
    auto kinds = r.kinds();
    for (const auto& k : *s.expect)
        if (std::find(kinds.begin(), kinds.end(), k) == kinds.end()) return false;
    if (s.expect->empty()) return !r.failed(false);
    return true;
}

const char* stop_reason_name(engine::Simulator::StopReason r) {
    switch (r) {
        case engine::Simulator::StopReason::kUntil: return "until";
        case engine::Simulator::StopReason::kIdle: return "idle";
        case engine::Simulator::StopReason::kStopped: return "stopped";
        case engine::Simulator::StopReason::kStepLimit: return "step-limit";
    }
    return "?";
}

namespace {

struct HookContext {
    kernel::Kernel* kernel;
    real::Machine* machine;
    engine::Simulator* sim;
    const std::vector<const std::atomic<bool>*>* stop;
};

void step_hook(void* ctx, engine::ActorId a) {
    auto* h = static_cast<HookContext*>(ctx);
    if (h->kernel) h->kernel->after_step(a);
    else h->machine->after_step(a);
    for (const auto* flag : *h->stop)
        if (flag != nullptr && flag->load(std::memory_order_relaxed)) h->sim->request_stop();
}

kernel::Config kernel_config(const Scenario& s) {
    kernel::Config c;
    c.ncpus = s.cpus;
    c.hz = s.hz;
    c.nocb_cpus = s.nocb_cpus;
    c.group_size = s.group_size;
    c.switches = s.switches;
    c.lazy_flush = s.lazy_flush;
    c.qhimark = s.qhimark;
    c.gp_duration = s.gp_duration;
    for (const auto& w : s.pressure) c.pressure.push_back({w.from, w.to});
    return c;
}

// The same workload on either machine (kernel::Kernel, real::Machine).
template <class K>
void add_events(K& k, const Scenario& s) {
    for (const auto& e : s.events) {
        switch (e.op) {
            case Op::kCallRcu:
            case Op::kCallRcuHurry:
                for (int cpu : e.cpus)
                    k.add_call_rcu_stream(e.at, cpu, e.op == Op::kCallRcu && e.lazy, e.count,
                                          e.every, e.irqs_off);
                break;
            case Op::kShrink: k.add_shrink(e.at, e.cpus.at(0), e.nr_to_scan, false); break;
            case Op::kDropCaches: k.add_shrink(e.at, e.cpus.at(0), 0, true); break;
            case Op::kOffload: k.add_toggle(e.at, e.cpus.at(0), e.target, true); break;
            case Op::kDeoffload: k.add_toggle(e.at, e.cpus.at(0), e.target, false); break;
            case Op::kRcuBarrier: k.add_barrier(e.at, e.cpus.at(0)); break;
            case Op::kAlloc: k.add_alloc(e.at, e.cpus.at(0)); break;
            case Op::kCpuOffline:
            case Op::kCpuOnline:
                if constexpr (std::is_same_v<K, real::Machine>) {
                    k.add_hotplug(e.at, e.cpus.at(0), e.target, e.op == Op::kCpuOnline);
                }
                // Simplification: CPU hotplug is not modelled by the v6.3 model; the loader
                // accepts the ops (CONTRACT.md: "where the model supports them") and a model
                // run ignores them. Real-code mode runs them (the tree's own hotplug code).
                break;
        }
    }
}

real::MachineConfig machine_config(const Scenario& s) {
    real::MachineConfig c;
    c.ncpus = s.cpus;
    c.hz = s.hz;
    c.nocb_cpus = s.nocb_cpus;
    c.group_size = s.group_size;
    c.qhimark = s.qhimark;
    c.lazy_flush = s.lazy_flush;
    c.gp_duration = s.gp_duration;
    c.data_races = s.data_races == "off"      ? real::MachineConfig::DataRaces::kOff
                   : s.data_races == "strict" ? real::MachineConfig::DataRaces::kStrict
                                              : real::MachineConfig::DataRaces::kDefault;
    for (const auto& w : s.pressure) c.pressure.emplace_back(w.from, w.to);
    return c;
}

std::shared_ptr<const real::Build> real_build(const Scenario& s) {
    auto b = real::build_kernel(s.kernel_source, {"", s.cpus, s.hz});
    if (!s.kernel_tree.empty() && s.kernel_tree != "sha256:" + b->tree_hash)
        throw real::TreeMismatch(s.kernel_source + ": the tree's content (sha256:" + b->tree_hash +
                                 ") is not the one recorded (" + s.kernel_tree +
                                 "); the run needs the tree it was made with");
    return b;
}

}  // namespace

std::string kernel_name(const Scenario& s) {
    if (s.kernel_source.empty()) return s.variant;
    return "real:" + real_build(s)->version;
}

std::string kernel_label(const Scenario& s) {
    if (s.kernel_source.empty()) return "variant " + s.variant + " (" + kernel::describe(s.switches) + ")";
    auto b = real_build(s);
    return "kernel real:" + b->version + " (" + b->features.summary() + ")";
}

RunResult run_scenario(const Scenario& s, const RunOptions& o) {
    RunResult r;
    r.seed = o.seed.value_or(s.seed);
    r.strategy = o.strategy.value_or(s.strategy);
    engine::SchedulerConfig sc;
    sc.max_delay = s.max_delay;
    sc.delay_in_irq_off = s.delay_in_irq_off;
    sc.record_decisions = o.record_decisions;
    sc.max_steps = o.max_steps.value_or(s.max_steps);
    // Real code busy-waits (rcuog rechecking a node the GP kthread has yet to update): a
    // delay ends after 20000 steps of the others at most (engine/simulator.hpp).
    if (!s.kernel_source.empty()) sc.delay_step_cap = 20000;

    std::unique_ptr<engine::Strategy> owned;
    engine::ScriptedStrategy* scripted = nullptr;
    engine::Strategy* strategy = o.strategy_impl;
    if (!strategy) {
        if (r.strategy == "scripted") {
            auto p = std::make_unique<engine::ScriptedStrategy>(o.decisions ? *o.decisions
                                                                            : s.decisions);
            scripted = p.get();
            owned = std::move(p);
        } else {
            // Focused runs need the model's hints: only toggles mark resources hot.
            engine::RandomParams rp = o.random;
            const bool toggles = std::any_of(s.events.begin(), s.events.end(), [](const Event& e) {
                return e.op == Op::kOffload || e.op == Op::kDeoffload;
            });
            if (!toggles) rp.focus_num = 0;
            owned = std::make_unique<engine::RandomStrategy>(r.seed, rp);
        }
        strategy = owned.get();
    }

    engine::Simulator sim(sc, *strategy, s.cpus);
    trace::DigestSink own_digest;
    trace::TraceDigest& digest = o.digester ? *o.digester : own_digest;
    if (o.digest) sim.add_sink(&digest);
    for (auto* sink : o.sinks) sim.add_sink(sink);

    const bool ended = [&] {
        if (!s.kernel_source.empty()) {
            // Real-code mode: the tree's own tree_nocb.h (sim/real/).
            auto build = real_build(s);
            r.kernel = build->version;
            r.kernel_tree = "sha256:" + build->tree_hash;
            real::Machine m(sim, *build, machine_config(s));
            check::RealCheckers checkers(m, {s.name, "real:" + build->version, r.seed});
            checkers.set_stop_on_error(o.stop_on_error);
            m.set_observer(&checkers);
            HookContext hook{nullptr, &m, &sim, &o.stop};
            sim.set_step_hook(&step_hook, &hook);
            m.boot();
            add_events(m, s);
            r.stop = sim.run(s.until);
            const bool end = r.stop == engine::Simulator::StopReason::kUntil ||
                             r.stop == engine::Simulator::StopReason::kIdle;
            if (end) checkers.finish(r.stop == engine::Simulator::StopReason::kIdle);
            // Sinks may hold views of the checkers' text until they finish.
            for (auto* sink : o.sinks) sink->finish();
            r.violations = checkers.violations();
            sim.set_step_hook(nullptr, nullptr);
            return end;
        }
        kernel::Kernel k(sim, kernel_config(s));
        check::Checkers checkers(k, {s.name, s.variant, r.seed});
        checkers.set_stop_on_error(o.stop_on_error);
        k.set_observer(&checkers);
        HookContext hook{&k, nullptr, &sim, &o.stop};
        sim.set_step_hook(&step_hook, &hook);
        k.boot();
        add_events(k, s);

        r.stop = sim.run(s.until);
        // End-of-run checks (conservation, locks still held) only for a run that ended
        // between steps of every actor: a stop request or the step limit cuts operations in
        // the middle.
        const bool end = r.stop == engine::Simulator::StopReason::kUntil ||
                         r.stop == engine::Simulator::StopReason::kIdle;
        if (end) checkers.finish();
        for (auto* sink : o.sinks) sink->finish();
        r.violations = checkers.violations();
        r.goals = k.goal_hits();
        sim.set_step_hook(nullptr, nullptr);
        return end;
    }();
    (void)ended;
    r.steps = sim.steps();
    r.actors = static_cast<int>(sim.actor_count());
    r.sim_time = sim.now();
    r.decisions = sim.decisions();
    if (o.digest) r.digest = digest.digest();
    if (scripted) r.diverged = scripted->diverged();
    return r;
}

}  // namespace rcusim::scenario
