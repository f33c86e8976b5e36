// Campaigns on real code: the seed thread's bug found in a tree that lacks 6.12's fix, its
// repro replaying to the same digest and minimizing, determinism (the same seed twice, and
// any --jobs), and a repro refusing a tree that changed since.
#include "real/real_support.hpp"
#include "support/campaign.hpp"

#include "explore/repro.hpp"

using namespace rcusim;
using namespace rcusim::testing;

TEST_CASE("real::campaign: the same seed runs the same on real code, twice and across --jobs") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    const auto s = real_config("seed-race-6.12.json");
    for (std::uint64_t seed : {1u, 7u, 42u}) {
        scenario::RunOptions o;
        o.seed = seed;
        auto a = scenario::run_scenario(s, o);
        auto b = scenario::run_scenario(s, o);
        CHECK(a.digest.rfind("sha256:", 0) == 0);
        CHECK(a.digest == b.digest);
        CHECK(a.steps == b.steps);
        CHECK(a.decisions.points == b.decisions.points);
    }
    TreeCopy tree(kLinux612);
    remove_shrinker_trylock(tree);
    const auto m = real_config("shrinker-storm-6.12.json", tree.dir());
    explore::FuzzResult one, two;
    campaign_kinds(m, 0, 199, 1, &one);
    campaign_kinds(m, 0, 199, 2, &two);
    REQUIRE(!one.failures.empty());
    REQUIRE(one.failures.size() == two.failures.size());
    for (std::size_t i = 0; i < one.failures.size(); ++i) {
        CHECK(one.failures[i].signature == two.failures[i].signature);
        CHECK(one.failures[i].seed == two.failures[i].seed);
        CHECK(one.failures[i].count == two.failures[i].count);
        CHECK(one.failures[i].repro.trace_digest == two.failures[i].repro.trace_digest);
    }
    CHECK(one.steps == two.steps);
}

TEST_CASE("real::campaign: without 6.12's trylock the shrinker race is found, replayed and minimized") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    TreeCopy tree(kLinux612);
    remove_shrinker_trylock(tree);
    TempDir tmp("real-campaign");
    const std::string file = scenario_file_on(tmp.path, tree.dir());
    auto f = run_cli({"fuzz", file, "--seeds", "0..99", "--jobs", "2", "--out",
                      tmp.str("out"), "--json"});
    INFO(f.err);
    REQUIRE(f.code == 1);
    const auto summary = parse_stdout(f);
    REQUIRE(!summary["failures"].empty());
    const auto& first = summary["failures"][0];
    CHECK(first["kind"] == "unsafe-offload-read");
    const std::string repro = first["repro"];
    // The repro names the kernel and the tree it ran.
    const auto rj = nlohmann::json::parse(slurp(repro));
    CHECK(rj.dump().find("6.12.") != std::string::npos);
    CHECK(rj.dump().find(tree.dir()) != std::string::npos);
    // fuzz minimized it; it replays exactly, and minimize keeps the kind with no more decisions.
    auto r = run_cli({"replay", repro, "--json"});
    INFO(r.err);
    CHECK(r.code == 0);
    CHECK(parse_stdout(r)["reproduced"] == true);
    const auto decisions = rj["decisions"].size();
    auto m = run_cli({"minimize", repro, "--out", tmp.str("min.repro.json")});
    INFO(m.err);
    REQUIRE(m.code == 0);
    const auto mj = nlohmann::json::parse(slurp(tmp.path / "min.repro.json"));
    CHECK(mj["decisions"].size() <= decisions);
    CHECK(mj["violations"][0]["kind"] == "unsafe-offload-read");
    auto r2 = run_cli({"replay", tmp.str("min.repro.json"), "--json"});
    CHECK(r2.code == 0);
    CHECK(parse_stdout(r2)["reproduced"] == true);
}

TEST_CASE("real::campaign: a repro refuses a tree whose content changed since, exit 1") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    TreeCopy tree(kLinux612);
    remove_shrinker_trylock(tree);
    TempDir tmp("real-mismatch");
    const std::string file = scenario_file_on(tmp.path, tree.dir());
    auto f = run_cli({"fuzz", file, "--seeds", "0..9", "--no-minimize", "--out",
                      tmp.str("out"), "--json"});
    REQUIRE(f.code == 1);
    const std::string repro = parse_stdout(f)["failures"][0]["repro"];
    // Any edit of the tree changes its content hash: replay says so.
    tree.replace("kernel/rcu/tree_nocb.h", "static int __init rcu_nocb_setup(char *str)",
                 "static int __init rcu_nocb_setup(char *str) /* edited */");
    auto r = run_cli({"replay", repro});
    CHECK(r.code == 1);
    CHECK(r.err.find("sha256:") != std::string::npos);
    CHECK(r.err.find(tree.dir()) != std::string::npos);
}
