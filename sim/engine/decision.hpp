// The decision log and the strategies that write it.
//
// Every scheduling choice is a numbered decision point: a pick (which of the n runnable
// actors steps next; asked only when n > 1) or a delay (how many accesses by others to
// hold an actor back; asked only where delays are allowed). The log is sparse: it stores
// the non-zero answers with their point number, so the default answer is 0 and a
// repro stays small. Replaying a log through ScriptedStrategy re-executes the run exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/prng.hpp"
#include "engine/trace_event.hpp"

namespace rcusim::engine {

struct Actor;
class Simulator;

enum class DecisionKind : std::uint8_t { kPick = 0, kDelay = 1 };

// A delay's value: the number of touches in the low bits; kDelayKeepIdle set means the
// delay is not ended early when the machine goes idle (only by its count or max_delay).
constexpr std::uint64_t kDelayKeepIdle = std::uint64_t{1} << 40;
constexpr std::uint64_t kDelayCountMask = kDelayKeepIdle - 1;

struct Decision {
    std::uint64_t index = 0;  // decision point number
    DecisionKind kind = DecisionKind::kPick;
    std::uint64_t value = 0;
    bool operator==(const Decision&) const = default;
};

struct DecisionLog {
    std::vector<Decision> entries;  // sorted by index, values non-zero
    std::uint64_t points = 0;       // decision points made
};

class Strategy {
   public:
    virtual ~Strategy() = default;
    // n > 1: index of the runnable actor to step next, in [0, n).
    virtual std::uint64_t pick(std::uint64_t point, std::span<const ActorId> runq,
                               const Simulator& sim) = 0;
    // Delay for the actor about to step: 0 = none, j = hold for j accesses by others.
    virtual std::uint64_t delay(std::uint64_t point, const Actor& a, const Simulator& sim) = 0;
    // A step has run (for strategies that count steps, e.g. PCT).
    virtual void after_step(const Actor&) {}
    // What the next two picks would answer if the run queue kept `n` entries, without
    // drawing them: a hint for prefetching (simulator.cpp), never a decision. False when
    // the strategy cannot tell.
    virtual bool peek_picks(std::uint64_t /*n*/, std::uint64_t* /*two*/) const { return false; }
};

// Answers from a given log; 0 where the log has no entry. Records divergence (a kind
// mismatch or an out-of-range pick) instead of failing, so edited logs still run.
class ScriptedStrategy final : public Strategy {
   public:
    explicit ScriptedStrategy(DecisionLog log) : log_(std::move(log)) {}
    std::uint64_t pick(std::uint64_t point, std::span<const ActorId> runq,
                       const Simulator&) override {
        std::uint64_t v = answer(point, DecisionKind::kPick);
        if (v >= runq.size()) {
            diverged_ = true;
            v %= runq.size();
        }
        return v;
    }
    std::uint64_t delay(std::uint64_t point, const Actor&, const Simulator&) override {
        return answer(point, DecisionKind::kDelay);
    }
    bool diverged() const { return diverged_; }
    bool exhausted() const { return next_ >= log_.entries.size(); }

