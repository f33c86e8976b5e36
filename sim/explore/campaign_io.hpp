// Campaign folders: what `fuzz --out DIR` writes (summary.json + one repro per distinct
// failure) and what `merge` combines (shards of one campaign, or several campaigns).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "explore/fuzz.hpp"

namespace rcusim::explore {

// Writes the repros (minimized) and DIR/summary.json; returns the repro paths.
std::vector<std::string> write_campaign(const std::string& dir, const scenario::Scenario& s,
                                        const FuzzOptions& o, const FuzzResult& r);
nlohmann::json campaign_json(const scenario::Scenario& s, const FuzzOptions& o,
                             const FuzzResult& r, const std::vector<std::string>& repros);

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
    nlohmann::json json() const;
};
// Throws scenario::ConfigError for a folder without a valid summary.json.
MergeResult merge_campaigns(const std::vector<std::string>& dirs, const std::string& out_dir);

}  // namespace rcusim::explore
