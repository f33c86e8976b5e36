#include "explore/pct.hpp"

#include <algorithm>
#include <cmath>

#include "engine/simulator.hpp"

namespace rcusim::explore {

PctStrategy::PctStrategy(std::uint64_t seed, int depth, std::uint64_t k_steps, int n_hint)
    : rng_(seed, "sched.pct"), depth_(std::max(1, depth)) {
    const std::uint64_t k = std::max<std::uint64_t>(k_steps, 1);
    for (int i = 0; i < depth_ - 1; ++i) change_points_.push_back(1 + rng_.below(k));
    std::sort(change_points_.begin(), change_points_.end());
    next_initial_ = depth_;
    prio_.reserve(static_cast<std::size_t>(std::max(n_hint, 16)));
}

std::int64_t PctStrategy::priority(engine::ActorId a) {
    auto i = static_cast<std::size_t>(a);
    if (prio_.size() <= i) prio_.resize(i + 1, 0);
    if (prio_[i] == 0) {
        // A random distinct initial priority >= depth: insert at a random rank by drawing a
        // large random value (ties are broken by actor id in pick()).
        prio_[i] = depth_ + 1 + static_cast<std::int64_t>(rng_.below(1u << 30));
    }
    return prio_[i];
}

std::uint64_t PctStrategy::pick(std::uint64_t, std::span<const engine::ActorId> runq,
                                const engine::Simulator&) {
    std::size_t best = 0;
    std::int64_t best_p = -1;
    for (std::size_t i = 0; i < runq.size(); ++i) {
        std::int64_t p = priority(runq[i]);
        if (p > best_p || (p == best_p && runq[i] < runq[best])) {
            best = i;
            best_p = p;
        }
    }
    return best;
}

std::uint64_t PctStrategy::delay(std::uint64_t, const engine::Actor& a,
                                 const engine::Simulator& sim) {
    // The change point is reached by the step about to run (steps() + 1).
    const std::uint64_t step = sim.steps() + 1;
    if (next_change_ >= change_points_.size() || step < change_points_[next_change_]) return 0;
    while (next_change_ < change_points_.size() && change_points_[next_change_] <= step)
        ++next_change_;
    priority(a.id);
    prio_[static_cast<std::size_t>(a.id)] = static_cast<std::int64_t>(next_change_);  // 1..d-1
    return 1 + rng_.below(16);
}

PctGuarantee pct_guarantee(int n, std::uint64_t k, int d) {
    PctGuarantee g;
    double p = 1.0 / (static_cast<double>(std::max(n, 1)) *
                      std::pow(static_cast<double>(std::max<std::uint64_t>(k, 1)), d - 1));
    g.per_run = p;
    g.runs_for_99 = p >= 1 ? 1 : std::ceil(std::log(0.01) / std::log1p(-p));
    return g;
}

}  // namespace rcusim::explore
