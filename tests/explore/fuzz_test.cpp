// Fuzz campaigns (explore::fuzz): what they report is what the seeds show when run one by
// one, whatever --jobs is. The failing seeds are never hard-coded: each test computes them
// by running seeds sequentially with run_seed (the scheduler's strategies may change).
#include "explore/fuzz.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "explore/campaign_io.hpp"
#include "explore/repro.hpp"
#include "support/campaign.hpp"

namespace fs = std::filesystem;
using namespace rcusim;
using rcusim::testing::group_by_signature;
using rcusim::testing::run_one;
using rcusim::testing::seed_race;
using rcusim::testing::smallest_failing;

namespace {

explore::FuzzResult run_fuzz(const scenario::Scenario& s, const std::string& strategy,
                             std::uint64_t lo, std::uint64_t hi, int jobs, bool keep_going,
                             bool minimize = true) {
    explore::FuzzOptions o;
    o.seeds = {lo, hi};
    o.jobs = jobs;
    o.strategy = strategy;
    o.keep_going = keep_going;
    o.minimize = minimize;
    return explore::fuzz(s, o);
}

bool shows(const explore::Repro& r, const std::string& kind) {
    for (const auto& v : r.violations)
        if (v.kind == kind) return true;
    return false;
}

// Everything a campaign reports that must not depend on --jobs.
void check_same(const explore::FuzzResult& a, const explore::FuzzResult& b, bool keep_going) {
    CHECK(a.first_failure_seed == b.first_failure_seed);
    CHECK(a.executions == b.executions);
    CHECK(a.seeds_total == b.seeds_total);
    CHECK(a.pct_k == b.pct_k);
    CHECK(a.pct_n == b.pct_n);
    if (keep_going) {  // every seed runs exactly once
        CHECK(a.executions_run == b.executions_run);
        CHECK(a.steps == b.steps);
    }
    REQUIRE(a.failures.size() == b.failures.size());
    for (std::size_t i = 0; i < a.failures.size(); ++i) {
        const auto& x = a.failures[i];
        const auto& y = b.failures[i];
        INFO("failure " << i << ": " << x.signature);
        CHECK(x.signature == y.signature);
        CHECK(x.kind == y.kind);
        CHECK(x.seed == y.seed);
        CHECK(x.count == y.count);
        CHECK(x.original_decisions == y.original_decisions);
        CHECK(x.original_events == y.original_events);
        CHECK(explore::repro_to_json(x.repro).dump() == explore::repro_to_json(y.repro).dump());
    }
}

// S3 (reclaim sleeps on barrier_mutex), which fails on every seed, behind a stream of 3000
// call_rcu() so that each run takes a while: with two workers, both have a seed running
// when the first failure is found.
scenario::Scenario slow_always_failing() {
    auto j = nlohmann::json::parse(rcusim::testing::slurp(
        rcusim::testing::repo_path("configs/bugs/S3-reclaim-mutex-deadlock.json")));
    j["name"] = "slow-always-failing";
    j["events"].insert(
        j["events"].begin(),
        nlohmann::json{
            {"at", "0ms"}, {"op", "call_rcu"}, {"cpu", 3}, {"count", 3000}, {"every", "300ns"}});
    return scenario::load_scenario_text(j.dump(), "slow-always-failing.json");
}

}  // namespace

TEST_CASE(
    "explore::fuzz: the first failure reported is the smallest failing seed (random and pct)") {
    const auto s = seed_race("v6.3");
    for (const std::string strategy : {"random", "pct"}) {
        INFO("strategy " << strategy);
        const auto ref = smallest_failing(s, strategy, 0, 1999);
        REQUIRE(ref);
        const auto r = run_fuzz(s, strategy, 0, 1999, 1, false, false);
        REQUIRE(r.first_failure_seed);
        CHECK(*r.first_failure_seed == ref->seed);
        CHECK(r.executions == ref->seed + 1);  // seeds up to the first failure
        REQUIRE(r.failures.size() == 1);
        CHECK(r.failures[0].seed == ref->seed);
        CHECK(r.failures[0].signature == *ref->primary);
        CHECK(r.failures[0].kind == *ref->primary_kind);
        CHECK(r.failures[0].count == 1);
        CHECK(shows(r.failures[0].repro, r.failures[0].kind));
    }
}

