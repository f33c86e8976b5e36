// ChromeSink: Trace Event JSON that Perfetto and chrome://tracing open. Every trace written
// here goes through the structural validator (chrome_validator.hpp).
#include "trace/chrome.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "trace/chrome_validator.hpp"
#include "trace/trace_runs.hpp"

using rcusim::engine::TraceEvent;
using rcusim::engine::TraceType;
using rcusim::testing::validate_chrome_trace;
namespace trace = rcusim::trace;

namespace {

std::string ts(rcusim::engine::Time ns, int ps = 0) {
    std::string out;
    trace::append_chrome_ts(out, {ns, ps});
    return out;
}

TraceEvent ev(TraceType type, rcusim::engine::Time at, std::uint64_t step, int cpu, int actor,
              const char* name = "", int idx = -1, std::int64_t value = 0,
              std::string_view text = {}) {
    TraceEvent e;
    e.at = at;
    e.step = step;
    e.type = type;
    e.cpu = cpu;
    e.actor = actor;
    e.name = name;
    e.idx = idx;
    e.value = value;
    e.text = text;
    return e;
}

std::string render(const std::vector<TraceEvent>& events, const trace::TraceFilter& f = {}) {
    std::ostringstream out;
    trace::ChromeSink sink(out, f);
    for (const auto& e : events) sink.on_event(e);
    sink.finish();
    return out.str();
}

// Actors: 0 "shrinker@0" on CPU 0, 1 "kworker/1" on CPU 1, 2 "rcuo/1" on CPU 1.
std::vector<TraceEvent> actors() {
    return {ev(TraceType::kActorNew, 0, 0, 0, 0, "", -1, 0, "shrinker@0"),
            ev(TraceType::kActorNew, 0, 0, 1, 1, "", -1, 0, "kworker/1"),
            ev(TraceType::kActorNew, 0, 0, 1, 2, "", -1, 0, "rcuo/1")};
}

const nlohmann::json* find_instant(const rcusim::testing::ChromeReport& r,
                                   const std::string& name) {
    for (const auto& i : r.instants)
        if (i.value("name", "") == name) return &i;
    return nullptr;
}

}  // namespace

