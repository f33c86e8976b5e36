#include "explore/repro.hpp"

#include <cstdio>
#include <cstring>

#include "scenario/scenario_json.hpp"
#include "trace/sinks.hpp"

namespace rcusim::explore {

using nlohmann::json;
using scenario::ConfigError;

nlohmann::json violation_to_json(const check::Violation& v) {
    json j = {{"kind", v.kind},
              {"severity", check::severity_name(v.severity)},
              {"at_ns", v.at},
              {"step", v.step},
              {"cpu", v.cpu},
              {"actors", v.actors}};
    if (v.object.find("lock") != std::string::npos || v.object.find("mutex") != std::string::npos)
        j["lock"] = v.object;
    else
        j["object"] = v.object;
    j["site"] = v.site;
    j["message"] = v.message;
    if (v.occurrences > 1) j["occurrences"] = v.occurrences;
    return j;
}

Repro make_repro(const scenario::Scenario& s, const scenario::RunResult& r) {
    Repro p;
    p.scenario = s;
    p.seed = r.seed;
    p.strategy = r.strategy;
    p.decisions = r.decisions;
    p.violations = r.violations;
    p.steps = r.steps;
    p.trace_digest = r.digest;
    // Real-code runs replay only against the tree they ran: its content hash goes with them.
    if (!r.kernel_tree.empty()) p.scenario.kernel_tree = r.kernel_tree;
    p.kernel = r.kernel;
    return p;
}

namespace {
// Large logs are stored packed: per entry the varint of (point delta << 1 | kind) and the
// varint of the value, all base64 (RFC 4648). Small logs stay readable triples.
constexpr std::size_t kPackAbove = 2000;
const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

std::string pack_log(const engine::DecisionLog& log) {
    std::string bytes;
    std::uint64_t prev = 0;
    for (const auto& d : log.entries) {
        put_varint(bytes, ((d.index - prev) << 1) | (d.kind == engine::DecisionKind::kDelay ? 1 : 0));
        put_varint(bytes, d.value);
        prev = d.index;
    }
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        if (i + 2 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 2]);
        out.push_back(kB64[(n >> 18) & 63]);
        out.push_back(kB64[(n >> 12) & 63]);
        out.push_back(i + 1 < bytes.size() ? kB64[(n >> 6) & 63] : '=');
        out.push_back(i + 2 < bytes.size() ? kB64[n & 63] : '=');
    }
    return out;
}

// Returns false on malformed input.
bool unpack_log(const std::string& text, engine::DecisionLog& log) {
    std::string bytes;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        const char* p = std::strchr(kB64, c);
        if (!p || c == 0) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    std::size_t i = 0;
    auto get = [&](std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (i >= bytes.size()) return false;
            auto b = static_cast<unsigned char>(bytes[i++]);
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return true;
        }
        return false;
    };
    std::uint64_t point = 0;
    bool first = true;
    while (i < bytes.size()) {
        std::uint64_t a, v;
        if (!get(a) || !get(v)) return false;
        if (!first && (a >> 1) == 0) return false;
        point += a >> 1;
        first = false;
        if (v == 0) return false;
        log.entries.push_back({point, (a & 1) ? engine::DecisionKind::kDelay : engine::DecisionKind::kPick, v});
    }
    return true;
}
}  // namespace

static const char* kind_name(engine::DecisionKind k) {
    return k == engine::DecisionKind::kPick ? "pick" : "delay";
}

json repro_to_json(const Repro& r) {
    json decisions = {{"points", r.decisions.points}};
    if (r.decisions.entries.size() > kPackAbove) {
        decisions["packed"] = pack_log(r.decisions);
        decisions["entries"] = r.decisions.entries.size();
    } else {
        json log = json::array();
        for (const auto& d : r.decisions.entries) log.push_back({d.index, kind_name(d.kind), d.value});
        decisions["log"] = log;
    }
    json viol = json::array();
    for (const auto& v : r.violations) viol.push_back(violation_to_json(v));
    json out{{"format", "rcusim-repro/1"},
                {"scenario", scenario::scenario_to_json(r.scenario)},
                {"variant", r.scenario.variant},
                {"switches", kernel::describe(r.scenario.switches)},
                {"seed", r.seed},
                {"strategy", r.strategy},
                {"decisions", decisions},
                {"violations", viol},
                {"steps", r.steps},
                {"trace_digest", r.trace_digest}};
    if (!r.kernel.empty()) out["kernel"] = r.kernel;  // the real tree's version, for readers
    return out;
}

