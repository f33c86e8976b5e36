#include "trace/chrome.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace rcusim::trace {

using engine::ActorId;
using engine::CpuId;
using engine::Time;
using engine::TraceEvent;
using engine::TraceType;

namespace {

template <typename Int>
void append_int(std::string& out, Int v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

void append_digits3(std::string& out, std::uint64_t v) {
    out.push_back(static_cast<char>('0' + v / 100 % 10));
    out.push_back(static_cast<char>('0' + v / 10 % 10));
    out.push_back(static_cast<char>('0' + v % 10));
}

std::string_view safe(const char* s) { return s ? std::string_view(s) : std::string_view(); }

// Largest CPU id given its own tracks; events about larger ids (only possible in a hand-made
// jsonl file) are not drawn.
constexpr CpuId kMaxTrackCpu = 65535;

// Thread slots inside a process (see the header).
constexpr int kSlotRun = 0;
constexpr int kSlotFlags = 1;
constexpr int kSlotTimer = 2;
constexpr int kSlotViolations = 0;
constexpr int kSlotGp = 1;
constexpr int kSlotNotes = 2;
constexpr int kFirstLockSlot = 3;

// Lock kinds with fixed slots, so the tracks of two traces line up; others get the next
// free slot in order of first appearance.
constexpr const char* kKnownLocks[] = {
    "nocb_lock",     "nocb_bypass_lock", "nocb_gp_lock",    "nocb_gp_kthread_mutex",
    "barrier_mutex", "barrier_lock",     "cpu_hotplug_lock"};

// Counters with fixed indexes; others are appended in order of first appearance.
constexpr const char* kKnownCounters[] = {"lazy_len", "bypass_len", "offloaded", "cblist_len"};

constexpr ChromeStamp kNoStamp{INT64_MIN, 0};

}  // namespace

void append_chrome_ts(std::string& out, ChromeStamp t) {
    std::uint64_t mag;
    if (t.ns < 0) {
        out.push_back('-');
        mag = std::uint64_t{0} - static_cast<std::uint64_t>(t.ns);
    } else {
        mag = static_cast<std::uint64_t>(t.ns);
    }
    append_int(out, mag / 1000);
    out.push_back('.');
    append_digits3(out, mag % 1000);
    if (t.ps != 0) append_digits3(out, static_cast<std::uint64_t>(t.ps) % 1000);
}

namespace {

// The duration from b to a (a >= b).
ChromeStamp operator-(ChromeStamp a, ChromeStamp b) {
    ChromeStamp d{a.ns - b.ns, a.ps - b.ps};
    if (d.ps < 0) {
        d.ps += 1000;
        d.ns -= 1;
    }
    return d;
}

}  // namespace

struct ChromeSink::Impl {
    // The slice currently open on a CPU's run track: consecutive steps of one actor at one
    // virtual time, and the callbacks it enqueued or invoked (their flow events follow it).
    struct Run {
        bool open = false;
        bool written = false;  // inside the window: written when it closes
        ActorId actor = engine::kNoActor;
        Time t = 0;
        ChromeStamp start, last;
        std::uint32_t steps = 0;
        std::uint64_t first_step = 0, last_step = 0;
        std::string label;
        std::int32_t arg = -1;
        struct Flow {
            std::int64_t cb;
            std::int32_t rdp;
            bool start;
        };
        std::vector<Flow> flows;
    };
    // A lock instance: who holds it now, and the owner slice open in the output.
    struct Lock {
        std::vector<ActorId> holders;
        bool written = false;  // a slice is open in the output
        ChromeStamp start;
        Time since = 0;  // virtual time of the acquisition that opened it
        std::uint64_t step = 0;
        CpuId cpu = engine::kNoCpu;
        bool synced = false;  // re-opened at the window's start
        std::string name;     // the holders when it opened
        std::uint32_t nholders = 0;
        std::uint32_t contentions = 0;
        std::string contenders;
        std::uint32_t contender_names = 0;
    };
    struct Timer {
        bool armed = false;
        bool written = false;
        bool synced = false;
        ChromeStamp start;
        Time since = 0;
        std::int64_t expires = 0;  // the latest expiry
        std::uint32_t rearmed = 0;
    };
    struct Proc {
        bool announced = false;
        std::uint32_t threads_announced = 0;  // bit per slot
        Run run;
        Timer timer;
        std::vector<Lock> locks;             // by slot - kFirstLockSlot
        std::vector<std::int64_t> counters;  // by counter index
        std::vector<bool> has_counter;
        bool has_flags = false;
        std::int64_t flags = 0;
        std::string flag_names;
    };

