// Coverage goals through the rcusim binary ($RCUSIM_BIN): run lists the goals hit, fuzz and
// explore print a line per declared goal (and a hint when a clean campaign never reached the
// window of what the scenario expects), their --json and summary.json carry "coverage", and
// merge sums shards into the unsharded campaign's figures.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernel/goals.hpp"
#include "support/campaign.hpp"

using nlohmann::json;
using rcusim::testing::CliResult;
using rcusim::testing::parse_stdout;
using rcusim::testing::run_cli;
using rcusim::testing::slurp;
using rcusim::testing::TempDir;

namespace {

std::string seed_race() { return rcusim::testing::seed_race_file(); }


}  // namespace

TEST_CASE("cli::coverage: run --json lists the goals hit, the text report one line") {
    TempDir d("cov-run");
    const auto j = parse_stdout(run_cli({"run", seed_race(), "--json", "--repro-dir", d.str()}));
    REQUIRE(j.contains("goals"));
    CHECK(j["goals"].contains("locking-flipped-under-shrinker"));
    for (const auto& [name, hits] : j["goals"].items()) {
        INFO(name);
        CHECK(rcusim::kernel::goal_by_name(name));
        CHECK(hits.get<std::uint64_t>() > 0);  // hit goals only
    }
    const auto t = run_cli({"run", seed_race(), "--repro-dir", d.str()});
    CHECK_THAT(t.out, Catch::Contains("coverage goals hit: shrinker-in-deoffload"));
    const auto v65 = run_cli({"run", seed_race(), "--variant", "v6.5", "--json"});
    CHECK(parse_stdout(v65)["goals"].size() < j["goals"].size());
}

TEST_CASE("cli::coverage: fuzz prints every goal and, clean under v6.5, the window hint") {
    TempDir d("cov-fuzz");
    const auto r =
        run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds", "0..99", "--out", d.str()});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("coverage goals (race windows reached):"));
    for (const auto& g : rcusim::kernel::goal_infos()) CHECK_THAT(r.out, Catch::Contains(g.name));
    CHECK_THAT(r.out, Catch::Contains("locking-flipped-under-shrinker    S1, S2, S5  never hit"));
    CHECK_THAT(r.out,
               Catch::Matches("(.|\n)*barrier-mutex-trylock-failed +S4 +hit in [0-9]+ of 100 "
                              "executions \\(first seed [0-9]+\\)(.|\n)*"));
    CHECK_THAT(r.out, Catch::Contains("hint: nothing found, but the race window of the expected "
                                      "lock-imbalance was never reached"));

    // Under v6.3 the race is found: no hint.
    const auto f = run_cli({"fuzz", seed_race(), "--seeds", "0..99", "--out", d.str()});
    CHECK(f.code == 1);
    CHECK_THAT(f.out, Catch::Contains("coverage goals (race windows reached):"));
    CHECK(f.out.find("hint:") == std::string::npos);
}

TEST_CASE("cli::coverage: fuzz --json has every goal, never-hit ones with 0 and null") {
    TempDir d("cov-json");
    const auto j = parse_stdout(run_cli({"fuzz", seed_race(), "--variant", "v6.5", "--seeds",
                                         "0..49", "--jobs", "2", "--json", "--out", d.str()}));
    REQUIRE(j.contains("coverage"));
    CHECK(j["coverage"].size() == rcusim::kernel::kGoalCount);
    const auto& never = j["coverage"]["locking-flipped-under-shrinker"];
    CHECK(never["executions"] == 0);
    CHECK(never["first_seed"].is_null());
    const auto& hit = j["coverage"]["barrier-mutex-trylock-failed"];
    CHECK(hit["executions"].get<std::uint64_t>() > 0);
    CHECK(hit["first_seed"].is_number_unsigned());
    // summary.json carries the same.
    CHECK(json::parse(slurp(d.path / "summary.json"))["coverage"] == j["coverage"]);
}

TEST_CASE("cli::coverage: shards merged give the unsharded campaign's coverage") {
    TempDir whole("cov-w"), s0("cov-s0"), s1("cov-s1"), merged("cov-m");
    const std::vector<std::string> base = {"fuzz",  seed_race(),    "--seeds",
                                           "0..59", "--keep-going", "--no-minimize"};
    auto with = [&](std::vector<std::string> extra) {
        auto a = base;
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    };
    CHECK(run_cli(with({"--out", whole.str()})).code == 1);
    CHECK(run_cli(with({"--shard", "0/2", "--out", s0.str()})).code == 1);
    CHECK(run_cli(with({"--shard", "1/2", "--out", s1.str(), "--jobs", "2"})).code == 1);
    const auto m = run_cli({"merge", s0.str(), s1.str(), "--out", merged.str(), "--json"});
    const auto mj = parse_stdout(m);
    const auto wj = json::parse(slurp(whole.path / "summary.json"));
    CHECK(mj["executions"] == wj["executions"]);
    CHECK(mj["coverage"] == wj["coverage"]);
    CHECK(json::parse(slurp(merged.path / "summary.json"))["coverage"] == wj["coverage"]);
    const auto t = run_cli({"merge", s0.str(), s1.str()});
    CHECK_THAT(t.out, Catch::Contains("coverage goals (race windows reached):"));
    CHECK_THAT(t.out, Catch::Contains("of 60 executions"));
}

TEST_CASE("cli::coverage: explore prints and --json reports coverage per goal") {
    TempDir d("cov-explore");
    const auto r = run_cli({"explore", seed_race(), "--variant", "patch1-trylock", "--preemptions",
                            "1", "--out", d.str()});
    INFO(r.out << r.err);
    CHECK(r.code == 0);
    CHECK_THAT(r.out, Catch::Contains("coverage goals (race windows reached):"));
    CHECK_THAT(r.out, Catch::Contains("schedules (first at level"));
    CHECK_THAT(r.out, Catch::Contains("hint: nothing found, but the race window"));
    const auto j = parse_stdout(run_cli({"explore", seed_race(), "--variant", "patch1-trylock",
                                         "--preemptions", "1", "--out", d.str(), "--json"}));
    REQUIRE(j.contains("coverage"));
    CHECK(j["coverage"].size() == rcusim::kernel::kGoalCount);
    CHECK(j["coverage"]["shrinker-in-deoffload"]["executions"] == 0);
    CHECK(j["coverage"]["shrinker-in-deoffload"]["first_level"].is_null());
    CHECK(j["coverage"]["deoffload-with-lazy-callbacks"]["first_level"] == 0);
}
