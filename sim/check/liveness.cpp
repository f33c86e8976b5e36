// Liveness checkers: stranded-callbacks (I12), latency (I12b), deferred-wake (I13).
//
// Bounds. tick = one jiffy (1e9/HZ ns), gp = kernel.gp_duration, lazy = kernel.lazy_flush,
// S = slack() (below). T is the moment the obligation starts.
//   * call_rcu() leaves a callback on an offloaded ->cblist: rcuog looks at that rdp (takes
//     its nocb_lock in nocb_gp_wait()) by T + S if it was woken (IRQs on), by T + tick + S if
//     a deferred WAKE was left instead (IRQs off: the timer is at jiffies + 1), and by
//     T + 2 gp + tick + S if rcuog was not asleep (mid-pass, or waiting for a grace period:
//     __call_rcu_nocb_wake() only wakes on was_alldone, the pass after that GP picks the
//     callback up; the GP it waits for is at most the one after the current one).
//   * a non-lazy callback in the bypass leaves it by T + 2 gp + 3 tick + 3 S: rcuog flushes
//     when jiffies > bypass_first + 1, its BYPASS timer is at jiffies + 2, one jiffy of
//     rounding; up to three rcuog passes (the one in progress, the one that arms the BYPASS
//     timer, the one that flushes), and a GP wait before them when no wake was due.
//   * a lazy callback in the bypass leaves it by bypass_first + 2 lazy + 2 gp + 3 tick + 3 S:
//     each rcuog pass re-arms the LAZY timer at now + lazy and flushes once
//     jiffies > bypass_first + lazy, so the last pass before the time-out arms a timer that
//     fires < 2 lazy after bypass_first (MODEL.md I12b).
//     Both bypass bounds restart when rcuog's try-flush finds the bypass lock taken by the
//     enqueuer (rcu_nocb_try_flush_bypass() skips silently: the kernel re-arms and retries).
//   * rcu_barrier(): from wait_for_completion(), every entrained barrier callback has its
//     grace period done by T + 4 gp + 4 tick + 3 S (a GP wait, a pass that advances it, its
//     GP, a pass that marks it ready); invoking what is ready is rcuo's work and is not
//     bounded (the deadline is extended while only invocation is left), but a barrier
//     callback still waiting for rcuog or a grace period then is a violation: that is S10,
//     a barrier waiting for a LAZY timer.
//   * stranded-callbacks: a suspected stranded rdp (below) that is still uncovered and
//     not looked at by rcuog S + tick later is reported.
//
// Slack S. Everything the model does takes no virtual time except wake-up and IPI
// latencies, grace periods and timers, and the scheduler's delays: at each scheduling point
// where it may delay (IRQs on, or anywhere with explore.delay_in_irq_off) it may hold the
// actor for up to explore.max_delay. The longest chain from a wake request to rcuog holding
// an rdp's nocb_lock has: the waker's remaining points with IRQs on (at most 3: unlock,
// wake_nocb_gp's lock), the timer softirq resuming (1), rcuog resuming (1), its toggle
// acknowledgement (1), and one rcu_nocb_lock_irqsave() per group member scanned before that
// rdp (group size). So S = (8 + largest group) x max_delay (twice that with
// delay_in_irq_off, where every step of those paths can be held), plus 16 wake-up/IPI
// latencies and one jiffy of timer rounding. A bug of the kind these checkers look for
// postpones by a lazy flush delay (seconds), far beyond S.
//
// stranded-callbacks (I12) is a state check, made where the state can become stranded:
// when rcuog goes to sleep without a GP to wait for (its members), when call_rcu() returns
// (its rdp), when a deferred wake leaves a LAZY or later timer (the group), when
// rcu_barrier() starts waiting (the entrained rdps), and at the end of the run (all rdps).
// An rdp with callbacks in its bypass or waiting in ->cblist is covered if rcuog is awake
// or has a wake pending, is waiting for a grace period (the GP engine completes every
// requested GP), or a group timer is pending (or firing) at level >= BYPASS; a LAZY timer
// does not cover a non-lazy waiter (a non-lazy callback in the bypass, or any callback
// waiting in ->cblist, e.g. a barrier callback: S10, S11). Because the model's operations
// are not atomic (call_rcu() queues, then wakes a few steps later; the shrinker flushes,
// unlocks, then wakes), an uncovered rdp is only a suspect: every step re-judges it, and it
// is reported if no step found it covered (or scanned by rcuog) within S + tick. Timer
// cancellation and expiry need no check point of their own here: the group timer is only
// cancelled by __wake_nocb_gp() (which wakes rcuog) and by rcuog itself once awake, and an
// expiring timer always wakes rcuog (its level is >= BYPASS whenever it is armed).
#include "check/liveness.hpp"

