// Small helpers for engine tests: hand-written actor bodies and a fixed strategy.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/decision.hpp"
#include "engine/simulator.hpp"

namespace rcusim::engine::testing {

using Log = std::vector<std::string>;

// Always steps runq[0], never delays.
class FirstStrategy final : public Strategy {
   public:
    std::uint64_t pick(std::uint64_t, std::span<const ActorId>, const Simulator&) override {
        return 0;
    }
    std::uint64_t delay(std::uint64_t, const Actor&, const Simulator&) override { return 0; }
};

// Steps runq[0]; holds `actor` once, at its first point labelled `label`, for `value`.
class DelayOnce final : public Strategy {
   public:
    DelayOnce(std::string actor, std::string label, std::uint64_t value)
        : actor_(std::move(actor)), label_(std::move(label)), value_(value) {}
    std::uint64_t pick(std::uint64_t, std::span<const ActorId>, const Simulator&) override {
        return 0;
    }
    std::uint64_t delay(std::uint64_t, const Actor& a, const Simulator&) override {
        ++asked_;
        if (used_ || a.name != actor_ || std::string_view(a.label) != label_) return 0;
        used_ = true;
        return value_;
    }
    bool used() const { return used_; }
    int asked() const { return asked_; }

   private:
    std::string actor_, label_;
    std::uint64_t value_;
    bool used_ = false;
    int asked_ = 0;
};

// create() + start() in one call; `make(actor)` returns the body.
template <class F>
ActorId add_actor(Simulator& sim, const std::string& name, CpuId cpu, F make, Time at = 0) {
    const ActorId id = sim.create(name, cpu);
    sim.start(id, make(sim.actor(id)), at);
    return id;
}

// Position of the first entry equal to `s`, or -1.
inline long index_of(const Log& log, const std::string& s) {
    for (std::size_t i = 0; i < log.size(); ++i)
        if (log[i] == s) return static_cast<long>(i);
    return -1;
}

// "step at cpu actor label arg" for every step the simulator remembers.
inline std::vector<std::string> history_lines(const Simulator& sim) {
    std::vector<std::string> out;
    for (const auto& r : sim.history())
        out.push_back(std::to_string(r.step) + " " + std::to_string(r.at) + " " +
                      std::to_string(r.cpu) + " " + sim.actor(r.actor).name + " " + r.label +
                      " " + std::to_string(r.arg));
    return out;
}

}  // namespace rcusim::engine::testing
