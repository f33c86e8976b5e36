// `rcusim matrix` (explore/matrix.hpp): the --variants items, what a column does to a file's
// kernel, the same table for any --jobs, the pinned schedule of a scripted file, the CLI, and
// configs/bugs/* against every preset compared with MODEL.md's expected-outcome matrix
// (tests/explore/matrix_expected.json; RCUSIM_UPDATE_MATRIX=1 regenerates its "kinds").
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "check/violation.hpp"
#include "explore/matrix.hpp"
#include "explore/repro.hpp"
#include "scenario/scenario.hpp"
#include "support/campaign.hpp"
#include "support/repo_paths.hpp"

using namespace rcusim;
using rcusim::testing::repo_path;
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace {

scenario::Scenario load(const std::string& rel) {
    return scenario::load_scenario_file(repo_path(rel).string());
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

explore::MatrixResult run(const std::vector<std::string>& files, const std::string& variants,
                          std::uint64_t budget, int jobs) {
    std::vector<explore::MatrixInput> in;
    for (const auto& f : files) in.push_back({f, load(f)});
    explore::MatrixOptions o;
    o.budget = budget;
    o.jobs = jobs;
    return explore::run_matrix(in, explore::parse_matrix_columns(variants), o);
}

// The message of the ConfigError `list` raises ("" if none).
std::string column_error(const std::string& list) {
    try {
        explore::parse_matrix_columns(list);
    } catch (const scenario::ConfigError& e) {
        CHECK(e.file() == "--variants");
        return e.message();
    }
    return "";
}

// One line, with a space after ',' and ':'.
std::string flat(const ojson& j) {
    if (!j.is_structured()) return j.dump();
    std::string out = j.is_object() ? "{" : "[";
    std::size_t i = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++i) {
        if (i) out += ", ";
        if (j.is_object()) out += ojson(it.key()).dump() + ": ";
        out += flat(*it);
    }
    return out + (j.is_object() ? "}" : "]");
}

// The fixture written back: a cell per line, so a regenerated file diffs well.
std::string pretty(const ojson& j, int depth = 0) {
    const std::string pad(static_cast<std::size_t>(2 * (depth + 1)), ' ');
    const std::string end(static_cast<std::size_t>(2 * depth), ' ');
    const std::string one = flat(j);
    if (!j.is_structured() || j.empty() || depth >= 4 || one.size() <= 90) return one;
    std::string out = j.is_object() ? "{\n" : "[\n";
    std::size_t i = 0;
    for (auto it = j.begin(); it != j.end(); ++it, ++i) {
        out += pad;
        if (j.is_object()) out += ojson(it.key()).dump() + ": ";
        out += pretty(*it, depth + 1);
        out += i + 1 < j.size() ? ",\n" : "\n";
    }
    return out + end + (j.is_object() ? "}" : "]");
}

}  // namespace

TEST_CASE("explore::matrix: --variants items: all, presets, PRESET+SWITCH[=VALUE], V0..V3, file") {
    const auto all = explore::parse_matrix_columns("all");
    REQUIRE(all.size() == kernel::presets().size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        CHECK(all[i].name == kernel::presets()[i].name);
        CHECK(all[i].switches == kernel::presets()[i].switches);
    }
    const auto c = explore::parse_matrix_columns(
        "patch1-trylock+p2+p3, v6.5+barrier_wake=false,v6.5+shrinker=V3,V2+P2,file,v6.3");
    REQUIRE(c.size() == 6);
    CHECK(c[0].name == "patch1-trylock+p2+p3");  // as given
    CHECK(c[0].preset == "patch1-trylock");
    CHECK(kernel::describe(c[0].switches) == "V2+P2+P3");
    CHECK(kernel::describe(c[1].switches) == "V2+P2+P3+P4-barrier_wake");
    CHECK(kernel::describe(c[2].switches) == "V3+P2+P3+P4");
    CHECK(c[3].preset == "patch1-trylock");  // MODEL.md's column names work too
    CHECK(kernel::describe(c[3].switches) == "V2+P2");
    CHECK(c[4].file);
    CHECK(c[5].preset == "v6.3");
    // "all" inside a list expands in place.
    CHECK(explore::parse_matrix_columns("file,all").size() == kernel::presets().size() + 1);

    CHECK_THAT(column_error("v6.4"), Catch::Contains("unknown variant 'v6.4'") &&
                                         Catch::Contains("did you mean"));
    CHECK_THAT(column_error("v6.5+P9"), Catch::Contains("unknown switch 'P9'"));
    CHECK_THAT(column_error("v6.5+P2=maybe"), Catch::Contains("bool switch"));
    CHECK_THAT(column_error("v6.5+shrinker"), Catch::Contains("shrinker=V0..V3"));
    CHECK_THAT(column_error("v6.5+shrinker=V7"), Catch::Contains("shrinker=V0..V3"));
    CHECK_THAT(column_error("v6.5,v6.5"), Catch::Contains("given twice"));
    CHECK_THAT(column_error("v6.5,,v6.9"), Catch::Contains("empty item"));
    CHECK_THAT(column_error("v6.5+"), Catch::Contains("empty switch"));
    CHECK_THAT(column_error("file+P2"), Catch::Contains("takes no switches"));
    CHECK_THAT(column_error(""), Catch::Contains("empty variant list"));
}