#include <algorithm>
#include <string_view>

#include "check/checkers.hpp"

namespace rcusim::check {

using engine::Time;
using kernel::Actor;
using kernel::ActorId;
using kernel::CbWhere;
using kernel::CpuId;
using kernel::Group;
using kernel::Rdp;

namespace {
constexpr std::uint32_t kSteadyOffloaded =
    kernel::kLocking | kernel::kOffloaded | kernel::kKthreadGp;
}  // namespace

Liveness::Liveness(kernel::Kernel& k, Checkers& out) : k_(k), out_(out) {
    tick_ = k.tick();
    const auto n = static_cast<std::size_t>(k.ncpus());
    rs_.assign(n, PerRdp{});
    // The group size is only known after boot; the largest group is at most the stride.
    int stride = k.config().group_size;
    if (stride <= 0) {
        int r = 0;
        while ((r + 1) * (r + 1) <= k.ncpus()) ++r;
        stride = std::max(1, k.ncpus() / std::max(1, r));
    }
    const auto& sc = k.sim().config();
    const Time points = (8 + stride) * (sc.delay_in_irq_off ? 2 : 1);
    slack_ =
        points * sc.max_delay + 16 * (k.config().wake_latency + k.config().ipi_latency) + tick_;
}

// ---- state predicates ----------------------------------------------------------------------

bool Liveness::steady(const Rdp& r) const {
    return r.group >= 0 && (r.flags & kSteadyOffloaded) == kSteadyOffloaded &&
           !(r.flags & kernel::kRcuCore);
}

bool Liveness::pend_cbs(const Rdp& r) const {
    return !r.cblist.empty() && (r.cblist.back().gp == 0 || r.cblist.back().gp > k_.gp_completed());
}

bool Liveness::nonlazy_waiter(const Rdp& r) const {
    return pend_cbs(r) || static_cast<std::int64_t>(r.bypass.size()) > r.lazy_in_bypass;
}

bool Liveness::rcuog_idle(const Group& g) const {
    const Actor& a = k_.sim().actor(g.rcuog);
    return static_cast<const void*>(a.blocked_on) == static_cast<const void*>(&g.nocb_gp_wq);
}

// What only depends on the group: nullptr when nothing will fail to move its members'
// callbacks; else why not, with *lazy_only set when only members with a non-lazy waiter
// are affected (the group's LAZY timer still moves the lazy ones).
const char* Liveness::group_why(const Group& g, bool assume_asleep, bool* lazy_only) const {
    *lazy_only = false;
    if (g.rcuog == kernel::kNoActor) return "the group has no rcuog kthread";
    if (!g.nocb_gp_sleep) return nullptr;                  // woken: a new pass follows
    if (!assume_asleep && !rcuog_idle(g)) return nullptr;  // mid-pass: it re-checks
    if (g.waiting_gp) return nullptr;                      // that GP will complete
    const int level = g.nocb_defer_wakeup;
    const bool armed = (g.timer_pending || g.timer_fired > 0) && level >= kernel::kWakeBypass;
    if (armed && level != kernel::kWakeLazy) return nullptr;
    if (armed) {
        *lazy_only = true;
        return "a non-lazy waiter sits behind the group's LAZY timer only";
    }
    return "no wake, no grace period and no deferred-wakeup timer will run rcuog";
}

bool Liveness::has_waiting(const Rdp& r) const {
    return steady(r) && (!r.bypass.empty() || pend_cbs(r));
}

const char* Liveness::stranded_why(const Rdp& r, bool assume_asleep) const {
    if (!has_waiting(r)) return nullptr;
    bool lazy_only = false;
    const char* why =
        group_why(k_.groups()[static_cast<std::size_t>(r.group)], assume_asleep, &lazy_only);
    return why && (!lazy_only || nonlazy_waiter(r)) ? why : nullptr;
}

void Liveness::check_stranded(const Rdp& r, bool assume_asleep) {
    const char* why = stranded_why(r, assume_asleep);
    if (why) suspect(r, why);
}

void Liveness::suspect(const Rdp& r, const char* why) {
    const auto c = static_cast<std::size_t>(r.cpu);
    if (rs_[c].suspect) return;
    const Group& g = k_.groups()[static_cast<std::size_t>(r.group)];
    rs_[c].suspect = 1;
    rs_[c].suspect_since = k_.sim().now();
    rs_[c].suspect_step = k_.sim().steps();
    rs_[c].suspect_due = k_.sim().now() + slack_ + tick_;
    rs_[c].suspect_why = std::string(why) + " (" + group_state(g) + ")";
    suspects_.push_back(r.cpu);
}

// A suspect is dropped at the first step that finds it covered (or scanned by rcuog) before
// its deadline, and reported at the first step at or after the deadline: that step may
// already be the late rescue (the timer softirq the LAZY timer woke), so it is not
// re-evaluated then; until then the state was what the last step left.
void Liveness::judge_suspects(bool final) {
    const Time now = k_.sim().now();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < suspects_.size(); ++i) {
        const CpuId cpu = suspects_[i];
        const auto c = static_cast<std::size_t>(cpu);
        if (!rs_[c].suspect) continue;
        const Rdp& r = k_.rdp(cpu);
        if (now < rs_[c].suspect_due) {
            if (final || rs_[c].scan_step > rs_[c].suspect_step || !stranded_why(r, false)) {
                rs_[c].suspect = 0;
                continue;
            }
            suspects_[kept++] = cpu;
            continue;
        }
        rs_[c].suspect = 0;
        if (rs_[c].scan_step > rs_[c].suspect_step && rs_[c].scan_time <= rs_[c].suspect_due) continue;
        report_stranded(cpu);
    }
    suspects_.resize(kept);
}

