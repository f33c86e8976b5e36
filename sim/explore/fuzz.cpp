#include "explore/fuzz.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "explore/pct.hpp"

namespace rcusim::explore {

using Clock = std::chrono::steady_clock;

namespace {
// Whether a violation fails the campaign: of the --stop-on kind when one is given, else an
// error (any severity with --strict).
bool is_failure(const check::Violation& v, bool strict, const std::string& only_kind) {
    if (!only_kind.empty()) return v.kind == only_kind;
    return strict || v.severity == check::Severity::kError;
}
}  // namespace

std::optional<check::Violation> primary_violation(const scenario::RunResult& r, bool strict,
                                                  const std::string& only_kind) {
    for (const auto& v : r.violations)
        if (is_failure(v, strict, only_kind)) return v;
    return std::nullopt;
}

static_assert(kernel::kGoalCount <= 32, "goal_mask() packs the goals into 32 bits");

std::uint32_t goal_mask(const scenario::RunResult& r) {
    std::uint32_t m = 0;
    for (std::size_t g = 0; g < kernel::kGoalCount; ++g)
        if (r.goals[g] != 0) m |= 1u << g;
    return m;
}

void add_coverage(Coverage& c, std::uint32_t mask, std::uint64_t at) {
    for (std::size_t g = 0; g < kernel::kGoalCount; ++g) {
        if (!(mask & (1u << g))) continue;
        c[g].executions++;
        if (!c[g].first || at < *c[g].first) c[g].first = at;
    }
}

void CoverageTally::add(std::uint64_t i, std::uint32_t mask, std::uint64_t first_fail,
                        std::uint64_t seed) {
    add_coverage(all_, mask, seed);
    if (i < w_ || i > first_fail) return;
    if (window_.size() <= i - w_) window_.resize(i - w_ + 1, kPending);
    window_[i - w_] = Slot{mask, seed};
    while (!window_.empty() && window_.front().mask != kPending.mask) {
        const Slot& x = window_.front();
        if (w_ <= first_fail) add_coverage(counted_, static_cast<std::uint32_t>(x.mask), x.seed);
        window_.pop_front();
        ++w_;
    }
    // Slots past the first failure never count: drop them.
    if (first_fail >= w_ && first_fail - w_ < window_.size()) window_.resize(first_fail - w_ + 1);
}

std::pair<std::uint64_t, int> probe_size(const scenario::Scenario& s) {
    scenario::RunOptions o;
    o.digest = false;
    o.seed = s.seed;
    o.strategy = "random";
    auto r = scenario::run_scenario(s, o);
    return {std::max<std::uint64_t>(r.steps, 1), std::max(r.actors, 1)};
}

scenario::RunResult run_seed(const scenario::Scenario& s, const std::string& strategy,
                             std::uint64_t seed, int pct_depth, std::uint64_t pct_k, int pct_n,
                             bool stop_on_error) {
    scenario::RunOptions o;
    o.seed = seed;
    o.digest = false;
    o.record_decisions = false;  // a found seed is re-run with recording for its repro
    o.stop_on_error = stop_on_error;
    std::unique_ptr<PctStrategy> pct;
    if (strategy == "pct") {
        pct = std::make_unique<PctStrategy>(seed, pct_depth, pct_k, pct_n);
        o.strategy_impl = pct.get();
    } else {
        o.strategy = "random";
    }
    auto r = scenario::run_scenario(s, o);
    r.strategy = strategy;
    return r;
}

namespace {

// Full re-run of a found seed (no early stop, digest on) -> repro.
Repro full_repro(const scenario::Scenario& s, const std::string& strategy, std::uint64_t seed,
                 int depth, std::uint64_t k, int n) {
    scenario::RunOptions o;
    o.seed = seed;
    std::unique_ptr<PctStrategy> pct;
    if (strategy == "pct") {
        pct = std::make_unique<PctStrategy>(seed, depth, k, n);
        o.strategy_impl = pct.get();
    } else {
        o.strategy = "random";
    }
    auto r = scenario::run_scenario(s, o);
    r.strategy = strategy;
    return make_repro(s, r);
}

template <class T, class Pred>
std::vector<T> ddmin(std::vector<T> items, Pred still_fails, std::uint64_t* trials,
                     std::uint64_t max_trials) {
    if (items.empty()) return items;
    if (*trials < max_trials && still_fails(std::vector<T>{})) return {};
    std::size_t n = 2;
    while (items.size() >= 2 && *trials < max_trials) {
        const std::size_t chunk = (items.size() + n - 1) / n;
        bool reduced = false;
        for (std::size_t start = 0; start < items.size() && *trials < max_trials; start += chunk) {
            std::vector<T> complement;
            complement.reserve(items.size());
            for (std::size_t i = 0; i < items.size(); ++i)
                if (i < start || i >= start + chunk) complement.push_back(items[i]);
            if (still_fails(complement)) {
                items = std::move(complement);
                n = std::max<std::size_t>(n - 1, 2);
                reduced = true;
                break;
            }
        }
        if (!reduced) {
            if (n >= items.size()) break;
            n = std::min(items.size(), n * 2);
        }
    }
    return items;
}

}  // namespace

MinimizeResult minimize(const Repro& r, const std::string& kind, std::uint64_t max_trials) {
    MinimizeResult m;
    m.decisions_before = r.decisions.entries.size();
    m.events_before = r.scenario.events.size();
    // A trial may stop at its first error only when that is the wanted kind in the original:
    // with --keep-going a later kind of the run (lock-imbalance after a lockset) is minimized
    // too, and stopping at the earlier error would hide it in every trial.
    bool stop = false;
    if (check::kind_severity(kind) == check::Severity::kError) {
        for (const auto& v : r.violations)
            if (v.severity == check::Severity::kError) {
                stop = v.kind == kind;
                break;
            }
    }
    auto shows = [&](const scenario::Scenario& sc, const engine::DecisionLog& log) {
        ++m.trials;
        scenario::RunOptions o;
        o.seed = r.seed;
        o.strategy = "scripted";
        o.decisions = &log;
        o.digest = false;
        o.stop_on_error = stop;
        auto rr = scenario::run_scenario(sc, o);
        for (const auto& v : rr.violations)
            if (v.kind == kind) return true;
        return false;
    };
    scenario::Scenario sc = r.scenario;
    engine::DecisionLog log = r.decisions;
    if (!shows(sc, log)) {
        m.repro = r;
        m.kept = false;
        m.decisions_after = m.decisions_before;
        m.events_after = m.events_before;
        return m;
    }
    // 1. Decisions: every removed entry falls back to the default answer (0).
    log.entries = ddmin(
        log.entries,
        [&](const std::vector<engine::Decision>& e) {
            engine::DecisionLog l = log;
            l.entries = e;
            return shows(sc, l);
        },
        &m.trials, max_trials);
    // 2. Scenario events.
    if (sc.events.size() > 1) {
        sc.events = ddmin(
            sc.events,
            [&](const std::vector<scenario::Event>& ev) {
                if (ev.empty()) return false;
                scenario::Scenario t = sc;
                t.events = ev;
                return shows(t, log);
            },
            &m.trials, max_trials);
    }
    // 3. Fewer callbacks per stream, fewer CPUs per stream.
    for (auto& e : sc.events) {
        while (e.count > 1 && m.trials < max_trials) {
            scenario::Scenario t = sc;
            auto& te = t.events[static_cast<std::size_t>(&e - sc.events.data())];
            te.count = e.count / 2;
            if (!shows(t, log)) break;
            e.count = te.count;
        }
        while (e.cpus.size() > 1 && m.trials < max_trials) {
            scenario::Scenario t = sc;
            auto& te = t.events[static_cast<std::size_t>(&e - sc.events.data())];
            te.cpus.resize(e.cpus.size() / 2);
            te.cpu_spec = te.cpus.size() == 1 ? std::to_string(te.cpus[0])
                                              : std::to_string(te.cpus.front()) + "-" +
                                                    std::to_string(te.cpus.back());
            if (!shows(t, log)) break;
            e.cpus = te.cpus;
            e.cpu_spec = te.cpu_spec;
        }
    }
    // 4. Smaller delays.
    for (auto& d : log.entries) {
        if (d.kind != engine::DecisionKind::kDelay) continue;
        while ((d.value & engine::kDelayCountMask) > 1 && m.trials < max_trials) {
            engine::DecisionLog l = log;
            auto& td = l.entries[static_cast<std::size_t>(&d - log.entries.data())];
            td.value = ((d.value & engine::kDelayCountMask) / 2) | (d.value & engine::kDelayKeepIdle);
            if (!shows(sc, l)) break;
            d.value = td.value;
        }
    }
    // Final full run records the digest and the exact log the repro replays.
    scenario::RunOptions o;
    o.seed = r.seed;
    o.strategy = "scripted";
    o.decisions = &log;
    auto fr = scenario::run_scenario(sc, o);
    fr.strategy = r.strategy;
    m.repro = make_repro(sc, fr);
    m.decisions_after = m.repro.decisions.entries.size();
    m.events_after = sc.events.size();
    m.kept = false;
    for (const auto& v : fr.violations)
        if (v.kind == kind) m.kept = true;
    if (!m.kept) {  // cannot happen for a deterministic model; keep the original then
        m.repro = r;
        m.decisions_after = m.decisions_before;
        m.events_after = m.events_before;
    }
    return m;
}

FuzzResult fuzz(const scenario::Scenario& s, const FuzzOptions& o) {
    FuzzResult res;
    const auto t0 = Clock::now();
    const std::uint64_t span = o.seeds.hi - o.seeds.lo + 1;
    const auto n = static_cast<std::uint64_t>(std::max(o.shard_n, 1));
    const auto k = static_cast<std::uint64_t>(std::max(o.shard_k, 0));
    const std::uint64_t total = span > k ? (span - 1 - k) / n + 1 : 0;
    res.seeds_total = total;
    if (o.strategy == "pct") {
        auto [steps, actors] = probe_size(s);
        res.pct_k = steps;
        res.pct_n = actors;
    }
    auto seed_of = [&](std::uint64_t i) { return o.seeds.lo + k + i * n; };

    struct Found {
        std::uint64_t idx;
        std::uint64_t count;
        check::Violation v;
    };
    std::mutex mu;
    std::map<std::string, Found> found;  // signature -> smallest index
    // Without strict: (index, warning kinds) of the runs that showed warnings.
    std::vector<std::pair<std::uint64_t, std::vector<std::string>>> warned;
    // Completed indices: all below `contiguous`, and those ahead of it.
    std::uint64_t contiguous = 0;
    std::set<std::uint64_t> ahead;
    std::atomic<std::uint64_t> next{0}, done{0}, steps{0}, failures{0};
    std::atomic<std::uint64_t> first_fail{UINT64_MAX};
    std::atomic<bool> halt{false};
    std::atomic<int> running{o.jobs};
    std::condition_variable cv;
    CoverageTally tally;

    auto worker = [&] {
        for (;;) {
            if (halt.load(std::memory_order_relaxed)) break;
            std::uint64_t i = next.fetch_add(1);
            if (i >= total) break;
            if (!o.keep_going && i > first_fail.load()) break;
            // Without keep_going a run stops at its first error; with it every violation of
            // the run counts, each under its own signature.
            // --stop-on: a run goes on past errors of other kinds.
            auto r = run_seed(s, o.strategy, seed_of(i), o.pct_depth, res.pct_k, res.pct_n,
                              !o.keep_going && o.stop_on.empty());
            steps += r.steps;
            const std::uint32_t mask = goal_mask(r);
            std::vector<check::Violation> hits;
            if (o.keep_going) {
                // Once per signature: a count is of executions (two CPUs' nocb_locks leaked
                // in one run are one execution showing lock-imbalance|nocb_lock|...).
                for (const auto& v : r.violations) {
                    if (!is_failure(v, o.strict, o.stop_on)) continue;
                    const std::string sig = v.signature();
                    if (std::none_of(hits.begin(), hits.end(), [&](const check::Violation& h) {
                            return h.signature() == sig;
                        }))
                        hits.push_back(v);
                }
            } else if (auto v = primary_violation(r, o.strict, o.stop_on)) {
                hits.push_back(*v);
            }
            std::vector<std::string> warn_kinds;
            if (!o.strict)
                for (const auto& v : r.violations)
                    if (v.severity == check::Severity::kWarning &&
                        std::find(warn_kinds.begin(), warn_kinds.end(), v.kind) == warn_kinds.end())
                        warn_kinds.push_back(v.kind);
            std::lock_guard<std::mutex> g(mu);
            if (!warn_kinds.empty()) warned.emplace_back(i, std::move(warn_kinds));
            if (!hits.empty()) {
                failures++;
                for (const auto& v : hits) {
                    std::string sig = v.signature();
                    auto it = found.find(sig);
                    if (it == found.end()) {
                        found.emplace(sig, Found{i, 1, v});
                    } else {
                        it->second.count++;
                        if (i < it->second.idx) {
                            it->second.idx = i;
                            it->second.v = v;
                        }
                    }
                }
                std::uint64_t cur = first_fail.load();
                while (i < cur && !first_fail.compare_exchange_weak(cur, i)) {
                }
            }
            tally.add(i, mask, o.keep_going ? UINT64_MAX : first_fail.load(), seed_of(i));
            if (i == contiguous) {
                ++contiguous;
                for (auto it = ahead.begin(); it != ahead.end() && *it == contiguous;
                     it = ahead.erase(it))
                    ++contiguous;
            } else {
                ahead.insert(i);
            }
            done++;
        }
        if (--running == 0) {
            std::lock_guard<std::mutex> g(mu);
            cv.notify_all();
        }
    };

    {
        boost::asio::thread_pool pool(static_cast<std::size_t>(std::max(o.jobs, 1)));
        for (int j = 0; j < std::max(o.jobs, 1); ++j) boost::asio::post(pool, worker);
        std::unique_lock<std::mutex> lk(mu);
        while (running.load() > 0) {
            cv.wait_for(lk, std::chrono::milliseconds(200));
            double el = std::chrono::duration<double>(Clock::now() - t0).count();
            if (o.stop && o.stop->load()) {
                res.interrupted = true;
                halt = true;
            }
            if (o.time_limit_s > 0 && el >= o.time_limit_s) {
                res.time_limited = true;
                halt = true;
            }
            if (o.progress) {
                lk.unlock();
                o.progress(done.load(), total, failures.load(), el);
                lk.lock();
            }
        }
        lk.unlock();
        pool.join();
    }

    res.executions_run = done.load();
    res.completed = contiguous;
    res.steps = steps.load();
    const std::uint64_t ff = first_fail.load();
    if (ff != UINT64_MAX) res.first_failure_seed = seed_of(ff);
    const bool up_to_first_failure =
        !o.keep_going && ff != UINT64_MAX && !res.interrupted && !res.time_limited;
    res.executions = up_to_first_failure ? ff + 1 : res.executions_run;
    res.coverage = up_to_first_failure ? tally.counted() : tally.all();
    {
        // Counted like the executions: up to the first failure without keep_going (every
        // index up to it ran, whatever --jobs), so the figures do not depend on --jobs.
        std::map<std::string, FuzzResult::WarningSeen> by_kind;
        for (const auto& [i, kinds] : warned) {
            if (up_to_first_failure && i > ff) continue;
            for (const auto& k : kinds) {
                auto [it, fresh] = by_kind.try_emplace(k, FuzzResult::WarningSeen{k, 0, seed_of(i)});
                it->second.executions++;
                it->second.first_seed = std::min(it->second.first_seed, seed_of(i));
            }
        }
        for (auto& [k, w] : by_kind) res.warnings.push_back(w);
    }

    // Failures, smallest seed first; without keep_going only the first failing seed's.
    std::vector<std::pair<std::string, Found>> list(found.begin(), found.end());
    // Stable: signatures found at one seed keep the map's (signature) order on every library.
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.second.idx < b.second.idx; });
    for (auto& [sig, f] : list) {
        if (!o.keep_going && f.idx != ff) continue;
        Failure fl;
        fl.signature = sig;
        fl.kind = f.v.kind;
        fl.seed = seed_of(f.idx);
        // Without keep_going only the seeds up to the first failure count, and of those only
        // that one fails; runs past it (other workers, --jobs > 1) must not change the count.
        fl.count = o.keep_going ? f.count : 1;
        Repro rp = full_repro(s, o.strategy, fl.seed, o.pct_depth, res.pct_k, res.pct_n);
        fl.original_decisions = rp.decisions.entries.size();
        fl.original_events = rp.scenario.events.size();
        if (o.minimize) {
            auto m = minimize(rp, fl.kind);
            fl.repro = m.repro;
        } else {
            fl.repro = rp;
        }
        res.failures.push_back(std::move(fl));
        if (!o.keep_going) break;
    }
    res.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
    return res;
}

std::optional<ResumeRange> resume_range(const FuzzOptions& o, const FuzzResult& r) {
    if (!r.interrupted && !r.time_limited) return std::nullopt;
    if (r.completed >= r.seeds_total) return std::nullopt;
    const auto n = static_cast<std::uint64_t>(std::max(o.shard_n, 1));
    const auto k = static_cast<std::uint64_t>(std::max(o.shard_k, 0));
    ResumeRange rr;
    rr.seeds = {o.seeds.lo + k + r.completed * n, o.seeds.hi};
    rr.shard_n = static_cast<int>(n);
    return rr;
}

}  // namespace rcusim::explore
