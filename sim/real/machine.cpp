// The host side of the shim (struct rcusim_host_ops) and the real-code machine's tasks.
// See machine.hpp for the execution model.
#include "real/machine.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include <boost/range/adaptor/indirected.hpp>

#include "real/race.hpp"

namespace rcusim::real {

using engine::kNoActor;
using engine::Resource;
using engine::TraceEvent;
using engine::TraceType;

namespace {

// Labels, lock names and other text the trace keeps pointers to live as long as the process:
// interned here (lookups only on first use of a site or object).
const char* intern(const std::string& s) {
    static std::mutex mu;
    static std::unordered_map<std::string, std::unique_ptr<char[]>> table;
    std::lock_guard<std::mutex> lock(mu);
    auto it = table.find(s);
    if (it != table.end()) return it.operator->()->second.get();
    auto p = std::make_unique<char[]>(s.size() + 1);
    std::memcpy(p.get(), s.c_str(), s.size() + 1);
    const char* r = p.get();
    table.emplace(s, std::move(p));
    return r;
}

StackPool& thread_stacks() {
    thread_local StackPool pool(128 * 1024);
    return pool;
}

// The strategy of boot: the first runnable task, never a delay. Boot is not what a scenario
// explores; its schedule is fixed so every execution starts from the same booted machine.
class BootStrategy final : public engine::Strategy {
   public:
    std::uint64_t pick(std::uint64_t, std::span<const ActorId>, const engine::Simulator&) override {
        return 0;
    }
    std::uint64_t delay(std::uint64_t, const engine::Actor&, const engine::Simulator&) override {
        return 0;
    }
};

[[noreturn]] void host_fail(const char* what) {
    std::fprintf(stderr, "rcusim: real-code host: %s\n", what);
    std::abort();
}

constexpr Resource kLockRes = Resource{1} << 62;
constexpr Resource kMemRes = Resource{2} << 62;
constexpr Resource kStackRes = Resource{3} << 62;

}  // namespace

// ---------------------------------------------------------------- records

enum TaskKind : int { kWorkload, kKthread, kSoftirq, kIpi, kWorker, kBoot };
enum class Req : std::uint8_t { kNone, kPoint, kBlock, kSleep, kExit };
enum class SleepKind : std::uint8_t { kNone, kNormal, kParked, kLock, kCompletion };

struct Machine::Task {
    int id = 0;  // index in tasks_
    ActorId actor = kNoActor;
    std::string name;
    int kind = kWorkload;
    int ctx = RCUSIM_CTX_TASK;
    CpuId home = 0;      // workload tasks: the CPU they belong to
    bool unbound = false;
    Fiber fiber;
    void* ts = nullptr;  // struct task_struct *
    // What the fiber asked for when it yielded.
    Req req = Req::kNone;
    const char* label = "";
    std::int32_t arg = -1;
    Resource res = 0;
    Time until = 0;
    engine::WaitQueue wq;  // every sleep of this task blocks here
    SleepKind sleeping = SleepKind::kNone;
    bool started = false;   // kthreads: woken once (a new kthread waits for that)
    bool woken = false;     // since wq_prepare()
    int wq_id = 0;          // registered in this wait queue (id)
    bool should_park = false, parked = false;
    bool irq_off = false;
    int bh = 0, preempt = 0;
    int spin_preempt = 0;  // raw spinlocks taken (each disabled preemption)
    boost::container::small_vector<int, 4> held;  // lock ids
    std::vector<std::string> held_at;
    int waiting_lock = 0;
    ActorId waiting_actor = kNoActor;
    bool in_reclaim = false;
    std::vector<Resource> hot;  // a toggler's heated resources
    // Entry: a host function, or a kernel function (kthreads, IPIs, work).
    void (*entry)(Machine&, Task&) = nullptr;
    int (*kfn)(void*) = nullptr;
    void (*ipi_fn)(void*) = nullptr;
    long (*work_fn)(void*) = nullptr;
    void* kdata = nullptr;
    long result = 0;
    bool done = false;  // IPI / work finished
    int caller = -1;    // IPI / work: the waiting task
    // Workload parameters.
    bool lazy = false, irqs_off_op = false, drop = false, offload = false;
    std::int64_t count = 0, nr = 0;
    Time every = 0;
    CpuId target = -1;
    // Softirq work.
    bool rcu_pending = false;
    bool tick_pending = false;
    std::deque<int> expired;  // timer ids
    Machine* m = nullptr;
};

struct Machine::Lock {
    LockInfo info;
    std::vector<int> waiters;  // task ids
    engine::Resource res = 0;
    VectorClock vc;
    bool contended_emitted = false;
};

struct Machine::Wq {
    const char* name = "";
    struct Waiter {
        int task;
        bool exclusive;
    };
    std::vector<Waiter> waiters;
};

struct Machine::Timer {
    void* timer = nullptr;
    const char* name = "";
    std::int32_t idx = -1;
    bool pending = false;
    std::uint64_t gen = 0;
    unsigned long expires = 0;
    CpuId cpu = 0;
    VectorClock vc;
};

// ---------------------------------------------------------------- the ops table

struct HostOps {
    static Machine& M(void* h) { return *static_cast<Machine*>(h); }
    static void access(void* h, rcusim_site* s, const volatile void* a, unsigned n, int k) {
        M(h).op_access(s, a, n, k);
    }
    static void plain(void* h, const volatile void* a, unsigned n, int k, void* pc) {
        M(h).op_plain(a, n, k, pc);
    }
    static unsigned long irq_save(void* h) { return M(h).op_irq_save(); }
    static void irq_restore(void* h, unsigned long f) { M(h).op_irq_restore(f); }
    static int irqs_disabled(void* h) { return M(h).cur().irq_off ? 1 : 0; }
    static void count(void* h, int which, int delta) {
        Machine& m = M(h);
        auto& t = m.cur();
        (which == RCUSIM_COUNT_BH ? t.bh : t.preempt) += delta;
        if (which == RCUSIM_COUNT_PREEMPT && !t.unbound && t.kind != kIpi) {
            engine::Actor& a = m.sim_.actor(t.actor);
            if (delta > 0) m.sim_.preempt_disable(a);
            else if (a.preempt_off > 0) m.sim_.preempt_enable(a);
        }
    }
    static int context(void* h) { return M(h).cur().ctx; }
    static int preemptible(void* h) {
        auto& t = M(h).cur();
        return !t.irq_off && t.preempt == 0 && t.bh == 0 && t.ctx == RCUSIM_CTX_TASK &&
               t.spin_preempt == 0;
    }
    static void lock(void* h, rcusim_obj* o, int k, int sh, rcusim_site* s) { M(h).op_lock(o, k, sh, s); }
    static int trylock(void* h, rcusim_obj* o, int k, rcusim_site* s) { return M(h).op_trylock(o, k, s); }
    static void unlock(void* h, rcusim_obj* o, int k, int sh, rcusim_site* s) { M(h).op_unlock(o, k, sh, s); }
    static int is_locked(void* h, rcusim_obj* o) {
        auto& l = M(h).lock_of(o, LockType::kSpin);
        return l.info.owner != kNoActor || !l.info.readers.empty();
    }
    static int is_held(void* h, rcusim_obj* o) {
        Machine& m = M(h);
        auto& l = m.lock_of(o, LockType::kSpin);
        ActorId me = m.cur().actor;
        return l.info.owner == me ||
               std::find(l.info.readers.begin(), l.info.readers.end(), me) != l.info.readers.end();
    }
    static void wq_prepare(void* h, rcusim_obj* o, int e) { M(h).op_wq_prepare(o, e); }
    static long wq_schedule(void* h, rcusim_obj* o, long t, rcusim_site* s) { return M(h).op_wq_schedule(o, t, s); }
    static void wq_finish(void* h, rcusim_obj* o) { M(h).op_wq_finish(o); }
    static int wq_wake(void* h, rcusim_obj* o, int nr, rcusim_site* s) { return M(h).op_wq_wake(o, nr, s); }
    static int wq_active(void* h, rcusim_obj* o) { return M(h).op_wq_active(o); }
    static int timer_mod(void* h, void* t, rcusim_obj* o, unsigned long e, int cpu, rcusim_site* s) {
        return M(h).op_timer_mod(t, o, e, cpu, s);
    }
    static int timer_del(void* h, rcusim_obj* o, rcusim_site* s) { return M(h).op_timer_del(o, s); }
    static int timer_pending(void* h, rcusim_obj* o, rcusim_site* s) { return M(h).op_timer_pending(o, s); }
    static void kthread_create(void* h, void* ts, int (*fn)(void*), void* d, const char* n) {
        M(h).op_kthread_create(ts, fn, d, n);
    }
    static int wake_up_process(void* h, void* ts, rcusim_site* s) { return M(h).op_wake_up_process(ts, s); }
    static void kthread_park(void* h, void* ts, rcusim_site* s) { M(h).op_kthread_park(ts, s); }
    static void kthread_unpark(void* h, void* ts, rcusim_site* s) { M(h).op_kthread_unpark(ts, s); }
    static int kthread_should_park(void* h) { return M(h).cur().should_park ? 1 : 0; }
    static void kthread_parkme(void* h, rcusim_site* s) { M(h).op_kthread_parkme(s); }
    static long schedule_timeout(void* h, long j, rcusim_site* s) { return M(h).op_schedule_timeout(j, s); }
    static void cond_resched(void* h, rcusim_site* s) {
        Machine& m = M(h);
        m.point(m.site_label(s), -1, 0);
    }
    static int smp_call(void* h, int cpu, void (*fn)(void*), void* info, int w, rcusim_site* s) {
        return M(h).op_smp_call(cpu, fn, info, w, s);
    }
    static long work_on_cpu(void* h, int cpu, long (*fn)(void*), void* arg, rcusim_site* s) {
        return M(h).op_work_on_cpu(cpu, fn, arg, s);
    }
    static void raise_softirq(void* h, int cpu, rcusim_site* s) { M(h).op_raise_softirq(cpu, s); }
    static void* zalloc(void* h, std::size_t n) { return M(h).op_zalloc(n); }
    static void warn(void* h, rcusim_site* s, const char* c) { M(h).op_warn(s, c); }
    static void assert_failed(void* h, rcusim_site* s, int k, const char* w) { M(h).op_assert_failed(s, k, w); }
    static void vlog(void* h, rcusim_site* s, const char* fmt, va_list ap) { M(h).op_vlog(s, fmt, ap); }
    static void trace_nocb_wake(void* h, rcusim_site* s, int cpu, const char* r) { M(h).op_trace_nocb_wake(s, cpu, r); }
    static void cb_invoked(void* h, void* head) { M(h).op_cb_invoked(head); }
    static void barrier_event(void* h, int w) { M(h).op_barrier_event(w); }
    static void gp_event(void* h, int w, unsigned long s) { M(h).op_gp_event(w, s); }
    static void hotplug_event(void* h, int cpu, int w) { M(h).op_hotplug_event(cpu, w); }
    static int shrink_event(void* h, int w, long v) { return M(h).op_shrink_event(w, v); }

