// `rcusim run` through the binary: the digest it prints (hashed on a second thread) equals
// the library's, --no-digest leaves it out, and a failing run's repro file (its decision log
// recorded by a second execution) replays with the digest the run printed.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <filesystem>
#include <string>

#include "kernel/variant.hpp"
#include "trace/sha256.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "support/campaign.hpp"

using rcusim::testing::parse_stdout;
using rcusim::testing::run_cli;
using rcusim::testing::seed_race_file;
using rcusim::testing::TempDir;

TEST_CASE("cli::run: the printed digest is the library's and --no-digest prints null") {
    const std::string busy = rcusim::testing::repo_path("configs/busy-64.json").string();
    TempDir out("run-digest");
    const auto a = run_cli({"run", busy, "--json", "--repro-dir", out.str("r")});
    REQUIRE(a.code == 0);
    const auto ja = parse_stdout(a);
    const auto s = rcusim::scenario::load_scenario_file(busy);
    const auto lib = rcusim::scenario::run_scenario(s, {});
    CHECK(ja.at("trace_digest") == lib.digest);
    CHECK(ja.at("steps") == lib.steps);

    const auto b = run_cli({"run", busy, "--json", "--no-digest", "--repro-dir", out.str("r")});
    REQUIRE(b.code == 0);
    const auto jb = parse_stdout(b);
    CHECK(jb.at("trace_digest").is_null());
    CHECK(jb.at("steps") == ja.at("steps"));
}

TEST_CASE("cli::run: a failing run writes a repro that replays with the printed digest") {
    for (const bool no_digest : {false, true}) {
        INFO("--no-digest " << no_digest);
        TempDir out("run-repro");
        std::vector<std::string> args{"run", seed_race_file(), "--json", "--repro-dir",
                                      out.str("r")};
        if (no_digest) args.push_back("--no-digest");
        const auto r = run_cli(args);
        REQUIRE(r.code == 1);
        const auto j = parse_stdout(r);
        REQUIRE(j.at("repro").is_string());
        REQUIRE(j.at("trace_digest").is_string());  // a repro file always records one
        const auto replay = run_cli({"replay", j.at("repro").get<std::string>(), "--json"});
        CHECK(replay.code == 0);
        const auto jr = parse_stdout(replay);
        CHECK(jr.at("trace_digest") == j.at("trace_digest"));
        CHECK(jr.at("reproduced") == true);
    }
}

TEST_CASE("cli::variants: every preset prints its switches and the upstream code it follows") {
    const auto r = rcusim::testing::run_cli({"variants"});
    REQUIRE(r.code == 0);
    for (const auto& p : rcusim::kernel::presets()) {
        INFO(p.name);
        CHECK(std::string(p.follows).size() > 10);
        CHECK(r.out.find(std::string("follows  ") + p.follows) != std::string::npos);
        CHECK(r.out.find("switches " + rcusim::kernel::describe(p.switches)) != std::string::npos);
    }
    // The merged series names its four commits.
    const auto* v65 = rcusim::kernel::find_preset("v6.5");
    REQUIRE(v65 != nullptr);
    for (const char* c : {"5c83cedbaaad", "7625926086765", "b96a8b0b5be4", "fbde57d2d299"})
        CHECK(std::string(v65->follows).find(c) != std::string::npos);
}

TEST_CASE("cli::stdio: --trace - streams the trace to stdout and - reads a file from stdin") {
    const std::string bin = rcusim::testing::rcusim_bin();
    const std::string file = rcusim::testing::seed_race_file();
    // The jsonl trace on stdout is the one the digest hashes; rcusim's own lines go to stderr.
    const auto r = rcusim::testing::run_cli({"run", file, "--trace", "-", "--json"});
    CHECK(r.code == 1);  // the seed race under v6.3
    REQUIRE_FALSE(r.out.empty());
    CHECK(r.out.rfind("{\"t\":0,", 0) == 0);
    const auto summary = nlohmann::json::parse(r.err.substr(r.err.find("{\n")));
    CHECK(summary["trace_digest"] == "sha256:" + rcusim::trace::sha256_hex(r.out));
    // A text trace piped to grep finds a report's step.
    const auto t = rcusim::testing::run_program(
        {"/bin/sh", "-c", "'" + bin + "' run '" + file + "' --trace - --format text | grep -c ' #133 '"});
    CHECK(std::stoi(t.out) >= 1);
    // Input from stdin, named <stdin> in errors.
    const auto in = rcusim::testing::run_program(
        {"/bin/sh", "-c", "'" + bin + "' run - --variant v6.5 --json < '" + file + "'"});
    CHECK(in.code == 0);
    CHECK(nlohmann::json::parse(in.out)["scenario"] == "seed-race");
    const auto bad = rcusim::testing::run_program(
        {"/bin/sh", "-c", "echo '{\"format\": 1}' | '" + bin + "' validate -"});
    CHECK(bad.code == 2);
    CHECK(bad.err.rfind("<stdin>: /format: ", 0) == 0);
}