TEST_CASE("explore::fuzz: random and PCT find lock-imbalance on the seed race under v6.3") {
    const auto s = seed_race("v6.3");
    for (const std::string strategy : {"random", "pct"}) {
        INFO("strategy " << strategy);
        // The smallest seed from 0 whose run shows lock-imbalance (searched sequentially).
        const auto ref = smallest_failing(s, strategy, 0, 4999, "lock-imbalance");
        REQUIRE(ref);
        INFO("lock-imbalance first at seed " << ref->seed);
        const auto r = run_fuzz(s, strategy, 0, ref->seed, 2, true, false);
        const explore::Failure* found = nullptr;
        for (const auto& f : r.failures)
            if (f.kind == "lock-imbalance" && found == nullptr) found = &f;
        REQUIRE(found != nullptr);
        CHECK(found->seed == ref->seed);
        CHECK(shows(found->repro, "lock-imbalance"));
        CHECK(explore::replay(found->repro).digest_matches);
    }
}

TEST_CASE("explore::fuzz: nothing found under v6.5 over 300 seeds (random and pct)") {
    const auto s = seed_race("v6.5");
    for (const std::string strategy : {"random", "pct"}) {
        INFO("strategy " << strategy);
        const auto r = run_fuzz(s, strategy, 0, 299, 2, false);
        CHECK_FALSE(r.first_failure_seed);
        CHECK(r.failures.empty());
        CHECK(r.executions == 300);
        CHECK(r.executions_run == 300);
        CHECK(r.seeds_total == 300);
    }
}

TEST_CASE("explore::fuzz: jobs 1 and 2 give the same failures and byte-identical repro files") {
    const auto s = seed_race("v6.3");
    for (const std::string strategy : {"random", "pct"}) {
        for (const bool keep_going : {false, true}) {
            INFO("strategy " << strategy << ", keep_going " << keep_going);
            const auto a = run_fuzz(s, strategy, 0, 299, 1, keep_going);
            const auto b = run_fuzz(s, strategy, 0, 299, 2, keep_going);
            REQUIRE(a.first_failure_seed);
            check_same(a, b, keep_going);

            rcusim::testing::TempDir da("jobs1"), db("jobs2");
            explore::FuzzOptions o;
            o.seeds = {0, 299};
            o.strategy = strategy;
            o.keep_going = keep_going;
            const auto pa = explore::write_campaign(da.str(), s, o, a);
            o.jobs = 2;
            const auto pb = explore::write_campaign(db.str(), s, o, b);
            CHECK(pa.size() == a.failures.size());
            auto fa = da.files(), fb = db.files();
            fa.erase("summary.json");
            fb.erase("summary.json");
            CHECK(fa.size() == a.failures.size());
            CHECK(fa == fb);
        }
    }
}

TEST_CASE("explore::fuzz: runs past the first failure (jobs 2) change no count") {
    const auto s = slow_always_failing();
    // Every seed fails: with two workers, seed 1 runs (and fails) while seed 0 does.
    REQUIRE(run_one(s, "random", 0, false).primary);
    REQUIRE(run_one(s, "random", 1, false).primary);
    const auto a = run_fuzz(s, "random", 0, 19, 1, false, false);
    const auto b = run_fuzz(s, "random", 0, 19, 2, false, false);
    REQUIRE(a.failures.size() == 1);
    CHECK(a.executions == 1);
    CHECK(a.failures[0].count == 1);
    check_same(a, b, false);
}

