// Simulator: virtual time, the event queue, simulated CPUs, actors and the scheduler.
//
// Execution model (DESIGN.md "Actors and scheduling points"):
//  * An actor is a coroutine bound to a simulated CPU. It runs from one scheduling point
//    (`co_await sim.point(...)`, `block`, `sleep_until`) to the next; code in between is
//    atomic with respect to every other actor.
//  * Steps take no virtual time; time advances only when no actor is runnable, to the next
//    timed event (a timer, a sleep's end, a scenario event, a delay's cap).
//  * IRQ-off on CPU c (irq_disable) parks every other actor of CPU c until irq_enable.
//  * At every step the scheduler makes two decisions, both through the decision log:
//    which runnable actor steps next (pick), and whether to hold it back (delay). A delay
//    of j holds the actor until other actors have touched the resource its next step
//    declared j times (`touch`, e.g. a lock acquisition; any step counts if it declared
//    none), or until explore.max_delay of virtual time has passed. A released actor steps
//    next. Nothing else influences the order.
#pragma once

#include <coroutine>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "engine/decision.hpp"
#include "engine/event_queue.hpp"
#include "engine/task.hpp"
#include "engine/time.hpp"
#include "engine/trace_event.hpp"

namespace rcusim::engine {

class Simulator;

enum class ActorState : std::uint8_t { kNew, kRunnable, kRunning, kBlocked, kSleeping, kDelayed, kDone };

using Resource = std::uint64_t;  // 0 = none declared

class WaitQueue {
   public:
    bool empty() const { return waiters_.empty(); }
    std::size_t size() const { return waiters_.size(); }
    const std::vector<ActorId>& waiters() const { return waiters_; }

   private:
    friend class Simulator;
    std::vector<ActorId> waiters_;
};

struct alignas(64) Actor {
    // What a step reads and writes comes first, in one cache line (64 B, the struct is
    // line-aligned): at 4096 CPUs a random pick lands on a cold actor on almost every step,
    // so the scheduler's own per-actor bookkeeping (run-queue positions) lives here too.
    ActorId id = kNoActor;
    CpuId cpu = 0;
    std::int32_t runq_pos = -1;  // index in the run queue, -1 if not queued (scheduler)
    std::int32_t cpu_pos = -1;   // index in its CPU's queued list (scheduler)
    int irq_off = 0;
    std::int32_t label_arg = -1;
    ActorState state = ActorState::kNew;
    const char* label = "start";
    Resource resource = 0;
    std::coroutine_handle<> resume_point;
    void* user = nullptr;  // model context (the kernel's per-actor record)
    // Second line: blocking, sleeping, naming.
    WaitQueue* blocked_on = nullptr;
    std::uint64_t wake_token = 0;
    std::string name;
    Task<void> body;
    // 0 task, 1 softirq, 2 hardirq (an IPI): a non-preemptible section excludes the
    // contexts of its CPU at its own level and below, IRQ-off excludes all of them.
    std::uint8_t context_level = 0;
    int preempt_off = 0;
};

struct StepRecord {
    std::uint64_t step = 0;
    Time at = 0;
    CpuId cpu = kNoCpu;
    ActorId actor = kNoActor;
    const char* label = "";
    std::int32_t arg = -1;
};

struct SchedulerConfig {
    Time max_delay = 0;             // 0: never delay
    bool delay_in_irq_off = false;  // may an actor be held inside an IRQ-off section?
    // When nothing is runnable and nothing is due for this long, delayed actors are released
    // instead of letting virtual time run to their cap: a delay only lasts while the rest of
    // the machine makes progress (short waits, e.g. wakeup latencies, do not end it).
    Time idle_release = 50 * kUs;
    // How many actors may be held back at once (a delay is not offered while this many are).
    std::size_t max_delayed = 1;
    // 0: none. Otherwise a delay also ends once the other actors have made this many steps.
    // Steps take no virtual time, so an actor that busy-waits (real code polling a condition
    // the delayed actor would make true) would otherwise hold the delay, and the machine,
    // forever; on a real CPU its spinning takes time and the held context runs. Real-code
    // runs set it; the model keeps 0.
    std::uint64_t delay_step_cap = 0;
    std::uint64_t max_steps = 50'000'000;
    // Keep the decision log (needed for repros and scripted edits; campaigns turn it off and
    // re-run a failing seed with it on: the strategy's answers are the same either way).
    bool record_decisions = true;
};

// Thrown (and turned into an abort with context) when the simulator's own bookkeeping is
// impossible. Findings about the modelled kernel are Violations, never this.
[[noreturn]] void assert_fail(const char* cond, const char* file, int line, const Simulator* sim);

#define RCUSIM_ASSERT_SIM(sim, cond) \
    ((cond) ? (void)0 : ::rcusim::engine::assert_fail(#cond, __FILE__, __LINE__, (sim)))

class Simulator {
   public:
    Simulator(SchedulerConfig cfg, Strategy& strategy, int ncpus);
    ~Simulator();
    Simulator(const Simulator&) = delete;
    Simulator& operator=(const Simulator&) = delete;

    // ---- time and the event queue
    Time now() const { return now_; }
    std::uint64_t steps() const { return steps_; }
    int ncpus() const { return static_cast<int>(cpus_.size()); }
    // One more CPU (real-code mode gives every unbound kthread a CPU of its own, so that its
    // IRQ-off sections exclude nobody else, as on a real machine with idle CPUs to run it).
    CpuId add_cpu();
    // Timed callback at `at` (>= now). Phases order events of the same instant.
    void at(Time at, int phase, TimedFn fn, void* ctx, std::uint64_t arg);

    // ---- actors
    ActorId spawn(std::string name, CpuId cpu, Task<void> body, Time start_at, void* user = nullptr);
    // Two-phase spawn, for bodies that need their own Actor& as an argument.
    ActorId create(std::string name, CpuId cpu, void* user = nullptr);
    void start(ActorId id, Task<void> body, Time start_at);
    // Moves an actor to another CPU (CPU hotplug: the tasks of a dying CPU move away). The
    // actor must not be running or in an IRQ-off section.
    void migrate(ActorId id, CpuId cpu);
    // Replaces the strategy (real-code mode boots the kernel under a fixed schedule, then
    // runs the scenario under the chosen one). The decision log keeps counting points.
    void set_strategy(Strategy& s) { strategy_ = &s; }
    Strategy& strategy() { return *strategy_; }
    Actor& actor(ActorId id) { return actors_[static_cast<std::size_t>(id)]; }
    const Actor& actor(ActorId id) const { return actors_[static_cast<std::size_t>(id)]; }
    std::size_t actor_count() const { return actors_.size(); }
    ActorId current() const { return current_; }

    // ---- awaitables used by actor bodies
    struct PointAwaiter {
        Simulator* sim;
        Actor* self;
        const char* label;
        std::int32_t arg;
        Resource res;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h);
        void await_resume() const noexcept {}
    };
    struct BlockAwaiter {
        Simulator* sim;
        Actor* self;
        WaitQueue* wq;
        const char* label;
        std::int32_t arg;
        Resource res;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h);
        void await_resume() const noexcept {}
    };
    struct SleepAwaiter {
        Simulator* sim;
        Actor* self;
        Time until;
        const char* label;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h);
        void await_resume() const noexcept {}
    };

