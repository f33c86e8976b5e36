// Models: rcu_nocb_cpu_offload() / rcu_nocb_cpu_deoffload() and their per-CPU work
// rcu_nocb_rdp_offload() / rcu_nocb_rdp_deoffload() with rdp_offload_toggle()
// (kernel/rcu/tree_nocb.h, v6.3; MODEL.md §3.8, §3.9), run through work_on_cpu().
// Simplification: cpus_read_lock() never blocks (no hotplug writer is modelled); the target
// CPU is always online; the kworker is spawned per work item (with toggle_allocates it
// allocates first, as creating a worker would, MODEL.md §6 S3).
#include <string>

#include "kernel/kernel.hpp"

namespace rcusim::kernel {

using engine::TraceType;

Task<void> Kernel::toggler_actor(Actor& self, CpuId target, bool offload) {
    const char* fn = offload ? "rcu_nocb_cpu_offload" : "rcu_nocb_cpu_deoffload";
    op_begin(self, fn);
    // The target rdp's locks are hot while it is toggled (a hint for the random strategy's
    // focused runs; it changes no behaviour of the model).
    Rdp& rdp = this->rdp(target);
    sim_.heat(rdp.nocb_lock.resource(), 1);
    sim_.heat(rdp.nocb_bypass_lock.resource(), 1);
    co_await sim_.point(self, "cpus_read_lock", target);
    co_await mutex_lock(self, barrier_mutex_, fn);
    toggler_holds_barrier_mutex_ = true;
    int ret = 0;
    const bool offloaded = rdp.flags & kLocking;  // rcu_rdp_is_offloaded()
    if (offload != offloaded) {
        if (rdp.online) {
            rdp.toggling = offload ? 1 : -1;  // coverage goals: the toggle's window opens
            co_await work_on_cpu(self, target, offload, &ret);
            if (ret == 0) nocb_mask_[static_cast<std::size_t>(target)] = offload;
            rdp.toggling = 0;
        } else {
            ret = -22;  // -EINVAL
        }
    }
    sim_.emit({.type = TraceType::kNote, .cpu = self.cpu, .actor = self.id, .name = fn,
               .idx = target, .value = ret});
    co_await sim_.point(self, "mutex_unlock(barrier_mutex)", target);
    toggler_holds_barrier_mutex_ = false;
    mutex_unlock(self, barrier_mutex_);
    sim_.heat(rdp.nocb_lock.resource(), -1);
    sim_.heat(rdp.nocb_bypass_lock.resource(), -1);
    op_end(self);
}

Task<void> Kernel::work_on_cpu(Actor& self, CpuId target, bool offload, int* ret) {
    bool done = false;
    ActorId w = spawn("kworker/" + std::to_string(target), target, Task<void>{}, 0);
    Actor& wa = sim_.actor(w);
    sim_.start(w, offload ? offload_work(wa, target, ret, &done, self.id)
                          : deoffload_work(wa, target, ret, &done, self.id),
               sim_.now() + cfg_.wake_latency);
    ctx(self).waiting_actor = w;
    if (obs_) obs_->waits_for(self, w);
    while (!done) co_await sim_.block(self, completion_wq_, "work_on_cpu: wait_for_completion", target);
    ctx(self).waiting_actor = kNoActor;
}

// Models: rdp_offload_toggle() after its flag update: unlock, wake rcuo, queue the rdp in
// the group's toggling slot and clear the rcuog sleep flag.
Task<void> Kernel::rdp_offload_toggle(Actor& self, Rdp& rdp, bool offload, bool at_lock,
                                      bool* wake_gp) {
    Group& g = groups_[static_cast<std::size_t>(rdp.group)];
    if (offload) set_flags(self, rdp, kLocking | kOffloaded, 0);
    else set_flags(self, rdp, 0, kOffloaded);
    rdp.nocb_cb_sleep = false;
    co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "rdp_offload_toggle");
    sim_.wake_all(rdp.nocb_cb_wq, cfg_.wake_latency);  // swake_up_one(&rdp->nocb_cb_wq)
    sim_.irq_disable(self);
    co_await raw_spin_lock(self, g.nocb_gp_lock, "rdp_offload_toggle: queue toggling rdp");
    g.toggling_rdp = rdp.cpu;
    *wake_gp = g.nocb_gp_sleep;
    g.nocb_gp_sleep = false;
    raw_spin_unlock(self, g.nocb_gp_lock);
    sim_.irq_enable(self);
}

