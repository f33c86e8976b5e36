// Models: kernel/rcu/tree_nocb.h (v6.3, torvalds/linux 5c83cedbaaad) and the nocb parts of
// kernel/rcu/tree.c: locks and conditional nocb locking, call_rcu through the bypass,
// bypass flushing, rcuog / rcuo, the deferred-wakeup timer, the grace-period abstraction
// (MODEL.md §3.12), rcu_core for de-offloaded CPUs, rcu_barrier and reclaim.
#include "kernel/kernel.hpp"

#include <algorithm>
#include <cmath>

namespace rcusim::kernel {

using engine::TraceEvent;
using engine::TraceType;

#define KASSERT(cond) RCUSIM_ASSERT_SIM(&sim_, cond)

std::string flags_string(std::uint32_t f) {
    static const std::pair<std::uint32_t, const char*> names[] = {
        {kEnabled, "ENABLED"},      {kRcuCore, "RCU_CORE"},     {kLocking, "LOCKING"},
        {kOffloaded, "OFFLOADED"},  {kKthreadCb, "KTHREAD_CB"}, {kKthreadGp, "KTHREAD_GP"},
    };
    std::string out;
    for (auto& [bit, name] : names) {
        if (!(f & bit)) continue;
        if (!out.empty()) out += '|';
        out += name;
    }
    return out.empty() ? "0" : out;
}

const char* wake_level_name(int level) {
    switch (level) {
        case kWakeNot: return "NOT";
        case kWakeBypass: return "BYPASS";
        case kWakeLazy: return "LAZY";
        case kWake: return "WAKE";
        case kWakeForce: return "FORCE";
    }
    return "?";
}

const char* lock_kind_name(LockKind k) {
    switch (k) {
        case LockKind::kNocbLock: return "nocb_lock";
        case LockKind::kNocbBypassLock: return "nocb_bypass_lock";
        case LockKind::kNocbGpLock: return "nocb_gp_lock";
        case LockKind::kBarrierLock: return "barrier_lock";
        case LockKind::kBarrierMutex: return "barrier_mutex";
        case LockKind::kNocbGpKthreadMutex: return "nocb_gp_kthread_mutex";
        case LockKind::kHotplugLock: return "cpu_hotplug_lock";
    }
    return "?";
}

std::string Lock::display() const {
    std::string s = lock_kind_name(kind);
    if (idx >= 0) {
        s += '[';
        s += std::to_string(idx);
        s += ']';
    }
    return s;
}

namespace {
Lock make_lock(LockKind k, int idx, bool sleeping = false) {
    Lock l;
    l.kind = k;
    l.idx = idx;
    l.sleeping = sleeping;
    return l;
}
int int_sqrt(int n) {
    int r = 0;
    while ((r + 1) * (r + 1) <= n) ++r;
    return r;
}
}  // namespace

Kernel::Kernel(Simulator& sim, Config cfg) : sim_(sim), cfg_(std::move(cfg)) {
    tick_ = engine::kSec / cfg_.hz;
    nobypass_lim_ = 16 * 1000 / cfg_.hz;  // nocb_nobypass_lim_per_jiffy
    if (nobypass_lim_ < 1) nobypass_lim_ = 1;
    barrier_mutex_ = make_lock(LockKind::kBarrierMutex, -1, true);
    barrier_lock_ = make_lock(LockKind::kBarrierLock, -1);
    hotplug_lock_ = make_lock(LockKind::kHotplugLock, -1, true);
    sim_.set_prefetch_hook(&Kernel::prefetch_cb, this);
}

Kernel::~Kernel() { sim_.set_prefetch_hook(nullptr, nullptr); }

// The actor's context, and the rdp its next step probably works on: the one its step label
// names (locks, scans: the argument is the rdp's CPU), else its own CPU's. The whole rdp is
// a few lines.
void Kernel::prefetch_cb(void* ctx, CpuId cpu, std::int32_t label_arg, const void* user) {
    const auto* k = static_cast<const Kernel*>(ctx);
    if (user) {
        const auto* u = static_cast<const char*>(user);
        for (std::size_t off = 0; off < sizeof(Ctx); off += 64) __builtin_prefetch(u + off);
    }
    const auto n = static_cast<std::int32_t>(k->rdps_.size());
    const CpuId c = label_arg >= 0 && label_arg < n ? label_arg : cpu;
    if (c < 0 || c >= n) return;
    const auto* p = reinterpret_cast<const char*>(k->rdps_[static_cast<std::size_t>(c)].get());
    for (std::size_t off = 0; off < sizeof(Rdp); off += 64) __builtin_prefetch(p + off);
    if (k->obs_) k->obs_->prefetch(c);
}

bool Kernel::in_pressure(Time t) const {
    for (const auto& w : cfg_.pressure)
        if (t >= w.from && t < w.to) return true;
    return false;
}

// ------------------------------------------------------------------------------------------
// Boot: rcu_init_nohz() / rcu_organize_nocb_kthreads() / rcu_spawn_cpu_nocb_kthread().

void Kernel::boot() {
    const int n = cfg_.ncpus;
    nocb_mask_.assign(static_cast<std::size_t>(n), false);
    for (int c : cfg_.nocb_cpus) nocb_mask_[static_cast<std::size_t>(c)] = true;
    int stride = cfg_.group_size > 0 ? cfg_.group_size : std::max(1, n / std::max(1, int_sqrt(n)));
    rdps_.reserve(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
        auto r = std::make_unique<Rdp>();
        r->cpu = c;
        r->nocb_lock = make_lock(LockKind::kNocbLock, c);
        r->nocb_bypass_lock = make_lock(LockKind::kNocbBypassLock, c);
        r->flags = kEnabled | kRcuCore;
        rdps_.push_back(std::move(r));
    }
    // Groups over the CPUs of rcu_nocb_mask: a new rcuog when cpu >= next leader boundary.
    int next_boundary = -1;
    for (int c = 0; c < n; ++c) {
        if (!nocb_mask_[static_cast<std::size_t>(c)]) continue;
        if (c >= next_boundary) {
            next_boundary = (c / stride + 1) * stride;
            Group g;
            g.index = static_cast<int>(groups_.size());
            g.leader = c;
            g.nocb_gp_lock = make_lock(LockKind::kNocbGpLock, c);
            g.nocb_gp_kthread_mutex = make_lock(LockKind::kNocbGpKthreadMutex, c, true);
            groups_.push_back(std::move(g));
        }
        Group& g = groups_.back();
        Rdp& r = rdp(c);
        r.group = g.index;
        r.has_kthreads = true;
        g.cpus.push_back(c);
        g.head_rdp.push_back(c);
        // Boot-offloaded: LOCKING|OFFLOADED|KTHREAD_CB|KTHREAD_GP, RCU_CORE cleared.
        r.flags = kEnabled | kLocking | kOffloaded | kKthreadCb | kKthreadGp;
    }
    for (auto& g : groups_) {
        g.rcuog = spawn("rcuog/" + std::to_string(g.leader), g.leader,
                        Task<void>{}, 0, true);
        sim_.start(g.rcuog, rcuog_actor(sim_.actor(g.rcuog), g.index), 0);
        g.timer_actor = spawn("timer/" + std::to_string(g.leader), g.leader, Task<void>{}, 0);
        sim_.start(g.timer_actor, timer_actor(sim_.actor(g.timer_actor), g.index), 0);
    }
    for (int c = 0; c < n; ++c) {
        Rdp& r = rdp(c);
        if (!r.has_kthreads) continue;
        r.rcuo = spawn("rcuo/" + std::to_string(c), c, Task<void>{}, 0, true);
        sim_.start(r.rcuo, rcuo_actor(sim_.actor(r.rcuo), c), 0);
    }
    for (int c = 0; c < n; ++c) emit_rdp_counters(rdp(c));
}

ActorId Kernel::spawn(std::string name, CpuId cpu, Task<void> body, Time at, bool kthread) {
    ctxs_.emplace_back();
    ctxs_.back().is_kthread = kthread;
    ActorId id = sim_.create(std::move(name), cpu, &ctxs_.back());
    if (body.handle()) sim_.start(id, std::move(body), at);
    return id;
}

// Workload entry points -------------------------------------------------------------------

void Kernel::add_call_rcu_stream(Time at, CpuId cpu, bool lazy, std::int64_t count, Time every,
                                 bool irqs_off) {
    ActorId id = spawn(std::string(lazy ? "call_rcu@" : "call_rcu_hurry@") + std::to_string(cpu),
                       cpu, Task<void>{}, at);
    sim_.start(id, call_rcu_stream(sim_.actor(id), lazy, count, every, irqs_off), at);
    planned_cbs_ += static_cast<std::size_t>(count);
}

void Kernel::add_shrink(Time at, CpuId cpu, std::int64_t nr, bool drop_caches) {
    ActorId id = spawn(std::string(drop_caches ? "drop_caches@" : "shrinker@") + std::to_string(cpu),
                       cpu, Task<void>{}, at);
    sim_.start(id, shrinker_actor(sim_.actor(id), nr, drop_caches), at);
}

void Kernel::add_toggle(Time at, CpuId cpu, CpuId target, bool offload) {
    ActorId id = spawn(std::string(offload ? "offload@" : "deoffload@") + std::to_string(cpu),
                       cpu, Task<void>{}, at);
    sim_.start(id, toggler_actor(sim_.actor(id), target, offload), at);
}

void Kernel::add_barrier(Time at, CpuId cpu) {
    ActorId id = spawn("rcu_barrier@" + std::to_string(cpu), cpu, Task<void>{}, at);
    sim_.start(id, barrier_actor(sim_.actor(id)), at);
}

void Kernel::add_alloc(Time at, CpuId cpu) {
    ActorId id = spawn("alloc@" + std::to_string(cpu), cpu, Task<void>{}, at);
    sim_.start(id, alloc_actor(sim_.actor(id)), at);
}

Task<void> Kernel::call_rcu_stream(Actor& self, bool lazy, std::int64_t count, Time every,
                                   bool irqs_off) {
    Time next = sim_.now();
    for (std::int64_t i = 0; i < count; ++i) {
        if (i > 0 && every > 0) {
            next += every;
            co_await sim_.sleep_until(self, next, "call_rcu: next in stream");
        }
        if (irqs_off) sim_.irq_disable(self);
        co_await call_rcu(self, lazy, irqs_off);
        if (irqs_off) sim_.irq_enable(self);
    }
}

Task<void> Kernel::alloc_actor(Actor& self) { co_await alloc(self); }

const Lock* Kernel::waiting_lock(ActorId a) const { return ctx(sim_.actor(a)).waiting_lock; }
ActorId Kernel::waiting_actor(ActorId a) const { return ctx(sim_.actor(a)).waiting_actor; }

void Kernel::after_step(ActorId a) {
    if (obs_) obs_->step_end(a);
}

// ------------------------------------------------------------------------------------------
// Locks. Every acquisition is a scheduling point ("may spin"); the critical section starts
// at the next step, so another CPU can observe the lock held before anything inside runs.

void Kernel::take(Actor& self, Lock& l, const char* where) {
    l.locked = true;
    l.owner = self.id;
    l.owner_returned = false;
    l.holders.push_back(self.id);
    remember_actor(l.recent, self.id);
    Ctx& c = ctx(self);
    c.held.push_back({&l, where, static_cast<int>(c.ops.size())});
    sim_.touch(l.resource());
    sim_.emit({.type = TraceType::kLockAcquire, .cpu = self.cpu, .actor = self.id,
               .name = lock_kind_name(l.kind), .idx = l.idx});
    if (obs_) obs_->lock_acquired(self, l);
}

Task<void> Kernel::raw_spin_lock(Actor& self, Lock& l, const char* where) {
    co_await sim_.point(self, "raw_spin_lock", l.idx, l.resource());
    if (l.locked) {
        sim_.emit({.type = TraceType::kLockContend, .cpu = self.cpu, .actor = self.id,
                   .name = lock_kind_name(l.kind), .idx = l.idx});
        ctx(self).waiting_lock = &l;
        if (obs_) obs_->lock_wait(self, l);
        while (l.locked) co_await sim_.block(self, l.waitq, "raw_spin_lock: spinning", l.idx);
        ctx(self).waiting_lock = nullptr;
    }
    take(self, l, where);
    co_await sim_.point(self, where, l.idx);
}

bool Kernel::raw_spin_trylock(Actor& self, Lock& l, const char* where) {
    if (l.locked) return false;
    take(self, l, where);
    return true;
}

void Kernel::raw_spin_unlock(Actor& self, Lock& l) {
    Ctx& c = ctx(self);
    auto it = std::find(l.holders.begin(), l.holders.end(), self.id);
    bool by_holder = it != l.holders.end();
    if (by_holder) l.holders.erase(it);
    for (auto h = c.held.rbegin(); h != c.held.rend(); ++h) {
        if (h->lock == &l) {
            c.held.erase(std::next(h).base());
            break;
        }
    }
    bool was_locked = l.locked;
    l.locked = false;
    l.owner = kNoActor;
    l.owner_returned = false;
    sim_.emit({.type = TraceType::kLockRelease, .cpu = self.cpu, .actor = self.id,
               .name = lock_kind_name(l.kind), .idx = l.idx, .value = by_holder ? 0 : 1});
    if (obs_) obs_->lock_released(self, l, by_holder, was_locked);
    sim_.wake_all(l.waitq, l.sleeping ? cfg_.wake_latency : 0);
}

Task<void> Kernel::mutex_lock(Actor& self, Lock& l, const char* where) {
    KASSERT(self.irq_off == 0);
    co_await sim_.point(self, "mutex_lock", l.idx, l.resource());
    if (l.locked) {
        sim_.emit({.type = TraceType::kLockContend, .cpu = self.cpu, .actor = self.id,
                   .name = lock_kind_name(l.kind), .idx = l.idx});
        if (obs_) obs_->mutex_would_sleep(self, l, ctx(self).in_reclaim);
        ctx(self).waiting_lock = &l;
        if (obs_) obs_->lock_wait(self, l);
        while (l.locked) co_await sim_.block(self, l.waitq, "mutex_lock: sleeping", l.idx);
        ctx(self).waiting_lock = nullptr;
    }
    take(self, l, where);
}

bool Kernel::mutex_trylock(Actor& self, Lock& l, const char* where) {
    return raw_spin_trylock(self, l, where);
}

void Kernel::op_begin(Actor& self, const char* op) { ctx(self).ops.push_back(op); }

void Kernel::op_end(Actor& self) {
    Ctx& c = ctx(self);
    KASSERT(!c.ops.empty());
    const int depth = static_cast<int>(c.ops.size());
    const char* op = c.ops.back();
    std::vector<const Lock*> leaked;
    for (auto it = c.held.begin(); it != c.held.end();) {
        if (it->op_depth >= depth) {
            leaked.push_back(it->lock);
            auto* l = const_cast<Lock*>(it->lock);
            if (l->owner == self.id) {
                l->owner_returned = true;
                l->owner_op = op;
            }
            it = c.held.erase(it);
        } else {
            ++it;
        }
    }
    if (!leaked.empty() && obs_) obs_->op_returned(self, op, leaked);
    c.ops.pop_back();
}

// Models: rcu_nocb_lock_irqsave() (kernel/rcu/tree.h): IRQs off, then the unlocked read of
// the offloaded state (SEGCBLIST_LOCKING), then maybe the raw lock. MODEL.md §3.1.
Task<bool> Kernel::rcu_nocb_lock_irqsave(Actor& self, Rdp& rdp, const char* where) {
    co_await sim_.point(self, "rcu_nocb_lock_irqsave: read LOCKING", rdp.cpu,
                        rdp.nocb_lock.resource());
    sim_.irq_disable(self);
    if (ctx(self).in_shrink_scan) ++rdp.shrinker_checks;  // until its unlock-time check
    if (!(rdp.flags & kLocking)) co_return false;
    co_await raw_spin_lock(self, rdp.nocb_lock, where);
    co_return true;
}

// Models: rcu_nocb_unlock_irqrestore(): re-reads LOCKING, releases if set, restores IRQs.
Task<void> Kernel::rcu_nocb_unlock_irqrestore(Actor& self, Rdp& rdp, bool at_lock, const char* fn) {
    co_await sim_.point(self, "rcu_nocb_unlock_irqrestore: re-read LOCKING", rdp.cpu,
                        rdp.nocb_lock.resource());
    bool locking = rdp.flags & kLocking;
    if (ctx(self).in_shrink_scan) --rdp.shrinker_checks;
    if (obs_) obs_->nocb_unlock_decision(self, rdp, at_lock, locking, fn);
    if (locking) raw_spin_unlock(self, rdp.nocb_lock);
    sim_.irq_enable(self);
}

// Models: rcu_nocb_lock() (IRQs already disabled).
Task<bool> Kernel::rcu_nocb_lock(Actor& self, Rdp& rdp, const char* where) {
    KASSERT(self.irq_off > 0);
    if (!(rdp.flags & kLocking)) co_return false;
    co_await raw_spin_lock(self, rdp.nocb_lock, where);
    co_return true;
}

// Models: rcu_nocb_unlock().
void Kernel::rcu_nocb_unlock(Actor& self, Rdp& rdp, bool at_lock, const char* fn) {
    bool locking = rdp.flags & kLocking;
    if (obs_) obs_->nocb_unlock_decision(self, rdp, at_lock, locking, fn);
    if (locking) raw_spin_unlock(self, rdp.nocb_lock);
}

// Models: rcu_nocb_bypass_lock() (v6.3..v6.10 with the contention counter; L2 removes it).
Task<void> Kernel::rcu_nocb_bypass_lock(Actor& self, Rdp& rdp) {
    co_await sim_.point(self, "rcu_nocb_bypass_lock", rdp.cpu, rdp.nocb_bypass_lock.resource());
    if (raw_spin_trylock(self, rdp.nocb_bypass_lock, "bypass")) co_return;
    if (!sw().l2) ++rdp.nocb_lock_contended;
    if (self.cpu != rdp.cpu) goal(Goal::kBypassLockRemoteContended);
    if (self.cpu != rdp.cpu && obs_)
        obs_->kernel_warn(self, "bypass-contention", rdp.cpu,
                          "WARN_ON_ONCE(smp_processor_id() != rdp->cpu) in rcu_nocb_bypass_lock(): "
                          "remote CPU spins on nocb_bypass_lock[" + std::to_string(rdp.cpu) + "]");
    co_await raw_spin_lock(self, rdp.nocb_bypass_lock, "bypass");
    if (!sw().l2) {
        --rdp.nocb_lock_contended;
        sim_.wake_all(rdp.nocb_bypass_lock.waitq);  // rcu_nocb_wait_contended() re-checks
    }
}

// ------------------------------------------------------------------------------------------
// Field writes that the lockset checker watches.

void Kernel::set_flags(Actor& self, Rdp& rdp, std::uint32_t set, std::uint32_t clear) {
    std::uint32_t old = rdp.flags;
    rdp.flags = (rdp.flags | set) & ~clear;
    if (rdp.flags == old) return;
    remember_actor(rdp.recent_flag_writers, self.id);
    std::string names = sim_.tracing() ? flags_string(rdp.flags) : std::string();
    sim_.emit({.type = TraceType::kFlags, .cpu = self.cpu, .actor = self.id, .name = "flags",
               .idx = rdp.cpu, .value = rdp.flags, .text = names});
    if ((old ^ rdp.flags) & kLocking) {
        if (rdp.shrinker_checks) goal(Goal::kLockingFlippedUnderShrinker);
        sim_.emit({.type = TraceType::kCounter, .cpu = self.cpu, .actor = self.id,
                   .name = "offloaded", .idx = rdp.cpu, .value = (rdp.flags & kLocking) ? 1 : 0});
    }
    if (obs_) obs_->flags_written(self, rdp, old);
}

void Kernel::write_lazy_len(Actor& self, Rdp& rdp, std::int64_t v) {
    // Every writer but the enqueuer's increment holds nocb_bypass_lock, as does the enqueuer:
    // only a write without it (the V0 shrinker's reset) can land inside the increment.
    if (rdp.lazy_len_rmw) goal(Goal::kEnqueueRacedShrinkerReset);
    rdp.lazy_len = v;
    sim_.emit({.type = TraceType::kCounter, .cpu = self.cpu, .actor = self.id, .name = "lazy_len",
               .idx = rdp.cpu, .value = v});
    if (obs_) obs_->lazy_len_written(self, rdp);
}

void Kernel::emit_rdp_counters(const Rdp& rdp) {
    if (!sim_.tracing()) return;
    sim_.emit({.type = TraceType::kCounter, .name = "lazy_len", .idx = rdp.cpu,
               .value = rdp.lazy_len});
    sim_.emit({.type = TraceType::kCounter, .name = "bypass_len", .idx = rdp.cpu,
               .value = static_cast<std::int64_t>(rdp.bypass.size())});
    sim_.emit({.type = TraceType::kCounter, .name = "offloaded", .idx = rdp.cpu,
               .value = (rdp.flags & kLocking) ? 1 : 0});
    std::string names = flags_string(rdp.flags);
    sim_.emit({.type = TraceType::kFlags, .name = "flags", .idx = rdp.cpu,
               .value = rdp.flags, .text = names});
}

// ------------------------------------------------------------------------------------------
// Segmented callback list and the grace-period abstraction (MODEL.md §3.12).
// Simplification: one global GP sequence; a callback's GP number is assigned when it is
// advanced out of NEXT; the DONE segment is the prefix whose GP has completed.

bool Kernel::ready_cbs(const Rdp& rdp) const {
    return !rdp.cblist.empty() && rdp.cblist.front().gp != 0 &&
           rdp.cblist.front().gp <= gp_completed_;
}

bool Kernel::pend_cbs(const Rdp& rdp) const {
    return !rdp.cblist.empty() &&
           (rdp.cblist.back().gp == 0 || rdp.cblist.back().gp > gp_completed_);
}

bool Kernel::nextgp(const Rdp& rdp, std::int64_t* gp) const {
    for (const auto& e : rdp.cblist) {
        if (e.gp == 0) return false;
        if (e.gp > gp_completed_) {
            *gp = e.gp;
            return true;
        }
    }
    return false;
}

std::int64_t Kernel::gp_snap() const { return gp_completed_ + (gp_in_progress_ ? 2 : 1); }

bool Kernel::advance_cbs(Rdp& rdp) {
    bool any = false;
    std::int64_t snap = gp_snap();
    for (auto it = rdp.cblist.rbegin(); it != rdp.cblist.rend() && it->gp == 0; ++it) {
        it->gp = snap;
        any = true;
    }
    if (any) request_gp(snap);
    return any;
}

void Kernel::request_gp(std::int64_t gp) {
    gp_needed_ = std::max(gp_needed_, gp);
    if (!gp_in_progress_ && !gp_start_scheduled_ && gp_needed_ > gp_completed_) {
        gp_start_scheduled_ = true;
        sim_.at(sim_.now() + cfg_.wake_latency, 0, &Kernel::gp_start_cb, this, 0);
    }
}

void Kernel::gp_start_cb(void* ctx, std::uint64_t) {
    auto* k = static_cast<Kernel*>(ctx);
    k->gp_start_scheduled_ = false;
    if (k->gp_in_progress_ || k->gp_needed_ <= k->gp_completed_) return;
    k->gp_in_progress_ = true;
    k->gp_start_order_ = ++k->order_;
    k->sim_.emit({.type = TraceType::kGp, .name = "start", .value = k->gp_completed_ + 1});
    k->sim_.at(k->sim_.now() + k->cfg_.gp_duration, 0, &Kernel::gp_end_cb, k, 0);
}

void Kernel::gp_end_cb(void* ctx, std::uint64_t) {
    auto* k = static_cast<Kernel*>(ctx);
    k->gp_in_progress_ = false;
    ++k->gp_completed_;
    k->last_done_gp_start_order_ = k->gp_start_order_;
    k->sim_.emit({.type = TraceType::kGp, .name = "end", .value = k->gp_completed_});
    // rcu_nocb_gp_cleanup(): wake the rcuog kthreads waiting for this GP.
    for (auto& g : k->groups_) {
        if (g.waiting_gp && g.wait_gp <= k->gp_completed_ && g.rcuog != kNoActor)
            k->sim_.wake_actor(g.rcuog, k->cfg_.wake_latency);
    }
    // rcu_core() on de-offloaded CPUs with callbacks (the tick would raise it).
    std::vector<CpuId> core;
    core.swap(k->core_cpus_);
    for (CpuId c : core) {
        Rdp& r = k->rdp(c);
        r.core_queued = false;
        if (!r.cblist.empty() && (r.flags & kRcuCore)) k->invoke_rcu_core(r);
    }
    if (k->gp_needed_ > k->gp_completed_) k->request_gp(k->gp_needed_);
}

void Kernel::note_core_cbs(Rdp& rdp) {
    if (rdp.core_queued) return;
    rdp.core_queued = true;
    core_cpus_.push_back(rdp.cpu);
}

// Models: invoke_rcu_core() -> RCU_SOFTIRQ on the rdp's CPU.
void Kernel::invoke_rcu_core(Rdp& rdp) {
    if (rdp.softirq == kNoActor) {
        rdp.softirq = spawn("rcu_core/" + std::to_string(rdp.cpu), rdp.cpu, Task<void>{}, 0);
        rdp.softirq_pending = true;
        sim_.start(rdp.softirq, softirq_actor(sim_.actor(rdp.softirq), rdp.cpu), sim_.now());
        return;
    }
    rdp.softirq_pending = true;
    sim_.wake_all(rdp.softirq_wq);
}

// Models: rcu_core() for callbacks (do_batch only while RCU_CORE is set).
// Simplification: runs as a preemptible actor of the CPU; no batch limit.
Task<void> Kernel::softirq_actor(Actor& self, CpuId cpu) {
    Rdp& rdp = this->rdp(cpu);
    for (;;) {
        while (!rdp.softirq_pending) co_await sim_.block(self, rdp.softirq_wq, "rcu_core: idle");
        rdp.softirq_pending = false;
        op_begin(self, "rcu_core");
        bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "rcu_core: advance");
        if (rdp.flags & kRcuCore) {
            advance_cbs(rdp);
            if (!rdp.cblist.empty()) note_core_cbs(rdp);
        }
        co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "rcu_core");
        if ((rdp.flags & kRcuCore) && ready_cbs(rdp)) co_await rcu_do_batch(self, rdp);
        op_end(self);
    }
}

