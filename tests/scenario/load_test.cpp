// The strict scenario loader: defaults, and one error (with its JSON pointer) per rule.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "scenario/scenario_json.hpp"

using namespace rcusim::scenario;
using nlohmann::json;
using rcusim::engine::kMs;
using rcusim::engine::kSec;

namespace {

json minimal() { return {{"format", "rcusim-scenario/1"}, {"name", "t"}}; }

json with_event(json ev) {
    json j = minimal();
    j["events"] = json::array({std::move(ev)});
    return j;
}

// The error loading `text` gives; fails the test if it loads.
ConfigError error_of(const std::string& text) {
    try {
        load_scenario_text(text, "t.json");
    } catch (const ConfigError& e) {
        return e;
    }
    FAIL("loaded without error: " << text);
    throw;  // unreachable
}

ConfigError error_of_json(const json& j) { return error_of(j.dump()); }

// Pointer and message of the error for `j`, as "POINTER: MESSAGE".
std::string err(const json& j) {
    const ConfigError e = error_of_json(j);
    return e.pointer() + ": " + e.message();
}

}  // namespace

TEST_CASE("scenario::load: minimal file gets every default") {
    const Scenario s = load_scenario_text(minimal().dump(), "t.json");
    CHECK(s.name == "t");
    CHECK(s.cpus == 4);
    CHECK(s.hz == 1000);
    CHECK(s.nocb_cpus == std::vector<int>{0, 1, 2, 3});
    CHECK(s.nocb_spec == "all");
    CHECK(s.group_size == 0);
    CHECK(s.variant == "v6.3");
    CHECK(s.switches == rcusim::kernel::find_preset("v6.3")->switches);
    CHECK(s.lazy_flush == 10 * kSec);
    CHECK(s.qhimark == 10000);
    CHECK(s.gp_duration == 3 * kMs);
    CHECK(s.pressure.empty());
    CHECK(s.events.empty());
    CHECK(s.strategy == "random");
    CHECK(s.seed == 1);
    CHECK(s.max_delay == 1 * kMs);
    CHECK_FALSE(s.delay_in_irq_off);
    CHECK(s.decisions.entries.empty());
    CHECK(s.until == 30 * kSec);
    CHECK(s.max_steps == 50'000'000);
    CHECK_FALSE(s.expect.has_value());
}

TEST_CASE("scenario::load: run.max_steps bounds the run's scheduler steps") {
    json j = minimal();
    j["run"] = {{"until", "1s"}, {"max_steps", 1000}};
    CHECK(load_scenario_text(j.dump(), "t.json").max_steps == 1000);
    j["run"] = {{"max_steps", 1'000'000'000'000}};
    CHECK(load_scenario_text(j.dump(), "t.json").max_steps == 1'000'000'000'000);
    j["run"] = {{"max_steps", 0}};
    CHECK(err(j) == "/run/max_steps: expected an integer 1..1000000000000, found 0");
    j["run"] = {{"max_steps", 1'000'000'000'001}};
    CHECK_THAT(err(j), Catch::StartsWith("/run/max_steps: expected an integer 1..1000000000000"));
    j["run"] = {{"max_steps", "5"}};
    CHECK_THAT(err(j), Catch::StartsWith("/run/max_steps: expected an integer"));
    j["run"] = {{"max_step", 5}};
    CHECK(err(j) == "/run/max_step: unknown key \"max_step\" (did you mean 'max_steps'?)");
}

TEST_CASE("scenario::load: too many events would exhaust memory") {
    // The array itself (checked before any event is read, so a huge file fails fast) ...
    json j = minimal();
    j["events"] = json::array();
    for (std::int64_t i = 0; i <= kMaxEvents; ++i) j["events"].push_back(1);
    try {
        scenario_from_json(j, "t.json");
        FAIL("loaded");
    } catch (const ConfigError& e) {
        CHECK(e.pointer() == "/events");
        CHECK(e.message() == "1000001 events, which would exhaust memory; the limit is 1000000");
    }
    // ... and the streams the events start: one per CPU of a CPU set.
    j = minimal();
    j["machine"] = {{"cpus", 4096}};
    j["events"] = json::array();
    for (int i = 0; i < 245; ++i)
        j["events"].push_back({{"at", 0}, {"op", "call_rcu"}, {"cpu", "all"}});
    CHECK_THAT(err(j), Catch::StartsWith("/events/244/cpu: events up to /events/244 start "
                                         "1003520 event streams") &&
                           Catch::Contains("the limit is 1000000"));
    j["events"].erase(244);
    CHECK(load_scenario_text(j.dump(), "t.json").events.size() == 244);
}

