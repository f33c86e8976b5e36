// rcusim bench: the built-in benchmarks. Figures, not assertions: engine events/s with an
// empty model, kernel-model steps/s at 64..4096 CPUs on a mixed workload, fuzz
// executions/s, time to the seed race, exhaustive exploration, real-code mode (build and
// cached start, the per-execution reset against fork(), executions/s at 4..64 CPUs, time
// to find the shrinker race in a tree without 6.12's fix, the largest machines), peak memory.
#include "cli/bench.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "engine/simulator.hpp"
#include "explore/background_digest.hpp"
#include "explore/explore.hpp"
#include "explore/fuzz.hpp"
#include "real/build.hpp"
#include "real/image.hpp"
#include "real/process.hpp"
#include "real/tree_source.hpp"
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

// A scratch folder for the real-code rows (a fresh build cache, a mutated copy of the tree),
// removed when the rows are done.
struct Scratch {
    std::string dir;
    Scratch() {
        char tmpl[] = "/tmp/rcusim-bench-XXXXXX";
        if (!mkdtemp(tmpl)) throw real::TreeError("mkdtemp failed");
        dir = tmpl;
    }
    ~Scratch() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

// A copy of the files real-code mode reads from `source`, with lazy_rcu_shrink_scan()'s
// mutex_trylock(&rcu_state.nocb_mutex) / mutex_unlock() pair removed (the shrinker as it was
// before the seed thread's fix); "" if the tree has no such pair.
std::string tree_without_trylock(const std::string& source, const std::string& dir) {
    real::Tree t = real::open_tree(source, real::cache_dir());
    auto& nocb = t.files["kernel/rcu/tree_nocb.h"];
    const std::string lock = "\tif (!mutex_trylock(&rcu_state.nocb_mutex)) {\n\t\t/*";
    const std::string unlock =
        "\tmutex_unlock(&rcu_state.nocb_mutex);\n\n\treturn count ? count : SHRINK_STOP;";
    const auto at = nocb.find(lock);
    const auto un = nocb.find(unlock);
    if (at == std::string::npos || un == std::string::npos) return "";
    nocb.replace(un, unlock.size(), "\treturn count ? count : SHRINK_STOP;");
    nocb.replace(at, lock.size(), "\tif (0) {\n\t\t/*");
    for (const auto& [rel, content] : t.files) {
        const std::filesystem::path p = std::filesystem::path(dir) / rel;
        std::filesystem::create_directories(p.parent_path());
        real::write_file_atomic(p.string(), content);
    }
    return dir;
}

// The scenario file on `cpus` CPUs, every one offloaded (its "all" events on all of them),
// run on `source`.
scenario::Scenario scaled(const std::string& file, int cpus, const std::string& source) {
    auto j = nlohmann::json::parse(real::read_file(file));
    j["machine"]["cpus"] = cpus;
    j["machine"]["nocb_cpus"] = "all";
    j["name"] = j["name"].get<std::string>() + "-" + std::to_string(cpus);
    scenario::Scenario s = scenario::load_scenario_text(j.dump(), file);
    s.kernel_source = source;
    return s;
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
    if (want("real")) {
        std::string source = bo.kernel;
        if (source.empty() && std::filesystem::exists("/usr/src/linux-source-6.12.tar.xz"))
            source = "/usr/src/linux-source-6.12.tar.xz";
        if (source.empty()) {
            out["real"] = {{"skipped", "no kernel tree"}};
            say("real        skipped: no kernel tree (bench --kernel PATH, or apt-get install "
                "linux-source-6.12)\n");
        } else {
            nlohmann::json real = {{"kernel", source}};
            Scratch scratch;
            // Build: a fresh cache (a first run: the tarball extracted, everything compiled),
            // then the same cache again (a second process: hashed and found).
            const std::string cold_cache = scratch.dir + "/cache";
            auto t0 = Clock::now();
            auto cold = real::build_kernel(source, {cold_cache, 4, 1000});
            const double cold_s = since(t0);
            t0 = Clock::now();
            auto warm = real::build_kernel(source, {cold_cache + "/.", 4, 1000});
            const double warm_s = since(t0);
            real["build"] = {{"version", cold->version}, {"cold_seconds", cold_s},
                             {"cold_read_seconds", cold->start_seconds},
                             {"cold_compile_seconds", cold->build_seconds},
                             {"cached_seconds", warm_s}, {"cached", warm->cached}};
            say("real        %s: first run %.2f s (reading the tree %.2f s, compiling %.2f s); "
                "cached start %.3f s\n",
                cold->version.c_str(), cold_s, cold->start_seconds, cold->build_seconds, warm_s);

            // The per-execution reset: the object's writable data copied back, against the
            // least a fork server pays per execution (fork() and waitpid(), no result pipe).
            {
                real::Image img(cold->so_path);
                const int resets = 5000, forks = 300;
                t0 = Clock::now();
                for (int i = 0; i < resets; ++i) img.reset();
                const double reset_us = 1e6 * since(t0) / resets;
                t0 = Clock::now();
                for (int i = 0; i < forks; ++i) {
                    const pid_t pid = fork();
                    if (pid == 0) _exit(0);
                    int st = 0;
                    if (pid > 0) waitpid(pid, &st, 0);
                }
                const double fork_us = 1e6 * since(t0) / forks;
                real["reset"] = {{"writable_bytes", img.writable_bytes()},
                                 {"snapshot_restore_us", reset_us}, {"fork_wait_us", fork_us}};
                say("real        reset per execution: snapshot restore of %zu KB %.1f us; "
                    "fork()+waitpid() %.1f us (x%.1f)\n",
                    img.writable_bytes() / 1024, reset_us, fork_us, fork_us / reset_us);
            }

            // Executions per second: the real seed race at 4 CPUs, and on 16 and 64 CPUs,
            // all offloaded with call_rcu on every CPU; the model's seed race alongside.
            nlohmann::json rows = nlohmann::json::array();
            auto base = scenario::load_scenario_file("configs/real/seed-race-6.12.json");
            base.kernel_source = source;
            auto model = scenario::load_scenario_file("configs/seed-race.json");
            struct Row {
                scenario::Scenario s;
                std::uint64_t seeds;
                const char* what;
            };
            std::vector<Row> runs;
            runs.push_back({model, 20000, "model"});
            runs.push_back({base, 2000, "real"});
            for (int cpus : {16, 64})
                runs.push_back({scaled("configs/real/seed-race-6.12.json", cpus, source),
                                cpus == 16 ? 500u : 100u, "real"});
            for (auto& r : runs) {
                {  // warm-up: the build found, each worker's image loaded
                    explore::FuzzOptions w;
                    w.seeds = {0, 3};
                    w.jobs = 2;
                    w.keep_going = true;
                    w.minimize = false;
                    explore::fuzz(r.s, w);
                }
                double r1 = 0;
                for (int jobs : {1, 2}) {
                    explore::FuzzOptions o;
                    o.seeds = {0, r.seeds - 1};
                    o.jobs = jobs;
                    o.keep_going = true;
                    o.minimize = false;
                    auto f = explore::fuzz(r.s, o);
                    const double rate = f.executions_run / f.elapsed_s;
                    if (jobs == 1) r1 = rate;
                    const double per = f.executions_run ? double(f.steps) / f.executions_run : 0;
                    rows.push_back({{"scenario", r.s.name}, {"code", r.what}, {"cpus", r.s.cpus},
                                    {"jobs", jobs}, {"executions", f.executions_run},
                                    {"seconds", f.elapsed_s}, {"executions_per_s", rate},
                                    {"steps_per_execution", per},
                                    {"steps_per_s", f.steps / f.elapsed_s},
                                    {"failures", f.failures.size()}});
                    say("real        fuzz %-5s %-18s %2d CPUs jobs %d: %.0f executions/s, %.0f "
                        "steps each, %.2f M steps/s%s\n",
                        r.what, r.s.name.c_str(), r.s.cpus, jobs, rate, per,
                        f.steps / f.elapsed_s / 1e6,
                        jobs == 1 ? "" : (" (x" + std::to_string(rate / r1).substr(0, 4) + ")").c_str());
                }
            }
            real["fuzz"] = rows;

            // Time to find: the tree without 6.12's trylock, random seeds from 0 until each
            // scenario's violation shows (the compile counted apart).
            const std::string mutated = tree_without_trylock(source, scratch.dir + "/tree");
            if (!mutated.empty()) {
                nlohmann::json found = nlohmann::json::array();
                struct Goal {
                    const char* file;
                    const char* kind;
                };
                for (const Goal& g : {Goal{"configs/real/seed-race-6.12.json", "unsafe-offload-read"},
                                      Goal{"configs/real/shrinker-storm-6.12.json", "kernel-warn"}}) {
                    auto s = scenario::load_scenario_file(g.file);
                    s.kernel_source = mutated;
                    t0 = Clock::now();
                    real::build_kernel(mutated, {"", s.cpus, s.hz});
                    const double compile_s = since(t0);
                    t0 = Clock::now();
                    std::uint64_t seed = 0;
                    bool hit = false;
                    for (; seed < 50000 && !hit; ++seed) {
                        auto r = explore::run_seed(s, "random", seed, 3, 0, 0, false);
                        for (const auto& v : r.violations) hit = hit || v.kind == g.kind;
                    }
                    const double el = since(t0);
                    found.push_back({{"scenario", s.name}, {"kind", g.kind}, {"found", hit},
                                     {"seed", seed - 1}, {"executions", seed},
                                     {"seconds", el}, {"compile_seconds", compile_s}});
                    say("real        no trylock, %-22s first %s at seed %llu after %.3f s "
                        "(%llu executions; compiling the tree %.2f s)%s\n",
                        s.name.c_str(), g.kind, static_cast<unsigned long long>(seed - 1), el,
                        static_cast<unsigned long long>(seed), compile_s, hit ? "" : " NOT FOUND");
                }
                real["time_to_find"] = found;
            }

            // The largest machines: one run of the seed race on 256 to 4096 CPUs (NR_CPUS to
            // match), all offloaded, its call_rcu streams on every CPU; with the data-race
            // checker (its vector clocks grow with the tasks squared) up to 1024 CPUs, and
            // without it (kernel.data_races "off") up to 4096.
            nlohmann::json big = nlohmann::json::array();
            struct Size {
                int cpus;
                const char* races;
            };
            for (const Size& z : {Size{256, "default"}, Size{1024, "default"}, Size{1024, "off"},
                                  Size{4096, "off"}}) {
                scenario::Scenario s = scaled("configs/real/seed-race-6.12.json", z.cpus, source);
                s.data_races = z.races;
                real::build_kernel(source, {"", z.cpus, s.hz});
                const Timed t = timed_run(s, false);
                const long rss = peak_rss_kb();
                big.push_back({{"cpus", z.cpus}, {"data_races", z.races}, {"steps", t.result.steps},
                               {"seconds", t.seconds}, {"violations", t.result.violations.size()},
                               {"peak_rss_kb", rss}});
                say("real        seed race on %4d CPUs, data races %-7s: %llu steps in %.2f s, "
                    "%zu violations, peak RSS so far %ld MB\n",
                    z.cpus, z.races, static_cast<unsigned long long>(t.result.steps), t.seconds,
                    t.result.violations.size(), rss / 1024);
            }
            real["machines"] = big;
            out["real"] = real;
        }
    }
    out["peak_rss_kb"] = peak_rss_kb();
    say("peak RSS    %ld MB\n", peak_rss_kb() / 1024);
    return out;
}

}  // namespace rcusim::cli
