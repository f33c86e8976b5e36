// The modelled machine: per-CPU rcu_data with the SEGCBLIST flags, the nocb locks with
// owners, bypass and lazy_len (with a shadow lazy tag per callback), call_rcu through the
// bypass decision, rcuog / rcuo kthreads, the deferred-wakeup timer, an abstract grace-period
// engine, (de-)offloading through work on the target CPU, rcu_barrier, reclaim and the lazy
// shrinker in its variants. Follows kernel/rcu/tree_nocb.h of v6.3 (torvalds/linux at
// 5c83cedbaaad, patch 1 applied; MODEL.md §2-§4) with the later patches as switches.
//
// Leaves out (// Simplification: in the code where it matters): rcu_node locks and the real
// gp_seq arithmetic (GPs are numbered 1, 2, ...), polling mode, the idle/user-entry deferred
// wakeup fast path, rcu_momentary_dyntick_idle, callback overload forcing beyond the
// qlen_last_fqs_check test, CPU hotplug other than the checks (de-)offload make, kthread
// spawn failures, softirq-vs-task preemption rules on one CPU (softirq work runs as an
// ordinary actor of that CPU).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "engine/simulator.hpp"
#include "kernel/goals.hpp"
#include "kernel/variant.hpp"

namespace rcusim::kernel {

using engine::Actor;
using engine::ActorId;
using engine::CpuId;
using engine::kNoActor;
using engine::Simulator;
using engine::Task;
using engine::Time;
using engine::WaitQueue;

// SEGCBLIST flags (v6.3 meaning, MODEL.md §2.2).
enum SegFlag : std::uint32_t {
    kEnabled = 1u << 0,
    kRcuCore = 1u << 1,
    kLocking = 1u << 2,
    kOffloaded = 1u << 3,
    kKthreadCb = 1u << 4,
    kKthreadGp = 1u << 5,
};
std::string flags_string(std::uint32_t flags);
// Keeps the last three distinct actors, most recent last.
inline void remember_actor(std::array<ActorId, 3>& r, ActorId a) {
    if (r[2] == a) return;
    if (r[1] == a) {
        std::swap(r[1], r[2]);
        return;
    }
    r[0] = r[1];
    r[1] = r[2];
    r[2] = a;
}

// Deferred wakeup levels (RCU_NOCB_WAKE_*).
enum WakeLevel : int { kWakeNot = 0, kWakeBypass = 1, kWakeLazy = 2, kWake = 3, kWakeForce = 4 };
const char* wake_level_name(int level);

enum class LockKind : std::uint8_t {
    kNocbLock,
    kNocbBypassLock,
    kNocbGpLock,
    kBarrierLock,
    kBarrierMutex,
    kNocbGpKthreadMutex,
    kHotplugLock,
};
const char* lock_kind_name(LockKind k);

struct Lock {
    LockKind kind = LockKind::kNocbLock;
    std::int32_t idx = -1;  // rdp / group leader CPU; -1 for global locks
    bool sleeping = false;  // mutex
    bool locked = false;
    ActorId owner = kNoActor;          // who took it last (physical owner while locked)
    // Contexts that believe they hold it (inline storage: no allocation per run).
    boost::container::small_vector<ActorId, 2> holders;
    bool owner_returned = false;       // owner's operation returned with it held
    std::array<ActorId, 3> recent{kNoActor, kNoActor, kNoActor};  // last distinct acquirers
    const char* owner_op = "";         // that operation
    WaitQueue waitq;
    std::string display() const;  // "nocb_lock[1]", "barrier_mutex"
    engine::Resource resource() const {
        return (static_cast<std::uint64_t>(kind) + 1) << 32 | static_cast<std::uint32_t>(idx);
    }
};

using CbId = std::int64_t;

enum class CbWhere : std::uint8_t { kBypass, kCblist, kInFlight, kInvoked, kLost };

struct Callback {
    CbId id = 0;
    CpuId cpu = 0;
    bool lazy = false;
    bool barrier = false;
    Time enqueued_at = 0;
    std::uint64_t enqueue_order = 0;  // global order of enqueues and GP starts
    CbWhere where = CbWhere::kBypass;
    int invocations = 0;
    Time invoked_at = 0;
};

struct CbEntry {
    CbId cb;
    std::int64_t gp;  // 0 = NEXT (no GP assigned yet), else the GP number it waits for
};

// A FIFO over a vector with a moving head: allocates nothing until the first push (a
// std::deque allocates on construction, two per rdp: measurable at 4096 CPUs and in the
// per-execution boot of a fuzz campaign). The storage is reused once it drains.
template <class T>
class Fifo {
   public:
    using iterator = typename std::vector<T>::iterator;
    using const_iterator = typename std::vector<T>::const_iterator;
    using reverse_iterator = typename std::vector<T>::reverse_iterator;
    using const_reverse_iterator = typename std::vector<T>::const_reverse_iterator;
    bool empty() const { return head_ == v_.size(); }
    std::size_t size() const { return v_.size() - head_; }
    void push_back(const T& x) { v_.push_back(x); }
    void pop_front() {
        if (++head_ == v_.size()) {
            clear();
        } else if (head_ >= 64 && head_ * 2 >= v_.size()) {  // amortised O(1) compaction
            v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }
    void pop_back() {
        v_.pop_back();
        if (head_ == v_.size()) clear();
    }
    const T& front() const { return v_[head_]; }
    T& front() { return v_[head_]; }
    const T& back() const { return v_.back(); }
    T& back() { return v_.back(); }
    void clear() {
        v_.clear();
        head_ = 0;
    }
    const_iterator begin() const { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
    const_iterator end() const { return v_.end(); }
    const_reverse_iterator rbegin() const { return v_.rbegin(); }
    const_reverse_iterator rend() const {
        return v_.rend() - static_cast<std::ptrdiff_t>(head_);
    }
    iterator begin() { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
    iterator end() { return v_.end(); }
    reverse_iterator rbegin() { return v_.rbegin(); }
    reverse_iterator rend() { return v_.rend() - static_cast<std::ptrdiff_t>(head_); }

   private:
    std::vector<T> v_;
    std::size_t head_ = 0;
};

struct Rdp {
    CpuId cpu = 0;
    std::uint32_t flags = 0;
    Lock nocb_lock;
    Lock nocb_bypass_lock;
    Fifo<CbId> bypass;
    std::int64_t lazy_len = 0;
    std::int64_t lazy_in_bypass = 0;  // shadow count of lazy-tagged callbacks in the bypass
    std::int64_t bypass_first = 0;    // jiffies
    std::int64_t nobypass_last = 0;
    std::int64_t nobypass_count = 0;
    std::int32_t nocb_lock_contended = 0;
    std::array<ActorId, 3> recent_flag_writers{kNoActor, kNoActor, kNoActor};
    Fifo<CbEntry> cblist;
    std::int64_t cblist_len = 0;  // rcu_segcblist_n_cbs(): includes bypass and in-flight CBs
    std::int64_t in_flight = 0;
    std::int64_t qlen_last_fqs_check = 0;
    std::int64_t nocb_gp_adv_time = -1;
    bool nocb_cb_sleep = true;
    int group = -1;         // index into Kernel::groups(); -1: never a nocb CPU
    bool has_kthreads = false;
    ActorId rcuo = kNoActor;
    WaitQueue nocb_cb_wq;
    WaitQueue nocb_state_wq;
    bool online = true;
    bool core_queued = false;  // in the list of RCU_CORE CPUs with callbacks
    bool softirq_pending = false;
    ActorId softirq = kNoActor;
    WaitQueue softirq_wq;
    // Bookkeeping for the coverage goals (goals.hpp) only: nothing in the model reads it.
    std::int8_t toggling = 0;          // +1 offload, -1 de-offload in progress (toggle.cpp)
    std::int32_t shrinker_checks = 0;  // shrinkers between their lock- and unlock-time checks
    bool lazy_len_rmw = false;         // an enqueue is between its lazy_len read and write
};

struct Group {
    int index = 0;
    CpuId leader = 0;  // the rdp_gp
    std::vector<CpuId> cpus;       // all CPUs assigned to the group
    std::vector<CpuId> head_rdp;   // nocb_head_rdp: members rcuog currently handles
    Lock nocb_gp_lock;
    Lock nocb_gp_kthread_mutex;
    bool nocb_gp_sleep = true;
    int nocb_defer_wakeup = kWakeNot;
    bool timer_pending = false;
    Time timer_expires = 0;  // virtual time
    std::uint64_t timer_gen = 0;
    int timer_fired = 0;     // pending timer softirq runs
    CpuId toggling_rdp = -1;
    ActorId rcuog = kNoActor;
    ActorId timer_actor = kNoActor;
    bool waiting_gp = false;  // rcuog sleeps waiting for a GP
    std::int64_t wait_gp = 0;
    WaitQueue nocb_gp_wq;
    WaitQueue timer_wq;
};

struct MemoryWindow {
    Time from = 0;
    Time to = 0;
};

struct Config {
    int ncpus = 4;
    int hz = 1000;
    std::vector<int> nocb_cpus;  // offloaded at boot
    int group_size = 0;          // 0: nr_cpu_ids / int_sqrt(nr_cpu_ids)
    Switches switches;
    Time lazy_flush = 10 * engine::kSec;
    std::int64_t qhimark = 10000;
    Time gp_duration = 3 * engine::kMs;
    Time wake_latency = 5 * engine::kUs;   // wake_up_process() -> the task runs
    Time ipi_latency = 2 * engine::kUs;
    std::vector<MemoryWindow> pressure;
};

// What a shrinker scan did to one rdp (for the effectiveness / accounting checks).
enum class ShrinkAction : std::uint8_t { kResetLazyLen, kFlushed, kTryFlushSkipped };

// Per-actor kernel context (Actor::user).
struct Ctx {
    struct Held {
        const Lock* lock;
        const char* where;
        int op_depth;
    };
    boost::container::small_vector<Held, 4> held;
    boost::container::small_vector<const char*, 4> ops;  // operation stack ("lazy_rcu_shrink_scan", ...)
    bool in_reclaim = false;
    const Lock* waiting_lock = nullptr;
    ActorId waiting_actor = kNoActor;  // waits for this actor (work_on_cpu, IPI)
    bool is_kthread = false;
    bool in_shrink_scan = false;  // inside lazy_rcu_shrink_scan() (coverage goals)
};

class Kernel;

// Checkers observe through this interface; they never change the kernel.
class Observer {
   public:
    virtual ~Observer() = default;
    virtual void lock_acquired(const Actor&, const Lock&) {}
    // by_holder: the releasing context believed it held the lock; was_locked: it was held.
    virtual void lock_released(const Actor&, const Lock&, bool by_holder, bool was_locked) {}
    virtual void lock_wait(const Actor&, const Lock&) {}
    virtual void waits_for(const Actor&, ActorId) {}
    virtual void nocb_unlock_decision(const Actor&, const Rdp&, bool at_lock, bool at_unlock,
                                      const char* fn) {}
    virtual void op_returned(const Actor&, const char* op, const std::vector<const Lock*>&) {}
    virtual void lazy_len_written(const Actor&, const Rdp&) {}
    virtual void flags_written(const Actor&, const Rdp&, std::uint32_t old_flags) {}
    virtual void rdp_changed(const Rdp&) {}
    virtual void cb_invoked(const Actor&, const Callback&) {}
    virtual void mutex_would_sleep(const Actor&, const Lock&, bool in_reclaim) {}
    // Called before the action takes effect (the bypass still holds what it held).
    virtual void shrinker_acted(const Actor&, const Rdp&, ShrinkAction, std::int64_t count) {}
    // ->cblist (or the bypass flush into it) is about to be modified by this context.
    virtual void cblist_written(const Actor&, const Rdp&) {}
    // A WARN_ON_ONCE() of the modelled kernel fired; `kind` is the violation kind it maps to.
    virtual void kernel_warn(const Actor&, const char* kind, CpuId rdp, std::string message) {}
    // Something a liveness or efficiency check may want to know about.
    virtual void kernel_note(const Actor&, const char* what, CpuId rdp, std::string message) {}
    // wake_nocb_gp_defer() changed the group's deferred wake (level/expiry before the call).
    virtual void deferred_wake(const Actor&, const Group&, int waketype, int level_before,
                               Time expiry_before) {}
    // Liveness (check/liveness.cpp). call_rcu() is about to return; cb.where tells where
    // the callback landed; irqs_off: the caller had IRQs disabled.
    virtual void call_rcu_queued(const Actor&, const Rdp&, const Callback&, bool irqs_off) {}
    // rcuog holds rdp's nocb_lock in its pass (nocb_gp_wait()) and looks at its queues.
    virtual void nocb_gp_scan(const Actor&, const Group&, const Rdp&) {}
    // rcuog is about to sleep with no grace period to wait for (nocb_gp_sleep is set).
    virtual void rcuog_sleep(const Actor&, const Group&) {}
    // rcu_barrier(): holds barrier_mutex / starts wait_for_completion() / is about to return.
    virtual void barrier_begin(const Actor&) {}
    virtual void barrier_wait(const Actor&) {}
    virtual void barrier_done(const Actor&) {}
    virtual void step_end(ActorId) {}
    // A step on rdp `cpu` will probably run next: prefetch what the checks will read.
    virtual void prefetch(CpuId) const {}
};

class Kernel {
   public:
    Kernel(Simulator& sim, Config cfg);
    ~Kernel();
    Kernel(const Kernel&) = delete;
    Kernel& operator=(const Kernel&) = delete;

    void set_observer(Observer* o) { obs_ = o; }
    Simulator& sim() { return sim_; }
    const Simulator& sim() const { return sim_; }
    const Config& config() const { return cfg_; }
    const Switches& sw() const { return cfg_.switches; }

    // ---- boot and workload (called before / between runs of the simulator)
    void boot();  // flags, groups, kthreads, shrinker registration
    void add_call_rcu_stream(Time at, CpuId cpu, bool lazy, std::int64_t count, Time every,
                             bool irqs_off);
    void add_shrink(Time at, CpuId cpu, std::int64_t nr_to_scan, bool drop_caches);
    void add_toggle(Time at, CpuId cpu, CpuId target, bool offload);
    void add_barrier(Time at, CpuId cpu);
    void add_alloc(Time at, CpuId cpu);

    // ---- state, for checkers and reports
    const Rdp& rdp(CpuId c) const { return *rdps_[static_cast<std::size_t>(c)]; }
    Rdp& rdp(CpuId c) { return *rdps_[static_cast<std::size_t>(c)]; }
    int ncpus() const { return cfg_.ncpus; }
    const std::vector<Group>& groups() const { return groups_; }
    const std::vector<Callback>& callbacks() const { return cbs_; }
    const Lock& barrier_mutex() const { return barrier_mutex_; }
    const std::vector<bool>& nocb_mask() const { return nocb_mask_; }
    static Ctx& ctx(const Actor& a) { return *static_cast<Ctx*>(a.user); }
    std::int64_t jiffies() const { return sim_.now() / tick_; }
    Time tick() const { return tick_; }
    std::int64_t gp_completed() const { return gp_completed_; }
    // order_ value at the start of the most recently completed GP (GP-safety check).
    std::uint64_t last_done_gp_start_order() const { return last_done_gp_start_order_; }
    bool in_pressure(Time t) const;
    // The lock an actor is blocked on, or the actor it waits for.
    const Lock* waiting_lock(ActorId a) const;
    ActorId waiting_actor(ActorId a) const;
    // Called by the step hook.
    void after_step(ActorId a);
    // Coverage goals reached so far in this run (goals.hpp).
    const GoalCounts& goal_hits() const { return goal_hits_; }

   private:
    friend struct ModelAccess;

    // ---- actors
    ActorId spawn(std::string name, CpuId cpu, Task<void> body, Time at, bool kthread = false);
    Task<void> call_rcu_stream(Actor& self, bool lazy, std::int64_t count, Time every,
                               bool irqs_off);
    Task<void> shrinker_actor(Actor& self, std::int64_t nr_to_scan, bool drop_caches);
    Task<void> toggler_actor(Actor& self, CpuId target, bool offload);
    Task<void> barrier_actor(Actor& self);
    Task<void> alloc_actor(Actor& self);
    Task<void> rcuog_actor(Actor& self, int group);
    Task<void> rcuo_actor(Actor& self, CpuId cpu);
    Task<void> timer_actor(Actor& self, int group);
    Task<void> softirq_actor(Actor& self, CpuId cpu);
    Task<void> deoffload_work(Actor& self, CpuId target, int* ret, bool* done, ActorId waiter);
    Task<void> offload_work(Actor& self, CpuId target, int* ret, bool* done, ActorId waiter);
    Task<void> barrier_ipi(Actor& self, CpuId cpu, bool* done, ActorId waiter);

    // ---- locks (kernel/locks)
    Task<void> raw_spin_lock(Actor& self, Lock& l, const char* where);
    void raw_spin_unlock(Actor& self, Lock& l);
    bool raw_spin_trylock(Actor& self, Lock& l, const char* where);
    Task<void> mutex_lock(Actor& self, Lock& l, const char* where);
    bool mutex_trylock(Actor& self, Lock& l, const char* where);
    void mutex_unlock(Actor& self, Lock& l) { raw_spin_unlock(self, l); }
    void take(Actor& self, Lock& l, const char* where);
    // rcu_nocb_lock_irqsave(): the decision is returned (and not otherwise remembered).
    Task<bool> rcu_nocb_lock_irqsave(Actor& self, Rdp& rdp, const char* where);
    Task<void> rcu_nocb_unlock_irqrestore(Actor& self, Rdp& rdp, bool at_lock, const char* fn);
    Task<bool> rcu_nocb_lock(Actor& self, Rdp& rdp, const char* where);  // IRQs already off
    void rcu_nocb_unlock(Actor& self, Rdp& rdp, bool at_lock, const char* fn);
    Task<void> rcu_nocb_bypass_lock(Actor& self, Rdp& rdp);
    void op_begin(Actor& self, const char* op);
    void op_end(Actor& self);
    void goal(Goal g) { ++goal_hits_[static_cast<std::size_t>(g)]; }
    // The shrinker looks at rdp (shrinker-in-deoffload / shrinker-in-offload).
    void goal_shrinker_sees(const Rdp& rdp) {
        if (rdp.toggling)
            goal(rdp.toggling < 0 ? Goal::kShrinkerInDeoffload : Goal::kShrinkerInOffload);
    }
    // The shrinker's try-flush (L1) found the bypass lock held.
    void goal_try_flush_skipped(const Actor& self, const Rdp& rdp) {
        goal(Goal::kTryFlushSkipped);
        if (self.cpu != rdp.cpu) goal(Goal::kBypassLockRemoteContended);
    }

    // ---- nocb (kernel/nocb)
    Task<bool> rcu_nocb_try_bypass(Actor& self, Rdp& rdp, CbId cb, bool lazy, bool* was_alldone,
                                   bool irqs_were_off);
    Task<bool> rcu_nocb_flush_bypass(Actor& self, Rdp& rdp, CbId cb, std::int64_t j, bool lazy);
    Task<void> rcu_nocb_try_flush_bypass(Actor& self, Rdp& rdp, std::int64_t j);
    bool rcu_nocb_do_flush_bypass(Actor& self, Rdp& rdp, CbId cb, std::int64_t j, bool lazy);
    Task<void> call_rcu_nocb_wake(Actor& self, Rdp& rdp, bool was_alldone, bool irqs_were_off);
    Task<bool> wake_nocb_gp(Actor& self, Rdp& rdp, bool force);
    bool wake_nocb_gp_unlock(Actor& self, Group& g, bool force);
    Task<void> wake_nocb_gp_defer(Actor& self, Rdp& rdp, int waketype);
    Task<void> do_nocb_deferred_wakeup_timer(Actor& self, Group& g);
    Task<void> nocb_gp_wait(Actor& self, Group& g);
    Task<void> nocb_cb_wait(Actor& self, Rdp& rdp);
    Task<void> nocb_gp_toggle_rdp(Actor& self, Group& g, Rdp& rdp);
    Task<void> rcu_do_batch(Actor& self, Rdp& rdp);
    Task<void> call_rcu(Actor& self, bool lazy, bool irqs_off);
    void wake_rcuog(Group& g);
    void set_flags(Actor& self, Rdp& rdp, std::uint32_t set, std::uint32_t clear);
    void write_lazy_len(Actor& self, Rdp& rdp, std::int64_t v);
    void mod_timer(Group& g, std::int64_t expires_jiffies);
    void del_timer(Group& g);
    static void timer_cb(void* ctx, std::uint64_t arg);
    static void prefetch_cb(void* ctx, CpuId cpu, std::int32_t label_arg, const void* user);
    void emit_rdp_counters(const Rdp& rdp);

    // ---- segcblist / grace periods (kernel/gp)
    bool pend_cbs(const Rdp& rdp) const;   // callbacks not yet ready to invoke
    bool ready_cbs(const Rdp& rdp) const;  // DONE segment non-empty
    bool cblist_empty(const Rdp& rdp) const { return rdp.cblist.empty(); }
    bool nextgp(const Rdp& rdp, std::int64_t* gp) const;  // the GP the first waiting CB needs
    bool advance_cbs(Rdp& rdp);  // assign GPs to NEXT callbacks; true if a GP was requested
    std::int64_t gp_snap() const;
    void request_gp(std::int64_t gp);
    static void gp_start_cb(void* ctx, std::uint64_t arg);
    static void gp_end_cb(void* ctx, std::uint64_t arg);
    void invoke_rcu_core(Rdp& rdp);
    void note_core_cbs(Rdp& rdp);
    void invoke_cb(Actor& self, Rdp& rdp, CbId cb);

    // ---- toggling, barrier, reclaim, shrinker
    Task<void> rdp_offload_toggle(Actor& self, Rdp& rdp, bool offload, bool at_lock, bool* wake_gp);
    Task<void> work_on_cpu(Actor& self, CpuId target, bool offload, int* ret);
    Task<void> rcu_barrier(Actor& self);
    void rcu_barrier_entrain(Actor& self, Rdp& rdp);
    Task<void> alloc(Actor& self);
    Task<std::int64_t> lazy_rcu_shrink_count(Actor& self);
    Task<std::int64_t> lazy_rcu_shrink_scan(Actor& self, std::int64_t nr_to_scan);
    Task<std::int64_t> shrink_scan_one(Actor& self, Rdp& rdp, std::int64_t lockless, bool* skip);
    Task<void> shrink_v3_one(Actor& self, Rdp& rdp, std::int64_t* freed, std::int64_t* nr);

    Simulator& sim_;
    Config cfg_;
    Time tick_;
    std::int64_t nobypass_lim_;
    Observer* obs_ = nullptr;
    std::vector<std::unique_ptr<Rdp>> rdps_;
    std::vector<Group> groups_;
    std::vector<bool> nocb_mask_;
    std::vector<Callback> cbs_;
    std::size_t planned_cbs_ = 0;  // callbacks the call_rcu streams will queue
    std::deque<Ctx> ctxs_;
    Lock barrier_mutex_;
    Lock barrier_lock_;
    Lock hotplug_lock_;
    std::uint64_t order_ = 0;
    // grace periods
    std::int64_t gp_completed_ = 0;
    bool gp_in_progress_ = false;
    std::int64_t gp_needed_ = 0;
    std::uint64_t gp_start_order_ = 0;  // order_ at the start of the GP in progress
    std::uint64_t last_done_gp_start_order_ = 0;
    bool gp_start_scheduled_ = false;
    std::vector<CpuId> core_cpus_;  // RCU_CORE CPUs with callbacks (rcu_core must run)
    // barrier
    std::int64_t barrier_cpu_count_ = 0;
    WaitQueue barrier_wq_;
    // work_on_cpu / IPI completions
    WaitQueue completion_wq_;
    // coverage goals
    GoalCounts goal_hits_{};
    bool toggler_holds_barrier_mutex_ = false;
};

}  // namespace rcusim::kernel