// The group's own state decides first: usually rcuog sleeps waiting for a grace period or
// with its timer armed, and no member needs looking at (at 4096 CPUs a group has 64).
void Liveness::check_group(const Group& g, bool assume_asleep) {
    bool lazy_only = false;
    const char* why = group_why(g, assume_asleep, &lazy_only);
    if (!why) return;
    for (CpuId c : g.cpus) {
        const Rdp& r = k_.rdp(c);
        // stranded_why() for each member, the group's part done once above.
        if (r.group != g.index || !has_waiting(r)) continue;
        if (!lazy_only || nonlazy_waiter(r)) suspect(r, why);
    }
}

// ---- helpers -------------------------------------------------------------------------------

std::string Liveness::who(ActorId id) const { return out_.who(id); }

std::string Liveness::t(Time v) const {
    std::string s = format_time(v);
    s.erase(0, s.find_first_not_of(' '));
    return s + " s";
}

std::string Liveness::group_state(const Group& g) const {
    std::string s = "rcuog/" + std::to_string(g.leader) + " ";
    if (!g.nocb_gp_sleep)
        s += "woken";
    else if (!rcuog_idle(g))
        s += "running";
    else if (g.waiting_gp)
        s += "waiting for GP " + std::to_string(g.wait_gp);
    else
        s += "asleep";
    s += ", deferred wake ";
    s += kernel::wake_level_name(g.nocb_defer_wakeup);
    if (g.timer_pending)
        s += ", timer at " + t(g.timer_expires);
    else
        s += ", no timer";
    return s;
}

