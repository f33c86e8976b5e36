// JSONL and text rendering of every trace event type, digests and determinism.
#include "trace/sinks.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "trace/chrome.hpp"
#include "trace/sha256.hpp"

using rcusim::engine::TraceEvent;
using rcusim::engine::TraceType;
namespace trace = rcusim::trace;

namespace {

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

// Names: actor 0 "enqueuer@0", actor 1 "shrinker@0".
trace::ActorNames sample_names() {
    trace::ActorNames names;
    names.learn(ev(TraceType::kActorNew, 0, 0, 0, 0, "", -1, 0, "enqueuer@0"));
    names.learn(ev(TraceType::kActorNew, 0, 0, 0, 1, "", -1, 0, "shrinker@0"));
    return names;
}

std::string jsonl(const TraceEvent& e) {
    std::string out;
    trace::append_jsonl_line(out, e, sample_names());
    return out;
}

std::string text(const TraceEvent& e) {
    std::string out;
    trace::append_text_line(out, e, sample_names());
    return out;
}

// A small run touching every event type.
std::vector<TraceEvent> sample_run() {
    return {
        ev(TraceType::kActorNew, 0, 0, 0, 0, "", -1, 0, "enqueuer@0"),
        ev(TraceType::kActorNew, 0, 0, 1, 1, "", -1, 0, "shrinker@1"),
        ev(TraceType::kStep, 1000, 1, 0, 0, "call_rcu", 0),
        ev(TraceType::kCallback, 1000, 1, 0, 0, "enqueue", 0, 1),
        ev(TraceType::kCounter, 1000, 1, 0, 0, "lazy_len", 0, 1),
        ev(TraceType::kTimer, 1000, 1, 0, 0, "arm", 0, 10'001'000),
        ev(TraceType::kLockContend, 2000, 2, 1, 1, "nocb_lock", 0),
        ev(TraceType::kLockAcquire, 2000, 2, 1, 1, "nocb_lock", 0),
        ev(TraceType::kFlags, 2500, 3, -1, -1, "", 0, 0x5, "LOCKING|OFFLOADED"),
        ev(TraceType::kLockRelease, 3000, 4, 1, 1, "nocb_lock", 0, 1),
        ev(TraceType::kViolation, 3000, 4, 1, 1, "lock_leak", -1, 0, "nocb_lock[0] \"leaked\""),
        ev(TraceType::kGp, 4000, 5, -1, -1, "start", -1, 1),
        ev(TraceType::kNote, 4000, 5, -1, -1, "scenario", 2, 7, "de-offload cpu 0"),
        ev(TraceType::kActorExit, 5000, 6, 1, 1),
    };
}

template <typename Sink>
std::string render_all(const std::vector<TraceEvent>& events) {
    std::ostringstream out;
    Sink sink(out);
    for (const auto& e : events) sink.on_event(e);
    sink.finish();
    return out.str();
}

}  // namespace

// ---- JSONL ---------------------------------------------------------------------------------

TEST_CASE("trace::jsonl: lock events render owner and instance") {
    CHECK(jsonl(ev(TraceType::kLockAcquire, 1000450, 37, 0, 1, "nocb_lock", 1)) ==
          R"({"t":1000450,"step":37,"ev":"lock_acquire","cpu":0,"actor":"shrinker@0",)"
          R"("lock":"nocb_lock[1]"})"
          "\n");
    CHECK(jsonl(ev(TraceType::kLockContend, 5, 2, 3, 0, "nocb_lock", 0)) ==
          R"({"t":5,"step":2,"ev":"lock_contend","cpu":3,"actor":"enqueuer@0",)"
          R"("lock":"nocb_lock[0]"})"
          "\n");
    // A global lock (idx -1) has no instance suffix.
    CHECK(jsonl(ev(TraceType::kLockAcquire, 5, 2, 0, 0, "barrier_mutex", -1)) ==
          R"({"t":5,"step":2,"ev":"lock_acquire","cpu":0,"actor":"enqueuer@0",)"
          R"("lock":"barrier_mutex"})"
          "\n");
}

TEST_CASE("trace::jsonl: a foreign release is flagged, an ordinary one is not") {
    CHECK(jsonl(ev(TraceType::kLockRelease, 9, 4, 1, 1, "nocb_lock", 2, 1)) ==
          R"({"t":9,"step":4,"ev":"lock_release","cpu":1,"actor":"shrinker@0",)"
          R"("lock":"nocb_lock[2]","foreign":true})"
          "\n");
    CHECK(jsonl(ev(TraceType::kLockRelease, 9, 4, 1, 1, "nocb_lock", 2, 0)) ==
          R"({"t":9,"step":4,"ev":"lock_release","cpu":1,"actor":"shrinker@0",)"
          R"("lock":"nocb_lock[2]"})"
          "\n");
}

