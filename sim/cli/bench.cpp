// rcusim bench: the built-in benchmarks. Figures, not assertions: engine events/s with an
// empty model, kernel-model steps/s at 64..4096 CPUs on a mixed workload, fuzz
// executions/s, time to the seed race, exhaustive exploration, peak memory.
#include "cli/bench.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "engine/simulator.hpp"
#include "explore/background_digest.hpp"
#include "explore/explore.hpp"
#include "explore/fuzz.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace rcusim::cli {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

long peak_rss_kb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

// An actor with no model: a scheduling point per step, a timed sleep every 4th step.
engine::Task<void> spinner(engine::Simulator& sim, engine::Actor& self, int steps) {
    for (int i = 0; i < steps; ++i) {
        if (i % 4 == 3) co_await sim.sleep_until(self, sim.now() + 1000, "sleep");
        else co_await sim.point(self, "tick");
    }
}

// The mixed workload of issue 6: a lazy stream on every CPU, hurry traffic, reclaim,
// a barrier and a (de-)offload, over `until` of virtual time.
std::string mixed_scenario(int cpus, const std::string& until) {
    return R"({"format": "rcusim-scenario/1", "name": "mixed-)" + std::to_string(cpus) +
           R"(", "machine": {"cpus": )" + std::to_string(cpus) +
           R"(, "hz": 1000, "nocb_cpus": "all"},
  "kernel": {"variant": "v6.9"},
  "memory": {"pressure": [{"from": "500ms", "to": "600ms"}]},
  "events": [
    {"at": "0ms", "op": "call_rcu", "cpu": "all", "lazy": true, "count": 20, "every": "50ms"},
    {"at": "3ms", "op": "call_rcu_hurry", "cpu": "all", "count": 10, "every": "100ms"},
    {"at": "550ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128},
    {"at": "700ms", "op": "rcu_barrier", "cpu": 1},
    {"at": "200ms", "op": "deoffload", "target": 3, "cpu": 2},
    {"at": "400ms", "op": "offload", "target": 3, "cpu": 2}],
  "explore": {"strategy": "random", "seed": 1, "max_delay": "100us"},
  "run": {"until": ")" + until + R"("}})";
}

}  // namespace

// Best and median of the timed repetitions (the machine's other load only ever adds time).
struct Timing {
    double best = 0, median = 0;
};
Timing summarize(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return {v.front(), v[v.size() / 2]};
}

// One timed run: the simulation alone (no digest, no decision log: what the model and the
// checkers cost), or as `rcusim run` runs it (the trace digest hashed on a second thread).
struct Timed {
    double seconds = 0;
    scenario::RunResult result;
};
Timed timed_run(const scenario::Scenario& s, bool as_run) {
    std::optional<explore::BackgroundDigest> digester;
    scenario::RunOptions o;
    o.record_decisions = false;
    o.digest = as_run;
    if (as_run) o.digester = &digester.emplace();
    const auto t0 = Clock::now();
    Timed t{0, scenario::run_scenario(s, o)};
    t.seconds = since(t0);
    return t;
}

