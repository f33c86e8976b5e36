// Coverage goals ("sometimes" properties, as in Antithesis): named moments at which a run
// reaches the race window of a MODEL.md §6 scenario. A goal marks the window, not the bug:
// a fixed variant may reach a window and stay correct, and a clean campaign whose goals were
// never hit says nothing about the race. The kernel model counts hits at the exact model
// step with Kernel::goal(): one increment in a per-run fixed array; counting changes no
// schedule, decision or trace event.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rcusim::kernel {

// Declaration order is the order of every report.
enum class Goal : std::uint8_t {
    kShrinkerInDeoffload,
    kShrinkerInOffload,
    kLockingFlippedUnderShrinker,
    kBarrierMutexTrylockFailed,
    kReclaimWhileToggling,
    kEnqueueRacedShrinkerReset,
    kStaleLazyLen,
    kBypassLockRemoteContended,
    kTryFlushSkipped,
    kLazyRequestWhileWakePending,
    kBarrierEntrainNeedsWake,
    kDeoffloadWithLazyCallbacks,
    kCount_,
};
inline constexpr std::size_t kGoalCount = static_cast<std::size_t>(Goal::kCount_);

// Hits per goal in one run, indexed by Goal.
using GoalCounts = std::array<std::uint64_t, kGoalCount>;

struct GoalInfo {
    Goal goal;
    const char* name;         // stable kebab-case name (reports, JSON)
    const char* scenario;     // the MODEL.md §6 scenario(s) whose window it marks
    const char* description;  // one line
    // Violation kinds (space-separated) whose race window this goal marks exactly: a
    // campaign that expects one of them and never hit any of its goals never reached it.
    const char* window_of;
};

const std::array<GoalInfo, kGoalCount>& goal_infos();
const GoalInfo& goal_info(Goal g);
inline const char* goal_name(Goal g) { return goal_info(g).name; }
std::optional<Goal> goal_by_name(std::string_view name);
// True when `g` marks the race window of violation kind `kind` (GoalInfo::window_of).
bool goal_marks_window_of(Goal g, std::string_view kind);

}  // namespace rcusim::kernel
