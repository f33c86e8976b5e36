// A user's kernel tree, read for real-code mode: a source directory (a git checkout with
// their patch applied) or a Debian linux-source-*.tar.xz. Only the files real-code mode
// compiles or reads constants from are taken; from a tarball they are extracted once into the
// cache, keyed by the tarball's content hash.
//
// Also here: the feature probe (what this tree's tree_nocb.h does: lazy callbacks, the
// nocb_mutex, rcuo parking, the SEGCBLIST flag set, call_rcu_nocb(), offline-only toggling)
// and the extraction of single functions from tree.c / tree_plugin.h, so that the parts of
// tree.c that decide nocb behaviour (rcu_barrier(), rcu_do_batch(), call_rcu(), callback
// migration) run as the tree has them instead of as rcusim glue.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace rcusim::real {

// An unusable tree (missing file, unsupported shape, compiler failure): exit 2 with this.
class TreeError : public std::runtime_error {
   public:
    explicit TreeError(const std::string& what) : std::runtime_error(what) {}
};

// A scenario or repro names a tree whose content has changed since (exit 1 for replay).
class TreeMismatch : public TreeError {
   public:
    explicit TreeMismatch(const std::string& what) : TreeError(what) {}
};

struct Tree {
    std::string source;        // as given (a directory or a .tar.xz)
    bool tarball = false;
    std::string root;          // directory the files were read from
    std::string version;       // "6.12.118" from the Makefile
    std::string content_hash;  // sha256 over every file read (names and contents)
    std::map<std::string, std::string> files;  // relative path -> content
    const std::string& file(const std::string& rel) const;
};

// The files read from every tree. Missing required ones are a TreeError naming them.
const std::vector<std::string>& tree_required_files();

// Reads the tree. `cache_dir` receives extracted tarballs (src/<sha256>/).
Tree open_tree(const std::string& path, const std::string& cache_dir);

struct Features {
    bool lazy = false;              // CONFIG_RCU_LAZY code: lazy_len, the lazy shrinker
    bool nocb_mutex = false;        // rcu_state.nocb_mutex (v6.12+)
    bool parking = false;           // de-offload parks rcuo (kthread_park of nocb_cb_kthread)
    bool offline_only = false;      // (de-)offload only of offline CPUs
    bool work_on_cpu_toggle = false;  // (de-)offload runs on the target through work_on_cpu()
    bool call_rcu_nocb = false;     // static void call_rcu_nocb() (v6.9+)
    bool shrinker_alloc = false;    // shrinker_alloc()/shrinker_register() (v6.7+)
    bool try_bypass_lazy = false;   // rcu_nocb_try_bypass(..., bool lazy)
    bool flush_bypass_lazy = false;  // rcu_nocb_flush_bypass(..., bool lazy)
    bool call_rcu_common = false;   // tree.c __call_rcu_common()
    bool report_cpu_dead = false;   // tree.c rcutree_report_cpu_dead() (else rcu_report_dead())
    bool momentary_eqs = false;     // rcu_momentary_eqs() (else rcu_momentary_dyntick_idle())
    bool completely_offloaded = false;  // rcu_segcblist_completely_offloaded() exists
    std::vector<std::pair<std::string, int>> seg_flags;  // SEGCBLIST_* names and bits
    // The RCUSIM_HAVE_* macros these set, one "#define X 1" per line.
    std::string macros() const;
    // "lazy nocb_mutex parking offline-only flags=ENABLED,OFFLOADED call_rcu_nocb"
    std::string summary() const;
};
Features probe_features(const Tree& t);

// Extraction of one function definition from C source. Returns its text, preceded by a
// #line directive naming `file_name` and its first line, or "" (with *why) when the file
// has no definition of it. `decl` (optional) receives its prototype ("...;").
std::string extract_function(const std::string& src, const std::string& name,
                             const std::string& file_name, std::string* decl, std::string* why);

// The functions `src` defines at file scope, in order (e.g. everything tree_nocb.h has).
std::vector<std::string> defined_functions(const std::string& src);

// `#define NAME value` lines of `names` as found in `src` ("" for the names absent).
std::string harvest_defines(const std::string& src, const std::vector<std::string>& names);

}  // namespace rcusim::real
