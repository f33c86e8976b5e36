// EventQueue: timed callbacks ordered by (at, phase, seq), never by time alone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "engine/event_queue.hpp"
#include "engine/prng.hpp"

using rcusim::engine::EventQueue;
using rcusim::engine::Prng;
using rcusim::engine::Time;
using rcusim::engine::TimedEvent;

namespace {

void noop(void*, std::uint64_t) {}

// Pops everything, returning the `arg` of each event in pop order.
std::vector<std::uint64_t> drain(EventQueue& q) {
    std::vector<std::uint64_t> out;
    while (!q.empty()) out.push_back(q.pop().arg);
    return out;
}

}  // namespace

TEST_CASE("engine::queue: pops in time order whatever the push order") {
    EventQueue q;
    q.push(30, 0, &noop, nullptr, 3);
    q.push(10, 0, &noop, nullptr, 1);
    q.push(20, 0, &noop, nullptr, 2);
    q.push(5, 0, &noop, nullptr, 0);
    CHECK(q.size() == 4);
    CHECK(q.top().at == 5);
    CHECK(drain(q) == std::vector<std::uint64_t>{0, 1, 2, 3});
    CHECK(q.empty());
}

TEST_CASE("engine::queue: same instant orders by phase then seq") {
    EventQueue q;
    q.push(5, 2, &noop, nullptr, 100);  // seq 0
    q.push(5, 0, &noop, nullptr, 101);  // seq 1
    q.push(5, 1, &noop, nullptr, 102);  // seq 2
    q.push(5, 0, &noop, nullptr, 103);  // seq 3
    q.push(4, 9, &noop, nullptr, 104);  // earlier instant beats any phase
    q.push(5, 1, &noop, nullptr, 105);  // seq 5
    CHECK(drain(q) == std::vector<std::uint64_t>{104, 101, 103, 102, 105, 100});
}

TEST_CASE("engine::queue: seq numbers keep growing across pops") {
    // Events pushed after a pop still run after earlier-scheduled events of the same key.
    EventQueue q;
    q.push(7, 0, &noop, nullptr, 0);
    q.push(7, 0, &noop, nullptr, 1);
    CHECK(q.pop().arg == 0);
    q.push(7, 0, &noop, nullptr, 2);
    q.push(7, 0, &noop, nullptr, 3);
    CHECK(drain(q) == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("engine::queue: many events pop like a stable sort by (at, phase)") {
    // Few distinct times and phases, so ties are the common case.
    for (std::uint64_t seed = 0; seed < 8; ++seed) {
        Prng rng(seed, "test.queue");
        EventQueue q;
        std::vector<TimedEvent> ref;
        const int n = 500 + static_cast<int>(rng.below(500));
        for (int i = 0; i < n; ++i) {
            const Time at = rng.range(0, 20);
            const auto phase = static_cast<std::int32_t>(rng.below(4));
            q.push(at, phase, &noop, nullptr, static_cast<std::uint64_t>(i));
            ref.push_back({at, phase, static_cast<std::uint64_t>(i), &noop, nullptr,
                           static_cast<std::uint64_t>(i)});
        }
        std::stable_sort(ref.begin(), ref.end(), [](const TimedEvent& a, const TimedEvent& b) {
            return a.at != b.at ? a.at < b.at : a.phase < b.phase;
        });
        std::vector<std::uint64_t> want;
        for (const auto& e : ref) want.push_back(e.arg);
        INFO("seed " << seed);
        CHECK(drain(q) == want);
    }
}

TEST_CASE("engine::queue: interleaved pushes and pops keep the order") {
    // New events always land after the last popped instant, so the popped keys
    // (at, phase, seq) must be strictly increasing.
    Prng rng(99, "test.queue.mixed");
    EventQueue q;
    Time now = 0;
    std::uint64_t next_id = 0;
    bool have_last = false;
    Time last_at = 0;
    std::int32_t last_phase = 0;
    std::uint64_t last_seq = 0;
    int pops = 0;
    for (int round = 0; round < 2000; ++round) {
        if (q.empty() || rng.chance(3, 5)) {
            q.push(now + 1 + rng.range(0, 9), static_cast<std::int32_t>(rng.below(3)), &noop,
                   nullptr, next_id++);
        } else {
            TimedEvent e = q.pop();
            ++pops;
            if (have_last) {
                const bool later = e.at != last_at       ? e.at > last_at
                                   : e.phase != last_phase ? e.phase > last_phase
                                                           : e.seq > last_seq;
                REQUIRE(later);
            }
            have_last = true;
            now = e.at;
            last_at = e.at;
            last_phase = e.phase;
            last_seq = e.seq;
        }
    }
    CHECK(pops > 500);
}