// Models: rcu_nocb_rdp_deoffload() (D1-D5).
Task<void> Kernel::deoffload_work(Actor& self, CpuId target, int* ret, bool* done, ActorId waiter) {
    op_begin(self, "rcu_nocb_rdp_deoffload");
    if (sw().toggle_allocates) co_await alloc(self);
    Rdp& rdp = this->rdp(target);
    Group& g = groups_[static_cast<std::size_t>(rdp.group)];
    // D1: flush the bypass once and for all, then RCU_CORE on, OFFLOADED off, atomically.
    bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "rcu_nocb_rdp_deoffload: D1 flush bypass");
    if (rdp.lazy_in_bypass > 0) goal(Goal::kDeoffloadWithLazyCallbacks);
    bool ok = co_await rcu_nocb_flush_bypass(self, rdp, -1, jiffies(), false);
    if (!ok && obs_) obs_->kernel_note(self, "flush-failed", rdp.cpu, "D1 flush failed");
    co_await sim_.point(self, "rcu_nocb_rdp_deoffload: D1 set RCU_CORE, clear OFFLOADED", target);
    set_flags(self, rdp, kRcuCore, 0);
    invoke_rcu_core(rdp);
    if (!rdp.cblist.empty()) note_core_cbs(rdp);
    bool wake_gp = false;
    co_await rdp_offload_toggle(self, rdp, false, locked, &wake_gp);
    // D3: wait for rcuo and rcuog to acknowledge.
    co_await mutex_lock(self, g.nocb_gp_kthread_mutex, "rcu_nocb_rdp_deoffload: D3");
    if (wake_gp) wake_rcuog(g);
    while (rdp.flags & (kKthreadCb | kKthreadGp))
        co_await sim_.block(self, rdp.nocb_state_wq, "swait_event_exclusive(nocb_state_wq)", target);
    mutex_unlock(self, g.nocb_gp_kthread_mutex);
    // D4: lock one last time, clear LOCKING, release the raw lock directly.
    locked = co_await rcu_nocb_lock_irqsave(self, rdp, "rcu_nocb_rdp_deoffload: D4 clear LOCKING");
    set_flags(self, rdp, 0, kLocking);
    if (locked) raw_spin_unlock(self, rdp.nocb_lock);
    sim_.irq_enable(self);
    emit_rdp_counters(rdp);
    // D5: sanity check.
    if (!rdp.bypass.empty() && obs_)
        obs_->kernel_warn(self, "lazy-len", target, "WARN_ON_ONCE(rcu_cblist_n_cbs(&rdp->nocb_bypass))"
                                                   " after de-offload");
    *ret = 0;
    op_end(self);
    *done = true;
    sim_.wake_actor(waiter, cfg_.wake_latency);
}

// Models: rcu_nocb_rdp_offload() (O0-O4).
Task<void> Kernel::offload_work(Actor& self, CpuId target, int* ret, bool* done, ActorId waiter) {
    op_begin(self, "rcu_nocb_rdp_offload");
    if (sw().toggle_allocates) co_await alloc(self);
    Rdp& rdp = this->rdp(target);
    // O0: re-offload only: the rdp must have a group with an rcuog.
    if (rdp.group < 0 || groups_[static_cast<std::size_t>(rdp.group)].rcuog == kNoActor) {
        *ret = -22;
    } else {
        Group& g = groups_[static_cast<std::size_t>(rdp.group)];
        // O1: raw lock (the conditional helper cannot be used before LOCKING is set).
        co_await sim_.point(self, "rcu_nocb_rdp_offload: raw_spin_lock_irqsave", target,
                            rdp.nocb_lock.resource());
        sim_.irq_disable(self);
        co_await raw_spin_lock(self, rdp.nocb_lock, "rcu_nocb_rdp_offload: O1 set LOCKING|OFFLOADED");
        bool wake_gp = false;
        co_await rdp_offload_toggle(self, rdp, true, true, &wake_gp);
        if (wake_gp) wake_rcuog(g);
        // O3: wait for both kthreads.
        while (!((rdp.flags & kKthreadCb) && (rdp.flags & kKthreadGp)))
            co_await sim_.block(self, rdp.nocb_state_wq, "swait_event_exclusive(nocb_state_wq)", target);
        // O4: relieve rcu_core(), enable the bypass.
        bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "rcu_nocb_rdp_offload: O4 clear RCU_CORE");
        set_flags(self, rdp, 0, kRcuCore);
        co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "rcu_nocb_rdp_offload");
        emit_rdp_counters(rdp);
        *ret = 0;
    }
    op_end(self);
    *done = true;
    sim_.wake_actor(waiter, cfg_.wake_latency);
}

}  // namespace rcusim::kernel