TEST_CASE("cli::help: rcusim help [CMD] and did-you-mean for commands and flags") {
    using rcusim::testing::run_cli;
    const auto all = run_cli({"help"});
    CHECK(all.code == 0);
    CHECK_THAT(all.out, Catch::Contains("fuzz"));
    CHECK_THAT(all.out, Catch::Contains("replay"));
    const auto one = run_cli({"help", "fuzz"});
    CHECK(one.code == 0);
    CHECK_THAT(one.out, Catch::Contains("--seeds"));
    const auto typo = run_cli({"fuz", "x.json"});
    CHECK(typo.code == 2);
    CHECK_THAT(typo.err, Catch::Contains("unknown command 'fuz'; did you mean 'fuzz'?"));
    const auto none = run_cli({"frobnicate"});
    CHECK(none.code == 2);
    CHECK_THAT(none.err, Catch::Contains("unknown command 'frobnicate' (rcusim help"));
    const auto flag = run_cli({"run", rcusim::testing::seed_race_file(), "--seeed", "3"});
    CHECK(flag.code == 2);
    CHECK_THAT(flag.err, Catch::Contains("--seeed: unknown option of run; did you mean --seed?"));
    const auto version = run_cli({"--version"});
    CHECK(version.code == 0);
    CHECK_THAT(version.out, !Catch::Contains("MODEL.md"));
}

TEST_CASE("cli::validate: every file under configs/ is a scenario (the schema lives in docs/)") {
    std::vector<std::string> args = {"validate"};
    for (const auto& e : std::filesystem::recursive_directory_iterator(rcusim::testing::repo_path("configs")))
        if (e.is_regular_file() && e.path().extension() == ".json") args.push_back(e.path().string());
    REQUIRE(args.size() > 20);
    const auto r = rcusim::testing::run_cli(args);
    INFO(r.err);
    CHECK(r.code == 0);
}

TEST_CASE("cli::files: a repro given to run, a scenario given to replay, a summary given to either say what to run") {
    using rcusim::testing::run_cli;
    const std::string scenario = rcusim::testing::seed_race_file();
    rcusim::testing::TempDir own("files-repro");
    REQUIRE(run_cli({"run", scenario, "--repro-dir", own.str()}).code == 1);
    const std::string repro = own.str("seed-race.v6.3.seed154.repro.json");
    REQUIRE(std::filesystem::exists(repro));
    const auto a = run_cli({"run", repro});
    CHECK(a.code == 2);
    CHECK_THAT(a.err, Catch::Contains("this is a repro file, not a scenario; run it with `rcusim replay`"));
    const auto b = run_cli({"replay", scenario});
    CHECK(b.code == 2);
    CHECK_THAT(b.err, Catch::Contains("this is a scenario file, not a repro; run it with `rcusim run`"));
    rcusim::testing::TempDir d("files-summary");
    rcusim::testing::spill(d.path / "summary.json", R"({"format": "rcusim-fuzz/1", "failures": []})");
    const auto c = run_cli({"replay", d.str("summary.json")});
    CHECK(c.code == 2);
    CHECK_THAT(c.err, Catch::Contains("this is a campaign summary, not a repro"));
    const auto e = run_cli({"run", d.str("summary.json")});
    CHECK(e.code == 2);
    CHECK_THAT(e.err, Catch::Contains("this is a campaign summary (fuzz --out), not a scenario"));
}
