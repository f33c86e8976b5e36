// Campaign subcommands through the rcusim binary ($RCUSIM_BIN): fuzz (jobs, PCT figures,
// shards and merge), replay, minimize and explore, with their exit codes and --out folders.
// Which seeds fail is never hard-coded: the tests compare campaigns with each other and with
// what the library computes.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <thread>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "explore/fuzz.hpp"
#include "explore/pct.hpp"
#include "support/campaign.hpp"

using nlohmann::json;
using rcusim::testing::CliResult;
using rcusim::testing::parse_stdout;
using rcusim::testing::rcusim_bin;
using rcusim::testing::run_cli;
using rcusim::testing::run_program;
using rcusim::testing::slurp;
using rcusim::testing::spill;
using rcusim::testing::TempDir;

namespace {

std::string seed_race() { return rcusim::testing::seed_race_file(); }


// summary.json without what may differ between two runs of one campaign: wall time, the
// jobs, and (without --keep-going) the executions run past the first failure.
json stable_summary(const TempDir& d, bool keep_going) {
    json j = json::parse(slurp(d.path / "summary.json"));
    for (const char* k : {"elapsed_s", "executions_per_s", "jobs"}) j.erase(k);
    if (!keep_going)
        for (const char* k : {"executions_run", "steps"}) j.erase(k);
    return j;
}

// signature -> {seed, count} of a summary's (or merge's) failures.
std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_signature(const json& j) {
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> out;
    for (const auto& f : j.at("failures")) out[f.at("signature")] = {f.at("seed"), f.at("count")};
    return out;
}

// signature -> kind of a summary's (or merge's) failures.
std::map<std::string, std::string> kinds(const json& j) {
    std::map<std::string, std::string> out;
    for (const auto& f : j.at("failures")) out[f.at("signature")] = f.at("kind");
    return out;
}

// The path of `exe` in $PATH, or "" when there is none.
std::string in_path(const std::string& exe) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (!dir.empty() && ::access((dir + "/" + exe).c_str(), X_OK) == 0) return dir + "/" + exe;
    return "";
}

// The repro of the first failure in a campaign folder.
std::string first_repro(const TempDir& d) {
    json j = json::parse(slurp(d.path / "summary.json"));
    REQUIRE_FALSE(j.at("failures").empty());
    return d.str(j["failures"][0]["repro"].get<std::string>());
}

bool shows(const json& repro, const std::string& kind) {
    for (const auto& v : repro.at("violations"))
        if (v.at("kind") == kind) return true;
    return false;
}

}  // namespace

TEST_CASE("cli::fuzz: --jobs 1 and --jobs 2 write the same summary and byte-identical repros") {
    for (const std::string strategy : {"random", "pct"}) {
        for (const bool keep_going : {false, true}) {
            INFO("strategy " << strategy << ", keep-going " << keep_going);
            TempDir d1("fuzz-j1"), d2("fuzz-j2");
            std::vector<std::string> args = {"fuzz",   seed_race(),  "--seeds",
                                             "0..199", "--strategy", strategy};
            if (keep_going) args.push_back("--keep-going");
            auto a1 = args, a2 = args;
            a1.insert(a1.end(), {"--jobs", "1", "--out", d1.str()});
            a2.insert(a2.end(), {"--jobs", "2", "--out", d2.str()});
            const auto r1 = run_cli(a1);
            const auto r2 = run_cli(a2);
            INFO(r1.out << r1.err << r2.out << r2.err);
            CHECK(r1.code == 1);  // the seed race fails under v6.3
            CHECK(r2.code == 1);
            CHECK(stable_summary(d1, keep_going) == stable_summary(d2, keep_going));
            auto f1 = d1.files(), f2 = d2.files();
            f1.erase("summary.json");
            f2.erase("summary.json");
            CHECK_FALSE(f1.empty());
            CHECK(f1 == f2);  // names and bytes
            // The printed report agrees too, but for the jobs, wall time and output folder.
            const json s1 = json::parse(slurp(d1.path / "summary.json"));
            CHECK(f1.size() == s1["failures"].size());
            CHECK_THAT(r1.out,
                       Catch::Contains(
                           "FOUND " + s1["failures"][0]["kind"].get<std::string>() + " at seed " +
                           std::to_string(s1["failures"][0]["seed"].get<std::uint64_t>())));
        }
    }
}

