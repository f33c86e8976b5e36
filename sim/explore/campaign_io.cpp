#include "explore/campaign_io.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "explore/pct.hpp"
#include "scenario/scenario_json.hpp"
#include "trace/sinks.hpp"

namespace rcusim::explore {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Words of `text` in lines of at most 96 columns, the first after `first`, the rest after
// `rest`.
std::string wrap(const std::string& text, const std::string& first, const std::string& rest) {
    std::string out = first;
    std::size_t col = first.size(), at = 0;
    bool line_empty = true;
    while (at < text.size()) {
        std::size_t sp = text.find(' ', at);
        if (sp == std::string::npos) sp = text.size();
        const std::string word = text.substr(at, sp - at);
        at = sp + 1;
        if (!line_empty && col + 1 + word.size() > 96) {
            out += "\n" + rest;
            col = rest.size();
            line_empty = true;
        }
        if (!line_empty) {
            out += ' ';
            ++col;
        }
        out += word;
        col += word.size();
        line_empty = false;
    }
    return out + "\n";
}

}  // namespace

NamedCoverage named(const Coverage& c) {
    NamedCoverage out;
    for (const auto& g : kernel::goal_infos())
        out.emplace_back(g.name, c[static_cast<std::size_t>(g.goal)]);
    return out;
}

json coverage_json(const NamedCoverage& c, const std::string& first_key) {
    json j = json::object();
    for (const auto& [name, g] : c)
        j[name] = {{"executions", g.executions},
                   {first_key, g.first ? json(*g.first) : json(nullptr)}};
    return j;
}

std::string coverage_text(const NamedCoverage& c, std::uint64_t total, const std::string& unit,
                          const std::string& first_label) {
    std::string out = "   coverage goals (race windows reached):\n";
    for (const auto& [name, g] : c) {
        const auto id = kernel::goal_by_name(name);
        const std::string where = id ? std::string(kernel::goal_info(*id).scenario) : "";
        char buf[256];
        if (g.executions == 0)
            std::snprintf(buf, sizeof buf, "     %-33s %-11s never hit\n", name.c_str(),
                          where.c_str());
        else
            std::snprintf(buf, sizeof buf, "     %-33s %-11s hit in %llu of %llu %s (%s %llu)\n",
                          name.c_str(), where.c_str(),
                          static_cast<unsigned long long>(g.executions),
                          static_cast<unsigned long long>(total), unit.c_str(), first_label.c_str(),
                          static_cast<unsigned long long>(g.first.value_or(0)));
        out += buf;
    }
    return out;
}

std::string coverage_hint(const scenario::Scenario& s, const Coverage& c,
                          const std::string& advice) {
    if (!s.expect) return "";
    std::string out;
    for (const auto& kind : *s.expect) {
        std::string goals;
        bool reached = false;
        for (const auto& g : kernel::goal_infos()) {
            if (!kernel::goal_marks_window_of(g.goal, kind)) continue;
            goals += (goals.empty() ? "" : ", ") + std::string(g.name);
            reached = reached || c[static_cast<std::size_t>(g.goal)].executions > 0;
        }
        if (goals.empty() || reached) continue;
        out += wrap("hint: nothing found, but the race window of the expected " + kind +
                        " was never reached (" + goals + ": never hit). Either this variant " +
                        "closes it or the schedules never got there: this clean result says " +
                        "nothing about that race; " + advice,
                    "   ", "         ");
    }
    return out;
}

