// docs/scenario.schema.json against the loader: every shipped scenario validates, and the
// schema and load_scenario_file() agree on the corpus under tests/scenario/corpus/ (good files:
// both accept; bad files: the loader names the file and the place, and the schema rejects
// them too unless the rule is one a JSON Schema cannot state: those are listed below).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "kernel/variant.hpp"
#include "scenario/scenario.hpp"
#include "scenario/scenario_json.hpp"
#include "support/repo_paths.hpp"

using namespace rcusim;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const json& schema_json() {
    static const json j =
        json::parse(read_bytes(testing::repo_path("docs/scenario.schema.json")));
    return j;
}

const valijson::Schema& schema() {
    static const valijson::Schema* s = [] {
        auto* out = new valijson::Schema;
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(schema_json());
        parser.populateSchema(adapter, *out);
        return out;
    }();
    return *s;
}

// valijson's nlohmann adapter reads every integer as int64_t, so 2^64 - 1 (a valid seed) would
// look like -1. Integers above INT64_MAX become INT64_MAX, which every bound of the schema
// judges the same way (the unbounded ones accept it, the bounded ones are all lower).
void saturate_unsigned(json& v) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t{INT64_MAX}) {
        v = INT64_MAX;
    } else if (v.is_structured()) {
        for (auto& child : v) saturate_unsigned(child);
    }
}

// What the schema says about a file's bytes: "" when valid, else the reasons. Text that is not
// JSON at all (a schema validator cannot even start) counts as rejected.
std::string schema_errors(const std::string& text) {
    // RFC 8259 allows no raw NUL anywhere; nlohmann::json::parse() takes one for the end of
    // the text (for C strings), so say it here.
    if (text.find('\0') != std::string::npos) return "not JSON: NUL byte";
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        return std::string("not JSON: ") + e.what();
    }
    saturate_unsigned(doc);
    valijson::Validator validator;
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    if (validator.validate(schema(), adapter, &results)) return "";
    std::string out;
    valijson::ValidationResults::Error e;
    while (results.popError(e)) {
        std::string where;
        for (const auto& c : e.context) where += c;
        out += where + ": " + e.description + "\n";
    }
    return out.empty() ? "invalid" : out;
}

