// Models: lazy_rcu_shrink_count() / lazy_rcu_shrink_scan() (kernel/rcu/tree_nocb.h) in the
// variants of MODEL.md §4: V0 (v6.2-v6.4, [M20]), V1 (patch 1 v1, mutex_lock), V2 (patch 1
// as merged in 5c83cedbaaad, mutex_trylock), V3 (Frederic's force-lock + re-check), and the
// switches P2 (flush instead of lazy_len = 0, 7625926086765), P3 (re-check under nocb_lock,
// b96a8b0b5be4), P4 (count() trylocks too, both walk rcu_nocb_mask, fbde57d2d299) and L1
// (try-flush, dda98810b552).
// Simplification: count() reads every lazy_len in one atomic step (a stale sum is harmless;
// the races of interest are in scan()).
#include "kernel/kernel.hpp"

namespace rcusim::kernel {

Task<std::int64_t> Kernel::lazy_rcu_shrink_count(Actor& self) {
    co_await sim_.point(self, "lazy_rcu_shrink_count");
    if (ctx(self).in_reclaim && toggler_holds_barrier_mutex_) goal(Goal::kReclaimWhileToggling);
    std::int64_t count = 0;
    if (sw().p4) {
        if (!mutex_trylock(self, barrier_mutex_, "lazy_rcu_shrink_count")) {
            goal(Goal::kBarrierMutexTrylockFailed);
            co_return 0;
        }
        for (CpuId c = 0; c < ncpus(); ++c)
            if (nocb_mask_[static_cast<std::size_t>(c)]) count += rdp(c).lazy_len;
        mutex_unlock(self, barrier_mutex_);
    } else {
        for (CpuId c = 0; c < ncpus(); ++c) count += rdp(c).lazy_len;
    }
    co_return count;  // 0 stands for SHRINK_EMPTY
}

// The V0/V1/V2 body for one rdp, with P2/P3/L1 applied. Returns the count taken (0: none).
Task<std::int64_t> Kernel::shrink_scan_one(Actor& self, Rdp& rdp, std::int64_t lockless,
                                           bool* skip) {
    *skip = false;
    bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "lazy_rcu_shrink_scan: under nocb_lock");
    goal_shrinker_sees(rdp);
    if (rdp.lazy_len == 0 || rdp.bypass.empty()) goal(Goal::kStaleLazyLen);
    // V0-V2 count the lockless value; P3 re-reads it under the nocb lock.
    std::int64_t count = sw().p3 ? rdp.lazy_len : lockless;
    if (sw().p3 && count == 0) {
        co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "lazy_rcu_shrink_scan");
        *skip = true;
        co_return 0;
    }
    if (sw().p2 && (rdp.flags & kLocking)) {
        if (sw().l1) {
            // rcu_nocb_try_flush_bypass(): the effect is decided at the trylock.
            co_await sim_.point(self, "rcu_nocb_try_flush_bypass: trylock", rdp.cpu,
                                rdp.nocb_bypass_lock.resource());
            const bool got = raw_spin_trylock(self, rdp.nocb_bypass_lock, "bypass");
            if (!got) goal_try_flush_skipped(self, rdp);
            if (obs_)
                obs_->shrinker_acted(self, rdp,
                                     got ? ShrinkAction::kFlushed : ShrinkAction::kTryFlushSkipped,
                                     count);
            if (got) rcu_nocb_do_flush_bypass(self, rdp, -1, jiffies(), false);
        } else {
            // rcu_nocb_flush_bypass(): may spin on the bypass lock first (S7).
            co_await rcu_nocb_bypass_lock(self, rdp);
            co_await sim_.point(self, "rcu_nocb_do_flush_bypass", rdp.cpu);
            if (obs_) obs_->shrinker_acted(self, rdp, ShrinkAction::kFlushed, count);
            rcu_nocb_do_flush_bypass(self, rdp, -1, jiffies(), false);
        }
    } else if (sw().p2) {
        // rcu_nocb_flush_bypass() on an rdp that is not LOCKING: returns true, does nothing.
    } else {
        if (obs_) obs_->shrinker_acted(self, rdp, ShrinkAction::kResetLazyLen, count);
        write_lazy_len(self, rdp, 0);  // WRITE_ONCE(rdp->lazy_len, 0), bypass lock NOT held
    }
    co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "lazy_rcu_shrink_scan");
    co_await wake_nocb_gp(self, rdp, false);
    co_return count;
}

