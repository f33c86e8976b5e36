#include "kernel/variant.hpp"

namespace rcusim::kernel {

namespace {

Switches make(ShrinkerBase b, bool p2, bool p3, bool p4, bool l1, bool timer, bool l2, bool l5) {
    Switches s;
    s.shrinker = b;
    s.p2 = p2;
    s.p3 = p3;
    s.p4 = p4;
    s.l1 = l1;
    s.gp_timer_check = timer;
    s.l2 = l2;
    s.l5 = l5;
    return s;
}

struct BoolSwitch {
    const char* name;
    bool Switches::*field;
};

constexpr BoolSwitch kBools[] = {
    {"P2", &Switches::p2},
    {"P3", &Switches::p3},
    {"P4", &Switches::p4},
    {"L1", &Switches::l1},
    {"L2", &Switches::l2},
    {"L5", &Switches::l5},
    {"gp_timer_check", &Switches::gp_timer_check},
    {"barrier_wake", &Switches::barrier_wake},
    {"toggle_allocates", &Switches::toggle_allocates},
};

}  // namespace

const std::vector<SwitchInfo>& switch_infos() {
    static const std::vector<SwitchInfo> infos = {
        {"shrinker", "shrinker",
         "scan body: V0 unprotected (v6.3), V1 mutex_lock(barrier_mutex), V2 "
         "mutex_trylock(barrier_mutex), V3 raw nocb_lock + re-check"},
        {"P2", "bool", "patch 2: scan flushes the bypass instead of writing lazy_len = 0"},
        {"P3", "bool", "patch 3: re-read lazy_len under nocb_lock, skip if 0"},
        {"P4", "bool", "patch 4: count() trylocks barrier_mutex; walk rcu_nocb_mask only"},
        {"L1", "bool", "v6.9: scan uses the try-flush (no spinning on a remote bypass lock)"},
        {"L2", "bool", "v6.11: bypass-lock contention counter and wait loop removed"},
        {"L5", "bool", "2025: lazy deferral checks rdp_gp->nocb_defer_wakeup"},
        {"gp_timer_check", "bool", "v6.9: overload deferral checks rdp_gp->nocb_timer"},
        {"barrier_wake", "bool", "v6.2: rcu_barrier() entrain wakes rcuog (off = S10 bug)"},
        {"toggle_allocates", "bool",
         "(de-)offload allocates while holding barrier_mutex (OOM-deadlock chain, S3)"},
    };
    return infos;
}

const std::vector<Preset>& presets() {
    using B = ShrinkerBase;
    static const std::vector<Preset> list = {
        {"v6.3", "V0: the original lazy shrinker, no protection against (de-)offloading",
         make(B::kV0, false, false, false, false, false, false, false),
         "v6.3/v6.4 tree_nocb.h (torvalds/linux, the parent of 5c83cedbaaad)"},
        {"patch1-mutex", "V1: first posting of the seed patch, mutex_lock(barrier_mutex)",
         make(B::kV1, false, false, false, false, false, false, false),
         "[PATCH 1/4] v1, 20230322194456.2331527-2-frederic@kernel.org (posted, not merged)"},
        {"patch1-trylock", "V2: mutex_trylock(barrier_mutex), return 0 when contended",
         make(B::kV2, false, false, false, false, false, false, false),
         "5c83cedbaaad \"rcu/nocb: Protect lazy shrinker against concurrent (de-)offloading\" "
         "alone"},
        {"force-lock-recheck", "V3: raw nocb_lock, then re-check the offloaded state",
         make(B::kV3, false, false, false, false, false, false, false),
         "Frederic's alternative in the seed thread, 24 Mar 2023 (proposed, never a patch)"},
        {"v6.5", "V2 + P2 + P3 + P4: the series as merged",
         make(B::kV2, true, true, true, false, false, false, false),
         "v6.5: 5c83cedbaaad, 7625926086765 (\"Fix shrinker race against callback enqueuer\"), "
         "b96a8b0b5be4 (\"Recheck lazy callbacks under the ->nocb_lock from shrinker\"), "
         "fbde57d2d299 (\"Make shrinker iterate only over NOCB CPUs\")"},
        {"v6.9", "v6.5 + L1 (try-flush) + the rdp_gp->nocb_timer check",
         make(B::kV2, true, true, true, true, true, false, false),
         "v6.9: v6.5 + dda98810b552 (\"Fix WARN_ON_ONCE() in the rcu_nocb_bypass_lock()\", "
         "CVE-2024-35929) + f3c4c00784b5 (\"Check rdp_gp->nocb_timer in __call_rcu_nocb_wake()\")"},
        {"latest", "v6.9 + L2 + L5 (L3 kthread parking and L4 offline-only toggling not modelled)",
         make(B::kV2, true, true, true, true, true, true, true),
         "no single kernel: v6.9 + v6.11's \"Remove buggy bypass lock contention mitigation\" "
         "+ 463d46044f04 (2025) on v6.3's toggling; for today's code use real-code mode "
         "(--kernel)"},
    };
    return list;
}

const Preset* find_preset(std::string_view name) {
    for (const auto& p : presets())
        if (name == p.name) return &p;
    return nullptr;
}

bool set_switch(Switches& s, std::string_view name, bool value) {
    for (const auto& b : kBools) {
        if (name == b.name) {
            s.*(b.field) = value;
            return true;
        }
    }
    return false;
}

std::optional<bool> get_bool_switch(const Switches& s, std::string_view name) {
    for (const auto& b : kBools)
        if (name == b.name) return s.*(b.field);
    return std::nullopt;
}

bool set_shrinker(Switches& s, std::string_view v) {
    if (v == "V0") s.shrinker = ShrinkerBase::kV0;
    else if (v == "V1") s.shrinker = ShrinkerBase::kV1;
    else if (v == "V2") s.shrinker = ShrinkerBase::kV2;
    else if (v == "V3") s.shrinker = ShrinkerBase::kV3;
    else return false;
    return true;
}

const char* shrinker_name(ShrinkerBase b) {
    switch (b) {
        case ShrinkerBase::kV0: return "V0";
        case ShrinkerBase::kV1: return "V1";
        case ShrinkerBase::kV2: return "V2";
        case ShrinkerBase::kV3: return "V3";
    }
    return "?";
}

std::string describe(const Switches& s) {
    std::string out = shrinker_name(s.shrinker);
    for (const auto& b : kBools) {
        bool v = s.*(b.field);
        bool def = Switches{}.*(b.field);
        if (v == def) continue;
        out += v ? "+" : "-";
        out += b.name;
    }
    return out;
}

}  // namespace rcusim::kernel
