#include "engine/simulator.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace rcusim::engine {

const char* trace_type_name(TraceType t) {
    switch (t) {
        case TraceType::kActorNew: return "actor_new";
        case TraceType::kActorExit: return "actor_exit";
        case TraceType::kStep: return "step";
        case TraceType::kLockAcquire: return "lock_acquire";
        case TraceType::kLockRelease: return "lock_release";
        case TraceType::kLockContend: return "lock_contend";
        case TraceType::kCounter: return "counter";
        case TraceType::kFlags: return "flags";
        case TraceType::kCallback: return "callback";
        case TraceType::kGp: return "gp";
        case TraceType::kTimer: return "timer";
        case TraceType::kViolation: return "violation";
        case TraceType::kNote: return "note";
    }
    return "?";
}

void assert_fail(const char* cond, const char* file, int line, const Simulator* sim) {
    std::fprintf(stderr, "rcusim: internal assertion failed: %s at %s:%d\n", cond, file, line);
    if (sim) {
        std::fprintf(stderr, "  virtual time %lld ns, step %llu\n",
                     static_cast<long long>(sim->now()),
                     static_cast<unsigned long long>(sim->steps()));
        auto h = sim->history();
        std::size_t from = h.size() > 20 ? h.size() - 20 : 0;
        for (std::size_t i = from; i < h.size(); ++i) {
            const auto& r = h[i];
            std::fprintf(stderr, "  #%llu t=%lld cpu%d %s %s(%d)\n",
                         static_cast<unsigned long long>(r.step), static_cast<long long>(r.at),
                         r.cpu, sim->actor(r.actor).name.c_str(), r.label, r.arg);
        }
    }
    std::abort();
}

#define RCUSIM_ASSERT(cond) RCUSIM_ASSERT_SIM(this, cond)

std::uint64_t draw_delay(Prng& rng, const RandomParams& p, bool has_resource) {
    if (has_resource ? !rng.chance(p.res_num, p.res_den) : !rng.chance(p.plain_num, p.plain_den))
        return 0;
    std::uint64_t j;
    if (rng.chance(3, 4)) {
        j = 1 + rng.below(16);
    } else {
        const unsigned e = static_cast<unsigned>(rng.below(p.log2_max));
        j = (std::uint64_t{1} << e) + rng.below(std::uint64_t{1} << e);
    }
    return rng.chance(p.keep_idle_num, p.keep_idle_den) ? (j | kDelayKeepIdle) : j;
}

RuleStrategy::RuleStrategy(std::vector<Rule> rules, std::optional<std::uint64_t> seed_picks)
    : rules_(std::move(rules)), fired_(rules_.size(), 0), seen_(rules_.size()) {
    if (seed_picks) rng_.emplace(*seed_picks, "sched.pick");
}

namespace {
bool rule_matches(const Rule& r, const Actor& a) {
    return a.name == r.actor && std::string_view(a.label).substr(0, r.label.size()) == r.label;
}
}  // namespace

std::uint64_t RuleStrategy::pick(std::uint64_t, std::span<const ActorId> runq,
                                 const Simulator& sim) {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        if (!rules_[i].prefer) continue;
        for (std::size_t k = 0; k < runq.size(); ++k) {
            if (rule_matches(rules_[i], sim.actor(runq[k]))) {
                fired_[i]++;
                return k;
            }
        }
    }
    return rng_ ? rng_->below(runq.size()) : 0;
}

std::uint64_t RuleStrategy::delay(std::uint64_t, const Actor& a, const Simulator&) {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const Rule& r = rules_[i];
        if (r.delay == 0 || !rule_matches(r, a)) continue;
        int* count = nullptr;
        for (auto& [id, n] : seen_[i])
            if (id == a.id) count = &n;
        if (!count) {
            seen_[i].push_back({a.id, 0});
            count = &seen_[i].back().second;
        }
        if (++*count != r.nth) continue;
        fired_[i]++;
        return r.delay | (r.keep_idle ? kDelayKeepIdle : 0);
    }
    return 0;
}

RandomStrategy::RandomStrategy(std::uint64_t seed, RandomParams p)
    : p_(p), pick_(seed, "sched.pick"), delay_(seed, "sched.delay") {
    Prng mode(seed, "sched.focus");
    focused_ = mode.chance(p_.focus_num, p_.focus_den);
}