TEST_CASE("cli::fuzz: PCT prints 1/(n k^(d-1)) and runs for 99% for the probed n and k") {
    const auto s = rcusim::testing::seed_race("v6.5");
    const auto [k, n] = rcusim::explore::probe_size(s);
    for (const int d : {1, 2, 3}) {
        INFO("depth " << d);
        TempDir out("pct");
        const auto r =
            run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--strategy", "pct", "--depth",
                     std::to_string(d), "--seeds", "0..9", "--out", out.str()});
        INFO(r.out << r.err);
        CHECK(r.code == 0);
        const std::regex line(
            R"(PCT depth (\d+): n = (\d+) actors, k = (\d+) steps: per-run guarantee )"
            R"(1/\(n\*k\^\(d-1\)\) = ([0-9.e+-]+); ([0-9.e+-]+) runs for 99%)");
        std::smatch m;
        REQUIRE(std::regex_search(r.out, m, line));
        CHECK(std::stoi(m[1]) == d);
        CHECK(std::stoi(m[2]) == n);
        CHECK(std::stoull(m[3]) == k);
        const double p = 1.0 / (n * std::pow(static_cast<double>(k), d - 1));
        const double runs = std::ceil(std::log(0.01) / std::log1p(-p));
        // Printed with 3 significant digits.
        CHECK(std::stod(m[4]) == Approx(p).epsilon(5e-3));
        CHECK(std::stod(m[5]) == Approx(runs).epsilon(5e-3));
        // summary.json carries the same figures in full.
        const json j = json::parse(slurp(out.path / "summary.json"));
        CHECK(j["pct"]["n"] == n);
        CHECK(j["pct"]["k"] == k);
        CHECK(j["pct"]["depth"] == d);
        CHECK(j["pct"]["per_run"].get<double>() == Approx(p).epsilon(1e-12));
        CHECK(j["pct"]["runs_for_99"].get<double>() == Approx(runs).epsilon(1e-12));
    }
}

TEST_CASE(
    "cli::shards: three shards merged give the unsharded campaign's executions and signatures") {
    TempDir whole("whole"), merged("merged");
    const std::vector<std::string> common = {"fuzz",         seed_race(), "--seeds", "3..152",
                                             "--keep-going", "--jobs",    "2",       "--json"};
    auto args = common;
    args.insert(args.end(), {"--out", whole.str()});
    const auto u = run_cli(args);
    INFO(u.err);
    CHECK(u.code == 1);
    const json uj = parse_stdout(u);
    REQUIRE(uj["failures"].size() >= 2);

    std::vector<std::unique_ptr<TempDir>> shards;
    std::vector<std::string> merge_args = {"merge"};
    std::uint64_t shard_executions = 0;
    for (int k = 0; k < 3; ++k) {
        shards.push_back(std::make_unique<TempDir>("shard" + std::to_string(k)));
        auto a = common;
        a.insert(a.end(), {"--shard", std::to_string(k) + "/3", "--out", shards.back()->str()});
        const auto r = run_cli(a);
        INFO(r.err);
        CHECK((r.code == 0 || r.code == 1));
        const json j = parse_stdout(r);
        CHECK(j["shard"] == std::to_string(k) + "/3");
        shard_executions += j["executions"].get<std::uint64_t>();
        merge_args.push_back(shards.back()->str());
    }
    CHECK(shard_executions == 150);
    merge_args.insert(merge_args.end(), {"--out", merged.str(), "--json"});
    const auto m = run_cli(merge_args);
    INFO(m.err);
    CHECK(m.code == 1);
    const json mj = parse_stdout(m);
    CHECK(mj["executions"] == uj["executions"]);
    CHECK(by_signature(mj) == by_signature(uj));
    CHECK(mj["shards"] == json::array({"0/3", "1/3", "2/3"}));

    // The merged folder: its summary, and per signature the unsharded campaign's repro.
    const json ms = json::parse(slurp(merged.path / "summary.json"));
    CHECK(by_signature(ms) == by_signature(uj));
    for (const auto& f : ms["failures"]) {
        INFO(f.dump());
        std::string want;
        for (const auto& g : uj["failures"])
            if (g["signature"] == f["signature"]) want = slurp(g["repro"].get<std::string>());
        CHECK_FALSE(want.empty());
        CHECK(slurp(merged.path / f["repro"].get<std::string>()) == want);
    }
}