void Liveness::push(Time deadline, DueKind kind, CpuId idx, std::uint64_t gen, kernel::CbId cb) {
    due_.push(Due{deadline, seq_++, kind, idx, gen, cb});
}

// ---- observer events -----------------------------------------------------------------------

void Liveness::call_rcu_queued(const Actor& a, const Rdp& r, const kernel::Callback& cb,
                               bool irqs_off) {
    if (!steady(r)) return;
    const auto c = static_cast<std::size_t>(r.cpu);
    const Group& g = k_.groups()[static_cast<std::size_t>(r.group)];
    const Time now = k_.sim().now();
    const Time gp = k_.config().gp_duration;
    if (cb.where == CbWhere::kCblist) {
        Time base = irqs_off ? tick_ : 0;
        if (g.timer_pending && g.nocb_defer_wakeup >= kernel::kWake)
            base = std::max(base, g.timer_expires - now);
        // Not woken, and either mid-pass or waiting for a GP: the pass after that GP.
        if (g.nocb_gp_sleep && (!rcuog_idle(g) || g.waiting_gp))
            base = std::max(base, 2 * gp + tick_);
        const Time due = now + base + slack_;
        if (due < rs_[c].scan_due) {
            if (rs_[c].scan_due == engine::kTimeMax) {
                rs_[c].scan_since = now;
                rs_[c].scan_who = a.id;
            }
            rs_[c].scan_due = due;
            push(due, DueKind::kScan, r.cpu, rs_[c].scan_gen);
        }
    } else if (cb.where == CbWhere::kBypass) {
        Tracked& tr = cb.lazy ? rs_[c].lazy : rs_[c].nonlazy;
        const bool tracking =
            tr.cb >= 0 && tr.gen == rs_[c].gen &&
            k_.callbacks()[static_cast<std::size_t>(tr.cb)].where == CbWhere::kBypass;
        if (!tracking) {
            tr = Tracked{cb.id, rs_[c].gen, a.id, 0};
            const Time due = cb.lazy ? r.bypass_first * tick_ + 2 * k_.config().lazy_flush +
                                           2 * gp + 3 * tick_ + 3 * slack_
                                     : now + 2 * gp + 3 * tick_ + 3 * slack_;
            push(due, cb.lazy ? DueKind::kLazyBypass : DueKind::kNonLazyBypass, r.cpu, rs_[c].gen,
                 cb.id);
        }
    }
    check_stranded(r, false);
}

void Liveness::nocb_gp_scan(const Actor&, const Group&, const Rdp& r) {
    const auto c = static_cast<std::size_t>(r.cpu);
    rs_[c].scan_step = k_.sim().steps();
    rs_[c].scan_time = k_.sim().now();
    if (rs_[c].scan_due == engine::kTimeMax) return;
    if (k_.sim().now() > rs_[c].scan_due) scan_overdue(r.cpu, "late");
    rs_[c].scan_due = engine::kTimeMax;
    rs_[c].scan_gen++;
}

void Liveness::rcuog_sleep(const Actor&, const Group& g) { check_group(g, true); }

void Liveness::barrier_begin(const Actor& a) {
    barrier_actor_ = a.id;
    barrier_first_cb_ = k_.callbacks().size();
    barrier_cbs_.clear();
    barrier_waiting_ = false;
}