    std::ostream& out;
    TraceFilter filter;
    ActorNames names;
    // Per actor: whether it ended, and its last step's label (stable: labels are static or
    // interned for the whole process), so that a lock still held at the end is "leaked" only
    // when every holder returned, not when a holder is blocked or sleeping.
    struct ActorEnd {
        bool exited = false;
        const char* last = nullptr;
    };
    std::vector<ActorEnd> actor_end;
    std::string buf;
    std::vector<Proc> procs;                 // 0: machine, 1 + c: CPU c
    std::vector<std::string> lock_kinds;     // slot - kFirstLockSlot -> kind
    std::vector<std::string> counter_names;  // index -> name
    bool first_event = true;
    bool have_time = false;
    Time cur_t = 0;
    std::uint64_t burst_step0 = 0;
    bool window_open = false;
    bool done = false;  // past the window's end: nothing more is written
    bool finished = false;
    ChromeStamp last_seen = kNoStamp;    // latest event inside the window
    ChromeStamp max_written = kNoStamp;  // latest timestamp (or slice end) written
    bool gp_open = false;
    bool gp_written = false;
    bool gp_synced = false;
    ChromeStamp gp_start;
    std::int64_t gp_num = 0;
    Time gp_since = 0;
    std::int64_t flow_lo = -1, flow_hi = -1;  // callback ids whose flow start was written
    std::uint64_t events_in = 0;
    std::uint64_t events_written = 0;

