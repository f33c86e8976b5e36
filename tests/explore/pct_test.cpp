// PCT's probabilistic guarantee (Burckhardt et al., ASPLOS 2010): a depth-d bug is found with
// probability at least 1/(n * k^(d-1)) per run; runs for 99% is the smallest r with
// (1 - p)^r <= 0.01. And a PCT campaign is sized by the probe run (n actors, k steps).
#include "explore/pct.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>

#include "explore/campaign_io.hpp"
#include "explore/fuzz.hpp"
#include "support/campaign.hpp"

using namespace rcusim;

namespace {

// Independent of pct.cpp: integer power, then the definition of "runs for 99%" checked
// around the reported figure rather than re-derived with the same formula.
double per_run(int n, std::uint64_t k, int d) {
    double denom = n;
    for (int i = 1; i < d; ++i) denom *= static_cast<double>(k);
    return 1.0 / denom;
}

void check_guarantee(int n, std::uint64_t k, int d) {
    INFO("n " << n << ", k " << k << ", d " << d);
    const auto g = explore::pct_guarantee(n, k, d);
    const double p = per_run(n, k, d);
    CHECK(g.per_run == Approx(p).epsilon(1e-12));
    // The smallest whole number of runs that misses with probability <= 1%.
    CHECK(g.runs_for_99 == std::floor(g.runs_for_99));
    CHECK(g.runs_for_99 >= 1);
    if (p < 1) {
        const double miss = std::exp(g.runs_for_99 * std::log1p(-p));
        CHECK(miss <= 0.01 * (1 + 1e-9));
        const double miss_one_less = std::exp((g.runs_for_99 - 1) * std::log1p(-p));
        CHECK(miss_one_less > 0.01 * (1 - 1e-9));
    } else {
        CHECK(g.runs_for_99 == 1);
    }
}

}  // namespace

TEST_CASE("explore::pct: the per-run guarantee is 1/(n k^(d-1)) and runs for 99% fit it") {
    check_guarantee(15, 157, 3);
    check_guarantee(15, 157, 1);  // depth 1: 1/n
    check_guarantee(4, 10, 2);
    check_guarantee(2, 1, 3);  // k = 1: 1/n whatever d
    check_guarantee(1, 1, 1);  // certain: one run
    check_guarantee(100, 100000, 4);
    // Known values: depth 1 with 2 actors needs 7 runs (0.5^7 < 1% <= 0.5^6); 1/(15*157^2).
    CHECK(explore::pct_guarantee(2, 50, 1).runs_for_99 == 7);
    CHECK(explore::pct_guarantee(15, 157, 3).per_run == Approx(1.0 / 369735.0));
    CHECK(explore::pct_guarantee(15, 157, 3).runs_for_99 ==
          Approx(std::log(100.0) * 369735.0).epsilon(1e-5));
}

TEST_CASE("explore::pct: a PCT campaign is sized by the probe run and reports its guarantee") {
    const auto s = rcusim::testing::seed_race("v6.5");
    // The probe: one random run; its steps (k) and actors (n).
    const auto [k, n] = explore::probe_size(s);
    REQUIRE(k > 1);
    REQUIRE(n > 1);

    explore::FuzzOptions o;
    o.seeds = {0, 19};
    o.strategy = "pct";
    o.pct_depth = 3;
    const auto r = explore::fuzz(s, o);
    CHECK(r.pct_k == k);
    CHECK(r.pct_n == n);
    const auto j = explore::campaign_json(s, o, r, {});
    REQUIRE(j.contains("pct"));
    CHECK(j["pct"]["n"] == n);
    CHECK(j["pct"]["k"] == k);
    CHECK(j["pct"]["depth"] == 3);
    CHECK(j["pct"]["per_run"].get<double>() == Approx(1.0 / (n * double(k) * double(k))));
    CHECK(j["pct"]["runs_for_99"].get<double>() == explore::pct_guarantee(n, k, 3).runs_for_99);
    // Random campaigns say nothing about PCT.
    o.strategy = "random";
    CHECK_FALSE(explore::campaign_json(s, o, explore::fuzz(s, o), {}).contains("pct"));
}
