// Violation: a finding about the modelled kernel. It names the kind (CONTRACT.md's stable
// names), severity, virtual time, CPU, actors, the lock or field, a one-line message, a
// multi-line report that reads like lockdep's, and the numbered schedule steps that led
// to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/time.hpp"
#include "engine/trace_event.hpp"

namespace rcusim::check {

enum class Severity : std::uint8_t { kError, kWarning };
const char* severity_name(Severity s);

struct StepLine {
    std::uint64_t step = 0;
    engine::Time at = 0;
    engine::CpuId cpu = -1;
    std::string actor;
    std::string label;
    std::int32_t arg = -1;
};

struct Violation {
    std::string kind;
    Severity severity = Severity::kError;
    engine::Time at = 0;
    std::uint64_t step = 0;
    engine::CpuId cpu = -1;
    std::vector<std::string> actors;
    std::string object;   // "nocb_lock[1]", "lazy_len[1]", ...
    std::string site;     // model function where it was detected
    std::string message;  // one line
    std::string report;   // lockdep-style text, without the steps
    std::vector<StepLine> steps;
    int occurrences = 1;
    // kind + object (instance stripped) + site: groups failures across runs.
    std::string signature() const;
};

// The stable kinds (CONTRACT.md), in contract order.
struct KindInfo {
    const char* name;
    Severity severity;
    const char* meaning;  // one line
};
// The one table of violation kinds (docs/checkers.md explains each).
const std::vector<KindInfo>& kind_infos();
const KindInfo* find_kind(const std::string& k);
const std::vector<std::string>& all_kinds();
bool is_kind(const std::string& k);
Severity kind_severity(const std::string& k);
// Stable storage for a kind's name (for trace events); "unknown" if not a kind.
const char* kind_cstr(const std::string& k);

// "    1.000450000" (seconds, 9 decimals, integer arithmetic only).
std::string format_time(engine::Time t);
// The report followed by the numbered steps.
std::string render_violation(const Violation& v);

}  // namespace rcusim::check
