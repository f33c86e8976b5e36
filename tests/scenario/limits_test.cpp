// The runner's limits: run.max_steps and stop flags (Ctrl-C, a full trace) end a run at a step
// boundary, without the end-of-run checks a run cut in the middle of operations would fail.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>

#include "engine/trace_event.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

using namespace rcusim;
using scenario::RunOptions;
using Stop = engine::Simulator::StopReason;

namespace {

scenario::Scenario busy(const std::string& run) {
    return scenario::load_scenario_text(
        R"({"format": "rcusim-scenario/1", "name": "busy",
            "events": [{"at": 0, "op": "call_rcu", "cpu": "all", "count": 1000}],
            "run": )" +
            run + "}",
        "busy.json");
}

// Sets a flag once the simulation has emitted `after` trace events.
class FlagAfter : public engine::TraceSink {
   public:
    FlagAfter(std::atomic<bool>* flag, int after) : flag_(flag), left_(after) {}
    void on_event(const engine::TraceEvent&) override {
        if (--left_ == 0) flag_->store(true);
    }

   private:
    std::atomic<bool>* flag_;
    int left_;
};

}  // namespace

TEST_CASE("scenario::run: run.max_steps stops the run at exactly that many steps") {
    const scenario::Scenario s = busy(R"({"until": "1s", "max_steps": 100})");
    const scenario::RunResult r = scenario::run_scenario(s);
    CHECK(r.stop == Stop::kStepLimit);
    CHECK(r.steps == 100);
    // Callbacks in the middle of call_rcu() are not "lost": no end-of-run checks ran.
    CHECK(r.violations.empty());
    // RunOptions::max_steps overrides the file; the same run without a limit ends normally.
    RunOptions o;
    o.max_steps = 50;
    CHECK(scenario::run_scenario(s, o).steps == 50);
    const scenario::RunResult full = scenario::run_scenario(busy(R"({"until": "1s"})"));
    CHECK(full.stop != Stop::kStepLimit);
    CHECK(full.steps > 100);
}

TEST_CASE("scenario::run: a stop flag ends the run at the next step") {
    const scenario::Scenario s = busy(R"({"until": "1s"})");
    std::atomic<bool> never{false}, flag{false};
    FlagAfter trigger(&flag, 200);
    RunOptions o;
    o.sinks = {&trigger};
    o.stop = {&never, nullptr, &flag};
    const scenario::RunResult r = scenario::run_scenario(s, o);
    CHECK(r.stop == Stop::kStopped);
    CHECK(r.violations.empty());
    const scenario::RunResult full = scenario::run_scenario(s);
    CHECK(r.steps < full.steps);
    CHECK(r.steps > 0);
    // A flag that is already set stops the run after its first step.
    RunOptions early;
    early.stop = {&flag};
    CHECK(scenario::run_scenario(s, early).steps == 1);
    // Flags that never fire change nothing: same steps, same digest.
    RunOptions quiet;
    quiet.stop = {&never};
    const scenario::RunResult same = scenario::run_scenario(s, quiet);
    CHECK(same.steps == full.steps);
    CHECK(same.digest == full.digest);
}