    // A scheduling point: the actor may be preempted here; the next step is `label`.
    PointAwaiter point(Actor& self, const char* label, std::int32_t arg = -1, Resource res = 0) {
        return {this, &self, label, arg, res};
    }
    // Block on a wait queue until woken; resuming is a scheduling point.
    BlockAwaiter block(Actor& self, WaitQueue& wq, const char* label, std::int32_t arg = -1,
                       Resource res = 0) {
        return {this, &self, &wq, label, arg, res};
    }
    // Sleep until virtual time `until`; resuming is a scheduling point.
    SleepAwaiter sleep_until(Actor& self, Time until, const char* label) {
        return {this, &self, until, label};
    }

    // Wake blocked actors (they become runnable after `latency`).
    void wake_all(WaitQueue& wq, Time latency = 0);
    void wake_one(WaitQueue& wq, Time latency = 0);
    void wake_actor(ActorId id, Time latency = 0);  // if blocked (on anything) or sleeping

    // IRQ-off sections exclude the other actors of the actor's CPU.
    void irq_disable(Actor& self);
    void irq_enable(Actor& self);
    bool irqs_disabled(const Actor& self) const { return self.irq_off > 0; }
    ActorId irq_owner(CpuId cpu) const { return cpus_[static_cast<std::size_t>(cpu)].irq_owner; }
    // Non-preemptible sections (a task holding a spinlock or with preempt_disable(), a
    // softirq running) exclude the CPU's other contexts of the same or a lower level
    // (Actor::context_level): a softirq still interrupts a task that has preemption off, an
    // IPI interrupts both. Nest like IRQ-off.
    void preempt_disable(Actor& self);
    void preempt_enable(Actor& self);

    // The running step also accesses `res` (counts for actors delayed on it).
    void touch(Resource res) {
        if (!delayed_.empty() && res != 0) count_access(res);
    }

    // Hot resources: the model marks the resources whose protected state is in flux (an
    // rdp being (de-)offloaded) so that strategies can concentrate their delays there.
    // Nested marks count; the few hot resources of a run are kept in a small vector.
    void heat(Resource res, int delta);
    bool hot(Resource res) const {
        for (const auto& h : hot_)
            if (h.first == res) return true;
        return false;
    }
    bool any_hot() const { return !hot_.empty(); }

