// Checkers for real-code mode: they observe the kernel's own code running in the real-code
// machine (real::Observer) and report Violations in the model's terms and formats, naming
// real functions, file:line sites and locks:
//   kernel-warn (a WARN_ON*/BUG_ON fired), lockdep-assert (a lockdep_assert_*() or
//   RCU_LOCKDEP_WARN() failed), unsafe-offload-read (rcu_rdp_is_offloaded()'s
//   RCU_LOCKDEP_WARN), lock-imbalance (release by a non-owner or of a free lock, a lock held
//   when its operation returns or while its holder sleeps), deadlock (a cycle of waits, a
//   wait on a lock whose owner finished, a wait that never ends on an idle machine),
//   reclaim-blocks, callback-lost / -duplicated / -early, stranded-callbacks,
//   barrier-incomplete and data-race (a warning).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "check/checkers.hpp"
#include "check/violation.hpp"
#include "real/machine.hpp"
#include "real/observer.hpp"

namespace rcusim::check {

class RealCheckers final : public real::Observer {
   public:
    RealCheckers(real::Machine& m, ReportContext ctx);

    // End-of-run checks; `idle`: the machine stopped because nothing could ever run again.
    void finish(bool idle);
    const std::vector<Violation>& violations() const { return violations_; }
    void set_stop_on_error(bool v) { stop_on_error_ = v; }

    // real::Observer
    void lock_released(const real::Actor&, const real::LockInfo&, bool by_holder, bool was_locked,
                       const char* site) override;
    void lock_wait(const real::Actor&, const real::LockInfo&) override;
    void sleeps_atomic(const real::Actor&, const char* how,
                       const std::vector<const real::LockInfo*>& held, bool irqs_off) override;
    void op_returned(const real::Actor&, const char* op,
                     const std::vector<const real::LockInfo*>& held, bool irqs_off) override;
    void kernel_warn(const real::Actor&, const char* site, const char* cond) override;
    void lockdep(const real::Actor&, const char* kind, const char* site, const char* what) override;
    void cb_invoked(const real::Actor&, real::CbId) override;
    void barrier_end(const real::Actor&) override;
    void data_race(const real::Actor&, const real::DataRaceInfo&) override;
    void reclaim_sleeps(const real::Actor&, const real::LockInfo&) override;

   private:
    Violation& report(const std::string& kind, const real::Actor* a,
                      std::vector<real::ActorId> involved, std::string object, std::string site,
                      std::string message, std::string text);
    std::string who(real::ActorId id) const;
    // The lock's owner, or its readers (an rwsem held for read), or "(nobody)".
    std::string holder(const real::LockInfo& l) const;
    std::string header(const char* title) const;
    std::string held_text(const real::Actor& a) const;

    real::Machine& m_;
    ReportContext ctx_;
    std::vector<Violation> violations_;
    std::map<std::string, std::size_t> seen_;
    // Per actor, the held locks (ids) of its last "returned holding" report: a context that
    // ends holding what the function it returned from already leaked is one bug, one report.
    std::map<real::ActorId, std::vector<int>> leaked_;
    bool stop_on_error_ = false;
};

}  // namespace rcusim::check