TEST_CASE("scenario::load: the contract's example scenario loads") {
    const char* text = R"({
  "format": "rcusim-scenario/1",
  "name": "seed-race",
  "description": "Shrinker scans CPU 1 while CPU 1 is de-offloaded and re-offloaded.",
  "machine": { "cpus": 4, "hz": 1000, "nocb_cpus": "all", "group_size": 0 },
  "kernel":  { "variant": "v6.3", "switches": { }, "lazy_flush": "10s", "qhimark": 10000,
               "gp_duration": "3ms" },
  "memory":  { "pressure": [ { "from": "0ms", "to": "50ms" } ] },
  "events": [
    { "at": "0ms", "op": "call_rcu",    "cpu": 1, "lazy": true, "count": 8 },
    { "at": "1ms", "op": "shrink",      "cpu": 0, "nr_to_scan": 128 },
    { "at": "1ms", "op": "deoffload",   "target": 1, "cpu": 2 },
    { "at": "2ms", "op": "offload",     "target": 1, "cpu": 2 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms", "delay_in_irq_off": false },
  "run":     { "until": "30s" },
  "expect":  { "violations": ["lock-imbalance"] }
})";
    const Scenario s = load_scenario_text(text, "seed-race.json");
    REQUIRE(s.events.size() == 4);
    CHECK(s.events[0].op == Op::kCallRcu);
    CHECK(s.events[0].cpus == std::vector<int>{1});
    CHECK(s.events[0].count == 8);
    CHECK(s.events[1].op == Op::kShrink);
    CHECK(s.events[1].at == 1 * kMs);
    CHECK(s.events[2].op == Op::kDeoffload);
    CHECK(s.events[2].target == 1);
    CHECK(s.events[2].cpus == std::vector<int>{2});
    REQUIRE(s.pressure.size() == 1);
    CHECK(s.pressure[0].to == 50 * kMs);
    CHECK(s.max_delay == 2 * kMs);
    CHECK(s.expect == std::vector<std::string>{"lock-imbalance"});
}

TEST_CASE("scenario::load: unknown key gets did-you-mean") {
    json j = minimal();
    j["machine"] = {{"cpuz", 4}};
    CHECK(err(j) == "/machine/cpuz: unknown key \"cpuz\" (did you mean 'cpus'?)");
    j = minimal();
    j["evnets"] = json::array();
    CHECK(err(j) == "/evnets: unknown key \"evnets\" (did you mean 'events'?)");
    j = minimal();
    j["zzz"] = 1;
    CHECK_THAT(err(j), Catch::StartsWith("/zzz: unknown key \"zzz\"; expected one of: format,"));
    // The full message names the file, the pointer and the line.
    const ConfigError e = error_of(
        "{\"format\": \"rcusim-scenario/1\", \"name\": \"t\",\n"
        "  \"machine\": {\"cpuz\": 4}}");
    CHECK(std::string(e.what()) ==
          "t.json: /machine/cpuz: unknown key \"cpuz\" (did you mean 'cpus'?) (line 2, column 23)");
}

TEST_CASE("scenario::load: format and name are required and checked") {
    CHECK(err({{"name", "t"}}) == "/format: missing required key 'format' (\"rcusim-scenario/1\")");
    CHECK_THAT(err({{"format", "rcusim-scenario/2"}, {"name", "t"}}),
               Catch::Contains("unsupported format \"rcusim-scenario/2\""));
    CHECK_THAT(err({{"format", "rcusim-repro/1"}, {"name", "t"}}),
               Catch::Contains("rcusim replay"));
    CHECK_THAT(err({{"format", "rcusim-scenario/1"}}), Catch::StartsWith("/name: missing"));
    CHECK(err({{"format", "rcusim-scenario/1"}, {"name", ""}}) ==
          "/name: the name must not be empty");
    CHECK(err({{"format", "rcusim-scenario/1"}, {"name", 3}}) ==
          "/name: expected a name (a string), found 3");
    CHECK_THAT(error_of("[1, 2]").message(), Catch::Contains("must be a JSON object"));
}

