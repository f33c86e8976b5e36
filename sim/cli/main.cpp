// rcusim: the command line (CONTRACT.md "Commands").
// Exit codes: 0 ok / nothing found, 1 violation found or replay differs, 2 bad usage or
// invalid input (with file, JSON pointer and line:column where they exist).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "check/violation.hpp"
#include "cli/report.hpp"
#include "explore/repro.hpp"
#include "kernel/variant.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "scenario/scenario_json.hpp"
#include "trace/sinks.hpp"

namespace {

using namespace rcusim;
using Clock = std::chrono::steady_clock;

constexpr const char* kVersion = "rcusim 0.1.0 (model: Linux v6.3 nocb + patches, MODEL.md)";

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

// A trace file opened atomically with the format chosen by --format or the extension.
struct TraceOut {
    std::unique_ptr<trace::AtomicFile> file;
    std::unique_ptr<engine::TraceSink> sink;
    std::string path;

    void open(const std::string& out, std::string format) {
        if (out.empty()) return;
        if (format.empty()) {
            auto ext = std::filesystem::path(out).extension().string();
            format = ext == ".txt" || ext == ".log" ? "text" : "jsonl";
        }
        if (format != "jsonl" && format != "text")
            usage_error("--format: expected jsonl or text, found '" + format + "'");
        path = out;
        try {
            file = std::make_unique<trace::AtomicFile>(out);
        } catch (const std::exception& e) {
            usage_error(std::string("--trace: ") + e.what());
        }
        sink = trace::make_file_sink(format, file->stream());
    }
    std::vector<engine::TraceSink*> sinks() {
        if (!sink) return {};
        return {sink.get()};
    }
    void commit() {
        if (file) file->commit();
    }
};

scenario::Scenario load(const std::string& path, const std::string& variant) {
    scenario::Scenario s = scenario::load_scenario_file(path);
    if (!variant.empty()) scenario::apply_variant(s, variant, "--variant");
    return s;
}

int cmd_run(const std::string& file, const std::string& variant, std::optional<std::uint64_t> seed,
            const std::string& trace_out, const std::string& format, bool json, bool strict,
            const std::string& repro_dir) {
    scenario::Scenario s = load(file, variant);
    TraceOut t;
    t.open(trace_out, format);
    scenario::RunOptions o;
    o.seed = seed;
    o.sinks = t.sinks();
    auto t0 = Clock::now();
    spdlog::debug("running {} under {}", file, s.variant);
    scenario::RunResult r = scenario::run_scenario(s, o);
    double wall = seconds_since(t0);
    t.commit();
    std::string repro;
    if (!r.violations.empty() && !repro_dir.empty()) {
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
    return r.failed(strict) ? 1 : 0;
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
                                    {"switches", sw}});
        }
        for (const auto& info : kernel::switch_infos())
            j["switches"].push_back({{"name", info.name}, {"kind", info.kind}, {"help", info.help}});
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    std::cout << "Variant presets (kernel.variant / --variant):\n";
    for (const auto& p : kernel::presets()) {
        std::printf("  %-20s %-18s %s\n", p.name, kernel::describe(p.switches).c_str(),
                    p.description);
    }
    std::cout << "\nSwitches (kernel.switches overrides one switch of the preset):\n";
    for (const auto& info : kernel::switch_infos())
        std::printf("  %-18s %-9s %s\n", info.name, info.kind, info.help);
    return 0;
}

int cmd_replay(const std::string& file, const std::string& trace_out, const std::string& format,
               bool json) {
    explore::Repro p = explore::load_repro_file(file);
    TraceOut t;
    t.open(trace_out, format);
    auto t0 = Clock::now();
    explore::ReplayResult rr = explore::replay(p, t.sinks());
    double wall = seconds_since(t0);
    t.commit();
    if (json) {
        nlohmann::json j = cli::run_json(p.scenario, rr.run, "", wall);
        j["recorded_digest"] = p.trace_digest;
        j["reproduced"] = rr.digest_matches;
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << cli::run_header(p.scenario, rr.run);
        for (const auto& v : rr.run.violations) std::cout << check::render_violation(v);
        std::cout << cli::run_summary(p.scenario, rr.run, wall, "", t.path);
        std::cout << (rr.digest_matches ? "   reproduced: trace digest matches the repro\n"
                                        : "   DIFFERS: recorded " + p.trace_digest + "\n");
    }
    return rr.digest_matches ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    auto logger = spdlog::stderr_color_mt("rcusim");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("rcusim: %l: %v");
    spdlog::set_level(spdlog::level::warn);

    CLI::App app{"rcusim: deterministic simulator of Linux RCU callback offloading (nocb)"};
    app.set_version_flag("--version", kVersion);
    app.require_subcommand(1);
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
    run->add_option("--trace", trace_out, "write the trace to this file");
    run->add_option("--format", format, "trace format: jsonl (default) or text");
    run->add_option("--repro-dir", repro_dir, "where a failing run writes its repro (default traces)");
    run->add_flag("--json", json, "print one JSON summary on stdout");
    run->add_flag("--strict", strict, "warnings count as failures too");

    std::vector<std::string> files;
    auto* validate = app.add_subcommand("validate", "check scenario files without running them");
    validate->add_option("FILE", files, "scenario files")->required();

    auto* variants = app.add_subcommand("variants", "list variant presets and their switches");
    variants->add_flag("--json", json, "print JSON");

    auto* replay = app.add_subcommand("replay", "re-execute a repro file exactly and check its digest");
    replay->add_option("REPRO", file, "repro file")->required();
    replay->add_option("--trace", trace_out, "write the trace to this file");
    replay->add_option("--format", format, "trace format: jsonl (default) or text");
    replay->add_flag("--json", json, "print one JSON summary on stdout");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    if (quiet) spdlog::set_level(spdlog::level::err);
    else if (verbosity == 1) spdlog::set_level(spdlog::level::info);
    else if (verbosity >= 2) spdlog::set_level(spdlog::level::debug);

    try {
        if (*run) return cmd_run(file, variant, seed, trace_out, format, json, strict, repro_dir);
        if (*validate) return cmd_validate(files);
        if (*variants) return cmd_variants(json);
        if (*replay) return cmd_replay(file, trace_out, format, json);
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