// The README's "Many machines" recipe as written there: GNU parallel runs the shards (-q: the
// temporary paths are not re-read by a shell), `rcusim merge` adds them up.
TEST_CASE("cli::shards: four shards under GNU parallel merged give the unsharded campaign") {
    const std::string parallel = in_path("parallel");
    if (parallel.empty()) {
        WARN("RCUSIM_TEST_SKIPPED: GNU parallel is not installed (bash .ci/deps installs it)");
        return;
    }
    TempDir d("parallel");
    const std::vector<std::string> campaign = {"fuzz", seed_race(), "--seeds", "0..399",
                                               "--keep-going"};
    std::vector<std::string> p = {parallel, "-q", "--joblog", d.str("joblog"), rcusim_bin()};
    p.insert(p.end(), campaign.begin(), campaign.end());
    p.insert(p.end(), {"--shard", "{}/4", "--out", d.str("{}"), ":::", "0", "1", "2", "3"});
    const auto r = run_program(p);
    INFO("parallel: exit " << r.code << "\n" << r.out << r.err);
    // parallel exits with the number of jobs that failed; a shard that finds a bug exits 1.
    // The job log has one line per job, its exit status in the 7th column.
    std::istringstream log(slurp(d.path / "joblog"));
    std::string row;
    std::getline(log, row);  // the header
    int jobs = 0;
    while (std::getline(log, row)) {
        INFO(row);
        std::istringstream cols(row);
        std::string col;
        for (int c = 0; c < 7; ++c) std::getline(cols, col, '\t');
        CHECK((col == "0" || col == "1"));
        ++jobs;
    }
    CHECK(jobs == 4);
    for (int k = 0; k < 4; ++k)
        CHECK(r.out.find("shard " + std::to_string(k) + "/4") != std::string::npos);

    auto w = campaign;
    w.insert(w.end(), {"--json", "--out", d.str("whole")});
    const auto u = run_cli(w);
    INFO(u.err);
    CHECK(u.code == 1);
    const json uj = parse_stdout(u);
    REQUIRE(uj["failures"].size() >= 2);

    const auto m = run_cli({"merge", d.str("0"), d.str("1"), d.str("2"), d.str("3"), "--out",
                            d.str("merged"), "--json"});
    INFO(m.err);
    CHECK(m.code == 1);
    const json mj = parse_stdout(m);
    CHECK(mj["shards"] == json::array({"0/4", "1/4", "2/4", "3/4"}));
    CHECK(mj["executions"] == 400);
    CHECK(mj["executions"] == uj["executions"]);
    CHECK(by_signature(mj) == by_signature(uj));  // first seed and count per signature
    CHECK(kinds(mj) == kinds(uj));
    std::uint64_t first = UINT64_MAX;
    for (const auto& f : mj["failures"]) first = std::min(first, f["seed"].get<std::uint64_t>());
    CHECK(uj["first_failure_seed"] == first);
    CHECK(mj["coverage"] == uj["coverage"]);  // executions and first seed per goal
    const json ms = json::parse(slurp(d.path / "merged" / "summary.json"));
    CHECK(by_signature(ms) == by_signature(uj));
    for (const auto& f : ms["failures"]) {
        INFO(f.dump());
        std::string want;
        for (const auto& g : uj["failures"])
            if (g["signature"] == f["signature"]) want = slurp(g["repro"].get<std::string>());
        CHECK_FALSE(want.empty());
        CHECK(slurp(d.path / "merged" / f["repro"].get<std::string>()) == want);
    }
}

