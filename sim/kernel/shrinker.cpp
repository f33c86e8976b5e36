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
    std::int64_t count = 0;
    if (sw().p4) {
        if (!mutex_trylock(self, barrier_mutex_, "lazy_rcu_shrink_count")) co_return 0;
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
    // V0-V2 count the lockless value; P3 re-reads it under the nocb lock.
    std::int64_t count = sw().p3 ? rdp.lazy_len : lockless;
    if (sw().p3 && count == 0) {
        co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "lazy_rcu_shrink_scan");
        *skip = true;
        co_return 0;
    }
    if (sw().p2) {
        if (sw().l1) {
            bool busy = rdp.nocb_bypass_lock.locked;
            if (obs_)
                obs_->shrinker_acted(self, rdp,
                                     busy ? ShrinkAction::kTryFlushSkipped : ShrinkAction::kFlushed,
                                     count);
            co_await rcu_nocb_try_flush_bypass(self, rdp, jiffies());
        } else {
            if (obs_) obs_->shrinker_acted(self, rdp, ShrinkAction::kFlushed, count);
            bool ok = co_await rcu_nocb_flush_bypass(self, rdp, -1, jiffies(), false);
            if (!ok && obs_) obs_->kernel_note(self, "flush-failed", rdp.cpu, "flush failed");
        }
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
    if (!(rdp.flags & kLocking)) {
        raw_spin_unlock(self, rdp.nocb_lock);
        sim_.irq_enable(self);
        co_return;
    }
    if (sw().p3) {
        k = rdp.lazy_len;
        if (k == 0) {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, true, "lazy_rcu_shrink_scan");
            co_return;
        }
    }
    if (sw().p2) {
        if (obs_) obs_->shrinker_acted(self, rdp, ShrinkAction::kFlushed, k);
        if (sw().l1) co_await rcu_nocb_try_flush_bypass(self, rdp, jiffies());
        else co_await rcu_nocb_flush_bypass(self, rdp, -1, jiffies(), false);
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
    co_await sim_.point(self, "lazy_rcu_shrink_scan");
    const ShrinkerBase base = sw().shrinker;
    bool mutex_held = false;
    if (base == ShrinkerBase::kV1) {
        co_await mutex_lock(self, barrier_mutex_, "lazy_rcu_shrink_scan");
        mutex_held = true;
    } else if (base == ShrinkerBase::kV2) {
        if (!mutex_trylock(self, barrier_mutex_, "lazy_rcu_shrink_scan")) {
            if (obs_) obs_->kernel_note(self, "trylock-failed", -1, "barrier_mutex contended");
            op_end(self);
            co_return 0;
        }
        mutex_held = true;
    }
    std::int64_t freed = 0;
    for (CpuId cpu = 0; cpu < ncpus(); ++cpu) {
        if (sw().p4 && !nocb_mask_[static_cast<std::size_t>(cpu)]) continue;
        Rdp& rdp = this->rdp(cpu);
        co_await sim_.point(self, "lazy_rcu_shrink_scan: READ_ONCE(rdp->lazy_len)", cpu);
        if (base == ShrinkerBase::kV3) {
            co_await shrink_v3_one(self, rdp, &freed, &nr_to_scan);
            if (nr_to_scan <= 0) break;
            continue;
        }
        if (sw().p4 && !(rdp.flags & kLocking)) {
            if (obs_)
                obs_->kernel_warn(self, "mask-mismatch", cpu,
                                  "WARN_ON_ONCE(!rcu_rdp_is_offloaded(rdp)) in "
                                  "lazy_rcu_shrink_scan(): CPU " + std::to_string(cpu) +
                                  " is in rcu_nocb_mask but not offloaded");
            continue;
        }
        if (base != ShrinkerBase::kV0 && !(rdp.flags & kLocking)) continue;
        std::int64_t lockless = rdp.lazy_len;
        if (lockless == 0) continue;
        bool skip = false;
        std::int64_t count = co_await shrink_scan_one(self, rdp, lockless, &skip);
        if (skip) continue;
        nr_to_scan -= count;
        freed += count;
        if (nr_to_scan <= 0) break;
    }
    if (mutex_held) mutex_unlock(self, barrier_mutex_);
    op_end(self);
    co_return freed;
}

}  // namespace rcusim::kernel
