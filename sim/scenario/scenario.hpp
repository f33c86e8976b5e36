// Scenario: the plain struct a scenario file (CONTRACT.md "rcusim-scenario/1") loads into,
// with every default filled in. Loading validates strictly: unknown keys, ops, variants and
// switches are errors with a did-you-mean; nothing is clamped silently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "engine/decision.hpp"
#include "engine/time.hpp"
#include "kernel/variant.hpp"

namespace rcusim::scenario {

using engine::Time;

constexpr int kMaxCpus = 4096;
constexpr int kMaxHz = 10000;
constexpr std::size_t kMaxFileBytes = std::size_t{16} << 20;  // scenario / repro files
constexpr int kMaxJsonDepth = 64;                             // nesting of objects and arrays
constexpr std::int64_t kMaxCallbacksPerEvent = 10'000'000;    // call_rcu "count"
constexpr std::int64_t kMaxTotalCallbacks = 100'000'000;      // sum of count x CPUs
// Events, counting one per CPU of a call_rcu CPU set: each starts an actor with its own stack
// frame, so this bounds the memory a small file can ask for (4096 CPUs x "all" adds up fast).
constexpr std::int64_t kMaxEvents = 1'000'000;
constexpr std::uint64_t kDefaultMaxSteps = 50'000'000;     // run.max_steps
constexpr std::uint64_t kMaxMaxSteps = 1'000'000'000'000;  // its largest accepted value

// Bad input: names the file, the JSON pointer and, for syntax errors, line and column.
class ConfigError : public std::runtime_error {
   public:
    ConfigError(std::string file, std::string pointer, std::string message, int line = 0,
                int column = 0);
    const std::string& file() const { return file_; }
    const std::string& pointer() const { return pointer_; }
    const std::string& message() const { return message_; }
    int line() const { return line_; }
    int column() const { return column_; }

   private:
    std::string file_, pointer_, message_;
    int line_, column_;
};

enum class Op {
    kCallRcu,
    kCallRcuHurry,
    kShrink,
    kDropCaches,
    kOffload,
    kDeoffload,
    kRcuBarrier,
    kAlloc,
    kCpuOffline,
    kCpuOnline,
};
const char* op_name(Op op);

struct Event {
    Time at = 0;
    Op op = Op::kCallRcu;
    // The CPU the caller runs on. For call_rcu / call_rcu_hurry a CPU set may be given:
    // one stream per CPU, in increasing CPU order. Other ops have exactly one CPU here.
    std::vector<int> cpus;
    std::string cpu_spec;     // as written ("all", "0-3", or the number), for dumping back
    int target = -1;          // offload / deoffload / cpu_offline / cpu_online
    bool lazy = true;         // call_rcu (call_rcu_hurry is never lazy)
    std::int64_t count = 1;   // call_rcu / call_rcu_hurry: callbacks per stream
    Time every = 0;           // spacing within a stream (0: back to back)
    bool irqs_off = false;    // the caller already has IRQs disabled
    std::int64_t nr_to_scan = 128;  // shrink (drop_caches: unlimited)
    bool operator==(const Event&) const = default;
};

struct Window {
    Time from = 0;
    Time to = 0;
    bool operator==(const Window&) const = default;
};

struct Scenario {
    std::string format = "rcusim-scenario/1";
    std::string name;
    std::string description;

    // machine
    int cpus = 4;
    int hz = 1000;
    std::vector<int> nocb_cpus;      // sorted, unique
    std::string nocb_spec = "all";   // as written
    int group_size = 0;              // 0 = kernel default (nr_cpu_ids / int_sqrt(nr_cpu_ids))

    // kernel
    std::string variant = "v6.3";
    std::vector<std::pair<std::string, std::string>> switch_overrides;  // as written (value
                                                                        // "true"/"false"/"V2")
    kernel::Switches switches;       // preset + overrides, resolved
    Time lazy_flush = 10 * engine::kSec;
    std::int64_t qhimark = 10000;
    Time gp_duration = 3 * engine::kMs;
    // Real-code mode: a kernel source directory or linux-source-*.tar.xz whose own
    // tree_nocb.h runs instead of the model ("" = the model), and the content hash it must
    // have ("sha256:...", "" = any; repro files record it).
    std::string kernel_source;
    std::string kernel_tree;
    // Real-code mode's data-race checker: "default" (KCSAN's default rules), "strict"
    // (CONFIG_KCSAN_STRICT) or "off" (large machines: its vector clocks grow with tasks^2).
    std::string data_races = "default";

    // memory
    std::vector<Window> pressure;

    std::vector<Event> events;       // in file order

    // explore (defaults for `run`)
    std::string strategy = "random";  // "random" | "scripted" (| "pct" once explore/ has it)
    std::uint64_t seed = 1;
    Time max_delay = 1 * engine::kMs;
    bool delay_in_irq_off = false;
    engine::DecisionLog decisions;    // explore.decisions, for "scripted"

    // run
    Time until = 30 * engine::kSec;
    std::uint64_t max_steps = kDefaultMaxSteps;  // the run stops there (exit 3 in the CLI)

    // expect
    std::optional<std::vector<std::string>> expect;  // violation kinds
};

// Field-by-field equality (DecisionLog has no operator==, so this cannot be defaulted).
bool operator==(const Scenario& a, const Scenario& b);

// Parse a duration: integer nanoseconds or "250ns" / "3us" / "10ms" / "2s" / "5j" (jiffies
// at `hz`). Returns nullopt with a reason on error.
std::optional<Time> parse_duration(const std::string& text, int hz, std::string* why);
// "all", "none", "0-3,7" over [0, ncpus). Returns nullopt with a reason on error.
std::optional<std::vector<int>> parse_cpu_set(const std::string& text, int ncpus, std::string* why);
// Renders a duration the shortest exact way ("10ms", "1500us", "7ns").
std::string format_duration(Time t);
// Renders a CPU set as the shortest range list ("0-3,7"; "none" when empty).
std::string format_cpu_set(const std::vector<int>& cpus);

// The violation kinds `expect` accepts (CONTRACT.md "Violation kinds"), in contract order.
const std::vector<std::string>& violation_kind_names();
// The ops' file names, in Op order.
const std::vector<std::string>& op_names();

// Loading. `origin` names the file in error messages.
Scenario load_scenario_file(const std::string& path);
Scenario load_scenario_text(const std::string& text, const std::string& origin);

// Applies --variant (resolving switches anew, keeping the file's overrides) and --seed.
void apply_variant(Scenario& s, const std::string& variant, const std::string& origin);

// Closest candidate by edit distance, or "" when nothing is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace rcusim::scenario
