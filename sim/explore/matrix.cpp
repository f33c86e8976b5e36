#include "explore/matrix.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <condition_variable>
#include <mutex>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "check/violation.hpp"
#include "explore/fuzz.hpp"
#include "explore/repro.hpp"
#include "scenario/runner.hpp"

namespace rcusim::explore {

using Clock = std::chrono::steady_clock;
using scenario::ConfigError;

namespace {

std::string trim(const std::string& s) {
    std::size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return s.substr(a, b - a);
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) break;
        start = p + 1;
    }
    return out;
}

// "V0".."V3" name the presets whose shrinker body they are, with no patch on top.
const kernel::Preset* preset_for_base(const std::string& name) {
    kernel::Switches want;
    if (!kernel::set_shrinker(want, name)) return nullptr;
    for (const auto& p : kernel::presets())
        if (p.switches == want) return &p;
    return nullptr;
}

std::vector<std::string> base_names() {
    std::vector<std::string> names;
    for (const auto& p : kernel::presets()) names.push_back(p.name);
    for (const char* v : {"V0", "V1", "V2", "V3"}) names.push_back(v);
    names.push_back("file");
    names.push_back("all");
    return names;
}

// One PRESET+SWITCH[=VALUE] item on top of a preset; returns the canonical pair.
std::pair<std::string, std::string> parse_extra(const std::string& item, const std::string& tok,
                                                const std::string& origin,
                                                kernel::Switches& sw) {
    const std::size_t eq = tok.find('=');
    const std::string name = trim(tok.substr(0, eq));
    const std::optional<std::string> value =
        eq == std::string::npos ? std::nullopt : std::optional(trim(tok.substr(eq + 1)));
    std::vector<std::string> names;
    const kernel::SwitchInfo* info = nullptr;
    for (const auto& i : kernel::switch_infos()) {
        names.push_back(i.name);
        if (lower(name) == lower(i.name)) info = &i;
    }
    if (info == nullptr) {
        std::string msg = "'" + item + "': unknown switch '" + name + "'";
        const std::string close = scenario::did_you_mean(name, names);
        if (!close.empty()) msg += " (did you mean '" + close + "'?)";
        msg += "; switches:";
        for (const auto& n : names) msg += " " + n;
        throw ConfigError(origin, "", msg);
    }
    const std::string canon = info->name;
    if (canon == "shrinker") {
        const std::string v = value ? value->size() == 2 && (*value)[0] == 'v'
                                          ? "V" + value->substr(1)
                                          : *value
                                    : "";
        if (!value || !kernel::set_shrinker(sw, v))
            throw ConfigError(origin, "",
                              "'" + item + "': shrinker needs a value, shrinker=V0..V3 (found '" +
                                  tok + "')");
        return {canon, v};
    }
    bool b = true;
    if (value) {
        if (*value == "true") b = true;
        else if (*value == "false") b = false;
        else
            throw ConfigError(origin, "",
                              "'" + item + "': " + canon + " is a bool switch: " + canon + ", " +
                                  canon + "=true or " + canon + "=false (found '" + tok + "')");
    }
    kernel::set_switch(sw, canon, b);
    return {canon, b ? "true" : "false"};
}

}  // namespace

bool is_environment_switch(const std::string& name) {
    // (De-)offload allocating while it holds barrier_mutex models the workqueue's worker
    // creation (MODEL.md S3): a property of the machine's state, present in every kernel.
    return name == "toggle_allocates";
}