TEST_CASE(
    "cli::replay: a fuzz repro replays (exit 0) and edited digests or decisions do not (exit 1)") {
    TempDir d("replay");
    const auto f = run_cli({"fuzz", seed_race(), "--seeds", "0..1999", "--out", d.str()});
    REQUIRE(f.code == 1);
    const std::string repro = first_repro(d);
    const json original = json::parse(slurp(repro));

    const auto ok = run_cli({"replay", repro});
    INFO(ok.out << ok.err);
    CHECK(ok.code == 0);
    CHECK_THAT(ok.out, Catch::Contains("reproduced: trace digest matches the repro"));
    const auto okj = run_cli({"replay", repro, "--json"});
    CHECK(okj.code == 0);
    CHECK(parse_stdout(okj)["reproduced"] == true);
    CHECK(parse_stdout(okj)["trace_digest"] == original["trace_digest"]);

    SECTION("digest edited") {
        json j = original;
        std::string dg = j["trace_digest"];
        dg.back() = dg.back() == '0' ? '1' : '0';
        j["trace_digest"] = dg;
        spill(d.path / "edited.json", j.dump(2));
        const auto r = run_cli({"replay", d.str("edited.json")});
        INFO(r.out << r.err);
        CHECK(r.code == 1);
        CHECK_THAT(r.out, Catch::Contains("DIFFERS: recorded " + dg));
    }
    SECTION("decision log no longer fits: a pick turned into a delay") {
        json j = original;
        auto& log = j["decisions"]["log"];
        REQUIRE_FALSE(log.empty());
        log[0][1] = log[0][1] == "pick" ? "delay" : "pick";
        spill(d.path / "edited.json", j.dump(2));
        const auto r = run_cli({"replay", d.str("edited.json"), "--json"});
        INFO(r.out << r.err);
        CHECK(r.code == 1);
        CHECK(parse_stdout(r)["reproduced"] == false);
    }
    SECTION("decision log no longer fits: the scenario ends before its decisions") {
        json j = original;
        j["scenario"]["run"]["until"] = "500us";
        spill(d.path / "edited.json", j.dump(2));
        const auto r = run_cli({"replay", d.str("edited.json")});
        INFO(r.out << r.err);
        CHECK(r.code == 1);
    }
}

TEST_CASE(
    "cli::minimize: the minimized repro keeps the kind and is no larger and replays exactly") {
    TempDir d("minimize");
    const auto f =
        run_cli({"fuzz", seed_race(), "--seeds", "0..1999", "--no-minimize", "--out", d.str()});
    REQUIRE(f.code == 1);
    const std::string repro = first_repro(d);
    const json before = json::parse(slurp(repro));
    const std::string kind = json::parse(slurp(d.path / "summary.json"))["failures"][0]["kind"];
    REQUIRE(shows(before, kind));

    const std::string out = d.str("min.repro.json");
    const auto m = run_cli({"minimize", repro, "--out", out, "--json"});
    INFO(m.out << m.err);
    CHECK(m.code == 0);
    const json mj = parse_stdout(m);
    CHECK(mj["kind"] == kind);
    CHECK(mj["kept"] == true);
    CHECK(mj["decisions"]["before"] == before["decisions"]["log"].size());
    CHECK(mj["events"]["before"] == before["scenario"]["events"].size());
    CHECK(mj["decisions"]["after"] <= mj["decisions"]["before"]);
    CHECK(mj["events"]["after"] <= mj["events"]["before"]);
    CHECK(slurp(repro) == before.dump(2) + "\n");  // --out leaves the input alone

    const json after = json::parse(slurp(out));
    CHECK(shows(after, kind));
    CHECK(after["decisions"]["log"].size() == mj["decisions"]["after"]);
    CHECK(after["scenario"]["events"].size() == mj["events"]["after"]);
    CHECK(after["trace_digest"] == mj["trace_digest"]);
    const auto r = run_cli({"replay", out});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("reproduced"));
}

