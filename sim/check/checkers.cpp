#include "check/checkers.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>

namespace rcusim::check {

using kernel::Actor;
using kernel::ActorId;
using kernel::CbWhere;
using kernel::Lock;
using kernel::Rdp;

Checkers::Checkers(kernel::Kernel& k, ReportContext ctx) : k_(k), ctx_(std::move(ctx)) {
    dirty_flag_.assign(static_cast<std::size_t>(k.ncpus()), 0);
}

bool Checkers::has_errors() const {
    for (const auto& v : violations_)
        if (v.severity == Severity::kError) return true;
    return false;
}

std::string Checkers::who(ActorId id) const {
    if (id == kernel::kNoActor) return "(nobody)";
    return k_.sim().actor(id).name + "/" + std::to_string(id);
}

bool Checkers::holds(const Actor& a, const Lock& l) const {
    return std::find(l.holders.begin(), l.holders.end(), a.id) != l.holders.end();
}

std::string Checkers::held_locks_text(const Actor& a) const {
    const auto& held = kernel::Kernel::ctx(a).held;
    if (held.empty()) return "no locks held by " + who(a.id) + ".\n";
    std::string out = std::to_string(held.size()) + (held.size() == 1 ? " lock" : " locks") +
                      " held by " + who(a.id) + ":\n";
    for (std::size_t i = 0; i < held.size(); ++i)
        out += " #" + std::to_string(i) + ": (" + held[i].lock->display() + "), at: " +
               held[i].where + "\n";
    return out;
}

std::string Checkers::header(const char* title) const {
    std::string bar(std::string(title).size(), '=');
    std::string dash(std::string(title).size(), '-');
    return "\n" + bar + "\n" + title + "\nrcusim " + ctx_.scenario + " (variant " + ctx_.variant +
           ", seed " + std::to_string(ctx_.seed) + ") Not tainted\n" + dash + "\n";
}

Violation& Checkers::report(const std::string& kind, const Actor* a,
                            std::vector<ActorId> involved, std::string object, std::string site,
                            std::string message, std::string text) {
    std::string key = kind + "|" + object + "|" + site;
    if (auto it = seen_.find(key); it != seen_.end()) {
        Violation& v = violations_[it->second];
        v.occurrences++;
        return v;
    }
    Violation v;
    v.kind = kind;
    v.severity = kind_severity(kind);
    v.at = k_.sim().now();
    v.step = k_.sim().steps();
    v.cpu = a ? a->cpu : -1;
    if (a && std::find(involved.begin(), involved.end(), a->id) == involved.end())
        involved.insert(involved.begin(), a->id);
    for (ActorId id : involved)
        if (id != kernel::kNoActor) v.actors.push_back(k_.sim().actor(id).name);
    v.object = std::move(object);
    v.site = std::move(site);
    v.message = std::move(message);
    v.report = std::move(text);
    // The schedule steps that led here: the reporting context's last 15 and the other
    // involved contexts' last 25, in step order.
    auto hist = k_.sim().history();
    std::vector<StepLine> lines;
    std::size_t own = 0, other = 0;
    const ActorId self = a ? a->id : kernel::kNoActor;
    for (auto it = hist.rbegin(); it != hist.rend() && (own < 15 || other < 25); ++it) {
        if (std::find(involved.begin(), involved.end(), it->actor) == involved.end()) continue;
        bool mine = it->actor == self;
        if (mine ? own >= 15 : other >= 25) continue;
        (mine ? own : other)++;
        lines.push_back({it->step, it->at, it->cpu, k_.sim().actor(it->actor).name, it->label,
                         it->arg});
    }
    std::reverse(lines.begin(), lines.end());
    v.steps = std::move(lines);
    k_.sim().emit({.type = engine::TraceType::kViolation, .cpu = v.cpu,
                   .actor = a ? a->id : kernel::kNoActor, .name = kind_cstr(kind),
                   .text = v.message});
    seen_[key] = violations_.size();
    violations_.push_back(std::move(v));
    if (stop_on_error_ && kind_severity(kind) == Severity::kError) k_.sim().request_stop();
    return violations_.back();
}

std::vector<ActorId> Checkers::partners(const Lock* l, kernel::CpuId rdp) const {
    std::vector<ActorId> out;
    auto add = [&](const std::array<ActorId, 3>& v) {
        for (ActorId a : v)
            if (a != kernel::kNoActor && std::find(out.begin(), out.end(), a) == out.end())
                out.push_back(a);
    };
    if (l) add(l->recent);
    if (rdp >= 0) add(k_.rdp(rdp).recent_flag_writers);
    return out;
}

// ---- locks --------------------------------------------------------------------------------

void Checkers::lock_acquired(const Actor& a, const Lock& l) {
    if (l.holders.size() <= 1) return;
    std::vector<ActorId> inv(l.holders.begin(), l.holders.end());
    std::string others;
    for (ActorId h : l.holders)
        if (h != a.id) others += (others.empty() ? "" : ", ") + who(h);
    std::string text = header("BUG: mutual exclusion broken: lock has two owners!");
    text += who(a.id) + " acquired " + l.display() + " while " + others +
            " still believes it holds it\n(the lock was released underneath its owner).\n";
    report("mutual-exclusion", &a, inv, l.display(), kernel::Kernel::ctx(a).ops.empty() ? "" :
           kernel::Kernel::ctx(a).ops.back(),
           l.display() + " acquired by " + who(a.id) + " while held by " + others, text);
}

void Checkers::lock_released(const Actor& a, const Lock& l, bool by_holder, bool was_locked) {
    if (by_holder) return;
    const auto& ops = kernel::Kernel::ctx(a).ops;
    std::string site = ops.empty() ? "" : ops.back();
    std::string text = header("WARNING: bad unlock balance detected!");
    text += who(a.id) + " is trying to release lock (" + l.display() + ") at:\n[" +
            format_time(k_.sim().now()) + "] " + (site.empty() ? "?" : site) + "\n";
    std::vector<ActorId> inv = partners(&l, l.kind == kernel::LockKind::kNocbLock ? l.idx : -1);
    std::string msg;
    if (!was_locked) {
        text += "but there are no more locks to release!\n";
        msg = who(a.id) + " released " + l.display() + ", which was not held";
    } else {
        std::string owners;
        for (ActorId h : l.holders) {
            owners += (owners.empty() ? "" : ", ") + who(h);
            if (std::find(inv.begin(), inv.end(), h) == inv.end()) inv.push_back(h);
        }
        text += "but the lock is held by " + owners + ", not by this context!\n";
        msg = who(a.id) + " released " + l.display() + " held by " + owners;
    }
    if (auto it = pending_unlock_note_.find(a.id); it != pending_unlock_note_.end()) {
        text += "\n" + it->second;
        pending_unlock_note_.erase(it);
    }
    text += "\nother info that might help us debug this:\n" + held_locks_text(a);
    report("lock-imbalance", &a, inv, l.display(), site, msg, text);
}

void Checkers::nocb_unlock_decision(const Actor& a, const Rdp& rdp, bool at_lock, bool at_unlock,
                                    const char* fn) {
    if (at_lock == at_unlock) return;
    const std::string lock = rdp.nocb_lock.display();
    if (!at_lock) {
        // The release that follows reports it; explain the decisions there.
        pending_unlock_note_[a.id] =
            "rcu_nocb_lock_irqsave() found SEGCBLIST_LOCKING clear and took nothing, but " +
            std::string(fn) + "'s rcu_nocb_unlock_irqrestore() found it set (rdp " +
            std::to_string(rdp.cpu) + " was offloaded in between: flags now " +
            kernel::flags_string(rdp.flags) + ").\n";
        return;
    }
    std::string text = header("WARNING: unbalanced nocb locking: lock leaked!");
    text += who(a.id) + " acquired " + lock +
            " in rcu_nocb_lock_irqsave() because SEGCBLIST_LOCKING was set,\nbut " + fn +
            "'s rcu_nocb_unlock_irqrestore() found it clear and did not release it\n(rdp " +
            std::to_string(rdp.cpu) + " was de-offloaded in between: flags now " +
            kernel::flags_string(rdp.flags) + ").\n";
    text += "\nother info that might help us debug this:\n" + held_locks_text(a);
    report("lock-imbalance", &a, partners(&rdp.nocb_lock, rdp.cpu), lock, fn,
           who(a.id) + " leaves " + fn + " still holding " + lock +
               " (lock/unlock decisions differ)",
           text);
}

void Checkers::op_returned(const Actor& a, const char* op, const std::vector<const Lock*>& leaked) {
    for (const Lock* l : leaked) {
        std::string text = header("WARNING: lock held when returning!");
        text += who(a.id) + " is leaving " + op + "() with locks still held!\n";
        text += "1 lock held by " + who(a.id) + ":\n #0: (" + l->display() + ")\n";
        report("lock-imbalance", &a, {}, l->display(), op,
               who(a.id) + " returned from " + op + "() holding " + l->display(), text);
    }
}

void Checkers::lock_wait(const Actor& a, const Lock& l) { check_deadlock(a); }
void Checkers::waits_for(const Actor& a, ActorId) { check_deadlock(a); }

// Follows the waits-for chain from `a`: a lock's owner, or the actor a work/IPI waits for.
// Runs at every contended acquisition: the chain is kept as ids and rendered only when
// there is something to report.
void Checkers::check_deadlock(const Actor& a) {
    boost::container::small_vector<ActorId, 8> chain{a.id};
    boost::container::small_vector<const Lock*, 8> via;  // via[i]: what chain[i] waits on
    auto path = [&] {
        std::string p = who(a.id);
        for (std::size_t i = 0; i < via.size(); ++i) {
            p += via[i] ? " -> waits for " + via[i]->display() + " held by " + who(chain[i + 1])
                        : " -> waits for the completion of " + who(chain[i + 1]);
        }
        return p;
    };
    ActorId cur = a.id;
    for (int hops = 0; hops < 64; ++hops) {
        const Lock* l = k_.waiting_lock(cur);
        ActorId next = kernel::kNoActor;
        if (l) {
            if (!l->locked) return;
            next = l->owner;
            if (l->owner_returned) {
                std::string text = l->sleeping
                                       ? header("INFO: task blocked forever on a leaked lock!")
                                       : header("BUG: spinlock lockup suspected!");
                text += who(a.id) + " on CPU#" + std::to_string(a.cpu) + " waits for " +
                        l->display() + ", .owner: " + who(next) + ",\nwhich returned from " +
                        l->owner_op + "() without releasing it: the wait never ends.\n";
                report("deadlock", &a, {next}, l->display(), l->owner_op,
                       who(a.id) + " waits forever for " + l->display() + " leaked by " + who(next),
                       text);
                return;
            }
        } else {
            next = k_.waiting_actor(cur);
            if (next == kernel::kNoActor) return;
            if (k_.sim().actor(next).state == engine::ActorState::kDone) return;
        }
        if (next == kernel::kNoActor) return;
        via.push_back(l);
        const bool cycle = std::find(chain.begin(), chain.end(), next) != chain.end();
        chain.push_back(next);
        if (cycle) {
            const std::string p = path();
            std::string text = header("WARNING: deadlock: cycle in the waits-for graph!");
            text += p + "\n";
            std::string obj = l ? l->display() : "completion";
            chain.pop_back();
            report("deadlock", &a, std::vector<ActorId>(chain.begin(), chain.end()), obj,
                   kernel::Kernel::ctx(a).ops.empty() ? "" : kernel::Kernel::ctx(a).ops.back(),
                   "waits-for cycle: " + p, text);
            return;
        }
        cur = next;
    }
}

void Checkers::mutex_would_sleep(const Actor& a, const Lock& l, bool in_reclaim) {
    if (!in_reclaim || l.kind != kernel::LockKind::kBarrierMutex) return;
    std::string text = header("WARNING: reclaim sleeps on RCU's toggling mutex!");
    text += who(a.id) + " is in memory reclaim (shrinker) and calls mutex_lock(" + l.display() +
            "),\nwhich is held by " + who(l.owner) +
            ": reclaim now depends on (de-)offloading, which may itself allocate.\n";
    text += "\nother info that might help us debug this:\n" + held_locks_text(a);
    report("reclaim-blocks", &a, {l.owner}, l.display(),
           kernel::Kernel::ctx(a).ops.empty() ? "" : kernel::Kernel::ctx(a).ops.back(),
           who(a.id) + " sleeps on " + l.display() + " in reclaim (held by " + who(l.owner) + ")",
           text);
}

// ---- fields -------------------------------------------------------------------------------

void Checkers::mark_dirty(const Rdp& rdp) {
    auto i = static_cast<std::size_t>(rdp.cpu);
    if (dirty_flag_[i]) return;
    dirty_flag_[i] = 1;
    dirty_.push_back(rdp.cpu);
}

void Checkers::lazy_len_written(const Actor& a, const Rdp& rdp) {
    mark_dirty(rdp);
    if (holds(a, rdp.nocb_bypass_lock)) return;
    // V0-V2 shrinker: under nocb_lock of an rdp whose LOCKING flag is set (MODEL.md I5).
    if (holds(a, rdp.nocb_lock) && (rdp.flags & kernel::kLocking)) return;
    const auto& ops = kernel::Kernel::ctx(a).ops;
    std::string site = ops.empty() ? "" : ops.back();
    std::string field = "lazy_len[" + std::to_string(rdp.cpu) + "]";
    std::string text = header("WARNING: protected field written without its lock!");
    text += who(a.id) + " wrote " + field + " = " + std::to_string(rdp.lazy_len) + " in " + site +
            "() holding neither " + rdp.nocb_bypass_lock.display() + " nor " +
            rdp.nocb_lock.display() + " (flags " + kernel::flags_string(rdp.flags) + ").\n";
    text += "\nother info that might help us debug this:\n" + held_locks_text(a);
    report("lockset", &a, partners(&rdp.nocb_lock, rdp.cpu), field, site,
           who(a.id) + " wrote " + field + " without a lock", text);
}

void Checkers::flags_written(const Actor& a, const Rdp& rdp, std::uint32_t old) {
    mark_dirty(rdp);
    live_.flags_written(rdp);
    if (holds(a, rdp.nocb_lock)) return;
    const auto& ops = kernel::Kernel::ctx(a).ops;
    std::string site = ops.empty() ? "" : ops.back();
    std::string field = "flags[" + std::to_string(rdp.cpu) + "]";
    std::string text = header("WARNING: SEGCBLIST flags changed without nocb_lock!");
    text += who(a.id) + " changed the flags of rdp " + std::to_string(rdp.cpu) + " from " +
            kernel::flags_string(old) + " to " + kernel::flags_string(rdp.flags) + " without " +
            rdp.nocb_lock.display() + ".\n";
    report("lockset", &a, {}, field, site, who(a.id) + " changed " + field + " without nocb_lock",
           text);
}

void Checkers::cblist_written(const Actor& a, const Rdp& rdp) {
    mark_dirty(rdp);
    const bool locking = rdp.flags & kernel::kLocking;
    if (holds(a, rdp.nocb_lock)) return;
    if (!locking && a.cpu == rdp.cpu && a.irq_off > 0) return;
    const auto& ops = kernel::Kernel::ctx(a).ops;
    std::string site = ops.empty() ? "" : ops.back();
    std::string field = "cblist[" + std::to_string(rdp.cpu) + "]";
    std::string text = header("WARNING: rcu_lockdep_assert_cblist_protected() failed!");
    text += who(a.id) + " modifies the callback list of rdp " + std::to_string(rdp.cpu) +
            (locking ? " (offloaded: LOCKING set) without " + rdp.nocb_lock.display()
                     : " remotely or with IRQs on") +
            ".\n\nother info that might help us debug this:\n" + held_locks_text(a);
    report("lockset", &a, {}, field, site, who(a.id) + " modified " + field + " unprotected", text);
}

void Checkers::check_rdp(const Rdp& rdp) {
    if (rdp.nocb_bypass_lock.locked) return;  // checked outside bypass critical sections
    const auto blen = static_cast<std::int64_t>(rdp.bypass.size());
    std::string why;
    if (rdp.lazy_len < 0 || rdp.lazy_len > rdp.lazy_in_bypass || rdp.lazy_in_bypass > blen) {
        why = "0 <= lazy_len <= #lazy callbacks in bypass <= bypass length fails";
    } else if (k_.sw().p2 && rdp.lazy_len != rdp.lazy_in_bypass) {
        why = "lazy_len != #lazy callbacks in bypass (required once the shrinker flushes, P2)";
    } else if ((rdp.flags & kernel::kRcuCore) && (blen != 0 || rdp.lazy_len != 0)) {
        why = "de-offloaded (RCU_CORE set) but the bypass is not empty or lazy_len != 0";
    } else {
        return;
    }
    std::string field = "lazy_len[" + std::to_string(rdp.cpu) + "]";
    std::string text = header("WARNING: lazy_len accounting broken!");
    text += "rdp " + std::to_string(rdp.cpu) + ": " + why + "\n  lazy_len = " +
            std::to_string(rdp.lazy_len) + ", lazy callbacks in bypass = " +
            std::to_string(rdp.lazy_in_bypass) + ", bypass length = " + std::to_string(blen) +
            ", flags = " + kernel::flags_string(rdp.flags) + "\n";
    ActorId cur = k_.sim().current();
    const Actor* a = cur == kernel::kNoActor ? nullptr : &k_.sim().actor(cur);
    report("lazy-len", a, {}, field, "", field + ": " + why, text);
}

void Checkers::kernel_warn(const Actor& a, const char* kind, kernel::CpuId rdp, std::string msg) {
    const auto& ops = kernel::Kernel::ctx(a).ops;
    std::string site = ops.empty() ? "" : ops.back();
    std::string text = header("WARNING: kernel WARN_ON_ONCE() fired!");
    text += who(a.id) + " on CPU#" + std::to_string(a.cpu) + ": " + msg + "\n";
    std::string obj = std::string(kind) == "bypass-contention"
                          ? "nocb_bypass_lock[" + std::to_string(rdp) + "]"
                          : "rdp[" + std::to_string(rdp) + "]";
    report(kind, &a, {}, obj, site, msg, text);
}

// ---- callbacks ----------------------------------------------------------------------------

void Checkers::cb_invoked(const Actor& a, const kernel::Callback& cb) {
    if (cb.invocations > 1) {
        std::string text = header("BUG: callback invoked twice!");
        text += "callback " + std::to_string(cb.id) + " (queued on CPU " + std::to_string(cb.cpu) +
                ") invoked again by " + who(a.id) + ".\n";
        report("callback-duplicated", &a, {}, "callback", "rcu_do_batch",
               "callback " + std::to_string(cb.id) + " invoked twice", text);
    }
    // rcu_barrier()'s callback is entrained behind the last queued callback and rides its
    // grace period by design; GP safety is about call_rcu() callbacks.
    if (!cb.barrier && k_.last_done_gp_start_order() <= cb.enqueue_order) {
        std::string text = header("BUG: callback invoked before a full grace period!");
        text += "callback " + std::to_string(cb.id) + " queued at " + format_time(cb.enqueued_at) +
                " on CPU " + std::to_string(cb.cpu) +
                " was invoked before any grace period that started after it ended.\n";
        report("callback-early", &a, {}, "callback", "rcu_do_batch",
               "callback " + std::to_string(cb.id) + " invoked before a full GP", text);
    }
}

void Checkers::shrinker_acted(const Actor& a, const Rdp& rdp, kernel::ShrinkAction what,
                              std::int64_t count) {
    // I8 (soft): counting callbacks that are not there.
    if (what != kernel::ShrinkAction::kTryFlushSkipped && count > 0 && rdp.bypass.empty()) {
        std::string field = "lazy_len[" + std::to_string(rdp.cpu) + "]";
        std::string text = header("rcusim: shrinker over-reports freed callbacks");
        text += who(a.id) + " counts " + std::to_string(count) + " lazy callbacks on rdp " +
                std::to_string(rdp.cpu) +
                " from a stale lockless lazy_len read, but its bypass is empty: nothing is "
                "moved and rcuog is woken for nothing.\n";
        report("shrinker-overcount", &a, {}, field, "lazy_rcu_shrink_scan",
               "scan counted " + std::to_string(count) + " on rdp " + std::to_string(rdp.cpu) +
                   " with an empty bypass",
               text);
    }
    if (what == kernel::ShrinkAction::kTryFlushSkipped) return;  // skipping is allowed (L1)
    PendingEffect p;
    const bool flush = what == kernel::ShrinkAction::kFlushed;
    p.deadline = k_.sim().now() +
                 (flush ? k_.tick() : 4 * k_.tick() + 2 * k_.sim().config().max_delay);
    p.rdp = rdp.cpu;
    p.actor = who(a.id);
    for (kernel::CbId id : rdp.bypass)
        if (k_.callbacks()[static_cast<std::size_t>(id)].lazy) p.lazy_cbs.push_back(id);
    if (!p.lazy_cbs.empty()) pending_.push_back(std::move(p));
}

// ---- liveness (liveness.cpp) ---------------------------------------------------------------

void Checkers::kernel_note(const Actor& a, const char* what, kernel::CpuId rdp, std::string msg) {
    if (std::string_view(what) == "overload-wrong-timer" && rdp >= 0) {
        // I14 (soft, S13): the overload path of __call_rcu_nocb_wake() tested
        // timer_pending(&rdp->nocb_timer) of a non-leader, which is never armed, and requests
        // a FORCE deferral although the group's timer (rdp_gp->nocb_timer) is pending.
        const kernel::Rdp& r = k_.rdp(rdp);
        const kernel::Group& g = k_.groups()[static_cast<std::size_t>(r.group)];
        std::string text = header("rcusim: overload deferral consulted the wrong timer");
        text += who(a.id) + " on CPU#" + std::to_string(a.cpu) + ": rdp " + std::to_string(rdp) +
                " has more than qhimark callbacks queued since its last check; "
                "__call_rcu_nocb_wake() tested timer_pending(&rdp->nocb_timer) of rdp " +
                std::to_string(rdp) + ", never armed (only the group leader's is), and "
                "requests a FORCE deferral while rdp_gp->nocb_timer of CPU " +
                std::to_string(g.leader) + " is pending (expires at " +
                format_time(g.timer_expires) +
                "). Fixed in v6.9: \"rcu/nocb: Check rdp_gp->nocb_timer in "
                "__call_rcu_nocb_wake()\".\n";
        report("overload-wrong-timer", &a, {}, "nocb_timer[" + std::to_string(rdp) + "]",
               "__call_rcu_nocb_wake", msg + " (rdp " + std::to_string(rdp) + ")", text);
    }
    live_.kernel_note(a, what, rdp);
}
void Checkers::deferred_wake(const Actor& a, const kernel::Group& g, int waketype,
                             int level_before, engine::Time expiry_before) {
    live_.deferred_wake(a, g, waketype, level_before, expiry_before);
}
void Checkers::call_rcu_queued(const Actor& a, const Rdp& rdp, const kernel::Callback& cb,
                               bool irqs_off) {
    live_.call_rcu_queued(a, rdp, cb, irqs_off);
}
void Checkers::nocb_gp_scan(const Actor& a, const kernel::Group& g, const Rdp& rdp) {
    live_.nocb_gp_scan(a, g, rdp);
}
void Checkers::rcuog_sleep(const Actor& a, const kernel::Group& g) { live_.rcuog_sleep(a, g); }
void Checkers::barrier_begin(const Actor& a) { live_.barrier_begin(a); }
void Checkers::barrier_wait(const Actor& a) { live_.barrier_wait(a); }
void Checkers::barrier_done(const Actor& a) { live_.barrier_done(a); }

void Checkers::step_end(ActorId) {
    live_.step_end();
    // An rdp whose bypass lock is still held is judged once it is free: keep it dirty.
    std::size_t kept = 0;
    for (kernel::CpuId c : dirty_) {
        if (k_.rdp(c).nocb_bypass_lock.locked) {
            dirty_[kept++] = c;
            continue;
        }
        dirty_flag_[static_cast<std::size_t>(c)] = 0;
        check_rdp(k_.rdp(c));
    }
    dirty_.resize(kept);
    if (pending_.empty()) return;
    const engine::Time now = k_.sim().now();
    for (std::size_t i = 0; i < pending_.size();) {
        PendingEffect& p = pending_[i];
        if (now < p.deadline) {
            ++i;
            continue;
        }
        std::int64_t left = 0;
        for (kernel::CbId id : p.lazy_cbs)
            if (k_.callbacks()[static_cast<std::size_t>(id)].where == CbWhere::kBypass) ++left;
        if (left > 0) {
            std::string field = "lazy_len[" + std::to_string(p.rdp) + "]";
            std::string text = header("rcusim: shrinker scan was ineffective");
            text += p.actor + " counted rdp " + std::to_string(p.rdp) + " but " +
                    std::to_string(left) + " of the " + std::to_string(p.lazy_cbs.size()) +
                    " lazy callbacks that were in its bypass are still there " +
                    format_time(now - (p.deadline - 4 * k_.tick() - 2 * k_.sim().config().max_delay)) +
                    " s later (rcuog still treats the bypass as lazy).\n";
            report("shrinker-ineffective", nullptr, {}, field, "lazy_rcu_shrink_scan",
                   std::to_string(left) + " lazy callbacks of rdp " + std::to_string(p.rdp) +
                       " still in the bypass after the scan counted them",
                   text);
        }
        pending_[i] = std::move(pending_.back());
        pending_.pop_back();
    }
}

void Checkers::finish() {
    step_end(kernel::kNoActor);
    live_.finish();
    // I6: conservation. Every callback is in one bypass, one cblist, in flight, or invoked.
    const auto& cbs = k_.callbacks();
    std::vector<std::uint8_t> seen(cbs.size(), 0);
    for (int c = 0; c < k_.ncpus(); ++c) {
        const Rdp& r = k_.rdp(c);
        for (kernel::CbId id : r.bypass) seen[static_cast<std::size_t>(id)]++;
        for (const auto& e : r.cblist) seen[static_cast<std::size_t>(e.cb)]++;
        const auto expect = static_cast<std::int64_t>(r.bypass.size() + r.cblist.size()) + r.in_flight;
        if (r.cblist_len != expect) {
            std::string text = header("BUG: callback accounting broken!");
            text += "rdp " + std::to_string(c) + ": ->cblist.len = " + std::to_string(r.cblist_len) +
                    " but bypass + segments + in flight = " + std::to_string(expect) + "\n";
            report("callback-lost", nullptr, {}, "cblist.len[" + std::to_string(c) + "]", "",
                   "rdp " + std::to_string(c) + " length accounting is off", text);
        }
    }
    for (std::size_t i = 0; i < cbs.size(); ++i) {
        const auto& cb = cbs[i];
        if (seen[i] > 1) {
            report("callback-duplicated", nullptr, {}, "callback", "queues",
                   "callback " + std::to_string(cb.id) + " is queued twice",
                   header("BUG: callback queued twice!") + "callback " + std::to_string(cb.id) +
                       " appears in more than one queue.\n");
        }
        if (cb.invocations == 0 && seen[i] == 0 && cb.where != CbWhere::kInFlight) {
            report("callback-lost", nullptr, {}, "callback", "queues",
                   "callback " + std::to_string(cb.id) + " was neither invoked nor queued",
                   header("BUG: callback lost!") + "callback " + std::to_string(cb.id) +
                       " queued on CPU " + std::to_string(cb.cpu) + " at " +
                       format_time(cb.enqueued_at) + " is in no queue and was never invoked.\n");
        }
    }
    // I10 at the end: contexts still spinning/sleeping on a lock.
    for (std::size_t i = 0; i < k_.sim().actor_count(); ++i) {
        const Actor& a = k_.sim().actor(static_cast<ActorId>(i));
        if (a.state != engine::ActorState::kBlocked) continue;
        const Lock* l = k_.waiting_lock(a.id);
        if (!l || !l->locked) continue;
        bool known = false;
        for (const auto& v : violations_)
            if (v.kind == "deadlock" && v.object == l->display()) known = true;
        if (known) continue;
        std::string text = l->sleeping ? header("INFO: task blocked for the rest of the run!")
                                        : header("BUG: spinlock lockup suspected!");
        text += who(a.id) + " on CPU#" + std::to_string(a.cpu) + " still waits for " +
                l->display() + " held by " + who(l->owner) + " when the run ends.\n";
        report("deadlock", &a, {l->owner}, l->display(), "end of run",
               who(a.id) + " never gets " + l->display() + " (held by " + who(l->owner) + ")",
               text);
    }
}

}  // namespace rcusim::check
