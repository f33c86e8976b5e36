#include "explore/campaign_io.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "explore/pct.hpp"
#include "scenario/scenario_json.hpp"
#include "trace/sinks.hpp"

namespace rcusim::explore {

namespace fs = std::filesystem;
using nlohmann::json;

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
              {"variant", s.variant},
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

json MergeResult::json() const {
    nlohmann::json f = nlohmann::json::array();
    for (const auto& x : failures)
        f.push_back({{"signature", x.signature}, {"kind", x.kind}, {"seed", x.seed},
                     {"count", x.count}, {"repro", x.repro}, {"from", x.from}});
    return {{"format", "rcusim-fuzz/1"}, {"merged", folders}, {"shards", shards},
            {"executions", executions},  {"elapsed_s", elapsed_s},
            {"failures", f}};
}

MergeResult merge_campaigns(const std::vector<std::string>& dirs, const std::string& out_dir) {
    MergeResult m;
    std::map<std::string, MergedFailure> by_sig;
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
