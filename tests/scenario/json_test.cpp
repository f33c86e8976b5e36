// Scenario <-> JSON: the canonical form, round trips, embedded scenarios (repro files),
// --variant, and reading files.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"
#include "scenario/scenario_json.hpp"

using namespace rcusim::scenario;
using nlohmann::json;

namespace {

const char* kFull = R"({
  "format": "rcusim-scenario/1",
  "name": "everything",
  "machine": { "cpus": 16, "hz": 300, "nocb_cpus": [0, 1, 2, 3, 8], "group_size": 4 },
  "kernel": { "variant": "v6.5", "switches": { "shrinker": "V3", "L1": true },
              "lazy_flush": "7j", "qhimark": 500, "gp_duration": 1500000 },
  "memory": { "pressure": [ { "from": "1ms", "to": "2500us" }, { "from": "1s", "to": "2s" } ] },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": "all", "count": 3, "every": "1j", "lazy": true },
    { "at": "1ms", "op": "call_rcu", "cpu": "3", "irqs_off": true },
    { "at": "1ms", "op": "call_rcu_hurry", "cpu": [5, 4], "count": 2 },
    { "at": "2ms", "op": "shrink", "cpu": 0, "nr_to_scan": 64 },
    { "at": "2ms", "op": "drop_caches", "cpu": 1 },
    { "at": "3ms", "op": "deoffload", "cpu": 2, "target": 1 },
    { "at": "4ms", "op": "offload", "cpu": 2, "target": 1 },
    { "at": "5ms", "op": "rcu_barrier", "cpu": 3 },
    { "at": "5ms", "op": "alloc", "cpu": 3 },
    { "at": "6ms", "op": "cpu_offline", "cpu": 0, "target": 15 },
    { "at": "7ms", "op": "cpu_online", "cpu": 0, "target": 15 }
  ],
  "explore": { "strategy": "scripted", "seed": 18446744073709551615, "max_delay": "3us",
               "delay_in_irq_off": true,
               "decisions": [ { "point": 2, "kind": "pick", "value": 1 },
                              { "point": 5, "kind": "delay", "value": 8 } ] },
  "run": { "until": "90s" },
  "expect": { "violations": ["lazy-len", "callback-lost"] }
})";

// A file in the temp directory, removed at scope exit; unique per test and process.
struct TempFile {
    explicit TempFile(const std::string& tag, const std::string& content) {
        path = (std::filesystem::temp_directory_path() /
                ("rcusim-scenario-" + tag + "-" + std::to_string(::getpid()) + ".json"))
                   .string();
        std::ofstream(path, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path.c_str()); }
    std::string path;
};

}  // namespace

TEST_CASE("scenario::json: canonical form of a minimal scenario has every default") {
    const Scenario s =
        load_scenario_text(R"({"format": "rcusim-scenario/1", "name": "m"})", "m.json");
    const json want = json::parse(R"({
      "format": "rcusim-scenario/1", "name": "m", "description": "",
      "machine": {"cpus": 4, "hz": 1000, "nocb_cpus": "all", "group_size": 0},
      "kernel": {"variant": "v6.3", "switches": {}, "lazy_flush": "10s", "qhimark": 10000,
                 "gp_duration": "3ms"},
      "memory": {"pressure": []},
      "events": [],
      "explore": {"strategy": "random", "seed": 1, "max_delay": "1ms", "delay_in_irq_off": false},
      "run": {"until": "30s", "max_steps": 50000000}
    })");
    CHECK(scenario_to_json(s) == want);
}

TEST_CASE("scenario::json: canonical form spells values exactly") {
    const Scenario s = load_scenario_text(kFull, "full.json");
    const json j = scenario_to_json(s);
    CHECK(j["machine"]["nocb_cpus"] == "0-3,8");
    CHECK(j["kernel"]["switches"] == json({{"shrinker", "V3"}, {"L1", true}}));
    CHECK(j["kernel"]["lazy_flush"] == "23333333ns");  // 7 jiffies at HZ=300, floored
    CHECK(j["kernel"]["gp_duration"] == "1500us");
    CHECK(j["memory"]["pressure"][0] == json({{"from", "1ms"}, {"to", "2500us"}}));
    CHECK(j["events"][0] == json({{"at", "0s"},
                                  {"op", "call_rcu"},
                                  {"cpu", "all"},
                                  {"lazy", true},
                                  {"count", 3},
                                  {"every", "3333333ns"},
                                  {"irqs_off", false}}));
    CHECK(j["events"][1]["cpu"] == 3);  // one CPU: written back as a number
    CHECK(j["events"][2] == json({{"at", "1ms"},
                                  {"op", "call_rcu_hurry"},
                                  {"cpu", "4-5"},
                                  {"count", 2},
                                  {"every", "0s"},
                                  {"irqs_off", false}}));
    CHECK(j["events"][3] ==
          json({{"at", "2ms"}, {"op", "shrink"}, {"cpu", 0}, {"nr_to_scan", 64}}));
    CHECK(j["events"][4] == json({{"at", "2ms"}, {"op", "drop_caches"}, {"cpu", 1}}));
    CHECK(j["events"][5] == json({{"at", "3ms"}, {"op", "deoffload"}, {"cpu", 2}, {"target", 1}}));
    CHECK(j["explore"]["seed"] == 18446744073709551615ull);
    CHECK(j["explore"]["decisions"] == json::parse(R"([{"point": 2, "kind": "pick", "value": 1},
                          {"point": 5, "kind": "delay", "value": 8}])"));
    CHECK(j["expect"] == json({{"violations", {"lazy-len", "callback-lost"}}}));
}