   private:
    std::uint64_t answer(std::uint64_t point, DecisionKind kind) {
        while (next_ < log_.entries.size() && log_.entries[next_].index < point) {
            diverged_ = true;  // an entry for a point that was never asked
            ++next_;
        }
        if (next_ < log_.entries.size() && log_.entries[next_].index == point) {
            const Decision& d = log_.entries[next_++];
            if (d.kind != kind) {
                diverged_ = true;
                return 0;
            }
            return d.value;
        }
        return 0;
    }
    DecisionLog log_;
    std::size_t next_ = 0;
    bool diverged_ = false;
};

// Seeded random schedules. Picks are uniform among the runnable actors. Delays are
// conflict-directed: an actor about to touch a declared resource (a lock) is held back with
// probability res_num/res_den, one at a plain point with plain_num/plain_den; the delay is
// a number of touches of that resource by others (uniform in [1, 16] three times in four,
// else log-uniform in [1, 2^log2_max)), so it ends right after another context took the
// lock: exactly the windows the nocb races need (MODEL.md §10.1). Some delays also survive
// idle periods (kDelayKeepIdle), as a preempted vCPU would.
//
// Focused runs (focus_num/focus_den of the seeds, chosen per run from the stream
// "sched.focus"; the runner sets focus_num to 0 when the model gives no hints): delays go
// where the model says state is in flux (Simulator::hot(), the locks of an rdp being
// (de-)offloaded): a point touching a hot resource is delayed with probability
// hot_num/hot_den for a short count (uniform in [1, hot_j_max] three times in four, else
// log-uniform) that keeps through idle periods with probability hot_keep_idle; every other
// point is delayed only with probability cold_num/cold_den. Unfocused, a delay at an
// earlier, unrelated point (the shrinker's walk passes every rdp) usually pushes the actor
// past the window, and with one delayed actor at a time the enqueuers' delays take the slot;
// focused, one well-placed delay is likely. Measured on held-out-shaped scenarios (8 to 64
// CPUs, streams on every CPU): S1/S2 lock-imbalance in 1-6% of seeds instead of 0-0.1%.
struct RandomParams {
    std::uint64_t res_num = 1, res_den = 2;
    std::uint64_t plain_num = 1, plain_den = 32;
    std::uint64_t keep_idle_num = 1, keep_idle_den = 8;
    unsigned log2_max = 8;
    std::uint64_t focus_num = 1, focus_den = 2;
    std::uint64_t hot_num = 1, hot_den = 1;
    std::uint64_t cold_num = 1, cold_den = 1024;
    std::uint64_t hot_j_max = 8;
    std::uint64_t hot_keep_idle_num = 1, hot_keep_idle_den = 2;
};

std::uint64_t draw_delay(Prng& rng, const RandomParams& p, bool has_resource);

class RandomStrategy final : public Strategy {
   public:
    explicit RandomStrategy(std::uint64_t seed, RandomParams p = {});
    std::uint64_t pick(std::uint64_t, std::span<const ActorId> runq, const Simulator&) override {
        return pick_.below(runq.size());
    }
    bool peek_picks(std::uint64_t n, std::uint64_t* two) const override {
        Prng copy = pick_;
        two[0] = copy.below(n);
        two[1] = copy.below(n);
        return true;
    }
    std::uint64_t delay(std::uint64_t, const Actor& a, const Simulator& sim) override;
    bool focused() const { return focused_; }

   private:
    RandomParams p_;
    Prng pick_;
    Prng delay_;
    bool focused_ = false;
};

// Rules for hand-written interleavings (tests, tutorials): "when actor A reaches the point
// labelled L (label prefix) for the n-th time, hold it for j touches" and "when actor A is
// runnable at L, step it first". Picks not covered by a rule take index 0 (or a seeded
// random pick when seed_picks is set), delays not covered are 0.
struct Rule {
    std::string actor;
    std::string label;  // prefix of the point label
    int nth = 1;        // occurrence of that point for that actor (1-based)
    std::uint64_t delay = 0;   // touches to wait for (0: no delay rule)
    bool keep_idle = false;
    bool prefer = false;       // pick this actor first when it is runnable at the point
};

class RuleStrategy final : public Strategy {
   public:
    explicit RuleStrategy(std::vector<Rule> rules, std::optional<std::uint64_t> seed_picks = {});
    std::uint64_t pick(std::uint64_t point, std::span<const ActorId> runq,
                       const Simulator& sim) override;
    std::uint64_t delay(std::uint64_t point, const Actor& a, const Simulator& sim) override;
    // Which rules fired (same order as given).
    const std::vector<int>& fired() const { return fired_; }

   private:
    std::vector<Rule> rules_;
    std::vector<int> fired_;
    std::vector<std::vector<std::pair<ActorId, int>>> seen_;  // per rule: occurrences per actor
    std::optional<Prng> rng_;
};

}  // namespace rcusim::engine