nlohmann::json run_benchmarks(const BenchOptions& bo) {
    nlohmann::json out = nlohmann::json::object();
    const std::string& only = bo.only;
    const bool quiet = bo.quiet;
    const int repeat = std::max(1, bo.repeat);
    auto want = [&](const char* name) { return bo.scenarios.empty() && (only.empty() || only == name); };
    auto say = [&](const char* fmt, auto... args) {
        if (!quiet) {
            std::printf(fmt, args...);
            std::fflush(stdout);
        }
    };

    if (!bo.scenarios.empty()) {
        // A user's scenario, timed twice per repetition: the simulation alone and as `run`.
        // Every file is loaded before anything is timed: bad input fails at once (exit 2).
        std::vector<scenario::Scenario> loaded;
        for (const auto& file : bo.scenarios) loaded.push_back(scenario::load_scenario_file(file));
        nlohmann::json rows = nlohmann::json::array();
        for (std::size_t k = 0; k < loaded.size(); ++k) {
            const std::string& file = bo.scenarios[k];
            const scenario::Scenario& s = loaded[k];
            std::uint64_t steps = 0;
            std::vector<double> sim_s, run_s;
            for (int i = 0; i < repeat; ++i) {
                const Timed a = timed_run(s, false);
                sim_s.push_back(a.seconds);
                steps = a.result.steps;
                run_s.push_back(timed_run(s, true).seconds);
            }
            const Timing a = summarize(sim_s), b = summarize(run_s);
            const long rss = peak_rss_kb();
            rows.push_back({{"file", file}, {"cpus", s.cpus}, {"steps", steps},
                            {"repeat", repeat},
                            {"sim_seconds", a.best}, {"sim_seconds_median", a.median},
                            {"sim_steps_per_s", steps / a.best},
                            {"run_seconds", b.best}, {"run_seconds_median", b.median},
                            {"run_steps_per_s", steps / b.best}, {"peak_rss_kb", rss}});
            say("scenario    %s (%d CPUs): %llu steps; simulation %.3f s = %.2f M steps/s; "
                "with the digest (as run) %.3f s = %.2f M steps/s; peak RSS %ld MB%s\n",
                file.c_str(), s.cpus, static_cast<unsigned long long>(steps), a.best,
                steps / a.best / 1e6, b.best, steps / b.best / 1e6, rss / 1024,
                repeat > 1 ? " (best of the repetitions)" : "");
        }
        out["scenarios"] = rows;
    }

    if (want("engine")) {
        const int cpus = 64, per = 200000;
        engine::SchedulerConfig sc;
        sc.record_decisions = false;
        engine::RandomStrategy strategy(1);
        engine::Simulator sim(sc, strategy, cpus);
        for (int c = 0; c < cpus; ++c) {
            auto id = sim.create("spin/" + std::to_string(c), c);
            sim.start(id, spinner(sim, sim.actor(id), per), 0);
        }
        auto t0 = Clock::now();
        sim.run(engine::kTimeMax / 2);
        double el = since(t0);
        double rate = sim.steps() / el;
        out["engine"] = {{"actors", cpus}, {"steps", sim.steps()}, {"seconds", el},
                         {"events_per_s", rate}};
        say("engine      %d actors, %llu steps (1 in 4 a timed wakeup): %.2f s, %.1f M events/s\n",
            cpus, static_cast<unsigned long long>(sim.steps()), el, rate / 1e6);
    }

    if (want("model")) {
        nlohmann::json rows = nlohmann::json::array();
        for (int cpus : bo.cpus) {
            auto s = scenario::load_scenario_text(mixed_scenario(cpus, "1s"), "bench");
            std::vector<double> times;
            std::uint64_t steps = 0;
            std::size_t violations = 0;
            for (int i = 0; i < repeat; ++i) {
                const Timed t = timed_run(s, false);
                times.push_back(t.seconds);
                steps = t.result.steps;
                violations = t.result.violations.size();
            }
            const Timing t = summarize(times);
            double rate = steps / t.best;
            long rss = peak_rss_kb();
            rows.push_back({{"cpus", cpus}, {"steps", steps}, {"seconds", t.best},
                            {"seconds_median", t.median}, {"repeat", repeat},
                            {"steps_per_s", rate}, {"us_per_step", 1e6 * t.best / steps},
                            {"peak_rss_kb", rss}, {"violations", violations}});
            say("model       %4d CPUs: %9llu steps in %6.2f s = %5.2f M steps/s (%.3f us/step), "
                "peak RSS %ld MB%s\n",
                cpus, static_cast<unsigned long long>(steps), t.best, rate / 1e6,
                1e6 * t.best / steps, rss / 1024,
                repeat > 1 ? (" (best of " + std::to_string(repeat) + ", median " +
                              std::to_string(1e6 * t.median / steps).substr(0, 5) + " us/step)")
                                 .c_str()
                           : "");
        }
        out["model"] = rows;
    }

    if (want("fuzz")) {
        nlohmann::json rows = nlohmann::json::array();
        auto seed_race = scenario::load_scenario_file("configs/seed-race.json");
        // The seed race on a 16-CPU machine, every CPU nocb (4 groups, 16 rcuo, the shrinker
        // walks 16 rdps: the per-execution cost of a bigger machine), and a busier 16-CPU run
        // (call_rcu on every CPU: about 5x the steps per execution, so fewer executions/s at
        // similar steps/s).
        scenario::Scenario sixteen = seed_race;
        sixteen.name = "seed-race-16";
        sixteen.cpus = 16;
        sixteen.nocb_cpus.clear();
        for (int c = 0; c < 16; ++c) sixteen.nocb_cpus.push_back(c);
        sixteen.nocb_spec = "all";
        auto busy16 = scenario::load_scenario_text(
            R"({"format": "rcusim-scenario/1", "name": "busy-16",
  "machine": {"cpus": 16, "nocb_cpus": "all"}, "kernel": {"variant": "v6.5"},
  "memory": {"pressure": [{"from": "0ms", "to": "50ms"}]},
  "events": [
    {"at": "0ms", "op": "call_rcu", "cpu": "all", "count": 4},
    {"at": "1ms", "op": "shrink", "cpu": 0},
    {"at": "1ms", "op": "deoffload", "target": 5, "cpu": 2},
    {"at": "2ms", "op": "offload", "target": 5, "cpu": 2}],
  "explore": {"max_delay": "2ms"}, "run": {"until": "30s"}})",
            "bench");
        for (auto* sp : {&seed_race, &sixteen, &busy16}) {
            double r1 = 0;
            for (int jobs : {1, 2}) {
                explore::FuzzOptions o;
                o.seeds = {0, 39999};
                o.jobs = jobs;
                o.keep_going = true;
                o.minimize = false;
                auto r = explore::fuzz(*sp, o);
                double rate = r.executions_run / r.elapsed_s;
                if (jobs == 1) r1 = rate;
                const double steps_per_exec =
                    r.executions_run ? static_cast<double>(r.steps) / r.executions_run : 0;
                rows.push_back({{"scenario", sp->name}, {"cpus", sp->cpus}, {"jobs", jobs},
                                {"executions", r.executions_run}, {"seconds", r.elapsed_s},
                                {"executions_per_s", rate}, {"steps_per_execution", steps_per_exec},
                                {"speedup", jobs == 1 ? 1.0 : rate / r1}});
                say("fuzz        %-12s %2d CPUs jobs %d: %llu executions in %.2f s = %.0f "
                    "executions/s, %.0f steps each%s\n",
                    sp->name.c_str(), sp->cpus, jobs,
                    static_cast<unsigned long long>(r.executions_run), r.elapsed_s, rate,
                    steps_per_exec,
                    jobs == 1 ? "" : (" (x" + std::to_string(rate / r1).substr(0, 4) + ")").c_str());
            }
        }
        out["fuzz"] = rows;
    }

    if (want("race")) {
        nlohmann::json rows = nlohmann::json::array();
        auto s = scenario::load_scenario_file("configs/seed-race.json");
        for (const char* strategy : {"random", "pct"}) {
            auto [k, n] = explore::probe_size(s);
            auto t0 = Clock::now();
            std::uint64_t seed = 0;
            bool hit = false;
            for (; seed < 1000000 && !hit; ++seed) {
                auto r = explore::run_seed(s, strategy, seed, 3, k, n, false);
                for (const auto& v : r.violations) hit = hit || v.kind == "lock-imbalance";
            }
            double el = since(t0);
            rows.push_back({{"strategy", strategy}, {"first_seed", seed - 1}, {"seconds", el}});
            say("race        seed-race v6.3, %-6s: first lock-imbalance at seed %llu after %.3f s\n",
                strategy, static_cast<unsigned long long>(seed - 1), el);
        }
        out["race"] = rows;
    }

    if (want("explore")) {
        auto s = scenario::load_scenario_file("configs/seed-race.json");
        scenario::apply_variant(s, "patch1-trylock", "bench");
        explore::ExploreOptions o;
        o.bound = 2;
        o.jobs = 2;
        auto r = explore::explore_bounded(s, o);
        out["explore"] = {{"scenario", "seed-race"}, {"variant", "patch1-trylock"}, {"bound", 2},
                          {"jobs", 2}, {"schedules", r.schedules}, {"seconds", r.elapsed_s},
                          {"bound_exhausted", r.bound_exhausted}};
        say("explore     seed-race patch1-trylock, 2 deviations, 2 jobs: %llu schedules in %.2f s, "
            "bound %s\n",
            static_cast<unsigned long long>(r.schedules), r.elapsed_s,
            r.bound_exhausted ? "exhausted" : "NOT exhausted");
    }
    out["peak_rss_kb"] = peak_rss_kb();
    say("peak RSS    %ld MB\n", peak_rss_kb() / 1024);
    return out;
}

}  // namespace rcusim::cli