TEST_CASE(
    "cli::explore: --preemptions 1 finds lock-imbalance under v6.3 and exhausts patch1-trylock") {
    std::map<std::string, json> results[2];
    for (const int jobs : {1, 2}) {
        for (const std::string variant : {"v6.3", "patch1-trylock"}) {
            INFO(variant << ", jobs " << jobs);
            TempDir d("explore");
            const auto r =
                run_cli({"explore", seed_race(), "--variant", variant, "--preemptions", "1",
                         "--jobs", std::to_string(jobs), "--out", d.str(), "--json"});
            INFO(r.err);
            json j = parse_stdout(r);
            CHECK(j["executions"] == j["schedules_per_level"][0].get<std::uint64_t>() +
                                         j["schedules_per_level"][1].get<std::uint64_t>());
            if (variant == "v6.3") {
                CHECK(r.code == 1);
                CHECK(j["bound_exhausted"] == false);
                bool lock_imbalance = false;
                for (const auto& fk : j["found_kinds"]) {
                    lock_imbalance = lock_imbalance || fk["kind"] == "lock-imbalance";
                    const auto rep = run_cli({"replay", fk["repro"].get<std::string>()});
                    CHECK(rep.code == 0);
                    CHECK(shows(json::parse(slurp(fk["repro"].get<std::string>())), fk["kind"]));
                }
                CHECK(lock_imbalance);
                // Repro names without the folder, for comparing jobs 1 and 2.
                for (auto& fk : j["found_kinds"])
                    fk["repro"] =
                        std::filesystem::path(fk["repro"].get<std::string>()).filename().string();
                j["repro"] =
                    std::filesystem::path(j["repro"].get<std::string>()).filename().string();
            } else {
                CHECK(r.code == 0);
                CHECK(j["bound_exhausted"] == true);
                CHECK(j["found"].is_null());
                CHECK(j["found_kinds"].empty());
                CHECK(d.files().empty());
            }
            for (const char* k : {"elapsed_s", "executions_per_s"}) j.erase(k);
            results[jobs - 1][variant] = j;
        }
    }
    CHECK(results[0] == results[1]);
}

TEST_CASE("cli::fuzz: reports whether the scenario's expect was met") {
    TempDir a("expect-a"), b("expect-b"), c("expect-c");
    // v6.3 with --keep-going: the expected lock-imbalance is among the signatures.
    const json met = parse_stdout(run_cli({"fuzz", seed_race(), "--seeds", "0..199",
                                           "--keep-going", "--no-minimize", "--json", "--out",
                                           a.str()}));
    CHECK(met.at("expect") == json::array({"lock-imbalance"}));
    CHECK(met.at("expect_met") == true);
    // v6.5: nothing found, so the expected kind is not either.
    const json clean = parse_stdout(run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds",
                                             "0..99", "--json", "--out", b.str()}));
    CHECK(clean.at("failures").empty());
    CHECK(clean.at("expect_met") == false);
    // The text report says it, and why when the campaign stopped at another kind first.
    const CliResult text = run_cli({"fuzz", seed_race(), "--seeds", "0..199", "--no-minimize",
                                    "--out", c.str()});
    const bool stopped_elsewhere = text.out.find("FOUND lock-imbalance") == std::string::npos;
    CHECK(text.out.find(stopped_elsewhere ? "expect [lock-imbalance]: NOT met (the campaign "
                                            "stopped at its first failure"
                                          : "expect [lock-imbalance]: met") != std::string::npos);
}