TEST_CASE("scenario::load: integers are checked for type and range, never clamped") {
    json j = minimal();
    j["machine"] = {{"cpus", 0}};
    CHECK(err(j) == "/machine/cpus: expected an integer 1..4096, found 0");
    j["machine"] = {{"cpus", 4097}};
    CHECK(err(j) == "/machine/cpus: expected an integer 1..4096, found 4097");
    j["machine"] = {{"cpus", 1.5}};
    CHECK(err(j) == "/machine/cpus: expected an integer 1..4096, found 1.5");
    j["machine"] = {{"cpus", 4.0}};
    CHECK(err(j) == "/machine/cpus: expected an integer 1..4096, found 4.0");
    j["machine"] = {{"cpus", "4"}};
    CHECK(err(j) == "/machine/cpus: expected an integer 1..4096, found a string \"4\"");
    j["machine"] = {{"cpus", 18446744073709551615ull}};
    CHECK_THAT(err(j), Catch::StartsWith("/machine/cpus: expected an integer 1..4096"));
    j["machine"] = {{"hz", 0}};
    CHECK(err(j) == "/machine/hz: expected an integer 1..10000, found 0");
    j["machine"] = {{"cpus", 4}, {"group_size", 5}};
    CHECK(err(j) == "/machine/group_size: expected an integer 0..4, found 5");
    j = minimal();
    j["kernel"] = {{"qhimark", 0}};
    CHECK(err(j) == "/kernel/qhimark: expected an integer 1..1000000000, found 0");
    j = minimal();
    j["explore"] = {{"seed", -1}};
    CHECK_THAT(err(j), Catch::StartsWith("/explore/seed: expected an integer 0..1844"));
    j["explore"] = {{"seed", 18446744073709551615ull}};
    CHECK(load_scenario_text(j.dump(), "t.json").seed == 18446744073709551615ull);
}

TEST_CASE("scenario::load: nocb_cpus takes a spec, an id list or one id") {
    json j = minimal();
    j["machine"] = {{"cpus", 8}, {"nocb_cpus", "1-3,6"}};
    Scenario s = load_scenario_text(j.dump(), "t.json");
    CHECK(s.nocb_cpus == std::vector<int>{1, 2, 3, 6});
    CHECK(s.nocb_spec == "1-3,6");
    j["machine"]["nocb_cpus"] = json::array({6, 1, 2, 2});
    s = load_scenario_text(j.dump(), "t.json");
    CHECK(s.nocb_cpus == std::vector<int>{1, 2, 6});
    CHECK(s.nocb_spec == "1-2,6");
    j["machine"]["nocb_cpus"] = "none";
    CHECK(load_scenario_text(j.dump(), "t.json").nocb_cpus.empty());
    j["machine"]["nocb_cpus"] = "0-8";
    CHECK_THAT(err(j), Catch::StartsWith("/machine/nocb_cpus: CPU 8 in \"0-8\" is out of range"));
    j["machine"]["nocb_cpus"] = json::array({0, 9});
    CHECK(err(j) == "/machine/nocb_cpus/1: expected an integer 0..7, found 9");
    j["machine"]["nocb_cpus"] = "3-1";
    CHECK_THAT(err(j), Catch::Contains("reversed range 3-1"));
}