std::vector<MatrixColumn> parse_matrix_columns(const std::string& list, const std::string& origin) {
    std::vector<MatrixColumn> cols;
    const std::string all = trim(list);
    if (all.empty()) throw ConfigError(origin, "", "empty variant list; give 'all' or PRESET,...");
    auto add = [&](MatrixColumn c) {
        for (const auto& other : cols)
            if (other.name == c.name)
                throw ConfigError(origin, "", "variant '" + c.name + "' given twice");
        cols.push_back(std::move(c));
    };
    for (const std::string& raw : split(all, ',')) {
        const std::string item = trim(raw);
        if (item.empty())
            throw ConfigError(origin, "", "empty item in '" + list + "' (two commas in a row?)");
        if (item == "all") {  // every preset, in `rcusim variants` order
            for (const auto& p : kernel::presets()) {
                MatrixColumn c;
                c.name = p.name;
                c.preset = p.name;
                c.switches = p.switches;
                add(std::move(c));
            }
            continue;
        }
        MatrixColumn c;
        c.name = item;
        if (item.rfind("real:", 0) == 0) {  // a kernel tree, run for real
            c.real = trim(item.substr(5));
            if (c.real.empty())
                throw ConfigError(origin, "", "'" + item + "': real: needs a kernel tree (real:PATH)");
            add(std::move(c));
            continue;
        }
        const std::vector<std::string> toks = split(item, '+');
        const std::string base = trim(toks[0]);
        if (base == "file" || base == "all") {
            if (toks.size() > 1) {
                const std::string hint =
                    base == "file" ? ", or edit kernel.switches in the file)" : ")";
                throw ConfigError(origin, "",
                                  "'" + item + "': '" + base +
                                      "' takes no switches (give PRESET+SWITCH items" + hint);
            }
            c.file = true;
        } else {
            const kernel::Preset* p = kernel::find_preset(base);
            if (p == nullptr) p = preset_for_base(base);
            if (p == nullptr) {
                std::string msg = "'" + item + "': unknown variant '" + base + "'";
                const std::string close = scenario::did_you_mean(base, base_names());
                if (!close.empty()) msg += " (did you mean '" + close + "'?)";
                msg += "; presets:";
                for (const auto& q : kernel::presets()) msg += std::string(" ") + q.name;
                msg += " (or V0..V3, file, all)";
                throw ConfigError(origin, "", msg);
            }
            c.preset = p->name;
            c.switches = p->switches;
            for (std::size_t i = 1; i < toks.size(); ++i) {
                if (trim(toks[i]).empty())
                    throw ConfigError(origin, "", "'" + item + "': empty switch after '+'");
                auto e = parse_extra(item, toks[i], origin, c.switches);
                std::erase_if(c.extra, [&](const auto& x) { return x.first == e.first; });
                c.extra.push_back(std::move(e));
            }
        }
        add(std::move(c));
    }
    return cols;
}

scenario::Scenario cell_scenario(const scenario::Scenario& s, const MatrixColumn& c) {
    scenario::Scenario out = s;
    if (c.file) return out;
    if (!c.real.empty()) {
        out.kernel_source = c.real;
        out.kernel_tree.clear();
        return out;
    }
    out.kernel_source.clear();  // a model column runs the model, whatever the file names
    out.kernel_tree.clear();
    const kernel::Preset* p = kernel::find_preset(c.preset);
    kernel::Switches sw = p != nullptr ? p->switches : c.switches;
    std::vector<std::pair<std::string, std::string>> overrides;
    auto apply = [&](const std::string& name, const std::string& value) {
        if (name == "shrinker") kernel::set_shrinker(sw, value);
        else kernel::set_switch(sw, name, value == "true");
        std::erase_if(overrides, [&](const auto& x) { return x.first == name; });
        overrides.emplace_back(name, value);
    };
    for (const auto& [name, value] : s.switch_overrides)
        if (is_environment_switch(name)) apply(name, value);
    for (const auto& [name, value] : c.extra) apply(name, value);
    out.variant = c.preset;
    out.switches = sw;
    out.switch_overrides = std::move(overrides);
    return out;
}

