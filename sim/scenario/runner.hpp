// Runner: Scenario -> wired machine (Simulator + Kernel + Checkers + sinks) -> one
// deterministic execution -> RunResult. Everything that runs a scenario (run, replay,
// fuzz, explore, matrix, tests) goes through run_scenario().
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "check/violation.hpp"
#include "engine/decision.hpp"
#include "engine/simulator.hpp"
#include "kernel/goals.hpp"
#include "scenario/scenario.hpp"
#include "trace/sinks.hpp"

namespace rcusim::scenario {

struct RunOptions {
    std::optional<std::uint64_t> seed;       // overrides explore.seed
    std::optional<std::string> strategy;     // "random" | "scripted"; overrides explore.strategy
    const engine::DecisionLog* decisions = nullptr;  // for "scripted" (default: explore.decisions)
    engine::Strategy* strategy_impl = nullptr;       // a strategy object (PCT, exhaustive, ...)
    std::vector<engine::TraceSink*> sinks;
    bool digest = true;            // compute the trace digest (costs ~a jsonl render per event)
    // Computes the digest instead of the run's own DigestSink (e.g. on another thread:
    // explore/background_digest.hpp). Must be fresh; used only when `digest` is set.
    trace::TraceDigest* digester = nullptr;
    bool record_decisions = true;  // keep the decision log (RunResult::decisions)
    bool stop_on_error = false;    // stop at the first error-severity violation
    std::optional<std::uint64_t> max_steps;  // overrides run.max_steps
    // Polled after every step: the run stops (StopReason::kStopped, no end-of-run checks) at
    // the first step after one of them reads true (nulls are skipped). For Ctrl-C and output
    // size limits.
    std::vector<const std::atomic<bool>*> stop;
    engine::RandomParams random;
};

struct RunResult {
    std::vector<check::Violation> violations;
    std::uint64_t steps = 0;
    engine::Time sim_time = 0;
    engine::DecisionLog decisions;
    std::string digest;  // "sha256:..." when RunOptions::digest
    engine::Simulator::StopReason stop = engine::Simulator::StopReason::kUntil;
    bool diverged = false;  // a scripted log did not fit the run
    std::uint64_t seed = 0;
    std::string strategy;
    int actors = 0;  // actors created during the run
    kernel::GoalCounts goals{};  // hits per coverage goal (kernel/goals.hpp)
    // Real-code runs: the tree's version ("6.12.118") and content hash ("sha256:...").
    std::string kernel;
    std::string kernel_tree;

    bool failed(bool strict) const;  // any error (strict: any violation)
    std::vector<std::string> kinds() const;  // distinct kinds, in order of first occurrence
};

RunResult run_scenario(const Scenario& s, const RunOptions& o = {});

// "real:6.12.118" for a scenario with a kernel.source (building it if needed), else its
// variant. Throws real::TreeError for an unusable tree.
std::string kernel_name(const Scenario& s);
// For reports: "kernel real:6.12.118 (lazy nocb_mutex ... flags=ENABLED,OFFLOADED)" or
// "variant v6.3 (V0)".
std::string kernel_label(const Scenario& s);

// expect met: every expected kind was seen; with "expect": {"violations": []} no error was.
bool expect_met(const Scenario& s, const RunResult& r);

const char* stop_reason_name(engine::Simulator::StopReason r);

}  // namespace rcusim::scenario
