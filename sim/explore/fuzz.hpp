// Campaigns: one execution per seed, in parallel on a Boost.Asio thread_pool, stopping at
// the first failure (or grouping failures by signature with keep_going), with automatic
// minimization of what was found. Results do not depend on the number of jobs: the first
// failing seed is the smallest failing seed, and repros come from sequential, deterministic
// minimization.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "explore/repro.hpp"
#include "kernel/goals.hpp"
#include "scenario/runner.hpp"

namespace rcusim::explore {

struct SeedRange {
    std::uint64_t lo = 0, hi = 999;  // inclusive
};

struct FuzzOptions {
    SeedRange seeds;
    int jobs = 1;
    std::string strategy = "random";  // "random" | "pct"
    int pct_depth = 3;
    double time_limit_s = 0;          // 0: none
    bool keep_going = false;
    bool strict = false;              // warnings are failures too
    bool minimize = true;
    // Non-empty: only violations of this kind are failures (whatever their severity); the
    // others are passed over, and runs do not stop at them.
    std::string stop_on;
    int shard_k = 0, shard_n = 1;     // this process runs seeds with (s - lo) % n == k
    const std::atomic<bool>* stop = nullptr;  // set by a signal handler
    // Called about every 200 ms from the calling thread while workers run.
    std::function<void(std::uint64_t done, std::uint64_t total, std::uint64_t failures,
                       double elapsed_s)>
        progress;
};

struct Failure {
    std::string signature;  // kind|object|site
    std::string kind;
    std::uint64_t seed = 0;      // smallest seed that showed this signature
    std::uint64_t count = 0;     // executions that showed it
    Repro repro;                 // minimized (or as found)
    std::uint64_t original_decisions = 0;
    std::uint64_t original_events = 0;
};

// Coverage of one goal (kernel/goals.hpp) over the executions of a campaign.
struct GoalCoverage {
    std::uint64_t executions = 0;        // executions that hit the goal at least once
    std::optional<std::uint64_t> first;  // fuzz: smallest such seed; explore: lowest level
    bool operator==(const GoalCoverage&) const = default;
};
using Coverage = std::array<GoalCoverage, kernel::kGoalCount>;  // indexed by kernel::Goal

// The goals a run hit, as a bit mask (bit i: kernel::Goal i).
std::uint32_t goal_mask(const scenario::RunResult& r);
// Adds one execution that hit `mask`; `at` is its seed (fuzz) or level (explore).
void add_coverage(Coverage& c, std::uint32_t mask, std::uint64_t at);

// Coverage of a campaign, the same for any --jobs. all() takes every execution run. Without
// --keep-going a campaign counts only the seeds up to the first failure, and executions past
// it may have run on other workers: counted() takes a run only once every smaller index is
// done (so a failure below it, if any, is known by then) and only if it is not past the first
// failure. Runs that finished out of order wait in a window (slot k: index w + k).
class CoverageTally {
   public:
    // Execution i (the i-th seed of the campaign) hit `mask`. first_fail: the smallest failing
    // index known, including i if it failed (UINT64_MAX: none, or --keep-going). Indices may
    // come in any order, each once; not thread-safe.
    void add(std::uint64_t i, std::uint32_t mask, std::uint64_t first_fail, std::uint64_t seed);
    const Coverage& all() const { return all_; }
    const Coverage& counted() const { return counted_; }

   private:
    struct Slot {
        std::uint64_t mask;  // kPending.mask: not done yet
        std::uint64_t seed;
    };
    static constexpr Slot kPending{UINT64_MAX, 0};
    Coverage all_{}, counted_{};
    std::uint64_t w_ = 0;  // every index below is done
    std::deque<Slot> window_;
};

struct FuzzResult {
    std::uint64_t executions = 0;       // executions counted (seeds up to the first failure)
    std::uint64_t executions_run = 0;   // executions actually run (some beyond it, in parallel)
    std::uint64_t steps = 0;            // steps of the executions run
    double elapsed_s = 0;
    std::optional<std::uint64_t> first_failure_seed;
    std::vector<Failure> failures;      // by increasing seed
    bool interrupted = false;
    bool time_limited = false;
    std::uint64_t seeds_total = 0;      // seeds this shard owns in the range
    std::uint64_t pct_k = 0;            // PCT: expected steps k used
    int pct_n = 0;                      // PCT: actors n
    // Per goal: of the `executions` counted, how many hit it, and the smallest seed that did.
    // Like the counts above, it does not depend on --jobs.
    Coverage coverage{};
    // Without --strict, the warning kinds the counted executions showed (they are not
    // failures then, but a user wants to know): executions and smallest seed, by kind.
    struct WarningSeen {
        std::string kind;
        std::uint64_t executions = 0;
        std::uint64_t first_seed = 0;
    };
    std::vector<WarningSeen> warnings;
    // Executions 0..completed-1 of this shard all ran (an interrupted or time-limited
    // campaign resumes from there: resume_seeds()).
    std::uint64_t completed = 0;
    // Set by the caller for the summary: the command that runs what is left ("" = nothing).
    std::string resume;
};

// Probe run (seed lo, random) to size PCT: steps and actors of one execution.
std::pair<std::uint64_t, int> probe_size(const scenario::Scenario& s);

FuzzResult fuzz(const scenario::Scenario& s, const FuzzOptions& o);

// What an interrupted or time-limited campaign left: the seed range (and shard) that runs
// exactly the executions not completed; nullopt when every one ran.
struct ResumeRange {
    SeedRange seeds;
    int shard_n = 1;  // shard 0/shard_n of `seeds` (1: no shard)
};
std::optional<ResumeRange> resume_range(const FuzzOptions& o, const FuzzResult& r);

// Runs one seed of a campaign (for fuzz workers and for tests).
scenario::RunResult run_seed(const scenario::Scenario& s, const std::string& strategy,
                             std::uint64_t seed, int pct_depth, std::uint64_t pct_k, int pct_n,
                             bool stop_on_error);

// The primary signature of a run: its first error (or, strict, first) violation.
std::optional<check::Violation> primary_violation(const scenario::RunResult& r, bool strict,
                                                  const std::string& only_kind = "");

// ---- minimization (delta debugging)
struct MinimizeResult {
    Repro repro;
    std::uint64_t trials = 0;
    std::size_t decisions_before = 0, decisions_after = 0;
    std::size_t events_before = 0, events_after = 0;
    bool kept = false;  // the kind still shows
};
// Shrinks the decision log, then the scenario's events and callback counts, while a
// violation of `kind` still appears; ends with a full run that records the digest.
MinimizeResult minimize(const Repro& r, const std::string& kind, std::uint64_t max_trials = 3000);

}  // namespace rcusim::explore
