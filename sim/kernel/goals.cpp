// The coverage goals of the model (goals.hpp): names, the scenario windows they mark and
// where the kernel model counts them.
#include "kernel/goals.hpp"

namespace rcusim::kernel {

namespace {

// Where each is counted: shrinker.cpp (scan / count), toggle.cpp (D1), kernel.cpp (the
// enqueue's lazy_len read-modify-write, bypass locking, try-flush, deferred wake, entrain).
constexpr std::array<GoalInfo, kGoalCount> kGoals{{
    {Goal::kShrinkerInDeoffload, "shrinker-in-deoffload", "S1, S9",
     "the shrinker's scan read lazy_len of, or locked, an rdp while a de-offload of it was in "
     "progress (barrier_mutex taken .. rcu_nocb_mask updated)",
     "mask-mismatch lockset lazy-len"},
    {Goal::kShrinkerInOffload, "shrinker-in-offload", "S2",
     "the shrinker's scan read lazy_len of, or locked, an rdp while an offload of it was in "
     "progress (barrier_mutex taken .. rcu_nocb_mask updated)",
     "lockset lazy-len"},
    {Goal::kLockingFlippedUnderShrinker, "locking-flipped-under-shrinker", "S1, S2, S5",
     "SEGCBLIST_LOCKING of an rdp changed between the shrinker's lock-time check and its "
     "unlock-time check of that rdp",
     "lock-imbalance mutual-exclusion deadlock lockset lazy-len"},
    {Goal::kBarrierMutexTrylockFailed, "barrier-mutex-trylock-failed", "S4",
     "the shrinker's mutex_trylock(barrier_mutex) failed (V2 scan, or P4 count)", ""},
    {Goal::kReclaimWhileToggling, "reclaim-while-toggling", "S3",
     "reclaim entered the shrinker while a (de-)offload held barrier_mutex",
     "reclaim-blocks deadlock"},
    {Goal::kEnqueueRacedShrinkerReset, "enqueue-raced-shrinker-reset", "S6",
     "lazy_len was written between a lazy enqueue's read of it and its write of the "
     "increment (only a writer without the bypass lock can: the V0 reset)",
     "shrinker-ineffective"},
    {Goal::kStaleLazyLen, "stale-lazy-len", "S8",
     "the shrinker read lazy_len > 0 locklessly, then found lazy_len 0 or the bypass empty "
     "at its lock-time check (under nocb_lock, or without it on a de-offloaded rdp)",
     "shrinker-overcount"},
    {Goal::kBypassLockRemoteContended, "bypass-lock-remote-contended", "S7",
     "the shrinker's flush of a remote rdp found its nocb_bypass_lock held (P2 spins and "
     "WARNs; L1 skips)",
     "bypass-contention"},
    {Goal::kTryFlushSkipped, "try-flush-skipped", "S6, S7",
     "rcu_nocb_try_flush_bypass() skipped a flush because nocb_bypass_lock was held (the L1 "
     "shrinker, or rcuog's pass)",
     "shrinker-ineffective"},
    {Goal::kLazyRequestWhileWakePending, "lazy-request-while-wake-pending", "S11",
     "wake_nocb_gp_defer(LAZY) was called while the group's deferred wake was WAKE or FORCE",
     "deferred-wake latency"},
    {Goal::kBarrierEntrainNeedsWake, "barrier-entrain-needs-wake", "S10",
     "rcu_barrier() entrained into an offloaded rdp whose callbacks were all in the bypass: "
     "none pending before the entrain's flush, some after (rcuog must be woken)",
     "stranded-callbacks latency"},
    {Goal::kDeoffloadWithLazyCallbacks, "deoffload-with-lazy-callbacks", "S1 (I5)",
     "de-offload's D1 flushed a bypass holding lazy callbacks", "lazy-len"},
}};

constexpr bool in_order() {
    for (std::size_t i = 0; i < kGoalCount; ++i)
        if (static_cast<std::size_t>(kGoals[i].goal) != i) return false;
    return true;
}
static_assert(in_order(), "kGoals must list the goals in enum order");

}  // namespace

const std::array<GoalInfo, kGoalCount>& goal_infos() { return kGoals; }

const GoalInfo& goal_info(Goal g) { return kGoals[static_cast<std::size_t>(g)]; }

std::optional<Goal> goal_by_name(std::string_view name) {
    for (const auto& g : kGoals)
        if (name == g.name) return g.goal;
    return std::nullopt;
}

bool goal_marks_window_of(Goal g, std::string_view kind) {
    std::string_view list = goal_info(g).window_of;
    while (!list.empty()) {
        const auto sp = list.find(' ');
        if (list.substr(0, sp) == kind) return true;
        if (sp == std::string_view::npos) break;
        list.remove_prefix(sp + 1);
    }
    return false;
}

}  // namespace rcusim::kernel
