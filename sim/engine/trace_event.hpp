// TraceEvent: what the simulation tells its trace sinks. Models emit events; sinks (trace/)
// choose formats. Every field is a pure function of the simulation (no pointers, no wall
// time), so the same run always produces the same stream.
#pragma once

#include <cstdint>
#include <string_view>

#include "engine/time.hpp"

namespace rcusim::engine {

using ActorId = std::int32_t;
using CpuId = std::int32_t;
constexpr ActorId kNoActor = -1;
constexpr CpuId kNoCpu = -1;

// Event types. Field use per type:
//   kActorNew     actor, cpu, text = actor name
//   kActorExit    actor, cpu
//   kStep         step, actor, cpu, name = model step label, idx = step argument (rdp, -1)
//   kLockAcquire  actor, cpu, name = lock kind ("nocb_lock"), idx = instance (-1: global)
//   kLockRelease  same; value = 1 when released by a context that did not own it
//   kLockContend  same (the actor starts waiting for the lock)
//   kCounter      name = counter ("lazy_len", "bypass_len", "cblist_len", "offloaded"),
//                 idx = CPU the counter belongs to, value
//   kFlags        idx = rdp CPU, value = flag bits, text = rendered flag names
//   kCallback     name = "enqueue" | "invoke" | "flush", idx = rdp CPU, value = callback id
//   kGp           name = "start" | "end", value = grace-period number
//   kTimer        name = "arm" | "fire" | "cancel", idx = group leader CPU, value = expiry
//   kViolation    name = violation kind, actor, cpu, text = one-line message
//   kNote         name = label, idx, value, text
enum class TraceType : std::uint8_t {
    kActorNew,
    kActorExit,
    kStep,
    kLockAcquire,
    kLockRelease,
    kLockContend,
    kCounter,
    kFlags,
    kCallback,
    kGp,
    kTimer,
    kViolation,
    kNote,
};

struct TraceEvent {
    Time at = 0;
    std::uint64_t step = 0;  // number of the step during which the event happened
    TraceType type = TraceType::kNote;
    CpuId cpu = kNoCpu;
    ActorId actor = kNoActor;
    const char* name = "";
    std::int32_t idx = -1;
    std::int64_t value = 0;
    std::string_view text;
};

class TraceSink {
   public:
    virtual ~TraceSink() = default;
    virtual void on_event(const TraceEvent& e) = 0;
    virtual void finish() {}
};

const char* trace_type_name(TraceType t);

}  // namespace rcusim::engine
