// MODEL.md §6 S3: with patch 1 v1 (mutex_lock in the scan), a de-offload that allocates
// while it holds barrier_mutex enters direct reclaim in its kworker; the scan then sleeps on
// barrier_mutex, held by the toggler, which waits for that very kworker: a waits-for cycle.
// No hold is needed: the plain schedule (a RuleStrategy without rules) gets there.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "support/model_runs.hpp"
#include "support/race_scenarios.hpp"

using namespace rcusim;
using namespace rcusim::testing;

namespace {

constexpr const char* kKw = "kworker/1";
constexpr const char* kTog = "deoffload@2";

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("kernel::reclaim: patch1-mutex deadlocks when the toggler's kworker enters reclaim (S3)") {
    const Outcome o = run_rules(make_scenario(kS3Json), {});
    INFO(o.summary());
    const Recorder& t = o.trace;

    // The chain: toggler takes barrier_mutex, its kworker allocates, reclaim runs the scan,
    // the scan sleeps on barrier_mutex.
    const long tog_lock = t.find(TraceType::kLockAcquire, kTog, "barrier_mutex");
    const long alloc = t.find_step(kKw, "alloc");
    const long scan = t.find_step(kKw, "lazy_rcu_shrink_scan");
    const long contend = t.find(TraceType::kLockContend, kKw, "barrier_mutex");
    REQUIRE(tog_lock >= 0);
    REQUIRE(alloc > tog_lock);
    REQUIRE(scan > alloc);
    REQUIRE(contend > scan);
    // Nobody ever gets past it: the de-offload never reaches D1.
    CHECK(t.find_step(kKw, "rcu_nocb_rdp_deoffload: D1 flush bypass") == -1);
    CHECK(t.find(TraceType::kLockRelease, kTog, "barrier_mutex") == -1);

    const check::Violation* rb = o.find("reclaim-blocks");
    REQUIRE(rb != nullptr);
    CHECK(rb->object == "barrier_mutex");
    CHECK(contains(rb->actors, kKw));
    CHECK(contains(rb->actors, kTog));

    const check::Violation* dl = o.find("deadlock");
    REQUIRE(dl != nullptr);
    CHECK(contains(dl->actors, kKw));
    CHECK(contains(dl->actors, kTog));
    CHECK_THAT(dl->report, Catch::Contains("cycle in the waits-for graph"));
    CHECK_THAT(dl->message, Catch::Contains("waits for barrier_mutex held by deoffload@2"));
    CHECK_THAT(dl->message, Catch::Contains("waits for the completion of kworker/1"));
}

TEST_CASE("kernel::reclaim: patch1-trylock lets reclaim proceed while the toggler holds the mutex (S3/S4)") {
    const std::string variant = GENERATE("patch1-trylock", "v6.5", "latest");
    const Outcome o = run_rules(make_scenario(kS3Json, variant), {});
    INFO(variant << ": " << o.summary());
    const Recorder& t = o.trace;
    // The kworker did enter reclaim and the scan (V2: scan, P4: already count) gave up.
    CHECK(t.find_step(kKw, "lazy_rcu_shrink_count") >= 0);
    CHECK(t.find(TraceType::kLockContend, kKw, "barrier_mutex") == -1);
    CHECK(t.count(TraceType::kLockAcquire, kKw, "barrier_mutex") == 0);
    // The de-offload completed (rcu_nocb_cpu_deoffload() returned 0) and released the mutex.
    const long note = t.find(TraceType::kNote, kTog, "rcu_nocb_cpu_deoffload", 1);
    REQUIRE(note >= 0);
    CHECK(t.at(note).value == 0);
    CHECK(t.find(TraceType::kLockRelease, kTog, "barrier_mutex") > note);
    CHECK_FALSE(o.has("deadlock"));
    CHECK_FALSE(o.has("reclaim-blocks"));
    CHECK(o.result.violations.empty());
}