void Liveness::barrier_wait(const Actor& a) {
    if (a.id != barrier_actor_) return;
    const auto& cbs = k_.callbacks();
    barrier_cbs_.clear();
    for (std::size_t i = barrier_first_cb_; i < cbs.size(); ++i)
        if (cbs[i].barrier) barrier_cbs_.push_back(cbs[i].id);
    const Time now = k_.sim().now();
    barrier_wait_at_ = now;
    barrier_due_ = now + 4 * k_.config().gp_duration + 4 * tick_ + 3 * slack_;
    barrier_waiting_ = true;
    ++barrier_gen_;
    push(barrier_due_, DueKind::kBarrier, -1, barrier_gen_);
    for (kernel::CbId id : barrier_cbs_)
        check_stranded(k_.rdp(cbs[static_cast<std::size_t>(id)].cpu), false);
}

void Liveness::barrier_done(const Actor& a) {
    if (a.id != barrier_actor_) return;
    barrier_waiting_ = false;
    barrier_actor_ = kernel::kNoActor;
    ++barrier_gen_;
}

void Liveness::deferred_wake(const Actor& a, const Group& g, int waketype, int level_before,
                             Time expiry_before) {
    const int level = g.nocb_defer_wakeup;
    const Time expiry = g.timer_pending ? g.timer_expires : -1;
    // I13: a pending deferred wake of level >= WAKE is never downgraded nor postponed;
    // rcuog's own BYPASS request right before it sleeps ("bypass wakeup overrides previous
    // deferments": now + 2 jiffies) is the one documented exception.
    const bool pending_wake = level_before >= kernel::kWake && expiry_before >= 0;
    const bool bypass_override = waketype == kernel::kWakeBypass && a.id == g.rcuog;
    if (pending_wake && !bypass_override &&
        (level < level_before || expiry < 0 || expiry > expiry_before)) {
        const auto& ops = kernel::Kernel::ctx(a).ops;
        const std::string site = ops.empty() ? "wake_nocb_gp_defer" : ops.back();
        const std::string obj = "nocb_defer_wakeup[" + std::to_string(g.leader) + "]";
        std::string text = out_.header("WARNING: pending deferred wakeup postponed!");
        text += who(a.id) + " on CPU#" + std::to_string(a.cpu) + " requested a " +
                kernel::wake_level_name(waketype) + " deferred wakeup of rcuog/" +
                std::to_string(g.leader) + " while a " + kernel::wake_level_name(level_before) +
                " wakeup was pending:\n  before: level " + kernel::wake_level_name(level_before) +
                ", timer at " + t(expiry_before) + "\n  after:  level " +
                kernel::wake_level_name(level) + ", " +
                (expiry < 0 ? std::string("no timer") : "timer at " + t(expiry)) +
                "\nwake_nocb_gp_defer() must never lower a pending level >= WAKE nor move its "
                "timer later\n(only rcuog's own BYPASS request may; MODEL.md I13, S11: the "
                "lazy test read\nthe member rdp's nocb_defer_wakeup instead of rdp_gp's, fixed "
                "by 463d46044f04).\n";
        out_.report("deferred-wake", &a, {g.rcuog, g.timer_actor}, obj, site,
                    who(a.id) + " turned the pending " + kernel::wake_level_name(level_before) +
                        " wakeup of rcuog/" + std::to_string(g.leader) + " into " +
                        kernel::wake_level_name(level) + " " +
                        (expiry < 0 ? std::string("without a timer")
                                    : "at " + t(expiry) + " (was " + t(expiry_before) + ")"),
                    text);
    }
    // A LAZY (or later) timer may now be all that is left to run rcuog. Not when the group
    // was LAZY-armed already: its verdict (group_why) did not change, its members were judged
    // when it did, and a member that gains a non-lazy waiter is judged by that event (the
    // enqueue, the barrier). Lazy streams on every CPU request LAZY wakes all the time, and
    // at 4096 CPUs a group has 64 members.
    const bool was_lazy_armed = level_before == kernel::kWakeLazy && expiry_before >= 0;
    if ((level == kernel::kWakeLazy || (expiry_before >= 0 && expiry > expiry_before)) &&
        !(was_lazy_armed && level == kernel::kWakeLazy))
        check_group(g, false);
}

