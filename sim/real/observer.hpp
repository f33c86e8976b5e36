// What the real-code machine tells its checkers (check/real_checkers.cpp implements it).
// Checkers observe; they never change the kernel or the schedule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/simulator.hpp"

namespace rcusim::real {

using engine::Actor;
using engine::ActorId;
using engine::CpuId;
using engine::Time;

enum class LockType : std::uint8_t { kSpin, kMutex, kRwsem };

struct LockInfo {
    int id = 0;
    std::string display;    // "nocb_lock[3]", "rcu_state.nocb_mutex", "cpu_hotplug_lock"
    const char* kind = "";  // stable trace name: "nocb_lock", "nocb_mutex", ...
    std::int32_t idx = -1;  // rdp CPU or rcu_node index; -1 for global locks
    LockType type = LockType::kSpin;
    ActorId owner = engine::kNoActor;   // exclusive holder
    std::vector<ActorId> readers;       // rwsem readers
    const char* acquired_at = "";       // label of the owner's acquisition
    bool owner_gone = false;            // the owner finished without releasing it
};

using CbId = std::int64_t;

struct DataRaceInfo {
    std::string object;        // "rcu_data[3].nocb_cb_sleep"
    ActorId first = engine::kNoActor, second = engine::kNoActor;
    std::string first_site, second_site;  // "nocb_gp_wait() kernel/rcu/tree_nocb.h:760"
    bool first_write = false, second_write = false;
    bool first_marked = false, second_marked = false;
    std::uint64_t first_step = 0;
};

class Observer {
   public:
    virtual ~Observer() = default;
    virtual void lock_acquired(const Actor&, const LockInfo&) {}
    // by_holder: the releasing context held it; was_locked: someone held it.
    virtual void lock_released(const Actor&, const LockInfo&, bool by_holder, bool was_locked,
                               const char* site) {}
    virtual void lock_wait(const Actor&, const LockInfo&) {}
    // The context goes to sleep (how: "schedule()", "mutex_lock(...)") while holding
    // spinlocks or with interrupts / preemption disabled.
    virtual void sleeps_atomic(const Actor&, const char* how, const std::vector<const LockInfo*>& held,
                               bool irqs_off) {}
    // A workload operation (call_rcu, lazy_rcu_shrink_scan, a toggle) returned.
    virtual void op_returned(const Actor&, const char* op, const std::vector<const LockInfo*>& held,
                             bool irqs_off) {}
    virtual void kernel_warn(const Actor&, const char* site_label, const char* cond) {}
    // kind: "lockdep-assert" or "unsafe-offload-read".
    virtual void lockdep(const Actor&, const char* kind, const char* site_label, const char* what) {}
    virtual void cb_invoked(const Actor&, CbId) {}
    virtual void barrier_begin(const Actor&) {}
    virtual void barrier_end(const Actor&) {}
    virtual void data_race(const Actor&, const DataRaceInfo&) {}
    // A reclaim context sleeps on a mutex (the OOM-deadlock hazard of the seed thread).
    virtual void reclaim_sleeps(const Actor&, const LockInfo&) {}
    virtual void step_end(ActorId) {}
};

}  // namespace rcusim::real