void Kernel::invoke_cb(Actor& self, Rdp& rdp, CbId id) {
    Callback& cb = cbs_[static_cast<std::size_t>(id)];
    cb.invocations++;
    cb.where = CbWhere::kInvoked;
    cb.invoked_at = sim_.now();
    sim_.emit({.type = TraceType::kCallback, .cpu = self.cpu, .actor = self.id, .name = "invoke",
               .idx = cb.cpu, .value = cb.id});
    if (obs_) obs_->cb_invoked(self, cb);
    if (cb.barrier && --barrier_cpu_count_ == 0) sim_.wake_all(barrier_wq_, cfg_.wake_latency);
}

// Models: rcu_do_batch() for an offloaded or RCU_CORE rdp: extract DONE under the
// (conditional) nocb lock, invoke each callback as its own step, then fix the length.
Task<void> Kernel::rcu_do_batch(Actor& self, Rdp& rdp) {
    bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "rcu_do_batch: extract done");
    std::vector<CbId> done;
    while (ready_cbs(rdp)) {
        done.push_back(rdp.cblist.front().cb);
        cbs_[static_cast<std::size_t>(rdp.cblist.front().cb)].where = CbWhere::kInFlight;
        rdp.cblist.pop_front();
    }
    rdp.in_flight += static_cast<std::int64_t>(done.size());
    if (obs_) obs_->cblist_written(self, rdp);
    co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "rcu_do_batch");
    for (CbId id : done) {
        co_await sim_.point(self, "rcu_do_batch: invoke callback", rdp.cpu);
        invoke_cb(self, rdp, id);
    }
    if (done.empty()) co_return;
    locked = co_await rcu_nocb_lock_irqsave(self, rdp, "rcu_do_batch: adjust len");
    rdp.in_flight -= static_cast<std::int64_t>(done.size());
    rdp.cblist_len -= static_cast<std::int64_t>(done.size());
    if (obs_) obs_->cblist_written(self, rdp);
    co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "rcu_do_batch");
}

