// Human and JSON reports for the CLI.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "scenario/runner.hpp"
#include "scenario/scenario.hpp"

namespace rcusim::cli {

std::string run_header(const scenario::Scenario& s, const scenario::RunResult& r);
std::string run_summary(const scenario::Scenario& s, const scenario::RunResult& r,
                        double wall_s, const std::string& repro, const std::string& trace);
nlohmann::json run_json(const scenario::Scenario& s, const scenario::RunResult& r,
                        const std::string& repro, double wall_s);

}  // namespace rcusim::cli