TEST_CASE("scenario::load: variant and switches are validated and resolved") {
    json j = minimal();
    j["kernel"] = {{"variant", "v6.4"}};
    CHECK_THAT(err(j),
               Catch::StartsWith("/kernel/variant: unknown variant \"v6.4\" (did you mean"));
    j["kernel"] = {{"variant", "patch1-trylok"}};
    CHECK(err(j) ==
          "/kernel/variant: unknown variant \"patch1-trylok\" "
          "(did you mean 'patch1-trylock'?)");
    j["kernel"] = {{"variant", "v6.5"}, {"switches", {{"P22", true}}}};
    CHECK(err(j) == "/kernel/switches/P22: unknown switch \"P22\" (did you mean 'P2'?)");
    j["kernel"]["switches"] = {{"P2", "yes"}};
    CHECK(err(j) == "/kernel/switches/P2: switch 'P2' takes true or false, found a string \"yes\"");
    j["kernel"]["switches"] = {{"shrinker", "V4"}};
    CHECK_THAT(err(j), Catch::StartsWith("/kernel/switches/shrinker: switch 'shrinker' takes"));
    j["kernel"]["switches"] = {{"shrinker", "V1"}, {"P2", false}, {"toggle_allocates", true}};
    const Scenario s = load_scenario_text(j.dump(), "t.json");
    rcusim::kernel::Switches want = rcusim::kernel::find_preset("v6.5")->switches;
    want.shrinker = rcusim::kernel::ShrinkerBase::kV1;
    want.p2 = false;
    want.toggle_allocates = true;
    CHECK(s.switches == want);
    CHECK(s.switch_overrides.size() == 3);
}

TEST_CASE("scenario::load: durations in the file, jiffies at the file's HZ") {
    json j = minimal();
    j["machine"] = {{"hz", 250}};
    j["kernel"] = {{"lazy_flush", "10j"}, {"gp_duration", 2500000}};
    j["run"] = {{"until", "1s"}};
    const Scenario s = load_scenario_text(j.dump(), "t.json");
    CHECK(s.lazy_flush == 40 * kMs);
    CHECK(s.gp_duration == 2'500'000);
    j["kernel"] = {{"lazy_flush", "0ms"}};
    CHECK(err(j) == "/kernel/lazy_flush: expected a duration > 0, found \"0ms\"");
    j["kernel"] = {{"gp_duration", -1}};
    CHECK_THAT(err(j), Catch::StartsWith("/kernel/gp_duration: negative duration"));
    j["kernel"] = {{"gp_duration", 1.5}};
    CHECK_THAT(err(j), Catch::StartsWith("/kernel/gp_duration: expected a duration"));
    j = minimal();
    j["run"] = {{"until", 0}};
    CHECK(err(j) == "/run/until: expected a duration > 0, found 0");
}

TEST_CASE("scenario::load: memory pressure windows must not be reversed") {
    json j = minimal();
    j["memory"] = {{"pressure", json::array({{{"from", "5ms"}, {"to", "5ms"}}})}};
    CHECK_THAT(err(j), Catch::StartsWith("/memory/pressure/0: reversed window"));
    j["memory"] = {{"pressure", json::array({{{"from", "5ms"}}})}};
    CHECK_THAT(err(j), Catch::StartsWith("/memory/pressure/0/to: missing required key 'to'"));
    j["memory"] = {{"pressure", json::array({{{"from", "1ms"}, {"to", "2ms"}, {"too", 1}}})}};
    CHECK(err(j) == "/memory/pressure/0/too: unknown key \"too\" (did you mean 'to'?)");
}

TEST_CASE("scenario::load: events need at, op and cpu (unknown ops get did-you-mean)") {
    CHECK(err(with_event({{"op", "shrink"}, {"cpu", 0}})) ==
          "/events/0/at: missing required key 'at' (when it happens)");
    CHECK_THAT(err(with_event({{"at", 0}, {"cpu", 0}})),
               Catch::StartsWith("/events/0/op: missing"));
    CHECK_THAT(err(with_event({{"at", 0}, {"op", "shrink"}})),
               Catch::StartsWith("/events/0/cpu: missing"));
    CHECK(err(with_event({{"at", 0}, {"op", "call_rcu_hury"}, {"cpu", 0}})) ==
          "/events/0/op: unknown op \"call_rcu_hury\" (did you mean 'call_rcu_hurry'?)");
    CHECK(err(with_event({{"at", 0}, {"op", "shrink"}, {"cpu", 4}})) ==
          "/events/0/cpu: expected an integer 0..3, found 4");
    CHECK_THAT(err(with_event({{"at", 0}, {"op", "shrink"}, {"cpu", "all"}})),
               Catch::StartsWith("/events/0/cpu: op 'shrink' runs on one CPU"));
    CHECK_THAT(err(with_event({{"at", "-1ms"}, {"op", "shrink"}, {"cpu", 0}})),
               Catch::StartsWith("/events/0/at: negative duration"));
    CHECK(err(with_event({{"at", 0}, {"op", "offload"}, {"cpu", 0}})) ==
          "/events/0/target: missing required key 'target' (the CPU to act on)");
    CHECK(err(with_event({{"at", 0}, {"op", "offload"}, {"cpu", 0}, {"target", 4}})) ==
          "/events/0/target: expected an integer 0..3, found 4");
    json j = minimal();
    j["events"] = {{"at", 0}};
    CHECK(err(j) == "/events: expected a list of events (an array), found an object");
}

