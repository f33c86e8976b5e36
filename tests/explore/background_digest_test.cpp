// BackgroundDigest hashes on a worker thread: it must give the digest DigestSink gives,
// for whole runs and mid-stream, with event texts that the caller overwrites at once.
#include <catch2/catch.hpp>
#include <string>

#include "explore/background_digest.hpp"
#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"
#include "support/campaign.hpp"

using namespace rcusim;

TEST_CASE("explore::background_digest: equals the inline digest, read at any point") {
    trace::DigestSink inline_digest;
    explore::BackgroundDigest bg;
    std::string text;  // reused buffer: the sink must copy what it is given
    const std::size_t n = 60000;  // several chunks (an event packs into about 20 bytes)
    for (std::size_t i = 0; i < n; ++i) {
        text = i % 7 == 0 ? "" : "flags " + std::to_string(i * 7919 % 1000);
        // Time moves every few events, the step every other one, like a run's stream.
        engine::TraceEvent e{.at = static_cast<engine::Time>(i / 5 * 10),
                             .step = i / 2,
                             .type = i % 3 == 0 ? engine::TraceType::kFlags
                                                : engine::TraceType::kCounter,
                             .cpu = static_cast<engine::CpuId>(i % 5) - 1,
                             .name = "lazy_len",
                             .idx = static_cast<std::int32_t>(i % 64),
                             .value = static_cast<std::int64_t>(i) - 30000,
                             .text = text};
        inline_digest.on_event(e);
        bg.on_event(e);
        text.assign(text.size(), 'x');
        if (i == 100 || i == 20000) CHECK(bg.digest() == inline_digest.digest());
        if (i == 30000) {  // a text longer than a chunk
            const std::string big(3 * explore::BackgroundDigest::kChunkBytes, 'y');
            engine::TraceEvent note{.at = e.at, .step = i, .type = engine::TraceType::kNote,
                                    .name = "big", .text = big};
            inline_digest.on_event(note);
            bg.on_event(note);
        }
    }
    CHECK(bg.digest() == inline_digest.digest());
    CHECK(bg.digest() == inline_digest.digest());  // reading twice changes nothing
}

TEST_CASE("explore::background_digest: a run digests the same on either sink") {
    // Enough steps to fill several chunks (busy-64 runs about 10^5 steps).
    const auto s = scenario::load_scenario_file("configs/busy-64.json");
    scenario::RunOptions plain;
    const auto a = scenario::run_scenario(s, plain);
    explore::BackgroundDigest bg;
    scenario::RunOptions threaded;
    threaded.digester = &bg;
    const auto b = scenario::run_scenario(s, threaded);
    REQUIRE(a.steps > 20000);
    CHECK(a.digest == b.digest);
    CHECK(a.steps == b.steps);

    // A different seed gives a different digest through the background sink too.
    explore::BackgroundDigest bg2;
    scenario::RunOptions other;
    other.digester = &bg2;
    other.seed = s.seed + 1;
    CHECK(scenario::run_scenario(s, other).digest != b.digest);
}