json campaign_json(const scenario::Scenario& s, const FuzzOptions& o, const FuzzResult& r,
                   const std::vector<std::string>& repros) {
    json f = json::array();
    for (std::size_t i = 0; i < r.failures.size(); ++i) {
        const auto& x = r.failures[i];
        json v = json::array();
        for (const auto& viol : x.repro.violations) v.push_back(violation_to_json(viol));
        f.push_back({{"signature", x.signature},
                     {"kind", x.kind},
                     {"seed", x.seed},
                     {"count", x.count},
                     {"repro", i < repros.size() ? repros[i] : ""},
                     {"decisions", {{"found", x.original_decisions},
                                    {"minimized", x.repro.decisions.entries.size()}}},
                     {"events", {{"found", x.original_events},
                                 {"minimized", x.repro.scenario.events.size()}}},
                     {"violations", v}});
    }
    json j = {{"format", "rcusim-fuzz/1"},
              {"scenario", s.name},
              {"variant", scenario::kernel_name(s)},
              {"strategy", o.strategy},
              {"seeds", std::to_string(o.seeds.lo) + ".." + std::to_string(o.seeds.hi)},
              {"shard", std::to_string(o.shard_k) + "/" + std::to_string(o.shard_n)},
              {"jobs", o.jobs},
              {"keep_going", o.keep_going},
              {"executions", r.executions},
              {"executions_run", r.executions_run},
              {"steps", r.steps},
              {"elapsed_s", r.elapsed_s},
              {"executions_per_s", r.elapsed_s > 0 ? r.executions_run / r.elapsed_s : 0.0},
              {"first_failure_seed", r.first_failure_seed ? json(*r.first_failure_seed) : json(nullptr)},
              {"interrupted", r.interrupted},
              {"time_limited", r.time_limited},
              {"failures", f}};
    if (s.kernel_source.empty()) j["coverage"] = coverage_json(named(r.coverage), "first_seed");
    j["warnings"] = warnings_json(r.warnings);
    if (r.interrupted || r.time_limited) {
        const auto n = static_cast<std::uint64_t>(std::max(o.shard_n, 1));
        const auto k = static_cast<std::uint64_t>(std::max(o.shard_k, 0));
        // The executions all done, as the seed range (of this shard) they cover.
        j["completed"] = r.completed == 0
                             ? json(nullptr)
                             : json(std::to_string(o.seeds.lo) + ".." +
                                    std::to_string(o.seeds.lo + k + (r.completed - 1) * n));
        j["resume"] = r.resume.empty() ? json(nullptr) : json(r.resume);
    }
    if (o.strategy == "pct") {
        auto g = pct_guarantee(r.pct_n, r.pct_k, o.pct_depth);
        j["pct"] = {{"depth", o.pct_depth}, {"n", r.pct_n}, {"k", r.pct_k},
                    {"per_run", g.per_run}, {"runs_for_99", g.runs_for_99}};
    }
    return j;
}

std::vector<std::string> write_campaign(const std::string& dir, const scenario::Scenario& s,
                                        const FuzzOptions& o, const FuzzResult& r) {
    std::vector<std::string> paths;
    std::set<std::string> used;
    for (const auto& f : r.failures) {
        std::string p = repro_path(dir, f.repro);
        if (!used.insert(p).second) {
            // Several signatures at one seed (--keep-going): one file each, named by kind.
            const std::string ext = ".repro.json";
            const std::string base = p.substr(0, p.size() - ext.size()) + "." + f.kind;
            p = base + ext;
            for (int i = 2; !used.insert(p).second; ++i) p = base + "-" + std::to_string(i) + ext;
        }
        write_repro_file(f.repro, p);
        paths.push_back(p);
    }
    std::vector<std::string> names;
    for (const auto& p : paths) names.push_back(fs::path(p).filename().string());
    trace::AtomicFile sum(dir + "/summary.json");
    sum.stream() << campaign_json(s, o, r, names).dump(2) << "\n";
    sum.commit();
    return paths;
}

nlohmann::json warnings_json(const std::vector<FuzzResult::WarningSeen>& w) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& x : w)
        a.push_back({{"kind", x.kind}, {"executions", x.executions}, {"first_seed", x.first_seed}});
    return a;
}

json MergeResult::json() const {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& x : failures)
        f.push_back({{"signature", x.signature}, {"kind", x.kind}, {"seed", x.seed},
                     {"count", x.count}, {"repro", x.repro}, {"from", x.from}});
    nlohmann::json j = {{"format", "rcusim-fuzz/1"}, {"merged", folders}, {"shards", shards},
                        {"executions", executions},  {"elapsed_s", elapsed_s},
                        {"failures", f}};
    if (coverage) j["coverage"] = coverage_json(*coverage, "first_seed");
    j["warnings"] = warnings_json(warnings);
    return j;
}