MatrixResult run_matrix(const std::vector<MatrixInput>& inputs,
                        const std::vector<MatrixColumn>& columns, const MatrixOptions& o) {
    MatrixResult res;
    res.columns = columns;
    res.budget = o.budget;
    const auto t0 = Clock::now();

    // One job per cell: its scenario and its runs. Run 0 is the file's own schedule; runs
    // 1.. are the seeds 0..budget-1, minus the seed the own schedule already is.
    struct Job {
        std::size_t row, col;
        scenario::Scenario s;
        bool own_is_random;          // the file's schedule is a random seed ...
        std::uint64_t runs = 0;      // 1 + seeds
        std::uint64_t first = 0;     // flat index of run 0
        // merged results, under the mutex
        std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> kinds;  // kind ->
                                                        // (smallest run index, runs showing it)
        std::uint64_t done = 0, step_limited = 0;
        std::vector<std::string> own_kinds;
        bool own_ran = false, own_diverged = false;
    };
    std::vector<Job> jobs;
    std::uint64_t total = 0;
    for (std::size_t r = 0; r < inputs.size(); ++r) {
        MatrixRow row;
        row.scenario = inputs[r].scenario.name;
        row.file = inputs[r].file;
        row.expect = inputs[r].scenario.expect;
        for (const auto& [name, value] : inputs[r].scenario.switch_overrides)
            if (is_environment_switch(name)) row.kept_switches.push_back(name + "=" + value);
        res.rows.push_back(std::move(row));
        for (std::size_t c = 0; c < columns.size(); ++c) {
            Job j{r, c, cell_scenario(inputs[r].scenario, columns[c]), false};
            j.own_is_random = j.s.strategy != "scripted";
            const bool dup = j.own_is_random && j.s.seed < o.budget;
            j.runs = 1 + o.budget - (dup ? 1 : 0);
            j.first = total;
            total += j.runs;
            jobs.push_back(std::move(j));
        }
    }
    // Seed of run i > 0 of a job.
    auto seed_of = [&](const Job& j, std::uint64_t i) {
        std::uint64_t seed = i - 1;
        if (j.own_is_random && j.s.seed < o.budget && seed >= j.s.seed) ++seed;
        return seed;
    };

    std::mutex mu;
    std::condition_variable cv;
    std::atomic<std::uint64_t> next{0}, done{0};
    std::atomic<bool> halt{false};
    const int nworkers = std::max(o.jobs, 1);
    std::atomic<int> running{nworkers};
    auto worker = [&] {
        std::size_t ji = 0;
        for (;;) {
            if (halt.load(std::memory_order_relaxed)) break;
            const std::uint64_t t = next.fetch_add(1);
            if (t >= total) break;
            while (t >= jobs[ji].first + jobs[ji].runs) ++ji;  // t only grows per worker
            Job& j = jobs[ji];
            const std::uint64_t i = t - j.first;
            scenario::RunResult r;
            if (i == 0) {
                scenario::RunOptions ro;
                ro.digest = false;
                ro.record_decisions = false;
                r = scenario::run_scenario(j.s, ro);
            } else {
                r = run_seed(j.s, "random", seed_of(j, i), 3, 0, 0, false);
            }
            const std::vector<std::string> kinds = r.kinds();
            std::lock_guard<std::mutex> g(mu);
            ++j.done;
            if (r.stop == engine::Simulator::StopReason::kStepLimit) ++j.step_limited;
            if (i == 0) {
                j.own_ran = true;
                j.own_kinds = kinds;
                j.own_diverged = r.diverged;
            }
            for (const auto& k : kinds) {
                auto it = j.kinds.find(k);
                if (it == j.kinds.end()) {
                    j.kinds.emplace(k, std::pair{i, std::uint64_t{1}});
                } else {
                    it->second.first = std::min(it->second.first, i);
                    ++it->second.second;
                }
            }
            done++;
        }
        if (--running == 0) {
            std::lock_guard<std::mutex> g(mu);
            cv.notify_all();
        }
    };
    {
        boost::asio::thread_pool pool(static_cast<std::size_t>(nworkers));
        for (int w = 0; w < nworkers; ++w) boost::asio::post(pool, worker);
        std::unique_lock<std::mutex> lk(mu);
        while (running.load() > 0) {
            cv.wait_for(lk, std::chrono::milliseconds(200));
            if (o.stop && o.stop->load()) {
                res.interrupted = true;
                halt = true;
            }
            if (o.progress) {
                lk.unlock();
                o.progress(done.load(), total,
                           std::chrono::duration<double>(Clock::now() - t0).count());
                lk.lock();
            }
        }
        lk.unlock();
        pool.join();
    }

    // Contract order of the kinds; severity from the kinds table.
    const auto& order = check::all_kinds();
    for (auto& j : jobs) {
        MatrixCell cell;
        cell.column = columns[j.col].name;
        cell.switches = j.s.kernel_source.empty() ? kernel::describe(j.s.switches)
                                                  : "real:" + j.s.kernel_source;
        cell.executions = j.done;
        cell.step_limited = j.step_limited;
        cell.own_strategy = j.own_is_random ? "random" : "scripted";
        cell.own_seed = j.s.seed;
        cell.own_kinds = j.own_kinds;
        cell.own_ran = j.own_ran;
        cell.own_diverged = j.own_diverged;
        std::vector<std::string> kinds;
        for (const auto& [k, idx] : j.kinds) kinds.push_back(k);
        std::stable_sort(kinds.begin(), kinds.end(), [&](const auto& a, const auto& b) {
            auto pa = std::find(order.begin(), order.end(), a) - order.begin();
            auto pb = std::find(order.begin(), order.end(), b) - order.begin();
            return pa < pb;
        });
        cell.kinds = kinds;
        for (const auto& [k, first] : j.kinds) {
            const auto [idx, count] = first;
            FoundBy f;
            f.executions = count;
            if (idx == 0) {
                f.file_schedule = true;
                f.strategy = cell.own_strategy;
                f.seed = j.s.seed;
            } else {
                f.strategy = "random";
                f.seed = seed_of(j, idx);
            }
            cell.found_by[k] = f;
        }
        res.executions += j.done;
        res.rows[j.row].cells.push_back(std::move(cell));
    }
    res.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
    return res;
}