TEST_CASE("cli::fuzz: without --strict the warnings seen are printed and summed whatever --jobs") {
    // S7's reclaim during lazy floods: bypass-contention warnings and no error.
    const std::string file = rcusim::testing::repo_path("configs/bugs/S7-remote-bypass-contention.json").string();
    TempDir one("warn-one"), two("warn-two"), merged("warn-merged");
    std::vector<std::unique_ptr<TempDir>> shards;
    auto run = [&](const TempDir& d, const std::string& jobs, std::vector<std::string> extra) {
        std::vector<std::string> a = {"fuzz", file, "--seeds", "0..119", "--jobs", jobs, "--out", d.str()};
        a.insert(a.end(), extra.begin(), extra.end());
        return run_cli(a);
    };
    const auto text = run(one, "1", {});
    INFO(text.err);
    CHECK(text.code == 0);
    const std::regex line(R"(warning bypass-contention in (\d+) executions? \(first at seed (\d+))");
    std::smatch m;
    REQUIRE(std::regex_search(text.out, m, line));
    const json j1 = json::parse(slurp(one.path / "summary.json"));
    REQUIRE(j1["warnings"].size() == 1);
    const json& w = j1["warnings"][0];
    CHECK(w["kind"] == "bypass-contention");
    CHECK(std::to_string(w["executions"].get<std::uint64_t>()) == m[1].str());
    CHECK(std::to_string(w["first_seed"].get<std::uint64_t>()) == m[2].str());
    CHECK(w["executions"].get<std::uint64_t>() > 0);
    CHECK(w["executions"].get<std::uint64_t>() <= 120);
    // --jobs 2: the same figures.
    run(two, "2", {});
    CHECK(json::parse(slurp(two.path / "summary.json"))["warnings"] == j1["warnings"]);
    // Shards merged: the same figures.
    std::vector<std::string> merge_args = {"merge"};
    for (int k = 0; k < 2; ++k) {
        shards.push_back(std::make_unique<TempDir>("warn-shard" + std::to_string(k)));
        run(*shards.back(), "1", {"--shard", std::to_string(k) + "/2"});
        merge_args.push_back(shards.back()->str());
    }
    merge_args.insert(merge_args.end(), {"--out", merged.str(), "--json"});
    const auto mr = run_cli(merge_args);
    INFO(mr.err);
    CHECK(parse_stdout(mr)["warnings"] == j1["warnings"]);
    // --strict: they are failures, and no longer listed as warnings.
    TempDir strict("warn-strict");
    const auto s = run(strict, "1", {"--strict"});
    CHECK(s.code == 1);
    const json js = json::parse(slurp(strict.path / "summary.json"));
    CHECK(js["warnings"].empty());
    CHECK(js["failures"][0]["kind"] == "bypass-contention");
}

TEST_CASE("cli::fuzz: SIGINT stops a campaign with exit 130 and a summary that says how to resume") {
    TempDir out("int-out"), io("int-io");
    const pid_t pid = rcusim::testing::spawn_cli(
        {"fuzz", seed_race(), "--variant", "v6.5", "--seeds", "0..999999999", "--jobs", "2",
         "--out", out.str()},
        io.path);
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    ::kill(pid, SIGINT);
    const CliResult r = rcusim::testing::wait_cli(pid, io.path);
    INFO(r.err);
    CHECK(r.code == 130);
    const json j = json::parse(slurp(out.path / "summary.json"));
    CHECK(j["interrupted"] == true);
    const auto done = j["executions"].get<std::uint64_t>();
    REQUIRE(done > 0);
    CHECK(j["completed"] == "0.." + std::to_string(done - 1));
    const std::string resume = j["resume"];
    CHECK_THAT(resume, Catch::Contains("--seeds " + std::to_string(done) + "..999999999"));
    CHECK_THAT(resume, Catch::Contains("--variant v6.5"));
    CHECK_THAT(r.out, Catch::Contains("the rest: " + resume));
}

TEST_CASE("cli::fuzz: a time-limited campaign and its resume command merged equal the whole campaign") {
    TempDir part("tl-part"), whole("tl-whole"), merged("tl-merged");
    const auto p = run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds", "0..29999",
                            "--time-limit", "100ms", "--out", part.str(), "--json"});
    INFO(p.err);
    CHECK(p.code == 0);
    const json pj = parse_stdout(p);
    REQUIRE(pj["time_limited"] == true);
    const std::string resume = pj["resume"];
    // The resume command, as printed, minus its time limit: the seeds left, in its own folder.
    std::smatch m;
    REQUIRE(std::regex_search(resume, m, std::regex(R"(--seeds (\d+)\.\.29999)")));
    CHECK(std::stoull(m[1].str()) == pj["executions"].get<std::uint64_t>());
    const auto rest = run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds",
                               m[1].str() + "..29999", "--jobs", "2", "--out", part.str() + "-resumed"});
    CHECK(rest.code == 0);
    const auto w = run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds", "0..29999",
                            "--jobs", "2", "--out", whole.str(), "--json"});
    const json wj = parse_stdout(w);
    const auto mr = run_cli({"merge", part.str(), part.str() + "-resumed", "--json"});
    const json mj = parse_stdout(mr);
    CHECK(mj["executions"] == wj["executions"]);
    CHECK(mj["coverage"] == wj["coverage"]);
    CHECK(by_signature(mj) == by_signature(wj));
    std::filesystem::remove_all(part.str() + "-resumed");
}

