// rcusim: the command line (CONTRACT.md "Commands").
// Exit codes: 0 ok / nothing found, 1 violation found or replay differs, 2 bad usage or
// invalid input (with file, JSON pointer and line:column where they exist), 3 a limit stopped
// the run (run.max_steps, --trace-max-bytes), 130 interrupted (SIGINT / SIGTERM).
#include <chrono>
#include <execinfo.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

#include <ext/stdio_filebuf.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "check/violation.hpp"
#include "cli/bench.hpp"
#include "cli/report.hpp"
#include "cli/view.hpp"
#include "explore/campaign_io.hpp"
#include "explore/background_digest.hpp"
#include "explore/explore.hpp"
#include "explore/fuzz.hpp"
#include "explore/matrix.hpp"
#include "explore/pct.hpp"
#include "explore/repro.hpp"
#include "kernel/variant.hpp"
#include "real/build.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "scenario/scenario_json.hpp"
#include "trace/limited_stream.hpp"
#include "trace/sinks.hpp"

namespace {

using namespace rcusim;
using Clock = std::chrono::steady_clock;

constexpr const char* kVersion =
    "rcusim 0.1.0 (model: Linux v6.3..v6.9 nocb and the seed thread's variants, docs/checkers.md; "
    "real-code mode: --kernel PATH, docs/real-code.md)";

// "did you mean": the scenario loader's (a close name, or "").
std::string closest(const std::string& word, const std::vector<std::string>& names) {
    return scenario::did_you_mean(word, names);
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct ErrorExit {
    int code;
};

[[noreturn]] void usage_error(const std::string& msg) {
    std::fprintf(stderr, "rcusim: %s\n", msg.c_str());
    throw ErrorExit{2};
}

// SIGINT / SIGTERM stop a run or a campaign cleanly (Boost.Asio signal_set on its own
// thread).
class SignalStop {
   public:
    SignalStop() : signals_(io_, SIGINT, SIGTERM) {
        signals_.async_wait([this](const boost::system::error_code& ec, int) {
            if (!ec) flag_ = true;
        });
        thread_ = std::thread([this] { io_.run(); });
    }
    ~SignalStop() {
        io_.stop();
        thread_.join();
    }
    const std::atomic<bool>* flag() const { return &flag_; }
    bool fired() const { return flag_; }

   private:
    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    std::atomic<bool> flag_{false};
    std::thread thread_;
};

// A trace file opened atomically with the format chosen by --format or the extension
// (.json chrome, .txt/.log text, else jsonl), capped by --trace-window and --trace-cpus.
struct TraceOut {
    std::unique_ptr<trace::AtomicFile> file;
    // --trace-max-bytes: the sink writes through this budget (4 GiB unless given).
    std::unique_ptr<trace::LimitedStreambuf> budget;
    std::unique_ptr<std::ostream> budgeted;
    static inline std::string max_bytes_arg;
    std::unique_ptr<engine::TraceSink> sink;
    std::string path;
    // --trace-window FROM..TO and --trace-cpus SET of run and replay (empty: no cap).
    static inline std::string window_arg, cpus_arg;

    static trace::TraceFilter caps() {
        trace::TraceFilter f;
        if (!window_arg.empty()) {
            auto dots = window_arg.find("..");
            if (dots == std::string::npos)
                usage_error("--trace-window: expected FROM..TO (e.g. 1ms..5ms), found '" +
                            window_arg + "'");
            auto bound = [&](std::string text, engine::Time def) {
                if (text.empty()) return def;
                if (text.back() == 'j')
                    usage_error("--trace-window: jiffies depend on the scenario's HZ; use ns, "
                                "us, ms or s, found '" + text + "'");
                std::string why;
                auto t = scenario::parse_duration(text, 0, &why);
                if (!t) usage_error("--trace-window: " + why);
                return *t;
            };
            f.from = bound(window_arg.substr(0, dots), 0);
            f.to = bound(window_arg.substr(dots + 2), engine::kTimeMax);
            if (f.to < f.from)
                usage_error("--trace-window " + window_arg + ": reversed window (FROM > TO)");
        }
        if (!cpus_arg.empty()) {
            std::string why;
            auto set = scenario::parse_cpu_set(cpus_arg, 4096, &why);
            if (!set) usage_error("--trace-cpus: " + why);
            f.cpu_filter = true;
            for (int c : *set) {
                if (f.cpus.size() <= static_cast<std::size_t>(c)) f.cpus.resize(c + 1);
                f.cpus[static_cast<std::size_t>(c)] = true;
            }
        }
        return f;
    }

    void open(const std::string& out, std::string format) {
        const std::uint64_t max_bytes = parse_max_bytes();
        if (out.empty()) {
            if (!window_arg.empty() || !cpus_arg.empty())
                usage_error("--trace-window and --trace-cpus cap a trace: give --trace OUT");
            if (!format.empty())
                std::fprintf(stderr, "rcusim: warning: --format %s has no effect without --trace OUT\n",
                             format.c_str());
            return;
        }
        if (format.empty()) format = trace::format_for_path(out);
        if (format != "jsonl" && format != "text" && format != "chrome")
            usage_error("--format: expected jsonl, text or chrome, found '" + format + "'");
        trace::TraceFilter filter = caps();
        path = out;
        std::streambuf* target = nullptr;
        if (out == "-") {
            // The trace is standard output (`--trace - --format text | grep ...`); everything
            // rcusim prints itself goes to standard error from here on.
            std::fflush(stdout);
            std::cout.flush();
            const int fd = dup(1);
            if (fd < 0 || dup2(2, 1) < 0) usage_error("--trace -: cannot redirect standard output");
            stdout_file = fdopen(fd, "w");
            if (!stdout_file) usage_error("--trace -: cannot write to standard output");
            stdout_buf = std::make_unique<__gnu_cxx::stdio_filebuf<char>>(stdout_file, std::ios::out);
            target = stdout_buf.get();
            path = "standard output";
        } else {
            try {
                file = std::make_unique<trace::AtomicFile>(out);
            } catch (const std::exception& e) {
                usage_error(std::string("--trace: ") + e.what());
            }
            target = file->stream().rdbuf();
        }
        budget = std::make_unique<trace::LimitedStreambuf>(target, max_bytes);
        budgeted = std::make_unique<std::ostream>(budget.get());
        sink = trace::make_file_sink(format, *budgeted, filter);
    }
    static std::uint64_t parse_max_bytes() {
        constexpr std::uint64_t kDefault = std::uint64_t{4} << 30;
        const std::string& a = max_bytes_arg;
        if (a.empty()) return kDefault;
        std::size_t i = 0;
        std::uint64_t v = 0;
        for (; i < a.size() && a[i] >= '0' && a[i] <= '9' && v <= (UINT64_MAX - 9) / 10; ++i)
            v = v * 10 + static_cast<std::uint64_t>(a[i] - '0');
        const std::string unit = a.substr(i);
        int shift = -1;
        if (unit.empty() || unit == "B") shift = 0;
        if (unit == "K" || unit == "KiB") shift = 10;
        if (unit == "M" || unit == "MiB") shift = 20;
        if (unit == "G" || unit == "GiB") shift = 30;
        if (i == 0 || shift < 0 || v == 0 || v > (UINT64_MAX >> shift))
            usage_error("--trace-max-bytes: expected a size > 0 such as 1000000, 64MiB or 4GiB, "
                        "found '" + a + "'");
        return v << shift;
    }
    // Null without a trace (RunOptions::stop skips nulls).
    const std::atomic<bool>* full_flag() const { return budget ? budget->full_flag() : nullptr; }
    bool full() const { return budget && budget->full(); }
    // A trace on standard output cannot be taken back: what was written stays (the
    // messages say the trace is incomplete).
    void discard() {
        if (file) file->discard();
        flush_stdout();
    }
    void flush_stdout() {
        if (budgeted) budgeted->flush();
        if (stdout_buf) stdout_buf->pubsync();
        if (stdout_file) std::fflush(stdout_file);
    }
    std::vector<engine::TraceSink*> sinks() {
        if (!sink) return {};
        return {sink.get()};
    }
    void commit() {
        if (file) file->commit();
        flush_stdout();
    }
    std::FILE* stdout_file = nullptr;  // --trace -: the original standard output
    std::unique_ptr<__gnu_cxx::stdio_filebuf<char>> stdout_buf;
    TraceOut() = default;
    TraceOut(const TraceOut&) = delete;
    TraceOut& operator=(const TraceOut&) = delete;
    ~TraceOut() {
        if (!stdout_file) return;
        flush_stdout();
        sink.reset();
        budgeted.reset();
        budget.reset();
        stdout_buf.reset();
        std::fclose(stdout_file);
    }
};

// `x` as one shell word (single-quoted unless it is plain).
std::string shell_quote(const std::string& x) {
    if (!x.empty() && x.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789_-./:=+,@%") == std::string::npos)
        return x;
    std::string q = "'";
    for (char c : x) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// --kernel PATH (real-code mode; wins over the file's kernel.source) and --kernel-cache DIR.
std::string g_kernel;
std::string g_kernel_cache;
bool g_quiet = false;

// Real-code mode: builds (or finds in the cache) the scenario's kernel tree before anything
// runs, and says what it found on stderr: version, features, what runs real and what is
// rcusim glue. An unusable tree is a real::TreeError (exit 2).
void prepare_kernel(scenario::Scenario& s, bool announce = true) {
    if (!g_kernel.empty()) s.kernel_source = g_kernel;
    if (s.kernel_source.empty()) return;
    if (!g_kernel_cache.empty()) real::set_cache_dir(g_kernel_cache);
    auto b = real::build_kernel(s.kernel_source, {"", s.cpus, s.hz});
    if (announce && !g_quiet) std::fprintf(stderr, "rcusim: %s\n", b->describe().c_str());
    (void)scenario::kernel_name(s);  // checks the content hash a repro recorded
}

scenario::Scenario load(const std::string& path, const std::string& variant) {
    scenario::Scenario s = scenario::load_scenario_file(path);
    if (!variant.empty()) scenario::apply_variant(s, variant, "--variant");
    prepare_kernel(s);
    return s;
}

// A run cut short by the trace size limit (exit 3; a sink that writes at finish() may hit it
// after the run) or by a signal (exit 130): the trace is incomplete, so it is discarded; no
// report, no repro. 0 when the run ended normally.
int stopped_early(const SignalStop& sig, TraceOut& t, const scenario::RunResult& r) {
    const bool interrupted = sig.fired() && r.stop == engine::Simulator::StopReason::kStopped;
    if (!interrupted && !t.full()) return 0;
    const std::string at = std::to_string(r.steps) + " (virtual time " +
                           scenario::format_duration(r.sim_time) + ")";
    t.discard();
    std::fflush(stdout);
    if (interrupted) {
        const std::string what = t.path.empty()               ? ""
                                 : t.stdout_file != nullptr ? "; the trace on standard output is incomplete"
                                                            : "; trace " + t.path + " not written";
        std::fprintf(stderr, "rcusim: interrupted: the run stopped at step %s%s\n", at.c_str(),
                     what.c_str());
        return 130;
    }
    std::fprintf(stderr,
                 "rcusim: %s: trace size limit reached: %llu bytes (--trace-max-bytes); the run "
                 "stopped at step %s and the trace was discarded; raise --trace-max-bytes or cap "
                 "the trace with --trace-window / --trace-cpus\n",
                 t.path.c_str(), static_cast<unsigned long long>(t.budget->max_bytes()),
                 at.c_str());
    return 3;
}

int cmd_run(const std::string& file, const std::string& variant, std::optional<std::uint64_t> seed,
            const std::string& trace_out, const std::string& format, bool json, bool strict,
            const std::string& repro_dir, bool no_digest) {
    scenario::Scenario s = load(file, variant);
    SignalStop sig;  // before the trace file exists: a signal never leaves it behind
    TraceOut t;
    t.open(trace_out, format);
    scenario::RunOptions o;
    o.seed = seed;
    o.sinks = t.sinks();
    o.stop = {sig.flag()};
    if (t.full_flag()) o.stop.push_back(t.full_flag());
    // The decision log is only needed for a repro file: a clean run does not keep it (at
    // 4096 CPUs it is tens of MB), a run with violations is re-executed with it, as the
    // campaigns do.
    o.record_decisions = false;
    std::optional<explore::BackgroundDigest> digester;  // hashes on another core if any
    o.digest = !no_digest;
    if (o.digest) o.digester = &digester.emplace();
    auto t0 = Clock::now();
    spdlog::debug("running {} under {}", file, s.variant);
    scenario::RunResult r = scenario::run_scenario(s, o);
    double wall = seconds_since(t0);
    if (int rc = stopped_early(sig, t, r)) return rc;
    t.commit();
    std::string repro;
    if (!r.violations.empty() && !repro_dir.empty()) {
        scenario::RunOptions again;
        explore::BackgroundDigest digester_again;
        again.digester = &digester_again;
        again.seed = seed;
        again.stop = {sig.flag()};
        scenario::RunResult logged = scenario::run_scenario(s, again);
        if (sig.fired() && logged.stop == engine::Simulator::StopReason::kStopped) {
            std::fflush(stdout);
            std::fprintf(stderr, "rcusim: interrupted while re-running for the repro file; no "
                                 "repro written\n");
            return 130;
        }
        if (no_digest) r.digest = logged.digest;  // the repro file needs it
        if (logged.digest != r.digest || logged.steps != r.steps)
            throw std::logic_error("re-running " + file + " with the decision log gave another run (" +
                                   logged.digest + " vs " + r.digest + ")");
        r.decisions = std::move(logged.decisions);
        explore::Repro p = explore::make_repro(s, r);
        repro = explore::repro_path(repro_dir, p);
        explore::write_repro_file(p, repro);
    }
    if (json) {
        std::cout << cli::run_json(s, r, repro, wall).dump(2) << "\n";
    } else {
        std::cout << cli::run_header(s, r);
        for (const auto& v : r.violations) std::cout << check::render_violation(v);
        std::cout << cli::run_summary(s, r, wall, repro, t.path);
    }
    if (r.stop == engine::Simulator::StopReason::kStepLimit) {
        std::fflush(stdout);
        std::fprintf(stderr,
                     "rcusim: %s: step limit reached: the run stopped after %llu steps "
                     "(run.max_steps) at virtual time %s; raise run.max_steps or shorten "
                     "run.until\n",
                     file.c_str(), static_cast<unsigned long long>(r.steps),
                     scenario::format_duration(r.sim_time).c_str());
    }
    // Violations found before a limit are real and replayable: they keep exit 1.
    if (r.failed(strict)) return 1;
    return r.stop == engine::Simulator::StopReason::kStepLimit ? 3 : 0;
}

int cmd_validate(const std::vector<std::string>& files) {
    int rc = 0;
    for (const auto& f : files) {
        try {
            scenario::Scenario s = scenario::load_scenario_file(f);
            std::cout << f << ": ok (" << s.name << ", " << s.cpus << " CPUs, " << s.events.size()
                      << " events, variant " << s.variant << ")\n";
        } catch (const scenario::ConfigError& e) {
            std::fprintf(stderr, "%s\n", e.what());
            rc = 2;
        }
    }
    return rc;
}

int cmd_variants(bool json) {
    if (json) {
        nlohmann::json j = {{"presets", nlohmann::json::array()}, {"switches", nlohmann::json::array()}};
        for (const auto& p : kernel::presets()) {
            nlohmann::json sw;
            sw["shrinker"] = kernel::shrinker_name(p.switches.shrinker);
            for (const auto& info : kernel::switch_infos())
                if (auto b = kernel::get_bool_switch(p.switches, info.name)) sw[info.name] = *b;
            j["presets"].push_back({{"name", p.name},
                                    {"description", p.description},
                                    {"summary", kernel::describe(p.switches)},
                                    {"follows", p.follows},
                                    {"switches", sw}});
        }
        for (const auto& info : kernel::switch_infos())
            j["switches"].push_back({{"name", info.name}, {"kind", info.kind}, {"help", info.help}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "Variant presets (kernel.variant / --variant):\n";
    for (const auto& p : kernel::presets()) {
        std::printf("  %-18s %s\n  %-18s   switches %s\n  %-18s   follows  %s\n", p.name,
                    p.description, "", kernel::describe(p.switches).c_str(), "", p.follows);
    }
    std::cout << "\nSwitches (kernel.switches overrides one switch of the preset):\n";
    for (const auto& info : kernel::switch_infos())
        std::printf("  %-18s %-9s %s\n", info.name, info.kind, info.help);
    return 0;
}

int cmd_replay(const std::string& file, const std::string& trace_out, const std::string& format,
               bool json) {
    explore::Repro p = explore::load_repro_file(file);
    try {
        prepare_kernel(p.scenario);
    } catch (const real::TreeMismatch& e) {
        // A repro replays only against the tree it was made with.
        std::fprintf(stderr, "rcusim: %s: %s\n", file.c_str(), e.what());
        return 1;
    }
    SignalStop sig;
    TraceOut t;
    t.open(trace_out, format);
    std::vector<const std::atomic<bool>*> stop = {sig.flag()};
    if (t.full_flag()) stop.push_back(t.full_flag());
    auto t0 = Clock::now();
    explore::BackgroundDigest digester;
    explore::ReplayResult rr = explore::replay(p, t.sinks(), stop, &digester);
    double wall = seconds_since(t0);
    if (int rc = stopped_early(sig, t, rr.run)) return rc;
    t.commit();
    if (json) {
        nlohmann::json j = cli::run_json(p.scenario, rr.run, "", wall);
        j["recorded_digest"] = p.trace_digest;
        j["reproduced"] = rr.digest_matches;
        j["diverged"] = rr.run.diverged;
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << cli::run_header(p.scenario, rr.run);
        for (const auto& v : rr.run.violations) std::cout << check::render_violation(v);
        std::cout << cli::run_summary(p.scenario, rr.run, wall, "", t.path);
        std::cout << (rr.digest_matches ? "   reproduced: trace digest matches the repro\n"
                                        : "   DIFFERS: recorded " + p.trace_digest + "\n");
        if (rr.run.diverged)
            std::cout << "   the decision log does not fit this run (a decision of another kind, "
                         "an out-of-range pick, or entries past the run's last decision): the "
                         "repro was edited, or the model changed since it was written\n";
    }
    return rr.digest_matches ? 0 : 1;
}


explore::SeedRange parse_seeds(const std::string& text) {
    auto dots = text.find("..");
    // stoull would take "-1" as 2^64-1 and skip leading blanks: digits only.
    if (text.find_first_not_of("0123456789.") != std::string::npos)
        usage_error("--seeds: expected A..B (e.g. 0..9999), found '" + text + "'");
    try {
        std::size_t pos = 0;
        if (dots == std::string::npos) {
            std::uint64_t v = std::stoull(text, &pos);
            if (pos != text.size()) throw std::invalid_argument("x");
            return {v, v};
        }
        std::string a = text.substr(0, dots), b = text.substr(dots + 2);
        std::uint64_t lo = std::stoull(a, &pos);
        if (pos != a.size()) throw std::invalid_argument("x");
        std::uint64_t hi = std::stoull(b, &pos);
        if (pos != b.size()) throw std::invalid_argument("x");
        if (hi < lo) usage_error("--seeds " + text + ": reversed range (expected A..B with A <= B)");
        // The count hi - lo + 1 must fit in 64 bits (0..2^64-1 would wrap to none).
        if (lo == 0 && hi == UINT64_MAX)
            usage_error("--seeds " + text + ": more than 2^64-1 seeds; use 0..18446744073709551614");
        return {lo, hi};
    } catch (const std::logic_error&) {
        usage_error("--seeds: expected A..B (e.g. 0..9999), found '" + text + "'");
    }
}

std::pair<int, int> parse_shard(const std::string& text) {
    auto slash = text.find('/');
    try {
        if (slash == std::string::npos) throw std::invalid_argument("x");
        int k = std::stoi(text.substr(0, slash)), n = std::stoi(text.substr(slash + 1));
        if (n < 1 || k < 0 || k >= n) throw std::invalid_argument("x");
        return {k, n};
    } catch (const std::logic_error&) {
        usage_error("--shard: expected K/N with 0 <= K < N (e.g. 3/8), found '" + text + "'");
    }
}

double parse_wall(const std::string& text) {
    if (text.empty()) return 0;
    std::string num = text, unit;
    while (!num.empty() && std::isalpha(static_cast<unsigned char>(num.back()))) {
        unit.insert(unit.begin(), num.back());
        num.pop_back();
    }
    try {
        std::size_t pos = 0;
        double v = std::stod(num, &pos);
        if (pos != num.size() || v < 0) throw std::invalid_argument("x");
        if (unit.empty() || unit == "s") return v;
        if (unit == "ms") return v / 1000;
        if (unit == "m" || unit == "min") return v * 60;
        if (unit == "h") return v * 3600;
    } catch (const std::logic_error&) {
    }
    usage_error("--time-limit: expected a duration such as 30s, 500ms, 2m or 1h, found '" + text + "'");
}

// A kind named on the command line: one of the table's, or a usage error with a suggestion.
void check_kind_arg(const std::string& flag, const std::string& kind) {
    if (kind.empty() || check::is_kind(kind)) return;
    const std::string near = scenario::did_you_mean(kind, check::all_kinds());
    usage_error(flag + ": unknown violation kind '" + kind + "'" +
                (near.empty() ? "" : "; did you mean '" + near + "'?") +
                " (docs/checkers.md lists them)");
}

int cmd_fuzz(const std::string& file, const std::string& variant, const std::string& seeds,
             int jobs, const std::string& strategy, int depth, const std::string& time_limit,
             const std::string& shard, bool keep_going, const std::string& out, bool json,
             bool strict, bool no_minimize, const std::string& stop_on) {
    check_kind_arg("--stop-on", stop_on);
    scenario::Scenario s = load(file, variant);
    explore::FuzzOptions o;
    o.stop_on = stop_on;
    o.seeds = parse_seeds(seeds);
    if (jobs < 1) usage_error("--jobs: expected at least 1");
    o.jobs = jobs;
    if (strategy != "random" && strategy != "pct")
        usage_error("--strategy: expected random or pct, found '" + strategy + "'");
    o.strategy = strategy;
    if (depth < 1 || depth > 10) usage_error("--depth: expected 1..10");
    o.pct_depth = depth;
    o.time_limit_s = parse_wall(time_limit);
    std::tie(o.shard_k, o.shard_n) = shard.empty() ? std::pair{0, 1} : parse_shard(shard);
    o.keep_going = keep_going;
    o.strict = strict;
    o.minimize = !no_minimize;
    SignalStop sig;
    o.stop = sig.flag();
    const bool tty = isatty(2);
    if (tty && !json) {
        o.progress = [](std::uint64_t done, std::uint64_t total, std::uint64_t fails, double el) {
            double rate = el > 0 ? done / el : 0;
            double eta = rate > 0 ? (total - done) / rate : 0;
            std::fprintf(stderr, "\r  %llu/%llu seeds, %.0f exec/s, %llu failing, ETA %.0fs   ",
                         static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                         rate, static_cast<unsigned long long>(fails), eta);
        };
    }
    if (!json) {
        std::printf("rcusim fuzz: %s  %s  strategy %s  seeds %s  jobs %d%s\n",
                    s.name.c_str(), scenario::kernel_label(s).c_str(),
                    strategy.c_str(), seeds.c_str(), jobs,
                    shard.empty() ? "" : ("  shard " + shard).c_str());
        std::fflush(stdout);
    }
    explore::FuzzResult r = explore::fuzz(s, o);
    if (tty && !json) std::fprintf(stderr, "\r%80s\r", "");
    if (auto rr = explore::resume_range(o, r)) {
        // What is left, into a folder of its own (then `rcusim merge` both).
        std::vector<std::string> a = {"rcusim", "fuzz", file};
        if (!variant.empty()) a.insert(a.end(), {"--variant", variant});
        if (!g_kernel.empty()) a.insert(a.end(), {"--kernel", g_kernel});
        if (!g_kernel_cache.empty()) a.insert(a.end(), {"--kernel-cache", g_kernel_cache});
        a.insert(a.end(), {"--seeds", std::to_string(rr->seeds.lo) + ".." + std::to_string(rr->seeds.hi)});
        if (rr->shard_n > 1) a.insert(a.end(), {"--shard", "0/" + std::to_string(rr->shard_n)});
        a.insert(a.end(), {"--jobs", std::to_string(jobs)});
        if (strategy != "random") a.insert(a.end(), {"--strategy", strategy, "--depth", std::to_string(depth)});
        if (!time_limit.empty()) a.insert(a.end(), {"--time-limit", time_limit});
        if (keep_going) a.push_back("--keep-going");
        if (strict) a.push_back("--strict");
        if (no_minimize) a.push_back("--no-minimize");
        if (!stop_on.empty()) a.insert(a.end(), {"--stop-on", stop_on});
        a.insert(a.end(), {"--out", out + "-resumed"});
        for (const auto& x : a) r.resume += (r.resume.empty() ? "" : " ") + shell_quote(x);
    }
    auto paths = explore::write_campaign(out, s, o, r);
    // The scenario's expect against the campaign: every expected kind among the failures
    // found ("violations": [] expects none). Without --keep-going only the first is known.
    std::optional<bool> expect_met;
    if (s.expect) {
        bool met = true;
        for (const auto& k : *s.expect)
            met &= std::any_of(r.failures.begin(), r.failures.end(),
                               [&](const explore::Failure& f) { return f.kind == k; });
        if (s.expect->empty()) met = r.failures.empty();
        expect_met = met;
    }
    if (json) {
        std::vector<std::string> names;
        for (auto& p : paths) names.push_back(p);
        nlohmann::json j = explore::campaign_json(s, o, r, names);
        if (s.expect) {
            j["expect"] = *s.expect;
            j["expect_met"] = *expect_met;
        }
        std::cout << j.dump(2) << "\n";
    } else {
        if (strategy == "pct") {
            auto g = explore::pct_guarantee(r.pct_n, r.pct_k, depth);
            std::printf("  PCT depth %d: n = %d actors, k = %llu steps: per-run guarantee "
                        "1/(n*k^(d-1)) = %.3g; %.3g runs for 99%%\n",
                        depth, r.pct_n, static_cast<unsigned long long>(r.pct_k), g.per_run,
                        g.runs_for_99);
        }
        double rate = r.elapsed_s > 0 ? r.executions_run / r.elapsed_s : 0;
        std::printf("== %llu execution%s (%llu run), %.2f s, %.0f executions/s%s%s\n",
                    static_cast<unsigned long long>(r.executions), r.executions == 1 ? "" : "s",
                    static_cast<unsigned long long>(r.executions_run), r.elapsed_s, rate,
                    r.interrupted ? ", interrupted" : "", r.time_limited ? ", time limit reached" : "");
        if (r.failures.empty()) std::printf("   no failure found\n");
        for (const auto& w : r.warnings)
            std::printf("   warning %s in %llu execution%s (first at seed %llu; --strict makes "
                        "warnings failures, with repros)\n",
                        w.kind.c_str(), static_cast<unsigned long long>(w.executions),
                        w.executions == 1 ? "" : "s", static_cast<unsigned long long>(w.first_seed));
        for (std::size_t i = 0; i < r.failures.size(); ++i) {
            const auto& f = r.failures[i];
            std::printf("   FOUND %s at seed %llu (%llu execution%s showed it)\n      signature %s\n"
                        "      minimized: %llu -> %zu decisions, %llu -> %zu events\n"
                        "      repro: %s\n      replay with: rcusim replay %s\n",
                        f.kind.c_str(), static_cast<unsigned long long>(f.seed),
                        static_cast<unsigned long long>(f.count), f.count == 1 ? "" : "s",
                        f.signature.c_str(), static_cast<unsigned long long>(f.original_decisions),
                        f.repro.decisions.entries.size(),
                        static_cast<unsigned long long>(f.original_events),
                        f.repro.scenario.events.size(), paths[i].c_str(), paths[i].c_str());
        }
        if (s.kernel_source.empty())
            std::printf("%s", explore::coverage_text(explore::named(r.coverage), r.executions,
                                                     "executions", "first seed")
                                  .c_str());
        if (r.failures.empty() && s.kernel_source.empty())
            std::printf("%s", explore::coverage_hint(s, r.coverage,
                                                     "more seeds, a larger explore.max_delay, "
                                                     "delay_in_irq_off or --strategy pct may "
                                                     "reach it.")
                                  .c_str());
        if (s.expect) {
            std::string kinds;
            for (const auto& k : *s.expect) kinds += (kinds.empty() ? "" : ", ") + k;
            std::printf("   expect [%s]: %s%s\n", kinds.c_str(), *expect_met ? "met" : "NOT met",
                        !*expect_met && !keep_going && !r.failures.empty()
                            ? " (the campaign stopped at its first failure; --keep-going "
                              "collects every kind)"
                            : "");
        }
        if (!r.resume.empty())
            std::printf("   stopped early: %llu of %llu executions done; the rest: %s\n",
                        static_cast<unsigned long long>(r.completed),
                        static_cast<unsigned long long>(r.seeds_total), r.resume.c_str());
        std::printf("   summary: %s/summary.json\n", out.c_str());
    }
    // Interrupted: an incomplete campaign is not a clean one, whatever it found so far.
    if (r.interrupted) return 130;
    return r.failures.empty() ? 0 : 1;
}

int cmd_minimize(const std::string& file, const std::string& out, bool json,
                 const std::string& keep) {
    check_kind_arg("--keep", keep);
    explore::Repro p = explore::load_repro_file(file);
    prepare_kernel(p.scenario);
    std::string kind = keep;
    if (!keep.empty()) {
        bool shown = false;
        for (const auto& v : p.violations) shown = shown || v.kind == keep;
        if (!shown) usage_error(file + ": the repro does not show " + keep + " (--keep)");
    }
    for (const auto& v : p.violations)
        if (kind.empty() && v.severity == check::Severity::kError) kind = v.kind;
    if (kind.empty() && !p.violations.empty()) kind = p.violations.front().kind;
    if (kind.empty()) usage_error(file + ": the repro records no violation to keep");
    auto m = explore::minimize(p, kind);
    std::string dest = out.empty() ? file : out;
    if (m.kept) explore::write_repro_file(m.repro, dest);
    if (json) {
        std::cout << nlohmann::json{{"kind", kind}, {"kept", m.kept}, {"trials", m.trials},
                                    {"decisions", {{"before", m.decisions_before}, {"after", m.decisions_after}}},
                                    {"events", {{"before", m.events_before}, {"after", m.events_after}}},
                                    {"repro", dest}, {"trace_digest", m.repro.trace_digest}}
                         .dump(2)
                  << "\n";
    } else {
        std::printf("rcusim minimize: %s keeps %s: %zu -> %zu decisions, %zu -> %zu events "
                    "(%llu trials)\n   repro: %s\n   replay with: rcusim replay %s\n",
                    file.c_str(), kind.c_str(), m.decisions_before, m.decisions_after,
                    m.events_before, m.events_after, static_cast<unsigned long long>(m.trials),
                    dest.c_str(), dest.c_str());
    }
    return 0;
}

int cmd_merge(const std::vector<std::string>& dirs, const std::string& out, bool json) {
    auto m = explore::merge_campaigns(dirs, out);
    if (json) {
        std::cout << m.json().dump(2) << "\n";
    } else {
        std::printf("rcusim merge: %zu folders, %llu executions, %zu distinct failures\n",
                    m.folders.size(), static_cast<unsigned long long>(m.executions),
                    m.failures.size());
        for (const auto& f : m.failures)
            std::printf("   %s at seed %llu (x%llu)  %s\n", f.signature.c_str(),
                        static_cast<unsigned long long>(f.seed),
                        static_cast<unsigned long long>(f.count),
                        (out.empty() ? f.from + "/" + f.repro : out + "/" + f.repro).c_str());
        for (const auto& w : m.warnings)
            std::printf("   warning %s in %llu execution%s (first at seed %llu)\n", w.kind.c_str(),
                        static_cast<unsigned long long>(w.executions), w.executions == 1 ? "" : "s",
                        static_cast<unsigned long long>(w.first_seed));
        if (m.coverage)
            std::printf(
                "%s", explore::coverage_text(*m.coverage, m.executions, "executions", "first seed")
                          .c_str());
        else
            std::printf("   coverage goals: not in every summary (written by an older rcusim)\n");
    }
    return m.failures.empty() ? 0 : 1;
}


int cmd_explore(const std::string& file, const std::string& variant, int bound, int jobs,
                const std::string& out, bool json, bool strict, const std::string& time_limit) {
    scenario::Scenario s = load(file, variant);
    if (bound < 0 || bound > 6) usage_error("--preemptions: expected 0..6");
    if (jobs < 1) usage_error("--jobs: expected at least 1");
    explore::ExploreOptions o;
    o.bound = bound;
    o.jobs = jobs;
    o.strict = strict;
    o.time_limit_s = parse_wall(time_limit);
    SignalStop sig;
    o.stop = sig.flag();
    auto r = explore::explore_bounded(s, o);
    std::string repro;
    std::vector<std::pair<std::string, std::string>> repros;  // kind, path
    for (const auto& [kind, rp] : r.found_kinds) {
        std::string p = explore::repro_path(out, rp);
        p.insert(p.size() - std::string(".repro.json").size(), ".explore-" + kind);
        explore::write_repro_file(rp, p);
        repros.push_back({kind, p});
        if (repro.empty()) repro = p;
    }
    if (json) {
        nlohmann::json j = {{"scenario", s.name},
                            {"variant", scenario::kernel_name(s)},
                            {"preemptions", bound},
                            {"executions", r.schedules},
                            {"schedules_per_level", r.per_level},
                            {"bound_exhausted", r.bound_exhausted},
                            {"distinct_outcomes", r.distinct_outcomes},
                            {"elapsed_s", r.elapsed_s},
                            {"executions_per_s", r.elapsed_s > 0 ? r.schedules / r.elapsed_s : 0.0},
                            {"interrupted", r.interrupted},
                            {"found", r.found ? nlohmann::json(r.kind) : nlohmann::json(nullptr)},
                            {"repro", repro.empty() ? nlohmann::json(nullptr) : nlohmann::json(repro)}};
        nlohmann::json kinds = nlohmann::json::array();
        for (const auto& [kind, p] : repros) kinds.push_back({{"kind", kind}, {"repro", p}});
        j["found_kinds"] = kinds;
        if (s.kernel_source.empty())
            j["coverage"] = explore::coverage_json(explore::named(r.coverage), "first_level");
        if (r.found) {
            nlohmann::json v = nlohmann::json::array();
            for (const auto& x : r.found->violations) v.push_back(explore::violation_to_json(x));
            j["violations"] = v;
        }
        std::cout << j.dump(2) << "\n";
    } else {
        std::printf("rcusim explore: %s  %s  bound %d deviations  jobs %d\n", s.name.c_str(),
                    scenario::kernel_label(s).c_str(), bound, jobs);
        std::string levels;
        for (std::size_t i = 0; i < r.per_level.size(); ++i)
            levels += (i ? ", " : "") + std::to_string(r.per_level[i]);
        std::printf("== %llu schedules (per level: %s), %llu distinct outcomes, %.2f s%s\n",
                    static_cast<unsigned long long>(r.schedules), levels.c_str(),
                    static_cast<unsigned long long>(r.distinct_outcomes), r.elapsed_s,
                    r.interrupted ? ", interrupted" : "");
        if (r.found) {
            for (const auto& [kind, p] : repros)
                std::printf("   FOUND %s with %d deviation(s)\n      repro: %s\n      replay with: rcusim replay %s\n",
                            kind.c_str(), r.level_reached, p.c_str(), p.c_str());
        } else {
            std::printf("   nothing found; bound %s\n", r.bound_exhausted ? "exhausted" : "NOT exhausted");
        }
        if (s.kernel_source.empty())
            std::printf("%s", explore::coverage_text(explore::named(r.coverage), r.schedules,
                                                     "schedules", "first at level")
                                  .c_str());
        if (!r.found && s.kernel_source.empty())
            std::printf("%s", explore::coverage_hint(s, r.coverage,
                                                     "a larger --preemptions bound may reach "
                                                     "it.")
                                  .c_str());
    }
    if (r.interrupted) return 130;  // the bound was not searched: not a clean answer
    return r.found ? 1 : 0;
}

// `rcusim matrix`: each scenario against each variant (explore/matrix.hpp). Exit 0 whatever
// it finds (the table is the result), 2 for bad usage or an invalid file, 130 interrupted.
int cmd_matrix(const std::vector<std::string>& files, const std::string& variant_list,
               std::uint64_t budget, int jobs, const std::string& out, bool json) {
    if (jobs < 1) usage_error("--jobs: expected at least 1");
    const auto columns = explore::parse_matrix_columns(variant_list);
    std::vector<explore::MatrixInput> inputs;
    for (const auto& f : files) {
        scenario::Scenario s = scenario::load_scenario_file(f);
        prepare_kernel(s);
        // Real-code columns: build each tree for each machine shape before any cell runs.
        for (const auto& c : columns)
            if (!c.real.empty()) {
                scenario::Scenario rs = explore::cell_scenario(s, c);
                prepare_kernel(rs);
            }
        inputs.push_back({f, std::move(s)});
    }
    explore::MatrixOptions o;
    o.budget = budget;
    o.jobs = jobs;
    SignalStop sig;
    o.stop = sig.flag();
    const bool tty = isatty(2);
    if (tty) {
        o.progress = [](std::uint64_t done, std::uint64_t total, double el) {
            double rate = el > 0 ? done / el : 0;
            double eta = rate > 0 ? (total - done) / rate : 0;
            std::fprintf(stderr, "\r  %llu/%llu executions, %.0f exec/s, ETA %.0fs   ",
                         static_cast<unsigned long long>(done),
                         static_cast<unsigned long long>(total), rate, eta);
        };
    }
    explore::MatrixResult r = explore::run_matrix(inputs, columns, o);
    if (tty) std::fprintf(stderr, "\r%80s\r", "");
    std::vector<std::string> repros;
    if (!out.empty() && !r.interrupted) repros = explore::write_matrix_repros(inputs, r, out);
    if (json) {
        std::cout << explore::matrix_json(r).dump(2) << "\n";
    } else {
        std::cout << explore::matrix_text(r, jobs);
        if (!out.empty() && !r.interrupted)
            std::printf("   %zu repro files in %s (the first run of each cell that showed each "
                        "kind; rcusim replay FILE)\n",
                        repros.size(), out.c_str());
    }
    if (r.interrupted) {
        std::fflush(stdout);
        std::fprintf(stderr, "rcusim: interrupted: the matrix is incomplete\n");
        return 130;
    }
    return 0;
}

}  // namespace

// At thousands of simulated CPUs a run touches tens of megabytes at random, one cache
// line per object, and with 4 KiB pages most of those touches also miss the TLB. glibc's
// malloc backs its heaps with transparent huge pages when the tunable
// glibc.malloc.hugetlb=1 is set, which it reads only at process start: so rcusim
// re-executes itself once with it (10-15% per step at 1024-4096 CPUs on the project's
// machine). RCUSIM_NO_THP=1 turns this off; sanitizer builds and a failed exec go on as
// they are. Nothing observable changes but speed.
static void use_huge_pages(char** argv) {
#if defined(__SANITIZE_ADDRESS__)
    return;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
    return;
#endif
#endif
    if (std::getenv("RCUSIM_NO_THP") != nullptr) return;
    const char* old = std::getenv("GLIBC_TUNABLES");
    const std::string tunables = old ? std::string(old) : std::string();
    if (tunables.find("glibc.malloc.hugetlb") != std::string::npos) return;  // set: done
    const std::string value = tunables.empty() ? "glibc.malloc.hugetlb=1"
                                               : tunables + ":glibc.malloc.hugetlb=1";
    if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
    ::execv("/proc/self/exe", argv);
    // exec failed: run without (and do not leave the variable to children).
    if (old) ::setenv("GLIBC_TUNABLES", old, 1);
    else ::unsetenv("GLIBC_TUNABLES");
}

// A crash is a bug in rcusim: say so, with a backtrace (addresses for addr2line), instead
// of a bare "Segmentation fault".
void crash_handler(int sig) {
    const char msg[] = "rcusim: internal error: fatal signal; backtrace (addr2line -e rcusim):\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    void* frames[64];
    int n = backtrace(frames, 64);
    backtrace_symbols_fd(frames, n, 2);
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char** argv) {
    use_huge_pages(argv);
    for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE}) signal(sig, crash_handler);
    auto logger = spdlog::stderr_color_mt("rcusim");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("rcusim: %l: %v");
    spdlog::set_level(spdlog::level::warn);

    CLI::App app{"rcusim: deterministic simulator of Linux RCU callback offloading (nocb)"};
    app.set_version_flag("--version", kVersion);
    app.require_subcommand(1);
    app.footer(
        "Exit codes: 0 ok / nothing found; 1 violations found (or replay differs); 2 bad usage or "
        "invalid input file (the message names the file, the JSON pointer and line:column); 3 a "
        "limit stopped the run (run.max_steps, --trace-max-bytes); 130 interrupted (SIGINT, "
        "SIGTERM): partial output files are never left behind.\n");
    int verbosity = 0;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbosity, "more log output on stderr (-vv for debug)");
    app.add_flag("-q,--quiet", quiet, "errors only on stderr");

    std::string file, variant, trace_out, format, repro_dir = "traces";
    std::optional<std::uint64_t> seed;
    bool json = false, strict = false;

    auto* run = app.add_subcommand("run", "one deterministic execution of a scenario; checks every invariant");
    run->add_option("FILE", file, "scenario file")->required();
    run->add_option("--variant", variant, "variant preset (see `rcusim variants`)");
    run->add_option("--seed", seed, "schedule seed (default: the scenario's explore.seed)");
    auto kernel_opts = [&](CLI::App* cmd) {
        cmd->add_option("--kernel", g_kernel,
                        "real-code mode: run this kernel tree's own tree_nocb.h (a source "
                        "directory or a linux-source-*.tar.xz; wins over kernel.source)");
        cmd->add_option("--kernel-cache", g_kernel_cache,
                        "where kernel builds are cached (default $XDG_CACHE_HOME/rcusim)");
    };
    kernel_opts(run);
    run->add_option("--trace", trace_out, "write the trace to this file");
    run->add_option("--format", format, "trace format: jsonl (default), text or chrome (Perfetto)");
    run->add_option("--trace-window", TraceOut::window_arg, "write only FROM..TO of the trace (e.g. 1ms..5ms)");
    run->add_option("--trace-cpus", TraceOut::cpus_arg, "write only these CPUs' events (e.g. 0-3,7)");
    run->add_option("--trace-max-bytes", TraceOut::max_bytes_arg,
                    "stop the run (exit 3, trace discarded) when the trace would grow past this "
                    "size (default 4GiB; e.g. 64MiB)");
    run->add_option("--repro-dir", repro_dir, "where a failing run writes its repro (default traces)");
    run->add_flag("--json", json, "print one JSON summary on stdout");
    run->add_flag("--strict", strict, "warnings count as failures too");
    bool no_digest = false;
    run->add_flag("--no-digest", no_digest,
                  "skip the trace digest (trace_digest is null; a repro file still gets one)");

    std::vector<std::string> files;
    auto* validate = app.add_subcommand("validate", "check scenario files without running them");
    validate->add_option("FILE", files, "scenario files")->required();

    auto* variants = app.add_subcommand("variants", "list variant presets and their switches");
    variants->add_flag("--json", json, "print JSON");

    auto* replay = app.add_subcommand("replay", "re-execute a repro file exactly and check its digest");
    replay->add_option("REPRO", file, "repro file")->required();
    replay->add_option("--trace", trace_out, "write the trace to this file");
    replay->add_option("--format", format, "trace format: jsonl (default), text or chrome (Perfetto)");
    replay->add_option("--trace-window", TraceOut::window_arg, "write only FROM..TO of the trace (e.g. 1ms..5ms)");
    replay->add_option("--trace-cpus", TraceOut::cpus_arg, "write only these CPUs' events (e.g. 0-3,7)");
    replay->add_option("--trace-max-bytes", TraceOut::max_bytes_arg,
                       "stop (exit 3, trace discarded) when the trace would grow past this size "
                       "(default 4GiB)");
    replay->add_flag("--json", json, "print one JSON summary on stdout");
    kernel_opts(replay);

    std::string seeds = "0..999", strategy = "random", time_limit, shard, out_dir = "traces",
                out_file;
    int jobs = 1, depth = 3;
    bool keep_going = false, no_minimize = false;
    auto* fuzz = app.add_subcommand("fuzz", "many executions, one per seed, in parallel; minimizes what it finds");
    fuzz->add_option("FILE", file, "scenario file")->required();
    fuzz->add_option("--variant", variant, "variant preset");
    fuzz->add_option("--seeds", seeds, "seed range A..B (inclusive, default 0..999)");
    fuzz->add_option("--jobs,-j", jobs, "parallel workers (default 1)");
    fuzz->add_option("--strategy", strategy, "random (default) or pct");
    fuzz->add_option("--depth", depth, "PCT bug depth d (default 3)");
    fuzz->add_option("--time-limit", time_limit, "stop after this wall time (30s, 2m, ...)");
    fuzz->add_option("--shard", shard, "K/N: run only seeds with (seed - A) % N == K (0 <= K < N)");
    fuzz->add_flag("--keep-going", keep_going, "run every seed; one repro per distinct failure signature");
    fuzz->add_option("--out", out_dir, "folder for repros and summary.json (default traces)");
    fuzz->add_flag("--json", json, "print one JSON summary on stdout");
    fuzz->add_flag("--strict", strict, "warnings count as failures too");
    fuzz->add_flag("--no-minimize", no_minimize, "keep repros as found");
    std::string stop_on, keep_kind;
    fuzz->add_option("--stop-on", stop_on,
                     "only this violation kind is a failure (e.g. lock-imbalance); runs go on past "
                     "the others");
    kernel_opts(fuzz);

    auto* minimize = app.add_subcommand("minimize", "shrink a failing repro while it shows the same violation kind");
    minimize->add_option("REPRO", file, "repro file")->required();
    minimize->add_option("--out", out_file, "write here (default: overwrite REPRO)");
    minimize->add_option("--keep", keep_kind,
                         "the violation kind to keep (default: the repro's first error)");
    minimize->add_flag("--json", json, "print one JSON summary on stdout");
    kernel_opts(minimize);

    int bound = 2;
    auto* explore = app.add_subcommand("explore", "every schedule within K deviations from the default one (stateless, by re-execution)");
    explore->add_option("FILE", file, "scenario file")->required();
    explore->add_option("--variant", variant, "variant preset");
    explore->add_option("--preemptions,-k", bound, "bound K on deviations: picks and delays (default 2)");
    explore->add_option("--jobs,-j", jobs, "parallel workers (default 1)");
    explore->add_option("--out", out_dir, "folder for the repro (default traces)");
    explore->add_option("--time-limit", time_limit, "stop after this wall time");
    explore->add_flag("--json", json, "print one JSON summary on stdout");
    explore->add_flag("--strict", strict, "warnings count as failures too");
    kernel_opts(explore);

    std::string variant_list = "all";
    std::uint64_t budget = 200;
    auto* matrix = app.add_subcommand(
        "matrix", "each scenario against each variant: the table of violation kinds found");
    matrix->add_option("FILE", files, "scenario files")->required();
    matrix->add_option("--variants", variant_list,
                       "all (default: every preset), or a list such as "
                       "v6.3,patch1-trylock+P2,V2+P2+P3,v6.5+barrier_wake=false,file");
    matrix->add_option("--budget", budget,
                       "random seeds 0..N-1 per cell, on top of each file's own schedule "
                       "(default 200)");
    matrix->add_option("--jobs,-j", jobs, "parallel workers (default 1)");
    std::string matrix_out;
    matrix->add_option("--out", matrix_out,
                       "also write a repro of the first run of each cell that showed each kind "
                       "into this folder");
    matrix->add_flag("--json", json, "print one JSON document on stdout");
    kernel_opts(matrix);

    cli::BenchOptions bench_opts;
    auto* bench = app.add_subcommand("bench", "run the built-in benchmarks and print their figures");
    bench->add_option("--only", bench_opts.only,
                      "one benchmark: engine, model, fuzz, race, explore, real")
        ->check(CLI::IsMember({"engine", "model", "fuzz", "race", "explore", "real"}));
    bench->add_option("--kernel", bench_opts.kernel,
                      "the tree of the real-code rows (default /usr/src/linux-source-6.12.tar.xz "
                      "when installed; without one they are skipped)");
    bench->add_option("--cpus", bench_opts.cpus,
                      "machine sizes of the model benchmark (default 64,256,1024,4096)")
        ->delimiter(',')
        ->check(CLI::Range(1, 4096));
    bench->add_option("--repeat", bench_opts.repeat,
                      "runs per model row or scenario; the best and the median are reported")
        ->check(CLI::Range(1, 100));
    bench->add_option("--scenario", bench_opts.scenarios,
                      "time a scenario file instead: the simulation alone and as `run` runs it "
                      "(repeatable)");
    bench->add_flag("--json", json, "print one JSON document on stdout");

    std::vector<std::string> dirs;
    auto* merge = app.add_subcommand("merge", "combine the --out folders of fuzz shards or campaigns");
    merge->add_option("DIR", dirs, "campaign folders")->required();
    merge->add_option("--out", out_file, "folder for the merged summary and repros");
    merge->add_flag("--json", json, "print one JSON summary on stdout");

    std::string view_html;
    int view_port = 0;
    auto* view = app.add_subcommand("view", "serve the built-in trace viewer on 127.0.0.1, or write it as one HTML page");
    view->add_option("TRACE", file, "trace: chrome format (--format chrome) or jsonl")->required();
    view->add_option("--port", view_port, "port on 127.0.0.1 (default: chosen by the OS; the URL is printed)");
    view->add_option("--html", view_html, "write one self-contained HTML page with the trace embedded instead");

    // `rcusim help [CMD]`, and "did you mean" for a mistyped command: the first word that is
    // not an option (the global options take no value) names the command.
    {
        std::vector<std::string> names;
        for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
            names.push_back(sub->get_name());
        int first = 1;
        while (first < argc && argv[first][0] == '-') ++first;
        if (first < argc) {
            const std::string word = argv[first];
            if (word == "help") {
                if (first + 1 < argc) {
                    const std::string cmd = argv[first + 1];
                    for (auto* sub : app.get_subcommands([](CLI::App*) { return true; }))
                        if (sub->get_name() == cmd) {
                            std::cout << sub->help();
                            return 0;
                        }
                    const std::string near = closest(cmd, names);
                    std::fprintf(stderr, "rcusim: help: no command '%s'%s\n", cmd.c_str(),
                                 near.empty() ? "" : ("; did you mean '" + near + "'?").c_str());
                    return 2;
                }
                std::cout << app.help();
                return 0;
            }
            if (std::find(names.begin(), names.end(), word) == names.end()) {
                const std::string near = closest(word, names);
                std::fprintf(stderr, "rcusim: unknown command '%s'%s (rcusim help lists them)\n",
                             word.c_str(),
                             near.empty() ? "" : ("; did you mean '" + near + "'?").c_str());
                return 2;
            }
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ExtrasError& e) {
        // An unknown flag: name the closest one the command has.
        std::string msg = e.what();
        for (auto* sub : app.get_subcommands([](CLI::App* a) { return a->parsed(); })) {
            std::vector<std::string> flags;
            for (const auto* o : sub->get_options())
                for (const auto& l : o->get_lnames()) flags.push_back("--" + l);
            for (int i = 1; i < argc; ++i) {
                const std::string a = argv[i];
                if (a.rfind("--", 0) != 0) continue;
                const std::string name = a.substr(0, a.find('='));
                if (std::find(flags.begin(), flags.end(), name) != flags.end()) continue;
                const std::string near = closest(name, flags);
                msg += "\n  " + name + ": unknown option of " + sub->get_name() +
                       (near.empty() ? "" : "; did you mean " + near + "?");
            }
        }
        std::fprintf(stderr, "%s\nRun with --help for more information.\n", msg.c_str());
        return 2;
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    g_quiet = quiet;
    if (quiet) spdlog::set_level(spdlog::level::err);
    else if (verbosity == 1) spdlog::set_level(spdlog::level::info);
    else if (verbosity >= 2) spdlog::set_level(spdlog::level::debug);

    try {
        if (*run)
            return cmd_run(file, variant, seed, trace_out, format, json, strict, repro_dir,
                           no_digest);
        if (*validate) return cmd_validate(files);
        if (*variants) return cmd_variants(json);
        if (*replay) return cmd_replay(file, trace_out, format, json);
        if (*fuzz)
            return cmd_fuzz(file, variant, seeds, jobs, strategy, depth, time_limit, shard,
                            keep_going, out_dir, json, strict, no_minimize, stop_on);
        if (*minimize) return cmd_minimize(file, out_file, json, keep_kind);
        if (*explore) return cmd_explore(file, variant, bound, jobs, out_dir, json, strict, time_limit);
        if (*merge) return cmd_merge(dirs, out_file, json);
        if (*matrix) return cmd_matrix(files, variant_list, budget, jobs, matrix_out, json);
        if (*view) return cli::cmd_view(file, view_port, view_html);
        if (*bench) {
            bench_opts.quiet = json;
            auto j = cli::run_benchmarks(bench_opts);
            if (json) std::cout << j.dump(2) << "\n";
            return 0;
        }
    } catch (const scenario::ConfigError& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    } catch (const ErrorExit& e) {
        return e.code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "rcusim: error: %s\n", e.what());
        return 2;
    }
    return 0;
}