std::uint64_t RandomStrategy::delay(std::uint64_t, const Actor& a, const Simulator& sim) {
    if (!focused_) return draw_delay(delay_, p_, a.resource != 0);
    if (a.resource == 0 || !sim.hot(a.resource)) {
        if (!delay_.chance(p_.cold_num, p_.cold_den)) return 0;
        return 1 + delay_.below(16);
    }
    if (!delay_.chance(p_.hot_num, p_.hot_den)) return 0;
    std::uint64_t j;
    if (delay_.chance(3, 4)) {
        j = 1 + delay_.below(p_.hot_j_max);
    } else {
        const unsigned e = static_cast<unsigned>(delay_.below(p_.log2_max));
        j = (std::uint64_t{1} << e) + delay_.below(std::uint64_t{1} << e);
    }
    return delay_.chance(p_.hot_keep_idle_num, p_.hot_keep_idle_den) ? (j | kDelayKeepIdle) : j;
}

Simulator::Simulator(SchedulerConfig cfg, Strategy& strategy, int ncpus)
    : cfg_(cfg), strategy_(&strategy), cpus_(static_cast<std::size_t>(ncpus)), cpu_cold_(static_cast<std::size_t>(ncpus)) {}

CpuId Simulator::add_cpu() {
    cpus_.emplace_back();
    cpu_cold_.emplace_back();
    return static_cast<CpuId>(cpus_.size() - 1);
}

void Simulator::migrate(ActorId id, CpuId cpu) {
    Actor& a = actor(id);
    RCUSIM_ASSERT(cpu >= 0 && cpu < ncpus());
    RCUSIM_ASSERT(a.state != ActorState::kRunning && a.irq_off == 0 && a.preempt_off == 0);
    if (a.cpu == cpu || a.state == ActorState::kDone) return;
    auto& old_cold = cpu_cold_[static_cast<std::size_t>(a.cpu)];
    auto it = std::find(old_cold.members.begin(), old_cold.members.end(), id);
    RCUSIM_ASSERT(it != old_cold.members.end());
    *it = old_cold.members.back();
    old_cold.members.pop_back();
    bool was_parked = false;
    if (auto p = std::find(old_cold.parked.begin(), old_cold.parked.end(), id); p != old_cold.parked.end()) {
        old_cold.parked.erase(p);
        was_parked = true;
    }
    const bool was_queued = queued(id);
    if (was_queued) runq_remove(a);
    a.cpu = cpu;
    cpu_cold_[static_cast<std::size_t>(cpu)].members.push_back(id);
    if (was_queued || was_parked) make_runnable(a);
}

Simulator::~Simulator() = default;

void Simulator::at(Time t, int phase, TimedFn fn, void* ctx, std::uint64_t arg) {
    RCUSIM_ASSERT(t >= now_);
    queue_.push(t, phase, fn, ctx, arg);
}

ActorId Simulator::spawn(std::string name, CpuId cpu, Task<void> body, Time start_at, void* user) {
    ActorId id = create(std::move(name), cpu, user);
    start(id, std::move(body), start_at);
    return id;
}

ActorId Simulator::create(std::string name, CpuId cpu, void* user) {
    RCUSIM_ASSERT(cpu >= 0 && cpu < ncpus());
    auto id = static_cast<ActorId>(actors_.size());
    Actor& ref = actors_.emplace_back();
    ref.id = id;
    ref.name = std::move(name);
    ref.cpu = cpu;
    ref.user = user;
    cpu_cold_[static_cast<std::size_t>(cpu)].members.push_back(id);
    emit({.type = TraceType::kActorNew, .cpu = cpu, .actor = id, .text = ref.name});
    return id;
}

void Simulator::start(ActorId id, Task<void> body, Time start_at) {
    Actor& ref = actor(id);
    RCUSIM_ASSERT(ref.state == ActorState::kNew);
    ref.resume_point = body.handle();
    ref.body = std::move(body);
    if (start_at <= now_) {
        make_runnable(ref);
    } else {
        ref.state = ActorState::kSleeping;
        queue_.push(start_at, 2, &Simulator::start_actor_cb, this, static_cast<std::uint64_t>(id));
    }
}

void Simulator::start_actor_cb(void* ctx, std::uint64_t arg) {
    auto* sim = static_cast<Simulator*>(ctx);
    Actor& a = sim->actor(static_cast<ActorId>(arg));
    if (a.state == ActorState::kSleeping) sim->make_runnable(a);
}