namespace {
[[noreturn]] void bad(const std::string& origin, const std::string& ptr, const std::string& msg) {
    throw ConfigError(origin, ptr, msg);
}
const json& need(const json& j, const char* key, const std::string& origin, const std::string& ptr) {
    auto it = j.find(key);
    if (it == j.end()) bad(origin, ptr, std::string("missing required key '") + key + "'");
    return *it;
}
std::uint64_t need_uint(const json& j, const char* key, const std::string& origin) {
    const json& v = need(j, key, origin, "");
    if (!v.is_number_unsigned()) bad(origin, std::string("/") + key, "expected a non-negative integer");
    return v.get<std::uint64_t>();
}
std::string need_string(const json& j, const char* key, const std::string& origin) {
    const json& v = need(j, key, origin, "");
    if (!v.is_string()) bad(origin, std::string("/") + key, "expected a string");
    return v.get<std::string>();
}
}  // namespace

Repro repro_from_json(const json& j, const std::string& origin) {
    if (!j.is_object()) bad(origin, "", "expected a JSON object (an rcusim-repro/1 file)");
    // Another of rcusim's files: say what it is before judging its keys.
    if (j.contains("format") && j["format"].is_string()) {
        const std::string f = j["format"];
        if (f == "rcusim-scenario/1")
            bad(origin, "/format",
                "this is a scenario file, not a repro; run it with `rcusim run` (or fuzz, explore)");
        if (f == "rcusim-fuzz/1")
            bad(origin, "/format",
                "this is a campaign summary, not a repro; its \"failures\" name the repro files");
    }
    static const char* kKeys[] = {"format", "scenario", "variant", "switches", "seed", "strategy", "kernel",
                                  "decisions", "violations", "steps", "trace_digest"};
    for (auto it = j.begin(); it != j.end(); ++it) {
        bool ok = false;
        for (const char* k : kKeys) ok = ok || it.key() == k;
        if (!ok) {
            std::vector<std::string> cands(std::begin(kKeys), std::end(kKeys));
            std::string dym = scenario::did_you_mean(it.key(), cands);
            bad(origin, "/" + scenario::pointer_token(it.key()),
                "unknown key '" + it.key() + "'" + (dym.empty() ? "" : " (did you mean '" + dym + "'?)"));
        }
    }
    if (need_string(j, "format", origin) != "rcusim-repro/1")
        bad(origin, "/format", "expected \"rcusim-repro/1\"");
    Repro r;
    r.scenario = scenario::scenario_from_json(need(j, "scenario", origin, ""), origin, "/scenario");
    if (j.contains("kernel")) {
        if (!j["kernel"].is_string()) bad(origin, "/kernel", "expected the tree's version (a string)");
        r.kernel = j["kernel"].get<std::string>();
    }
    if (j.contains("variant")) {
        if (!j["variant"].is_string()) bad(origin, "/variant", "expected a string");
        if (j["variant"].get<std::string>() != r.scenario.variant)
            bad(origin, "/variant", "does not match /scenario/kernel/variant");
    }
    r.seed = need_uint(j, "seed", origin);
    r.strategy = need_string(j, "strategy", origin);
    if (r.strategy != "random" && r.strategy != "scripted" && r.strategy != "pct" &&
        r.strategy != "explore")
        bad(origin, "/strategy", "expected one of random, scripted, pct, explore");
    const json& d = need(j, "decisions", origin, "");
    if (!d.is_object()) bad(origin, "/decisions", "expected an object {\"points\": N, \"log\": [...]}");
    if (!d.contains("points") || !d["points"].is_number_unsigned())
        bad(origin, "/decisions/points", "expected a non-negative integer");
    r.decisions.points = d["points"].get<std::uint64_t>();
    if (d.contains("packed")) {
        if (!d["packed"].is_string() || !unpack_log(d["packed"].get<std::string>(), r.decisions))
            bad(origin, "/decisions/packed", "expected base64 of packed decisions");
        if (!r.decisions.entries.empty() && r.decisions.entries.back().index >= r.decisions.points)
            bad(origin, "/decisions/packed", "a decision point beyond /decisions/points");
    } else if (!d.contains("log") || !d["log"].is_array()) {
        bad(origin, "/decisions/log", "expected an array");
    }
    std::uint64_t last = 0;
    bool first = true;
    for (std::size_t i = 0; d.contains("log") && i < d["log"].size(); ++i) {
        const json& e = d["log"][i];
        std::string p = "/decisions/log/" + std::to_string(i);
        if (!e.is_array() || e.size() != 3 || !e[0].is_number_unsigned() || !e[1].is_string() ||
            !e[2].is_number_unsigned())
            bad(origin, p, "expected [point, \"pick\"|\"delay\", value]");
        engine::Decision dec;
        dec.index = e[0].get<std::uint64_t>();
        std::string k = e[1].get<std::string>();
        if (k == "pick") dec.kind = engine::DecisionKind::kPick;
        else if (k == "delay") dec.kind = engine::DecisionKind::kDelay;
        else bad(origin, p + "/1", "expected \"pick\" or \"delay\"");
        dec.value = e[2].get<std::uint64_t>();
        if (dec.value == 0) bad(origin, p + "/2", "expected a value >= 1 (0 is the default)");
        if (!first && dec.index <= last) bad(origin, p + "/0", "points must be strictly increasing");
        if (dec.index >= r.decisions.points)
            bad(origin, p + "/0", "point beyond /decisions/points");
        first = false;
        last = dec.index;
        r.decisions.entries.push_back(dec);
    }
    if (j.contains("violations")) {
        const json& vs = j["violations"];
        if (!vs.is_array()) bad(origin, "/violations", "expected an array");
        for (std::size_t i = 0; i < vs.size(); ++i) {
            const json& v = vs[i];
            std::string p = "/violations/" + std::to_string(i);
            if (!v.is_object() || !v.contains("kind") || !v["kind"].is_string())
                bad(origin, p, "expected an object with a \"kind\"");
            check::Violation x;
            x.kind = v["kind"].get<std::string>();
            if (!check::is_kind(x.kind)) bad(origin, p + "/kind", "unknown violation kind '" + x.kind + "'");
            x.severity = check::kind_severity(x.kind);
            if (v.contains("message") && v["message"].is_string()) x.message = v["message"];
            if (v.contains("lock") && v["lock"].is_string()) x.object = v["lock"];
            if (v.contains("object") && v["object"].is_string()) x.object = v["object"];
            if (v.contains("site") && v["site"].is_string()) x.site = v["site"];
            if (v.contains("at_ns") && v["at_ns"].is_number_integer()) x.at = v["at_ns"];
            if (v.contains("cpu") && v["cpu"].is_number_integer()) x.cpu = v["cpu"];
            r.violations.push_back(std::move(x));
        }
    }
    if (j.contains("steps")) {
        if (!j["steps"].is_number_unsigned()) bad(origin, "/steps", "expected a non-negative integer");
        r.steps = j["steps"];
    }
    r.trace_digest = need_string(j, "trace_digest", origin);
    if (r.trace_digest.rfind("sha256:", 0) != 0 || r.trace_digest.size() != 7 + 64)
        bad(origin, "/trace_digest", "expected \"sha256:\" followed by 64 hex digits");
    return r;
}

