// The real-code machine: a kernel object built from the user's tree (image.hpp), run under
// the engine. Every simulated kernel context (the workload's callers, the shrinker in
// reclaim, the toggle and hotplug paths, rcuog / rcuo / the GP kthread, timer and RCU
// softirqs, IPIs, kworkers) is a fiber whose steps are engine actor steps; every shim
// primitive that can interleave is a scheduling point labelled with the kernel's file:line
// (machine.cpp implements struct rcusim_host_ops).
//
// Offers the same workload operations as the model (kernel/kernel.hpp), so scenario/ wires
// either; checkers observe through real::Observer (check/real_checkers.cpp).
//
// Execution model:
//  * A task bound to a CPU runs on that engine CPU; IRQ-off there excludes that CPU's other
//    tasks. Kernel threads are unbound: each gets an engine CPU of its own, so it can overlap
//    anything (as on a machine with idle CPUs), and reports CPU 0 (housekeeping) as
//    smp_processor_id().
//  * jiffies follow virtual time (now / tick); timers are engine events that run their
//    function in the softirq task of the CPU that armed them.
//  * CPU hotplug runs for real through the glue; the tasks of a dying CPU move to the
//    lowest online CPU and come back when it is online again.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "engine/simulator.hpp"
#include "real/build.hpp"
#include "real/fiber.hpp"
#include "real/image.hpp"
#include "real/observer.hpp"

namespace rcusim::real {

class RaceDetector;

struct MachineConfig {
    int ncpus = 4;
    int hz = 1000;
    std::vector<int> nocb_cpus;  // offloaded at boot (rcu_nocbs=)
    int group_size = 0;          // rcu_nocb_gp_stride; 0: the kernel's default
    std::int64_t qhimark = 10000;
    Time lazy_flush = 10 * engine::kSec;
    Time gp_duration = 3 * engine::kMs;
    Time wake_latency = 5 * engine::kUs;  // wake_up_process() -> the task runs
    Time ipi_latency = 2 * engine::kUs;
    std::vector<std::pair<Time, Time>> pressure;  // memory-pressure windows
    // The data-race checker (KCSAN-like, race.hpp): off, KCSAN's default rules, or strict.
    enum class DataRaces : std::uint8_t { kOff, kDefault, kStrict };
    DataRaces data_races = DataRaces::kDefault;
};

// A callback the workload queued.
struct Callback {
    CpuId cpu = 0;  // the CPU call_rcu() ran on
    bool lazy = false;
    Time enqueued_at = 0;
    bool queued = false;        // call_rcu() returned
    std::uint64_t gp_needed = 0;  // grace periods that must complete before it may run
    int invocations = 0;
    Time invoked_at = 0;
};

class Machine {
   public:
    Machine(engine::Simulator& sim, const Build& build, MachineConfig cfg);
    ~Machine();
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    void set_observer(Observer* o) { obs_ = o; }
    engine::Simulator& sim() { return sim_; }
    const engine::Simulator& sim() const { return sim_; }
    const MachineConfig& config() const { return cfg_; }
    const Build& build() const { return build_; }

    // Runs the tree's boot to its end at time 0 under a fixed schedule (no decisions).
    void boot();
    // The workload (the model's operations; see kernel::Kernel).
    void add_call_rcu_stream(Time at, CpuId cpu, bool lazy, std::int64_t count, Time every,
                             bool irqs_off);
    void add_shrink(Time at, CpuId cpu, std::int64_t nr_to_scan, bool drop_caches);
    void add_toggle(Time at, CpuId cpu, CpuId target, bool offload);
    void add_barrier(Time at, CpuId cpu);
    void add_alloc(Time at, CpuId cpu);
    void add_hotplug(Time at, CpuId cpu, CpuId target, bool online);
    // Step hook (trace counters).
    void after_step(ActorId a);