// V3: raw_spin_lock_irqsave(&rdp->nocb_lock); if (!rcu_rdp_is_offloaded(rdp)) { unlock;
// continue; } ... rcu_nocb_unlock_irqrestore() (stable: LOCKING flips only under this lock).
Task<void> Kernel::shrink_v3_one(Actor& self, Rdp& rdp, std::int64_t* freed, std::int64_t* nr) {
    std::int64_t k = rdp.lazy_len;
    if (k == 0) co_return;
    co_await sim_.point(self, "lazy_rcu_shrink_scan: raw_spin_lock_irqsave", rdp.cpu,
                        rdp.nocb_lock.resource());
    sim_.irq_disable(self);
    co_await raw_spin_lock(self, rdp.nocb_lock, "lazy_rcu_shrink_scan: re-check offloaded");
    goal_shrinker_sees(rdp);
    if (!(rdp.flags & kLocking)) {
        raw_spin_unlock(self, rdp.nocb_lock);
        sim_.irq_enable(self);
        co_return;
    }
    // The lock-time check passed under the raw lock (LOCKING flips only under it); the
    // unlock-time check is in rcu_nocb_unlock_irqrestore().
    ++rdp.shrinker_checks;
    if (rdp.lazy_len == 0 || rdp.bypass.empty()) goal(Goal::kStaleLazyLen);
    if (sw().p3) {
        k = rdp.lazy_len;
        if (k == 0) {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, true, "lazy_rcu_shrink_scan");
            co_return;
        }
    }
    if (sw().p2) {
        if (sw().l1) {
            const bool got = raw_spin_trylock(self, rdp.nocb_bypass_lock, "bypass");
            if (!got) goal_try_flush_skipped(self, rdp);
            if (obs_)
                obs_->shrinker_acted(self, rdp,
                                     got ? ShrinkAction::kFlushed : ShrinkAction::kTryFlushSkipped, k);
            if (got) rcu_nocb_do_flush_bypass(self, rdp, -1, jiffies(), false);
        } else {
            co_await rcu_nocb_bypass_lock(self, rdp);
            co_await sim_.point(self, "rcu_nocb_do_flush_bypass", rdp.cpu);
            if (obs_) obs_->shrinker_acted(self, rdp, ShrinkAction::kFlushed, k);
            rcu_nocb_do_flush_bypass(self, rdp, -1, jiffies(), false);
        }
    } else {
        if (obs_) obs_->shrinker_acted(self, rdp, ShrinkAction::kResetLazyLen, k);
        write_lazy_len(self, rdp, 0);
    }
    co_await rcu_nocb_unlock_irqrestore(self, rdp, true, "lazy_rcu_shrink_scan");
    co_await wake_nocb_gp(self, rdp, false);
    *freed += k;
    *nr -= k;
}

Task<std::int64_t> Kernel::lazy_rcu_shrink_scan(Actor& self, std::int64_t nr_to_scan) {
    op_begin(self, "lazy_rcu_shrink_scan");
    ctx(self).in_shrink_scan = true;
    co_await sim_.point(self, "lazy_rcu_shrink_scan");
    const ShrinkerBase base = sw().shrinker;
    bool mutex_held = false;
    if (base == ShrinkerBase::kV1) {
        co_await mutex_lock(self, barrier_mutex_, "lazy_rcu_shrink_scan");
        mutex_held = true;
    } else if (base == ShrinkerBase::kV2) {
        if (!mutex_trylock(self, barrier_mutex_, "lazy_rcu_shrink_scan")) {
            goal(Goal::kBarrierMutexTrylockFailed);
            if (obs_) obs_->kernel_note(self, "trylock-failed", -1, "barrier_mutex contended");
            ctx(self).in_shrink_scan = false;
            op_end(self);
            co_return 0;
        }
        mutex_held = true;
    }
    std::int64_t freed = 0;
    std::uint64_t nr_left = static_cast<std::uint64_t>(nr_to_scan);
    for (CpuId cpu = 0; cpu < ncpus(); ++cpu) {
        if (sw().p4 && !nocb_mask_[static_cast<std::size_t>(cpu)]) continue;
        Rdp& rdp = this->rdp(cpu);
        co_await sim_.point(self, "lazy_rcu_shrink_scan: READ_ONCE(rdp->lazy_len)", cpu);
        goal_shrinker_sees(rdp);
        // P4's WARN comes first in the loop body, also for V3 walking the mask (the
        // combination Frederic objected to, MODEL.md S9).
        if (sw().p4 && !(rdp.flags & kLocking)) {
            if (obs_)
                obs_->kernel_warn(self, "mask-mismatch", cpu,
                                  "WARN_ON_ONCE(!rcu_rdp_is_offloaded(rdp)) in "
                                  "lazy_rcu_shrink_scan(): CPU " + std::to_string(cpu) +
                                  " is in rcu_nocb_mask but not offloaded");
            continue;
        }
        if (base == ShrinkerBase::kV3) {
            std::int64_t before = freed;
            co_await shrink_v3_one(self, rdp, &freed, &nr_to_scan);
            nr_left -= static_cast<std::uint64_t>(freed - before);
            if (freed != before && nr_left == 0) break;
            continue;
        }
        if (base != ShrinkerBase::kV0 && !(rdp.flags & kLocking)) continue;
        std::int64_t lockless = rdp.lazy_len;
        if (lockless == 0) continue;
        bool skip = false;
        std::int64_t count = co_await shrink_scan_one(self, rdp, lockless, &skip);
        if (skip) continue;
        // struct shrink_control::nr_to_scan is unsigned long: "<= 0" only holds at exactly 0,
        // an overshoot wraps around and the walk goes on over the remaining CPUs.
        nr_left -= static_cast<std::uint64_t>(count);
        freed += count;
        if (nr_left == 0) break;
    }
    if (mutex_held) mutex_unlock(self, barrier_mutex_);
    ctx(self).in_shrink_scan = false;
    op_end(self);
    co_return freed;
}

}  // namespace rcusim::kernel
