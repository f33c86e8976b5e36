// Bounded exhaustive exploration, stateless, by re-execution (CHESS-style iterative
// bounding; the bound is on deviations from a deterministic default schedule, as in
// delay-bounded scheduling, Emmi, Qadeer, Rakamaric, POPL 2011).
//
// The default schedule continues the actor that stepped last while it is runnable (else the
// lowest actor id) and never delays. A deviation is one non-default decision: another pick
// at an instant with several runnable actors, or a delay (of 1..16 touches, or 1..8 that
// also survive idle periods) at a point that declared a resource. A schedule is the sorted
// list of its deviations; children of a schedule deviate only after its last deviation, so
// every schedule with at most K deviations is run exactly once. Levels run in order
// (0, 1, ..., K); within a level the schedules are split over the jobs, and the reported
// failure is the smallest failing schedule of the first failing level, whatever --jobs is.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "explore/fuzz.hpp"
#include "explore/repro.hpp"

namespace rcusim::explore {

struct ExploreOptions {
    int bound = 2;
    int jobs = 1;
    bool strict = false;
    std::uint64_t max_schedules = 20'000'000;
    double time_limit_s = 0;
    const std::atomic<bool>* stop = nullptr;
};

struct ExploreResult {
    std::uint64_t schedules = 0;
    std::vector<std::uint64_t> per_level;
    bool bound_exhausted = false;  // every schedule within the bound ran
    int level_reached = 0;
    std::uint64_t distinct_outcomes = 0;  // distinct (violation kinds, steps, end time)
    std::optional<Repro> found;  // the first failing schedule of the first failing level
    std::string kind;
    // Every error kind seen at that level, each with its first schedule's repro.
    std::vector<std::pair<std::string, Repro>> found_kinds;
    double elapsed_s = 0;
    bool interrupted = false;
    // Per goal: how many of the schedules run hit it, and the lowest level (number of
    // deviations) at which one did (GoalCoverage::first).
    Coverage coverage{};
};

ExploreResult explore_bounded(const scenario::Scenario& s, const ExploreOptions& o);

}  // namespace rcusim::explore
