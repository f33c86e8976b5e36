// libFuzzer target for the two loaders that read files users hand to rcusim: the scenario
// loader (load_scenario_text) and the repro loader (load_repro_text). The first byte selects
// the loader (even: scenario, odd: repro); the rest is the file's text.
//
// Contract checked: any input loads or throws scenario::ConfigError, never anything else (an
// escaping exception, a sanitizer report or a crash aborts the process, which libFuzzer
// reports). A scenario that loads survives the canonical round trip unchanged.
//
// Built and run by tests/fuzz/run_fuzz.sh (the CTest `fuzz_loaders`); by hand, see README.md
// "Bad input".
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "explore/repro.hpp"
#include "scenario/scenario.hpp"
#include "scenario/scenario_json.hpp"

using namespace rcusim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // read_input_file() refuses larger files before any parsing.
    if (size - 1 > scenario::kMaxFileBytes) return 0;
    const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        if (data[0] % 2 == 0) {
            const scenario::Scenario s = scenario::load_scenario_text(text, "fuzz.json");
            const scenario::Scenario back =
                scenario::scenario_from_json(scenario::scenario_to_json(s), "canonical");
            if (!(back == s)) {
                std::fprintf(stderr, "canonical round trip changed the scenario\n");
                std::abort();
            }
        } else {
            explore::load_repro_text(text, "fuzz.repro.json");
        }
    } catch (const scenario::ConfigError& e) {
        // The message must name the origin.
        const std::string what = e.what();
        if (what.rfind(data[0] % 2 == 0 ? "fuzz.json" : "fuzz.repro.json", 0) != 0) {
            std::fprintf(stderr, "ConfigError without the file name: %s\n", what.c_str());
            std::abort();
        }
    }
    return 0;
}