TEST_CASE("explore::fuzz: keep-going groups failures by signature with one repro file each") {
    const auto s = seed_race("v6.3");
    const std::uint64_t lo = 0, hi = 299;
    std::vector<rcusim::testing::SeedRun> runs;
    for (std::uint64_t seed = lo; seed <= hi; ++seed)
        runs.push_back(run_one(s, "random", seed, true));
    const auto expected = group_by_signature(runs);
    REQUIRE(expected.size() >= 2);

    const auto r = run_fuzz(s, "random", lo, hi, 2, true);
    CHECK(r.executions == hi - lo + 1);
    CHECK(group_by_signature(r) == expected);
    for (std::size_t i = 1; i < r.failures.size(); ++i)
        CHECK(r.failures[i - 1].seed <= r.failures[i].seed);  // by increasing seed
    for (const auto& f : r.failures) {
        INFO(f.signature);
        CHECK(f.signature.rfind(f.kind + "|", 0) == 0);  // kind|object|site
        CHECK(std::count(f.signature.begin(), f.signature.end(), '|') == 2);
        CHECK(shows(f.repro, f.kind));
        CHECK(explore::replay(f.repro).digest_matches);
    }

    // One file per signature, each showing its own kind, and summary.json names them.
    rcusim::testing::TempDir dir("keep-going");
    explore::FuzzOptions o;
    o.seeds = {lo, hi};
    o.keep_going = true;
    const auto paths = explore::write_campaign(dir.str(), s, o, r);
    REQUIRE(paths.size() == r.failures.size());
    CHECK(std::set<std::string>(paths.begin(), paths.end()).size() == paths.size());
    auto files = dir.files();
    REQUIRE(files.count("summary.json") == 1);
    CHECK(files.size() == r.failures.size() + 1);
    const auto summary = nlohmann::json::parse(files["summary.json"]);
    REQUIRE(summary["failures"].size() == r.failures.size());
    for (std::size_t i = 0; i < r.failures.size(); ++i) {
        const auto& f = summary["failures"][i];
        INFO(f.dump());
        CHECK(f["signature"] == r.failures[i].signature);
        CHECK(f["seed"] == r.failures[i].seed);
        CHECK(f["count"] == r.failures[i].count);
        const std::string name = f["repro"];
        CHECK(fs::path(paths[i]).filename().string() == name);
        CHECK(rcusim::testing::slurp(dir.str(name)) ==
              explore::repro_to_json(r.failures[i].repro).dump(2) + "\n");
        const auto rp = explore::load_repro_file(dir.str(name));
        CHECK(shows(rp, r.failures[i].kind));
        CHECK(explore::replay(rp).digest_matches);
    }
}

TEST_CASE("explore::fuzz: keep-going counts executions once per signature") {
    // The seed race on two CPUs at once: one run may leak both CPUs' nocb_lock, two
    // violations with one signature, and must count once.
    auto j = nlohmann::json::parse(
        rcusim::testing::slurp(rcusim::testing::repo_path("configs/seed-race.json")));
    j["name"] = "double-race";
    j["events"] = nlohmann::json::parse(R"([
        {"at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8},
        {"at": "0ms", "op": "call_rcu", "cpu": 3, "lazy": true, "count": 8},
        {"at": "1ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128},
        {"at": "1ms", "op": "deoffload", "target": 1, "cpu": 2},
        {"at": "1ms", "op": "deoffload", "target": 3, "cpu": 2},
        {"at": "2ms", "op": "offload", "target": 1, "cpu": 2},
        {"at": "2ms", "op": "offload", "target": 3, "cpu": 2}])");
    const auto s = scenario::load_scenario_text(j.dump(), "double-race.json");
    std::vector<rcusim::testing::SeedRun> runs;
    bool repeated = false;  // some run shows one signature twice (else the test proves little)
    std::uint64_t hi = 0;
    for (std::uint64_t seed = 0; seed <= 1999 && !(repeated && seed > 99); ++seed) {
        runs.push_back(run_one(s, "random", seed, true));
        const auto& sig = runs.back().signatures;
        repeated = repeated || std::set<std::string>(sig.begin(), sig.end()).size() < sig.size();
        hi = seed;
    }
    REQUIRE(repeated);
    const auto r = run_fuzz(s, "random", 0, hi, 2, true, false);
    CHECK(group_by_signature(r) == group_by_signature(runs));
    for (const auto& f : r.failures) CHECK(f.count <= r.executions);
}