// ------------------------------------------------------------------------------------------
// call_rcu

// Models: __call_rcu_common() (kernel/rcu/tree.c, v6.3).
Task<void> Kernel::call_rcu(Actor& self, bool lazy, bool caller_irqs_off) {
    Rdp& rdp = this->rdp(self.cpu);
    co_await sim_.point(self, lazy ? "call_rcu" : "call_rcu_hurry", rdp.cpu,
                        rdp.nocb_lock.resource());
    op_begin(self, lazy ? "call_rcu" : "call_rcu_hurry");
    sim_.irq_disable(self);  // local_irq_save()
    // Simplification: every possible CPU has NOCB callbacks enabled (no lazy fallback).
    CbId id = static_cast<CbId>(cbs_.size());
    // The streams' callbacks in one allocation (at 4096 CPUs, doubling the record vector
    // page-faulted its way through megabytes during the run).
    if (cbs_.empty() && planned_cbs_ > 0) cbs_.reserve(planned_cbs_ + 64);
    cbs_.push_back({.id = id, .cpu = rdp.cpu, .lazy = lazy, .enqueued_at = sim_.now(),
                    .enqueue_order = ++order_});
    sim_.emit({.type = TraceType::kCallback, .cpu = self.cpu, .actor = self.id,
               .name = "enqueue", .idx = rdp.cpu, .value = id});
    bool was_alldone = false;
    bool queued = co_await rcu_nocb_try_bypass(self, rdp, id, lazy, &was_alldone, caller_irqs_off);
    if (queued) {
        if (obs_)
            obs_->call_rcu_queued(self, rdp, cbs_[static_cast<std::size_t>(id)], caller_irqs_off);
        op_end(self);
        co_return;
    }
    // try_bypass returned with nocb_lock held iff LOCKING was set when it decided.
    bool locked = false;
    for (const auto& h : ctx(self).held)
        if (h.lock == &rdp.nocb_lock) locked = true;
    rdp.cblist.push_back({id, 0});
    rdp.cblist_len++;
    cbs_[static_cast<std::size_t>(id)].where = CbWhere::kCblist;
    if (obs_) obs_->cblist_written(self, rdp);
    emit_rdp_counters(rdp);
    if (rdp.flags & kLocking) {
        co_await call_rcu_nocb_wake(self, rdp, was_alldone, caller_irqs_off);  // unlocks
    } else {
        // __call_rcu_core(): the softirq (and the tick) will advance and invoke.
        if (locked) rcu_nocb_unlock(self, rdp, locked, "__call_rcu_common");
        invoke_rcu_core(rdp);
        note_core_cbs(rdp);
        sim_.irq_enable(self);
    }
    if (obs_) obs_->call_rcu_queued(self, rdp, cbs_[static_cast<std::size_t>(id)], caller_irqs_off);
    op_end(self);
}

