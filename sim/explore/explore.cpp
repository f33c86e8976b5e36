#include "explore/explore.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <set>
#include <tuple>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "engine/simulator.hpp"
#include "explore/fuzz.hpp"

namespace rcusim::explore {

namespace {

using Clock = std::chrono::steady_clock;

struct Deviation {
    std::uint64_t point;
    std::uint32_t value;  // pick: offset from the default index (1..n-1); delay: option 1..24
    bool operator<(const Deviation& o) const {
        return std::tie(point, value) < std::tie(o.point, o.value);
    }
    bool operator==(const Deviation& o) const = default;
};
using Schedule = std::vector<Deviation>;

constexpr std::uint32_t kPlainDelays = 16;
constexpr std::uint32_t kIdleDelays = 8;
constexpr std::uint32_t kDelayOptions = kPlainDelays + kIdleDelays;

std::uint64_t delay_value(std::uint32_t option) {
    return option <= kPlainDelays ? option : ((option - kPlainDelays) | engine::kDelayKeepIdle);
}

// Follows a schedule; records the alternatives at points after its last deviation.
class BoundedStrategy final : public engine::Strategy {
   public:
    BoundedStrategy(const Schedule& s, bool record) : sched_(s), record_(record) {
        after_ = s.empty() ? 0 : s.back().point + 1;
    }
    std::uint64_t pick(std::uint64_t point, std::span<const engine::ActorId> runq,
                       const engine::Simulator&) override {
        std::size_t def = 0;
        bool found_last = false;
        for (std::size_t i = 0; i < runq.size(); ++i) {
            if (runq[i] == last_) {
                def = i;
                found_last = true;
                break;
            }
        }
        if (!found_last)
            for (std::size_t i = 1; i < runq.size(); ++i)
                if (runq[i] < runq[def]) def = i;
        if (record_ && point >= after_) alts_.push_back({point, static_cast<std::uint32_t>(runq.size() - 1)});
        if (auto v = answer(point)) return (def + v) % runq.size();
        return def;
    }
    std::uint64_t delay(std::uint64_t point, const engine::Actor& a, const engine::Simulator&) override {
        if (a.resource == 0) return 0;  // delays only where a resource was declared
        if (record_ && point >= after_) alts_.push_back({point, kDelayOptions});
        if (auto v = answer(point)) return delay_value(v);
        return 0;
    }
    void after_step(const engine::Actor& a) override { last_ = a.id; }
    const std::vector<std::pair<std::uint64_t, std::uint32_t>>& alternatives() const { return alts_; }

   private:
    std::uint32_t answer(std::uint64_t point) {
        while (next_ < sched_.size() && sched_[next_].point < point) ++next_;
        if (next_ < sched_.size() && sched_[next_].point == point) return sched_[next_].value;
        return 0;
    }
    const Schedule& sched_;
    bool record_;
    std::uint64_t after_ = 0;
    std::size_t next_ = 0;
    engine::ActorId last_ = engine::kNoActor;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> alts_;  // point, options
};

}  // namespace

ExploreResult explore_bounded(const scenario::Scenario& s, const ExploreOptions& o) {
    ExploreResult res;
    const auto t0 = Clock::now();
    std::vector<Schedule> level{Schedule{}};
    std::set<std::tuple<std::string, std::uint64_t, engine::Time>> outcomes;
    for (int k = 0; k <= o.bound && !level.empty(); ++k) {
        res.level_reached = k;
        std::vector<std::vector<Schedule>> children(level.size());
        std::vector<std::vector<std::string>> fail(level.size());
        std::vector<std::tuple<std::string, std::uint64_t, engine::Time>> outc(level.size());
        std::vector<std::uint32_t> masks(level.size());
        std::atomic<std::size_t> next{0};
        std::atomic<bool> halt{false};
        const bool expand = k < o.bound;
        auto worker = [&] {
            for (;;) {
                if (halt.load(std::memory_order_relaxed)) return;
                std::size_t i = next.fetch_add(1);
                if (i >= level.size()) return;
                BoundedStrategy st(level[i], expand);
                scenario::RunOptions ro;
                ro.strategy_impl = &st;
                ro.digest = false;
                ro.record_decisions = false;
                auto r = scenario::run_scenario(s, ro);
                for (const auto& v : r.violations)
                    if ((o.strict || v.severity == check::Severity::kError) &&
                        std::find(fail[i].begin(), fail[i].end(), v.kind) == fail[i].end())
                        fail[i].push_back(v.kind);
                std::string kinds;
                for (const auto& x : r.kinds()) kinds += x + ",";
                outc[i] = {kinds, r.steps, r.sim_time};
                masks[i] = goal_mask(r);
                if (expand) {
                    for (auto [point, n] : st.alternatives())
                        for (std::uint32_t v = 1; v <= n; ++v) {
                            Schedule c = level[i];
                            c.push_back({point, v});
                            children[i].push_back(std::move(c));
                        }
                }
                if ((o.stop && o.stop->load()) ||
                    (o.time_limit_s > 0 &&
                     std::chrono::duration<double>(Clock::now() - t0).count() > o.time_limit_s))
                    halt = true;
            }
        };
        {
            boost::asio::thread_pool pool(static_cast<std::size_t>(std::max(o.jobs, 1)));
            for (int j = 0; j < std::max(o.jobs, 1); ++j) boost::asio::post(pool, worker);
            pool.join();
        }
        const std::size_t ran = std::min(next.load(), level.size());
        res.schedules += ran;
        res.per_level.push_back(ran);
        for (std::size_t i = 0; i < ran; ++i) {
            outcomes.insert(outc[i]);
            add_coverage(res.coverage, masks[i], static_cast<std::uint64_t>(k));
        }
        if (halt) {
            res.interrupted = true;
            break;
        }
        // The first failing schedule of this level (canonical generation order), and the
        // first schedule of each error kind seen at this level.
        for (std::size_t i = 0; i < level.size(); ++i) {
            for (const auto& kind : fail[i]) {
                bool known = false;
                for (const auto& [kk, rp] : res.found_kinds) known = known || kk == kind;
                if (known) continue;
                BoundedStrategy st(level[i], false);
                scenario::RunOptions ro;
                ro.strategy_impl = &st;
                auto r = scenario::run_scenario(s, ro);
                r.strategy = "explore";
                res.found_kinds.push_back({kind, make_repro(s, r)});
                if (!res.found) {
                    res.found = res.found_kinds.back().second;
                    res.kind = kind;
                }
            }
        }
        if (res.found) break;
        std::vector<Schedule> next_level;
        for (auto& c : children)
            for (auto& x : c) next_level.push_back(std::move(x));
        if (res.schedules + next_level.size() > o.max_schedules && k < o.bound) {
            level.clear();
            break;
        }
        level = std::move(next_level);
        if (k == o.bound) res.bound_exhausted = true;
        if (level.empty() && k < o.bound) res.bound_exhausted = true;
    }
    res.distinct_outcomes = outcomes.size();
    res.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
    return res;
}

}  // namespace rcusim::explore