TEST_CASE("trace::jsonl: actor_new and actor_exit carry the actor's name") {
    std::string out;
    trace::ActorNames names;
    auto created = ev(TraceType::kActorNew, 0, 0, 2, 0, "", -1, 0, "rcuog@2");
    names.learn(created);
    trace::append_jsonl_line(out, created, names);
    trace::append_jsonl_line(out, ev(TraceType::kActorExit, 7, 3, 2, 0), names);
    CHECK(out == R"({"t":0,"step":0,"ev":"actor_new","cpu":2,"actor":"rcuog@2","name":"rcuog@2"})"
                 "\n"
                 R"({"t":7,"step":3,"ev":"actor_exit","cpu":2,"actor":"rcuog@2"})"
                 "\n");
}

TEST_CASE("trace::jsonl: step renders label and argument only when present") {
    CHECK(jsonl(ev(TraceType::kStep, 10, 1, 0, 1, "lazy_rcu_shrink_scan", 3)) ==
          R"({"t":10,"step":1,"ev":"step","cpu":0,"actor":"shrinker@0",)"
          R"("label":"lazy_rcu_shrink_scan","arg":3})"
          "\n");
    CHECK(jsonl(ev(TraceType::kStep, 10, 1, 0, 1, "schedule", -1)) ==
          R"({"t":10,"step":1,"ev":"step","cpu":0,"actor":"shrinker@0","label":"schedule"})"
          "\n");
}

TEST_CASE("trace::jsonl: counters, flags, callbacks, gps and timers") {
    CHECK(jsonl(ev(TraceType::kCounter, 1, 1, -1, -1, "lazy_len", 2, -4)) ==
          R"({"t":1,"step":1,"ev":"counter","counter":"lazy_len","cpu_of":2,"value":-4})"
          "\n");
    CHECK(jsonl(ev(TraceType::kFlags, 1, 1, 0, 0, "", 1, 5, "LOCKING|OFFLOADED")) ==
          R"({"t":1,"step":1,"ev":"flags","cpu":0,"actor":"enqueuer@0","rdp":1,"flags":5,)"
          R"("names":"LOCKING|OFFLOADED"})"
          "\n");
    CHECK(jsonl(ev(TraceType::kCallback, 1, 1, 0, 0, "invoke", 1, 42)) ==
          R"({"t":1,"step":1,"ev":"callback","cpu":0,"actor":"enqueuer@0","what":"invoke",)"
          R"("rdp":1,"cb":42})"
          "\n");
    CHECK(jsonl(ev(TraceType::kGp, 1, 1, -1, -1, "end", -1, 12)) ==
          R"({"t":1,"step":1,"ev":"gp","what":"end","gp":12})"
          "\n");
    CHECK(jsonl(ev(TraceType::kTimer, 1, 1, -1, -1, "arm", 0, 10'000'000'000)) ==
          R"({"t":1,"step":1,"ev":"timer","what":"arm","group":0,"expires":10000000000})"
          "\n");
}

TEST_CASE("trace::jsonl: violations and notes keep their text") {
    CHECK(jsonl(ev(TraceType::kViolation, 3, 2, 1, 1, "lock_leak", -1, 0, "held at exit")) ==
          R"({"t":3,"step":2,"ev":"violation","cpu":1,"actor":"shrinker@0",)"
          R"("kind":"lock_leak","message":"held at exit"})"
          "\n");
    CHECK(jsonl(ev(TraceType::kNote, 3, 2, -1, -1, "phase", -1, 0, "")) ==
          R"({"t":3,"step":2,"ev":"note","label":"phase","idx":-1,"value":0,"text":""})"
          "\n");
}

TEST_CASE("trace::jsonl: strings are escaped and every line is valid JSON") {
    std::string nasty = "q\"b\\n\nt\tc\x01 caf\xc3\xa9 bad\xff end";
    std::string line = jsonl(ev(TraceType::kNote, 0, 0, -1, -1, "x", 0, 0, nasty));
    CHECK(line == R"({"t":0,"step":0,"ev":"note","label":"x","idx":0,"value":0,)"
                  R"("text":"q\"b\\n\nt\tc\u0001 caf)"
                  "\xc3\xa9"
                  R"( bad\ufffd end"})"
                  "\n");
    auto j = nlohmann::json::parse(line);
    CHECK(j["text"].get<std::string>() == "q\"b\\n\nt\tc\x01 caf\xc3\xa9 bad\xef\xbf\xbd end");

    // Every line of a full run parses, keys come in the documented order, numbers are ints.
    std::istringstream in(render_all<trace::JsonlSink>(sample_run()));
    std::string l;
    int lines = 0;
    while (std::getline(in, l)) {
        auto obj = nlohmann::ordered_json::parse(l);
        auto it = obj.begin();
        CHECK(it.key() == "t");
        CHECK(it.value().is_number_integer());
        ++it;
        CHECK(it.key() == "step");
        ++it;
        CHECK(it.key() == "ev");
        ++lines;
    }
    CHECK(lines == static_cast<int>(sample_run().size()));
}