// Models: rcu_nocb_try_bypass() (v6.3). Returns true when the callback was queued (IRQs
// restored); false when the caller must enqueue it on ->cblist (nocb_lock held iff the
// rdp was LOCKING when checked).
Task<bool> Kernel::rcu_nocb_try_bypass(Actor& self, Rdp& rdp, CbId cb, bool lazy,
                                       bool* was_alldone, bool irqs_were_off) {
    const std::int64_t j = jiffies();
    std::int64_t ncbs = static_cast<std::int64_t>(rdp.bypass.size());
    const bool bypass_is_lazy = ncbs == rdp.lazy_len;

    if (!(rdp.flags & kLocking)) {  // pure softirq processing: no bypass, no locking
        *was_alldone = !pend_cbs(rdp);
        co_return false;
    }
    if (rdp.flags & kRcuCore) {  // (de-)offloading in progress: locking, no bypass
        co_await rcu_nocb_lock(self, rdp, "rcu_nocb_try_bypass: halfway");
        *was_alldone = !pend_cbs(rdp);
        co_return false;
    }
    // Per-jiffy budget of direct ->cblist enqueues.
    std::int64_t c;
    if (j == rdp.nobypass_last) {
        c = rdp.nobypass_count + 1;
    } else {
        rdp.nobypass_last = j;
        c = rdp.nobypass_count - nobypass_lim_;
        if (rdp.nobypass_count < nobypass_lim_) c = 0;
        else if (c > nobypass_lim_) c = nobypass_lim_;
    }
    rdp.nobypass_count = c;

    if (rdp.nobypass_count < nobypass_lim_ && !lazy) {
        co_await rcu_nocb_lock(self, rdp, "rcu_nocb_try_bypass: flush, then enqueue");
        *was_alldone = !pend_cbs(rdp);
        co_await rcu_nocb_flush_bypass(self, rdp, -1, j, false);
        co_return false;
    }

    const std::int64_t flush_j = cfg_.lazy_flush / tick_;
    if ((ncbs && !bypass_is_lazy && j != rdp.bypass_first) ||
        (ncbs && bypass_is_lazy && j > rdp.bypass_first + flush_j) || ncbs >= cfg_.qhimark) {
        co_await rcu_nocb_lock(self, rdp, "rcu_nocb_try_bypass: flush bypass with cb");
        *was_alldone = !pend_cbs(rdp);
        if (!co_await rcu_nocb_flush_bypass(self, rdp, cb, j, lazy)) co_return false;
        std::int64_t gp;
        if (j != rdp.nocb_gp_adv_time && nextgp(rdp, &gp) && gp <= gp_completed_) {
            advance_cbs(rdp);
            rdp.nocb_gp_adv_time = j;
        }
        co_await call_rcu_nocb_wake(self, rdp, *was_alldone, irqs_were_off);
        co_return true;
    }

    // Use the bypass.
    if (!sw().l2) {
        // Models: rcu_nocb_wait_contended().
        if (self.cpu != rdp.cpu && obs_)
            obs_->kernel_warn(self, "bypass-contention", rdp.cpu,
                              "WARN_ON_ONCE(smp_processor_id() != rdp->cpu) in "
                              "rcu_nocb_wait_contended()");
        bool warned = false;
        while (rdp.nocb_lock_contended != 0) {
            if (!warned && obs_)
                obs_->kernel_warn(self, "bypass-contention", rdp.cpu,
                                  "WARN_ON_ONCE(atomic_read(&rdp->nocb_lock_contended)) in "
                                  "rcu_nocb_wait_contended(): enqueuer spins while a remote "
                                  "CPU contends nocb_bypass_lock[" + std::to_string(rdp.cpu) + "]");
            warned = true;
            co_await sim_.block(self, rdp.nocb_bypass_lock.waitq, "rcu_nocb_wait_contended", rdp.cpu);
        }
    }
    co_await rcu_nocb_bypass_lock(self, rdp);
    co_await sim_.point(self, "rcu_nocb_try_bypass: enqueue on bypass", rdp.cpu,
                        rdp.nocb_bypass_lock.resource());
    ncbs = static_cast<std::int64_t>(rdp.bypass.size());
    rdp.cblist_len++;
    rdp.bypass.push_back(cb);
    Callback& cbr = cbs_[static_cast<std::size_t>(cb)];
    cbr.where = CbWhere::kBypass;
    if (lazy) {
        rdp.lazy_in_bypass++;
        // WRITE_ONCE(rdp->lazy_len, rdp->lazy_len + 1): a read, then a write.
        std::int64_t tmp = rdp.lazy_len;
        rdp.lazy_len_rmw = true;  // coverage goals
        co_await sim_.point(self, "rcu_nocb_try_bypass: lazy_len = tmp + 1", rdp.cpu,
                            rdp.nocb_lock.resource());
        rdp.lazy_len_rmw = false;
        write_lazy_len(self, rdp, tmp + 1);
    }
    if (!ncbs) rdp.bypass_first = j;
    emit_rdp_counters(rdp);
    raw_spin_unlock(self, rdp.nocb_bypass_lock);
    if (ncbs && (!bypass_is_lazy || lazy)) {
        sim_.irq_enable(self);  // local_irq_restore()
        co_return true;
    }
    // No-CBs GP kthread might be indefinitely asleep, if so, wake.
    bool locked = co_await rcu_nocb_lock(self, rdp, "rcu_nocb_try_bypass: first bypass cb");
    if (!pend_cbs(rdp)) {
        co_await call_rcu_nocb_wake(self, rdp, true, irqs_were_off);
    } else {
        rcu_nocb_unlock(self, rdp, locked, "rcu_nocb_try_bypass");
        sim_.irq_enable(self);
    }
    co_return true;
}

