// Repro files (CONTRACT.md "rcusim-repro/1"): the full scenario (inlined, defaults filled
// in, variant applied), the seed and strategy, the complete decision log of the scheduler,
// the violations seen and the trace digest. Replaying one re-executes the run exactly.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace rcusim::explore {

struct Repro {
    scenario::Scenario scenario;
    std::uint64_t seed = 0;
    std::string strategy;
    engine::DecisionLog decisions;
    std::vector<check::Violation> violations;  // kind, severity, time, cpu, actors, object, message
    std::uint64_t steps = 0;
    std::string trace_digest;
    std::string kernel;  // real-code runs: the tree's version ("6.12.118")
};

Repro make_repro(const scenario::Scenario& s, const scenario::RunResult& r);
nlohmann::json repro_to_json(const Repro& r);
// Strict: errors are ConfigErrors naming the file and the JSON pointer.
Repro repro_from_json(const nlohmann::json& j, const std::string& origin);
Repro load_repro_file(const std::string& path);
// The same for text already read; `origin` names it in errors.
Repro load_repro_text(const std::string& text, const std::string& origin);
// Writes atomically (temporary name, then rename).
void write_repro_file(const Repro& r, const std::string& path);
// The default file name: DIR/<scenario>.<variant>.seed<N>.repro.json
std::string repro_path(const std::string& dir, const Repro& r);

// Re-executes the repro's decision log; the digest must match.
struct ReplayResult {
    scenario::RunResult run;
    bool digest_matches = false;
};
// `stop`: see scenario::RunOptions::stop (Ctrl-C, a trace size limit); `digester`: see
// scenario::RunOptions::digester.
ReplayResult replay(const Repro& r, std::vector<engine::TraceSink*> sinks = {},
                    std::vector<const std::atomic<bool>*> stop = {},
                    trace::TraceDigest* digester = nullptr);

// One-line JSON of a violation (the --json summary form).
nlohmann::json violation_to_json(const check::Violation& v);

}  // namespace rcusim::explore
