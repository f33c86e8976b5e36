// Campaign folders: what `fuzz --out DIR` writes (summary.json + one repro per distinct
// failure) and what `merge` combines (shards of one campaign, or several campaigns).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/fuzz.hpp"

namespace rcusim::explore {

// Writes the repros (minimized) and DIR/summary.json; returns the repro paths.
std::vector<std::string> write_campaign(const std::string& dir, const scenario::Scenario& s,
                                        const FuzzOptions& o, const FuzzResult& r);
nlohmann::json campaign_json(const scenario::Scenario& s, const FuzzOptions& o,
                             const FuzzResult& r, const std::vector<std::string>& repros);

// ---- coverage goals (kernel/goals.hpp) in reports
// Per goal, by name, in declaration order (names a newer build wrote follow, sorted).
using NamedCoverage = std::vector<std::pair<std::string, GoalCoverage>>;
NamedCoverage named(const Coverage& c);
// {"NAME": {"executions": N, FIRST_KEY: S or null}} for every goal (never hit: 0 and null).
nlohmann::json coverage_json(const NamedCoverage& c, const std::string& first_key);
// The text block: one line per goal, "hit in N of TOTAL UNIT (FIRST_LABEL S)" or "never hit".
std::string coverage_text(const NamedCoverage& c, std::uint64_t total, const std::string& unit,
                          const std::string& first_label);
// When nothing was found: a hint for each kind the scenario expects whose race window (the
// goals that mark it) was never reached. Empty when there is nothing to say.
// `advice` ends the hint ("more seeds ... may reach it").
std::string coverage_hint(const scenario::Scenario& s, const Coverage& c,
                          const std::string& advice);

struct MergedFailure {
    std::string signature, kind, repro;
    std::uint64_t seed = 0, count = 0;
    std::string from;  // folder it came from
};
struct MergeResult {
    std::uint64_t executions = 0;
    double elapsed_s = 0;  // sum over the folders (CPU time of the campaign)
    std::vector<std::string> folders;
    std::vector<std::string> shards;  // "K/N" per folder
    std::vector<MergedFailure> failures;  // deduplicated by signature, smallest seed kept
    // Summed executions and smallest first seed per goal; none when a folder's summary has
    // no coverage (written by an older rcusim).
    std::optional<NamedCoverage> coverage;
    // Summed executions and smallest first seed per warning kind (non-strict campaigns).
    std::vector<FuzzResult::WarningSeen> warnings;
    nlohmann::json json() const;
};
// The "warnings" array of a campaign summary.
nlohmann::json warnings_json(const std::vector<FuzzResult::WarningSeen>& w);
// Throws scenario::ConfigError for a folder without a valid summary.json.
MergeResult merge_campaigns(const std::vector<std::string>& dirs, const std::string& out_dir);

}  // namespace rcusim::explore
