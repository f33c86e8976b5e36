// Kernel variants: the switches that select which version of each modelled function runs,
// and the named presets of CONTRACT.md (MODEL.md §4).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcusim::kernel {

// Body of lazy_rcu_shrink_scan() (MODEL.md §4).
enum class ShrinkerBase {
    kV0,  // v6.2-v6.4: no protection against (de-)offloading
    kV1,  // patch 1 v1: mutex_lock(barrier_mutex) around the scan
    kV2,  // patch 1 final: mutex_trylock(barrier_mutex), return 0 when contended
    kV3,  // force the raw nocb_lock, then re-check the offloaded state
};

struct Switches {
    ShrinkerBase shrinker = ShrinkerBase::kV0;
    bool p2 = false;                // P2: scan flushes the bypass instead of lazy_len = 0
    bool p3 = false;                // P3: re-read lazy_len under nocb_lock
    bool p4 = false;                // P4: count() trylocks too; both walk rcu_nocb_mask only
    bool l1 = false;                // L1: scan uses try-flush (v6.9, CVE-2024-35929)
    bool l2 = false;                // L2: no bypass-lock contention counter (v6.11)
    bool l5 = false;                // L5: lazy deferral reads rdp_gp's wake level (2025)
    bool gp_timer_check = false;    // v6.9: overload path checks rdp_gp->nocb_timer
    bool barrier_wake = true;       // v6.2: rcu_barrier() entrain wakes rcuog
    bool toggle_allocates = false;  // (de-)offload allocates while holding barrier_mutex
    bool operator==(const Switches&) const = default;
};

struct SwitchInfo {
    const char* name;
    const char* kind;  // "bool" or "shrinker"
    const char* help;
};

struct Preset {
    const char* name;
    const char* description;
    Switches switches;
    // The upstream code it follows: commits (torvalds/linux) or the LKML posting; or, for a
    // preset that is no kernel, says so.
    const char* follows = "";
};

const std::vector<SwitchInfo>& switch_infos();
const std::vector<Preset>& presets();
const Preset* find_preset(std::string_view name);

// Set one switch by name; false if the name is unknown or the value is of the wrong kind.
bool set_switch(Switches& s, std::string_view name, bool value);
bool set_shrinker(Switches& s, std::string_view value);  // "V0".."V3"
std::optional<bool> get_bool_switch(const Switches& s, std::string_view name);
const char* shrinker_name(ShrinkerBase b);
// "V2+P2+P3+P4" style summary.
std::string describe(const Switches& s);

}  // namespace rcusim::kernel