TEST_CASE("explore::matrix: a column replaces the file's kernel, keeps its environment switches") {
    // S3 pins patch1-mutex with toggle_allocates (the workqueue allocating under
    // barrier_mutex: part of the machine, not of a kernel version).
    const auto s3 = load("configs/bugs/S3-reclaim-mutex-deadlock.json");
    const auto cols = explore::parse_matrix_columns("v6.3,patch1-trylock+P2,file");
    const auto a = explore::cell_scenario(s3, cols[0]);
    CHECK(a.variant == "v6.3");
    CHECK(kernel::describe(a.switches) == "V0+toggle_allocates");
    const auto b = explore::cell_scenario(s3, cols[1]);
    CHECK(b.variant == "patch1-trylock");
    CHECK(kernel::describe(b.switches) == "V2+P2+toggle_allocates");
    const auto f = explore::cell_scenario(s3, cols[2]);
    CHECK(f == s3);
    // S8 pins patch1-trylock + P2: P2 selects a kernel version, so v6.3 is plain V0.
    const auto s8 = load("configs/bugs/S8-stale-count.json");
    CHECK(kernel::describe(explore::cell_scenario(s8, cols[0]).switches) == "V0");
}

TEST_CASE("explore::matrix: the table does not depend on --jobs") {
    const std::vector<std::string> files = {"configs/bugs/S8-stale-count.json",
                                            "configs/bugs/S9-mask-mismatch.json"};
    auto strip = [](nlohmann::json j) {
        j.erase("elapsed_s");
        return j;
    };
    const auto one = explore::matrix_json(run(files, "v6.3,v6.5,file", 12, 1));
    const auto three = explore::matrix_json(run(files, "v6.3,v6.5,file", 12, 3));
    CHECK(strip(one) == strip(three));
    CHECK(one["executions"] == 2 * 3 * 13 - 3);  // S8's own seed 1 is one of the seeds
}

TEST_CASE("explore::matrix: a scripted file runs its pinned schedule in every cell") {
    // S9 pins the interleaving that reaches P4's WARN; random seeds rarely do.
    const auto r = run({"configs/bugs/S9-mask-mismatch.json"}, "file,v6.5", 0, 1);
    REQUIRE(r.rows.size() == 1);
    const auto& file = r.rows[0].cells[0];
    CHECK(file.executions == 1);
    CHECK(file.own_ran);
    CHECK(file.own_strategy == "scripted");
    CHECK(file.kinds == std::vector<std::string>{"mask-mismatch"});
    REQUIRE(file.found_by.count("mask-mismatch"));
    CHECK(file.found_by.at("mask-mismatch").file_schedule);
    const auto& v65 = r.rows[0].cells[1];  // P4 as merged trylocks in scan() too
    CHECK(v65.executions == 1);
    CHECK(std::find(v65.kinds.begin(), v65.kinds.end(), "mask-mismatch") == v65.kinds.end());
}

TEST_CASE("explore::matrix: --out writes one repro per run that showed a kind, and it replays") {
    testing::TempDir dir("matrix");
    const std::string f = "configs/bugs/S8-stale-count.json";
    std::vector<explore::MatrixInput> in = {{f, load(f)}};
    explore::MatrixOptions o;
    o.budget = 4;
    auto r = explore::run_matrix(in, explore::parse_matrix_columns("v6.3,v6.9"), o);
    const auto paths = explore::write_matrix_repros(in, r, dir.path.string());
    const auto& v63 = r.rows[0].cells[0];
    REQUIRE(v63.found_by.count("shrinker-overcount"));
    const std::string path = v63.found_by.at("shrinker-overcount").repro;
    CHECK(std::find(paths.begin(), paths.end(), path) != paths.end());
    CHECK(r.rows[0].cells[1].found_by.empty());  // v6.9 found nothing: no file
    CHECK(paths.size() == v63.found_by.size());  // one run here shows one kind
    const explore::Repro rp = explore::load_repro_file(path);
    CHECK(rp.scenario.variant == "v6.3");
    CHECK(kernel::describe(rp.scenario.switches) == "V0");  // not the file's V2+P2
    const auto rr = explore::replay(rp);
    CHECK(rr.digest_matches);
    CHECK(std::find_if(rr.run.violations.begin(), rr.run.violations.end(), [](const auto& v) {
              return v.kind == "shrinker-overcount";
          }) != rr.run.violations.end());
}