    // ---- running
    // Runs until virtual time `until`, a stop request, or nothing is left to do.
    enum class StopReason { kUntil, kIdle, kStopped, kStepLimit };
    StopReason run(Time until);
    void request_stop() { stop_requested_ = true; }
    void set_step_hook(void (*fn)(void*, ActorId), void* ctx) {
        step_hook_ = fn;
        step_hook_ctx_ = ctx;
    }
    // Called with the CPU, step argument (Actor::label_arg) and model context (Actor::user)
    // of an actor that will probably step next, so the model can prefetch the state that
    // step reads (its context, an rdp). A hint only: it must not change anything.
    void set_prefetch_hook(void (*fn)(void*, CpuId, std::int32_t, const void*), void* ctx) {
        prefetch_hook_ = fn;
        prefetch_hook_ctx_ = ctx;
    }

    // ---- tracing
    bool tracing() const { return !sinks_.empty(); }
    void add_sink(TraceSink* s) { sinks_.push_back(s); }
    void emit(TraceEvent e) {
        if (sinks_.empty()) return;
        e.at = now_;
        e.step = steps_;
        for (auto* s : sinks_) s->on_event(e);
    }

    // ---- history and decisions
    const DecisionLog& decisions() const { return log_; }
    DecisionLog& decisions() { return log_; }
    // The last steps (oldest first), at most kHistory.
    std::vector<StepRecord> history() const;
    static constexpr std::size_t kHistory = 2048;
    const SchedulerConfig& config() const { return cfg_; }

   private:
    // Per-CPU scheduler state a step touches, one cache line per CPU: the members currently
    // in the run queue (inline: no separate heap block, a cache miss on nearly every step at
    // 4096 CPUs) and the IRQ-off owner. The rest is in CpuCold.
    struct alignas(64) Cpu {
        boost::container::small_vector<ActorId, 5> queued;
        ActorId irq_owner = kNoActor;
        ActorId preempt_owner = kNoActor;  // a task with preemption off
        ActorId softirq_owner = kNoActor;  // a softirq running
    };
    struct CpuCold {
        std::vector<ActorId> parked;   // queued members parked by an IRQ-off section
        std::vector<ActorId> members;  // actors bound to this CPU that are not done
    };
    struct Delayed {
        ActorId actor;
        Resource res;
        std::uint64_t remaining;
        Time until;
        bool keep_idle;
        std::uint64_t until_step;  // delay_step_cap: released once steps_ reaches it
    };
    enum EventKind : int { kWakeSleeper = 0 };

    void make_runnable(Actor& a);
    // Whether another context's IRQ-off or non-preemptible section keeps `a` off its CPU.
    bool excluded(const Actor& a) const {
        const Cpu& c = cpus_[static_cast<std::size_t>(a.cpu)];
        return (c.irq_owner != kNoActor && c.irq_owner != a.id) ||
               (c.softirq_owner != kNoActor && c.softirq_owner != a.id && a.context_level <= 1) ||
               (c.preempt_owner != kNoActor && c.preempt_owner != a.id && a.context_level == 0);
    }
    void unpark(CpuId cpu);
    void runq_push(Actor& a);
    void runq_remove(Actor& a);
    void run_step(Actor& a);
    void finish_actor(Actor& a);
    void count_access(Resource res);
    void release_delayed(std::size_t i);
    bool release_due_delays();
    void release_step_capped();
    bool delay_allowed(const Actor& a) const;
    static void wake_sleeper_cb(void* ctx, std::uint64_t arg);
    static void start_actor_cb(void* ctx, std::uint64_t arg);
    static void delayed_wake_cb(void* ctx, std::uint64_t arg);

    SchedulerConfig cfg_;
    Strategy* strategy_;
    Time now_ = 0;
    std::uint64_t steps_ = 0;
    ActorId current_ = kNoActor;
    bool stop_requested_ = false;
    EventQueue queue_;
    std::deque<Actor> actors_;
    bool queued(ActorId id) const { return actor(id).runq_pos >= 0; }
    // Prefetching for big machines: below this many actors everything stays in cache.
    static constexpr std::size_t kPrefetchActors = 1024;
    void prefetch_far(const Actor& a);
    void prefetch_next();
    std::vector<Cpu> cpus_;
    std::vector<CpuCold> cpu_cold_;
    std::vector<ActorId> runq_;
    std::vector<Delayed> delayed_;
    std::vector<std::pair<Resource, int>> hot_;
    std::vector<ActorId> released_;  // released delays: they step next, FIFO
    std::vector<ActorId> scratch_;
    std::vector<ActorId> scratch_irq_;
    std::size_t released_head_ = 0;
    std::vector<TraceSink*> sinks_;
    DecisionLog log_;
    std::vector<StepRecord> ring_;
    void (*step_hook_)(void*, ActorId) = nullptr;
    void* step_hook_ctx_ = nullptr;
    void (*prefetch_hook_)(void*, CpuId, std::int32_t, const void*) = nullptr;
    void* prefetch_hook_ctx_ = nullptr;
};

}  // namespace rcusim::engine