void Liveness::kernel_note(const Actor& a, const char* what, CpuId rdp) {
    if (std::string_view(what) != "try-flush-skipped" || rdp < 0) return;
    const Rdp& r = k_.rdp(rdp);
    if (r.group < 0 || k_.groups()[static_cast<std::size_t>(r.group)].rcuog != a.id) return;
    // rcuog could not take the bypass lock: it re-arms its timer and flushes on a later pass.
    const auto c = static_cast<std::size_t>(rdp);
    const Time now = k_.sim().now();
    rs_[c].nonlazy.extend_to = now + 3 * tick_ + 2 * slack_;
    rs_[c].lazy.extend_to = now + k_.config().lazy_flush + 3 * tick_ + 2 * slack_;
}

void Liveness::flags_written(const Rdp& r) {
    const auto c = static_cast<std::size_t>(r.cpu);
    ++rs_[c].gen;
    rs_[c].nonlazy = Tracked{};
    rs_[c].lazy = Tracked{};
    rs_[c].suspect = 0;
    rs_[c].scan_due = engine::kTimeMax;
    rs_[c].scan_gen++;
}

// ---- deadlines -----------------------------------------------------------------------------

void Liveness::scan_overdue(CpuId cpu, const char* how) {
    const auto c = static_cast<std::size_t>(cpu);
    const Rdp& r = k_.rdp(cpu);
    const Group& g = k_.groups()[static_cast<std::size_t>(r.group)];
    const Time now = k_.sim().now();
    const std::string obj = "rcuog[" + std::to_string(g.leader) + "]";
    std::string text = out_.header("rcusim: rcuog did not look at a non-lazy callback in time");
    text += "call_rcu() by " + who(rs_[c].scan_who) + " at " + t(rs_[c].scan_since) +
            " left a callback waiting in ->cblist of rdp " + std::to_string(cpu) + "; rcuog/" +
            std::to_string(g.leader) + " had to take its nocb_lock by " + t(rs_[c].scan_due) +
            " (MODEL.md I12b: at once with IRQs on, within one jiffy with "
            "IRQs off,\nafter the grace period it waits for otherwise; slack " +
            t(slack_) + "), but " +
            (std::string(how) == "late" ? "only did at " + t(now) : "has not by " + t(now)) +
            ".\n  now: " + group_state(g) + "\n";
    out_.report("latency", nullptr, {rs_[c].scan_who, g.rcuog, g.timer_actor}, obj, "call_rcu",
                "rcuog/" + std::to_string(g.leader) + " looked at rdp " + std::to_string(cpu) +
                    " " + t(now - rs_[c].scan_since) + " after a non-lazy call_rcu() (bound " +
                    t(rs_[c].scan_due - rs_[c].scan_since) + ")",
                text);
}

bool Liveness::barrier_stuck(std::string* why) const {
    for (kernel::CbId id : barrier_cbs_) {
        const kernel::Callback& cb = k_.callbacks()[static_cast<std::size_t>(id)];
        if (cb.where != CbWhere::kCblist) continue;  // invoked, or being invoked
        const Rdp& r = k_.rdp(cb.cpu);
        for (const auto& e : r.cblist) {
            if (e.cb != id) continue;
            if (e.gp != 0 && e.gp <= k_.gp_completed()) break;  // ready: rcuo's turn
            const Group* g =
                r.group >= 0 ? &k_.groups()[static_cast<std::size_t>(r.group)] : nullptr;
            *why =
                "the barrier callback on CPU " + std::to_string(cb.cpu) +
                (e.gp == 0 ? " has no grace period yet" : " waits for GP " + std::to_string(e.gp)) +
                " (rdp flags " + kernel::flags_string(r.flags) + ", " +
                std::to_string(r.cblist.size()) + " callbacks in ->cblist" +
                (g ? "; " + group_state(*g) : std::string()) + ")";
            return true;
        }
    }
    return false;
}

