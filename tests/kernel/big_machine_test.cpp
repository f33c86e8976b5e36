// A 4096-CPU machine (the contract's limit) with every workload feature at once: call_rcu
// streams on every CPU (lazy and hurry), the default nocb groups (64 of 64), a de-offload
// and re-offload, memory pressure with a shrinker scan and drop_caches, rcu_barrier(), and
// a trace capped to a CPU set and a time window. Counts, not timings (those are in
// `rcusim bench`).
#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "trace/sinks.hpp"

using namespace rcusim;

namespace {

// Counts callback events over the whole stream.
struct CallbackCounter : engine::TraceSink {
    std::set<std::int64_t> enqueued, invoked;
    void on_event(const engine::TraceEvent& e) override {
        if (e.type != engine::TraceType::kCallback) return;
        if (std::string_view(e.name) == "enqueue") enqueued.insert(e.value);
        if (std::string_view(e.name) == "invoke") invoked.insert(e.value);
    }
};

}  // namespace

TEST_CASE("kernel::big machine: 4096 CPUs run every feature cleanly under v6.9") {
    const auto s = scenario::load_scenario_text(R"({
  "format": "rcusim-scenario/1", "name": "big-4096",
  "machine": {"cpus": 4096, "hz": 1000, "nocb_cpus": "all"},
  "kernel": {"variant": "v6.9", "lazy_flush": "20ms"},
  "memory": {"pressure": [{"from": "2ms", "to": "6ms"}]},
  "events": [
    {"at": "0ms", "op": "call_rcu", "cpu": "all", "lazy": true, "count": 2, "every": "3ms"},
    {"at": "1ms", "op": "call_rcu_hurry", "cpu": "0-63", "count": 2, "every": "2ms"},
    {"at": "1ms", "op": "deoffload", "target": 4000, "cpu": 7},
    {"at": "3ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128},
    {"at": "4ms", "op": "drop_caches", "cpu": 9},
    {"at": "5ms", "op": "offload", "target": 4000, "cpu": 7},
    {"at": "8ms", "op": "rcu_barrier", "cpu": 1}],
  "explore": {"strategy": "random", "seed": 3, "max_delay": "100us"},
  "run": {"until": "200ms"}})",
                                                "big-4096");
    CallbackCounter counter;
    std::ostringstream capped;
    trace::TraceFilter filter;
    filter.from = 1 * engine::kMs;
    filter.to = 2 * engine::kMs;
    filter.cpu_filter = true;
    filter.cpus.assign(4096, false);
    for (int c : {0, 1, 4000}) filter.cpus[static_cast<std::size_t>(c)] = true;
    trace::JsonlSink capped_sink(capped, filter);

    scenario::RunOptions o;
    o.sinks = {&counter, &capped_sink};
    const auto r = scenario::run_scenario(s, o);
    for (const auto& v : r.violations) INFO(v.kind << ": " << v.message);
    CHECK(r.violations.empty());
    // Ends with the end-of-run checks: at `until`, or idle with every callback done.
    CHECK((r.stop == engine::Simulator::StopReason::kUntil ||
           r.stop == engine::Simulator::StopReason::kIdle));
    // Every callback the streams queued (2 lazy per CPU, 2 hurry on CPUs 0-63) and the
    // barrier's was invoked by the end: the lazy ones by the flush after 20ms.
    CHECK(counter.enqueued.size() == 4096 * 2 + 64 * 2);
    CHECK(counter.invoked.size() >= counter.enqueued.size());
    CHECK(r.goals[static_cast<std::size_t>(kernel::Goal::kDeoffloadWithLazyCallbacks)] >= 1);

    // The capped trace holds only the window and events about the selected CPUs.
    std::istringstream lines(capped.str());
    std::string line;
    std::size_t kept = 0;
    while (std::getline(lines, line)) {
        ++kept;
        const auto t = std::stoll(line.substr(5, line.find(',') - 5));
        CHECK(t >= 1 * engine::kMs);
        CHECK(t <= 2 * engine::kMs);
    }
    CHECK(kept > 0);
    // Events of other CPUs stay out unless they touch a selected CPU's state.
    CHECK(capped.str().find("nocb_lock[2000]") == std::string::npos);
    CHECK(capped.str().find("\"rdp\":2000,") == std::string::npos);
    CHECK(capped.str().find("rcuo/4000") != std::string::npos);
}
