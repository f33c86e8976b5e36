// `rcusim matrix`: every scenario against every kernel variant, and the table of violation
// kinds found within a budget of executions per cell (CONTRACT.md "Commands").
//
// Semantics (also in the README, "Which kernels are affected by scenario X?"):
// - A column is a complete kernel: a preset, or a preset with switches set on top of it
//   ("patch1-trylock+P2+P3", "v6.5+barrier_wake=false", "v6.5+shrinker=V3"; "V0".."V3"
//   stand for the presets whose shrinker body they are, so MODEL.md's "V2+P2" works too).
//   The scenario is the workload: its file's kernel.variant and the switches that select a
//   kernel version are replaced by the column's; switches that describe the environment
//   rather than a kernel version (toggle_allocates) are kept. The column "file" is each
//   file's own kernel, exactly as `rcusim run FILE` runs it.
// - A cell runs the file's own schedule (explore.strategy and explore.seed, or the pinned
//   decisions of a "scripted" file: what `rcusim run FILE --variant V` would do), then
//   random seeds 0..budget-1 (a seed equal to the file's own random schedule runs once).
//   Every run goes to its end (like `fuzz --keep-going`), so every kind it shows counts;
//   warnings count as kinds too and are marked as such.
// - The result is a pure function of the files, the columns and the budget: any --jobs
//   gives the same table (a union over a fixed set of runs; "first seed" is a minimum).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel/variant.hpp"
#include "scenario/scenario.hpp"

namespace rcusim::explore {

struct MatrixColumn {
    std::string name;    // as requested ("v6.5", "patch1-trylock+P2", "file")
    std::string preset;  // the preset it starts from ("" for "file")
    kernel::Switches switches;
    // PRESET+NAME[=VALUE] items on top of the preset, canonical names and values
    // ("P2" -> "true", "shrinker" -> "V3"), in the order given.
    std::vector<std::pair<std::string, std::string>> extra;
    bool file = false;  // the file's own kernel
    std::string real;   // "real:PATH": that kernel tree's own code (real-code mode)
};

// A comma-separated list of items: "all" (every preset, in `rcusim variants` order),
// "file", PRESET[+SWITCH[=VALUE]]... Throws scenario::ConfigError naming `origin`.
std::vector<MatrixColumn> parse_matrix_columns(const std::string& list,
                                               const std::string& origin = "--variants");

// The scenario a cell runs: `s` with the column's kernel (see the header comment).
scenario::Scenario cell_scenario(const scenario::Scenario& s, const MatrixColumn& c);

// Switches kept from a file under a column: they describe the environment, not a kernel.
bool is_environment_switch(const std::string& name);

struct MatrixOptions {
    std::uint64_t budget = 200;  // random seeds 0..budget-1 per cell
    int jobs = 1;
    const std::atomic<bool>* stop = nullptr;  // set by a signal handler
    // Called about every 200 ms from the calling thread while workers run.
    std::function<void(std::uint64_t done, std::uint64_t total, double elapsed_s)> progress;
};

struct FoundBy {
    std::string strategy;       // "random" or "scripted" (the file's pinned decisions)
    std::uint64_t seed = 0;     // random: the seed
    bool file_schedule = false; // the file's own schedule
    std::uint64_t executions = 0;  // runs of the cell that showed the kind
    std::string repro;             // write_matrix_repros(): the repro file of that run
};

struct MatrixCell {
    std::string column;
    std::string switches;  // kernel::describe() of the kernel the cell ran
    std::vector<std::string> kinds;          // contract order (check::all_kinds())
    std::map<std::string, FoundBy> found_by;  // kind -> first run that showed it
    std::uint64_t executions = 0;             // runs completed
    std::uint64_t step_limited = 0;           // runs cut by run.max_steps
    // The file's own schedule in this cell.
    std::string own_strategy;
    std::uint64_t own_seed = 0;
    std::vector<std::string> own_kinds;
    bool own_ran = false;
    bool own_diverged = false;  // a scripted log that did not fit this kernel
};

struct MatrixRow {
    std::string scenario;  // the file's "name"
    std::string file;      // as given
    std::optional<std::vector<std::string>> expect;
    std::vector<std::string> kept_switches;  // environment switches of the file, "NAME=VALUE"
    std::vector<MatrixCell> cells;  // one per column, in column order
};

struct MatrixResult {
    std::vector<MatrixColumn> columns;
    std::vector<MatrixRow> rows;
    std::uint64_t budget = 0;
    std::uint64_t executions = 0;
    double elapsed_s = 0;
    bool interrupted = false;
};

struct MatrixInput {
    std::string file;
    scenario::Scenario scenario;
};

MatrixResult run_matrix(const std::vector<MatrixInput>& inputs,
                        const std::vector<MatrixColumn>& columns, const MatrixOptions& o);

// `--out DIR`: re-runs, for each cell, the first run that showed each kind, and writes its
// repro (DIR/<scenario>.<column>.seed<N>.repro.json, or ...file-schedule...; one file per
// run, whatever the number of kinds it showed); sets FoundBy::repro. Returns the paths.
std::vector<std::string> write_matrix_repros(const std::vector<MatrixInput>& inputs,
                                             MatrixResult& r, const std::string& dir);

// CONTRACT.md: {"rows": [{"scenario": NAME, "cells": {VARIANT: {"kinds": [...],
// "executions": N}}}]}, plus "file", "expect", per cell "switches", "warnings", "found_by",
// "file_schedule", and at the top "variants" (column order), "budget", "executions",
// "elapsed_s", "interrupted".
nlohmann::json matrix_json(const MatrixResult& r);
// The readable table: one row per scenario, one column per variant, one kind per line
// ("*" marks a warning, "-" nothing found), then the columns' switches.
std::string matrix_text(const MatrixResult& r, int jobs);

}  // namespace rcusim::explore