TEST_CASE("scenario::load: per-op keys are checked against the op") {
    CHECK(err(with_event({{"at", 0}, {"op", "shrink"}, {"cpu", 0}, {"lazy", true}})) ==
          "/events/0/lazy: key 'lazy' is not allowed for op 'shrink'");
    CHECK_THAT(err(with_event({{"at", 0}, {"op", "call_rcu_hurry"}, {"cpu", 0}, {"lazy", false}})),
               Catch::StartsWith("/events/0/lazy: key 'lazy' is not allowed for op "
                                 "'call_rcu_hurry' (call_rcu_hurry is never lazy"));
    CHECK(err(with_event({{"at", 0}, {"op", "drop_caches"}, {"cpu", 0}, {"nr_to_scan", 5}})) ==
          "/events/0/nr_to_scan: key 'nr_to_scan' is not allowed for op 'drop_caches'");
    CHECK(err(with_event({{"at", 0}, {"op", "shrink"}, {"cpu", 0}, {"nr_to_scann", 5}})) ==
          "/events/0/nr_to_scann: unknown key \"nr_to_scann\" (did you mean 'nr_to_scan'?)");
    CHECK(err(with_event({{"at", 0}, {"op", "call_rcu"}, {"cpu", 0}, {"count", 0}})) ==
          "/events/0/count: expected an integer 1..10000000, found 0");
    CHECK(err(with_event({{"at", 0}, {"op", "shrink"}, {"cpu", 0}, {"nr_to_scan", 0}})) ==
          "/events/0/nr_to_scan: expected an integer >= 1, found 0");
    CHECK(err(with_event({{"at", 0}, {"op", "call_rcu"}, {"cpu", 0}, {"irqs_off", 1}})) ==
          "/events/0/irqs_off: expected true or false, found 1");
}