void Liveness::expire(const Due& d) {
    const Time now = k_.sim().now();
    switch (d.kind) {
        case DueKind::kScan: {
            const auto c = static_cast<std::size_t>(d.idx);
            if (d.gen != rs_[c].scan_gen || d.deadline != rs_[c].scan_due) return;
            if (!steady(k_.rdp(d.idx))) return;
            scan_overdue(d.idx, "missed");
            rs_[c].scan_due = engine::kTimeMax;
            rs_[c].scan_gen++;
            return;
        }
        case DueKind::kNonLazyBypass:
        case DueKind::kLazyBypass: {
            const auto c = static_cast<std::size_t>(d.idx);
            const bool lazy = d.kind == DueKind::kLazyBypass;
            Tracked& tr = lazy ? rs_[c].lazy : rs_[c].nonlazy;
            if (d.gen != rs_[c].gen) return;
            const kernel::Callback& cb = k_.callbacks()[static_cast<std::size_t>(d.cb)];
            if (cb.where != CbWhere::kBypass) {
                if (tr.cb == d.cb) tr = Tracked{};
                return;
            }
            if (tr.cb == d.cb && tr.extend_to > d.deadline) {
                push(tr.extend_to, d.kind, d.idx, d.gen, d.cb);
                return;
            }
            const Rdp& r = k_.rdp(d.idx);
            const Group& g = k_.groups()[static_cast<std::size_t>(r.group)];
            const std::string obj = "nocb_bypass[" + std::to_string(d.idx) + "]";
            std::string text = out_.header(lazy ? "rcusim: lazy bypass not flushed in time"
                                                : "rcusim: non-lazy bypass not flushed in time");
            text += std::string(lazy ? "lazy" : "non-lazy") + " callback " + std::to_string(cb.id) +
                    " queued on CPU " + std::to_string(d.idx) + " at " + t(cb.enqueued_at) +
                    " is still in the bypass at " + t(now) + " (bound " + t(d.deadline) +
                    (lazy ? ": < 2 x lazy_flush after bypass_first, MODEL.md I12b"
                          : ": about 2 jiffies after bypass_first, MODEL.md I12b") +
                    ", slack " + t(slack_) + ").\n  bypass: " + std::to_string(r.bypass.size()) +
                    " callbacks, lazy_len " + std::to_string(r.lazy_len) + ", bypass_first " +
                    std::to_string(r.bypass_first) + " j\n  now: " + group_state(g) + "\n";
            out_.report("latency", nullptr, {tr.who, g.rcuog, g.timer_actor}, obj, "nocb_gp_wait",
                        std::string(lazy ? "lazy" : "non-lazy") + " bypass of CPU " +
                            std::to_string(d.idx) + " not flushed " + t(now - cb.enqueued_at) +
                            " after callback " + std::to_string(cb.id) + " was queued",
                        text);
            tr = Tracked{};
            return;
        }
        case DueKind::kBarrier: {
            if (d.gen != barrier_gen_ || !barrier_waiting_) return;
            std::string why;
            if (!barrier_stuck(&why)) {
                // Only invocation is left (or rcuo is working through a long list).
                barrier_due_ = now + slack_;
                push(barrier_due_, DueKind::kBarrier, -1, barrier_gen_);
                return;
            }
            std::string text = out_.header("rcusim: rcu_barrier() waits too long");
            text += who(barrier_actor_) + " started waiting for " +
                    std::to_string(barrier_cbs_.size()) + " barrier callbacks at " +
                    t(barrier_wait_at_) + "; by " + t(d.deadline) +
                    " every one should have had its grace period\n(MODEL.md I12b: GP time + "
                    "invocation, never a lazy timer; slack " +
                    t(slack_) + "), but at " + t(now) + " " + why + ".\n";
            out_.report("latency", nullptr, {barrier_actor_}, "rcu_barrier", "rcu_barrier",
                        "rcu_barrier() still waiting " + t(now - barrier_wait_at_) + ": " + why,
                        text);
            barrier_waiting_ = false;
            return;
        }
    }
}

