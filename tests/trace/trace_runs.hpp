// Runs a scenario file in-process with the chrome, jsonl and text sinks attached (and the
// digest), for the trace tests.
#pragma once

#include <optional>
#include <sstream>
#include <string>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "trace/chrome.hpp"
#include "trace/sinks.hpp"

namespace rcusim::testing {

struct TracedRun {
    std::string chrome, jsonl, text;
    scenario::RunResult result;
};

inline TracedRun run_traced(const std::string& path, const std::string& variant = {},
                            const trace::TraceFilter& filter = {},
                            std::optional<std::uint64_t> seed = {}) {
    scenario::Scenario s = scenario::load_scenario_file(path);
    if (!variant.empty()) scenario::apply_variant(s, variant, "test");
    std::ostringstream chrome, jsonl, text;
    trace::ChromeSink c(chrome, filter);
    trace::JsonlSink j(jsonl, filter);
    trace::TextSink t(text, filter);
    scenario::RunOptions o;
    o.seed = seed;
    o.sinks = {&c, &j, &t};
    TracedRun r;
    r.result = scenario::run_scenario(s, o);
    r.chrome = chrome.str();
    r.jsonl = jsonl.str();
    r.text = text.str();
    return r;
}

}  // namespace rcusim::testing