void Simulator::wake_sleeper_cb(void* ctx, std::uint64_t arg) {
    auto* sim = static_cast<Simulator*>(ctx);
    auto id = static_cast<ActorId>(arg & 0xffffffffu);
    auto token = arg >> 32;
    Actor& a = sim->actor(id);
    if (a.state == ActorState::kSleeping && (a.wake_token & 0xffffffffu) == token)
        sim->make_runnable(a);
}

void Simulator::PointAwaiter::await_suspend(std::coroutine_handle<> h) {
    self->resume_point = h;
    self->label = label;
    self->label_arg = arg;
    self->resource = res;
    sim->make_runnable(*self);
}

void Simulator::BlockAwaiter::await_suspend(std::coroutine_handle<> h) {
    self->resume_point = h;
    self->label = label;
    self->label_arg = arg;
    self->resource = res;
    self->state = ActorState::kBlocked;
    self->blocked_on = wq;
    wq->waiters_.push_back(self->id);
}

void Simulator::SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
    self->resume_point = h;
    self->label = label;
    self->label_arg = -1;
    self->resource = 0;
    self->state = ActorState::kSleeping;
    ++self->wake_token;
    Time t = std::max(until, sim->now_);
    sim->queue_.push(t, 1, &Simulator::wake_sleeper_cb, sim,
                     static_cast<std::uint64_t>(self->id) | ((self->wake_token & 0xffffffffu) << 32));
}

void Simulator::wake_actor(ActorId id, Time latency) {
    Actor& a = actor(id);
    if (a.state == ActorState::kBlocked) {
        auto& w = a.blocked_on->waiters_;
        w.erase(std::find(w.begin(), w.end(), id));
        a.blocked_on = nullptr;
    } else if (a.state != ActorState::kSleeping) {
        return;
    }
    if (latency == 0) {
        make_runnable(a);
        return;
    }
    a.state = ActorState::kSleeping;
    ++a.wake_token;
    queue_.push(now_ + latency, 1, &Simulator::wake_sleeper_cb, this,
                static_cast<std::uint64_t>(id) | ((a.wake_token & 0xffffffffu) << 32));
}

void Simulator::wake_all(WaitQueue& wq, Time latency) {
    if (wq.waiters_.empty()) return;
    // Waking cannot re-block anyone on `wq` (no actor runs here), so iterate in place.
    scratch_.assign(wq.waiters_.begin(), wq.waiters_.end());
    wq.waiters_.clear();
    for (ActorId id : scratch_) {
        Actor& a = actor(id);
        a.blocked_on = nullptr;
        a.state = ActorState::kSleeping;  // so wake_actor takes the sleeping path
        if (latency == 0) {
            make_runnable(a);
        } else {
            wake_actor(id, latency);
        }
    }
}

void Simulator::wake_one(WaitQueue& wq, Time latency) {
    if (wq.waiters_.empty()) return;
    wake_actor(wq.waiters_.front(), latency);
}

void Simulator::make_runnable(Actor& a) {
    a.state = ActorState::kRunnable;
    if (excluded(a)) {
        cpu_cold_[static_cast<std::size_t>(a.cpu)].parked.push_back(a.id);
    } else {
        runq_push(a);
    }
}

void Simulator::runq_push(Actor& a) {
    RCUSIM_ASSERT(a.runq_pos < 0);
    a.runq_pos = static_cast<std::int32_t>(runq_.size());
    runq_.push_back(a.id);
    auto& q = cpus_[static_cast<std::size_t>(a.cpu)].queued;
    a.cpu_pos = static_cast<std::int32_t>(q.size());
    q.push_back(a.id);
}

void Simulator::runq_remove(Actor& a) {
    RCUSIM_ASSERT(a.runq_pos >= 0);
    auto pos = static_cast<std::size_t>(a.runq_pos);
    ActorId last = runq_.back();
    runq_[pos] = last;
    actor(last).runq_pos = static_cast<std::int32_t>(pos);
    runq_.pop_back();
    a.runq_pos = -1;
    auto& q = cpus_[static_cast<std::size_t>(a.cpu)].queued;
    auto cpos = static_cast<std::size_t>(a.cpu_pos);
    ActorId qlast = q.back();
    q[cpos] = qlast;
    actor(qlast).cpu_pos = static_cast<std::int32_t>(cpos);
    q.pop_back();
    a.cpu_pos = -1;
}