    // ---- state for checkers and reports
    int ncpus() const { return cfg_.ncpus; }
    const std::vector<Callback>& callbacks() const { return cbs_; }
    std::uint64_t gp_completed() const { return gp_completed_; }
    const LockInfo* waiting_lock(ActorId a) const;   // the lock a task waits for, or null
    ActorId waiting_actor(ActorId a) const;           // the task it waits for (IPI, work)
    std::vector<const LockInfo*> held_locks(ActorId a) const;
    const std::vector<std::string>& held_sites(ActorId a) const;
    bool actor_done(ActorId a) const { return sim_.actor(a).state == engine::ActorState::kDone; }
    // Callbacks still on an rdp's lists at the end of a run, and those in flight (counted
    // by rcu_segcblist_n_cbs() but on no list: rcu_do_batch() holds them).
    struct Queued {
        std::vector<CbId> listed;
        std::int64_t in_flight = 0;
    };
    Queued queued_callbacks() const;
    // Callbacks whose call_rcu() had returned before the running rcu_barrier() began.
    const std::vector<CbId>& barrier_snapshot(ActorId a) const;
    // "rcu_data[3].nocb_cb_sleep" (field of a kernel structure), or "" when unknown.
    std::string name_address(const void* p) const;
    // "lazy_rcu_shrink_scan() kernel/rcu/tree_nocb.h:1262" for a code address.
    std::string symbolize(const void* pc) const;
    // The kernel's log lines (pr_info() & co.) so far.
    const std::vector<std::string>& kernel_log() const { return log_; }
    // Figures: tasks created, fibers' stacks mapped.
    std::size_t tasks() const { return tasks_.size(); }

    // ---- the host side of the shim (called from the fibers through rcusim_host_ops)
    struct Task;
    struct Lock;
    struct Wq;
    struct Timer;

   private:
    friend struct HostOps;
    Task& spawn_task(std::string name, int kind, CpuId cpu, Time at);
    void run_task(Task& t);
    engine::Task<void> task_body(engine::Actor& self, Task* t);
    static void fiber_main(void* p);
    // Scheduling from inside a fiber.
    void point(const char* label, std::int32_t arg, engine::Resource res);
    void block(const char* label, std::int32_t arg);
    void sleep_until(Time until, const char* label);
    Task& cur() { return *current_; }
    Task& task(int id) { return *tasks_[static_cast<std::size_t>(id)]; }
    void wake(Task& t, Time latency);
    void spin_taken(Task& t);
    void spin_released(Task& t);
    void set_globals(Task& t);

    // Objects.
    Lock& lock_of(rcusim_obj* o, LockType type);
    Wq& wq_of(rcusim_obj* o);
    Timer& timer_of(void* timer, rcusim_obj* o);
    Task* task_of(void* ts);
    const char* site_label(rcusim_site* s);
    engine::Resource resource_of(const volatile void* p) const;
    std::int32_t rdp_of(const volatile void* p) const;
    void note_dirty(const volatile void* p);

