// Real-code mode's input: reading a tree (a Debian linux-source tarball or a directory),
// probing its features, building it into the cache, and refusing an unusable tree with an
// error that names what is missing (exit 2 from the command line).
#include "real/real_support.hpp"
#include "support/campaign.hpp"

#include <algorithm>

using namespace rcusim;
using namespace rcusim::testing;

namespace {

bool has(const std::vector<std::string>& v, const std::string& x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

bool extracted(const real::Build& b, const std::string& file, const std::string& name) {
    for (const auto& e : b.extracted)
        if (e.file == file && e.name == name) return true;
    return false;
}

}  // namespace

TEST_CASE("real::tree: the 6.12 tarball probes as 6.12 and builds what runs real") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    auto b = real::build_kernel(kLinux612, {"", 4, 1000});
    CHECK(b->version.rfind("6.12.", 0) == 0);
    CHECK(b->features.lazy);
    CHECK(b->features.nocb_mutex);
    CHECK(b->features.parking);
    CHECK(b->features.offline_only);
    CHECK_FALSE(b->features.work_on_cpu_toggle);
    CHECK(b->features.call_rcu_nocb);
    // 6.12 has two SEGCBLIST flags left.
    REQUIRE(b->features.seg_flags.size() == 2);
    CHECK(b->nr_cpus == 64);
    // Every function of tree_nocb.h runs as the tree has it; tree.c's nocb-deciding ones too.
    CHECK(has(b->nocb_functions, "lazy_rcu_shrink_scan"));
    CHECK(has(b->nocb_functions, "rcu_nocb_rdp_deoffload"));
    CHECK(has(b->segcblist_functions, "rcu_segcblist_advance"));
    CHECK(extracted(*b, "kernel/rcu/tree.c", "rcu_barrier"));
    CHECK(extracted(*b, "kernel/rcu/tree.c", "rcu_do_batch"));
    CHECK(extracted(*b, "kernel/rcu/tree.c", "rcutree_migrate_callbacks"));
    CHECK_FALSE(b->glue.empty());
    const std::string d = b->describe();
    CHECK(d.find("kernel " + b->version) != std::string::npos);
    CHECK(d.find("nocb_mutex") != std::string::npos);
    CHECK(d.find("glue") != std::string::npos);
    CHECK(std::filesystem::exists(b->so_path));
    // Symbolization: a code address of the object names its function and line.
    CHECK(b->describe().find("tree_nocb.h (") != std::string::npos);
}

TEST_CASE("real::tree: the 6.1 tarball probes as 6.1 (no lazy, no nocb_mutex, toggles online)") {
    RCUSIM_REQUIRE_KERNEL(kLinux61);
    auto b = real::build_kernel(kLinux61, {"", 4, 1000});
    CHECK(b->version.rfind("6.1.", 0) == 0);
    CHECK_FALSE(b->features.lazy);
    CHECK_FALSE(b->features.nocb_mutex);
    CHECK_FALSE(b->features.offline_only);
    CHECK(b->features.work_on_cpu_toggle);
    CHECK_FALSE(b->features.call_rcu_nocb);
    CHECK(b->features.seg_flags.size() > 2);
    CHECK(has(b->nocb_functions, "rcu_nocb_rdp_offload"));
}

TEST_CASE("real::tree: NR_CPUS grows with the scenario's CPU count") {
    CHECK(real::nr_cpus_for(1) == 64);
    CHECK(real::nr_cpus_for(64) == 64);
    CHECK(real::nr_cpus_for(65) == 256);
    CHECK(real::nr_cpus_for(256) == 256);
    CHECK(real::nr_cpus_for(1000) == 1024);
    CHECK(real::nr_cpus_for(4096) == 4096);
}

