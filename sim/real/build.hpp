// Building a kernel object from a user's tree: the tree's tree_nocb.h, rcu_segcblist.c and
// the functions taken from its tree.c / tree_plugin.h, compiled as C (gnu11) with the system
// C compiler against rcusim's shim (sim/real/shim/, embedded in the rcusim binary), linked
// into one shared object. The result is cached under CACHE/build/<key>/ where the key is the
// SHA-256 of every input: the tree's files, the shim, the compiler's identity, the flags,
// NR_CPUS and HZ. A second rcusim process (or shard) finds it there and compiles nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "real/tree_source.hpp"

namespace rcusim::real {

struct BuildOptions {
    std::string cache_dir;  // "" = default_cache_dir()
    int cpus = 4;           // the scenario's CPU count (NR_CPUS is rounded up from it)
    int hz = 1000;
};

// NR_CPUS a scenario of `cpus` CPUs is compiled for: 64, 256, 1024 or 4096.
int nr_cpus_for(int cpus);

struct ExtractedFunction {
    std::string file;  // "kernel/rcu/tree.c"
    std::string name;
};

struct Build {
    std::string source;
    std::string version;
    std::string tree_hash;  // the tree's content hash (repro files record it)
    Features features;
    std::string key;        // cache key (hex)
    std::string dir;        // CACHE/build/<key>
    std::string so_path;    // dir/kernel.so
    bool cached = false;    // found in the cache, nothing compiled
    double build_seconds = 0;  // compile time (0 when cached)
    double start_seconds = 0;  // reading, hashing and probing the tree
    int nr_cpus = 64;
    int hz = 1000;
    std::string compiler;   // first line of `cc --version`
    std::vector<std::string> nocb_functions;       // every function of tree_nocb.h
    std::vector<std::string> segcblist_functions;  // of rcu_segcblist.c
    std::vector<ExtractedFunction> extracted;      // from tree.c / tree_plugin.h
    std::vector<std::string> glue;  // "rcu_gp_kthread() [tree.c]": what rcusim stands in for
    // What was found, for users (several lines, no trailing newline).
    std::string describe() const;
    // One line: "6.12.118 (lazy nocb_mutex ...)".
    std::string short_name() const;
    // "lazy_rcu_shrink_scan() kernel/rcu/tree_nocb.h:1262" for an offset into kernel.so
    // (from dir/symbols.txt, the object's symbols and line table, read on first use).
    std::string symbolize(std::uintptr_t offset) const;
    // The source line of an offset ("kernel/rcu/tree_nocb.h:454"), "" if unknown.
    const std::string& line_of(std::uintptr_t offset) const;

   private:
    void load_symbols() const;
    struct Sym {
        std::uintptr_t at;
        std::string text;
    };
    mutable std::once_flag sym_once_;
    mutable std::vector<Sym> funcs_, lines_;
};

// The cache directory builds go to when BuildOptions::cache_dir is "" (--kernel-cache sets
// it for the whole process; "" = default_cache_dir()).
void set_cache_dir(const std::string& dir);
std::string cache_dir();

// Reads, probes and (unless cached) compiles `source`. Throws TreeError. Thread-safe: one
// build per (source, NR_CPUS, HZ, cache) per process, shared by every caller.
std::shared_ptr<const Build> build_kernel(const std::string& source, const BuildOptions& o);

}  // namespace rcusim::real
