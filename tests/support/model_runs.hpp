// Helpers for tests that run the kernel model through scenario::run_scenario(): build a
// scenario from JSON text, force an interleaving with engine::RuleStrategy, and keep the
// trace events in memory so a test can assert the order in which things happened.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check/violation.hpp"
#include "engine/decision.hpp"
#include "engine/trace_event.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace rcusim::testing {

using engine::TraceType;

// One trace event with its strings copied and the actor's name resolved.
struct Ev {
    TraceType type = TraceType::kNote;
    std::uint64_t step = 0;
    engine::Time at = 0;
    engine::CpuId cpu = -1;
    std::string actor;  // "" when none
    std::string name;   // step label, lock kind, counter name, ...
    std::int32_t idx = -1;
    std::int64_t value = 0;
    std::string text;
};

constexpr std::int32_t kAnyIdx = -1000;

class Recorder final : public engine::TraceSink {
   public:
    void on_event(const engine::TraceEvent& e) override {
        if (e.type == TraceType::kActorNew && e.actor >= 0) {
            if (names_.size() <= static_cast<std::size_t>(e.actor))
                names_.resize(static_cast<std::size_t>(e.actor) + 1);
            names_[static_cast<std::size_t>(e.actor)] = std::string(e.text);
        }
        Ev ev;
        ev.type = e.type;
        ev.step = e.step;
        ev.at = e.at;
        ev.cpu = e.cpu;
        if (e.actor >= 0 && static_cast<std::size_t>(e.actor) < names_.size())
            ev.actor = names_[static_cast<std::size_t>(e.actor)];
        ev.name = e.name ? e.name : "";
        ev.idx = e.idx;
        ev.value = e.value;
        ev.text = std::string(e.text);
        events_.push_back(std::move(ev));
    }
    const std::vector<Ev>& events() const { return events_; }

    // Index of the first event at or after `from` of this type, actor (exact; "" = any),
    // name (exact; "" = any) and idx (kAnyIdx = any); -1 if none.
    long find(TraceType type, std::string_view actor, std::string_view name,
              std::int32_t idx = kAnyIdx, long from = 0) const {
        for (long i = std::max(from, 0L); i < static_cast<long>(events_.size()); ++i)
            if (matches(events_[static_cast<std::size_t>(i)], type, actor, name, idx)) return i;
        return -1;
    }
    long find_step(std::string_view actor, std::string_view label, std::int32_t idx = kAnyIdx,
                   long from = 0) const {
        return find(TraceType::kStep, actor, label, idx, from);
    }
    // Like find(), and the event's value must equal `value`.
    long find_value(TraceType type, std::string_view actor, std::string_view name,
                    std::int32_t idx, std::int64_t value, long from = 0) const {
        for (long i = find(type, actor, name, idx, from); i >= 0;
             i = find(type, actor, name, idx, i + 1))
            if (events_[static_cast<std::size_t>(i)].value == value) return i;
        return -1;
    }
    int count(TraceType type, std::string_view actor, std::string_view name,
              std::int32_t idx = kAnyIdx) const {
        int n = 0;
        for (const auto& e : events_)
            if (matches(e, type, actor, name, idx)) ++n;
        return n;
    }
    const Ev& at(long i) const { return events_.at(static_cast<std::size_t>(i)); }

   private:
    static bool matches(const Ev& e, TraceType type, std::string_view actor,
                        std::string_view name, std::int32_t idx) {
        return e.type == type && (actor.empty() || e.actor == actor) &&
               (name.empty() || e.name == name) && (idx == kAnyIdx || e.idx == idx);
    }
    std::vector<std::string> names_;
    std::vector<Ev> events_;
};

struct Outcome {
    scenario::RunResult result;
    std::vector<int> fired;  // RuleStrategy::fired()
    Recorder trace;

    bool has(const std::string& kind) const { return find(kind) != nullptr; }
    const check::Violation* find(const std::string& kind) const {
        for (const auto& v : result.violations)
            if (v.kind == kind) return &v;
        return nullptr;
    }
    // "kind(object@site) ..." for failure messages.
    std::string summary() const {
        std::string out;
        for (const auto& v : result.violations)
            out += v.kind + "(" + v.object + "@" + v.site + ") ";
        return out.empty() ? "(no violations)" : out;
    }
};

// The scenario in `json`, optionally under another variant (the file's switch overrides
// are kept, as with `rcusim run --variant`).
inline scenario::Scenario make_scenario(const std::string& json, const std::string& variant = "") {
    scenario::Scenario s = scenario::load_scenario_text(json, "test.json");
    if (!variant.empty()) scenario::apply_variant(s, variant, "test.json");
    return s;
}

// One run under a RuleStrategy (picks not covered by a rule take runq[0]).
inline Outcome run_rules(const scenario::Scenario& s, std::vector<engine::Rule> rules) {
    Outcome o;
    engine::RuleStrategy st(std::move(rules));
    scenario::RunOptions opt;
    opt.strategy_impl = &st;
    opt.sinks.push_back(&o.trace);
    o.result = scenario::run_scenario(s, opt);
    o.fired = st.fired();
    return o;
}

// "Hold `actor` at its nth point labelled `label` for j touches of the point's resource."
inline engine::Rule hold(std::string actor, std::string label, std::uint64_t j, int nth = 1,
                         bool keep_idle = false) {
    return engine::Rule{.actor = std::move(actor), .label = std::move(label), .nth = nth,
                        .delay = j, .keep_idle = keep_idle};
}

// "When `actor` is runnable at `label`, step it first."
inline engine::Rule prefer(std::string actor, std::string label) {
    return engine::Rule{.actor = std::move(actor), .label = std::move(label), .prefer = true};
}

}  // namespace rcusim::testing