Repro load_repro_file(const std::string& path) {
    return load_repro_text(scenario::read_input_file(path), scenario::input_name(path));
}

Repro load_repro_text(const std::string& text, const std::string& origin) {
    json j = scenario::parse_json_strict(text, origin);
    try {
        return repro_from_json(j, origin);
    } catch (const ConfigError& e) {
        throw scenario::locate_error(e, text);
    }
}

void write_repro_file(const Repro& r, const std::string& path) {
    trace::AtomicFile f(path);
    f.stream() << repro_to_json(r).dump(2) << "\n";
    f.commit();
}

std::string repro_path(const std::string& dir, const Repro& r) {
    std::string name = r.scenario.name.empty() ? "scenario" : r.scenario.name;
    for (char& c : name)
        if (c == '/' || c == ' ' || c == '\\') c = '_';
    const std::string kernel = r.kernel.empty() ? r.scenario.variant : "real-" + r.kernel;
    return dir + "/" + name + "." + kernel + ".seed" + std::to_string(r.seed) + ".repro.json";
}

ReplayResult replay(const Repro& r, std::vector<engine::TraceSink*> sinks,
                    std::vector<const std::atomic<bool>*> stop, trace::TraceDigest* digester) {
    scenario::RunOptions o;
    o.digester = digester;
    o.seed = r.seed;
    o.strategy = "scripted";
    o.decisions = &r.decisions;
    o.sinks = std::move(sinks);
    o.stop = std::move(stop);
    ReplayResult out;
    out.run = scenario::run_scenario(r.scenario, o);
    out.run.strategy = r.strategy;
    // Entries for points the run never reached (a shorter run) do not fit either.
    if (!r.decisions.entries.empty() &&
        r.decisions.entries.back().index >= out.run.decisions.points)
        out.run.diverged = true;
    out.digest_matches = out.run.digest == r.trace_digest;
    return out;
}

}  // namespace rcusim::explore