// Models: rcu_nocb_do_flush_bypass(). Pre: bypass lock held (and nocb_lock if LOCKING).
bool Kernel::rcu_nocb_do_flush_bypass(Actor& self, Rdp& rdp, CbId cb, std::int64_t j, bool lazy) {
    if (obs_) obs_->cblist_written(self, rdp);  // rcu_lockdep_assert_cblist_protected()
    if (cb >= 0 && rdp.bypass.empty()) {
        raw_spin_unlock(self, rdp.nocb_bypass_lock);
        return false;
    }
    if (cb >= 0) rdp.cblist_len++;
    if (lazy && cb >= 0) {
        rdp.bypass.push_back(cb);
        rdp.lazy_in_bypass++;
        cb = -1;
    }
    std::int64_t moved = 0;
    for (CbId id : rdp.bypass) {
        rdp.cblist.push_back({id, 0});
        cbs_[static_cast<std::size_t>(id)].where = CbWhere::kCblist;
        ++moved;
    }
    if (cb >= 0) {
        rdp.cblist.push_back({cb, 0});
        cbs_[static_cast<std::size_t>(cb)].where = CbWhere::kCblist;
    }
    rdp.bypass.clear();
    rdp.lazy_in_bypass = 0;
    write_lazy_len(self, rdp, 0);
    rdp.bypass_first = j;
    if (moved)
        sim_.emit({.type = TraceType::kCallback, .cpu = self.cpu, .actor = self.id,
                   .name = "flush", .idx = rdp.cpu, .value = moved});
    emit_rdp_counters(rdp);
    raw_spin_unlock(self, rdp.nocb_bypass_lock);
    return true;
}

// Models: rcu_nocb_flush_bypass(). cb < 0: no callback.
Task<bool> Kernel::rcu_nocb_flush_bypass(Actor& self, Rdp& rdp, CbId cb, std::int64_t j, bool lazy) {
    if (!(rdp.flags & kLocking)) co_return true;
    co_await rcu_nocb_bypass_lock(self, rdp);
    co_await sim_.point(self, "rcu_nocb_do_flush_bypass", rdp.cpu);
    co_return rcu_nocb_do_flush_bypass(self, rdp, cb, j, lazy);
}

