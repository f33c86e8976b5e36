// TraceFilter (--trace-window, --trace-cpus): what the jsonl and text sinks keep, and that
// the digest always covers the whole stream.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "trace/sinks.hpp"
#include "trace/trace_runs.hpp"

using rcusim::engine::TraceEvent;
using rcusim::engine::TraceType;
namespace trace = rcusim::trace;

namespace {

TraceEvent ev(TraceType type, rcusim::engine::Time at, int cpu, const char* name = "",
              int idx = -1) {
    TraceEvent e;
    e.type = type;
    e.at = at;
    e.cpu = cpu;
    e.name = name;
    e.idx = idx;
    return e;
}

trace::TraceFilter cpus(std::initializer_list<int> list) {
    trace::TraceFilter f;
    f.cpu_filter = true;
    for (int c : list) {
        if (f.cpus.size() <= static_cast<std::size_t>(c)) f.cpus.resize(c + 1);
        f.cpus[static_cast<std::size_t>(c)] = true;
    }
    return f;
}

}  // namespace

TEST_CASE("trace::filter: the default filter keeps everything") {
    trace::TraceFilter f;
    CHECK_FALSE(f.active());
    CHECK(f.keep(ev(TraceType::kStep, 123, 7)));
    CHECK(f.keep(ev(TraceType::kGp, 0, -1)));
}

TEST_CASE("trace::filter: the window is inclusive at both ends") {
    trace::TraceFilter f;
    f.from = 1000;
    f.to = 2000;
    CHECK(f.active());
    CHECK_FALSE(f.keep(ev(TraceType::kStep, 999, 0)));
    CHECK(f.keep(ev(TraceType::kStep, 1000, 0)));
    CHECK(f.keep(ev(TraceType::kStep, 2000, 0)));
    CHECK_FALSE(f.keep(ev(TraceType::kViolation, 2001, 0)));
}

TEST_CASE("trace::filter: a CPU set keeps events that name a selected CPU") {
    auto f = cpus({1, 3});
    CHECK(f.keep(ev(TraceType::kStep, 0, 1)));
    CHECK_FALSE(f.keep(ev(TraceType::kStep, 0, 2)));
    // A lock of CPU 1 taken from CPU 0, and a lock of CPU 0 taken from CPU 1: both name 1.
    CHECK(f.keep(ev(TraceType::kLockAcquire, 0, 0, "nocb_lock", 1)));
    CHECK(f.keep(ev(TraceType::kLockAcquire, 0, 1, "nocb_lock", 0)));
    CHECK_FALSE(f.keep(ev(TraceType::kLockAcquire, 0, 0, "nocb_lock", 2)));
    CHECK_FALSE(f.keep(ev(TraceType::kLockAcquire, 0, 0, "barrier_mutex", -1)));
    CHECK(f.keep(ev(TraceType::kLockAcquire, 0, 3, "barrier_mutex", -1)));
    // Counters and flags by the rdp they describe.
    CHECK(f.keep(ev(TraceType::kCounter, 0, -1, "lazy_len", 3)));
    CHECK_FALSE(f.keep(ev(TraceType::kCounter, 0, -1, "lazy_len", 0)));
    CHECK(f.keep(ev(TraceType::kTimer, 0, -1, "arm", 1)));
    CHECK_FALSE(f.keep(ev(TraceType::kTimer, 0, -1, "arm", 2)));
    // No CPU named, or a violation: kept.
    CHECK(f.keep(ev(TraceType::kGp, 0, -1, "start")));
    CHECK(f.keep(ev(TraceType::kViolation, 0, 0, "deadlock")));
    CHECK_FALSE(f.keep(ev(TraceType::kStep, 0, 5000)));
}

TEST_CASE("trace::filter: capped jsonl and text keep names while the digest sees everything") {
    trace::TraceFilter f = cpus({0});
    f.from = 1'000'000;
    f.to = 1'015'000;
    auto full = rcusim::testing::run_traced("configs/seed-race.json");
    auto capped = rcusim::testing::run_traced("configs/seed-race.json", "", f);
    CHECK(capped.result.digest == full.result.digest);
    CHECK(capped.jsonl.size() < full.jsonl.size());
    CHECK(capped.text.size() < full.text.size());
    std::istringstream lines(capped.jsonl);
    std::string line;
    int n = 0;
    bool saw_shrinker_lock = false;
    while (std::getline(lines, line)) {
        auto j = nlohmann::json::parse(line);
        INFO(line);
        CHECK(j["t"].get<long long>() >= f.from);
        CHECK(j["t"].get<long long>() <= f.to);
        // The actor announced at t=0 (outside the window) still renders by name.
        if (j.value("ev", "") == "lock_acquire" && j.value("actor", "") == "shrinker@0" &&
            j.value("lock", "") == "nocb_lock[1]")
            saw_shrinker_lock = true;
        if (j.contains("actor")) CHECK(j["actor"].get<std::string>().rfind("actor", 0) != 0);
        ++n;
    }
    CHECK(n > 0);
    CHECK(saw_shrinker_lock);
    CHECK(capped.text.find("shrinker@0") != std::string::npos);
    CHECK(capped.text.find("[002]") == std::string::npos);
}