TEST_CASE("scenario::load: call_rcu streams over CPU sets") {
    json j = minimal();
    j["machine"] = {{"cpus", 8}};
    j["events"] = json::array({
        {{"at", "1ms"},
         {"op", "call_rcu"},
         {"cpu", "0-2,5"},
         {"count", 3},
         {"every", "10us"},
         {"lazy", false},
         {"irqs_off", true}},
        {{"at", 0}, {"op", "call_rcu_hurry"}, {"cpu", json::array({7, 6})}},
        {{"at", 0}, {"op", "call_rcu"}, {"cpu", "all"}},
    });
    const Scenario s = load_scenario_text(j.dump(), "t.json");
    REQUIRE(s.events.size() == 3);
    const Event& a = s.events[0];
    CHECK(a.cpus == std::vector<int>{0, 1, 2, 5});
    CHECK(a.cpu_spec == "0-2,5");
    CHECK(a.count == 3);
    CHECK(a.every == 10'000);
    CHECK_FALSE(a.lazy);
    CHECK(a.irqs_off);
    CHECK(s.events[1].cpus == std::vector<int>{6, 7});
    CHECK_FALSE(s.events[1].lazy);  // call_rcu_hurry is never lazy
    CHECK(s.events[2].cpus.size() == 8);
    CHECK(s.events[2].lazy);

    j["events"] = json::array({{{"at", 0}, {"op", "call_rcu"}, {"cpu", "none"}}});
    CHECK_THAT(err(j), Catch::StartsWith("/events/0/cpu: the CPU set is empty"));
    j["events"] = json::array({{{"at", 0}, {"op", "call_rcu"}, {"cpu", "0-8"}}});
    CHECK_THAT(err(j), Catch::StartsWith("/events/0/cpu: CPU 8 in \"0-8\" is out of range"));
}

TEST_CASE("scenario::load: too many callbacks in total would exhaust memory") {
    json j = minimal();
    j["machine"] = {{"cpus", 4096}};
    j["events"] = json::array({
        {{"at", 0}, {"op", "call_rcu"}, {"cpu", "all"}, {"count", 20000}},
        {{"at", 0}, {"op", "call_rcu"}, {"cpu", "0-2047"}, {"count", 10'000'000}},
    });
    CHECK_THAT(err(j), Catch::StartsWith("/events: events up to /events/1 queue") &&
                           Catch::Contains("would exhaust memory"));
    j["events"] = json::array(
        {{{"at", "2305843009s"}, {"op", "call_rcu"}, {"cpu", 0}, {"count", 3}, {"every", "1s"}}});
    CHECK_THAT(err(j), Catch::StartsWith("/events/0/every: the stream's last callback"));
}

TEST_CASE("scenario::load: explore settings and scripted decisions") {
    json j = minimal();
    j["explore"] = {{"strategy", "scripted"},
                    {"seed", 7},
                    {"max_delay", "0ns"},
                    {"delay_in_irq_off", true},
                    {"decisions", json::array({{{"point", 3}, {"kind", "pick"}, {"value", 1}},
                                               {{"point", 9}, {"kind", "delay"}, {"value", 4}}})}};
    const Scenario s = load_scenario_text(j.dump(), "t.json");
    CHECK(s.strategy == "scripted");
    CHECK(s.seed == 7);
    CHECK(s.max_delay == 0);
    CHECK(s.delay_in_irq_off);
    REQUIRE(s.decisions.entries.size() == 2);
    CHECK(s.decisions.entries[1].index == 9);
    CHECK(s.decisions.entries[1].kind == rcusim::engine::DecisionKind::kDelay);
    CHECK(s.decisions.entries[1].value == 4);

    j["explore"] = {{"strategy", "randon"}};
    CHECK(err(j) == "/explore/strategy: unknown strategy \"randon\" (did you mean 'random'?)");
    j["explore"] = {{"decisions", json::array({{{"point", 3}, {"kind", "pick"}, {"value", 1}},
                                               {{"point", 3}, {"kind", "pick"}, {"value", 1}}})}};
    CHECK(err(j) ==
          "/explore/decisions/1/point: decision points must be strictly increasing: "
          "3 follows 3");
    j["explore"] = {{"decisions", json::array({{{"point", 3}, {"kind", "pick"}, {"value", 0}}})}};
    CHECK_THAT(err(j), Catch::StartsWith("/explore/decisions/0/value: expected an integer >= 1"));
    j["explore"] = {{"decisions", json::array({{{"point", 3}, {"kind", "pik"}, {"value", 1}}})}};
    CHECK(err(j) ==
          "/explore/decisions/0/kind: unknown decision kind \"pik\" (did you mean "
          "'pick'?)");
}

TEST_CASE("scenario::load: expect lists known violation kinds once") {
    json j = minimal();
    j["expect"] = {{"violations", json::array()}};
    CHECK(load_scenario_text(j.dump(), "t.json").expect == std::vector<std::string>{});
    j["expect"] = {{"violations", {"lock-imbalance", "lazy_len"}}};
    CHECK(err(j) ==
          "/expect/violations/1: unknown violation kind \"lazy_len\" (did you mean "
          "'lazy-len'?)");
    j["expect"] = {{"violations", {"deadlock", "deadlock"}}};
    CHECK(err(j) == "/expect/violations/1: violation kind 'deadlock' is listed twice");
    j["expect"] = json::object();
    CHECK_THAT(err(j), Catch::StartsWith("/expect/violations: missing required key"));
}

TEST_CASE("scenario::load: syntax errors carry line and column") {
    const ConfigError e =
        error_of("{\n  \"format\": \"rcusim-scenario/1\",\n  \"name\": \"t\",\n}");
    CHECK(e.line() == 4);
    CHECK(e.column() == 1);
    CHECK(e.pointer().empty());
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("t.json:4:1: syntax error"));
    // A misplaced token is reported at its first character.
    const ConfigError token = error_of("{\"name\": \"x\"\n   \"machine\": {}}");
    CHECK(token.line() == 2);
    CHECK(token.column() == 4);
    CHECK_THAT(token.message(), Catch::Contains("unexpected string literal"));
    const ConfigError ctl = error_of("{\"name\": \"a\nb\"}");
    CHECK(ctl.line() == 1);
    CHECK(ctl.column() == 12);
    const ConfigError eof = error_of("{\"format\": ");
    CHECK(eof.line() == 1);
    CHECK_THAT(eof.message(), Catch::Contains("end of input"));
    CHECK_THAT(error_of("").message(), Catch::Contains("empty"));
    CHECK_THAT(error_of("{} {}").message(), Catch::Contains("expected end of input"));
    // Columns count characters, not bytes.
    const ConfigError utf = error_of("{\"name\": \"\xc3\xa9\xc3\xa9\" x}");
    CHECK(utf.line() == 1);
    CHECK(utf.column() == 15);
}