// Models: rcu_nocb_try_flush_bypass(): skips silently when the bypass lock is busy.
Task<void> Kernel::rcu_nocb_try_flush_bypass(Actor& self, Rdp& rdp, std::int64_t j) {
    if (!(rdp.flags & kLocking)) co_return;
    co_await sim_.point(self, "rcu_nocb_try_flush_bypass: trylock", rdp.cpu,
                        rdp.nocb_bypass_lock.resource());
    if (!raw_spin_trylock(self, rdp.nocb_bypass_lock, "bypass")) {
        goal(Goal::kTryFlushSkipped);
        if (obs_) obs_->kernel_note(self, "try-flush-skipped", rdp.cpu, "bypass lock busy");
        co_return;
    }
    rcu_nocb_do_flush_bypass(self, rdp, -1, j, false);
}

// Models: __call_rcu_nocb_wake() (v6.3). Caller holds the (conditional) nocb lock with
// IRQs disabled; this releases both.
Task<void> Kernel::call_rcu_nocb_wake(Actor& self, Rdp& rdp, bool was_alldone, bool irqs_were_off) {
    co_await sim_.point(self, "__call_rcu_nocb_wake", rdp.cpu);
    const bool at_lock = true;  // the callers took the lock because LOCKING was set
    Group* g = rdp.group >= 0 ? &groups_[static_cast<std::size_t>(rdp.group)] : nullptr;
    if (!g || g->rcuog == kNoActor) {
        co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "__call_rcu_nocb_wake");
        co_return;
    }
    const std::int64_t len = rdp.cblist_len;
    const std::int64_t bypass_len = static_cast<std::int64_t>(rdp.bypass.size());
    const std::int64_t lazy_len = rdp.lazy_len;
    if (was_alldone) {
        rdp.qlen_last_fqs_check = len;
        if (lazy_len && bypass_len == lazy_len) {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "__call_rcu_nocb_wake");
            co_await wake_nocb_gp_defer(self, rdp, kWakeLazy);
        } else if (!irqs_were_off) {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "__call_rcu_nocb_wake");
            co_await wake_nocb_gp(self, rdp, false);
        } else {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "__call_rcu_nocb_wake");
            co_await wake_nocb_gp_defer(self, rdp, kWake);
        }
    } else if (len > rdp.qlen_last_fqs_check + cfg_.qhimark) {
        rdp.qlen_last_fqs_check = len;
        const std::int64_t j = jiffies();
        std::int64_t gp;
        if (j != rdp.nocb_gp_adv_time && nextgp(rdp, &gp) && gp <= gp_completed_) {
            advance_cbs(rdp);
            rdp.nocb_gp_adv_time = j;
        }
        // BUG (fixed in v6.9 by the gp_timer_check switch): tests rdp->nocb_timer, which is
        // only ever armed on the group leader.
        bool timer_pending = sw().gp_timer_check || rdp.cpu == g->leader ? g->timer_pending : false;
        if ((rdp.nocb_cb_sleep || !ready_cbs(rdp)) && !timer_pending) {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "__call_rcu_nocb_wake");
            if (g->timer_pending && obs_)
                obs_->kernel_note(self, "overload-wrong-timer", rdp.cpu,
                                  "FORCE deferral requested while the group timer is pending");
            co_await wake_nocb_gp_defer(self, rdp, kWakeForce);
        } else {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "__call_rcu_nocb_wake");
        }
    } else {
        co_await rcu_nocb_unlock_irqrestore(self, rdp, at_lock, "__call_rcu_nocb_wake");
    }
}

// ------------------------------------------------------------------------------------------
// Waking rcuog.

void Kernel::wake_rcuog(Group& g) {
    if (g.rcuog != kNoActor) sim_.wake_actor(g.rcuog, cfg_.wake_latency);
}

// Models: wake_nocb_gp() / __wake_nocb_gp() (v6.3).
Task<bool> Kernel::wake_nocb_gp(Actor& self, Rdp& rdp, bool force) {
    if (rdp.group < 0) co_return false;
    Group& g = groups_[static_cast<std::size_t>(rdp.group)];
    sim_.irq_disable(self);
    co_await raw_spin_lock(self, g.nocb_gp_lock, "wake_nocb_gp");
    co_return wake_nocb_gp_unlock(self, g, force);
}

// Models: __wake_nocb_gp(): called with rdp_gp->nocb_gp_lock held and IRQs off; cancels a
// pending deferred wakeup, clears the sleep flag, releases the lock, wakes rcuog.
bool Kernel::wake_nocb_gp_unlock(Actor& self, Group& g, bool force) {
    if (g.rcuog == kNoActor) {
        raw_spin_unlock(self, g.nocb_gp_lock);
        sim_.irq_enable(self);
        return false;
    }
    if (g.nocb_defer_wakeup > kWakeNot) {
        g.nocb_defer_wakeup = kWakeNot;
        del_timer(g);
    }
    bool needwake = force || g.nocb_gp_sleep;
    if (needwake) g.nocb_gp_sleep = false;
    raw_spin_unlock(self, g.nocb_gp_lock);
    sim_.irq_enable(self);
    if (needwake) wake_rcuog(g);
    return needwake;
}

void Kernel::mod_timer(Group& g, std::int64_t expires_j) {
    ++g.timer_gen;
    g.timer_pending = true;
    g.timer_expires = expires_j * tick_;
    sim_.emit({.type = TraceType::kTimer, .name = "arm", .idx = g.leader, .value = g.timer_expires});
    sim_.at(std::max(g.timer_expires, sim_.now()), 0, &Kernel::timer_cb, this,
            (g.timer_gen << 20) | static_cast<std::uint64_t>(g.index));
}

void Kernel::del_timer(Group& g) {
    if (!g.timer_pending) return;
    ++g.timer_gen;
    g.timer_pending = false;
    sim_.emit({.type = TraceType::kTimer, .name = "cancel", .idx = g.leader, .value = g.timer_expires});
}

void Kernel::timer_cb(void* ctx, std::uint64_t arg) {
    auto* k = static_cast<Kernel*>(ctx);
    Group& g = k->groups_[arg & 0xfffff];
    if (!g.timer_pending || g.timer_gen != (arg >> 20)) return;
    g.timer_pending = false;
    k->sim_.emit({.type = TraceType::kTimer, .name = "fire", .idx = g.leader, .value = g.timer_expires});
    g.timer_fired++;
    k->sim_.wake_all(g.timer_wq);
}

// Models: wake_nocb_gp_defer() (v6.3; L5 reads rdp_gp's level, 463d46044f04).
Task<void> Kernel::wake_nocb_gp_defer(Actor& self, Rdp& rdp, int waketype) {
    Group& g = groups_[static_cast<std::size_t>(rdp.group)];
    sim_.irq_disable(self);
    co_await raw_spin_lock(self, g.nocb_gp_lock, "wake_nocb_gp_defer");
    const int before = g.nocb_defer_wakeup;
    const Time before_expiry = g.timer_pending ? g.timer_expires : -1;
    const int level_read = sw().l5 || rdp.cpu == g.leader ? g.nocb_defer_wakeup : kWakeNot;
    const std::int64_t j = jiffies();
    if (waketype == kWakeLazy && g.nocb_defer_wakeup >= kWake)
        goal(Goal::kLazyRequestWhileWakePending);
    if (waketype == kWakeLazy && level_read == kWakeNot) {
        mod_timer(g, j + cfg_.lazy_flush / tick_);
        g.nocb_defer_wakeup = waketype;
    } else if (waketype == kWakeBypass) {
        mod_timer(g, j + 2);
        g.nocb_defer_wakeup = waketype;
    } else {
        if (g.nocb_defer_wakeup < kWake) mod_timer(g, j + 1);
        if (g.nocb_defer_wakeup < waketype) g.nocb_defer_wakeup = waketype;
    }
    if (obs_) obs_->deferred_wake(self, g, waketype, before, before_expiry);
    raw_spin_unlock(self, g.nocb_gp_lock);
    sim_.irq_enable(self);
}