MergeResult merge_campaigns(const std::vector<std::string>& dirs, const std::string& out_dir) {
    MergeResult m;
    std::map<std::string, MergedFailure> by_sig;
    std::map<std::string, GoalCoverage> cov;  // by name
    std::map<std::string, FuzzResult::WarningSeen> warn;  // by kind
    bool every_coverage = true;
    for (const auto& d : dirs) {
        std::string path = d + "/summary.json";
        std::string text = scenario::read_input_file(path);
        nlohmann::json j = scenario::parse_json_strict(text, path);
        auto bad = [&](const std::string& ptr, const std::string& msg) {
            throw scenario::locate_error(scenario::ConfigError(path, ptr, msg), text);
        };
        if (!j.is_object() || j.value("format", "") != "rcusim-fuzz/1")
            bad("/format", "expected \"rcusim-fuzz/1\" (a folder written by rcusim fuzz --out)");
        if (!j.contains("executions") || !j["executions"].is_number_unsigned())
            bad("/executions", "expected a non-negative integer");
        if (!j.contains("failures") || !j["failures"].is_array())
            bad("/failures", "expected an array");
        m.folders.push_back(d);
        m.executions += j["executions"].get<std::uint64_t>();
        if (j.contains("elapsed_s") && j["elapsed_s"].is_number()) m.elapsed_s += j["elapsed_s"].get<double>();
        m.shards.push_back(j.value("shard", std::string("0/1")));
        if (!j.contains("coverage")) {
            every_coverage = false;
        } else {
            if (!j["coverage"].is_object()) bad("/coverage", "expected an object");
            for (const auto& [name, g] : j["coverage"].items()) {
                const std::string p = "/coverage/" + name;
                if (!g.is_object()) bad(p, "expected an object");
                if (!g.contains("executions") || !g["executions"].is_number_unsigned())
                    bad(p + "/executions", "expected a non-negative integer");
                if (!g.contains("first_seed") ||
                    !(g["first_seed"].is_null() || g["first_seed"].is_number_unsigned()))
                    bad(p + "/first_seed", "expected a non-negative integer or null");
                GoalCoverage& c = cov[name];
                c.executions += g["executions"].get<std::uint64_t>();
                if (!g["first_seed"].is_null()) {
                    const auto seed = g["first_seed"].get<std::uint64_t>();
                    if (!c.first || seed < *c.first) c.first = seed;
                }
            }
        }
        if (j.contains("warnings")) {  // absent in summaries of older rcusim
            if (!j["warnings"].is_array()) bad("/warnings", "expected an array");
            for (std::size_t i = 0; i < j["warnings"].size(); ++i) {
                const auto& w = j["warnings"][i];
                const std::string p = "/warnings/" + std::to_string(i);
                if (!w.is_object() || !w.contains("kind") || !w["kind"].is_string() ||
                    !w.contains("executions") || !w["executions"].is_number_unsigned() ||
                    !w.contains("first_seed") || !w["first_seed"].is_number_unsigned())
                    bad(p, "expected an object with \"kind\", \"executions\" and \"first_seed\"");
                const std::string kind = w["kind"];
                const auto seed = w["first_seed"].get<std::uint64_t>();
                auto [it, fresh] = warn.try_emplace(kind, FuzzResult::WarningSeen{kind, 0, seed});
                it->second.executions += w["executions"].get<std::uint64_t>();
                it->second.first_seed = std::min(it->second.first_seed, seed);
            }
        }
        for (std::size_t i = 0; i < j["failures"].size(); ++i) {
            const auto& f = j["failures"][i];
            std::string p = "/failures/" + std::to_string(i);
            if (!f.is_object() || !f.contains("signature") || !f["signature"].is_string() ||
                !f.contains("seed") || !f["seed"].is_number_unsigned())
                bad(p, "expected an object with \"signature\" and \"seed\"");
            MergedFailure x;
            x.signature = f["signature"];
            x.kind = f.value("kind", "");
            x.seed = f["seed"];
            x.count = f.value("count", std::uint64_t{1});
            x.repro = f.value("repro", "");
            x.from = d;
            auto it = by_sig.find(x.signature);
            if (it == by_sig.end()) {
                by_sig.emplace(x.signature, x);
            } else {
                std::uint64_t total = it->second.count + x.count;
                if (x.seed < it->second.seed) it->second = x;
                it->second.count = total;
            }
        }
    }
    for (auto& [sig, f] : by_sig) {
        if (!out_dir.empty() && !f.repro.empty()) {
            fs::create_directories(out_dir);
            fs::path src = fs::path(f.from) / f.repro;
            fs::path dst = fs::path(out_dir) / f.repro;
            if (fs::exists(src) && fs::absolute(src) != fs::absolute(dst)) {
                trace::AtomicFile out(dst.string());
                out.stream() << scenario::read_input_file(src.string());
                out.commit();
            }
        }
        m.failures.push_back(f);
    }
    std::sort(m.failures.begin(), m.failures.end(),
              [](const auto& a, const auto& b) { return a.seed < b.seed; });
    for (auto& [kind, w] : warn) m.warnings.push_back(w);
    if (every_coverage && !dirs.empty()) {
        NamedCoverage c;
        for (const auto& g : kernel::goal_infos()) {  // declared goals first, in their order
            auto it = cov.find(g.name);
            c.emplace_back(g.name, it == cov.end() ? GoalCoverage{} : it->second);
            if (it != cov.end()) cov.erase(it);
        }
        for (auto& [name, g] : cov) c.emplace_back(name, g);  // from a newer build
        m.coverage = std::move(c);
    }
    if (!out_dir.empty()) {
        trace::AtomicFile sum(out_dir + "/summary.json");
        nlohmann::json j = m.json();
        for (auto& f : j["failures"]) f.erase("from");
        sum.stream() << j.dump(2) << "\n";
        sum.commit();
    }
    return m;
}

}  // namespace rcusim::explore