TEST_CASE("explore::matrix: rcusim matrix prints the table, --json the contract's shape") {
    if (!fs::exists(testing::rcusim_bin())) {
        WARN("no rcusim binary at " << testing::rcusim_bin() << ": CLI checks skipped");
        return;
    }
    const std::string s13 = repo_path("configs/bugs/S13-overload-wrong-timer.json").string();
    const auto j = testing::run_cli({"matrix", s13, "--variants", "v6.5,v6.9", "--budget", "3",
                                     "--json"});
    REQUIRE(j.code == 0);
    const auto doc = nlohmann::json::parse(j.out);
    REQUIRE(doc["rows"].size() == 1);
    const auto& row = doc["rows"][0];
    CHECK(row["scenario"] == "S13-overload-wrong-timer");
    CHECK(row["cells"]["v6.5"]["kinds"] == nlohmann::json::array({"overload-wrong-timer"}));
    CHECK(row["cells"]["v6.5"]["warnings"] == nlohmann::json::array({"overload-wrong-timer"}));
    CHECK(row["cells"]["v6.9"]["kinds"] == nlohmann::json::array());
    CHECK(row["cells"]["v6.9"]["executions"] == 3);  // seeds 0..2, the file's seed 1 among them

    const auto t = testing::run_cli({"matrix", s13, "--variants", "v6.5,v6.9", "--budget", "3"});
    REQUIRE(t.code == 0);
    CHECK_THAT(t.out, Catch::Contains("overload-wrong-timer*"));
    CHECK_THAT(t.out, Catch::Contains("* warning"));
    CHECK(t.err.empty());  // progress only on a terminal

    const auto bad = testing::run_cli({"matrix", s13, "--variants", "v6.55"});
    CHECK(bad.code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--variants") && Catch::Contains("did you mean 'v6.5'"));
    CHECK(bad.out.empty());
    const auto missing = testing::run_cli({"matrix", "no/such/file.json"});
    CHECK(missing.code == 2);
    CHECK_THAT(missing.err, Catch::Contains("no/such/file.json"));
}

TEST_CASE("explore::matrix: configs/bugs against the presets agrees with MODEL.md's matrix") {
    const fs::path fixture_path = repo_path("tests/explore/matrix_expected.json");
    ojson fx;
    {
        std::ifstream in(fixture_path);
        REQUIRE(in);
        fx = ojson::parse(in);
    }
    const bool update = std::getenv("RCUSIM_UPDATE_MATRIX") != nullptr;
    const auto budget = fx["budget"].get<std::uint64_t>();
    const int jobs = fx["jobs"].get<int>();
    std::set<std::string> ignore;  // kinds a fixture may leave out (none today)
    if (fx.contains("ignore_kinds"))
        for (const auto& k : fx["ignore_kinds"]) ignore.insert(k.get<std::string>());

    for (auto& sc : fx["scenarios"]) {
        const std::string file = sc["file"].get<std::string>();
        INFO(file);
        std::vector<std::string> names;
        for (auto it = sc["cells"].begin(); it != sc["cells"].end(); ++it)
            names.push_back(it.key());
        // Every preset is a column of every row.
        for (const auto& p : kernel::presets())
            CHECK(std::find(names.begin(), names.end(), p.name) != names.end());
        std::set<std::string> invariant;
        for (const auto& k : sc["invariant"]) invariant.insert(k.get<std::string>());

        const auto r = run({file}, join(names, ","), budget, jobs);
        REQUIRE(r.rows.size() == 1);
        for (const auto& cell : r.rows[0].cells) {
            ojson& want = sc["cells"][cell.column];
            INFO("column " << cell.column << " (" << cell.switches << "), MODEL.md: "
                           << want["model"].get<std::string>());
            // What the cell found, robustly (>= 3 runs or the file's own schedule) or not.
            std::vector<std::string> robust, marginal;
            for (const auto& k : cell.kinds) {
                if (ignore.count(k)) continue;
                const auto& f = cell.found_by.at(k);
                (f.file_schedule || f.executions >= 3 ? robust : marginal).push_back(k);
            }
            if (update) {
                want["kinds"] = robust;
                if (marginal.empty()) want.erase("may");
                else want["may"] = marginal;
            }
            std::set<std::string> required, allowed;
            for (const auto& k : want["kinds"]) required.insert(k.get<std::string>());
            allowed = required;
            if (want.contains("may"))
                for (const auto& k : want["may"]) allowed.insert(k.get<std::string>());
            std::set<std::string> found;
            for (const auto& k : cell.kinds)
                if (!ignore.count(k)) found.insert(k);
            INFO("found: " << join(std::vector<std::string>(found.begin(), found.end()))
                           << "; fixture kinds: "
                           << join(std::vector<std::string>(required.begin(), required.end())));
            for (const auto& k : required) CHECK(found.count(k) == 1);
            for (const auto& k : found) CHECK(allowed.count(k) == 1);

            // Against MODEL.md: the row's invariant is violated exactly where it says so,
            // robustly, unless the cell documents a disagreement.
            if (want.value("disagrees", false)) {
                CHECK(want.contains("note"));
                continue;
            }
            const std::string mark = want["model"].get<std::string>();
            bool hit = false, robust_hit = false;
            for (const auto& k : found) hit |= invariant.count(k) == 1;
            for (const auto& k : robust) robust_hit |= invariant.count(k) == 1;
            if (mark == "✗") CHECK(robust_hit);
            if (mark == "✓") CHECK_FALSE(hit);
        }
    }
    if (update) {
        std::ofstream out(fixture_path);
        out << pretty(fx) << "\n";
        WARN("rewrote " << fixture_path.string() << ": review the diff");
    }
}