std::vector<std::string> write_matrix_repros(const std::vector<MatrixInput>& inputs,
                                             MatrixResult& r, const std::string& dir) {
    auto clean = [](std::string s) {
        for (char& c : s)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
                c != '_' && c != '+' && c != '=')
                c = '_';
        return s;
    };
    std::filesystem::create_directories(dir);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < r.rows.size() && i < inputs.size(); ++i) {
        for (std::size_t c = 0; c < r.rows[i].cells.size(); ++c) {
            MatrixCell& cell = r.rows[i].cells[c];
            const scenario::Scenario s = cell_scenario(inputs[i].scenario, r.columns[c]);
            std::map<std::string, std::string> written;  // run -> path
            for (auto& [kind, f] : cell.found_by) {
                const std::string run_id = f.file_schedule ? std::string("file-schedule")
                                                           : "seed" + std::to_string(f.seed);
                auto it = written.find(run_id);
                if (it == written.end()) {
                    scenario::RunOptions o;  // the file's own schedule by default
                    if (!f.file_schedule) {
                        o.seed = f.seed;
                        o.strategy = "random";
                    }
                    const scenario::RunResult run = scenario::run_scenario(s, o);
                    const Repro rp = make_repro(s, run);
                    const std::string path = dir + "/" + clean(r.rows[i].scenario) + "." +
                                             clean(cell.column) + "." + run_id + ".repro.json";
                    write_repro_file(rp, path);
                    paths.push_back(path);
                    it = written.emplace(run_id, path).first;
                }
                f.repro = it->second;
            }
        }
    }
    return paths;
}

nlohmann::json matrix_json(const MatrixResult& r) {
    nlohmann::json j;
    j["variants"] = nlohmann::json::array();
    for (const auto& c : r.columns) j["variants"].push_back(c.name);
    j["budget"] = r.budget;
    j["executions"] = r.executions;
    j["elapsed_s"] = r.elapsed_s;
    j["interrupted"] = r.interrupted;
    j["rows"] = nlohmann::json::array();
    for (const auto& row : r.rows) {
        nlohmann::json jr;
        jr["scenario"] = row.scenario;
        jr["file"] = row.file;
        if (row.expect) jr["expect"] = *row.expect;
        jr["cells"] = nlohmann::json::object();
        for (const auto& c : row.cells) {
            nlohmann::json jc;
            jc["kinds"] = c.kinds;
            jc["executions"] = c.executions;
            jc["switches"] = c.switches;
            nlohmann::json warnings = nlohmann::json::array();
            for (const auto& k : c.kinds)
                if (check::kind_severity(k) == check::Severity::kWarning) warnings.push_back(k);
            jc["warnings"] = warnings;
            nlohmann::json found = nlohmann::json::object();
            for (const auto& [k, f] : c.found_by) {
                nlohmann::json jf = {{"strategy", f.strategy},
                                     {"file_schedule", f.file_schedule},
                                     {"executions", f.executions}};
                if (f.strategy == "random") jf["seed"] = f.seed;
                if (!f.repro.empty()) jf["repro"] = f.repro;
                found[k] = jf;
            }
            jc["found_by"] = found;
            nlohmann::json own = {{"strategy", c.own_strategy}, {"kinds", c.own_kinds},
                                  {"ran", c.own_ran}};
            if (c.own_strategy == "random") own["seed"] = c.own_seed;
            else own["diverged"] = c.own_diverged;
            jc["file_schedule"] = own;
            if (c.step_limited) jc["step_limited"] = c.step_limited;
            jr["cells"][c.column] = jc;
        }
        j["rows"].push_back(jr);
    }
    return j;
}