std::vector<fs::path> json_files(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file() || e.path().extension() != ".json") continue;
        out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Bad files a JSON Schema cannot judge: the schema accepts them (checked below, so this list
// stays exact) and only the loader refuses them.
const std::set<std::string> kLoaderOnly = {
    "duplicate-key-top.json",             // JSON Schema sees the parsed object, one "name"
    "duplicate-key-nested.json",          //
    "group-size-beyond-cpus.json",        // group_size <= machine.cpus
    "nocb-cpus-beyond-machine.json",      // CPU ids < machine.cpus
    "nocb-cpus-reversed-range.json",      // "3-1": a regular expression cannot compare numbers
    "event-cpu-beyond-machine.json",      // cpu < machine.cpus
    "event-cpu-set-beyond-machine.json",  //
    "event-cpu-set-reversed.json",        //
    "event-target-beyond-machine.json",   // target < machine.cpus
    "callbacks-exhaust-memory.json",      // sum of count x CPUs over all events
    "streams-exhaust-memory.json",        // sum of CPUs over all events
    "stream-past-end-of-time.json",       // at + (count - 1) x every
    "duration-too-large-string.json",     // "99999999999s": the limit depends on the unit
    "window-reversed.json",               // from < to
    "window-empty.json",                  //
    "decisions-not-increasing.json",      // point[i] < point[i + 1]
};

// The JSON pointer each bad file's error names ("" for syntax and encoding errors and the root,
// which name line and column instead).
const std::map<std::string, std::string> kBadPointers = {
    {"callbacks-exhaust-memory.json", "/events"},
    {"cpus-fraction.json", "/machine/cpus"},
    {"cpus-negative.json", "/machine/cpus"},
    {"cpus-string.json", "/machine/cpus"},
    {"cpus-too-many.json", "/machine/cpus"},
    {"kernel-data-races-unknown.json", "/kernel/data_races"},
    {"cpus-zero.json", "/machine/cpus"},
    {"decision-kind-unknown.json", "/explore/decisions/0/kind"},
    {"decision-value-zero.json", "/explore/decisions/0/value"},
    {"decisions-not-increasing.json", "/explore/decisions/1/point"},
    {"description-number.json", "/description"},
    {"duplicate-key-nested.json", "/machine/cpus"},
    {"duplicate-key-top.json", "/name"},
    {"duration-bad-unit.json", "/events/0/at"},
    {"duration-bool.json", "/run/until"},
    {"duration-float.json", "/kernel/gp_duration"},
    {"duration-fraction.json", "/events/0/at"},
    {"duration-negative-integer.json", "/events/0/every"},
    {"duration-negative-string.json", "/events/0/at"},
    {"duration-no-number.json", "/events/0/at"},
    {"duration-too-large-integer.json", "/run/until"},
    {"duration-too-large-string.json", "/run/until"},
    {"encoding-invalid-utf8.json", ""},
    {"encoding-nul-byte.json", ""},
    {"encoding-nul-in-string.json", ""},
    {"encoding-overlong-utf8.json", ""},
    {"encoding-utf16.json", ""},
    {"encoding-utf8-surrogate.json", ""},
    {"event-at-missing.json", "/events/0/at"},
    {"event-count-huge.json", "/events/0/count"},
    {"event-count-zero.json", "/events/0/count"},
    {"event-cpu-beyond-machine.json", "/events/0/cpu"},
    {"event-cpu-missing.json", "/events/0/cpu"},
    {"event-cpu-negative.json", "/events/0/cpu"},
    {"event-cpu-set-bad-syntax.json", "/events/0/cpu"},
    {"event-cpu-set-beyond-machine.json", "/events/0/cpu"},
    {"event-cpu-set-empty-array.json", "/events/0/cpu"},
    {"event-cpu-set-empty.json", "/events/0/cpu"},
    {"event-cpu-set-for-single-cpu-op.json", "/events/0/cpu"},
    {"event-cpu-set-reversed.json", "/events/0/cpu"},
    {"event-hurry-lazy.json", "/events/0/lazy"},
    {"event-irqs-off-int.json", "/events/0/irqs_off"},
    {"event-key-not-for-op.json", "/events/0/lazy"},
    {"event-not-object.json", "/events/0"},
    {"event-nr-to-scan-zero.json", "/events/0/nr_to_scan"},
    {"event-op-missing.json", "/events/0/op"},
    {"event-op-unknown.json", "/events/0/op"},
    {"event-target-beyond-machine.json", "/events/0/target"},
    {"event-target-missing.json", "/events/0/target"},
    {"event-unknown-key.json", "/events/0/nr_to_scann"},
    {"events-not-array.json", "/events"},
    {"expect-kind-twice.json", "/expect/violations/1"},
    {"expect-missing-violations.json", "/expect/violations"},
    {"expect-unknown-kind.json", "/expect/violations/0"},
    {"format-missing.json", "/format"},
    {"format-repro.json", "/format"},
    {"format-wrong-version.json", "/format"},
    {"gp-duration-zero.json", "/kernel/gp_duration"},
    {"group-size-beyond-cpus.json", "/machine/group_size"},
    {"group-size-negative.json", "/machine/group_size"},
    {"hz-too-high.json", "/machine/hz"},
    {"hz-zero.json", "/machine/hz"},
    {"lazy-flush-zero.json", "/kernel/lazy_flush"},
    {"machine-not-object.json", "/machine"},
    {"machine-unknown-key.json", "/machine/cpuz"},
    {"max-delay-bad.json", "/explore/max_delay"},
    {"max-steps-string.json", "/run/max_steps"},
    {"max-steps-too-large.json", "/run/max_steps"},
    {"max-steps-zero.json", "/run/max_steps"},
    {"name-control-character.json", "/name"},
    {"name-empty.json", "/name"},
    {"name-missing.json", "/name"},
    {"nocb-cpus-bad-syntax.json", "/machine/nocb_cpus"},
    {"nocb-cpus-beyond-machine.json", "/machine/nocb_cpus"},
    {"nocb-cpus-object.json", "/machine/nocb_cpus"},
    {"nocb-cpus-reversed-range.json", "/machine/nocb_cpus"},
    {"nocb-cpus-typo.json", "/machine/nocb_cpus"},
    {"qhimark-zero.json", "/kernel/qhimark"},
    {"root-array.json", ""},
    {"root-null.json", ""},
    {"root-string.json", ""},
    {"run-unknown-key.json", "/run/untill"},
    {"seed-negative.json", "/explore/seed"},
    {"strategy-unknown.json", "/explore/strategy"},
    {"stream-past-end-of-time.json", "/events/0/every"},
    {"streams-exhaust-memory.json", "/events/244/cpu"},
    {"structure-deep-nesting.json",
     "/description/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0"
     "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0"},
    {"switch-not-bool.json", "/kernel/switches/P2"},
    {"switch-shrinker-bad.json", "/kernel/switches/shrinker"},
    {"switch-unknown.json", "/kernel/switches/P22"},
    {"syntax-comment.json", ""},
    {"syntax-empty.json", ""},
    {"syntax-huge-exponent.json", ""},
    {"syntax-not-json.json", ""},
    {"syntax-single-quotes.json", ""},
    {"syntax-trailing-comma.json", ""},
    {"syntax-trailing-garbage.json", ""},
    {"syntax-truncated.json", ""},
    {"syntax-unterminated-string.json", ""},
    {"syntax-whitespace-only.json", ""},
    {"unknown-top-key.json", "/evnets"},
    {"until-zero.json", "/run/until"},
    {"variant-unknown.json", "/kernel/variant"},
    {"window-empty.json", "/memory/pressure/0"},
    {"window-missing-to.json", "/memory/pressure/0/to"},
    {"window-reversed.json", "/memory/pressure/0"},
    {"window-unknown-key.json", "/memory/pressure/0/too"},
};

std::vector<std::string> enum_of(const json& node) {
    std::vector<std::string> out;
    for (const auto& v : node.at("enum")) out.push_back(v.get<std::string>());
    return out;
}

}  // namespace