// At thousands of runnable actors nearly every pick lands on an actor, CPU record,
// coroutine frame, context and rdp that are in no cache, and the step would stall on each
// in turn (each address comes from the previous one). The random strategy can tell what
// the next picks would be if the run queue kept its size, so:
//  * before a step, two picks ahead (a guess: the stepping actor is usually queued again at
//    the end and the last entry moves into its slot): the actor's record (one line, which
//    holds everything the scheduler and the next bullet read);
//  * after a step, the next pick (exact unless a timer or a delay intervenes): from its
//    record, all at once, its CPU record, frame, context and, through the model's hook, its
//    rdp. The misses then overlap instead of following one another.
// A wrong guess only wastes a prefetch; nothing here changes a decision.
void Simulator::prefetch_far(const Actor& a) {
    const std::size_t n = runq_.size();
    std::uint64_t idx[2];
    if (!strategy_->peek_picks(n, idx)) return;
    const auto pos_a = static_cast<std::uint64_t>(a.runq_pos);
    const std::uint64_t i = idx[1];
    const ActorId far = i == pos_a ? runq_.back() : i == n - 1 ? a.id : runq_[i];
    __builtin_prefetch(&actor(far));
}

void Simulator::prefetch_next() {
    const std::size_t n = runq_.size();
    if (n < 2) return;
    std::uint64_t idx[2];
    if (!strategy_->peek_picks(n, idx)) return;
    const Actor& b = actor(runq_[idx[0]]);  // prefetched two steps ago if the guess held
    __builtin_prefetch(&cpus_[static_cast<std::size_t>(b.cpu)]);
    if (void* frame = b.resume_point.address()) {
        __builtin_prefetch(frame);
        __builtin_prefetch(static_cast<char*>(frame) + 64);
    }
    if (prefetch_hook_) prefetch_hook_(prefetch_hook_ctx_, b.cpu, b.label_arg, b.user);
    else if (b.user) __builtin_prefetch(b.user);
}

void Simulator::irq_disable(Actor& self) {
    if (self.irq_off++ > 0) return;
    Cpu& c = cpus_[static_cast<std::size_t>(self.cpu)];
    RCUSIM_ASSERT(c.irq_owner == kNoActor);
    c.irq_owner = self.id;
    // Only this CPU's queued actors move (runq_remove() edits c.queued, so walk a copy).
    if (c.queued.size() > (queued(self.id) ? 1u : 0u)) {
        scratch_irq_.assign(c.queued.begin(), c.queued.end());
        for (ActorId m : scratch_irq_) {
            if (m == self.id) continue;
            runq_remove(actor(m));
            cpu_cold_[static_cast<std::size_t>(self.cpu)].parked.push_back(m);
        }
    }
}

void Simulator::irq_enable(Actor& self) {
    RCUSIM_ASSERT(self.irq_off > 0);
    if (--self.irq_off > 0) return;
    cpus_[static_cast<std::size_t>(self.cpu)].irq_owner = kNoActor;
    unpark(self.cpu);
}

// The CPU's parked actors that nothing excludes any more go back to the run queue.
void Simulator::unpark(CpuId cpu) {
    const Cpu& c = cpus_[static_cast<std::size_t>(cpu)];
    auto& parked = cpu_cold_[static_cast<std::size_t>(cpu)].parked;
    if (parked.size() > 1)
        for (ActorId m : parked) __builtin_prefetch(&actor(m));
    if (c.irq_owner == kNoActor && c.preempt_owner == kNoActor && c.softirq_owner == kNoActor) {
        // make_runnable() cannot park on this CPU now, so parked is not appended to meanwhile.
        for (ActorId m : parked) {
            Actor& o = actor(m);
            if (o.state == ActorState::kRunnable && !queued(m)) runq_push(o);
        }
        parked.clear();
        return;
    }
    std::size_t keep = 0;
    for (std::size_t i = 0; i < parked.size(); ++i) {
        Actor& o = actor(parked[i]);
        if (o.state != ActorState::kRunnable || queued(o.id)) continue;
        if (excluded(o)) parked[keep++] = o.id;
        else runq_push(o);
    }
    parked.resize(keep);
}

