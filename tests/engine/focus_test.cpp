// The random strategy's focused runs: delays concentrate on resources the model marks hot
// (Simulator::heat), and unfocused runs are the plain conflict-directed random schedule.
#include <catch2/catch.hpp>

#include <cstdint>
#include <span>

#include "engine/decision.hpp"
#include "engine/simulator.hpp"
#include "engine_helpers.hpp"

using namespace rcusim::engine;
using namespace rcusim::engine::testing;

namespace {

constexpr Resource kHot = 21;
constexpr Resource kCold = 22;

// Asks `inner` for a delay at every point and counts the non-zero answers per resource,
// then answers 0 so the run itself does not change.
class Probe final : public Strategy {
   public:
    explicit Probe(Strategy& inner) : inner_(inner) {}
    std::uint64_t pick(std::uint64_t p, std::span<const ActorId> q, const Simulator& s) override {
        return inner_.pick(p, q, s);
    }
    std::uint64_t delay(std::uint64_t p, const Actor& a, const Simulator& s) override {
        const bool d = inner_.delay(p, a, s) != 0;
        if (a.resource == kHot) (d ? hot_delayed : hot_plain)++;
        if (a.resource == kCold) (d ? cold_delayed : cold_plain)++;
        return 0;
    }
    int hot_delayed = 0, hot_plain = 0, cold_delayed = 0, cold_plain = 0;

   private:
    Strategy& inner_;
};

Task<void> toucher(Simulator& sim, Actor& self, Resource r, int n) {
    for (int i = 0; i < n; ++i) {
        co_await sim.point(self, "acquire", i, r);
        sim.touch(r);
        co_await sim.sleep_until(self, sim.now() + kUs, "nap");
    }
}

Probe run_probe(Strategy& st, bool heat) {
    Probe probe(st);
    SchedulerConfig cfg;
    cfg.max_delay = 100 * kUs;
    Simulator sim(cfg, probe, 2);
    if (heat) sim.heat(kHot, 1);
    add_actor(sim, "hot", 0, [&](Actor& a) { return toucher(sim, a, kHot, 200); });
    add_actor(sim, "cold", 1, [&](Actor& a) { return toucher(sim, a, kCold, 200); });
    sim.run(kSec);
    return probe;
}

}  // namespace

TEST_CASE("engine::heat: nested marks count, the last unmark cools the resource") {
    FirstStrategy st;
    Simulator sim(SchedulerConfig{}, st, 1);
    CHECK_FALSE(sim.any_hot());
    sim.heat(kHot, 1);
    sim.heat(kHot, 1);
    sim.heat(kCold, 1);
    CHECK(sim.hot(kHot));
    CHECK(sim.hot(kCold));
    sim.heat(kHot, -1);
    CHECK(sim.hot(kHot));
    sim.heat(kHot, -1);
    CHECK_FALSE(sim.hot(kHot));
    CHECK(sim.hot(kCold));
    sim.heat(kCold, -1);
    CHECK_FALSE(sim.any_hot());
}

TEST_CASE("engine::random: focused runs delay at hot resources, rarely elsewhere") {
    int focused = 0, unfocused = 0;
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        RandomStrategy st(seed);
        const Probe p = run_probe(st, true);
        INFO("seed " << seed);
        if (st.focused()) {
            ++focused;
            CHECK(p.hot_delayed == 200);  // hot_den = 1: every hot point
            CHECK(p.cold_delayed * 20 < p.cold_delayed + p.cold_plain);
        } else {
            ++unfocused;
            // Plain conflict-directed: both resources alike, about half the points.
            CHECK(p.hot_delayed > 50);
            CHECK(p.hot_delayed < 150);
            CHECK(p.cold_delayed > 50);
            CHECK(p.cold_delayed < 150);
        }
    }
    // About half the seeds are focused.
    CHECK(focused > 10);
    CHECK(unfocused > 10);
}

TEST_CASE("engine::random: with focus off every run is the plain random schedule") {
    RandomParams off;
    off.focus_num = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        RandomStrategy st(seed, off);
        CHECK_FALSE(st.focused());
        const Probe p = run_probe(st, true);
        CHECK(p.cold_delayed > 50);
    }
}

TEST_CASE("engine::random: a focused run without hot resources hardly delays") {
    for (std::uint64_t seed = 0; seed < 40; ++seed) {
        RandomStrategy st(seed);
        if (!st.focused()) continue;
        const Probe p = run_probe(st, false);
        CHECK(p.hot_delayed + p.cold_delayed < 10);
    }
}