    static rcusim_host_ops table() {
        rcusim_host_ops o{};
        o.h_access = access;
        o.h_plain = plain;
        o.h_irq_save = irq_save;
        o.h_irq_restore = irq_restore;
        o.h_irqs_disabled = irqs_disabled;
        o.h_count = count;
        o.h_context = context;
        o.h_preemptible = preemptible;
        o.h_lock = lock;
        o.h_trylock = trylock;
        o.h_unlock = unlock;
        o.h_is_locked = is_locked;
        o.h_is_held = is_held;
        o.h_wq_prepare = wq_prepare;
        o.h_wq_schedule = wq_schedule;
        o.h_wq_finish = wq_finish;
        o.h_wq_wake = wq_wake;
        o.h_wq_active = wq_active;
        o.h_timer_mod = timer_mod;
        o.h_timer_del = timer_del;
        o.h_timer_pending = timer_pending;
        o.h_kthread_create = kthread_create;
        o.h_wake_up_process = wake_up_process;
        o.h_kthread_park = kthread_park;
        o.h_kthread_unpark = kthread_unpark;
        o.h_kthread_should_park = kthread_should_park;
        o.h_kthread_parkme = kthread_parkme;
        o.h_schedule_timeout = schedule_timeout;
        o.h_cond_resched = cond_resched;
        o.h_smp_call = smp_call;
        o.h_work_on_cpu = work_on_cpu;
        o.h_raise_softirq = raise_softirq;
        o.h_zalloc = zalloc;
        o.h_warn = warn;
        o.h_assert_failed = assert_failed;
        o.h_vlog = vlog;
        o.h_trace_nocb_wake = trace_nocb_wake;
        o.h_cb_invoked = cb_invoked;
        o.h_barrier_event = barrier_event;
        o.h_gp_event = gp_event;
        o.h_hotplug_event = hotplug_event;
        o.h_shrink_event = shrink_event;
        return o;
    }
};

// ---------------------------------------------------------------- construction

Machine::Machine(engine::Simulator& sim, const Build& build, MachineConfig cfg)
    : sim_(sim),
      build_(build),
      cfg_(std::move(cfg)),
      img_(image_for(build)),
      api_(img_.api()),
      tick_(engine::kSec / cfg_.hz),
      stacks_(thread_stacks()) {
    if (cfg_.ncpus > api_.nr_cpus_max) host_fail("more CPUs than the object was built for");
    // Host-written state of the object.
    *api_.ops = HostOps::table();
    api_.ops->h_gp_jiffies = std::max<long>(1, static_cast<long>((cfg_.gp_duration + tick_ - 1) / tick_));
    *api_.host = this;
    *api_.jiffies_var = 0;
    *api_.nr_cpu_ids = static_cast<unsigned>(cfg_.ncpus);
    for (int c = 0; c < cfg_.ncpus; ++c)
        api_.cpu_possible_bits[c / 64] |= 1UL << (c % 64);
    // Per-CPU copies of the (freshly reset) master section.
    const std::size_t master = static_cast<std::size_t>(api_.percpu_end - api_.percpu_start);
    percpu_stride_ = (master + 63) / 64 * 64;
    percpu_block_.reset(new char[percpu_stride_ * static_cast<std::size_t>(cfg_.ncpus) + 64]);
    percpu_ = reinterpret_cast<char*>((reinterpret_cast<std::uintptr_t>(percpu_block_.get()) + 63) / 64 * 64);
    for (int c = 0; c < cfg_.ncpus; ++c) {
        char* copy = percpu_ + percpu_stride_ * static_cast<std::size_t>(c);
        std::memcpy(copy, api_.percpu_start, master);
        api_.percpu_offset[c] = reinterpret_cast<std::uintptr_t>(copy) -
                                reinterpret_cast<std::uintptr_t>(api_.percpu_start);
    }
    softirq_.assign(static_cast<std::size_t>(cfg_.ncpus), 0);
    online_.assign(static_cast<std::size_t>(cfg_.ncpus), true);
    counters_.assign(static_cast<std::size_t>(cfg_.ncpus), {});
    dirty_flag_.assign(static_cast<std::size_t>(cfg_.ncpus), 0);
    tick_armed_.assign(static_cast<std::size_t>(cfg_.ncpus), false);
    if (cfg_.data_races != MachineConfig::DataRaces::kOff) {
        const bool strict = cfg_.data_races == MachineConfig::DataRaces::kStrict;
        if (auto& spare = spare_race_detector()) {
            race_ = std::move(spare);
            race_->reset(strict);
        } else {
            race_ = std::make_unique<RaceDetector>(strict);
        }
        race_->set_same_line([this](const void* a, const void* b) {
            const auto base = img_.load_base();
            const std::string& la = build_.line_of(reinterpret_cast<std::uintptr_t>(a) - base - 1);
            return !la.empty() && la == build_.line_of(reinterpret_cast<std::uintptr_t>(b) - base - 1);
        });
        race_->set_reporter([this](const void* addr, const RaceDetector::Access& a,
                                   const RaceDetector::Access& b) {
            if (!obs_) return;
            DataRaceInfo r;
            r.object = name_address(addr);
            if (r.object.empty()) r.object = "kernel memory";
            r.first = task(a.task).actor;
            r.second = task(b.task).actor;
            r.first_site = a.marked ? std::string(a.label ? a.label : "?") : symbolize(a.pc);
            r.second_site = b.marked ? std::string(b.label ? b.label : "?") : symbolize(b.pc);
            r.first_write = a.write;
            r.second_write = b.write;
            r.first_marked = a.marked;
            r.second_marked = b.marked;
            obs_->data_race(sim_.actor(r.second), r);
        });
    }
}

Machine::~Machine() {
    for (Task& t : tasks_ | boost::adaptors::indirected)
        if (t.fiber.initialised()) t.fiber.release();
    *api_.host = nullptr;
    if (race_) spare_race_detector() = std::move(race_);
}

// One detector per thread kept between executions: its tables keep their memory.
std::unique_ptr<RaceDetector>& Machine::spare_race_detector() {
    thread_local std::unique_ptr<RaceDetector> spare;
    return spare;
}

// ---------------------------------------------------------------- tasks and fibers

void Machine::fiber_main(void* p) {
    auto* t = static_cast<Task*>(p);
    Machine& m = *t->m;
    if (t->entry) {
        t->entry(m, *t);
    } else if (t->kfn) {
        // A kthread: kthread() parks first if asked to (kthread_park() of a new thread).
        if (t->should_park) m.op_kthread_parkme(nullptr);
        t->kfn(t->kdata);
    }
}

Machine::Task& Machine::spawn_task(std::string name, int kind, CpuId cpu, Time at) {
    Task& t = *tasks_.emplace_back(std::make_unique<Task>());
    t.id = static_cast<int>(tasks_.size() - 1);
    t.name = std::move(name);
    t.kind = kind;
    t.m = this;
    t.home = cpu;
    t.unbound = kind == kKthread;
    t.ctx = kind == kSoftirq ? RCUSIM_CTX_SOFTIRQ : kind == kIpi ? RCUSIM_CTX_HARDIRQ : RCUSIM_CTX_TASK;
    CpuId ecpu = t.unbound ? sim_.add_cpu() : cpu;
    if (!t.unbound && !online_[static_cast<std::size_t>(cpu)] && kind != kIpi)
        ecpu = fallback_cpu(cpu);
    t.actor = sim_.create(t.name, ecpu, nullptr);
    sim_.actor(t.actor).context_level = kind == kSoftirq ? 1 : kind == kIpi ? 2 : 0;
    if (!t.ts) t.ts = api_.new_task(t.name.c_str());
    static_cast<rcusim_obj*>(t.ts)->id = t.id + 1;
    if (race_) {
        race_->new_task(t.id);
        if (!booting_) race_->inherit_boot(t.id);
    }
    sim_.start(t.actor, task_body(sim_.actor(t.actor), &t), at);
    return t;
}

CpuId Machine::fallback_cpu(CpuId not_this) const {
    for (int c = 0; c < cfg_.ncpus; ++c)
        if (c != not_this && online_[static_cast<std::size_t>(c)]) return c;
    return 0;
}

void Machine::set_globals(Task& t) {
    *api_.jiffies_var = static_cast<unsigned long>(sim_.now() / tick_);
    *api_.current_task = t.ts;
    *api_.current_cpu = t.unbound ? 0 : sim_.actor(t.actor).cpu;
}

void Machine::run_task(Task& t) {
    if (!t.fiber.initialised()) t.fiber.init(stacks_, &Machine::fiber_main, &t);
    current_ = &t;
    set_globals(t);
    t.req = Req::kNone;
    t.fiber.resume();
    current_ = nullptr;
    if (t.fiber.finished()) t.req = Req::kExit;
    if (t.req == Req::kNone) host_fail("a fiber yielded without a request");
}

engine::Task<void> Machine::task_body(engine::Actor& self, Task* t) {
    for (;;) {
        run_task(*t);
        switch (t->req) {
            case Req::kPoint: co_await sim_.point(self, t->label, t->arg, t->res); break;
            case Req::kBlock: co_await sim_.block(self, t->wq, t->label, t->arg, t->res); break;
            case Req::kSleep: co_await sim_.sleep_until(self, t->until, t->label); break;
            case Req::kExit:
                if (t->irq_off) {  // a context must not end with interrupts off
                    if (obs_) obs_->op_returned(self, t->name.c_str(), held_locks(self.id), true);
                    t->irq_off = false;
                    sim_.irq_enable(self);
                }
                while (self.preempt_off > 0) sim_.preempt_enable(self);  // held locks: reported
                t->fiber.release();
                co_return;
            case Req::kNone: break;
        }
    }
}

void Machine::point(const char* label, std::int32_t arg, Resource res) {
    if (!current_) host_fail("a scheduling point outside any task (from the host's side)");
    Task& t = cur();
    t.req = Req::kPoint;
    t.label = label;
    t.arg = arg;
    t.res = res;
    t.fiber.yield();
}

void Machine::block(const char* label, std::int32_t arg) {
    Task& t = cur();
    t.req = Req::kBlock;
    t.label = label;
    t.arg = arg;
    t.res = 0;
    t.fiber.yield();
}

void Machine::sleep_until(Time until, const char* label) {
    Task& t = cur();
    t.req = Req::kSleep;
    t.label = label;
    t.until = until;
    t.fiber.yield();
}

void Machine::wake(Task& t, Time latency) {
    if (booting_) latency = 0;
    sim_.wake_actor(t.actor, latency);
}

// ---------------------------------------------------------------- names and resources

const char* Machine::site_label(rcusim_site* s) {
    if (!s) return "";
    if (s->label) return s->label;
    std::string file = s->file ? s->file : "?";
    std::string l = std::string(s->func ? s->func : "?") + ": " + (s->what ? s->what : "") + " " +
                    file + ":" + std::to_string(s->line);
    s->label = intern(l);
    return s->label;
}

std::int32_t Machine::rdp_of(const volatile void* p) const {
    auto a = reinterpret_cast<std::uintptr_t>(p);
    auto b = reinterpret_cast<std::uintptr_t>(percpu_);
    if (a < b) return -1;
    std::uintptr_t cpu = (a - b) / percpu_stride_;
    if (cpu >= static_cast<std::uintptr_t>(cfg_.ncpus)) return -1;
    return static_cast<std::int32_t>(cpu);
}

Resource Machine::resource_of(const volatile void* p) const {
    if (!p) return 0;
    auto a = reinterpret_cast<std::uintptr_t>(p);
    std::int32_t cpu = rdp_of(p);
    if (cpu >= 0) {
        std::uintptr_t off = (a - reinterpret_cast<std::uintptr_t>(percpu_)) % percpu_stride_;
        return kMemRes | (Resource{static_cast<std::uint32_t>(cpu) + 2} << 40) | off;
    }
    if (img_.in_data(const_cast<const void*>(p))) return kMemRes | (Resource{1} << 40) | img_.data_offset(const_cast<const void*>(p));
    for (std::size_t i = 0; i < arena_.size(); ++i) {
        auto lo = reinterpret_cast<std::uintptr_t>(arena_[i].get());
        if (a >= lo && a < lo + (std::size_t{1} << 20))
            return kMemRes | (Resource{0x8000 + i} << 40) | (a - lo);
    }
    if (current_ && current_->fiber.initialised()) {
        // A stack variable (an on-stack completion, a local sequence number).
        return kStackRes | (Resource{static_cast<std::uint32_t>(current_->id)} << 32) | (a & 0xffff);
    }
    return 0;
}

namespace {
std::string field_name(const rcusim_field* f, int n, std::uintptr_t off) {
    for (int i = 0; i < n; ++i)
        if (off >= f[i].offset && off < f[i].offset + std::max<unsigned long>(1, f[i].size)) {
            std::string s = f[i].name;
            if (off != f[i].offset) s += "+" + std::to_string(off - f[i].offset);
            return s;
        }
    return "+" + std::to_string(off);
}
}  // namespace

std::string Machine::name_address(const void* p) const {
    auto a = reinterpret_cast<std::uintptr_t>(p);
    std::int32_t cpu = rdp_of(p);
    if (cpu >= 0) {
        auto rdp = reinterpret_cast<std::uintptr_t>(api_.rdp(cpu));
        if (a >= rdp && a < rdp + api_.rdp_size)
            return "rcu_data[" + std::to_string(cpu) + "]." +
                   field_name(api_.rdp_fields, api_.n_rdp_fields, a - rdp);
        return "per-cpu[" + std::to_string(cpu) + "]+" +
               std::to_string((a - reinterpret_cast<std::uintptr_t>(percpu_)) % percpu_stride_);
    }
    auto nodes = reinterpret_cast<std::uintptr_t>(api_.nodes);
    if (a >= nodes && a < nodes + api_.node_size * static_cast<std::uintptr_t>(*api_.n_nodes)) {
        std::uintptr_t i = (a - nodes) / api_.node_size;
        return "rcu_node[" + std::to_string(i) + "]." +
               field_name(api_.node_fields, api_.n_node_fields, (a - nodes) % api_.node_size);
    }
    auto st = reinterpret_cast<std::uintptr_t>(api_.state);
    if (a >= st && a < st + api_.state_size)
        return "rcu_state." + field_name(api_.state_fields, api_.n_state_fields, a - st);
    return "";
}

Machine::Lock& Machine::lock_of(rcusim_obj* o, LockType type) {
    if (o->id > 0) return locks_[static_cast<std::size_t>(o->id - 1)];
    Lock& l = locks_.emplace_back();
    o->id = static_cast<int>(locks_.size());
    l.info.id = o->id;
    l.info.type = type;
    l.res = kLockRes | static_cast<Resource>(o->id);
    // A name a kernel developer knows: the field of the structure it lives in.
    std::string where = name_address(o);
    std::int32_t cpu = rdp_of(o);
    std::string kind;
    if (!where.empty() && cpu >= 0) {
        kind = where.substr(where.find('.') + 1);
        l.info.idx = cpu;
        l.info.display = kind + "[" + std::to_string(cpu) + "]";
    } else if (where.rfind("rcu_node[", 0) == 0) {
        std::size_t close = where.find(']');
        l.info.idx = std::atoi(where.c_str() + 9);
        kind = "rcu_node_" + where.substr(close + 2);
        l.info.display = "rcu_node[" + std::to_string(l.info.idx) + "]." + where.substr(close + 2);
    } else if (where.rfind("rcu_state.", 0) == 0) {
        kind = where.substr(10);
        l.info.display = kind;
    } else {
        std::string n = o->name ? o->name : "lock";
        kind.clear();
        for (char c : n)  // "&rcusim_cpu_hotplug_lock" -> "rcusim_cpu_hotplug_lock"
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') kind += c;
        if (kind.rfind("rcusim_", 0) == 0) kind = kind.substr(7);
        l.info.display = kind;
    }
    l.info.kind = intern(kind);
    return l;
}

Machine::Wq& Machine::wq_of(rcusim_obj* o) {
    if (o->id > 0) return wqs_[static_cast<std::size_t>(o->id - 1)];
    Wq& w = wqs_.emplace_back();
    o->id = static_cast<int>(wqs_.size());
    std::string n = name_address(o);
    w.name = intern(n.empty() ? (o->name ? o->name : "wait queue") : n);
    return w;
}

Machine::Timer& Machine::timer_of(void* timer, rcusim_obj* o) {
    if (o->id > 0) return timers_[static_cast<std::size_t>(o->id - 1)];
    Timer& t = timers_.emplace_back();
    o->id = static_cast<int>(timers_.size());
    t.timer = timer;
    std::string n = name_address(timer);
    t.idx = rdp_of(timer);
    if (t.idx >= 0 && n.rfind("rcu_data[", 0) == 0) n = n.substr(n.find('.') + 1);
    t.name = intern(n.empty() ? (o->name ? o->name : "timer") : n);
    return t;
}

Machine::Task* Machine::task_of(void* ts) {
    if (!ts) return nullptr;
    int id = static_cast<rcusim_obj*>(ts)->id;
    if (id <= 0 || id > static_cast<int>(tasks_.size())) return nullptr;
    return &task(id - 1);
}

void Machine::note_dirty(const volatile void* p) {
    std::int32_t cpu = rdp_of(p);
    if (cpu < 0 || dirty_flag_[static_cast<std::size_t>(cpu)]) return;
    dirty_flag_[static_cast<std::size_t>(cpu)] = 1;
    dirty_.push_back(cpu);
}

// ---------------------------------------------------------------- memory

void Machine::op_access(rcusim_site* s, const volatile void* addr, unsigned size, int kind) {
    const char* label = site_label(s);
    point(label, rdp_of(addr), resource_of(addr));
    // The access happens now, at the start of the step after the point.
    if (kind & RCUSIM_WRITE) note_dirty(addr);
    if (race_ && addr) {
        std::uintptr_t a = reinterpret_cast<std::uintptr_t>(addr);
        if (!(a >= reinterpret_cast<std::uintptr_t>(api_.host_start) &&
              a < reinterpret_cast<std::uintptr_t>(api_.host_end)))
            race_->marked(cur().id, addr, size, kind, label);
    }
}

void Machine::op_plain(const volatile void* addr, unsigned size, int kind, void* pc) {
    auto a = reinterpret_cast<std::uintptr_t>(addr);
    if (a >= reinterpret_cast<std::uintptr_t>(api_.host_start) &&
        a < reinterpret_cast<std::uintptr_t>(api_.host_end))
        return;  // the shim's own globals
    if (kind & RCUSIM_WRITE) note_dirty(addr);
    if (race_ && current_ && (rdp_of(addr) >= 0 || img_.in_data(const_cast<const void*>(addr)) ||
                              race_->tracks_arena(a)))
        race_->plain(cur().id, addr, size, kind, pc);
}

void* Machine::op_zalloc(std::size_t n) {
    n = (n + 15) / 16 * 16;
    constexpr std::size_t kChunk = std::size_t{1} << 20;
    if (n > kChunk) host_fail("a kernel allocation larger than 1 MiB");
    if (arena_.empty() || arena_used_ + n > kChunk) {
        arena_.emplace_back(new char[kChunk]());
        arena_used_ = 0;
        if (race_) race_->add_arena(reinterpret_cast<std::uintptr_t>(arena_.back().get()), kChunk);
    }
    char* p = arena_.back().get() + arena_used_;
    arena_used_ += n;
    return p;
}

// ---------------------------------------------------------------- interrupts

unsigned long Machine::op_irq_save() {
    Task& t = cur();
    if (t.irq_off) return RCUSIM_IRQ_FLAGS_OFF;
    t.irq_off = true;
    sim_.irq_disable(sim_.actor(t.actor));
    return 0;
}

void Machine::op_irq_restore(unsigned long flags) {
    Task& t = cur();
    if ((flags & RCUSIM_IRQ_FLAGS_OFF) || !t.irq_off) return;
    t.irq_off = false;
    sim_.irq_enable(sim_.actor(t.actor));
}

// ---------------------------------------------------------------- locks

namespace {
bool lock_free_for(const LockInfo& l, bool shared) {
    if (l.owner != kNoActor) return false;
    return shared || l.readers.empty();
}
}  // namespace

void Machine::sleep_check(const char* how) {
    Task& t = cur();
    std::vector<const LockInfo*> spin;
    for (int id : t.held)
        if (locks_[static_cast<std::size_t>(id - 1)].info.type == LockType::kSpin)
            spin.push_back(&locks_[static_cast<std::size_t>(id - 1)].info);
    if ((!spin.empty() || t.irq_off || t.preempt > 0 || t.ctx != RCUSIM_CTX_TASK) && obs_)
        obs_->sleeps_atomic(sim_.actor(t.actor), how, spin, t.irq_off);
}

void Machine::op_lock(rcusim_obj* o, int kind, int shared, rcusim_site* s) {
    const LockType type = kind == RCUSIM_LOCK_MUTEX ? LockType::kMutex
                          : kind == RCUSIM_LOCK_RWSEM ? LockType::kRwsem
                                                      : LockType::kSpin;
    const char* label = site_label(s);
    Lock* l = &lock_of(o, type);
    l->info.type = type;  // a lockdep query may have registered it first
    const int id = l->info.id;
    point(label, l->info.idx, l->res);
    Task& t = cur();
    engine::Actor& self = sim_.actor(t.actor);
    if (type != LockType::kSpin) sleep_check(label);
    for (;;) {
        l = &locks_[static_cast<std::size_t>(id - 1)];
        if (lock_free_for(l->info, shared != 0)) break;
        if (!l->contended_emitted && sim_.tracing()) {
            sim_.emit({.type = TraceType::kLockContend, .cpu = self.cpu, .actor = self.id,
                       .name = l->info.kind, .idx = l->info.idx});
        }
        if (t.in_reclaim && type != LockType::kSpin && obs_) obs_->reclaim_sleeps(self, l->info);
        t.waiting_lock = id;
        l->waiters.push_back(t.id);
        if (obs_) obs_->lock_wait(self, l->info);
        t.sleeping = SleepKind::kLock;
        // The label first: no temporary may live across the yield (a fiber that never
        // resumes would leak it).
        const char* why = intern(std::string(type == LockType::kSpin ? "spinning on " : "sleeping on ") +
                                 l->info.display);
        block(why, l->info.idx);
        t.sleeping = SleepKind::kNone;
        t.waiting_lock = 0;
        l = &locks_[static_cast<std::size_t>(id - 1)];
        auto it = std::find(l->waiters.begin(), l->waiters.end(), t.id);
        if (it != l->waiters.end()) l->waiters.erase(it);
    }
    l = &locks_[static_cast<std::size_t>(id - 1)];
    if (shared) l->info.readers.push_back(t.actor);
    else l->info.owner = t.actor;
    if (type == LockType::kSpin) spin_taken(t);
    l->info.acquired_at = label;
    l->info.owner_gone = false;
    t.held.push_back(id);
    t.held_at.emplace_back(label);
    if (race_) race_->acquire(t.id, l->vc);
    if (sim_.tracing())
        sim_.emit({.type = TraceType::kLockAcquire, .cpu = self.cpu, .actor = self.id,
                   .name = l->info.kind, .idx = l->info.idx});
    if (obs_) obs_->lock_acquired(self, l->info);
}

int Machine::op_trylock(rcusim_obj* o, int kind, rcusim_site* s) {
    const LockType type = kind == RCUSIM_LOCK_MUTEX ? LockType::kMutex : LockType::kSpin;
    const char* label = site_label(s);
    Lock* l = &lock_of(o, type);
    l->info.type = type;
    const int id = l->info.id;
    point(label, l->info.idx, l->res);
    l = &locks_[static_cast<std::size_t>(id - 1)];
    Task& t = cur();
    engine::Actor& self = sim_.actor(t.actor);
    if (!lock_free_for(l->info, false)) {
        if (sim_.tracing())
            sim_.emit({.type = TraceType::kNote, .cpu = self.cpu, .actor = self.id,
                       .name = "trylock-failed", .idx = l->info.idx, .text = l->info.display});
        return 0;
    }
    l->info.owner = t.actor;
    l->info.acquired_at = label;
    l->info.owner_gone = false;
    if (type == LockType::kSpin) spin_taken(t);
    t.held.push_back(id);
    t.held_at.emplace_back(label);
    if (race_) race_->acquire(t.id, l->vc);
    if (sim_.tracing())
        sim_.emit({.type = TraceType::kLockAcquire, .cpu = self.cpu, .actor = self.id,
                   .name = l->info.kind, .idx = l->info.idx});
    if (obs_) obs_->lock_acquired(self, l->info);
    return 1;
}

void Machine::op_unlock(rcusim_obj* o, int kind, int shared, rcusim_site* s) {
    const LockType type = kind == RCUSIM_LOCK_MUTEX ? LockType::kMutex
                          : kind == RCUSIM_LOCK_RWSEM ? LockType::kRwsem
                                                      : LockType::kSpin;
    Lock& l = lock_of(o, type);
    l.info.type = type;
    Task& t = cur();
    engine::Actor& self = sim_.actor(t.actor);
    const char* label = site_label(s);
    auto mine = std::find(t.held.begin(), t.held.end(), l.info.id);
    const bool by_holder = mine != t.held.end();
    const bool was_locked = l.info.owner != kNoActor || !l.info.readers.empty();
    if (by_holder) {
        t.held_at.erase(t.held_at.begin() + (mine - t.held.begin()));
        t.held.erase(mine);
    }
    if (obs_ && (!by_holder || !was_locked)) obs_->lock_released(self, l.info, by_holder, was_locked, label);
    // The release happens whoever does it: a raw spinlock's unlock just frees the word.
    if (shared) {
        auto r = std::find(l.info.readers.begin(), l.info.readers.end(), t.actor);
        if (r != l.info.readers.end()) l.info.readers.erase(r);
        else if (!l.info.readers.empty()) l.info.readers.pop_back();
    } else {
        // Another context's belief that it holds this lock is now wrong; its later unlock
        // is reported as a release of a free lock.
        if (l.info.owner != kNoActor && l.info.owner != t.actor) {
            for (Task& other : tasks_ | boost::adaptors::indirected) {
                if (other.actor != l.info.owner) continue;
                auto h = std::find(other.held.begin(), other.held.end(), l.info.id);
                if (h != other.held.end()) {
                    other.held_at.erase(other.held_at.begin() + (h - other.held.begin()));
                    other.held.erase(h);
                }
            }
        }
        l.info.owner = kNoActor;
    }
    if (race_) race_->release(t.id, l.vc);
    if (type == LockType::kSpin) spin_released(t);
    if (sim_.tracing())
        sim_.emit({.type = TraceType::kLockRelease, .cpu = self.cpu, .actor = self.id,
                   .name = l.info.kind, .idx = l.info.idx, .value = by_holder ? 0 : 1});
    const Time latency = type == LockType::kSpin ? 0 : cfg_.wake_latency;
    std::vector<int> waiters;
    waiters.swap(l.waiters);
    for (int w : waiters) wake(task(w), latency);
}

// raw_spin_lock() disables preemption (preempt_count follows the task's own lock and
// unlock calls, whoever owns the lock): a task holding a spinlock keeps the CPU's other
// tasks off it. Unbound kthreads and IPIs have a CPU of their own or run in hardirq.
void Machine::spin_taken(Task& t) {
    ++t.spin_preempt;
    if (!t.unbound && t.kind != kIpi) sim_.preempt_disable(sim_.actor(t.actor));
}

void Machine::spin_released(Task& t) {
    if (t.spin_preempt == 0) return;
    --t.spin_preempt;
    engine::Actor& a = sim_.actor(t.actor);
    if (!t.unbound && t.kind != kIpi && a.preempt_off > 0) sim_.preempt_enable(a);
}

const LockInfo* Machine::waiting_lock(ActorId a) const {
    for (const Task& t : tasks_ | boost::adaptors::indirected)
        if (t.actor == a && t.waiting_lock > 0) return &locks_[static_cast<std::size_t>(t.waiting_lock - 1)].info;
    return nullptr;
}

ActorId Machine::waiting_actor(ActorId a) const {
    for (const Task& t : tasks_ | boost::adaptors::indirected)
        if (t.actor == a) return t.waiting_actor;
    return kNoActor;
}

std::vector<const LockInfo*> Machine::held_locks(ActorId a) const {
    std::vector<const LockInfo*> out;
    for (const Task& t : tasks_ | boost::adaptors::indirected)
        if (t.actor == a)
            for (int id : t.held) out.push_back(&locks_[static_cast<std::size_t>(id - 1)].info);
    return out;
}

const std::vector<std::string>& Machine::held_sites(ActorId a) const {
    static const std::vector<std::string> none;
    for (const Task& t : tasks_ | boost::adaptors::indirected)
        if (t.actor == a) return t.held_at;
    return none;
}

// ---------------------------------------------------------------- waiting

void Machine::op_wq_prepare(rcusim_obj* o, int exclusive) {
    Wq& w = wq_of(o);
    Task& t = cur();
    if (t.wq_id != o->id) {
        if (t.wq_id) op_wq_finish(nullptr);
        w.waiters.push_back({t.id, exclusive != 0});
        t.wq_id = o->id;
    }
    t.woken = false;
}

long Machine::op_wq_schedule(rcusim_obj* o, long timeout, rcusim_site* s) {
    Task& t = cur();
    const char* label = site_label(s);
    sleep_check(label);
    if (t.woken) {  // woken since prepare: schedule() returns at once
        point(label, -1, 0);
        return timeout < 0 ? 1 : std::max<long>(timeout, 1);
    }
    t.sleeping = SleepKind::kNormal;
    const Time start = sim_.now();
    if (timeout < 0) {
        block(label, -1);
    } else {
        sleep_until(sim_.now() + timeout * tick_, label);
    }
    t.sleeping = SleepKind::kNone;
    if (timeout < 0) return 1;
    long elapsed = static_cast<long>((sim_.now() - start) / tick_);
    return t.woken ? std::max<long>(1, timeout - elapsed) : 0;
}

void Machine::op_wq_finish(rcusim_obj* o) {
    Task& t = cur();
    if (!t.wq_id) return;
    Wq& w = wqs_[static_cast<std::size_t>(t.wq_id - 1)];
    auto it = std::find_if(w.waiters.begin(), w.waiters.end(), [&](const Wq::Waiter& x) { return x.task == t.id; });
    if (it != w.waiters.end()) w.waiters.erase(it);
    t.wq_id = 0;
}

int Machine::op_wq_wake(rcusim_obj* o, int nr, rcusim_site* s) {
    point(site_label(s), -1, resource_of(o));
    Wq& w = wq_of(o);
    Task& me = cur();
    int woken = 0, exclusive = 0;
    for (std::size_t i = 0; i < w.waiters.size();) {
        Task& t = task(w.waiters[i].task);
        const bool excl = w.waiters[i].exclusive;
        // A woken waiter leaves the queue (it re-registers if it sleeps again).
        w.waiters.erase(w.waiters.begin() + static_cast<std::ptrdiff_t>(i));
        t.wq_id = 0;
        t.woken = true;
        if (race_) race_->edge(me.id, t.id);
        if (t.sleeping == SleepKind::kNormal) wake(t, cfg_.wake_latency);
        ++woken;
        if (excl && nr > 0 && ++exclusive >= nr) break;
    }
    return woken;
}

int Machine::op_wq_active(rcusim_obj* o) { return wq_of(o).waiters.empty() ? 0 : 1; }

long Machine::op_schedule_timeout(long j, rcusim_site* s) {
    const char* label = site_label(s);
    sleep_check(label);
    Task& t = cur();
    if (j <= 0) {
        point(label, -1, 0);
        return 0;
    }
    t.sleeping = SleepKind::kNormal;
    t.woken = false;
    sleep_until(sim_.now() + j * tick_, label);
    t.sleeping = SleepKind::kNone;
    return 0;
}

// ---------------------------------------------------------------- kthreads

void Machine::op_kthread_create(void* ts, int (*fn)(void*), void* data, const char* name) {
    Task& parent = cur();
    // A new kthread waits until it is first woken (or parked): no actor until then.
    Task& t = *tasks_.emplace_back(std::make_unique<Task>());
    t.id = static_cast<int>(tasks_.size() - 1);
    t.name = name;
    t.m = this;
    t.kind = kKthread;
    t.unbound = true;
    t.ctx = RCUSIM_CTX_TASK;
    t.kfn = fn;
    t.kdata = data;
    t.ts = ts;
    static_cast<rcusim_obj*>(ts)->id = t.id + 1;
    if (race_) {
        race_->new_task(t.id);
        race_->edge(parent.id, t.id);
    }
}

int Machine::op_wake_up_process(void* ts, rcusim_site* s) {
    point(site_label(s), -1, 0);
    Task* t = task_of(ts);
    if (!t) return 0;
    Task& me = cur();
    if (race_) race_->edge(me.id, t->id);
    if (t->kind == kKthread && !t->started) {
        t->started = true;
        t->actor = sim_.create(t->name, sim_.add_cpu(), nullptr);
        sim_.start(t->actor, task_body(sim_.actor(t->actor), t), sim_.now() + (booting_ ? 0 : cfg_.wake_latency));
        return 1;
    }
    if (t->sleeping == SleepKind::kNormal) {
        t->woken = true;
        wake(*t, cfg_.wake_latency);
        return 1;
    }
    return 0;
}

void Machine::op_kthread_park(void* ts, rcusim_site* s) {
    const char* label = site_label(s);
    point(label, -1, 0);
    Task* t = task_of(ts);
    if (!t) return;
    t->should_park = true;
    if (t->kind == kKthread && !t->started) {
        t->started = true;
        t->actor = sim_.create(t->name, sim_.add_cpu(), nullptr);
        sim_.start(t->actor, task_body(sim_.actor(t->actor), t), sim_.now());
    } else if (t->sleeping == SleepKind::kNormal) {
        t->woken = true;
        wake(*t, cfg_.wake_latency);
    }
    Task& me = cur();
    // wait_for_completion(&kthread->parked)
    while (!t->parked) {
        me.waiting_actor = t->actor;
        me.sleeping = SleepKind::kCompletion;
        const char* why = intern(std::string("kthread_park: waiting for ") + t->name);
        block(why, -1);
        me.sleeping = SleepKind::kNone;
        me.waiting_actor = kNoActor;
    }
    if (race_) race_->edge(t->id, me.id);
}

void Machine::op_kthread_parkme(rcusim_site* s) {
    Task& t = cur();
    while (t.should_park) {
        if (!t.parked) {
            t.parked = true;
            // complete(&self->parked): whoever waits in kthread_park() goes on.
            for (Task& o : tasks_ | boost::adaptors::indirected)
                if (o.sleeping == SleepKind::kCompletion && o.waiting_actor == t.actor) wake(o, 0);
        }
        t.sleeping = SleepKind::kParked;
        block("kthread_parkme: parked", -1);
        t.sleeping = SleepKind::kNone;
    }
    t.parked = false;
}

void Machine::op_kthread_unpark(void* ts, rcusim_site* s) {
    point(site_label(s), -1, 0);
    Task* t = task_of(ts);
    if (!t) return;
    t->should_park = false;
    if (race_) race_->edge(cur().id, t->id);
    if (t->sleeping == SleepKind::kParked) wake(*t, cfg_.wake_latency);
}

// ---------------------------------------------------------------- cross-CPU work

int Machine::op_smp_call(int cpu, void (*fn)(void*), void* info, int flags, rcusim_site* s) {
    const char* label = site_label(s);
    point(label, cpu, 0);
    Task& me = cur();
    if (!(flags & RCUSIM_SMP_HOTPLUG) && !online_[static_cast<std::size_t>(cpu)]) return -RCUSIM_ENXIO;
    if (!me.unbound && sim_.actor(me.actor).cpu == cpu && !(flags & RCUSIM_SMP_HOTPLUG)) {
        // On this CPU: the function runs here, interrupts off.
        unsigned long f = op_irq_save();
        int saved = me.ctx;
        me.ctx = RCUSIM_CTX_HARDIRQ;
        fn(info);
        me.ctx = saved;
        op_irq_restore(f);
        return 0;
    }
    Task& t = spawn_task("ipi/" + std::to_string(cpu), kIpi, cpu,
                         sim_.now() + (booting_ ? 0 : cfg_.ipi_latency));
    t.ipi_fn = fn;
    t.kdata = info;
    t.caller = (flags & RCUSIM_SMP_WAIT) ? me.id : -1;
    t.entry = [](Machine& m, Task& self) {
        unsigned long f = m.op_irq_save();
        self.ipi_fn(self.kdata);
        m.op_irq_restore(f);
        self.done = true;
        if (self.caller >= 0) {
            Task& c = m.task(self.caller);
            if (m.race_) m.race_->edge(self.id, c.id);
            m.wake(c, 0);
        }
    };
    if (race_) race_->edge(me.id, t.id);
    if (flags & RCUSIM_SMP_WAIT) {
        const int id = t.id;
        while (!task(id).done) {
            me.waiting_actor = task(id).actor;
            const char* why = intern("waiting for " + task(id).name);
            block(why, cpu);
            me.waiting_actor = kNoActor;
        }
    }
    return 0;
}

long Machine::op_work_on_cpu(int cpu, long (*fn)(void*), void* arg, rcusim_site* s) {
    const char* label = site_label(s);
    point(label, cpu, 0);
    Task& me = cur();
    sleep_check(label);
    Task& t = spawn_task("kworker/" + std::to_string(cpu), kWorker, cpu, sim_.now() + cfg_.wake_latency);
    t.work_fn = fn;
    t.kdata = arg;
    t.caller = me.id;
    t.entry = [](Machine& m, Task& self) {
        self.result = self.work_fn(self.kdata);
        self.done = true;
        Task& c = m.task(self.caller);
        if (m.race_) m.race_->edge(self.id, c.id);
        m.wake(c, m.cfg_.wake_latency);
    };
    if (race_) race_->edge(me.id, t.id);
    const int id = t.id;
    while (!task(id).done) {
        me.waiting_actor = task(id).actor;
        me.sleeping = SleepKind::kCompletion;
        const char* why = intern("work_on_cpu: waiting for " + task(id).name);
        block(why, cpu);
        me.sleeping = SleepKind::kNone;
        me.waiting_actor = kNoActor;
    }
    return task(id).result;
}

Machine::Task& Machine::softirq_task(CpuId cpu) {
    int& slot = softirq_[static_cast<std::size_t>(cpu)];
    if (slot) return task(slot - 1);
    Task& t = spawn_task("softirq/" + std::to_string(cpu), kSoftirq, cpu, sim_.now());
    slot = t.id + 1;
    t.entry = [](Machine& m, Task& self) {
        engine::Actor& me = m.sim_.actor(self.actor);
        for (;;) {
            // Softirq processing is not preemptible: the CPU's tasks wait until it is done.
            if (!self.expired.empty() || self.rcu_pending || self.tick_pending) m.sim_.preempt_disable(me);
            while (!self.expired.empty() || self.rcu_pending || self.tick_pending) {
                if (self.tick_pending) {
                    self.tick_pending = false;
                    m.api_.tick();
                    continue;
                }
                if (!self.expired.empty()) {
                    int id = self.expired.front();
                    self.expired.pop_front();
                    Timer& tm = m.timers_[static_cast<std::size_t>(id)];
                    if (m.race_) m.race_->acquire(self.id, tm.vc);
                    engine::Actor& a = m.sim_.actor(self.actor);
                    if (m.sim_.tracing())
                        m.sim_.emit({.type = TraceType::kTimer, .cpu = a.cpu, .actor = a.id,
                                     .name = "fire", .idx = tm.idx,
                                     .value = static_cast<std::int64_t>(tm.expires) * m.tick_});
                    m.api_.run_timer(tm.timer);
                    continue;
                }
                self.rcu_pending = false;
                m.api_.rcu_softirq();
            }
            if (me.preempt_off > 0) m.sim_.preempt_enable(me);
            self.sleeping = SleepKind::kNormal;
            m.block("softirq: idle", -1);
            self.sleeping = SleepKind::kNone;
        }
    };
    return t;
}

void Machine::softirq_kick(CpuId cpu) {
    Task& t = softirq_task(cpu);
    if (t.sleeping == SleepKind::kNormal) wake(t, 0);
}

void Machine::op_raise_softirq(int cpu, rcusim_site* s) {
    Task& t = softirq_task(cpu);
    if (race_ && current_) race_->edge(cur().id, t.id);
    t.rcu_pending = true;
    softirq_kick(cpu);
}

// ---------------------------------------------------------------- timers

void Machine::timer_fire_cb(void* ctx, std::uint64_t arg) {
    auto* m = static_cast<Machine*>(ctx);
    const std::size_t id = arg & 0xffffffffu;
    const std::uint64_t gen = arg >> 32;
    Timer& t = m->timers_[id];
    if (!t.pending || (t.gen & 0xffffffffu) != gen) return;
    t.pending = false;  // detached: del_timer() can no longer stop it
    CpuId cpu = t.cpu;
    if (!m->online_[static_cast<std::size_t>(cpu)]) cpu = m->fallback_cpu(cpu);
    Task& si = m->softirq_task(cpu);
    si.expired.push_back(static_cast<int>(id));
    m->softirq_kick(cpu);
}

int Machine::op_timer_mod(void* timer, rcusim_obj* o, unsigned long expires, int cpu, rcusim_site* s) {
    const char* label = site_label(s);
    point(label, rdp_of(timer), resource_of(o));
    Timer& t = timer_of(timer, o);
    Task& me = cur();
    const int was = t.pending ? 1 : 0;
    t.pending = true;
    ++t.gen;
    t.expires = expires;
    t.cpu = cpu >= 0 ? cpu : (me.unbound ? 0 : sim_.actor(me.actor).cpu);
    if (race_) race_->release(me.id, t.vc);
    const Time at = std::max(sim_.now(), static_cast<Time>(expires) * tick_);
    sim_.at(at, 0, &Machine::timer_fire_cb, this,
            (static_cast<std::uint64_t>(t.gen & 0xffffffffu) << 32) | static_cast<std::uint64_t>(o->id - 1));
    if (sim_.tracing())
        sim_.emit({.type = TraceType::kTimer, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                   .name = "arm", .idx = t.idx, .value = static_cast<std::int64_t>(expires) * tick_});
    return was;
}

int Machine::op_timer_del(rcusim_obj* o, rcusim_site* s) {
    point(site_label(s), -1, resource_of(o));
    if (o->id <= 0) return 0;
    Timer& t = timers_[static_cast<std::size_t>(o->id - 1)];
    const int was = t.pending ? 1 : 0;
    if (t.pending && sim_.tracing()) {
        Task& me = cur();
        sim_.emit({.type = TraceType::kTimer, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                   .name = "cancel", .idx = t.idx, .value = static_cast<std::int64_t>(t.expires) * tick_});
    }
    t.pending = false;
    ++t.gen;
    return was;
}

int Machine::op_timer_pending(rcusim_obj* o, rcusim_site* s) {
    point(site_label(s), -1, resource_of(o));
    if (o->id <= 0) return 0;
    return timers_[static_cast<std::size_t>(o->id - 1)].pending ? 1 : 0;
}

// ---------------------------------------------------------------- reports

void Machine::op_warn(rcusim_site* s, const char* cond) {
    if (s->kind == RCUSIM_SITE_ONCE) {
        if (std::find(warned_once_.begin(), warned_once_.end(), s) != warned_once_.end()) return;
        warned_once_.push_back(s);
    }
    if (obs_) obs_->kernel_warn(sim_.actor(cur().actor), site_label(s), cond);
}

void Machine::op_assert_failed(rcusim_site* s, int kind, const char* what) {
    const char* k = kind == RCUSIM_ASSERT_OFFLOAD_READ ? "unsafe-offload-read" : "lockdep-assert";
    // 6.1 reports the offloaded-state check through RCU_LOCKDEP_WARN() itself.
    if (what && std::strstr(what, "offloaded state")) k = "unsafe-offload-read";
    if (obs_) obs_->lockdep(sim_.actor(cur().actor), k, site_label(s), what);
}

namespace {
// printk's format, the subset the kernel/rcu files use; %p* never prints an address (the
// trace must not depend on where memory happens to be).
std::string kformat(const char* fmt, va_list ap) {
    std::string out;
    va_list args;
    va_copy(args, ap);
    for (const char* p = fmt; *p; ++p) {
        if (*p != '%') {
            out += *p;
            continue;
        }
        const char* start = p++;
        std::string spec = "%";
        while (*p && std::strchr("-+ #0", *p)) spec += *p++;
        bool star = false;
        if (*p == '*') {
            star = true;
            ++p;
        }
        while (*p && std::isdigit(static_cast<unsigned char>(*p))) spec += *p++;
        if (*p == '.') {
            spec += *p++;
            while (*p && std::isdigit(static_cast<unsigned char>(*p))) spec += *p++;
        }
        std::string len;
        while (*p && std::strchr("hlzjt", *p)) len += *p++;
        char conv = *p;
        if (!conv) break;
        char buf[128];
        int width = star ? va_arg(args, int) : 0;
        switch (conv) {
            case 'd':
            case 'i':
                if (len.find('l') != std::string::npos || len == "z")
                    std::snprintf(buf, sizeof buf, (spec + "ld").c_str(), va_arg(args, long));
                else
                    std::snprintf(buf, sizeof buf, (spec + "d").c_str(), va_arg(args, int));
                out += buf;
                break;
            case 'u':
            case 'x':
            case 'X':
                if (len.find('l') != std::string::npos || len == "z")
                    std::snprintf(buf, sizeof buf, (spec + "l" + conv).c_str(), va_arg(args, unsigned long));
                else
                    std::snprintf(buf, sizeof buf, (spec + conv).c_str(), va_arg(args, unsigned));
                out += buf;
                break;
            case 'c': out += static_cast<char>(va_arg(args, int)); break;
            case 's': {
                const char* str = va_arg(args, const char*);
                out += str ? str : "(null)";
                break;
            }
            case 'p': {
                void* ptr = va_arg(args, void*);
                // %*pbl: a cpumask as a list; other %p extensions: no address.
                if (p[1] == 'b' && p[2] == 'l' && star) {
                    auto* bits = static_cast<const unsigned long*>(ptr);
                    std::string list;
                    for (int c = 0; c < width;) {
                        if (!((bits[c / 64] >> (c % 64)) & 1)) {
                            ++c;
                            continue;
                        }
                        int e = c;
                        while (e + 1 < width && ((bits[(e + 1) / 64] >> ((e + 1) % 64)) & 1)) ++e;
                        if (!list.empty()) list += ',';
                        list += std::to_string(c) + (e > c ? "-" + std::to_string(e) : "");
                        c = e + 1;
                    }
                    out += list;
                    p += 2;
                } else {
                    out += "(ptr)";
                    while (std::isalnum(static_cast<unsigned char>(p[1]))) ++p;
                }
                break;
            }
            case '%': out += '%'; break;
            default: out.append(start, p + 1); break;
        }
    }
    va_end(args);
    return out;
}
}  // namespace

void Machine::op_vlog(rcusim_site* s, const char* fmt, va_list ap) {
    std::string line = kformat(fmt, ap);
    while (!line.empty() && line.back() == '\n') line.pop_back();
    log_.push_back(line);
    if (sim_.tracing()) {
        Task& me = cur();
        sim_.emit({.type = TraceType::kNote, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                   .name = "printk", .text = intern(line)});
    }
}

void Machine::op_trace_nocb_wake(rcusim_site* s, int cpu, const char* reason) {
    if (!sim_.tracing()) return;
    Task& me = cur();
    sim_.emit({.type = TraceType::kNote, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
               .name = "rcu_nocb_wake", .idx = cpu, .text = reason});
}

// ---------------------------------------------------------------- glue events

void Machine::op_cb_invoked(void* head) {
    auto a = reinterpret_cast<std::uintptr_t>(head);
    auto base = reinterpret_cast<std::uintptr_t>(heads_.get());
    if (a < base || a >= base + heads_cap_ * 16) return;  // not a workload callback
    const std::size_t id = (a - base) / 16;
    Callback& cb = cbs_[id];
    cb.invocations++;
    cb.invoked_at = sim_.now();
    Task& me = cur();
    if (sim_.tracing())
        sim_.emit({.type = TraceType::kCallback, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                   .name = "invoke", .idx = cb.cpu, .value = static_cast<std::int64_t>(id)});
    if (obs_) obs_->cb_invoked(sim_.actor(me.actor), static_cast<CbId>(id));
}

void Machine::op_barrier_event(int what) {
    Task& me = cur();
    engine::Actor& a = sim_.actor(me.actor);
    if (what == RCUSIM_BARRIER_BEGIN) {
        std::vector<CbId> snap;
        for (std::size_t i = 0; i < cbs_.size(); ++i)
            if (cbs_[i].queued && cbs_[i].invocations == 0) snap.push_back(static_cast<CbId>(i));
        barriers_.emplace_back(a.id, std::move(snap));
        if (obs_) obs_->barrier_begin(a);
    } else {
        if (obs_) obs_->barrier_end(a);
        barriers_.erase(std::remove_if(barriers_.begin(), barriers_.end(),
                                       [&](const auto& b) { return b.first == a.id; }),
                        barriers_.end());
    }
}

const std::vector<CbId>& Machine::barrier_snapshot(ActorId a) const {
    static const std::vector<CbId> none;
    for (const auto& b : barriers_)
        if (b.first == a) return b.second;
    return none;
}

void Machine::op_gp_event(int what, unsigned long gp_seq) {
    if (what == RCUSIM_GP_START) {
        ++gp_started_;
        if (sim_.tracing())
            sim_.emit({.type = TraceType::kGp, .name = "start", .value = static_cast<std::int64_t>(gp_started_)});
    } else if (what == RCUSIM_GP_END) {
        ++gp_completed_;
        if (sim_.tracing())
            sim_.emit({.type = TraceType::kGp, .name = "end", .value = static_cast<std::int64_t>(gp_completed_)});
    }
}

int Machine::op_shrink_event(int what, long value) {
    Task& me = cur();
    if (sim_.tracing())
        sim_.emit({.type = TraceType::kNote, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                   .name = what == RCUSIM_SHRINK_COUNT ? "shrinker: count" : "shrinker: scan",
                   .value = value});
    return 0;
}

void Machine::op_hotplug_event(int cpu, int what) {
    Task& me = cur();
    const auto c = static_cast<std::size_t>(cpu);
    if (what == RCUSIM_HP_QUIESCE) {
        // stop_machine(): wait until nothing on `cpu` is in a non-preemptible section, then
        // move its tasks (and its pending timers) to the lowest other online CPU.
        for (;;) {
            bool busy = false;
            for (Task& t : tasks_ | boost::adaptors::indirected) {
                if (t.unbound || t.actor == kNoActor || actor_done(t.actor)) continue;
                if (sim_.actor(t.actor).cpu != cpu) continue;
                if (t.kind == kIpi || t.irq_off || t.preempt > 0 || t.bh > 0 || t.spin_preempt > 0 ||
                    (t.kind == kSoftirq && sim_.actor(t.actor).preempt_off > 0))
                    busy = true;
            }
            if (!busy) break;
            // Not a zero-time spin: others' delays end with time, and time must move.
            const char* why = intern("stop_machine: waiting for cpu " + std::to_string(cpu));
            sleep_until(sim_.now() + engine::kUs, why);
        }
        online_[c] = false;
        const CpuId to = fallback_cpu(cpu);
        for (Task& t : tasks_ | boost::adaptors::indirected) {
            if (t.unbound || t.actor == kNoActor || actor_done(t.actor)) continue;
            if (sim_.actor(t.actor).cpu != cpu || t.kind == kSoftirq) continue;
            if (&t == &me) continue;  // the running task moves after this step (below)
            sim_.migrate(t.actor, to);
        }
        if (softirq_[c]) {
            Task& si = task(softirq_[c] - 1);
            Task& dst = softirq_task(to);
            while (!si.expired.empty()) {
                dst.expired.push_back(si.expired.front());
                si.expired.pop_front();
            }
            for (auto& tm : timers_)
                if (tm.cpu == cpu) tm.cpu = to;
            softirq_kick(to);
        }
        if (sim_.tracing())
            sim_.emit({.type = TraceType::kNote, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                       .name = "cpu_down", .idx = cpu});
        if (!me.unbound && sim_.actor(me.actor).cpu == cpu) {
            // The caller itself runs on the dying CPU: it moves at its next point.
            point(intern("cpu_down: moving off cpu " + std::to_string(cpu)), cpu, 0);
        }
    } else if (what == RCUSIM_HP_DEAD) {
        if (sim_.tracing())
            sim_.emit({.type = TraceType::kNote, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                       .name = "cpu_dead", .idx = cpu});
    } else if (what == RCUSIM_HP_ONLINE) {
        online_[c] = true;
        for (Task& t : tasks_ | boost::adaptors::indirected) {
            if (t.unbound || t.actor == kNoActor || actor_done(t.actor)) continue;
            if (t.kind != kWorkload || t.home != cpu || &t == &me) continue;
            if (!t.irq_off) sim_.migrate(t.actor, cpu);
        }
        if (sim_.tracing())
            sim_.emit({.type = TraceType::kNote, .cpu = sim_.actor(me.actor).cpu, .actor = me.actor,
                       .name = "cpu_online", .idx = cpu});
    }
}

// ---------------------------------------------------------------- boot and the workload

void Machine::boot() {
    BootStrategy fixed;
    engine::Strategy& saved = sim_.strategy();
    sim_.set_strategy(fixed);
    booting_ = true;
    Task& t = spawn_task("boot", kBoot, 0, sim_.now());
    t.entry = [](Machine& m, Task&) {
        // rcu_nocbs= as a CPU list ("0-3,7").
        std::string list;
        std::vector<int> cpus = m.cfg_.nocb_cpus;
        for (std::size_t i = 0; i < cpus.size();) {
            std::size_t j = i;
            while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
            if (!list.empty()) list += ',';
            list += std::to_string(cpus[i]);
            if (j > i) list += "-" + std::to_string(cpus[j]);
            i = j + 1;
        }
        const char* nocb = intern(list);
        rcusim_boot_config cfg{};
        cfg.nocb_cpus = nocb;
        cfg.gp_stride = m.cfg_.group_size > 0 ? m.cfg_.group_size : -1;
        cfg.qhimark = m.cfg_.qhimark;
        cfg.lazy_flush_jiffies = static_cast<unsigned long>(m.cfg_.lazy_flush / m.tick_);
        m.api_.boot(&cfg);
    };
    const ActorId boot_actor = t.actor;
    sim_.run(sim_.now());
    if (sim_.actor(boot_actor).state != engine::ActorState::kDone)
        host_fail("the kernel's boot did not finish at time 0");
    if (race_) race_->set_boot(t.id);
    booting_ = false;
    sim_.set_strategy(saved);
}

CbId Machine::new_callback(Task& t, bool lazy) {
    if (!heads_) {
        // The heads must not move (the kernel holds pointers to them): one block for every
        // callback the streams plan, allocated once the workload is known.
        heads_.reset(new char[std::max<std::size_t>(heads_cap_, 1) * 16]());
        cbs_.reserve(heads_cap_);
    }
    if (cbs_.size() >= heads_cap_) host_fail("more callbacks than the streams planned");
    Callback cb;
    cb.cpu = sim_.actor(t.actor).cpu;
    cb.lazy = lazy;
    cb.enqueued_at = sim_.now();
    cb.gp_needed = gp_completed_ + (gp_started_ > gp_completed_ ? 2 : 1);
    cbs_.push_back(cb);
    return static_cast<CbId>(cbs_.size() - 1);
}

void Machine::op_end(const char* op) {
    Task& t = cur();
    if (!t.held.empty() || t.irq_off) {
        if (obs_) obs_->op_returned(sim_.actor(t.actor), op, held_locks(t.actor), t.irq_off);
    }
}

void Machine::add_call_rcu_stream(Time at, CpuId cpu, bool lazy, std::int64_t count, Time every,
                                  bool irqs_off) {
    heads_cap_ += static_cast<std::size_t>(count);
    Task& t = spawn_task("call_rcu@" + std::to_string(cpu), kWorkload, cpu, at);
    t.lazy = lazy;
    t.count = count;
    t.every = every;
    t.irqs_off_op = irqs_off;
    t.entry = [](Machine& m, Task& self) {
        for (std::int64_t i = 0; i < self.count; ++i) {
            if (i > 0 && self.every > 0) m.sleep_until(m.sim_.now() + self.every, "call_rcu stream: next");
            m.set_globals(self);
            unsigned long f = 0;
            if (self.irqs_off_op) f = m.op_irq_save();
            CbId id = m.new_callback(self, self.lazy);
            void* head = m.heads_.get() + static_cast<std::size_t>(id) * 16;
            if (m.sim_.tracing()) {
                engine::Actor& a = m.sim_.actor(self.actor);
                m.sim_.emit({.type = TraceType::kCallback, .cpu = a.cpu, .actor = a.id,
                             .name = "enqueue", .idx = a.cpu, .value = id});
            }
            m.api_.call_rcu(head, self.lazy ? 1 : 0);
            m.cbs_[static_cast<std::size_t>(id)].queued = true;
            if (self.irqs_off_op) m.op_irq_restore(f);
            m.op_end(self.lazy ? "call_rcu" : "call_rcu_hurry");
        }
    };
}

void Machine::add_shrink(Time at, CpuId cpu, std::int64_t nr_to_scan, bool drop_caches) {
    Task& t = spawn_task((drop_caches ? "drop_caches@" : "shrinker@") + std::to_string(cpu), kWorkload, cpu, at);
    t.nr = nr_to_scan;
    t.drop = drop_caches;
    t.entry = [](Machine& m, Task& self) {
        self.in_reclaim = true;
        m.api_.shrink(self.nr, self.drop ? RCUSIM_RECLAIM_DROP : RCUSIM_RECLAIM_SCAN);
        self.in_reclaim = false;
        m.op_end("lazy_rcu_shrink_scan");
    };
}

void Machine::add_alloc(Time at, CpuId cpu) {
    Task& t = spawn_task("alloc@" + std::to_string(cpu), kWorkload, cpu, at);
    t.entry = [](Machine& m, Task& self) {
        if (!m.in_pressure(m.sim_.now())) return;
        self.in_reclaim = true;
        m.api_.shrink(0, RCUSIM_RECLAIM_DIRECT);
        self.in_reclaim = false;
        m.op_end("direct reclaim");
    };
}

void Machine::add_toggle(Time at, CpuId cpu, CpuId target, bool offload) {
    Task& t = spawn_task("toggler@" + std::to_string(cpu), kWorkload, cpu, at);
    t.target = target;
    t.offload = offload;
    t.entry = [](Machine& m, Task& self) {
        // Focused random runs concentrate their delays on the state in flux: the target's
        // nocb locks and SEGCBLIST flags while it is (de-)offloaded.
        // (In the task, not on the fiber's stack: a toggle that never returns must not leak.)
        auto& hot = self.hot;
        for (int which : {RCUSIM_ADDR_NOCB_LOCK, RCUSIM_ADDR_BYPASS_LOCK, RCUSIM_ADDR_GP_LOCK}) {
            auto* o = static_cast<rcusim_obj*>(m.api_.addr_of(self.target, which));
            if (o) hot.push_back(m.lock_of(o, LockType::kSpin).res);
        }
        hot.push_back(m.resource_of(m.api_.addr_of(self.target, RCUSIM_ADDR_SEG_FLAGS)));
        for (Resource r : hot) m.sim_.heat(r, 1);
        self.result = m.api_.nocb_toggle(self.target, self.offload ? 1 : 0);
        for (Resource r : hot) m.sim_.heat(r, -1);
        m.op_end(self.offload ? "rcu_nocb_cpu_offload" : "rcu_nocb_cpu_deoffload");
    };
}

void Machine::add_barrier(Time at, CpuId cpu) {
    Task& t = spawn_task("barrier@" + std::to_string(cpu), kWorkload, cpu, at);
    t.entry = [](Machine& m, Task&) {
        m.api_.barrier();
        m.op_end("rcu_barrier");
    };
}

void Machine::add_hotplug(Time at, CpuId cpu, CpuId target, bool online) {
    Task& t = spawn_task("hotplug@" + std::to_string(cpu), kWorkload, cpu, at);
    t.target = target;
    t.offload = online;
    t.entry = [](Machine& m, Task& self) {
        self.result = self.offload ? m.api_.cpu_up(self.target) : m.api_.cpu_down(self.target);
        m.op_end(self.offload ? "cpu_up" : "cpu_down");
    };
}

bool Machine::in_pressure(Time t) const {
    for (const auto& [from, to] : cfg_.pressure)
        if (t >= from && t <= to) return true;
    return false;
}

// ---------------------------------------------------------------- after each step

void Machine::emit_counters(CpuId cpu) {
    Counters& c = counters_[static_cast<std::size_t>(cpu)];
    long lazy = api_.lazy_len(cpu), bypass = api_.bypass_len(cpu), n = api_.n_cbs(cpu);
    unsigned long flags = api_.seg_flags(cpu);
    if (lazy != c.lazy_len)
        sim_.emit({.type = TraceType::kCounter, .name = "lazy_len", .idx = cpu, .value = lazy});
    if (bypass != c.bypass_len)
        sim_.emit({.type = TraceType::kCounter, .name = "bypass_len", .idx = cpu, .value = bypass});
    if (n != c.n_cbs)
        sim_.emit({.type = TraceType::kCounter, .name = "cblist_len", .idx = cpu, .value = n});
    if (flags != c.flags) {
        std::string text;
        for (const auto& [name, bit] : build_.features.seg_flags)
            if (flags & (1UL << bit)) text += (text.empty() ? "" : "|") + name;
        sim_.emit({.type = TraceType::kCounter, .name = "offloaded", .idx = cpu,
                   .value = api_.offloaded(cpu)});
        sim_.emit({.type = TraceType::kFlags, .name = "flags", .idx = cpu,
                   .value = static_cast<std::int64_t>(flags), .text = intern(text.empty() ? "0" : text)});
    }
    c = {lazy, bypass, n, flags};
}

void Machine::after_step(ActorId a) {
    if (dirty_.empty()) return;
    const bool tracing = sim_.tracing();
    for (CpuId c : dirty_) {
        dirty_flag_[static_cast<std::size_t>(c)] = 0;
        if (tracing) emit_counters(c);
        // The tick of a CPU whose callbacks rcu_core() handles (glue: rcusim_tick()).
        if (!tick_armed_[static_cast<std::size_t>(c)] && api_.needs_tick(c)) arm_tick(c);
    }
    dirty_.clear();
    if (obs_) obs_->step_end(a);
}

void Machine::arm_tick(CpuId cpu) {
    tick_armed_[static_cast<std::size_t>(cpu)] = true;
    const Time next = (sim_.now() / tick_ + 1) * tick_;
    sim_.at(next, 0, &Machine::tick_cb, this, static_cast<std::uint64_t>(cpu));
}

void Machine::tick_cb(void* ctx, std::uint64_t arg) {
    auto* m = static_cast<Machine*>(ctx);
    const auto cpu = static_cast<CpuId>(arg);
    if (!m->api_.needs_tick(cpu)) {
        m->tick_armed_[static_cast<std::size_t>(cpu)] = false;
        return;
    }
    Task& si = m->softirq_task(cpu);
    si.tick_pending = true;
    m->softirq_kick(cpu);
    m->arm_tick(cpu);
}

Machine::Queued Machine::queued_callbacks() const {
    Queued q;
    // The kernel's lists, walked from the host (no scheduling points).
    auto base = reinterpret_cast<std::uintptr_t>(heads_.get());
    std::int64_t counted = 0, listed = 0;
    std::vector<void*> heads;
    for (int c = 0; c < cfg_.ncpus; ++c) {
        counted += api_.n_cbs(c);
        int n = api_.walk_cbs(c, nullptr, 0);
        heads.resize(static_cast<std::size_t>(std::max(n, 0)));
        n = api_.walk_cbs(c, heads.data(), n);
        listed += n;
        for (void* h : heads) {
            auto a = reinterpret_cast<std::uintptr_t>(h);
            if (base && a >= base && a < base + heads_cap_ * 16)
                q.listed.push_back(static_cast<CbId>((a - base) / 16));
        }
    }
    std::sort(q.listed.begin(), q.listed.end());
    q.in_flight = std::max<std::int64_t>(0, counted - listed);
    return q;
}

std::string Machine::symbolize(const void* pc) const {
    // The return address of the hook call: the access's own line is just before it.
    return build_.symbolize(reinterpret_cast<std::uintptr_t>(pc) - img_.load_base() - 1);
}

}  // namespace rcusim::real