std::string matrix_text(const MatrixResult& r, int jobs) {
    const std::size_t ncol = r.columns.size();
    // Cell lines: one kind per line, "*" after a warning, "-" when nothing was found.
    std::vector<std::vector<std::vector<std::string>>> lines(r.rows.size());
    std::vector<std::size_t> width(ncol + 1, 0);
    width[0] = std::string("scenario").size();
    for (std::size_t c = 0; c < ncol; ++c) width[c + 1] = r.columns[c].name.size();
    bool any_warning = false, any_limited = false;
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        const auto& row = r.rows[i];
        width[0] = std::max(width[0], row.scenario.size());
        for (std::size_t c = 0; c < row.cells.size(); ++c) {
            const auto& cell = row.cells[c];
            std::vector<std::string> l;
            for (const auto& k : cell.kinds) {
                const bool w = check::kind_severity(k) == check::Severity::kWarning;
                any_warning |= w;
                l.push_back(k + (w ? "*" : ""));
            }
            if (l.empty()) l.push_back("-");
            if (cell.step_limited) {
                l.push_back("(" + std::to_string(cell.step_limited) + " step-limited)");
                any_limited = true;
            }
            for (const auto& s : l) width[c + 1] = std::max(width[c + 1], s.size());
            lines[i].push_back(std::move(l));
        }
    }
    auto pad = [](std::string s, std::size_t w) {
        if (s.size() < w) s.append(w - s.size(), ' ');
        return s;
    };
    auto emit_line = [&](const std::vector<std::string>& fields) {
        std::string out;
        for (std::size_t f = 0; f < fields.size(); ++f) {
            if (f + 1 == fields.size()) out += fields[f];
            else out += pad(fields[f], width[f]) + "  ";
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };

    std::string out;
    const std::uint64_t b = r.budget;
    out += "rcusim matrix: " + std::to_string(r.rows.size()) + " scenario" +
           (r.rows.size() == 1 ? "" : "s") + " x " + std::to_string(ncol) + " variant" +
           (ncol == 1 ? "" : "s") + ", each cell: the file's own schedule" +
           (b == 0 ? std::string("")
                   : " + random seeds 0.." + std::to_string(b - 1)) +
           ", jobs " + std::to_string(jobs) + "\n";
    out += "violation kinds found (- none";
    if (any_warning) out += "; * warning: a soft invariant, reported, no failure";
    out += ")\n\n";
    std::vector<std::string> head{"scenario"}, rule{std::string(width[0], '-')};
    for (std::size_t c = 0; c < ncol; ++c) {
        head.push_back(r.columns[c].name);
        rule.push_back(std::string(width[c + 1], '-'));
    }
    out += emit_line(head);
    out += emit_line(rule);
    bool tall = false;  // some row takes several lines: separate rows by a blank line
    for (const auto& row : lines)
        for (const auto& l : row) tall |= l.size() > 1;
    for (std::size_t i = 0; i < r.rows.size(); ++i) {
        std::size_t h = 1;
        for (const auto& l : lines[i]) h = std::max(h, l.size());
        for (std::size_t k = 0; k < h; ++k) {
            std::vector<std::string> f{k == 0 ? r.rows[i].scenario : ""};
            for (const auto& l : lines[i]) f.push_back(k < l.size() ? l[k] : "");
            out += emit_line(f);
        }
        if (tall && i + 1 < r.rows.size()) out += "\n";
    }
    out += "\nvariants:\n";
    std::size_t nw = 0;
    for (const auto& c : r.columns) nw = std::max(nw, c.name.size());
    for (std::size_t c = 0; c < ncol; ++c) {
        const auto& col = r.columns[c];
        std::string what;
        if (col.file) {
            what = "each file's own kernel.variant and kernel.switches (or kernel.source)";
        } else if (!col.real.empty()) {
            what = "the kernel tree " + col.real + " (real-code mode)";
        } else {
            what = kernel::describe(col.switches);
        }
        out += "  " + pad(col.name, nw) + "  " + what + "\n";
    }
    std::string kept;
    for (const auto& row : r.rows) {
        if (row.kept_switches.empty()) continue;
        kept += kept.empty() ? "" : "; ";
        kept += row.scenario + " (";
        for (std::size_t i = 0; i < row.kept_switches.size(); ++i)
            kept += (i ? ", " : "") + row.kept_switches[i];
        kept += ")";
    }
    if (!kept.empty())
        out += "environment switches kept from the files in every column: " + kept + "\n";
    if (any_limited)
        out += "(N step-limited): runs cut short by run.max_steps; kinds after the cut are "
               "unseen\n";
    for (const auto& row : r.rows) {
        std::string misfit;
        for (const auto& cell : row.cells)
            if (cell.own_diverged) misfit += (misfit.empty() ? "" : ", ") + cell.column;
        if (!misfit.empty())
            out += row.scenario + ": its pinned schedule (explore.decisions) does not fit " +
                   misfit + "; there it ran on with default answers\n";
    }
    char tail[160];
    std::snprintf(tail, sizeof tail, "== %llu executions, %.2f s%s\n",
                  static_cast<unsigned long long>(r.executions), r.elapsed_s,
                  r.interrupted ? ", INTERRUPTED: cells are incomplete" : "");
    out += tail;
    return out;
}

}  // namespace rcusim::explore
