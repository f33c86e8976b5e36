// MODEL.md §6 S6: before patch 2, the shrinker's lazy_len = 0 can be lost to a concurrent
// lazy enqueue's read-modify-write of lazy_len, so rcuog sees an all-lazy bypass again and
// re-arms the 10 s LAZY timer: the scan "freed" callbacks that stay queued (I6', a warning).
//
// The interleaving (kS6Json): hold the ninth enqueue of call_rcu@1 at its
// "rcu_nocb_try_bypass: lazy_len = tmp + 1" point (after it read lazy_len = 8) for j
// touches of nocb_lock[1], the resource that point declares. A sweep over j = 0..5: touch 1
// is the shrinker's nocb_lock acquisition (j = 1 lets the write land before the reset:
// no straddle), touch 2 is rcuog's acquisition after the shrinker woke it (j = 2: the write
// lands after the reset, S6; larger j end the same way).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "support/model_runs.hpp"
#include "support/race_scenarios.hpp"

using namespace rcusim;
using namespace rcusim::testing;

namespace {

constexpr const char* kEnq = "call_rcu@1";
constexpr const char* kShr = "shrinker@0";
constexpr const char* kRmw = "rcu_nocb_try_bypass: lazy_len = tmp + 1";

Outcome run_s6(const std::string& variant, std::uint64_t j) {
    return run_rules(make_scenario(kS6Json, variant), {hold(kEnq, kRmw, j, /*nth=*/9)});
}


}  // namespace

TEST_CASE("kernel::shrinker: v6.3 reset of lazy_len is lost to a concurrent lazy enqueue (S6)") {
    const Outcome o = run_s6("v6.3", 2);
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1});
    const Recorder& t = o.trace;

    // The ninth callback (id 8) was in the bypass and lazy_len read as 8 before the reset;
    // the enqueuer writes 8 + 1 after it.
    const long enq9 = t.find_value(TraceType::kCallback, kEnq, "enqueue", 1, 8);
    const long reset = t.find(TraceType::kCounter, kShr, "lazy_len", 1);
    REQUIRE(enq9 >= 0);
    REQUIRE(reset > enq9);
    CHECK(t.at(reset).value == 0);
    const long write = t.find(TraceType::kCounter, kEnq, "lazy_len", 1, reset);
    REQUIRE(write > reset);
    CHECK(t.at(write).value == 9);
    // rcuog sees lazy_len == bypass length and re-arms the LAZY timer (10 s out).
    const long arm = t.find(TraceType::kTimer, "", "arm", 0, write);
    REQUIRE(arm > write);
    CHECK(t.at(arm).value >= 10 * engine::kSec);
    CHECK(t.count(TraceType::kCallback, "", "flush") == 0);
    CHECK(t.count(TraceType::kCallback, "", "invoke") == 0);  // none by the end (1 s)

    const check::Violation* v = o.find("shrinker-ineffective");
    REQUIRE(v != nullptr);
    CHECK(v->severity == check::Severity::kWarning);
    CHECK(v->object == "lazy_len[1]");
    CHECK_THAT(v->message, Catch::StartsWith("9 lazy callbacks of rdp 1"));
    CHECK_FALSE(o.result.failed(false));  // a warning: no error
    CHECK(o.result.failed(true));
}

TEST_CASE("kernel::shrinker: without the straddle the v6.3 reset takes effect") {
    // j = 1: the enqueuer's write lands before the shrinker's reset; rcuog flushes.
    const Outcome o = run_s6("v6.3", 1);
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1});
    CHECK_FALSE(o.has("shrinker-ineffective"));
    CHECK(o.trace.count(TraceType::kCallback, "", "invoke") == 9);
}

TEST_CASE("kernel::shrinker: every variant before patch 2 shows S6") {
    const std::string variant = GENERATE("patch1-mutex", "patch1-trylock", "force-lock-recheck");
    const Outcome o = run_s6(variant, 2);
    INFO(variant << ": " << o.summary());
    REQUIRE(o.fired == std::vector<int>{1});
    CHECK(o.has("shrinker-ineffective"));
    CHECK(o.trace.count(TraceType::kCallback, "", "invoke") == 0);
}

TEST_CASE("kernel::shrinker: with patch 2 (v6.5) the scan flushes all nine callbacks (S6)") {
    const Outcome o = run_s6("v6.5", 2);
    INFO(o.summary());
    REQUIRE(o.fired == std::vector<int>{1});
    CHECK_FALSE(o.has("shrinker-ineffective"));
    // The scan waits for the enqueuer's bypass lock, then moves n + 1 = 9 callbacks.
    const long flush = o.trace.find(TraceType::kCallback, kShr, "flush", 1);
    REQUIRE(flush >= 0);
    CHECK(o.trace.at(flush).value == 9);
    const long ninth = o.trace.find_value(TraceType::kCounter, kEnq, "lazy_len", 1, 9);
    REQUIRE(ninth >= 0);
    CHECK(ninth < flush);
    CHECK(o.trace.count(TraceType::kCallback, "", "invoke") == 9);
    // What P2 buys here costs S7: the scan spins on CPU 1's bypass lock from CPU 0.
    CHECK(o.has("bypass-contention"));
}
