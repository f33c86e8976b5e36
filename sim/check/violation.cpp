#include "check/violation.hpp"

#include <cstdio>

namespace rcusim::check {

const char* severity_name(Severity s) { return s == Severity::kError ? "error" : "warning"; }

// Every violation kind, once: its name (contract order: matrix columns follow it), its
// severity and what it means. Warnings: the soft invariants (I6', I8, I14), I7 (the kernel's
// outcome is a WARN_ON_ONCE() splat and bounded spinning, no corruption: a fixed v6.5 is not
// failing because of it) and real-code data races; `--strict` makes them count.
const std::vector<KindInfo>& kind_infos() {
    using S = Severity;
    static const std::vector<KindInfo> kinds = {
        {"lock-imbalance", S::kError, "a lock released by a non-owner or while free, or still held when its taker returns"},
        {"mutual-exclusion", S::kError, "two owners of one lock"},
        {"lockset", S::kError, "lazy_len, the flags or the callback list written without the lock the protocol requires"},
        {"lazy-len", S::kError, "lazy_len disagrees with the lazy callbacks in the bypass"},
        {"callback-lost", S::kError, "a queued callback on no list, never invoked"},
        {"callback-duplicated", S::kError, "a callback invoked or queued twice"},
        {"callback-early", S::kError, "a callback invoked before a full grace period"},
        {"deadlock", S::kError, "a waits-for cycle, or a wait that never ends"},
        {"reclaim-blocks", S::kError, "reclaim sleeping on a mutex another context holds"},
        {"bypass-contention", S::kWarning, "the v6.5 WARNs of remote bypass-lock spinning"},
        {"mask-mismatch", S::kError, "a CPU in rcu_nocb_mask that is not offloaded"},
        {"stranded-callbacks", S::kError, "callbacks nothing will ever move"},
        {"latency", S::kError, "a callback, flush or barrier past its bound"},
        {"deferred-wake", S::kError, "a pending deferred wakeup lowered, cancelled or postponed"},
        {"shrinker-ineffective", S::kWarning, "lazy callbacks the scan counted still in the bypass later"},
        {"shrinker-overcount", S::kWarning, "the scan counting from a stale lazy_len"},
        {"overload-wrong-timer", S::kWarning, "an overload deferral while the group timer is pending"},
        {"lock-order", S::kError, "reserved for a lock-order checker (accepted in expect lists; nothing reports it yet)"},
        {"unsafe-offload-read", S::kError, "the offloaded state read with nothing held that stabilizes it (RCU_LOCKDEP_WARN)"},
        {"barrier-incomplete", S::kError, "rcu_barrier() returning before a callback queued before it ran"},
        {"kernel-warn", S::kError, "the tree's own WARN_ON / WARN_ON_ONCE"},
        {"lockdep-assert", S::kError, "a lockdep assertion of the tree failing"},
        {"data-race", S::kWarning, "two unordered accesses, one a plain write (KCSAN-like)"},
    };
    return kinds;
}

const std::vector<std::string>& all_kinds() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& k : kind_infos()) n.emplace_back(k.name);
        return n;
    }();
    return names;
}

const KindInfo* find_kind(const std::string& k) {
    for (const auto& x : kind_infos())
        if (k == x.name) return &x;
    return nullptr;
}

bool is_kind(const std::string& k) { return find_kind(k) != nullptr; }

const char* kind_cstr(const std::string& k) {
    const KindInfo* x = find_kind(k);
    return x ? x->name : "unknown";
}

Severity kind_severity(const std::string& k) {
    const KindInfo* x = find_kind(k);
    return x ? x->severity : Severity::kError;
}

std::string Violation::signature() const {
    std::string obj;
    for (char c : object) {
        if (c == '[') break;
        obj += c;
    }
    return kind + "|" + obj + "|" + site;
}

std::string format_time(engine::Time t) {
    char buf[48];
    const char* sign = t < 0 ? "-" : "";
    unsigned long long u = t < 0 ? 0ULL - static_cast<unsigned long long>(t)
                                 : static_cast<unsigned long long>(t);
    std::snprintf(buf, sizeof buf, "%s%5llu.%09llu", sign, u / 1000000000ULL, u % 1000000000ULL);
    return buf;
}

std::string render_violation(const Violation& v) {
    std::string out = v.report;
    if (!out.empty() && out.back() != '\n') out += '\n';
    if (!v.steps.empty()) {
        out += "\nschedule steps that led to it (step, virtual time, CPU, actor, model step):\n";
        for (const auto& s : v.steps) {
            char head[96];
            std::snprintf(head, sizeof head, "  #%-6llu [%s] cpu%-3d ",
                          static_cast<unsigned long long>(s.step), format_time(s.at).c_str(), s.cpu);
            out += head;
            out += s.actor;
            out += std::string(s.actor.size() < 18 ? 18 - s.actor.size() : 1, ' ');
            out += s.label;
            if (s.arg >= 0) out += " [" + std::to_string(s.arg) + "]";
            out += '\n';
        }
    }
    return out;
}

}  // namespace rcusim::check