// Models: do_nocb_deferred_wakeup_timer() + do_nocb_deferred_wakeup_common(level BYPASS).
Task<void> Kernel::do_nocb_deferred_wakeup_timer(Actor& self, Group& g) {
    sim_.irq_disable(self);
    co_await raw_spin_lock(self, g.nocb_gp_lock, "do_nocb_deferred_wakeup_timer");
    if (g.nocb_defer_wakeup < kWakeBypass || g.rcuog == kNoActor) {
        raw_spin_unlock(self, g.nocb_gp_lock);
        sim_.irq_enable(self);
        co_return;
    }
    wake_nocb_gp_unlock(self, g, g.nocb_defer_wakeup == kWakeForce);
}

Task<void> Kernel::timer_actor(Actor& self, int group) {
    Group& g = groups_[static_cast<std::size_t>(group)];
    for (;;) {
        while (g.timer_fired == 0) co_await sim_.block(self, g.timer_wq, "timer softirq: idle");
        g.timer_fired--;
        op_begin(self, "do_nocb_deferred_wakeup_timer");
        co_await do_nocb_deferred_wakeup_timer(self, g);
        op_end(self);
    }
}

// ------------------------------------------------------------------------------------------
// rcuog

Task<void> Kernel::rcuog_actor(Actor& self, int group) {
    Group& g = groups_[static_cast<std::size_t>(group)];
    for (;;) {
        op_begin(self, "nocb_gp_wait");
        co_await nocb_gp_wait(self, g);
        op_end(self);
    }
}

// Models: nocb_gp_wait() (v6.3), one pass.
Task<void> Kernel::nocb_gp_wait(Actor& self, Group& g) {
    const std::int64_t j = jiffies();
    const std::int64_t flush_j = cfg_.lazy_flush / tick_;
    bool bypass = false, lazy = false, needwait_gp = false;
    std::int64_t wait_gp_seq = 0;
    // Iterate over a snapshot: members toggled meanwhile are handled at the next pass.
    std::vector<CpuId> members = g.head_rdp;
    for (CpuId c : members) {
        Rdp& rdp = this->rdp(c);
        bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "nocb_gp_wait: check rdp");
        if (obs_) obs_->nocb_gp_scan(self, g, rdp);
        std::int64_t bypass_ncbs = static_cast<std::int64_t>(rdp.bypass.size());
        std::int64_t lazy_ncbs = rdp.lazy_len;
        bool flush = false;
        if (bypass_ncbs && lazy_ncbs == bypass_ncbs &&
            (j > rdp.bypass_first + flush_j || bypass_ncbs > 2 * cfg_.qhimark)) {
            flush = true;
        } else if (bypass_ncbs && lazy_ncbs != bypass_ncbs &&
                   (j > rdp.bypass_first + 1 || bypass_ncbs > 2 * cfg_.qhimark)) {
            flush = true;
        } else if (!bypass_ncbs && rdp.cblist.empty()) {
            co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "nocb_gp_wait");
            continue;
        }
        if (flush) {
            co_await rcu_nocb_try_flush_bypass(self, rdp, j);
            bypass_ncbs = static_cast<std::int64_t>(rdp.bypass.size());
            lazy_ncbs = rdp.lazy_len;
        }
        if (bypass_ncbs) {
            if (bypass_ncbs == lazy_ncbs) lazy = true;
            else bypass = true;
        }
        std::int64_t gp;
        if (!rdp.cblist.empty() && (rdp.cblist.back().gp == 0 || (nextgp(rdp, &gp) && gp <= gp_completed_)))
            advance_cbs(rdp);
        if (nextgp(rdp, &gp)) {
            if (!needwait_gp || gp < wait_gp_seq) wait_gp_seq = gp;
            needwait_gp = true;
        }
        bool needwake = false;
        if (ready_cbs(rdp)) {
            needwake = rdp.nocb_cb_sleep;
            rdp.nocb_cb_sleep = false;
        }
        co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "nocb_gp_wait");
        if (needwake) sim_.wake_all(rdp.nocb_cb_wq, cfg_.wake_latency);
    }
    if (lazy && !bypass) {
        co_await wake_nocb_gp_defer(self, rdp(g.leader), kWakeLazy);
    } else if (bypass) {
        co_await wake_nocb_gp_defer(self, rdp(g.leader), kWakeBypass);
    }
    co_await sim_.point(self, "nocb_gp_wait: sleep", g.leader);
    if (!needwait_gp) {
        if (obs_ && g.nocb_gp_sleep) obs_->rcuog_sleep(self, g);
        while (g.nocb_gp_sleep) co_await sim_.block(self, g.nocb_gp_wq, "nocb_gp_wait: sleeping");
    } else {
        g.waiting_gp = true;
        g.wait_gp = wait_gp_seq;
        while (gp_completed_ < wait_gp_seq && g.nocb_gp_sleep)
            co_await sim_.block(self, g.nocb_gp_wq, "nocb_gp_wait: waiting for GP");
        g.waiting_gp = false;
    }
    sim_.irq_disable(self);
    co_await raw_spin_lock(self, g.nocb_gp_lock, "nocb_gp_wait: rearm");
    CpuId tog = g.toggling_rdp;
    g.toggling_rdp = -1;
    if (g.nocb_defer_wakeup > kWakeNot) {
        g.nocb_defer_wakeup = kWakeNot;
        del_timer(g);
    }
    g.nocb_gp_sleep = true;
    raw_spin_unlock(self, g.nocb_gp_lock);
    sim_.irq_enable(self);
    if (tog >= 0) co_await nocb_gp_toggle_rdp(self, g, rdp(tog));
}

// Models: nocb_gp_toggle_rdp() and the list update in nocb_gp_wait() (v6.3).
Task<void> Kernel::nocb_gp_toggle_rdp(Actor& self, Group& g, Rdp& rdp) {
    bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "nocb_gp_toggle_rdp");
    bool wake_state = false;
    int ret;
    if ((rdp.flags & kOffloaded) && !(rdp.flags & kKthreadGp)) {
        set_flags(self, rdp, kKthreadGp, 0);
        if (rdp.flags & kKthreadCb) wake_state = true;
        ret = 1;
    } else if (!(rdp.flags & kOffloaded) && (rdp.flags & kKthreadGp)) {
        set_flags(self, rdp, 0, kKthreadGp);
        if (!(rdp.flags & kKthreadCb)) wake_state = true;
        ret = 0;
    } else {
        ret = -1;
    }
    co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "nocb_gp_toggle_rdp");
    if (ret == 1) {
        g.head_rdp.push_back(rdp.cpu);
    } else if (ret == 0) {
        auto it = std::find(g.head_rdp.begin(), g.head_rdp.end(), rdp.cpu);
        if (it != g.head_rdp.end()) g.head_rdp.erase(it);
    }
    if (wake_state) sim_.wake_all(rdp.nocb_state_wq, cfg_.wake_latency);
}

// ------------------------------------------------------------------------------------------
// rcuo

Task<void> Kernel::rcuo_actor(Actor& self, CpuId cpu) {
    Rdp& rdp = this->rdp(cpu);
    for (;;) co_await nocb_cb_wait(self, rdp);
}