TEST_CASE("cli::fuzz: seed ranges that cannot be counted are refused with exit 2") {
    for (const char* bad : {"0..-1", "-3..5", " 1..2", "0..18446744073709551615",
                            "0..99999999999999999999", "5..3"}) {
        INFO(bad);
        TempDir out("seeds-bad");
        const auto r = run_cli({"fuzz", seed_race(), "--seeds", bad, "--out", out.str()});
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("--seeds"));
        CHECK_FALSE(std::filesystem::exists(out.path / "summary.json"));
    }
    // The largest countable range is accepted (here cut short by a time limit).
    TempDir out("seeds-max");
    const auto ok = run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds",
                             "0..18446744073709551614", "--time-limit", "50ms", "--out", out.str()});
    CHECK(ok.code == 0);
    // One execution is one execution.
    const auto one = run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds", "5..5", "--out",
                              out.str()});
    CHECK_THAT(one.out, Catch::Contains("== 1 execution (1 run)"));
}

TEST_CASE("cli::run: --format without --trace warns that it has no effect") {
    const auto r = run_cli({"run", seed_race(), "--variant", "v6.5", "--format", "text"});
    CHECK(r.code == 0);
    CHECK_THAT(r.err, Catch::Contains("--format text has no effect without --trace"));
}

TEST_CASE("cli::fuzz: --stop-on KIND and minimize --keep KIND go after the kind the user wants") {
    TempDir out("stop-on"), plain("stop-on-plain");
    // Under v6.3 the first failure of a plain campaign may be another kind than the leak.
    const auto a = run_cli({"fuzz", seed_race(), "--seeds", "0..999", "--stop-on", "lock-imbalance",
                            "--out", out.str(), "--json"});
    INFO(a.err);
    CHECK(a.code == 1);
    const json j = parse_stdout(a);
    REQUIRE(j["failures"].size() == 1);
    CHECK(j["failures"][0]["kind"] == "lock-imbalance");
    const std::string repro = out.str(j["failures"][0]["repro"].get<std::string>());
    CHECK(shows(json::parse(slurp(repro)), "lock-imbalance"));
    // Its seed is the smallest that shows the kind: a keep-going campaign agrees.
    const auto all = run_cli({"fuzz", seed_race(), "--seeds", "0..999", "--keep-going", "--no-minimize",
                              "--out", plain.str(), "--json"});
    const json aj = parse_stdout(all);
    std::uint64_t first = UINT64_MAX;
    for (const auto& f : aj["failures"])
        if (f["kind"] == "lock-imbalance") first = std::min(first, f["seed"].get<std::uint64_t>());
    CHECK(j["failures"][0]["seed"].get<std::uint64_t>() == first);
    // minimize --keep: the named kind, present in the repro; unknown or absent kinds: exit 2.
    // The seed race's own repro (seed 154 shows four kinds), written where this test owns it.
    TempDir m("keep");
    REQUIRE(run_cli({"run", seed_race(), "--repro-dir", m.str()}).code == 1);
    const std::string many = m.str("seed-race.v6.3.seed154.repro.json");
    REQUIRE(std::filesystem::exists(many));
    const auto k = run_cli({"minimize", many, "--keep", "lock-imbalance", "--out", m.str("k.json"), "--json"});
    CHECK(k.code == 0);
    CHECK(parse_stdout(k)["kind"] == "lock-imbalance");
    CHECK(shows(json::parse(slurp(m.path / "k.json")), "lock-imbalance"));
    CHECK(run_cli({"minimize", many, "--keep", "data-race", "--out", m.str("x.json")}).code == 2);
    const auto typo = run_cli({"fuzz", seed_race(), "--stop-on", "lock-imbalanc", "--out", m.str()});
    CHECK(typo.code == 2);
    CHECK_THAT(typo.err, Catch::Contains("did you mean 'lock-imbalance'?"));
}
