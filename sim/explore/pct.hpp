// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, "A Randomized Scheduler with
// Probabilistic Guarantees of Finding Bugs", ASPLOS 2010), adapted to timed actors.
//
// Each actor gets a random distinct priority when first seen (initial priorities d..d+n);
// among the actors runnable at an instant the highest priority steps. d-1 change points are
// drawn uniformly over the expected k steps; when the i-th is reached, the actor that
// steps there drops to priority i-1 (below every initial priority) and, because a priority
// alone cannot hold an actor back across virtual time, it is also delayed for a random
// number (1..16) of touches of the resource its next step declared: the timed analogue of
// "it runs only when nothing of higher priority can". A bug of depth d is found with
// probability at least 1/(n * k^(d-1)) per run.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/decision.hpp"
#include "engine/prng.hpp"

namespace rcusim::explore {

class PctStrategy final : public engine::Strategy {
   public:
    PctStrategy(std::uint64_t seed, int depth, std::uint64_t k_steps, int n_actors_hint);
    std::uint64_t pick(std::uint64_t point, std::span<const engine::ActorId> runq,
                       const engine::Simulator& sim) override;
    std::uint64_t delay(std::uint64_t point, const engine::Actor& a,
                        const engine::Simulator& sim) override;

   private:
    std::int64_t priority(engine::ActorId a);
    engine::Prng rng_;
    int depth_;
    std::vector<std::uint64_t> change_points_;  // sorted step numbers
    std::size_t next_change_ = 0;
    std::vector<std::int64_t> prio_;  // by actor id; 0 = unassigned
    std::int64_t next_initial_;
};

// Per-run lower bound of finding a depth-d bug, and runs needed for 99%.
struct PctGuarantee {
    double per_run = 0;
    double runs_for_99 = 0;
};
PctGuarantee pct_guarantee(int n, std::uint64_t k, int d);

}  // namespace rcusim::explore
