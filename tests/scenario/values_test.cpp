// Scenario value syntax: durations, CPU sets, did-you-mean and the ConfigError message form.
#include <catch2/catch.hpp>

#include "scenario/scenario.hpp"

using namespace rcusim::scenario;
using rcusim::engine::kMs;
using rcusim::engine::kSec;
using rcusim::engine::kTimeMax;
using rcusim::engine::kUs;

namespace {

std::string duration_error(const std::string& text, int hz = 1000) {
    std::string why;
    const auto t = parse_duration(text, hz, &why);
    return t ? "<parsed>" : why;
}

std::string cpu_set_error(const std::string& text, int ncpus) {
    std::string why;
    const auto s = parse_cpu_set(text, ncpus, &why);
    return s ? "<parsed>" : why;
}

}  // namespace

TEST_CASE("scenario::duration: units and jiffies") {
    CHECK(parse_duration("250ns", 1000, nullptr) == 250);
    CHECK(parse_duration("250", 1000, nullptr) == 250);
    CHECK(parse_duration("3us", 1000, nullptr) == 3 * kUs);
    CHECK(parse_duration("10ms", 1000, nullptr) == 10 * kMs);
    CHECK(parse_duration("2s", 1000, nullptr) == 2 * kSec);
    CHECK(parse_duration("0ms", 1000, nullptr) == 0);
    CHECK(parse_duration("5j", 1000, nullptr) == 5 * kMs);
    CHECK(parse_duration("5j", 250, nullptr) == 20 * kMs);
    CHECK(parse_duration("1j", 300, nullptr) == 3'333'333);  // floor of 1e9/300
}

TEST_CASE("scenario::duration: rejects bad text with a reason") {
    CHECK_THAT(duration_error("-5ms"), Catch::Contains("negative"));
    CHECK_THAT(duration_error("1.5ms"),
               Catch::Contains("fractional") && Catch::Contains("\"1500us\""));
    CHECK_THAT(duration_error("0.3j"), Catch::Contains("fractional"));
    CHECK_THAT(duration_error("10min"), Catch::Contains("unknown unit \"min\""));
    CHECK_THAT(duration_error("10 ms"), Catch::Contains("unknown unit \" ms\""));
    CHECK_THAT(duration_error("ms"), Catch::Contains("e.g. \"10ms\""));
    CHECK_THAT(duration_error(""), Catch::Contains("empty"));
    CHECK_THAT(duration_error("99999999999999999999999s"), Catch::Contains("too large"));
    CHECK_THAT(duration_error("2305843010s"), Catch::Contains("too large"));
    CHECK_THAT(duration_error("5j", 0), Catch::Contains("HZ"));
    CHECK(parse_duration(std::to_string(kTimeMax), 1000, nullptr) == kTimeMax);
    CHECK_THAT(duration_error(std::to_string(kTimeMax + 1)), Catch::Contains("too large"));
}

TEST_CASE("scenario::duration: format is the shortest exact spelling and parses back") {
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(7) == "7ns");
    CHECK(format_duration(1500 * kUs) == "1500us");
    CHECK(format_duration(10 * kMs) == "10ms");
    CHECK(format_duration(30 * kSec) == "30s");
    CHECK(format_duration(-2 * kMs) == "-2ms");
    CHECK(format_duration(INT64_MIN) == "-9223372036854775808ns");
    for (Time t : {Time{0}, Time{1}, Time{999}, 1001 * kUs, 3'333'333 * Time{1}, kTimeMax})
        CHECK(parse_duration(format_duration(t), 1000, nullptr) == t);
}

TEST_CASE("scenario::cpu_set: all, none and range lists") {
    CHECK(parse_cpu_set("all", 4, nullptr) == std::vector<int>{0, 1, 2, 3});
    CHECK(parse_cpu_set("none", 4, nullptr) == std::vector<int>{});
    CHECK(parse_cpu_set("0-3,7", 8, nullptr) == std::vector<int>{0, 1, 2, 3, 7});
    CHECK(parse_cpu_set("7, 0-1,1", 8, nullptr) == std::vector<int>{0, 1, 7});  // dups are fine
    CHECK(parse_cpu_set("2", 4, nullptr) == std::vector<int>{2});
    CHECK(format_cpu_set({0, 1, 2, 3, 7, 9, 10}) == "0-3,7,9-10");
    CHECK(format_cpu_set({}) == "none");
}

TEST_CASE("scenario::cpu_set: rejects reversed ranges, out-of-range ids and junk") {
    CHECK_THAT(cpu_set_error("3-1", 4), Catch::Contains("reversed range 3-1"));
    CHECK_THAT(cpu_set_error("0-4", 4),
               Catch::Contains("CPU 4") && Catch::Contains("the machine has 4 CPUs (0-3)"));
    CHECK_THAT(cpu_set_error("99999999999", 4), Catch::Contains("CPU 99999999999"));
    CHECK_THAT(cpu_set_error("0,,1", 4), Catch::Contains("empty item"));
    CHECK_THAT(cpu_set_error("0,", 4), Catch::Contains("ends with ','"));
    CHECK_THAT(cpu_set_error("0-", 4), Catch::Contains("bad CPU list"));
    CHECK_THAT(cpu_set_error("-1", 4), Catch::Contains("bad CPU list"));
    CHECK_THAT(cpu_set_error("al", 4), Catch::Contains("did you mean 'all'?"));
    CHECK_THAT(cpu_set_error("", 4), Catch::Contains("empty"));
}

TEST_CASE("scenario::did_you_mean: close words only") {
    const std::vector<std::string> keys = {"cpus", "hz", "nocb_cpus", "group_size"};
    CHECK(did_you_mean("cpu", keys) == "cpus");
    CHECK(did_you_mean("nocbs_cpus", keys) == "nocb_cpus");
    CHECK(did_you_mean("groupsize", keys) == "group_size");
    CHECK(did_you_mean("HZ", keys) == "hz");
    CHECK(did_you_mean("x", keys).empty());
    CHECK(did_you_mean("variant", keys).empty());
    CHECK(did_you_mean("", keys).empty());
}

TEST_CASE("scenario::config_error: one line naming file, pointer and position") {
    const ConfigError semantic("s.json", "/events/3/cpu", "expected a CPU id 0..3, found 7");
    CHECK(std::string(semantic.what()) == "s.json: /events/3/cpu: expected a CPU id 0..3, found 7");
    const ConfigError syntax("s.json", "", "syntax error", 3, 14);
    CHECK(std::string(syntax.what()) == "s.json:3:14: syntax error");
    const ConfigError located("s.json", "/name", "bad", 2, 5);
    CHECK(std::string(located.what()) == "s.json: /name: bad (line 2, column 5)");
    const ConfigError plain("s.json", "", "cannot read: no such file");
    CHECK(std::string(plain.what()) == "s.json: cannot read: no such file");
    const ConfigError multi("a\nb.json", "/x", "one\ntwo");
    CHECK(std::string(multi.what()).find('\n') == std::string::npos);
}