TEST_CASE("trace::jsonl: an actor never announced renders by id") {
    trace::ActorNames names;
    std::string out;
    trace::append_jsonl_line(out, ev(TraceType::kActorExit, 0, 0, 0, 7), names);
    CHECK(out == R"({"t":0,"step":0,"ev":"actor_exit","cpu":0,"actor":"actor7"})"
                 "\n");
}

// ---- text ----------------------------------------------------------------------------------

TEST_CASE("trace::text: line layout is time, step, cpu, padded actor, event") {
    CHECK(text(ev(TraceType::kLockAcquire, 1000450, 37, 0, 1, "nocb_lock", 1)) ==
          "     0.001000450 #37      [000] shrinker@0       lock_acquire nocb_lock[1]\n");
    CHECK(text(ev(TraceType::kLockAcquire, 1'000'450'000, 37, 0, 1, "nocb_lock", 1)) ==
          "     1.000450000 #37      [000] shrinker@0       lock_acquire nocb_lock[1]\n");
    // No CPU, no actor.
    CHECK(text(ev(TraceType::kGp, 0, 0, -1, -1, "start", -1, 1)) ==
          "     0.000000000 #0       [---] -                gp start gp=1\n");
    // Names longer than the column still get one separating space; seconds wider than 6,
    // step numbers wider than 7.
    trace::ActorNames names;
    names.set(0, "a_really_long_actor_name");
    std::string out;
    trace::append_text_line(out, ev(TraceType::kActorExit, 1234567'000000001, 0, 12, 0), names);
    CHECK(out == "1234567.000000001 #0       [012] a_really_long_actor_name actor_exit\n");
    out.clear();
    trace::append_text_line(out, ev(TraceType::kActorExit, 5, 123456789, 12, 0), names);
    CHECK(out == "     0.000000005 #123456789 [012] a_really_long_actor_name actor_exit\n");
}

TEST_CASE("trace::text: time formatting uses integers only") {
    std::string s;
    trace::append_seconds(s, 0);
    CHECK(s == "0.000000000");
    s.clear();
    trace::append_seconds(s, 999'999'999);
    CHECK(s == "0.999999999");
    s.clear();
    trace::append_seconds(s, -1'500'000'000, 6);
    CHECK(s == "    -1.500000000");
    s.clear();
    trace::append_seconds(s, INT64_MIN);
    CHECK(s == "-9223372036.854775808");
    s.clear();
    trace::append_seconds(s, INT64_MAX, 6);
    CHECK(s == "9223372036.854775807");
}

TEST_CASE("trace::text: every event type renders its fields") {
    const std::string prefix = "     0.000001000 #1       [001] shrinker@0       ";
    auto t = [&](TraceType type, const char* name, int idx, std::int64_t value,
                 std::string_view txt = {}) {
        return text(ev(type, 1000, 1, 1, 1, name, idx, value, txt));
    };
    CHECK(t(TraceType::kActorNew, "", -1, 0, "shrinker@0") == prefix + "actor_new shrinker@0\n");
    CHECK(t(TraceType::kActorExit, "", -1, 0) == prefix + "actor_exit\n");
    CHECK(t(TraceType::kStep, "rcu_nocb_lock", 2, 0) == prefix + "step rcu_nocb_lock arg=2\n");
    CHECK(t(TraceType::kStep, "schedule", -1, 0) == prefix + "step schedule\n");
    CHECK(t(TraceType::kLockContend, "nocb_lock", 0, 0) == prefix + "lock_contend nocb_lock[0]\n");
    CHECK(t(TraceType::kLockRelease, "nocb_lock", 0, 0) == prefix + "lock_release nocb_lock[0]\n");
    CHECK(t(TraceType::kLockRelease, "nocb_lock", 0, 1) ==
          prefix + "lock_release nocb_lock[0] foreign\n");
    CHECK(t(TraceType::kCounter, "lazy_len", 3, 17) ==
          prefix + "counter lazy_len cpu=3 value=17\n");
    CHECK(t(TraceType::kFlags, "", 1, 0x2a, "A|B") == prefix + "flags rdp=1 flags=0x2a A|B\n");
    CHECK(t(TraceType::kCallback, "flush", 1, 9) == prefix + "callback flush rdp=1 cb=9\n");
    CHECK(t(TraceType::kGp, "end", -1, 4) == prefix + "gp end gp=4\n");
    CHECK(t(TraceType::kTimer, "arm", 0, 10'001'000) ==
          prefix + "timer arm group=0 expires=0.010001000\n");
    CHECK(t(TraceType::kViolation, "lock_leak", -1, 0, "nocb_lock[1] held\nby shrinker") ==
          prefix + "violation lock_leak: nocb_lock[1] held\\nby shrinker\n");
    CHECK(t(TraceType::kNote, "phase", 2, 5, "go") == prefix + "note phase idx=2 value=5 go\n");
    CHECK(t(TraceType::kNote, "phase", -1, 0) == prefix + "note phase idx=-1 value=0\n");
}

// ---- sinks, digest, determinism ------------------------------------------------------------

TEST_CASE("trace::sinks: jsonl and text sinks write one line per event") {
    auto events = sample_run();
    std::string j = render_all<trace::JsonlSink>(events);
    std::string t = render_all<trace::TextSink>(events);
    auto count_lines = [](const std::string& s) {
        return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
    };
    CHECK(count_lines(j) == events.size());
    CHECK(count_lines(t) == events.size());
    // Sinks learn names from the stream itself.
    CHECK(j.find(R"("actor":"shrinker@1","lock":"nocb_lock[0]","foreign":true)") !=
          std::string::npos);
    CHECK(t.find("[001] shrinker@1       lock_acquire nocb_lock[0]\n") != std::string::npos);
}

TEST_CASE("trace::digest: digest is the sha256 of the jsonl bytes") {
    auto events = sample_run();
    trace::DigestSink digest;
    for (const auto& e : events) digest.on_event(e);
    digest.finish();
    std::string bytes = render_all<trace::JsonlSink>(events);
    CHECK(digest.digest() == "sha256:" + trace::sha256_hex(bytes));
    CHECK(digest.events() == events.size());
    CHECK(digest.bytes() == bytes.size());

    trace::DigestSink empty;
    CHECK(empty.digest() ==
          "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("trace::digest: any change in the events changes the digest") {
    auto events = sample_run();
    trace::DigestSink a;
    for (const auto& e : events) a.on_event(e);
    events[7].idx = 1;  // lock instance 0 -> 1
    trace::DigestSink b;
    for (const auto& e : events) b.on_event(e);
    CHECK(a.digest() != b.digest());
}

TEST_CASE("trace::sinks: the same events twice give identical bytes") {
    auto events = sample_run();
    CHECK(render_all<trace::JsonlSink>(events) == render_all<trace::JsonlSink>(events));
    CHECK(render_all<trace::TextSink>(events) == render_all<trace::TextSink>(events));
    trace::DigestSink a, b;
    for (const auto& e : events) a.on_event(e);
    for (const auto& e : events) b.on_event(e);
    CHECK(a.digest() == b.digest());
}

TEST_CASE("trace::sinks: make_file_sink knows jsonl, text and chrome") {
    std::ostringstream out;
    auto j = trace::make_file_sink("jsonl", out);
    CHECK(dynamic_cast<trace::JsonlSink*>(j.get()) != nullptr);
    auto t = trace::make_file_sink("text", out);
    CHECK(dynamic_cast<trace::TextSink*>(t.get()) != nullptr);
    auto c = trace::make_file_sink("chrome", out);
    CHECK(dynamic_cast<trace::ChromeSink*>(c.get()) != nullptr);
    CHECK_THROWS_AS(trace::make_file_sink("perfetto", out), std::invalid_argument);
    CHECK_THROWS_AS(trace::make_file_sink("", out), std::invalid_argument);
}