TEST_CASE("scenario::schema: every scenario under configs/ validates against the schema") {
    const auto files = json_files(testing::repo_path("configs"));
    REQUIRE_FALSE(files.empty());
    for (const auto& f : files) {
        INFO(f.string());
        CHECK(schema_errors(read_bytes(f)) == "");
        CHECK_NOTHROW(scenario::load_scenario_file(f.string()));
    }
}

TEST_CASE("scenario::schema: its enums are the loader's ops, variants, switches and kinds") {
    const json& s = schema_json();
    CHECK(s.at("$schema") == "http://json-schema.org/draft-07/schema#");
    const json& defs = s.at("definitions");
    CHECK(enum_of(defs.at("event").at("properties").at("op")) == scenario::op_names());
    std::vector<std::string> presets;
    for (const auto& p : kernel::presets()) presets.push_back(p.name);
    CHECK(enum_of(s.at("properties").at("kernel").at("properties").at("variant")) == presets);
    const json& sw = s.at("properties").at("kernel").at("properties").at("switches");
    std::vector<std::string> switches, want_switches;
    for (const auto& [name, unused] : sw.at("properties").items()) switches.push_back(name);
    for (const auto& info : kernel::switch_infos()) want_switches.push_back(info.name);
    std::sort(switches.begin(), switches.end());
    std::sort(want_switches.begin(), want_switches.end());
    CHECK(switches == want_switches);
    CHECK(enum_of(s.at("properties").at("expect").at("properties").at("violations").at("items")) ==
          scenario::violation_kind_names());
    CHECK(enum_of(s.at("properties").at("explore").at("properties").at("strategy")) ==
          std::vector<std::string>{"random", "scripted", "pct"});
    CHECK(s.at("properties").at("events").at("maxItems") == scenario::kMaxEvents);
    const json& max_steps = s.at("properties").at("run").at("properties").at("max_steps");
    CHECK(max_steps.at("maximum") == scenario::kMaxMaxSteps);
}

