// Liveness checkers (MODEL.md §7): stranded-callbacks (I12), latency (I12b) and
// deferred-wake (I13). Owned by check::Checkers, which forwards the kernel observer events
// these need and reports what they find.
//
// Cost: every check is O(1) per event or step, or O(members of one group) where rcuog itself
// just did that much work (its sleep) or a deferral left a LAZY timer, or O(entrained CPUs) at an
// rcu_barrier(). Deadlines sit in one min-heap keyed (deadline, seq); step_end() only looks
// at its top, and re-judges the few rdps suspected stranded (a transient state in a correct
// kernel). Nothing here scans every rdp, except once at the end of the run.
//
// Simplification: only "steady" offloaded rdps are judged (LOCKING|OFFLOADED|KTHREAD_GP set,
// RCU_CORE clear); while an rdp is (de-)offloaded its callbacks are the toggler's and
// rcu_core's business, and every obligation on it is dropped when its flags change.
#pragma once

#include <cstdint>
#include <queue>
#include <string>
#include <vector>

#include "kernel/kernel.hpp"

namespace rcusim::check {

class Checkers;

class Liveness {
 public:
    Liveness(kernel::Kernel& k, Checkers& out);

    // Forwarded kernel::Observer events.
    void call_rcu_queued(const kernel::Actor&, const kernel::Rdp&, const kernel::Callback&,
                         bool irqs_off);
    void nocb_gp_scan(const kernel::Actor&, const kernel::Group&, const kernel::Rdp&);
    void rcuog_sleep(const kernel::Actor&, const kernel::Group&);
    void barrier_begin(const kernel::Actor&);
    void barrier_wait(const kernel::Actor&);
    void barrier_done(const kernel::Actor&);
    void deferred_wake(const kernel::Actor&, const kernel::Group&, int waketype, int level_before,
                       engine::Time expiry_before);
    void kernel_note(const kernel::Actor&, const char* what, kernel::CpuId rdp);
    void flags_written(const kernel::Rdp&);
    void step_end();
    void prefetch(kernel::CpuId c) const {
        const auto* p = reinterpret_cast<const char*>(&rs_[static_cast<std::size_t>(c)]);
        for (std::size_t off = 0; off < sizeof(PerRdp); off += 64) __builtin_prefetch(p + off);
    }
    void finish();

    // The scheduler allowance of every bound (see liveness.cpp).
    engine::Time slack() const { return slack_; }

 private:
    enum class DueKind : std::uint8_t { kScan, kNonLazyBypass, kLazyBypass, kBarrier };
    struct Due {
        engine::Time deadline;
        std::uint64_t seq;
        DueKind kind;
        kernel::CpuId idx;  // rdp (kBarrier: unused)
        std::uint64_t gen;
        kernel::CbId cb;
        bool operator>(const Due& o) const {
            return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
        }
    };
    struct Tracked {
        kernel::CbId cb = -1;
        std::uint64_t gen = 0;
        kernel::ActorId who = kernel::kNoActor;
        engine::Time extend_to = 0;  // deadline after rcuog's try-flush was skipped
    };

    // ---- state predicates
    bool steady(const kernel::Rdp& r) const;
    bool pend_cbs(const kernel::Rdp& r) const;
    bool nonlazy_waiter(const kernel::Rdp& r) const;
    bool rcuog_idle(const kernel::Group& g) const;
    // Does something move rdp's callbacks? nullptr if yes, else why not.
    const char* stranded_why(const kernel::Rdp& r, bool assume_asleep) const;
    const char* group_why(const kernel::Group& g, bool assume_asleep, bool* lazy_only) const;
    bool has_waiting(const kernel::Rdp& r) const;  // steady, with callbacks to move
    void check_stranded(const kernel::Rdp& r, bool assume_asleep);
    void suspect(const kernel::Rdp& r, const char* why);
    void check_group(const kernel::Group& g, bool assume_asleep);
    void judge_suspects(bool final);
    void report_stranded(kernel::CpuId cpu);

    void push(engine::Time deadline, DueKind kind, kernel::CpuId idx, std::uint64_t gen,
              kernel::CbId cb = -1);
    void expire(const Due& d);
    void scan_overdue(kernel::CpuId c, const char* how);
    bool barrier_stuck(std::string* why) const;

    std::string group_state(const kernel::Group& g) const;
    std::string who(kernel::ActorId id) const;
    std::string t(engine::Time v) const;

    kernel::Kernel& k_;
    Checkers& out_;
    engine::Time tick_;
    engine::Time slack_;
    std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
    std::uint64_t seq_ = 0;

    // Per rdp, one record (an rdp's checks read several of these together; at 4096 CPUs
    // separate arrays meant a cache miss per field).
    struct PerRdp {
        std::uint64_t gen = 0;                     // bumped when its flags change
        engine::Time scan_due = engine::kTimeMax;  // rcuog must scan it by then (kTimeMax: no)
        engine::Time scan_since = 0;               // when the oldest such obligation began
        std::uint64_t scan_gen = 0;
        std::uint64_t scan_step = 0;               // last rcuog scan (simulator step)
        engine::Time scan_time = 0;                // and its virtual time
        kernel::ActorId scan_who = kernel::kNoActor;
        std::uint8_t suspect = 0;                  // a stranded state waits for confirmation
        Tracked nonlazy;                           // oldest non-lazy callback in the bypass
        Tracked lazy;                              // oldest lazy callback in the bypass
        engine::Time suspect_since = 0;
        std::uint64_t suspect_step = 0;
        engine::Time suspect_due = 0;
        std::string suspect_why;
    };
    std::vector<PerRdp> rs_;
    std::vector<kernel::CpuId> suspects_;  // rdps with suspect set

    // The rcu_barrier() in progress (barrier_mutex serialises them).
    kernel::ActorId barrier_actor_ = kernel::kNoActor;
    std::size_t barrier_first_cb_ = 0;
    std::vector<kernel::CbId> barrier_cbs_;
    engine::Time barrier_wait_at_ = 0;
    engine::Time barrier_due_ = 0;
    std::uint64_t barrier_gen_ = 0;
    bool barrier_waiting_ = false;
};

}  // namespace rcusim::check