void Simulator::preempt_disable(Actor& self) {
    if (self.preempt_off++ > 0) return;
    RCUSIM_ASSERT(self.context_level <= 1);
    Cpu& c = cpus_[static_cast<std::size_t>(self.cpu)];
    ActorId& owner = self.context_level == 1 ? c.softirq_owner : c.preempt_owner;
    RCUSIM_ASSERT(owner == kNoActor);
    owner = self.id;
    if (c.queued.size() > (queued(self.id) ? 1u : 0u)) {
        scratch_irq_.assign(c.queued.begin(), c.queued.end());
        for (ActorId m : scratch_irq_) {
            Actor& o = actor(m);
            if (m == self.id || !excluded(o)) continue;
            runq_remove(o);
            cpu_cold_[static_cast<std::size_t>(self.cpu)].parked.push_back(m);
        }
    }
}

void Simulator::preempt_enable(Actor& self) {
    RCUSIM_ASSERT(self.preempt_off > 0);
    if (--self.preempt_off > 0) return;
    Cpu& c = cpus_[static_cast<std::size_t>(self.cpu)];
    (self.context_level == 1 ? c.softirq_owner : c.preempt_owner) = kNoActor;
    unpark(self.cpu);
}

void Simulator::heat(Resource res, int delta) {
    for (std::size_t i = 0; i < hot_.size(); ++i) {
        if (hot_[i].first != res) continue;
        hot_[i].second += delta;
        RCUSIM_ASSERT(hot_[i].second >= 0);
        if (hot_[i].second == 0) {
            hot_[i] = hot_.back();
            hot_.pop_back();
        }
        return;
    }
    RCUSIM_ASSERT(delta > 0);
    hot_.emplace_back(res, delta);
}

bool Simulator::delay_allowed(const Actor& a) const {
    return cfg_.max_delay > 0 && delayed_.size() < cfg_.max_delayed &&
           (a.irq_off == 0 || cfg_.delay_in_irq_off);
}

void Simulator::count_access(Resource res) {
    for (std::size_t i = 0; i < delayed_.size();) {
        Delayed& d = delayed_[i];
        if (d.actor != current_ && (d.res == res || (res == 0 && d.res == 0)) && --d.remaining == 0) {
            release_delayed(i);
            continue;
        }
        ++i;
    }
}

void Simulator::release_delayed(std::size_t i) {
    ActorId id = delayed_[i].actor;
    delayed_[i] = delayed_.back();
    delayed_.pop_back();
    make_runnable(actor(id));
    released_.push_back(id);
}

void Simulator::release_step_capped() {
    for (std::size_t i = 0; i < delayed_.size();) {
        if (delayed_[i].until_step <= steps_) {
            release_delayed(i);
            continue;
        }
        ++i;
    }
}

bool Simulator::release_due_delays() {
    bool any = false;
    for (std::size_t i = 0; i < delayed_.size();) {
        if (delayed_[i].until <= now_) {
            release_delayed(i);
            any = true;
            continue;
        }
        ++i;
    }
    return any;
}

void Simulator::run_step(Actor& a) {
    const bool prefetch = actors_.size() >= kPrefetchActors;
    if (prefetch && runq_.size() > 2) prefetch_far(a);
    runq_remove(a);
    a.state = ActorState::kRunning;
    current_ = a.id;
    ++steps_;
    // The ring grows with the run up to kHistory entries (short runs, e.g. fuzz executions,
    // never pay for the whole ring), then wraps.
    const StepRecord rec{steps_, now_, a.cpu, a.id, a.label, a.label_arg};
    if (ring_.size() < kHistory) ring_.push_back(rec);
    else ring_[(steps_ - 1) % kHistory] = rec;  // step s lives at (s - 1) % kHistory
    if (!delayed_.empty()) {
        count_access(0);  // actors delayed for "any step"
        if (cfg_.delay_step_cap && !delayed_.empty()) release_step_capped();
    }

    if (!sinks_.empty())
        emit({.type = TraceType::kStep, .cpu = a.cpu, .actor = a.id, .name = a.label,
              .idx = a.label_arg});
    a.resume_point.resume();
    current_ = kNoActor;
    if (a.state == ActorState::kRunning) {
        RCUSIM_ASSERT(a.body.done());
        if (auto err = a.body.handle().promise().error_) {
            try {
                std::rethrow_exception(err);
            } catch (const std::exception& ex) {
                std::fprintf(stderr, "rcusim: actor %s threw: %s\n", a.name.c_str(), ex.what());
            }
            RCUSIM_ASSERT(!"actor body threw");
        }
        finish_actor(a);
    }
    strategy_->after_step(a);
    if (step_hook_) step_hook_(step_hook_ctx_, a.id);
    if (prefetch) prefetch_next();
}

