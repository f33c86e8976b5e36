// A structural validator for Trace Event JSON files (what `--format chrome` writes): the
// checks that Perfetto and chrome://tracing rely on, stated once so every test applies all
// of them.
//
//  * valid JSON: an object with a "traceEvents" array of objects (or a bare array);
//  * every event has a known "ph", integer "pid" and "tid", a numeric "ts" >= 0 (metadata
//    excepted) and a string "name" ("E" excepted); "X" has a numeric "dur" >= 0;
//  * per track (pid, tid): timestamps never decrease in file order; "B"/"E" balance (an "E"
//    closes the innermost open "B", nothing is left open at the end); all slices of a track,
//    "X" and "B"/"E" alike, nest strictly: two slices are disjoint or one contains the other;
//  * counters ("C"): args of numbers only, time never decreasing per (pid, name);
//  * instants: "s" is "g", "p" or "t";
//  * metadata: process_name / thread_name carry a string name, *_sort_index an integer; every
//    track used has a thread_name and every process a process_name; a tid is never reused by
//    a second pid;
//  * flows: each "s" id once, each "f" after its "s", both inside a slice of their track (the
//    latest "X" or an open "B"); `flows_at_slice_start` counts those that sit exactly at the
//    start of that slice with its category (how DevTools binds them).
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace rcusim::testing {

struct ChromeSlice {
    std::string track;  // thread name
    std::string name;
    double ts = 0;
    double end = 0;
    nlohmann::json args = nlohmann::json::object();  // "B" args merged with "E" args
};

struct ChromeReport {
    std::vector<std::string> errors;
    std::map<std::string, int> by_phase;
    std::vector<ChromeSlice> slices;
    std::vector<nlohmann::json> instants;  // with "track" added (thread name or "global")
    std::map<std::string, int> counters;   // "pid/name" -> samples
    std::set<int> pids;
    std::map<int, std::string> process_names;
    std::map<std::pair<int, int>, std::string> thread_names;
    int flows = 0;
    int flows_at_slice_start = 0;
    int max_depth = 0;

    bool ok() const { return errors.empty(); }
    std::string summary() const {
        std::ostringstream s;
        for (std::size_t i = 0; i < errors.size() && i < 20; ++i) s << errors[i] << "\n";
        if (errors.size() > 20) s << "... " << errors.size() - 20 << " more\n";
        return s.str();
    }
    // Slices of the track with this thread name.
    std::vector<ChromeSlice> on(const std::string& track) const {
        std::vector<ChromeSlice> v;
        for (const auto& sl : slices)
            if (sl.track == track) v.push_back(sl);
        return v;
    }
};

inline ChromeReport validate_chrome_trace(const std::string& text) {
    using nlohmann::json;
    ChromeReport r;
    auto err = [&](std::size_t i, const std::string& what) {
        r.errors.push_back("event " + std::to_string(i) + ": " + what);
    };
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        r.errors.push_back("not valid JSON");
        return r;
    }
    const json* events = nullptr;
    if (doc.is_array()) {
        events = &doc;
    } else if (doc.is_object() && doc.contains("traceEvents") && doc["traceEvents"].is_array()) {
        events = &doc["traceEvents"];
    } else {
        r.errors.push_back("no traceEvents array");
        return r;
    }

    struct Track {
        double last_ts = -1;
        std::vector<std::size_t> stack;  // open "B" slices: indexes into r.slices
        long last_x = -1;                // latest "X" slice: index into r.slices
        std::vector<std::size_t> all;    // every slice of the track
    };
    std::map<std::pair<int, int>, Track> tracks;
    std::map<std::string, double> counter_last;
    std::map<int, int> tid_pid;
    std::map<std::string, double> flow_start;  // "cat/id" -> ts
    std::set<std::pair<int, int>> used_tracks;
    const std::set<std::string> phases = {"B", "E", "X", "i", "I", "C", "M", "s", "f"};
    std::map<std::size_t, std::string> slice_cat;

    for (std::size_t i = 0; i < events->size(); ++i) {
        const json& e = (*events)[i];
        if (!e.is_object()) {
            err(i, "not an object");
            continue;
        }
        if (!e.contains("ph") || !e["ph"].is_string()) {
            err(i, "no \"ph\"");
            continue;
        }
        std::string ph = e["ph"];
        r.by_phase[ph]++;
        if (!phases.count(ph)) {
            err(i, "unexpected ph '" + ph + "'");
            continue;
        }
        if (!e.contains("pid") || !e["pid"].is_number_integer() || !e.contains("tid") ||
            !e["tid"].is_number_integer()) {
            err(i, "pid/tid missing or not integers");
            continue;
        }
        int pid = e["pid"], tid = e["tid"];
        r.pids.insert(pid);
        auto [it, fresh] = tid_pid.emplace(tid, pid);
        if (!fresh && it->second != pid)
            err(i, "tid " + std::to_string(tid) + " used by pids " + std::to_string(it->second) +
                       " and " + std::to_string(pid));
        if (ph != "E" && (!e.contains("name") || !e["name"].is_string())) {
            err(i, "no string name");
            continue;
        }
        std::string name = ph == "E" ? "" : e["name"].get<std::string>();
        if (ph == "M") {
            const json& a = e.value("args", json::object());
            if (name == "process_name" || name == "thread_name") {
                if (!a.contains("name") || !a["name"].is_string()) {
                    err(i, name + " without a string args.name");
                    continue;
                }
                if (name == "process_name")
                    r.process_names[pid] = a["name"];
                else
                    r.thread_names[{pid, tid}] = a["name"];
            } else if (name == "process_sort_index" || name == "thread_sort_index") {
                if (!a.contains("sort_index") || !a["sort_index"].is_number_integer())
                    err(i, name + " without an integer args.sort_index");
            } else {
                err(i, "unknown metadata " + name);
            }
            continue;
        }
        if (!e.contains("ts") || !e["ts"].is_number()) {
            err(i, "no numeric ts");
            continue;
        }
        double ts = e["ts"];
        if (ts < 0) err(i, "negative ts");
        double dur = 0;
        if (ph == "X") {
            if (!e.contains("dur") || !e["dur"].is_number() || e["dur"].get<double>() < 0) {
                err(i, "X without a numeric dur >= 0");
                continue;
            }
            dur = e["dur"];
        } else if (e.contains("dur")) {
            err(i, "unexpected dur");
        }
        if (ph == "C") {
            const json& a = e.value("args", json::object());
            if (!a.is_object() || a.empty()) err(i, "counter without args");
            for (auto& [k, v] : a.items())
                if (!v.is_number()) err(i, "counter " + name + "." + k + " is not a number");
            std::string key = std::to_string(pid) + "/" + name;
            auto& last = counter_last.emplace(key, -1).first->second;
            if (ts < last) err(i, "counter " + key + " goes back in time");
            last = ts;
            r.counters[key]++;
            continue;
        }
        if (ph == "i" || ph == "I") {
            std::string s = e.value("s", "t");
            if (s != "g" && s != "p" && s != "t") err(i, "instant scope '" + s + "'");
            json copy = e;
            if (s == "g") {
                copy["track"] = "global";
                r.instants.push_back(copy);
                continue;
            }
            copy["track"] = "";  // filled in below once names are known
            copy["pid_tid"] = json::array({pid, tid});
            r.instants.push_back(copy);
        }
        Track& t = tracks[{pid, tid}];
        used_tracks.insert({pid, tid});
        if (ts < t.last_ts) {
            std::ostringstream m;
            m.precision(17);
            m << "time goes back on track " << pid << "/" << tid << ": " << ts << " after "
              << t.last_ts;
            err(i, m.str());
        }
        t.last_ts = ts;
        if (ph == "B" || ph == "X") {
            ChromeSlice sl;
            sl.name = name;
            sl.ts = ts;
            sl.end = ts + dur;
            if (e.contains("args") && e["args"].is_object()) sl.args = e["args"];
            sl.track = std::to_string(pid) + "/" + std::to_string(tid);
            r.slices.push_back(sl);
            slice_cat[r.slices.size() - 1] = e.value("cat", "");
            t.all.push_back(r.slices.size() - 1);
            if (ph == "B")
                t.stack.push_back(r.slices.size() - 1);
            else
                t.last_x = static_cast<long>(r.slices.size() - 1);
        } else if (ph == "E") {
            if (t.stack.empty()) {
                err(i, "E without an open B on track " + std::to_string(pid) + "/" +
                           std::to_string(tid));
                continue;
            }
            ChromeSlice& sl = r.slices[t.stack.back()];
            t.stack.pop_back();
            sl.end = ts;
            if (e.contains("args") && e["args"].is_object())
                for (auto& [k, v] : e["args"].items()) sl.args[k] = v;
        } else if (ph == "s" || ph == "f") {
            if (!e.contains("id")) {
                err(i, "flow without id");
                continue;
            }
            std::string key = e.value("cat", "") + "/" + e["id"].dump();
            long in = !t.stack.empty() ? static_cast<long>(t.stack.back()) : t.last_x;
            if (in < 0 || ts < r.slices[static_cast<std::size_t>(in)].ts ||
                (t.stack.empty() && ts > r.slices[static_cast<std::size_t>(in)].end)) {
                err(i, "flow " + key + " outside any slice");
            } else if (ts == r.slices[static_cast<std::size_t>(in)].ts &&
                       slice_cat[static_cast<std::size_t>(in)] == e.value("cat", "")) {
                ++r.flows_at_slice_start;
            }
            if (ph == "s") {
                if (!flow_start.emplace(key, ts).second) err(i, "flow " + key + " starts twice");
            } else {
                auto f = flow_start.find(key);
                if (f == flow_start.end())
                    err(i, "flow " + key + " ends without a start");
                else if (ts < f->second)
                    err(i, "flow " + key + " ends before it starts");
                else
                    ++r.flows;
            }
        }
    }
    for (auto& [key, t] : tracks) {
        const std::string name = std::to_string(key.first) + "/" + std::to_string(key.second);
        if (!t.stack.empty()) {
            r.errors.push_back("track " + name + " ends with " + std::to_string(t.stack.size()) +
                               " open slice(s)");
            continue;
        }
        // Strict nesting: by start (longest first), each slice either ends before the next
        // starts or contains it. 0.1 ps of slack absorbs the rounding of ts + dur.
        constexpr double kSlack = 1e-7;
        std::vector<std::size_t> order = t.all;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const auto &x = r.slices[a], &y = r.slices[b];
            if (x.ts != y.ts) return x.ts < y.ts;
            return x.end > y.end;
        });
        std::vector<std::size_t> open;
        for (std::size_t idx : order) {
            const auto& sl = r.slices[idx];
            while (!open.empty() && r.slices[open.back()].end <= sl.ts + kSlack) open.pop_back();
            if (!open.empty() && sl.end > r.slices[open.back()].end + kSlack) {
                std::ostringstream m;
                m.precision(17);
                m << "track " << name << ": slice '" << sl.name << "' [" << sl.ts << ", " << sl.end
                  << "] overlaps '" << r.slices[open.back()].name << "' ["
                  << r.slices[open.back()].ts << ", " << r.slices[open.back()].end << "]";
                r.errors.push_back(m.str());
                continue;
            }
            open.push_back(idx);
            r.max_depth = std::max(r.max_depth, static_cast<int>(open.size()));
        }
    }
    for (const auto& key : used_tracks) {
        if (!r.thread_names.count(key))
            r.errors.push_back("track " + std::to_string(key.first) + "/" +
                               std::to_string(key.second) + " has no thread_name");
        if (!r.process_names.count(key.first))
            r.errors.push_back("process " + std::to_string(key.first) + " has no process_name");
    }
    // Name the slices' and instants' tracks by thread name.
    for (auto& sl : r.slices) {
        auto slash = sl.track.find('/');
        std::pair<int, int> key{std::stoi(sl.track.substr(0, slash)),
                                std::stoi(sl.track.substr(slash + 1))};
        auto it = r.thread_names.find(key);
        if (it != r.thread_names.end()) sl.track = it->second;
    }
    for (auto& in : r.instants) {
        if (!in.contains("pid_tid")) continue;
        std::pair<int, int> key{in["pid_tid"][0], in["pid_tid"][1]};
        auto it = r.thread_names.find(key);
        if (it != r.thread_names.end()) in["track"] = it->second;
    }
    return r;
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace rcusim::testing