    Impl(std::ostream& o, TraceFilter f) : out(o), filter(std::move(f)) {
        for (const char* k : kKnownLocks) lock_kinds.emplace_back(k);
        for (const char* c : kKnownCounters) counter_names.emplace_back(c);
        buf.reserve(1 << 17);
        buf.append("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
    }

    // ---- output ----------------------------------------------------------------------------

    void maybe_flush() {
        if (buf.size() >= (1 << 16)) {
            out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
            buf.clear();
        }
    }

    void note_written(ChromeStamp t) {
        if (t > max_written) max_written = t;
    }

    // Opens an event object: {"ph":..,"name":..,"cat":..,"ts":..,"pid":..,"tid":..
    void head(char ph, std::string_view name, std::string_view cat, ChromeStamp ts, int pid,
              int tid) {
        buf.append(first_event ? "\n{\"ph\":\"" : ",\n{\"ph\":\"");
        first_event = false;
        buf.push_back(ph);
        buf.append("\",\"name\":");
        append_json_string(buf, name);
        buf.append(",\"cat\":\"");
        buf.append(cat);  // fixed ASCII identifiers
        buf.append("\",\"ts\":");
        append_chrome_ts(buf, ts);
        buf.append(",\"pid\":");
        append_int(buf, pid);
        buf.append(",\"tid\":");
        append_int(buf, tid);
        note_written(ts);
        ++events_written;
    }
    // A complete slice ("X") from `start` to `end`.
    void complete(std::string_view name, std::string_view cat, ChromeStamp start, ChromeStamp end,
                  int pid, int tid) {
        head('X', name, cat, start, pid, tid);
        buf.append(",\"dur\":");
        append_chrome_ts(buf, end - start);
        note_written(end);
    }
    void end_event() {
        buf.push_back('}');
        maybe_flush();
    }

    // "args" writer: args_begin(); arg_*(...); args_end().
    bool first_arg = true;
    void args_begin() {
        buf.append(",\"args\":{");
        first_arg = true;
    }
    void arg_key(std::string_view k) {
        if (!first_arg) buf.push_back(',');
        first_arg = false;
        buf.push_back('"');
        buf.append(k);
        buf.append("\":");
    }
    void arg_str(std::string_view k, std::string_view v) {
        arg_key(k);
        append_json_string(buf, v);
    }
    void arg_int(std::string_view k, std::int64_t v) {
        arg_key(k);
        append_int(buf, v);
    }
    void arg_actor(std::string_view k, ActorId a) {
        arg_key(k);
        std::string n;
        names.append(n, a);
        append_json_string(buf, n);
    }
    void args_end() { buf.push_back('}'); }

    void metadata(const char* what, int pid, int tid, std::string_view name, int sort) {
        // {"ph":"M","name":"thread_name","ts":0,"pid":..,"tid":..,"args":{"name":".."}}
        buf.append(first_event ? "\n{\"ph\":\"M\",\"name\":\"" : ",\n{\"ph\":\"M\",\"name\":\"");
        first_event = false;
        buf.append(what);
        buf.append("\",\"ts\":0,\"pid\":");
        append_int(buf, pid);
        buf.append(",\"tid\":");
        append_int(buf, tid);
        buf.append(",\"args\":{");
        if (sort < 0) {
            buf.append("\"name\":");
            append_json_string(buf, name);
        } else {
            buf.append("\"sort_index\":");
            append_int(buf, sort);
        }
        buf.append("}}");
        ++events_written;
    }

    // ---- tracks ----------------------------------------------------------------------------

    static int pid_of(std::size_t p) { return static_cast<int>(p) + 1; }
    static CpuId cpu_of(std::size_t p) { return static_cast<CpuId>(p) - 1; }

    Proc* cpu_proc(CpuId c) {
        if (c < 0 || c > kMaxTrackCpu || !filter.cpu(c)) return nullptr;
        auto p = static_cast<std::size_t>(c) + 1;
        if (p >= procs.size()) procs.resize(p + 1);
        return &procs[p];
    }
    Proc& machine() {
        if (procs.empty()) procs.resize(1);
        return procs[0];
    }
    std::size_t index_of(const Proc& p) const {
        return static_cast<std::size_t>(&p - procs.data());
    }
    int pid(const Proc& p) const { return pid_of(index_of(p)); }

    std::string thread_name(std::size_t p, int slot) const {
        if (p == 0) {
            switch (slot) {
                case kSlotViolations:
                    return "violations";
                case kSlotGp:
                    return "grace periods";
                case kSlotNotes:
                    return "notes";
                default:
                    return lock_kinds[static_cast<std::size_t>(slot - kFirstLockSlot)];
            }
        }
        std::string c = std::to_string(cpu_of(p));
        switch (slot) {
            case kSlotRun:
                return "cpu " + c;
            case kSlotFlags:
                return "rdp " + c + " flags";
            case kSlotTimer:
                return "nocb_timer[" + c + "]";
            default:
                return lock_kinds[static_cast<std::size_t>(slot - kFirstLockSlot)] + "[" + c + "]";
        }
    }

    // Announces the process and thread of a track (once) and returns its tid.
    int track(Proc& proc, int slot) {
        std::size_t p = index_of(proc);
        int pid = pid_of(p);
        if (!proc.announced) {
            proc.announced = true;
            metadata("process_name", pid, ChromeSink::tid(pid, 0),
                     p == 0 ? std::string("rcusim") : "cpu " + std::to_string(cpu_of(p)), -1);
            metadata("process_sort_index", pid, ChromeSink::tid(pid, 0), {}, static_cast<int>(p));
        }
        int tid = ChromeSink::tid(pid, slot);
        if (!(proc.threads_announced & (1u << slot))) {
            proc.threads_announced |= 1u << slot;
            metadata("thread_name", pid, tid, thread_name(p, slot), -1);
            metadata("thread_sort_index", pid, tid, {}, slot);
        }
        return tid;
    }

    int lock_slot(std::string_view kind) {
        for (std::size_t i = 0; i < lock_kinds.size(); ++i)
            if (lock_kinds[i] == kind) return kFirstLockSlot + static_cast<int>(i);
        if (kFirstLockSlot + lock_kinds.size() >= static_cast<std::size_t>(kSlotsPerProcess))
            return -1;
        lock_kinds.emplace_back(kind);
        return kFirstLockSlot + static_cast<int>(lock_kinds.size()) - 1;
    }

    std::size_t counter_index(std::string_view name) {
        for (std::size_t i = 0; i < counter_names.size(); ++i)
            if (counter_names[i] == name) return i;
        counter_names.emplace_back(name);
        return counter_names.size() - 1;
    }

    std::string holders_name(const Lock& l) const {
        std::string s;
        for (std::size_t i = 0; i < l.holders.size(); ++i) {
            if (i) s.append(" + ");
            names.append(s, l.holders[i]);
        }
        return s;
    }

    void instant(Proc& p, int slot, std::string_view name, std::string_view cat, ChromeStamp ts,
                 const TraceEvent* e, std::string_view key = {}, std::string_view value = {}) {
        int tid = track(p, slot);
        head('i', name, cat, ts, pid(p), tid);
        buf.append(",\"s\":\"t\"");
        args_begin();
        if (e) {
            arg_int("step", static_cast<std::int64_t>(e->step));
            if (e->cpu >= 0) arg_int("cpu", e->cpu);
        }
        if (!key.empty()) arg_str(key, value);
        args_end();
        end_event();
    }

    // ---- run slices ------------------------------------------------------------------------

    void run_begin(Proc& p, const TraceEvent& e, ChromeStamp ts) {
        Run& r = p.run;
        r.open = true;
        r.written = window_open;
        r.actor = e.actor;
        r.t = e.at;
        r.start = r.last = ts;
        r.steps = 1;
        r.first_step = r.last_step = e.step;
        r.label.assign(safe(e.name));
        r.arg = e.idx;
        r.flows.clear();
    }

    // Ends the open run 1 ps after its last step (within the same nanosecond), but not after
    // `next`, the start of the following slice on the same track; then writes its flows.
    void run_end(Proc& p, const ChromeStamp* next) {
        Run& r = p.run;
        if (!r.open) return;
        r.open = false;
        if (!r.written) return;
        ChromeStamp end = r.last;
        if (end.ps < 999) ++end.ps;
        if (next && *next < end) end = *next;
        const int pid = this->pid(p);
        const int tid = track(p, kSlotRun);
        std::string n;
        names.append(n, r.actor);
        complete(n, "run", r.start, end, pid, tid);
        args_begin();
        arg_int("step", static_cast<std::int64_t>(r.first_step));
        arg_str("label", r.label);
        if (r.arg >= 0) arg_int("arg", r.arg);
        arg_int("steps", r.steps);
        arg_int("last_step", static_cast<std::int64_t>(r.last_step));
        args_end();
        end_event();
        // Flow events bind to the slice that starts at their timestamp (DevTools) or
        // encloses it (Perfetto, chrome://tracing): give them the slice's start.
        for (const auto& f : r.flows) {
            head(f.start ? 's' : 'f', "callback", "run", r.start, pid, tid);
            buf.append(",\"id\":");
            append_int(buf, f.cb);
            if (!f.start) buf.append(",\"bp\":\"e\"");
            args_begin();
            arg_int("cb", f.cb);
            arg_int("rdp", f.rdp);
            args_end();
            end_event();
        }
        r.flows.clear();
    }

    // ---- lock slices -----------------------------------------------------------------------

    void lock_open(Lock& l, ChromeStamp ts, const TraceEvent* e, bool synced) {
        l.written = true;
        l.start = ts;
        l.synced = synced;
        l.step = e ? e->step : 0;
        l.cpu = e ? e->cpu : engine::kNoCpu;
        l.name = holders_name(l);
        l.nholders = static_cast<std::uint32_t>(l.holders.size());
        l.contentions = 0;
        l.contenders.clear();
        l.contender_names = 0;
    }

    void lock_close(Proc& p, int slot, Lock& l, ChromeStamp end, std::string_view status) {
        if (!l.written) return;
        l.written = false;
        int tid = track(p, slot);
        complete(l.name, "lock", l.start, end, pid(p), tid);
        args_begin();
        arg_str("owner", l.name);
        if (l.nholders > 1) arg_int("holders", l.nholders);
        if (l.synced) {
            arg_int("held_since_ns", l.since);
        } else {
            arg_int("step", static_cast<std::int64_t>(l.step));
            if (l.cpu >= 0) arg_int("cpu", l.cpu);
        }
        if (l.contentions) {
            arg_int("contentions", l.contentions);
            arg_str("contended_by", l.contenders);
        }
        if (!status.empty()) arg_str("status", status);
        args_end();
        end_event();
    }

    void lock_contended(Lock& l, std::string_view who) {
        ++l.contentions;
        if (l.contender_names >= 8) return;
        // Distinct names, in order of first contention.
        std::size_t at = 0;
        while (at <= l.contenders.size()) {
            std::size_t comma = l.contenders.find(", ", at);
            std::size_t e = comma == std::string::npos ? l.contenders.size() : comma;
            if (l.contenders.compare(at, e - at, who) == 0 && e > at) return;
            if (comma == std::string::npos) break;
            at = comma + 2;
        }
        if (!l.contenders.empty()) l.contenders.append(", ");
        l.contenders.append(who);
        ++l.contender_names;
    }

    // ---- other tracks ----------------------------------------------------------------------

    void counter(Proc& p, std::size_t idx, ChromeStamp ts) {
        track(p, kSlotRun);  // announces the process
        const int pid = this->pid(p);
        head('C', counter_names[idx], "counter", ts, pid, ChromeSink::tid(pid, kSlotRun));
        args_begin();
        arg_int("value", p.counters[idx]);
        args_end();
        end_event();
    }

    void flags_instant(Proc& p, ChromeStamp ts, const TraceEvent* e) {
        int tid = track(p, kSlotFlags);
        head('i', p.flag_names.empty() ? std::string_view("(none)") : p.flag_names, "flags", ts,
             pid(p), tid);
        buf.append(",\"s\":\"t\"");
        args_begin();
        arg_int("flags", p.flags);
        arg_str("names", p.flag_names);
        if (e) arg_int("step", static_cast<std::int64_t>(e->step));
        args_end();
        end_event();
    }

    void timer_close(Proc& p, ChromeStamp end, std::string_view status) {
        Timer& t = p.timer;
        if (!t.written) return;
        t.written = false;
        int tid = track(p, kSlotTimer);
        complete("armed", "timer", t.start, end, pid(p), tid);
        args_begin();
        arg_int("expires_ns", t.expires);
        arg_int("armed_ns", t.since);
        if (t.rearmed) arg_int("rearmed", t.rearmed);
        arg_str("status", status);
        args_end();
        end_event();
    }

    void gp_close(ChromeStamp end, std::string_view status) {
        if (!gp_written) return;
        gp_written = false;
        int tid = track(machine(), kSlotGp);
        complete("gp " + std::to_string(gp_num), "gp", gp_start, end, kMachinePid, tid);
        args_begin();
        arg_int("gp", gp_num);
        arg_int("started_ns", gp_since);
        if (!status.empty()) arg_str("status", status);
        args_end();
        end_event();
    }

    // ---- window ----------------------------------------------------------------------------

    // Re-opens at `from` what was open before the window starts, then writes from there on.
    void open_window() {
        window_open = true;
        ChromeStamp ts{filter.from, 0};
        if (gp_open) {
            gp_written = true;
            gp_start = ts;
        }
        for (auto& p : procs) {
            for (auto& l : p.locks)
                if (!l.holders.empty()) lock_open(l, ts, nullptr, true);
            if (p.timer.armed) {
                p.timer.written = true;
                p.timer.start = ts;
            }
            for (std::size_t c = 0; c < p.has_counter.size(); ++c)
                if (p.has_counter[c]) counter(p, c, ts);
            if (p.has_flags) flags_instant(p, ts, nullptr);
        }
    }

    // Closes every open slice: runs after their last step, everything else at `end` (at least
    // the latest timestamp written, so every track stays monotonic).
    // A lock held when the trace ends: "leaked" when every holder has returned; else who
    // still holds it and where it last stepped (blocked or sleeping there, typically).
    std::string end_status(const Lock& l) const {
        std::string alive;
        for (ActorId h : l.holders) {
            const auto i = static_cast<std::size_t>(h);
            const ActorEnd* st = h >= 0 && i < actor_end.size() ? &actor_end[i] : nullptr;
            if (st && st->exited) continue;
            if (!alive.empty()) alive += ", ";
            names.append(alive, h);
            if (st && st->last) alive += std::string(" (last step: ") + st->last + ")";
        }
        return alive.empty() ? "leaked (never released)" : "held at the end by " + alive;
    }

    void close_all(ChromeStamp end, bool at_trace_end) {
        for (auto& p : procs) run_end(p, nullptr);
        if (max_written > end) end = max_written;
        for (auto& p : procs) {
            for (std::size_t k = 0; k < p.locks.size(); ++k) {
                Lock& l = p.locks[k];
                if (!l.written) continue;
                int slot = kFirstLockSlot + static_cast<int>(k);
                std::string who = l.name;
                const std::string status =
                    at_trace_end ? end_status(l) : std::string("held past the window end");
                const bool leaked = at_trace_end && status.rfind("leaked", 0) == 0;
                lock_close(p, slot, l, end, status);
                if (leaked)
                    instant(p, slot, "leaked (never released)", "lock", end, nullptr, "owner", who);
            }
            timer_close(p, end,
                        at_trace_end ? "still armed at the end" : "armed past the window end");
        }
        gp_close(end, at_trace_end ? "in progress at the end" : "in progress past the window end");
    }

    // ---- events ----------------------------------------------------------------------------

    void on_step(const TraceEvent& e, ChromeStamp ts) {
        Proc* p = cpu_proc(e.cpu);
        if (!p) return;
        Run& r = p->run;
        if (r.open && r.actor == e.actor && r.t == e.at) {
            r.last = ts;
            ++r.steps;
            r.last_step = e.step;
            return;
        }
        run_end(*p, &ts);
        run_begin(*p, e, ts);
    }

    void on_lock(const TraceEvent& e, ChromeStamp ts) {
        Proc* p = e.idx >= 0 ? cpu_proc(e.idx) : &machine();
        if (!p) return;
        int slot = lock_slot(safe(e.name));
        if (slot < 0) return;
        auto k = static_cast<std::size_t>(slot - kFirstLockSlot);
        if (k >= p->locks.size()) p->locks.resize(k + 1);
        Lock& l = p->locks[k];
        const bool w = window_open;
        std::string who;
        names.append(who, e.actor);
        switch (e.type) {
            case TraceType::kLockAcquire:
                if (w) lock_close(*p, slot, l, ts, "another context acquired it: " + who);
                l.holders.push_back(e.actor);
                l.since = e.at;
                if (w) lock_open(l, ts, &e, false);
                break;
            case TraceType::kLockContend:
                if (!w) break;
                if (l.written) {
                    lock_contended(l, who);
                } else {
                    instant(*p, slot, "contended by " + who, "lock", ts, &e);
                }
                break;
            case TraceType::kLockRelease: {
                auto it = std::find(l.holders.begin(), l.holders.end(), e.actor);
                if (e.value == 1 || it == l.holders.end()) {
                    // Released by a context that does not own it (or of a free lock): the lock
                    // is free from here on, whoever believed to hold it.
                    std::string owner = holders_name(l);
                    bool was_held = !l.holders.empty();
                    l.holders.clear();
                    if (!w) break;
                    if (was_held) {
                        std::string what = "released by " + who + ", not the owner";
                        lock_close(*p, slot, l, ts, what);
                        instant(*p, slot, what, "lock", ts, &e, "owner", owner);
                    } else if (e.value == 1) {
                        instant(*p, slot, "released by " + who + ", not the owner (it was free)",
                                "lock", ts, &e);
                    } else {
                        instant(*p, slot, "released by " + who + " while free", "lock", ts, &e);
                    }
                    break;
                }
                l.holders.erase(it);
                if (!w) break;
                lock_close(*p, slot, l, ts, {});
                if (!l.holders.empty()) lock_open(l, ts, &e, false);
                break;
            }
            default:
                break;
        }
    }

    void on_counter(const TraceEvent& e, ChromeStamp ts) {
        Proc* p = cpu_proc(e.idx);
        if (!p) return;
        std::size_t c = counter_index(safe(e.name));
        if (c >= p->counters.size()) {
            p->counters.resize(c + 1, 0);
            p->has_counter.resize(c + 1, false);
        }
        if (p->has_counter[c] && p->counters[c] == e.value) return;
        p->has_counter[c] = true;
        p->counters[c] = e.value;
        if (window_open) counter(*p, c, ts);
    }

    void on_flags(const TraceEvent& e, ChromeStamp ts) {
        Proc* p = cpu_proc(e.idx);
        if (!p) return;
        if (p->has_flags && p->flags == e.value) return;
        p->has_flags = true;
        p->flags = e.value;
        p->flag_names.assign(e.text);
        if (window_open) flags_instant(*p, ts, &e);
    }

    void on_callback(const TraceEvent& e) {
        if (!window_open || filter.cpu_filter) return;
        std::string_view what = safe(e.name);
        bool start = what == "enqueue";
        if (!start && what != "invoke") return;
        Proc* p = cpu_proc(e.cpu);
        if (!p || !p->run.open || !p->run.written || p->run.actor != e.actor) return;
        if (start) {
            if (flow_lo < 0) flow_lo = e.value;
            flow_hi = std::max(flow_hi, e.value);
        } else if (flow_lo < 0 || e.value < flow_lo || e.value > flow_hi) {
            return;
        }
        p->run.flows.push_back({e.value, e.idx, start});
    }

    void on_gp(const TraceEvent& e, ChromeStamp ts) {
        std::string_view what = safe(e.name);
        if (what == "start") {
            if (gp_open && window_open) gp_close(ts, "superseded");
            gp_open = true;
            gp_num = e.value;
            gp_since = e.at;
            if (window_open) {
                gp_written = true;
                gp_start = ts;
            }
        } else if (what == "end") {
            gp_open = false;
            if (!window_open) return;
            if (gp_written) {
                gp_close(ts, {});
            } else {
                instant(machine(), kSlotGp, "gp " + std::to_string(e.value) + " end", "gp", ts,
                        nullptr);
            }
        }
    }

    void on_timer(const TraceEvent& e, ChromeStamp ts) {
        Proc* p = cpu_proc(e.idx);
        if (!p) return;
        std::string_view what = safe(e.name);
        const bool w = window_open;
        Timer& t = p->timer;
        if (what == "arm") {
            // Re-arming an armed timer moves its expiry: the "armed" slice goes on.
            if (t.armed) {
                ++t.rearmed;
            } else {
                t.armed = true;
                t.since = e.at;
                t.rearmed = 0;
                if (w) {
                    t.written = true;
                    t.start = ts;
                }
            }
            t.expires = e.value;
            return;
        }
        t.armed = false;
        if (!w) return;
        std::string status = what == "fire"     ? "fired"
                             : what == "cancel" ? "cancelled"
                                                : std::string(what);
        if (t.written) {
            timer_close(*p, ts, status);
        } else {
            instant(*p, kSlotTimer, status, "timer", ts, nullptr);
        }
    }

    void on_violation(const TraceEvent& e, ChromeStamp ts) {
        if (!window_open) return;
        int tid = track(machine(), kSlotViolations);
        head('i', safe(e.name), "violation", ts, kMachinePid, tid);
        buf.append(",\"s\":\"g\"");
        args_begin();
        arg_str("kind", safe(e.name));
        arg_str("message", e.text);
        if (e.actor != engine::kNoActor) arg_actor("actor", e.actor);
        if (e.cpu >= 0) arg_int("cpu", e.cpu);
        arg_int("step", static_cast<std::int64_t>(e.step));
        arg_int("t_ns", e.at);
        args_end();
        end_event();
    }

    void on_note(const TraceEvent& e, ChromeStamp ts) {
        if (!window_open) return;
        if (filter.cpu_filter && e.cpu >= 0 && !filter.cpu(e.cpu)) return;
        int tid = track(machine(), kSlotNotes);
        head('i', safe(e.name), "note", ts, kMachinePid, tid);
        buf.append(",\"s\":\"t\"");
        args_begin();
        arg_int("idx", e.idx);
        arg_int("value", e.value);
        if (!e.text.empty()) arg_str("text", e.text);
        if (e.actor != engine::kNoActor) arg_actor("actor", e.actor);
        if (e.cpu >= 0) arg_int("cpu", e.cpu);
        arg_int("step", static_cast<std::int64_t>(e.step));
        args_end();
        end_event();
    }

    void on_event(const TraceEvent& e) {
        ++events_in;
        names.learn(e);
        if (e.actor >= 0 && (e.type == TraceType::kStep || e.type == TraceType::kActorExit)) {
            const auto i = static_cast<std::size_t>(e.actor);
            if (i >= actor_end.size()) actor_end.resize(i + 1);
            if (e.type == TraceType::kActorExit)
                actor_end[i].exited = true;
            else
                actor_end[i].last = e.name;
        }
        if (done || finished) return;
        if (!have_time || e.at != cur_t) {
            have_time = true;
            cur_t = e.at;
            burst_step0 = e.step;
        }
        std::uint64_t k = e.step >= burst_step0 ? e.step - burst_step0 : 0;
        ChromeStamp ts{e.at, static_cast<std::int32_t>(std::min<std::uint64_t>(k, 999))};
        if (!window_open) {
            if (e.at > filter.to) {
                done = true;
                return;
            }
            if (e.at >= filter.from) open_window();
        } else if (e.at > filter.to) {
            ChromeStamp end{filter.to, 0};
            if (last_seen > end) end = last_seen;
            close_all(end, false);
            done = true;
            return;
        }
        if (window_open && ts > last_seen) last_seen = ts;
        switch (e.type) {
            case TraceType::kStep:
                on_step(e, ts);
                break;
            case TraceType::kLockAcquire:
            case TraceType::kLockRelease:
            case TraceType::kLockContend:
                on_lock(e, ts);
                break;
            case TraceType::kCounter:
                on_counter(e, ts);
                break;
            case TraceType::kFlags:
                on_flags(e, ts);
                break;
            case TraceType::kCallback:
                on_callback(e);
                break;
            case TraceType::kGp:
                on_gp(e, ts);
                break;
            case TraceType::kTimer:
                on_timer(e, ts);
                break;
            case TraceType::kViolation:
                on_violation(e, ts);
                break;
            case TraceType::kNote:
                on_note(e, ts);
                break;
            case TraceType::kActorNew:
            case TraceType::kActorExit:
                break;
        }
    }

    void finish() {
        if (finished) return;
        finished = true;
        if (!done && window_open) close_all(last_seen, true);
        buf.append("\n],\"otherData\":{\"generator\":\"rcusim\",\"time\":\"virtual\",");
        buf.append("\"events_in\":");
        append_int(buf, events_in);
        buf.append(",\"events_written\":");
        append_int(buf, events_written);
        if (filter.has_window()) {
            buf.append(",\"window_from_ns\":");
            append_int(buf, filter.from);
            buf.append(",\"window_to_ns\":");
            append_int(buf, filter.to);
        }
        if (filter.cpu_filter) {
            buf.append(",\"cpus\":[");
            bool first = true;
            for (std::size_t c = 0; c < filter.cpus.size(); ++c) {
                if (!filter.cpus[c]) continue;
                if (!first) buf.push_back(',');
                first = false;
                append_int(buf, c);
            }
            buf.push_back(']');
        }
        buf.append("}}\n");
        out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        buf.clear();
        out.flush();
    }
};

ChromeSink::ChromeSink(std::ostream& out, TraceFilter filter)
    : impl_(std::make_unique<Impl>(out, std::move(filter))) {}

ChromeSink::~ChromeSink() = default;

void ChromeSink::on_event(const TraceEvent& e) { impl_->on_event(e); }

void ChromeSink::finish() { impl_->finish(); }

std::uint64_t ChromeSink::events_in() const { return impl_->events_in; }

std::uint64_t ChromeSink::events_written() const { return impl_->events_written; }

// ---- jsonl -> chrome --------------------------------------------------------------------------

bool looks_like_jsonl(std::string_view head) {
    std::size_t i = 0;
    while (i < head.size() &&
           (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        ++i;
    return head.substr(i, 5) == "{\"t\":";
}

namespace {

struct EventType {
    const char* name;
    TraceType type;
};
constexpr EventType kEventTypes[] = {
    {"actor_new", TraceType::kActorNew},
    {"actor_exit", TraceType::kActorExit},
    {"step", TraceType::kStep},
    {"lock_acquire", TraceType::kLockAcquire},
    {"lock_release", TraceType::kLockRelease},
    {"lock_contend", TraceType::kLockContend},
    {"counter", TraceType::kCounter},
    {"flags", TraceType::kFlags},
    {"callback", TraceType::kCallback},
    {"gp", TraceType::kGp},
    {"timer", TraceType::kTimer},
    {"violation", TraceType::kViolation},
    {"note", TraceType::kNote},
};

}  // namespace

void convert_jsonl_to_chrome(std::istream& in, std::ostream& out, const TraceFilter& filter,
                             const std::string& origin) {
    using nlohmann::json;
    ChromeSink sink(out, filter);
    std::set<std::string, std::less<>> pool;  // stable storage for TraceEvent::name
    auto intern = [&](std::string_view s) -> const char* {
        auto it = pool.find(s);
        if (it == pool.end()) it = pool.emplace(s).first;
        return it->c_str();
    };
    std::unordered_map<std::string, ActorId> actor_ids;  // name -> latest id with that name
    ActorId next_actor = 0;
    std::string line, text;
    std::uint64_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty() || line == "\r") continue;
        auto fail = [&](const std::string& why) {
            throw std::runtime_error(origin + ":" + std::to_string(lineno) + ": " + why);
        };
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object()) fail("not a JSON object");
        auto get_int = [&](const char* k, bool required, std::int64_t def = 0) -> std::int64_t {
            auto it = j.find(k);
            if (it == j.end()) {
                if (required) fail(std::string("missing \"") + k + "\"");
                return def;
            }
            if (!it->is_number_integer()) fail(std::string("\"") + k + "\" is not an integer");
            return it->get<std::int64_t>();
        };
        auto get_str = [&](const char* k, bool required) -> std::string {
            auto it = j.find(k);
            if (it == j.end()) {
                if (required) fail(std::string("missing \"") + k + "\"");
                return {};
            }
            if (!it->is_string()) fail(std::string("\"") + k + "\" is not a string");
            return it->get<std::string>();
        };
        TraceEvent e;
        e.at = get_int("t", true);
        std::int64_t step = get_int("step", true);
        if (step < 0) fail("negative \"step\"");
        e.step = static_cast<std::uint64_t>(step);
        std::string ev = get_str("ev", true);
        bool known = false;
        for (const auto& t : kEventTypes)
            if (ev == t.name) {
                e.type = t.type;
                known = true;
            }
        if (!known) fail("unknown event \"" + ev + "\"");
        std::int64_t cpu = get_int("cpu", false, -1);
        if (cpu < -1 || cpu > INT32_MAX) fail("\"cpu\" out of range");
        e.cpu = static_cast<CpuId>(cpu);
        std::string actor = get_str("actor", false);
        if (e.type == TraceType::kActorNew) {
            text = get_str("name", true);
            e.actor = next_actor++;
            actor_ids[text] = e.actor;
            e.text = text;
        } else if (!actor.empty()) {
            auto it = actor_ids.find(actor);
            if (it == actor_ids.end()) {
                // Never announced: give it an id and the name it was written with.
                ActorId id = next_actor++;
                actor_ids.emplace(actor, id);
                TraceEvent n;
                n.type = TraceType::kActorNew;
                n.actor = id;
                n.at = e.at;
                n.step = e.step;
                // Announced to the sink's names only: ActorNew draws nothing.
                n.text = actor;
                sink.on_event(n);
                e.actor = id;
            } else {
                e.actor = it->second;
            }
        }
        auto narrow = [&](std::int64_t v, const char* k) {
            if (v < INT32_MIN || v > INT32_MAX) fail(std::string("\"") + k + "\" out of range");
            return static_cast<std::int32_t>(v);
        };
        switch (e.type) {
            case TraceType::kActorNew:
            case TraceType::kActorExit:
                break;
            case TraceType::kStep:
                e.name = intern(get_str("label", true));
                e.idx = narrow(get_int("arg", false, -1), "arg");
                break;
            case TraceType::kLockAcquire:
            case TraceType::kLockRelease:
            case TraceType::kLockContend: {
                std::string lock = get_str("lock", true);
                auto open = lock.find('[');
                if (open != std::string::npos && !lock.empty() && lock.back() == ']') {
                    std::string num = lock.substr(open + 1, lock.size() - open - 2);
                    std::int64_t v = 0;
                    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
                    if (ec != std::errc() || p != num.data() + num.size() || num.empty())
                        fail("bad lock instance in \"" + lock + "\"");
                    e.idx = narrow(v, "lock");
                    lock.resize(open);
                }
                e.name = intern(lock);
                auto f = j.find("foreign");
                e.value = f != j.end() && f->is_boolean() && f->get<bool>() ? 1 : 0;
                break;
            }
            case TraceType::kCounter:
                e.name = intern(get_str("counter", true));
                e.idx = narrow(get_int("cpu_of", true), "cpu_of");
                e.value = get_int("value", true);
                break;
            case TraceType::kFlags:
                e.name = "flags";
                e.idx = narrow(get_int("rdp", true), "rdp");
                e.value = get_int("flags", true);
                text = get_str("names", false);
                e.text = text;
                break;
            case TraceType::kCallback:
                e.name = intern(get_str("what", true));
                e.idx = narrow(get_int("rdp", true), "rdp");
                e.value = get_int("cb", true);
                break;
            case TraceType::kGp:
                e.name = intern(get_str("what", true));
                e.value = get_int("gp", true);
                break;
            case TraceType::kTimer:
                e.name = intern(get_str("what", true));
                e.idx = narrow(get_int("group", true), "group");
                e.value = get_int("expires", true);
                break;
            case TraceType::kViolation:
                e.name = intern(get_str("kind", true));
                text = get_str("message", false);
                e.text = text;
                break;
            case TraceType::kNote:
                e.name = intern(get_str("label", true));
                e.idx = narrow(get_int("idx", false, -1), "idx");
                e.value = get_int("value", false, 0);
                text = get_str("text", false);
                e.text = text;
                break;
        }
        sink.on_event(e);
    }
    sink.finish();
}

}  // namespace rcusim::trace