TEST_CASE("real::tree: a directory tree builds once, a second process finds it cached") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    TreeCopy tree(kLinux612);
    TempDir tmp("real-tree");
    const std::string cache = (tmp.path / "cache").string();
    const std::string file = scenario_file_on(tmp.path, tree.dir());
    auto first = run_cli({"run", file, "--kernel-cache", cache});
    INFO(first.err);
    REQUIRE(first.code == 0);
    CHECK(first.err.find("s to compile") != std::string::npos);
    CHECK(first.err.find("(cached)") == std::string::npos);
    auto second = run_cli({"run", file, "--kernel-cache", cache});
    INFO(second.err);
    REQUIRE(second.code == 0);
    CHECK(second.err.find("(cached)") != std::string::npos);
    // The same tree gives the same execution.
    CHECK(parse_stdout(run_cli({"run", file, "--kernel-cache", cache, "--json"}))["trace_digest"] ==
          parse_stdout(run_cli({"run", file, "--kernel-cache", cache, "--json"}))["trace_digest"]);
    // An edit anywhere in the files read is a new key: compiled again.
    tree.replace("kernel/rcu/tree_nocb.h", "static int __init rcu_nocb_setup(char *str)",
                 "static int __init rcu_nocb_setup(char *str) /* edited */");
    auto third = run_cli({"run", file, "--kernel-cache", cache});
    INFO(third.err);
    REQUIRE(third.code == 0);
    CHECK(third.err.find("(cached)") == std::string::npos);
}

TEST_CASE("real::tree: a tree without tree_nocb.h is refused naming the file, exit 2") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    TreeCopy tree(kLinux612);
    std::filesystem::remove(std::filesystem::path(tree.dir()) / "kernel/rcu/tree_nocb.h");
    try {
        real::build_kernel(tree.dir(), {"", 4, 1000});
        FAIL("no error");
    } catch (const real::TreeError& e) {
        CHECK(std::string(e.what()).find("kernel/rcu/tree_nocb.h") != std::string::npos);
    }
    TempDir tmp("real-tree");
    auto r = run_cli({"run", scenario_file_on(tmp.path, tree.dir())});
    CHECK(r.code == 2);
    CHECK(r.err.find("kernel/rcu/tree_nocb.h") != std::string::npos);
    CHECK(r.out.empty());
}

TEST_CASE("real::tree: a tree.c without a function real-code mode runs is refused naming it") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    TreeCopy tree(kLinux612);
    tree.replace("kernel/rcu/tree.c", "void rcu_barrier(void)\n{", "void rcu_barrier_gone(void)\n{");
    TempDir tmp("real-tree");
    auto r = run_cli({"run", scenario_file_on(tmp.path, tree.dir())});
    CHECK(r.code == 2);
    CHECK(r.err.find("no definition of") != std::string::npos);
    CHECK(r.err.find("rcu_barrier") != std::string::npos);
}

TEST_CASE("real::tree: a tree using a symbol the shim lacks is refused naming the symbol") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    TreeCopy tree(kLinux612);
    tree.replace("kernel/rcu/tree_nocb.h", "	if (!mutex_trylock(&rcu_state.nocb_mutex)) {",
                 "	rcusim_test_no_such_helper(sc);\n	if (!mutex_trylock(&rcu_state.nocb_mutex)) {");
    TempDir tmp("real-tree");
    auto r = run_cli({"run", scenario_file_on(tmp.path, tree.dir())});
    CHECK(r.code == 2);
    CHECK(r.err.find("rcusim_test_no_such_helper") != std::string::npos);
    CHECK(r.err.find("build.log") != std::string::npos);
}

TEST_CASE("real::tree: a path that is no kernel tree is refused, exit 2") {
    TempDir tmp("real-tree");
    spill(tmp.path / "Makefile", "all:\n");
    auto r = run_cli({"run", scenario_file_on(tmp.path, tmp.path.string())});
    CHECK(r.code == 2);
    CHECK(r.err.find("missing") != std::string::npos);
    auto none = run_cli({"run", repo_path("configs/real/seed-race-6.12.json").string(), "--kernel",
                         (tmp.path / "nowhere").string()});
    CHECK(none.code == 2);
    CHECK(none.err.find("no such directory or file") != std::string::npos);
}
