#include "check/violation.hpp"

#include <cstdio>

namespace rcusim::check {

const char* severity_name(Severity s) { return s == Severity::kError ? "error" : "warning"; }

const std::vector<std::string>& all_kinds() {
    static const std::vector<std::string> kinds = {
        "lock-imbalance",   "mutual-exclusion",    "lockset",
        "lazy-len",         "callback-lost",       "callback-duplicated",
        "callback-early",   "deadlock",            "reclaim-blocks",
        "bypass-contention", "mask-mismatch",      "stranded-callbacks",
        "latency",          "deferred-wake",       "shrinker-ineffective",
        "shrinker-overcount", "overload-wrong-timer", "lock-order",
        "unsafe-offload-read", "barrier-incomplete", "kernel-warn",
        "lockdep-assert",   "data-race",
    };
    return kinds;
}

bool is_kind(const std::string& k) {
    for (const auto& x : all_kinds())
        if (x == k) return true;
    return false;
}

const char* kind_cstr(const std::string& k) {
    for (const auto& x : all_kinds())
        if (x == k) return x.c_str();
    return "unknown";
}

// Warnings: the soft invariants (I6', I8, I14) and I7, whose kernel outcome is a
// WARN_ON_ONCE() splat and bounded spinning, no corruption (MODEL.md S7): a fixed kernel
// (v6.5) is not failing because of it; `--strict` makes it count.
Severity kind_severity(const std::string& k) {
    return (k == "bypass-contention" || k == "shrinker-ineffective" || k == "shrinker-overcount" ||
            k == "overload-wrong-timer" || k == "data-race")
               ? Severity::kWarning
               : Severity::kError;
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