TEST_CASE("scenario::json: loading the canonical form gives back an equal scenario") {
    const Scenario s = load_scenario_text(kFull, "full.json");
    const json j = scenario_to_json(s);
    const Scenario back = load_scenario_text(j.dump(2), "round.json");
    CHECK(back == s);
    CHECK(scenario_to_json(back) == j);
    CHECK(scenario_from_json(j, "direct") == s);

    const Scenario minimal =
        load_scenario_text(R"({"format": "rcusim-scenario/1", "name": "m"})", "m.json");
    CHECK(load_scenario_text(scenario_to_json(minimal).dump(), "m2.json") == minimal);

    Scenario changed = back;
    changed.events[3].nr_to_scan = 65;
    CHECK_FALSE(changed == s);
}

TEST_CASE("scenario::json: an embedded scenario reports pointers under its prefix") {
    json repro = {
        {"format", "rcusim-repro/1"},
        {"scenario", {{"format", "rcusim-scenario/1"}, {"name", "r"}, {"machine", {{"cpus", 0}}}}}};
    try {
        scenario_from_json(repro["scenario"], "x.repro.json", "/scenario");
        FAIL("loaded");
    } catch (const ConfigError& e) {
        CHECK(e.pointer() == "/scenario/machine/cpus");
        CHECK(std::string(e.what()) ==
              "x.repro.json: /scenario/machine/cpus: expected an integer 1..4096, found 0");
        const std::string text = repro.dump(1);
        const ConfigError located = locate_error(e, text);
        CHECK(located.line() > 1);
        CHECK_THAT(std::string(located.what()), Catch::EndsWith(")"));
    }
}

TEST_CASE("scenario::json: locate_pointer finds values or their nearest ancestor") {
    const std::string text = "{\n  \"a\": [10,\n         {\"b\": true}],\n  \"c/d\": 1.5\n}";
    CHECK(locate_pointer(text, "") == std::pair{1, 1});
    CHECK(locate_pointer(text, "/a") == std::pair{2, 8});
    CHECK(locate_pointer(text, "/a/0") == std::pair{2, 9});
    CHECK(locate_pointer(text, "/a/1") == std::pair{3, 10});
    CHECK(locate_pointer(text, "/a/1/b") == std::pair{3, 16});
    CHECK(locate_pointer(text, "/a/1/missing") == std::pair{3, 10});
    CHECK(locate_pointer(text, "/c~1d") == std::pair{4, 10});
    CHECK(locate_pointer("{", "/x") == std::pair{1, 1});
    CHECK(pointer_token("c/d~e") == "c~1d~0e");
}

TEST_CASE("scenario::apply_variant: re-resolves switches and keeps the file's overrides") {
    Scenario s = load_scenario_text(R"({"format": "rcusim-scenario/1", "name": "v",
        "kernel": {"variant": "v6.3", "switches": {"toggle_allocates": true}}})",
                                    "v.json");
    apply_variant(s, "v6.9", "--variant");
    CHECK(s.variant == "v6.9");
    rcusim::kernel::Switches want = rcusim::kernel::find_preset("v6.9")->switches;
    want.toggle_allocates = true;
    CHECK(s.switches == want);
    try {
        apply_variant(s, "v6.10", "--variant");
        FAIL("accepted v6.10");
    } catch (const ConfigError& e) {
        CHECK_THAT(std::string(e.what()),
                   Catch::StartsWith("--variant: unknown variant \"v6.10\" (did you mean") &&
                       Catch::Contains("patch1-trylock"));
    }
    CHECK(s.variant == "v6.9");
}

TEST_CASE("scenario::load_file: reads files and names them in errors") {
    const TempFile good("good", R"({"format": "rcusim-scenario/1", "name": "f"})");
    CHECK(load_scenario_file(good.path).name == "f");

    const TempFile bad("bad", "{\"format\": \"rcusim-scenario/1\",\n \"name\": 5}");
    try {
        load_scenario_file(bad.path);
        FAIL("loaded");
    } catch (const ConfigError& e) {
        CHECK(e.file() == bad.path);
        CHECK(std::string(e.what()) ==
              bad.path + ": /name: expected a name (a string), found 5 (line 2, column 10)");
    }

    CHECK_THROWS_WITH(load_scenario_file("/nonexistent/rcusim.json"),
                      "/nonexistent/rcusim.json: cannot read: no such file");
    CHECK_THROWS_WITH(load_scenario_file(std::filesystem::temp_directory_path().string()),
                      Catch::EndsWith("cannot read: is a directory"));
    CHECK_THROWS_WITH(read_input_file(good.path, 10), Catch::Contains("larger than"));
    CHECK(read_input_file(good.path).size() == 44);
}

TEST_CASE("scenario::load_file: a file over 16 MiB is refused") {
    const TempFile big("big", std::string(kMaxFileBytes + 1, ' '));
    CHECK_THROWS_WITH(load_scenario_file(big.path), Catch::Contains("larger than 16 MiB"));
}