TEST_CASE("trace::chrome: ts is microseconds with ns and ps digits, integer arithmetic") {
    CHECK(ts(0) == "0.000");
    CHECK(ts(1000450) == "1000.450");
    CHECK(ts(1000450, 17) == "1000.450017");
    CHECK(ts(999, 999) == "0.999999");
    CHECK(ts(30'000'000'000) == "30000000.000");
    CHECK(ts(INT64_MAX / 4, 1) == "2305843009213693.951001");
    CHECK(ts(-1500) == "-1.500");
}

TEST_CASE("trace::chrome: an empty stream is a valid empty trace") {
    std::string out = render({});
    auto r = validate_chrome_trace(out);
    CHECK(r.ok());
    CHECK(r.by_phase.empty());
    CHECK(out.find("\"traceEvents\":[") != std::string::npos);
}

TEST_CASE("trace::chrome: consecutive steps of one actor at one time merge into one slice") {
    auto events = actors();
    // Steps 1-3 by shrinker@0 at t=1000, step 4 by it again after time passed, step 5 by
    // another actor on the same CPU at the same time as step 4.
    events.push_back(ev(TraceType::kStep, 1000, 1, 0, 0, "start"));
    events.push_back(ev(TraceType::kStep, 1000, 2, 0, 0, "lazy_rcu_shrink_count"));
    events.push_back(ev(TraceType::kStep, 1000, 3, 0, 0, "lazy_rcu_shrink_scan", 1));
    events.push_back(ev(TraceType::kStep, 2000, 4, 0, 0, "wake_nocb_gp", 0));
    events.push_back(ev(TraceType::kActorNew, 2000, 4, 0, 3, "", -1, 0, "timer/0"));
    events.push_back(ev(TraceType::kStep, 2000, 5, 0, 3, "start"));
    auto r = validate_chrome_trace(render(events));
    REQUIRE(r.ok());
    auto runs = r.on("cpu 0");
    REQUIRE(runs.size() == 3);
    CHECK(runs[0].name == "shrinker@0");
    CHECK(runs[0].args["steps"] == 3);
    CHECK(runs[0].args["step"] == 1);
    CHECK(runs[0].args["label"] == "start");
    // Step k of a nanosecond sits k ps later; a slice ends 1 ps after its last step.
    CHECK(runs[0].ts == Approx(1.0).epsilon(0));
    CHECK(runs[0].end == Approx(1.000003).epsilon(1e-12));
    CHECK(runs[1].name == "shrinker@0");
    CHECK(runs[2].name == "timer/0");
    CHECK(runs[1].end <= runs[2].ts);
    CHECK(runs[2].end > runs[2].ts);
}

TEST_CASE("trace::chrome: a lock whose holder is still there at the end is held, not leaked") {
    auto events = actors();
    events.push_back(ev(TraceType::kStep, 1000, 1, 0, 0, "mutex_lock", 1));
    events.push_back(ev(TraceType::kLockAcquire, 1000, 1, 0, 0, "nocb_lock", 1));
    events.push_back(ev(TraceType::kStep, 2000, 2, 0, 0, "wait_for_completion", 1));
    events.push_back(ev(TraceType::kStep, 3000, 3, 1, 1, "step", 1));
    auto r = validate_chrome_trace(render(events));
    REQUIRE(r.ok());
    auto slices = r.on("nocb_lock[1]");
    REQUIRE(slices.size() == 1);
    CHECK(slices[0].args["status"] == "held at the end by shrinker@0 (last step: wait_for_completion)");
    CHECK(find_instant(r, "leaked (never released)") == nullptr);
}

TEST_CASE("trace::chrome: lock slices are named by the owner and a leak is closed at the end") {
    auto events = actors();
    events.push_back(ev(TraceType::kStep, 1000, 1, 0, 0, "raw_spin_lock", 1));
    events.push_back(ev(TraceType::kLockAcquire, 1000, 1, 0, 0, "nocb_lock", 1));
    // The holder returns without releasing it: leaked.
    events.push_back(ev(TraceType::kActorExit, 1000, 1, 0, 0));
    events.push_back(ev(TraceType::kStep, 1000, 2, 1, 1, "raw_spin_lock", 1));
    events.push_back(ev(TraceType::kLockContend, 1000, 2, 1, 1, "nocb_lock", 1));
    events.push_back(ev(TraceType::kViolation, 5000, 2, 1, 1, "deadlock", -1, 0,
                        "kworker/1 waits forever for nocb_lock[1]"));
    auto r = validate_chrome_trace(render(events));
    REQUIRE(r.ok());
    auto slices = r.on("nocb_lock[1]");
    REQUIRE(slices.size() == 1);
    CHECK(slices[0].name == "shrinker@0");
    CHECK(slices[0].args["owner"] == "shrinker@0");
    CHECK(slices[0].args["status"] == "leaked (never released)");
    CHECK(slices[0].end == Approx(5.0));  // the end of the trace
    CHECK(slices[0].args["contentions"] == 1);
    CHECK(slices[0].args["contended_by"] == "kworker/1");
    auto* leak = find_instant(r, "leaked (never released)");
    REQUIRE(leak != nullptr);
    CHECK((*leak)["track"] == "nocb_lock[1]");
    CHECK((*leak)["args"]["owner"] == "shrinker@0");
    auto* v = find_instant(r, "deadlock");
    REQUIRE(v != nullptr);
    CHECK((*v)["s"] == "g");
    CHECK((*v)["args"]["message"] == "kworker/1 waits forever for nocb_lock[1]");
}

TEST_CASE("trace::chrome: a foreign release ends the slice and says who released it") {
    auto events = actors();
    events.push_back(ev(TraceType::kLockAcquire, 1000, 1, 1, 1, "nocb_lock", 1));
    events.push_back(ev(TraceType::kLockRelease, 1000, 2, 0, 0, "nocb_lock", 1, 1));
    // The owner's own release then finds the lock free.
    events.push_back(ev(TraceType::kLockRelease, 1000, 3, 1, 1, "nocb_lock", 1, 0));
    // Released by a non-owner while free.
    events.push_back(ev(TraceType::kLockRelease, 2000, 4, 0, 0, "nocb_lock", 1, 1));
    auto r = validate_chrome_trace(render(events));
    REQUIRE(r.ok());
    auto slices = r.on("nocb_lock[1]");
    REQUIRE(slices.size() == 1);
    CHECK(slices[0].name == "kworker/1");
    CHECK(slices[0].args["status"] == "released by shrinker@0, not the owner");
    auto* foreign = find_instant(r, "released by shrinker@0, not the owner");
    REQUIRE(foreign != nullptr);
    CHECK((*foreign)["args"]["owner"] == "kworker/1");
    CHECK(find_instant(r, "released by kworker/1 while free") != nullptr);
    CHECK(find_instant(r, "released by shrinker@0, not the owner (it was free)") != nullptr);
}

TEST_CASE("trace::chrome: two owners at once show as one slice naming both") {
    auto events = actors();
    events.push_back(ev(TraceType::kLockAcquire, 1000, 1, 0, 0, "nocb_bypass_lock", 1));
    events.push_back(ev(TraceType::kLockAcquire, 1000, 2, 1, 1, "nocb_bypass_lock", 1));
    events.push_back(ev(TraceType::kLockRelease, 1000, 3, 0, 0, "nocb_bypass_lock", 1));
    events.push_back(ev(TraceType::kLockRelease, 1000, 4, 1, 1, "nocb_bypass_lock", 1));
    auto r = validate_chrome_trace(render(events));
    REQUIRE(r.ok());
    auto slices = r.on("nocb_bypass_lock[1]");
    REQUIRE(slices.size() == 3);
    CHECK(slices[0].name == "shrinker@0");
    CHECK(slices[1].name == "shrinker@0 + kworker/1");
    CHECK(slices[1].args["owner"] == "shrinker@0 + kworker/1");
    CHECK(slices[1].args["holders"] == 2);
    CHECK(slices[0].args["status"] == "another context acquired it: kworker/1");
    CHECK(slices[2].name == "kworker/1");
    CHECK(slices[2].args.count("status") == 0);
}

TEST_CASE("trace::chrome: counters are written on change, per CPU process") {
    auto events = actors();
    events.push_back(ev(TraceType::kCounter, 0, 0, -1, -1, "lazy_len", 1, 0));
    events.push_back(ev(TraceType::kCounter, 10, 1, 1, 1, "lazy_len", 1, 1));
    events.push_back(ev(TraceType::kCounter, 10, 1, -1, -1, "lazy_len", 1, 1));  // no change
    events.push_back(ev(TraceType::kCounter, 10, 1, -1, -1, "offloaded", 1, 1));
    events.push_back(ev(TraceType::kCounter, 20, 2, -1, -1, "lazy_len", 2, 5));
    auto r = validate_chrome_trace(render(events));
    REQUIRE(r.ok());
    const int pid1 = trace::ChromeSink::cpu_pid(1), pid2 = trace::ChromeSink::cpu_pid(2);
    CHECK(r.counters[std::to_string(pid1) + "/lazy_len"] == 2);
    CHECK(r.counters[std::to_string(pid1) + "/offloaded"] == 1);
    CHECK(r.counters[std::to_string(pid2) + "/lazy_len"] == 1);
    CHECK(r.process_names[pid1] == "cpu 1");
}

TEST_CASE("trace::chrome: grace periods, timers, flags and notes have their tracks") {
    auto events = actors();
    events.push_back(ev(TraceType::kFlags, 0, 0, -1, -1, "flags", 1, 61, "ENABLED|LOCKING"));
    events.push_back(ev(TraceType::kFlags, 0, 0, -1, -1, "flags", 1, 61, "ENABLED|LOCKING"));
    events.push_back(ev(TraceType::kTimer, 10, 1, -1, -1, "arm", 0, 1000));
    events.push_back(ev(TraceType::kTimer, 20, 2, -1, -1, "arm", 0, 2000));
    events.push_back(ev(TraceType::kGp, 100, 2, -1, -1, "start", -1, 1));
    events.push_back(ev(TraceType::kTimer, 2000, 2, -1, -1, "fire", 0, 2000));
    events.push_back(ev(TraceType::kNote, 2500, 2, 0, 0, "rcu_nocb_cpu_deoffload", 1, 0));
    events.push_back(ev(TraceType::kGp, 3100, 2, -1, -1, "end", -1, 1));
    auto r = validate_chrome_trace(render(events));
    REQUIRE(r.ok());
    auto timer = r.on("nocb_timer[0]");
    REQUIRE(timer.size() == 1);  // re-arming moves the expiry of the armed slice
    CHECK(timer[0].args["status"] == "fired");
    CHECK(timer[0].args["expires_ns"] == 2000);
    CHECK(timer[0].args["rearmed"] == 1);
    CHECK(timer[0].args["armed_ns"] == 10);
    auto gp = r.on("grace periods");
    REQUIRE(gp.size() == 1);
    CHECK(gp[0].name == "gp 1");
    int flags = 0;
    for (const auto& i : r.instants) flags += i["track"] == "rdp 1 flags";
    CHECK(flags == 1);  // unchanged flags are not repeated
    CHECK(find_instant(r, "rcu_nocb_cpu_deoffload") != nullptr);
}

TEST_CASE("trace::chrome: callbacks are flows from enqueue to invocation") {
    auto events = actors();
    events.push_back(ev(TraceType::kStep, 0, 1, 1, 1, "call_rcu", 1));
    events.push_back(ev(TraceType::kCallback, 0, 1, 1, 1, "enqueue", 1, 7));
    events.push_back(ev(TraceType::kStep, 5000, 2, 1, 2, "rcu_do_batch", 1));
    events.push_back(ev(TraceType::kCallback, 5000, 2, 1, 2, "invoke", 1, 7));
    // An invocation whose enqueue was never written gets no arrow.
    events.push_back(ev(TraceType::kCallback, 5000, 2, 1, 2, "invoke", 1, 3));
    std::string out = render(events);
    auto r = validate_chrome_trace(out);
    REQUIRE(r.ok());
    CHECK(r.flows == 1);
    CHECK(r.by_phase["s"] == 1);
    CHECK(r.by_phase["f"] == 1);
    CHECK(r.flows_at_slice_start == 2);  // bound the way DevTools binds them
}

TEST_CASE("trace::chrome: a window re-opens held locks at FROM and closes them at TO") {
    auto events = actors();
    events.push_back(ev(TraceType::kCounter, 0, 0, -1, -1, "lazy_len", 1, 4));
    events.push_back(ev(TraceType::kStep, 500, 1, 0, 0, "raw_spin_lock", 1));
    events.push_back(ev(TraceType::kLockAcquire, 500, 1, 0, 0, "nocb_lock", 1));
    events.push_back(ev(TraceType::kStep, 1500, 2, 1, 1, "start"));
    events.push_back(ev(TraceType::kLockAcquire, 1500, 2, 1, 1, "nocb_bypass_lock", 1));
    events.push_back(ev(TraceType::kStep, 4000, 3, 0, 0, "late"));
    trace::TraceFilter f;
    f.from = 1000;
    f.to = 3000;
    auto r = validate_chrome_trace(render(events, f));
    REQUIRE(r.ok());
    auto held = r.on("nocb_lock[1]");
    REQUIRE(held.size() == 1);
    CHECK(held[0].ts == Approx(1.0));  // re-opened at FROM
    CHECK(held[0].args["held_since_ns"] == 500);
    CHECK(held[0].end == Approx(3.0));  // closed at TO
    CHECK(held[0].args["status"] == "held past the window end");
    auto bypass = r.on("nocb_bypass_lock[1]");
    REQUIRE(bypass.size() == 1);
    CHECK(bypass[0].args["status"] == "held past the window end");
    CHECK(r.on("cpu 0").empty());  // steps at 500 and 4000 are outside
    CHECK(r.on("cpu 1").size() == 1);
    CHECK(r.counters[std::to_string(trace::ChromeSink::cpu_pid(1)) + "/lazy_len"] == 1);
}

TEST_CASE("trace::chrome: a CPU set writes only those CPUs' tracks and every violation") {
    auto events = actors();
    events.push_back(ev(TraceType::kStep, 0, 1, 0, 0, "start"));
    events.push_back(ev(TraceType::kStep, 0, 2, 1, 1, "start"));
    events.push_back(ev(TraceType::kLockAcquire, 0, 2, 1, 1, "nocb_lock", 1));
    events.push_back(ev(TraceType::kLockAcquire, 0, 2, 1, 1, "barrier_mutex", -1));
    events.push_back(ev(TraceType::kCounter, 0, 2, -1, -1, "lazy_len", 0, 3));
    events.push_back(ev(TraceType::kViolation, 0, 2, 1, 1, "lock-imbalance", -1, 0, "m"));
    trace::TraceFilter f;
    f.cpu_filter = true;
    f.cpus = {true};  // CPU 0 only
    auto r = validate_chrome_trace(render(events, f));
    REQUIRE(r.ok());
    CHECK(r.on("cpu 0").size() == 1);
    CHECK(r.on("cpu 1").empty());
    CHECK(r.on("nocb_lock[1]").empty());
    CHECK(r.on("barrier_mutex").size() == 1);  // global tracks stay
    CHECK(find_instant(r, "lock-imbalance") != nullptr);
    CHECK(r.pids.count(trace::ChromeSink::cpu_pid(1)) == 0);
}

// ---- whole runs ----------------------------------------------------------------------------

TEST_CASE("trace::chrome: seed race under v6.3 is valid and shows the leaked nocb_lock[1]") {
    auto run = rcusim::testing::run_traced("configs/seed-race.json");
    auto r = validate_chrome_trace(run.chrome);
    INFO(r.summary());
    REQUIRE(r.ok());
    CHECK(r.max_depth <= 2);
    for (int c = 0; c < 4; ++c) {
        CHECK_FALSE(r.on("cpu " + std::to_string(c)).empty());
        CHECK(r.counters.count(std::to_string(trace::ChromeSink::cpu_pid(c)) + "/lazy_len"));
        CHECK(r.counters.count(std::to_string(trace::ChromeSink::cpu_pid(c)) + "/offloaded"));
    }
    auto lock = r.on("nocb_lock[1]");
    REQUIRE_FALSE(lock.empty());
    CHECK(lock.back().name == "shrinker@0");
    CHECK(lock.back().args["status"] == "leaked (never released)");
    CHECK(find_instant(r, "lock-imbalance") != nullptr);
    CHECK(find_instant(r, "deadlock") != nullptr);
    CHECK(lock.back().args["contended_by"] == "kworker/1");
    CHECK(r.flows == 0);  // the deadlock keeps every callback from being invoked
    // As many violation instants as the run reported violations.
    int violations = 0;
    for (const auto& i : r.instants) violations += i.value("cat", "") == "violation";
    CHECK(violations == static_cast<int>(run.result.violations.size()));
}

TEST_CASE("trace::chrome: seed race under v6.5 is valid and leaks nothing") {
    auto run = rcusim::testing::run_traced("configs/seed-race.json", "v6.5");
    auto r = validate_chrome_trace(run.chrome);
    INFO(r.summary());
    REQUIRE(r.ok());
    for (const auto& sl : r.slices) {
        INFO(sl.track << " " << sl.name);
        CHECK(sl.args.value("status", "") != "leaked (never released)");
    }
    for (const auto& i : r.instants) CHECK(i.value("cat", "") != "violation");
    CHECK_FALSE(r.on("barrier_mutex").empty());
    CHECK(r.flows == 8);  // the 8 lazy callbacks, flushed by the de-offload, are invoked
    CHECK(r.flows_at_slice_start == 16);
    CHECK(r.by_phase.count("B") == 0);  // complete slices only: DevTools pairs B/E globally
}

TEST_CASE("trace::chrome: seed 301 shows the release of a free nocb_lock by a non-owner") {
    auto run = rcusim::testing::run_traced("configs/seed-race.json", "", {}, 301);
    auto r = validate_chrome_trace(run.chrome);
    INFO(r.summary());
    REQUIRE(r.ok());
    CHECK(find_instant(r, "released by shrinker@0, not the owner (it was free)") != nullptr);
}

TEST_CASE("trace::chrome: 1024 CPUs with a CPU set and a window stay valid") {
    trace::TraceFilter f;
    f.cpu_filter = true;
    f.cpus.assign(1024, false);
    for (int c : {0, 1, 2, 3, 700, 1023}) f.cpus[static_cast<std::size_t>(c)] = true;
    auto run = rcusim::testing::run_traced("configs/wide-1024.json", "", f);
    auto r = validate_chrome_trace(run.chrome);
    INFO(r.summary());
    REQUIRE(r.ok());
    CHECK(run.result.violations.empty());
    // The machine process and the six selected CPUs, nothing else.
    std::set<int> expect = {trace::ChromeSink::kMachinePid};
    for (int c : {0, 1, 2, 3, 700, 1023}) expect.insert(trace::ChromeSink::cpu_pid(c));
    CHECK(r.pids == expect);
    CHECK_FALSE(r.on("cpu 700").empty());
    CHECK(r.by_phase["s"] == 0);  // no flows under a CPU set

    f.from = 1'000'000;
    f.to = 5'000'000;
    auto windowed = rcusim::testing::run_traced("configs/wide-1024.json", "", f);
    auto w = validate_chrome_trace(windowed.chrome);
    INFO(w.summary());
    REQUIRE(w.ok());
    for (const auto& sl : w.slices) {
        CHECK(sl.ts >= 1000.0);
        CHECK(sl.end <= 5000.0 + 1e-6);
    }
    CHECK(windowed.chrome.size() < run.chrome.size());
}

TEST_CASE("trace::chrome: the full 1024-CPU trace is valid") {
    auto run = rcusim::testing::run_traced("configs/wide-1024.json");
    auto r = validate_chrome_trace(run.chrome);
    INFO(r.summary());
    REQUIRE(r.ok());
    CHECK(r.pids.size() == 1025);
    int invoked = 0;
    for (std::size_t at = run.jsonl.find("\"invoke\""); at != std::string::npos;
         at = run.jsonl.find("\"invoke\"", at + 1))
        ++invoked;
    CHECK(invoked > 0);
    CHECK(r.flows == invoked);
}

TEST_CASE("trace::chrome: output is a pure function of the stream and jsonl converts to it") {
    auto a = rcusim::testing::run_traced("configs/seed-race.json");
    auto b = rcusim::testing::run_traced("configs/seed-race.json");
    CHECK(a.chrome == b.chrome);
    std::istringstream in(a.jsonl);
    std::ostringstream converted;
    trace::convert_jsonl_to_chrome(in, converted);
    CHECK(converted.str() == a.chrome);

    std::istringstream bad("{\"t\":0,\"step\":0,\"ev\":\"step\"}\nnot json\n");
    std::ostringstream sink;
    CHECK_THROWS_WITH(trace::convert_jsonl_to_chrome(bad, sink, {}, "x.jsonl"),
                      Catch::Contains("x.jsonl:1"));
    CHECK(trace::looks_like_jsonl(a.jsonl));
    CHECK_FALSE(trace::looks_like_jsonl(a.chrome));
}
