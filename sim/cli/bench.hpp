// rcusim bench (see bench.cpp).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rcusim::cli {

struct BenchOptions {
    std::string only;                         // one benchmark: engine, model, fuzz, race, explore, real
    std::vector<int> cpus{64, 256, 1024, 4096};  // machine sizes of the model rows
    int repeat = 1;                           // runs per model row / scenario (best and median)
    std::vector<std::string> scenarios;       // scenario files to time (as `run` runs them)
    bool quiet = false;                       // no text lines (for --json)
    // Real-code rows: this kernel tree ("" = Debian's linux-source-6.12 when installed;
    // without a tree the rows are skipped, saying so).
    std::string kernel;
};

// Runs the benchmarks (all, or the one named: engine, model, fuzz, race, explore, real; only
// the scenario files when some are given); prints a line per figure unless quiet; returns
// the figures.
nlohmann::json run_benchmarks(const BenchOptions& o);

}  // namespace rcusim::cli
