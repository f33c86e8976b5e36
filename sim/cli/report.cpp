#include "cli/report.hpp"

#include <cstdio>

#include "check/violation.hpp"
#include "explore/repro.hpp"

namespace rcusim::cli {

std::string run_header(const scenario::Scenario& s, const scenario::RunResult& r) {
    std::string out = "rcusim run: " + s.name + "  " + scenario::kernel_label(s) + "  strategy " +
                      r.strategy + "  seed " + std::to_string(r.seed) + "\n";
    out += "  " + std::to_string(s.cpus) + " CPUs, HZ " + std::to_string(s.hz) + ", nocb " +
           scenario::format_cpu_set(s.nocb_cpus) + ", " + std::to_string(s.events.size()) + " events, until " +
           scenario::format_duration(s.until) + ", max_delay " +
           scenario::format_duration(s.max_delay) + "\n";
    return out;
}

std::string run_summary(const scenario::Scenario& s, const scenario::RunResult& r, double wall_s,
                        const std::string& repro, const std::string& trace) {
    std::string out = "\n";
    int errors = 0, warnings = 0;
    for (const auto& v : r.violations) (v.severity == check::Severity::kError ? errors : warnings)++;
    if (r.violations.empty()) {
        out += "== no violations\n";
    } else {
        out += "== " + std::to_string(errors) + (errors == 1 ? " error, " : " errors, ") +
               std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings") + ":";
        for (const auto& v : r.violations) {
            out += " " + v.kind;
            if (v.occurrences > 1) out += " (x" + std::to_string(v.occurrences) + ")";
        }
        out += "\n";
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "   %llu steps, virtual time %s s (%s), wall %.3f s\n",
                  static_cast<unsigned long long>(r.steps), check::format_time(r.sim_time).c_str(),
                  scenario::stop_reason_name(r.stop), wall_s);
    out += buf;
    if (s.kernel_source.empty()) {  // the coverage goals are the model's race windows
        std::string goals;
        for (const auto& g : kernel::goal_infos()) {
            const auto hits = r.goals[static_cast<std::size_t>(g.goal)];
            if (hits == 0) continue;
            goals += (goals.empty() ? " " : ", ") + std::string(g.name);
            if (hits > 1) goals += " (x" + std::to_string(hits) + ")";
        }
        out += "   coverage goals hit:" + (goals.empty() ? std::string(" none") : goals) + "\n";
    }
    if (!r.digest.empty()) out += "   trace digest " + r.digest + "\n";
    if (!trace.empty()) out += "   trace written to " + trace + "\n";
    if (s.expect) {
        std::string kinds;
        for (const auto& k : *s.expect) kinds += (kinds.empty() ? "" : ", ") + k;
        out += "   expect [" + kinds + "]: " +
               (scenario::expect_met(s, r) ? "met" : "NOT met") + "\n";
    }
    if (!repro.empty()) {
        out += "   repro written to " + repro + "\n";
        out += "   replay with: rcusim replay " + repro + "\n";
    }
    return out;
}

nlohmann::json run_json(const scenario::Scenario& s, const scenario::RunResult& r,
                        const std::string& repro, double wall_s) {
    nlohmann::json v = nlohmann::json::array();
    for (const auto& x : r.violations) v.push_back(explore::violation_to_json(x));
    nlohmann::json j = {{"scenario", s.name},
                        {"variant", r.kernel.empty() ? s.variant : "real:" + r.kernel},
                        {"switches", kernel::describe(s.switches)},
                        {"seed", r.seed},
                        {"strategy", r.strategy},
                        {"executions", 1},
                        {"violations", v},
                        {"trace_digest", r.digest.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(r.digest)},
                        {"steps", r.steps},
                        {"sim_time_ns", r.sim_time},
                        {"stop", scenario::stop_reason_name(r.stop)},
                        {"elapsed_s", wall_s}};
    nlohmann::json goals = nlohmann::json::object();  // hit goals only
    for (const auto& g : kernel::goal_infos())
        if (const auto hits = r.goals[static_cast<std::size_t>(g.goal)]) goals[g.name] = hits;
    j["goals"] = goals;
    if (s.expect) {
        j["expect"] = *s.expect;
        j["expect_met"] = scenario::expect_met(s, r);
    }
    j["repro"] = repro.empty() ? nlohmann::json(nullptr) : nlohmann::json(repro);
    return j;
}

}  // namespace rcusim::cli
