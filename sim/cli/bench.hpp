// rcusim bench (see bench.cpp).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace rcusim::cli {

// Runs the benchmarks (all, or the one named: engine, model, fuzz, race, explore); prints a
// line per figure unless quiet; returns the figures.
nlohmann::json run_benchmarks(const std::string& only, bool quiet);

}  // namespace rcusim::cli