    // Host operations (one per rcusim_host_ops member).
    void op_access(rcusim_site* s, const volatile void* addr, unsigned size, int kind);
    void op_plain(const volatile void* addr, unsigned size, int kind, void* pc);
    unsigned long op_irq_save();
    void op_irq_restore(unsigned long flags);
    void op_lock(rcusim_obj* o, int kind, int shared, rcusim_site* s);
    int op_trylock(rcusim_obj* o, int kind, rcusim_site* s);
    void op_unlock(rcusim_obj* o, int kind, int shared, rcusim_site* s);
    void op_wq_prepare(rcusim_obj* o, int exclusive);
    long op_wq_schedule(rcusim_obj* o, long timeout, rcusim_site* s);
    void op_wq_finish(rcusim_obj* o);
    int op_wq_wake(rcusim_obj* o, int nr, rcusim_site* s);
    int op_wq_active(rcusim_obj* o);
    int op_timer_mod(void* timer, rcusim_obj* o, unsigned long expires, int cpu, rcusim_site* s);
    int op_timer_del(rcusim_obj* o, rcusim_site* s);
    int op_timer_pending(rcusim_obj* o, rcusim_site* s);
    void op_kthread_create(void* ts, int (*fn)(void*), void* data, const char* name);
    int op_wake_up_process(void* ts, rcusim_site* s);
    void op_kthread_park(void* ts, rcusim_site* s);
    void op_kthread_unpark(void* ts, rcusim_site* s);
    void op_kthread_parkme(rcusim_site* s);
    long op_schedule_timeout(long j, rcusim_site* s);
    int op_smp_call(int cpu, void (*fn)(void*), void* info, int flags, rcusim_site* s);
    long op_work_on_cpu(int cpu, long (*fn)(void*), void* arg, rcusim_site* s);
    void op_raise_softirq(int cpu, rcusim_site* s);
    void* op_zalloc(std::size_t n);
    void op_warn(rcusim_site* s, const char* cond);
    void op_assert_failed(rcusim_site* s, int kind, const char* what);
    void op_vlog(rcusim_site* s, const char* fmt, va_list ap);
    void op_trace_nocb_wake(rcusim_site* s, int cpu, const char* reason);
    void op_cb_invoked(void* head);
    void op_barrier_event(int what);
    void op_gp_event(int what, unsigned long gp_seq);
    void op_hotplug_event(int cpu, int what);
    int op_shrink_event(int what, long value);

    // Helpers.
    void sleep_check(const char* how);
    void op_end(const char* op);
    void softirq_kick(CpuId cpu);
    void arm_tick(CpuId cpu);
    static void tick_cb(void* ctx, std::uint64_t arg);
    Task& softirq_task(CpuId cpu);
    static void timer_fire_cb(void* ctx, std::uint64_t arg);
    CpuId fallback_cpu(CpuId not_this) const;
    bool in_pressure(Time t) const;
    CbId new_callback(Task& t, bool lazy);
    void emit_counters(CpuId cpu);
    void race_fork(Task& parent, Task& child);
    void race_edge(Task& from, Task& to);

    engine::Simulator& sim_;
    const Build& build_;
    MachineConfig cfg_;
    Image& img_;
    const struct rcusim_image& api_;
    Observer* obs_ = nullptr;
    Time tick_;
    bool booting_ = false;
    std::vector<std::unique_ptr<Task>> tasks_;  // stable addresses: fibers hold them
    Task* current_ = nullptr;
    std::vector<Lock> locks_;   // id - 1
    std::vector<Wq> wqs_;
    std::vector<Timer> timers_;
    std::vector<int> softirq_;  // per CPU: task id + 1
    std::vector<bool> online_;  // the host's view (hotplug events)
    // Per-execution memory: arena chunks and the per-CPU copies.
    std::vector<std::unique_ptr<char[]>> arena_;
    std::size_t arena_used_ = 0;
    char* percpu_ = nullptr;
    std::size_t percpu_stride_ = 0;
    std::unique_ptr<char[]> percpu_block_;
    // Callbacks: their rcu_heads live in one block, index = callback id.
    std::vector<Callback> cbs_;
    std::unique_ptr<char[]> heads_;
    std::size_t heads_cap_ = 0;
    // Grace periods as the glue reports them.
    std::uint64_t gp_started_ = 0, gp_completed_ = 0;
    // rcu_barrier() callers: the callbacks they must wait for.
    std::vector<std::pair<ActorId, std::vector<CbId>>> barriers_;
    std::vector<std::string> log_;
    std::vector<const rcusim_site*> warned_once_;
    std::unique_ptr<RaceDetector> race_;
    static std::unique_ptr<RaceDetector>& spare_race_detector();
    // Trace counters: last emitted values per CPU, and the CPUs touched this step.
    struct Counters {
        long lazy_len = -1, bypass_len = -1, n_cbs = -1;
        unsigned long flags = ~0UL;
    };
    std::vector<Counters> counters_;
    std::vector<std::uint8_t> dirty_flag_;
    std::vector<bool> tick_armed_;
    std::vector<CpuId> dirty_;
    StackPool& stacks_;
};

}  // namespace rcusim::real
