// Checkers: observe the kernel model (kernel::Observer) and report Violations of MODEL.md §7:
//   lock-imbalance (I1), mutual-exclusion (I2), lockset (I3/I5 writes), lazy-len (I4/I5),
//   callback-lost / -duplicated / -early (I6, GP safety), deadlock (I10), reclaim-blocks
//   (I11), bypass-contention (I7), mask-mismatch (I9), shrinker-ineffective (I6') and
//   shrinker-overcount (I8); stranded-callbacks (I12), latency (I12b) and deferred-wake
//   (I13) through Liveness (liveness.hpp). They never change the kernel or the schedule.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "check/liveness.hpp"
#include "check/violation.hpp"
#include "kernel/kernel.hpp"

namespace rcusim::check {

struct ReportContext {
    std::string scenario;
    std::string variant;
    std::uint64_t seed = 0;
};

class Checkers final : public kernel::Observer {
   public:
    Checkers(kernel::Kernel& k, ReportContext ctx);

    // End-of-run checks (callback conservation, actors stuck on locks).
    void finish();
    const std::vector<Violation>& violations() const { return violations_; }
    bool has_errors() const;
    // Stop the simulation at the first error-severity violation (fuzzing).
    void set_stop_on_error(bool v) { stop_on_error_ = v; }

    // kernel::Observer
    void lock_acquired(const kernel::Actor&, const kernel::Lock&) override;
    void lock_released(const kernel::Actor&, const kernel::Lock&, bool by_holder,
                       bool was_locked) override;
    void lock_wait(const kernel::Actor&, const kernel::Lock&) override;
    void waits_for(const kernel::Actor&, kernel::ActorId) override;
    void nocb_unlock_decision(const kernel::Actor&, const kernel::Rdp&, bool at_lock,
                              bool at_unlock, const char* fn) override;
    void op_returned(const kernel::Actor&, const char* op,
                     const std::vector<const kernel::Lock*>&) override;
    void lazy_len_written(const kernel::Actor&, const kernel::Rdp&) override;
    void flags_written(const kernel::Actor&, const kernel::Rdp&, std::uint32_t old) override;
    void cblist_written(const kernel::Actor&, const kernel::Rdp&) override;
    void cb_invoked(const kernel::Actor&, const kernel::Callback&) override;
    void mutex_would_sleep(const kernel::Actor&, const kernel::Lock&, bool in_reclaim) override;
    void shrinker_acted(const kernel::Actor&, const kernel::Rdp&, kernel::ShrinkAction,
                        std::int64_t count) override;
    void kernel_warn(const kernel::Actor&, const char* kind, kernel::CpuId rdp,
                     std::string message) override;
    void kernel_note(const kernel::Actor&, const char* what, kernel::CpuId rdp,
                     std::string message) override;
    void deferred_wake(const kernel::Actor&, const kernel::Group&, int waketype,
                       int level_before, engine::Time expiry_before) override;
    void call_rcu_queued(const kernel::Actor&, const kernel::Rdp&, const kernel::Callback&,
                         bool irqs_off) override;
    void nocb_gp_scan(const kernel::Actor&, const kernel::Group&, const kernel::Rdp&) override;
    void rcuog_sleep(const kernel::Actor&, const kernel::Group&) override;
    void barrier_begin(const kernel::Actor&) override;
    void barrier_wait(const kernel::Actor&) override;
    void barrier_done(const kernel::Actor&) override;
    void step_end(kernel::ActorId) override;
    void prefetch(kernel::CpuId c) const override { live_.prefetch(c); }

   private:
    friend class Liveness;  // reports through report(), header(), who()
    struct PendingEffect {
        engine::Time deadline;
        kernel::CpuId rdp;
        std::string actor;
        std::vector<kernel::CbId> lazy_cbs;
    };
    Violation& report(const std::string& kind, const kernel::Actor* a,
                      std::vector<kernel::ActorId> involved, std::string object, std::string site,
                      std::string message, std::string report_text);
    std::string who(kernel::ActorId id) const;  // "shrinker@0/12"
    std::string held_locks_text(const kernel::Actor& a) const;
    std::string header(const char* title) const;
    void check_deadlock(const kernel::Actor& a);
    void check_rdp(const kernel::Rdp& rdp);
    void mark_dirty(const kernel::Rdp& rdp);
    bool holds(const kernel::Actor& a, const kernel::Lock& l) const;

    kernel::Kernel& k_;
    ReportContext ctx_;
    std::vector<Violation> violations_;
    std::map<std::string, std::size_t> seen_;  // kind|object|site -> index
    std::vector<kernel::CpuId> dirty_;
    std::vector<std::uint8_t> dirty_flag_;
    std::vector<PendingEffect> pending_;
    // For S2-shaped reports: the last "no lock taken, but unlock releases" decision.
    std::map<kernel::ActorId, std::string> pending_unlock_note_;
    bool stop_on_error_ = false;
    Liveness live_{k_, *this};
    // Who touched the lock / flags recently, so reports show the other side.
    std::vector<kernel::ActorId> partners(const kernel::Lock* l, kernel::CpuId rdp) const;
};

}  // namespace rcusim::check