TEST_CASE("scenario::schema: loader and schema both accept the good corpus") {
    const auto files = json_files(testing::repo_path("tests/scenario/corpus/good"));
    REQUIRE(files.size() >= 5);
    for (const auto& f : files) {
        INFO(f.string());
        CHECK(schema_errors(read_bytes(f)) == "");
        CHECK_NOTHROW(scenario::load_scenario_file(f.string()));
    }
}

TEST_CASE("scenario::schema: the bad corpus is refused with the file and the place") {
    const auto files = json_files(testing::repo_path("tests/scenario/corpus/bad"));
    REQUIRE(files.size() >= 40);
    std::set<std::string> seen;
    for (const auto& f : files) {
        const std::string name = f.filename().string();
        const std::string path = f.string();
        seen.insert(name);
        INFO(path);
        const auto want = kBadPointers.find(name);
        INFO("add the file to kBadPointers (and to kLoaderOnly if the schema cannot judge it)");
        REQUIRE(want != kBadPointers.end());

        // The loader: a ConfigError naming the file, the pointer and line:column.
        bool threw = false;
        try {
            scenario::load_scenario_file(path);
        } catch (const scenario::ConfigError& e) {
            threw = true;
            const std::string what = e.what();
            INFO(what);
            CHECK(e.file() == path);
            CHECK(what.rfind(path + ":", 0) == 0);
            CHECK(e.pointer() == want->second);
            CHECK(e.line() > 0);
            CHECK(e.column() > 0);
            const std::string lc = std::to_string(e.line()) + ":" + std::to_string(e.column());
            if (e.pointer().empty()) {
                CHECK(what.rfind(path + ":" + lc + ": ", 0) == 0);
            } else {
                CHECK(what.rfind(path + ": " + e.pointer() + ": ", 0) == 0);
                CHECK_THAT(what, Catch::EndsWith("(line " + std::to_string(e.line()) + ", column " +
                                                 std::to_string(e.column()) + ")"));
            }
            CHECK(what.find('\n') == std::string::npos);
        }
        CHECK(threw);

        // The schema: rejects what it can express, and accepts exactly the loader-only files.
        const std::string why = schema_errors(read_bytes(f));
        INFO("schema says: " << (why.empty() ? "valid" : why));
        if (kLoaderOnly.count(name) != 0)
            CHECK(why.empty());
        else
            CHECK_FALSE(why.empty());
    }
    for (const auto& [name, unused] : kBadPointers) {
        INFO(name << " is listed but missing from tests/scenario/corpus/bad");
        CHECK(seen.count(name) == 1);
    }
}

TEST_CASE("scenario::schema: regression inputs the fuzzer found load or fail cleanly") {
    const fs::path dir = testing::repo_path("tests/scenario/corpus/regressions");
    REQUIRE(fs::is_directory(dir));
    for (const auto& e : fs::directory_iterator(dir)) {
        if (!e.is_regular_file() || e.path().filename().string().rfind("scenario-", 0) != 0)
            continue;
        INFO(e.path().string());
        try {
            scenario::load_scenario_file(e.path().string());
        } catch (const scenario::ConfigError& err) {
            CHECK(std::string(err.what()).rfind(e.path().string(), 0) == 0);
        }
    }
}