void Liveness::report_stranded(CpuId cpu) {
    const auto c = static_cast<std::size_t>(cpu);
    const Time now = k_.sim().now();
    const Rdp& r = k_.rdp(cpu);
    const Group& g = k_.groups()[static_cast<std::size_t>(r.group)];
    const std::string obj = "rdp[" + std::to_string(cpu) + "]";
    std::string text = out_.header("rcusim: callbacks stranded on a no-CBs CPU");
    text += "rdp " + std::to_string(cpu) + " has " + std::to_string(r.bypass.size()) +
            " callbacks in its bypass (" + std::to_string(r.lazy_in_bypass) + " lazy) and " +
            (pend_cbs(r) ? "callbacks waiting in ->cblist" : "no callback waiting in ->cblist") +
            ";\nat " + t(rs_[c].suspect_since) + ": " + rs_[c].suspect_why + ".\nNothing moved them by " +
            t(rs_[c].suspect_due) + " (now " + t(now) +
            "; MODEL.md I12: the no-CBs GP kthread\nmust not be in an indefinite or lazy-only "
            "sleep while a non-lazy waiter exists; slack " +
            t(slack_) + ").\n  now: " + group_state(g) + "\n";
    out_.report("stranded-callbacks", nullptr, {g.rcuog, g.timer_actor}, obj, "nocb_gp_wait",
                "rdp " + std::to_string(cpu) + ": callbacks stranded since " +
                    t(rs_[c].suspect_since) + ": " + rs_[c].suspect_why,
                text);
}

void Liveness::step_end() {
    if (!suspects_.empty()) judge_suspects(false);
    const Time now = k_.sim().now();
    while (!due_.empty() && due_.top().deadline < now) {
        const Due d = due_.top();
        due_.pop();
        expire(d);
    }
}

void Liveness::finish() {
    step_end();
    judge_suspects(true);
    const Time now = k_.sim().now();
    // End of run: callbacks still queued with nothing that will move them. When every actor
    // is blocked or done and no deferred-wakeup timer is pending, nothing ever will (only
    // grace periods may still end, and they only wake an rcuog that waits for them). Else
    // only what nothing moved for a whole slack is judged, and nothing while the scheduler
    // holds an actor back (it may sit between a queueing and its wake).
    bool quiescent = true;
    for (std::size_t i = 0; i < k_.sim().actor_count(); ++i) {
        const auto st = k_.sim().actor(static_cast<ActorId>(i)).state;
        if (st == engine::ActorState::kDelayed) return;
        if (st != engine::ActorState::kBlocked && st != engine::ActorState::kDone)
            quiescent = false;
    }
    for (const Group& g : k_.groups())
        if (g.timer_pending || g.timer_fired > 0) quiescent = false;
    for (CpuId c = 0; c < k_.ncpus(); ++c) {
        const auto i = static_cast<std::size_t>(c);
        const Rdp& r = k_.rdp(c);
        const char* why = stranded_why(r, false);
        if (!why) continue;
        Time oldest = now;
        if (!r.bypass.empty())
            oldest = k_.callbacks()[static_cast<std::size_t>(r.bypass.front())].enqueued_at;
        for (const auto& e : r.cblist) {
            if (e.gp == 0 || e.gp > k_.gp_completed()) {
                oldest =
                    std::min(oldest, k_.callbacks()[static_cast<std::size_t>(e.cb)].enqueued_at);
                break;
            }
        }
        if (!quiescent && (now - rs_[i].scan_time <= slack_ + tick_ || now - oldest <= slack_ + tick_))
            continue;
        const Group& g = k_.groups()[static_cast<std::size_t>(r.group)];
        rs_[i].suspect_since = std::max(oldest, rs_[i].scan_time);
        rs_[i].suspect_due = now;
        rs_[i].suspect_why =
            std::string(why) + " (" + group_state(g) + (quiescent ? "; the machine is idle)" : ")");
        report_stranded(c);
    }
}

}  // namespace rcusim::check