void Simulator::finish_actor(Actor& a) {
    RCUSIM_ASSERT(a.irq_off == 0 && a.preempt_off == 0);
    a.state = ActorState::kDone;
    emit({.type = TraceType::kActorExit, .cpu = a.cpu, .actor = a.id});
    auto& m = cpu_cold_[static_cast<std::size_t>(a.cpu)].members;
    auto it = std::find(m.begin(), m.end(), a.id);
    RCUSIM_ASSERT(it != m.end());
    *it = m.back();
    m.pop_back();
    a.body = Task<void>{};
    a.resume_point = {};
}

Simulator::StopReason Simulator::run(Time until) {
    stop_requested_ = false;
    for (;;) {
        if (stop_requested_) return StopReason::kStopped;
        while (!queue_.empty() && queue_.top().at <= now_) {
            TimedEvent e = queue_.pop();
            e.fn(e.ctx, e.arg);
        }
        if (!delayed_.empty()) release_due_delays();
        if (runq_.empty()) {
            Time next = kTimeMax;
            if (!queue_.empty()) next = queue_.top().at;
            if (!delayed_.empty() && (next == kTimeMax || next - now_ > cfg_.idle_release)) {
                // Idle machine: a delay that does not keep through idle periods ends here.
                bool released = false;
                for (std::size_t i = 0; i < delayed_.size();) {
                    if (!delayed_[i].keep_idle || next == kTimeMax) {
                        release_delayed(i);
                        released = true;
                        continue;
                    }
                    ++i;
                }
                if (released) continue;
            }
            for (const auto& d : delayed_) next = std::min(next, d.until);
            if (next == kTimeMax) return StopReason::kIdle;
            if (next > until) {
                now_ = std::max(now_, until);
                return StopReason::kUntil;
            }
            now_ = next;
            continue;
        }
        if (steps_ >= cfg_.max_steps) return StopReason::kStepLimit;

        Actor* a = nullptr;
        while (released_head_ < released_.size()) {
            Actor& r = actor(released_[released_head_++]);
            if (r.state == ActorState::kRunnable && queued(r.id)) {
                a = &r;
                break;
            }
        }
        if (released_head_ >= released_.size()) {
            released_.clear();
            released_head_ = 0;
        }
        if (!a) {
            std::size_t idx = 0;
            if (runq_.size() > 1) {
                std::uint64_t point = log_.points++;
                idx = strategy_->pick(point, runq_, *this);
                RCUSIM_ASSERT(idx < runq_.size());
                if (idx != 0 && cfg_.record_decisions)
                    log_.entries.push_back({point, DecisionKind::kPick, idx});
            }
            a = &actor(runq_[idx]);
            if (delay_allowed(*a)) {
                std::uint64_t point = log_.points++;
                std::uint64_t j = strategy_->delay(point, *a, *this);
                if (j != 0) {
                    if (cfg_.record_decisions)
                        log_.entries.push_back({point, DecisionKind::kDelay, j});
                    runq_remove(*a);
                    a->state = ActorState::kDelayed;
                    std::uint64_t count = j & kDelayCountMask;
                    delayed_.push_back({a->id, a->resource, count == 0 ? 1 : count,
                                        now_ + cfg_.max_delay, (j & kDelayKeepIdle) != 0,
                                        cfg_.delay_step_cap ? steps_ + cfg_.delay_step_cap
                                                            : UINT64_MAX});
                    continue;
                }
            }
        }
        run_step(*a);
    }
}

std::vector<StepRecord> Simulator::history() const {
    std::vector<StepRecord> out;
    std::uint64_t n = std::min<std::uint64_t>(steps_, kHistory);
    out.reserve(n);
    for (std::uint64_t s = steps_ - n + 1; s <= steps_; ++s) out.push_back(ring_[(s - 1) % kHistory]);
    return out;
}

}  // namespace rcusim::engine