// Models: nocb_cb_wait() (v6.3), one pass.
Task<void> Kernel::nocb_cb_wait(Actor& self, Rdp& rdp) {
    auto can_run = [&] { return (rdp.flags & (kOffloaded | kKthreadCb)) != 0; };
    for (;;) {
        while (!(can_run() && !rdp.nocb_cb_sleep))
            co_await sim_.block(self, rdp.nocb_cb_wq, "nocb_cb_wait: sleeping", rdp.cpu);
        co_await sim_.point(self, "nocb_cb_wait: woken", rdp.cpu);
        if (can_run()) break;
    }
    op_begin(self, "nocb_cb_wait");
    co_await rcu_do_batch(self, rdp);
    bool locked = co_await rcu_nocb_lock_irqsave(self, rdp, "nocb_cb_wait: after batch");
    bool needwake_state = false;
    bool can_sleep = true;
    std::int64_t gp;
    if (nextgp(rdp, &gp) && gp <= gp_completed_) advance_cbs(rdp);
    if (rdp.flags & kOffloaded) {
        if (!(rdp.flags & kKthreadCb)) {
            set_flags(self, rdp, kKthreadCb, 0);
            if (rdp.flags & kKthreadGp) needwake_state = true;
        }
        if (ready_cbs(rdp)) can_sleep = false;
    } else {
        set_flags(self, rdp, 0, kKthreadCb);
        if (!(rdp.flags & kKthreadGp)) needwake_state = true;
    }
    rdp.nocb_cb_sleep = can_sleep;
    co_await rcu_nocb_unlock_irqrestore(self, rdp, locked, "nocb_cb_wait");
    if (needwake_state) sim_.wake_all(rdp.nocb_state_wq, cfg_.wake_latency);
    op_end(self);
}

// ------------------------------------------------------------------------------------------
// rcu_barrier (kernel/rcu/tree.c, v6.2+; MODEL.md §3.10)

Task<void> Kernel::barrier_actor(Actor& self) {
    op_begin(self, "rcu_barrier");
    co_await rcu_barrier(self);
    op_end(self);
}

// Models: rcu_barrier_entrain() (in the IPI handler, IRQs off, barrier_lock held).
void Kernel::rcu_barrier_entrain(Actor& self, Rdp& rdp) {
    // Simplification: the conditional nocb lock is taken without a scheduling point here
    // (IPI context on the rdp's own CPU: LOCKING cannot flip underneath).
    bool locked = false;
    if (rdp.flags & kLocking) {
        if (rdp.nocb_lock.locked) {
            // Cannot spin inside this synchronous helper: the caller retries as a step.
            return;
        }
        take(self, rdp.nocb_lock, "rcu_barrier_entrain");
        locked = true;
    }
    const bool was_alldone = (rdp.flags & kLocking) && !pend_cbs(rdp);
    if ((rdp.flags & kLocking) && !rdp.bypass.empty()) {
        if (!rdp.nocb_bypass_lock.locked) {
            take(self, rdp.nocb_bypass_lock, "bypass");
            rcu_nocb_do_flush_bypass(self, rdp, -1, jiffies(), false);
        }
    }
    if (was_alldone && pend_cbs(rdp)) goal(Goal::kBarrierEntrainNeedsWake);
    const bool wake = sw().barrier_wake && was_alldone && pend_cbs(rdp);
    if (!rdp.cblist.empty()) {
        CbId id = static_cast<CbId>(cbs_.size());
        cbs_.push_back({.id = id, .cpu = rdp.cpu, .lazy = false, .barrier = true,
                        .enqueued_at = sim_.now(), .enqueue_order = ++order_,
                        .where = CbWhere::kCblist});
        std::int64_t gp = rdp.cblist.back().gp;
        rdp.cblist.push_back({id, gp});
        rdp.cblist_len++;
        barrier_cpu_count_++;
        if (obs_) obs_->cblist_written(self, rdp);
        sim_.emit({.type = TraceType::kCallback, .cpu = self.cpu, .actor = self.id,
                   .name = "enqueue", .idx = rdp.cpu, .value = id});
        if (rdp.flags & kRcuCore) note_core_cbs(rdp);
    }
    rcu_nocb_unlock(self, rdp, locked, "rcu_barrier_entrain");
    if (wake && rdp.group >= 0) {
        Group& g = groups_[static_cast<std::size_t>(rdp.group)];
        // wake_nocb_gp(rdp, false) without its own scheduling points (IPI context).
        if (!g.nocb_gp_lock.locked) {
            if (g.nocb_defer_wakeup > kWakeNot) {
                g.nocb_defer_wakeup = kWakeNot;
                del_timer(g);
            }
            if (g.nocb_gp_sleep) {
                g.nocb_gp_sleep = false;
                wake_rcuog(g);
            }
        }
    }
}

Task<void> Kernel::barrier_ipi(Actor& self, CpuId cpu, bool* done, ActorId waiter) {
    Rdp& rdp = this->rdp(cpu);
    op_begin(self, "rcu_barrier_handler");
    sim_.irq_disable(self);
    co_await raw_spin_lock(self, barrier_lock_, "rcu_barrier_handler");
    // Wait until the nocb locks are free so that the entrain runs as one atomic step.
    while (((rdp.flags & kLocking) && rdp.nocb_lock.locked) || rdp.nocb_bypass_lock.locked) {
        Lock& l = rdp.nocb_lock.locked ? rdp.nocb_lock : rdp.nocb_bypass_lock;
        ctx(self).waiting_lock = &l;
        if (obs_) obs_->lock_wait(self, l);
        co_await sim_.block(self, l.waitq, "rcu_barrier_entrain: spinning", cpu);
        ctx(self).waiting_lock = nullptr;
    }
    rcu_barrier_entrain(self, rdp);
    raw_spin_unlock(self, barrier_lock_);
    sim_.irq_enable(self);
    op_end(self);
    *done = true;
    sim_.wake_actor(waiter, 0);
}

// Models: rcu_barrier() (v6.2+).
Task<void> Kernel::rcu_barrier(Actor& self) {
    co_await mutex_lock(self, barrier_mutex_, "rcu_barrier");
    if (obs_) obs_->barrier_begin(self);
    barrier_cpu_count_ += 1;  // the extra count, dropped after all CPUs are entrained
    for (CpuId c = 0; c < ncpus(); ++c) {
        Rdp& rdp = this->rdp(c);
        co_await sim_.point(self, "rcu_barrier: next cpu", c);
        if (rdp.cblist_len == 0) continue;
        bool done = false;
        ActorId ipi = spawn("ipi/" + std::to_string(c), c, Task<void>{}, 0);
        sim_.start(ipi, barrier_ipi(sim_.actor(ipi), c, &done, self.id),
                   sim_.now() + cfg_.ipi_latency);
        ctx(self).waiting_actor = ipi;
        if (obs_) obs_->waits_for(self, ipi);
        while (!done) co_await sim_.block(self, completion_wq_, "smp_call_function_single: wait", c);
        ctx(self).waiting_actor = kNoActor;
    }
    if (obs_) obs_->barrier_wait(self);
    if (--barrier_cpu_count_ > 0) {
        while (barrier_cpu_count_ > 0)
            co_await sim_.block(self, barrier_wq_, "rcu_barrier: wait_for_completion");
    }
    if (obs_) obs_->barrier_done(self);
    mutex_unlock(self, barrier_mutex_);
}

// ------------------------------------------------------------------------------------------
// Reclaim: an allocation under memory pressure enters direct reclaim, which calls the
// shrinker's count then scan synchronously in the allocating context (MODEL.md §10.4).

Task<void> Kernel::alloc(Actor& self) {
    co_await sim_.point(self, "alloc");
    Ctx& c = ctx(self);
    if (!in_pressure(sim_.now()) || c.in_reclaim) co_return;
    c.in_reclaim = true;
    op_begin(self, "shrink_slab");
    std::int64_t freeable = co_await lazy_rcu_shrink_count(self);
    if (freeable > 0) co_await lazy_rcu_shrink_scan(self, std::min<std::int64_t>(freeable, 128));
    op_end(self);
    c.in_reclaim = false;
}

Task<void> Kernel::shrinker_actor(Actor& self, std::int64_t nr, bool drop_caches) {
    Ctx& c = ctx(self);
    c.in_reclaim = !drop_caches;  // kswapd / direct reclaim; drop_caches is a plain task
    op_begin(self, "shrink_slab");
    std::int64_t freeable = co_await lazy_rcu_shrink_count(self);
    if (freeable > 0) {
        if (drop_caches) nr = INT64_MAX / 2;
        co_await lazy_rcu_shrink_scan(self, nr);
    }
    op_end(self);
    c.in_reclaim = false;
}

}  // namespace rcusim::kernel
