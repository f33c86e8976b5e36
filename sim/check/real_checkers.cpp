#include "check/real_checkers.hpp"

#include <algorithm>

namespace rcusim::check {

using real::ActorId;
using real::LockInfo;
using real::LockType;

RealCheckers::RealCheckers(real::Machine& m, ReportContext ctx) : m_(m), ctx_(std::move(ctx)) {}

std::string RealCheckers::who(ActorId id) const {
    if (id == engine::kNoActor) return "(nobody)";
    return m_.sim().actor(id).name + "/" + std::to_string(id);
}

std::string RealCheckers::holder(const LockInfo& l) const {
    if (l.owner != engine::kNoActor || l.readers.empty()) return who(l.owner);
    std::string r;
    for (ActorId id : l.readers) r += (r.empty() ? "" : ", ") + who(id);
    return (l.readers.size() > 1 ? "readers " : "reader ") + r;
}

std::string RealCheckers::header(const char* title) const {
    std::string bar(std::string(title).size(), '=');
    std::string dash(std::string(title).size(), '-');
    return "\n" + bar + "\n" + title + "\nrcusim " + ctx_.scenario + " (kernel " + ctx_.variant +
           ", seed " + std::to_string(ctx_.seed) + ") Not tainted\n" + dash + "\n";
}

std::string RealCheckers::held_text(const real::Actor& a) const {
    auto held = m_.held_locks(a.id);
    const auto& sites = m_.held_sites(a.id);
    if (held.empty()) return "no locks held by " + who(a.id) + ".\n";
    std::string out = std::to_string(held.size()) + (held.size() == 1 ? " lock" : " locks") +
                      " held by " + who(a.id) + ":\n";
    for (std::size_t i = 0; i < held.size(); ++i)
        out += " #" + std::to_string(i) + ": (" + held[i]->display + "), at: " +
               (i < sites.size() ? sites[i] : std::string("?")) + "\n";
    return out;
}

Violation& RealCheckers::report(const std::string& kind, const real::Actor* a,
                                std::vector<ActorId> involved, std::string object,
                                std::string site, std::string message, std::string text) {
    std::string key = kind + "|" + object + "|" + site;
    if (auto it = seen_.find(key); it != seen_.end()) {
        Violation& v = violations_[it->second];
        v.occurrences++;
        return v;
    }
    auto& sim = m_.sim();
    Violation v;
    v.kind = kind;
    v.severity = kind_severity(kind);
    v.at = sim.now();
    v.step = sim.steps();
    v.cpu = a ? a->cpu : -1;
    if (a && std::find(involved.begin(), involved.end(), a->id) == involved.end())
        involved.insert(involved.begin(), a->id);
    for (ActorId id : involved)
        if (id != engine::kNoActor) v.actors.push_back(sim.actor(id).name);
    v.object = std::move(object);
    v.site = std::move(site);
    v.message = std::move(message);
    v.report = std::move(text);
    // The steps that led here: the reporter's last 15 and the others' last 25.
    auto hist = sim.history();
    std::vector<StepLine> lines;
    std::size_t own = 0, other = 0;
    const ActorId self = a ? a->id : engine::kNoActor;
    for (auto it = hist.rbegin(); it != hist.rend() && (own < 15 || other < 25); ++it) {
        if (std::find(involved.begin(), involved.end(), it->actor) == involved.end()) continue;
        bool mine = it->actor == self;
        if (mine ? own >= 15 : other >= 25) continue;
        (mine ? own : other)++;
        lines.push_back({it->step, it->at, it->cpu, sim.actor(it->actor).name, it->label, it->arg});
    }
    std::reverse(lines.begin(), lines.end());
    v.steps = std::move(lines);
    sim.emit({.type = engine::TraceType::kViolation, .cpu = v.cpu,
              .actor = a ? a->id : engine::kNoActor, .name = kind_cstr(kind), .text = v.message});
    seen_[key] = violations_.size();
    violations_.push_back(std::move(v));
    if (stop_on_error_ && kind_severity(kind) == Severity::kError) sim.request_stop();
    return violations_.back();
}

// ---- locks

void RealCheckers::lock_released(const real::Actor& a, const LockInfo& l, bool by_holder,
                                 bool was_locked, const char* site) {
    if (by_holder && was_locked) return;
    std::string text = header("WARNING: bad unlock balance detected!");
    text += who(a.id) + " is trying to release lock (" + l.display + ") at:\n[" +
            format_time(m_.sim().now()) + "] " + site + "\n";
    std::string msg;
    std::vector<ActorId> inv;
    if (!was_locked) {
        text += "but there are no more locks to release!\n";
        msg = who(a.id) + " released " + l.display + ", which was not held";
    } else {
        inv.push_back(l.owner);
        text += "but the lock is held by " + who(l.owner) + " (acquired at " + l.acquired_at +
                ")\n";
        msg = who(a.id) + " released " + l.display + ", held by " + who(l.owner);
    }
    text += "\nother info that might help us debug this:\n" + held_text(a);
    report("lock-imbalance", &a, inv, l.display, site, msg, text);
}

void RealCheckers::op_returned(const real::Actor& a, const char* op,
                               const std::vector<const LockInfo*>& held, bool irqs_off) {
    if (!held.empty()) {
        std::vector<int> ids;
        for (const auto* l : held) ids.push_back(l->id);
        auto& last = leaked_[a.id];
        if (last == ids) return;  // the same leak, seen as the function returned
        last = std::move(ids);
        std::string names;
        for (const auto* l : held) names += (names.empty() ? "" : ", ") + l->display;
        std::string text = header("WARNING: lock held when returning to user space!");
        text += who(a.id) + " is leaving " + op + "() with locks still held!\n" + held_text(a);
        report("lock-imbalance", &a, {}, held.front()->display, op,
               std::string(op) + "() returned holding " + names, text);
    } else if (irqs_off) {
        std::string text = header("WARNING: irqs disabled when returning!");
        text += who(a.id) + " is leaving " + op + "() with interrupts disabled "
                "(local_irq_save() without its local_irq_restore()).\n";
        report("lock-imbalance", &a, {}, "irqs", op, std::string(op) + "() returned with interrupts disabled", text);
    }
}

void RealCheckers::sleeps_atomic(const real::Actor& a, const char* how,
                                 const std::vector<const LockInfo*>& held, bool irqs_off) {
    std::string text = header("BUG: sleeping function called from invalid context");
    text += who(a.id) + " sleeps in " + how + (irqs_off ? " with interrupts disabled" : "") +
            (held.empty() ? "" : " holding a spinlock") + "\n" + held_text(a);
    std::string object = held.empty() ? std::string("irqs") : held.front()->display;
    report("lock-imbalance", &a, {}, object, how,
           who(a.id) + " sleeps in " + how + " in atomic context", text);
}

void RealCheckers::lock_wait(const real::Actor& a, const LockInfo& l) {
    // A wait on a lock whose owner finished: it is never released.
    if (l.owner != engine::kNoActor && m_.actor_done(l.owner)) {
        std::string text = header("WARNING: lock held by a context that is gone!");
        text += who(a.id) + " waits for " + l.display + ", held by " + holder(l) +
                ", which finished without releasing it (acquired at " + l.acquired_at + ").\n";
        report("deadlock", &a, {l.owner}, l.display, "lock",
               who(a.id) + " waits for " + l.display + " held by finished " + who(l.owner), text);
        return;
    }
    // A cycle of waits: a waits for l's owner, who waits for ... a.
    std::vector<ActorId> chain{a.id};
    std::string path = who(a.id) + " waits for " + l.display;
    ActorId next = l.owner;
    for (int hops = 0; hops < 64 && next != engine::kNoActor; ++hops) {
        if (next == a.id) {
            std::string text = header("WARNING: possible circular locking dependency detected");
            text += path + "\n\n*** DEADLOCK ***\n";
            report("deadlock", &a, chain, l.display, "lock", "a cycle of waits: " + path, text);
            return;
        }
        chain.push_back(next);
        const LockInfo* w = m_.waiting_lock(next);
        if (w) {
            path += ", held by " + who(next) + ", which waits for " + w->display;
            next = w->owner;
            continue;
        }
        ActorId wa = m_.waiting_actor(next);
        if (wa != engine::kNoActor) {
            path += ", held by " + who(next) + ", which waits for " + who(wa);
            next = wa;
            continue;
        }
        break;
    }
}

void RealCheckers::reclaim_sleeps(const real::Actor& a, const LockInfo& l) {
    std::string text = header("WARNING: reclaim sleeps on a mutex!");
    text += who(a.id) + " is in memory reclaim (the lazy RCU shrinker) and sleeps on " +
            l.display + ", held by " + who(l.owner) + " (acquired at " + l.acquired_at +
            ").\nIf the holder allocates memory, nothing can be reclaimed: the OOM deadlock the "
            "seed thread warns about.\n";
    report("reclaim-blocks", &a, {l.owner}, l.display, "reclaim",
           who(a.id) + " sleeps in reclaim on " + l.display, text);
}

// ---- the kernel's own checks

void RealCheckers::kernel_warn(const real::Actor& a, const char* site, const char* cond) {
    std::string text = header("WARNING: the kernel's own check fired");
    text += std::string(cond) + "\nat " + site + "\n" + "CPU: " + std::to_string(a.cpu) +
            " Comm: " + m_.sim().actor(a.id).name + "\n" + held_text(a);
    report("kernel-warn", &a, {}, cond, site, std::string(cond) + " at " + site, text);
}

void RealCheckers::lockdep(const real::Actor& a, const char* kind, const char* site, const char* what) {
    std::string title = std::string(kind) == "unsafe-offload-read"
                            ? "WARNING: suspicious RCU usage"
                            : "WARNING: lockdep assertion failed";
    std::string text = header(title.c_str());
    text += std::string(site) + ": " + what + "!\n\n" + held_text(a);
    report(kind, &a, {}, what, site, std::string(what) + " at " + site, text);
}

// ---- callbacks

void RealCheckers::cb_invoked(const real::Actor& a, real::CbId id) {
    const auto& cb = m_.callbacks()[static_cast<std::size_t>(id)];
    if (cb.invocations > 1) {
        std::string text = header("BUG: callback invoked twice!");
        text += "callback " + std::to_string(id) + " queued on CPU " + std::to_string(cb.cpu) +
                " at " + format_time(cb.enqueued_at) + " was invoked again by " + who(a.id) + ".\n";
        report("callback-duplicated", &a, {}, "callback", "rcu_do_batch",
               "callback " + std::to_string(id) + " invoked twice", text);
    }
    if (m_.gp_completed() < cb.gp_needed) {
        std::string text = header("BUG: callback invoked before a grace period!");
        text += "callback " + std::to_string(id) + " queued on CPU " + std::to_string(cb.cpu) +
                " at " + format_time(cb.enqueued_at) + " needs " + std::to_string(cb.gp_needed) +
                " completed grace periods, " + std::to_string(m_.gp_completed()) +
                " have completed when " + who(a.id) + " invokes it.\n";
        report("callback-early", &a, {}, "callback", "rcu_do_batch",
               "callback " + std::to_string(id) + " invoked before a full grace period", text);
    }
}

void RealCheckers::barrier_end(const real::Actor& a) {
    const auto& snap = m_.barrier_snapshot(a.id);
    std::vector<real::CbId> pending;
    for (real::CbId id : snap)
        if (m_.callbacks()[static_cast<std::size_t>(id)].invocations == 0) pending.push_back(id);
    if (pending.empty()) return;
    const auto& cb = m_.callbacks()[static_cast<std::size_t>(pending.front())];
    std::string text = header("BUG: rcu_barrier() returned early!");
    text += who(a.id) + "'s rcu_barrier() returns while " + std::to_string(pending.size()) +
            " callback(s) queued before it began are not invoked (the first: callback " +
            std::to_string(pending.front()) + ", CPU " + std::to_string(cb.cpu) + ", queued at " +
            format_time(cb.enqueued_at) + ").\n";
    report("barrier-incomplete", &a, {}, "rcu_barrier", "rcu_barrier",
           "rcu_barrier() returned before " + std::to_string(pending.size()) +
               " earlier callback(s) were invoked",
           text);
}

void RealCheckers::data_race(const real::Actor& a, const real::DataRaceInfo& r) {
    auto access = [](bool write, bool marked) {
        return std::string(write ? (marked ? "marked write" : "plain write")
                                 : (marked ? "marked read" : "plain read"));
    };
    std::string text = header("BUG: KCSAN: data-race");
    text += "race at " + r.object + "\n\n" + access(r.first_write, r.first_marked) + " by " +
            who(r.first) + ":\n  " + r.first_site + "\n\n" + access(r.second_write, r.second_marked) +
            " by " + who(r.second) + ":\n  " + r.second_site +
            "\n\nno lock, wakeup or marked access orders the two.\n";
    report("data-race", &a, {r.first}, r.object, r.first_site + " vs " + r.second_site,
           "data race on " + r.object + ": " + r.first_site + " vs " + r.second_site, text);
}

// ---- end of run

void RealCheckers::finish(bool idle) {
    const auto& cbs = m_.callbacks();
    auto q = m_.queued_callbacks();
    std::vector<std::uint8_t> listed(cbs.size(), 0);
    for (real::CbId id : q.listed) listed[static_cast<std::size_t>(id)]++;
    std::int64_t unaccounted = 0;
    for (std::size_t i = 0; i < cbs.size(); ++i) {
        if (listed[i] > 1) {
            report("callback-duplicated", nullptr, {}, "callback", "queues",
                   "callback " + std::to_string(i) + " is queued twice",
                   header("BUG: callback queued twice!") + "callback " + std::to_string(i) +
                       " appears twice on the rdps' lists at the end of the run.\n");
        }
        if (cbs[i].queued && cbs[i].invocations == 0 && listed[i] == 0) ++unaccounted;
    }
    // Callbacks on no list may be in flight (rcu_do_batch() holds them, counted in
    // ->cblist.len): only more than that is a loss.
    if (unaccounted > q.in_flight) {
        std::string text = header("BUG: callbacks lost!");
        text += std::to_string(unaccounted - q.in_flight) +
                " callback(s) were queued, never invoked, are on no rdp's ->cblist or "
                "->nocb_bypass, and are not counted in flight.\n";
        report("callback-lost", nullptr, {}, "callback", "queues",
               std::to_string(unaccounted - q.in_flight) + " callback(s) lost", text);
    }
    if (idle) {
        // Nothing can ever run again: queued callbacks are stranded, waits never end.
        std::int64_t stranded = 0;
        for (std::size_t i = 0; i < cbs.size(); ++i)
            if (cbs[i].queued && cbs[i].invocations == 0 && listed[i]) ++stranded;
        if (stranded) {
            const auto& first = cbs[static_cast<std::size_t>(q.listed.front())];
            std::string text = header("INFO: callbacks stranded!");
            text += std::to_string(stranded) +
                    " callback(s) are queued and the machine is idle: no kthread, grace period, "
                    "timer or softirq will ever move them (the first: queued on CPU " +
                    std::to_string(first.cpu) + " at " + format_time(first.enqueued_at) + ").\n";
            report("stranded-callbacks", nullptr, {}, "callbacks", "end of run",
                   std::to_string(stranded) + " callback(s) stranded on an idle machine", text);
        }
        for (std::size_t i = 0; i < m_.sim().actor_count(); ++i) {
            const auto& a = m_.sim().actor(static_cast<ActorId>(i));
            if (a.state != engine::ActorState::kBlocked) continue;
            const LockInfo* l = m_.waiting_lock(a.id);
            if (!l) continue;
            std::string text = l->type == LockType::kSpin ? header("BUG: spinlock lockup suspected!")
                                                          : header("INFO: task blocked forever!");
            text += who(a.id) + " still waits for " + l->display + " held by " + holder(*l) +
                    " on an idle machine.\n";
            report("deadlock", &a, {l->owner}, l->display, "end of run",
                   who(a.id) + " never gets " + l->display, text);
        }
    }
}

}  // namespace rcusim::check