TEST_CASE("scenario::load: duplicate keys are errors at the duplicate") {
    const ConfigError e = error_of(
        "{\"format\": \"rcusim-scenario/1\", \"name\": \"t\",\n"
        " \"machine\": {\"cpus\": 4,\n              \"cpus\": 8}}");
    CHECK(e.pointer() == "/machine/cpus");
    CHECK(e.line() == 3);
    CHECK(e.column() == 15);
    CHECK_THAT(e.message(), Catch::StartsWith("duplicate key \"cpus\""));
    const ConfigError deep = error_of(R"({"events": [{"op": 1, "op": 2}]})");
    CHECK(deep.pointer() == "/events/0/op");
}

TEST_CASE("scenario::load: nesting deeper than 64 levels is refused") {
    std::string deep = "{\"format\": \"rcusim-scenario/1\", \"name\": \"t\", \"x\": ";
    for (int i = 0; i < 100; ++i) deep += "[";
    for (int i = 0; i < 100; ++i) deep += "]";
    deep += "}";
    const ConfigError e = error_of(deep);
    CHECK_THAT(e.message(), Catch::Contains("nesting deeper than 64 levels"));
    CHECK(e.pointer().rfind("/x/0/0/", 0) == 0);
    // 64 levels are fine as JSON (and then fail as an unknown key).
    std::string ok = "{\"format\": \"rcusim-scenario/1\", \"name\": \"t\", \"x\": ";
    for (int i = 0; i < 63; ++i) ok += "[";
    for (int i = 0; i < 63; ++i) ok += "]";
    ok += "}";
    CHECK_THAT(error_of(ok).message(), Catch::StartsWith("unknown key \"x\""));
}

TEST_CASE("scenario::load: NUL bytes and invalid UTF-8 are refused clearly") {
    const ConfigError nul = error_of(std::string("{\"name\":\n \"a\0b\"}", 16));
    CHECK_THAT(nul.message(), Catch::Contains("NUL byte"));
    CHECK(nul.line() == 2);
    CHECK(nul.column() == 4);
    CHECK_THAT(error_of("{\"name\": \"\xff\"}").message(),
               Catch::Contains("invalid UTF-8 (byte 0xFF)"));
    CHECK_THAT(error_of("{\"name\": \"\xc0\xaf\"}").message(), Catch::Contains("invalid UTF-8"));
    CHECK_THAT(error_of("{\"name\": \"\xed\xa0\x80\"}").message(),
               Catch::Contains("invalid UTF-8"));
    CHECK_THAT(error_of("\xff\xfe{").message(), Catch::Contains("UTF-16"));
    // A UTF-8 byte order mark is accepted.
    CHECK(load_scenario_text("\xef\xbb\xbf" + minimal().dump(), "t.json").name == "t");
}
