// Every checker on real code: quiet on the kernel as shipped (Debian's 6.12 and 6.1 trees,
// each configs/real/ scenario, hundreds of seeds), and firing on a mutation of the tree (a
// temporary copy; the mutation is one edit that must still apply). A report the unmodified
// kernel gets would be a false positive: rcusim's bug.
#include "real/real_support.hpp"

#include "scenario/scenario_json.hpp"

using namespace rcusim;
using namespace rcusim::testing;

namespace {

struct Mutation {
    const char* file;
    const char* from;
    const char* to;
};

// Runs `config` on the mutated 6.12 tree over seeds lo..hi; the kinds reported.
std::set<std::string> mutated_kinds(const Mutation& m, const std::string& config,
                                    std::uint64_t lo, std::uint64_t hi) {
    TreeCopy tree(kLinux612);
    tree.replace(m.file, m.from, m.to);
    return campaign_kinds(real_config(config, tree.dir()), lo, hi);
}

#define CHECK_FIRES(kind, kinds)                                 \
    do {                                                         \
        const auto k_ = (kinds);                                 \
        INFO("reported: " << join_kinds(k_));                    \
        CHECK(k_.count(kind) == 1);                              \
    } while (0)

}  // namespace

TEST_CASE("real::checkers: the 6.12 kernel as shipped is clean on every configs/real scenario") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    for (const char* c : {"seed-race-6.12.json", "shrinker-storm-6.12.json", "callbacks-6.12.json"}) {
        INFO(c);
        explore::FuzzResult r;
        const auto kinds = campaign_kinds(real_config(c), 0, 299, 2, &r);
        INFO("reported: " << join_kinds(kinds));
        CHECK(kinds.empty());
        CHECK(r.executions == 300);
    }
}

TEST_CASE("real::checkers: the 6.1 kernel as shipped is clean toggling online CPUs") {
    RCUSIM_REQUIRE_KERNEL(kLinux61);
    explore::FuzzResult r;
    const auto kinds = campaign_kinds(real_config("toggle-6.1.json"), 0, 299, 2, &r);
    INFO("reported: " << join_kinds(kinds));
    CHECK(kinds.empty());
    CHECK(r.executions == 300);
}

TEST_CASE("real::checkers: kernel-warn fires when de-offload skips its rcu_barrier()") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    CHECK_FIRES("kernel-warn",
                mutated_kinds({"kernel/rcu/tree_nocb.h",
                               "	/* Flush all callbacks from segcblist and bypass */\n	rcu_barrier();",
                               "	/* Flush all callbacks from segcblist and bypass */"},
                              "seed-race-6.12.json", 0, 49));
}

TEST_CASE("real::checkers: lockdep-assert and lock-imbalance fire when the shrinker only disables irqs") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    // lazy_rcu_shrink_scan() flushes the bypass without the nocb lock (lockdep_assert_held
    // in rcu_nocb_flush_bypass()), then unlocks what it never locked.
    const auto kinds = mutated_kinds(
        {"kernel/rcu/tree_nocb.h",
         "		rcu_nocb_lock_irqsave(rdp, flags);\n		/*\n		 * Recheck under the nocb lock.",
         "		local_irq_save(flags);\n		/*\n		 * Recheck under the nocb lock."},
        "seed-race-6.12.json", 0, 49);
    CHECK_FIRES("lockdep-assert", kinds);
    CHECK_FIRES("lock-imbalance", kinds);
}

TEST_CASE("real::checkers: deadlock fires when the shrinker keeps a nocb lock") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    const auto kinds = mutated_kinds({"kernel/rcu/tree_nocb.h",
                                      "		rcu_nocb_unlock_irqrestore(rdp, flags);\n"
                                      "		wake_nocb_gp(rdp, false);",
                                      "		wake_nocb_gp(rdp, false);"},
                                     "seed-race-6.12.json", 0, 49);
    CHECK_FIRES("deadlock", kinds);
    CHECK_FIRES("lock-imbalance", kinds);
}

TEST_CASE("real::checkers: reclaim-blocks fires when the shrinker sleeps on nocb_mutex") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    // The seed thread's first option: mutex_lock() where 6.12 has mutex_trylock().
    CHECK_FIRES("reclaim-blocks",
                mutated_kinds({"kernel/rcu/tree_nocb.h",
                               "	if (!mutex_trylock(&rcu_state.nocb_mutex))\n		return 0;",
                               "	mutex_lock(&rcu_state.nocb_mutex);"},
                              "shrinker-storm-6.12.json", 0, 49));
}

TEST_CASE("real::checkers: unsafe-offload-read fires when the shrinker does not trylock nocb_mutex") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    TreeCopy tree(kLinux612);
    remove_shrinker_trylock(tree);
    const auto kinds = campaign_kinds(real_config("shrinker-storm-6.12.json", tree.dir()), 0, 49);
    CHECK_FIRES("unsafe-offload-read", kinds);
    // Nothing else: the mutation leaves the locking balanced.
    CHECK(kinds.size() == 1);
}

TEST_CASE("real::checkers: callback-early fires when rcu_segcblist_advance() ignores gp_seq") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    CHECK_FIRES("callback-early",
                mutated_kinds({"kernel/rcu/rcu_segcblist.c",
                               "		if (ULONG_CMP_LT(seq, rsclp->gp_seq[i]))\n			break;\n"
                               "		WRITE_ONCE(rsclp->tails[RCU_DONE_TAIL], rsclp->tails[i]);",
                               "		WRITE_ONCE(rsclp->tails[RCU_DONE_TAIL], rsclp->tails[i]);"},
                              "callbacks-6.12.json", 0, 99));
}

TEST_CASE("real::checkers: callback-lost fires when rcu_do_batch() skips callbacks it counts") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    CHECK_FIRES("callback-lost",
                mutated_kinds({"kernel/rcu/tree.c", "		f(rhp);", "		if (count % 5 != 3) f(rhp);"},
                              "callbacks-6.12.json", 0, 49));
}

TEST_CASE("real::checkers: callback-duplicated fires when rcu_do_batch() invokes one twice") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    CHECK_FIRES("callback-duplicated",
                mutated_kinds({"kernel/rcu/tree.c", "		f(rhp);",
                               "		f(rhp);\n		if (count == 2 && f != rcu_barrier_callback)\n"
                               "			f(rhp);"},
                              "callbacks-6.12.json", 0, 49));
}

TEST_CASE("real::checkers: barrier-incomplete fires when rcu_barrier() entrains nothing") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    CHECK_FIRES("barrier-incomplete",
                mutated_kinds({"kernel/rcu/tree.c",
                               "	if (rcu_segcblist_entrain(&rdp->cblist, &rdp->barrier_head)) {",
                               "	if (0) {"},
                              "seed-race-6.12.json", 0, 49));
}

TEST_CASE("real::checkers: stranded-callbacks fires when call_rcu() does not wake rcuog") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    // __call_rcu_nocb_wake(), the "WakeEmpty" branch: the first callback of an empty list.
    CHECK_FIRES("stranded-callbacks",
                mutated_kinds({"kernel/rcu/tree_nocb.h", "			wake_nocb_gp(rdp, false);", "			;"},
                              "callbacks-6.12.json", 0, 49));
}

TEST_CASE("real::checkers: data-race fires on a plain increment of lazy_len") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    CHECK_FIRES("data-race",
                mutated_kinds({"kernel/rcu/tree_nocb.h",
                               "		WRITE_ONCE(rdp->lazy_len, rdp->lazy_len + 1);",
                               "		rdp->lazy_len++;"},
                              "seed-race-6.12.json", 0, 49));
}

TEST_CASE("real::checkers: kernel.data_races strict reports a plain word write, off reports no race") {
    RCUSIM_REQUIRE_KERNEL(kLinux612);
    // A plain `lazy_len = 0` in the bypass flush: KCSAN's default assumes an aligned word
    // write atomic, CONFIG_KCSAN_STRICT does not.
    TreeCopy tree(kLinux612);
    tree.replace("kernel/rcu/tree_nocb.h",
                 "	rcu_cblist_flush_enqueue(&rcl, &rdp->nocb_bypass, rhp);\n"
                 "	WRITE_ONCE(rdp->lazy_len, 0);",
                 "	rcu_cblist_flush_enqueue(&rcl, &rdp->nocb_bypass, rhp);\n"
                 "	rdp->lazy_len = 0;");
    auto s = real_config("seed-race-6.12.json", tree.dir());
    const auto plain = campaign_kinds(s, 0, 49);
    INFO("default: " << join_kinds(plain));
    CHECK(plain.count("data-race") == 0);
    s.data_races = "strict";
    // The mode survives the canonical form (repro files carry it).
    CHECK(scenario::scenario_from_json(scenario::scenario_to_json(s), "canonical") == s);
    const auto strict = campaign_kinds(s, 0, 49);
    INFO("strict: " << join_kinds(strict));
    CHECK(strict.count("data-race") == 1);
    // A plain increment races in every mode but off.
    TreeCopy inc(kLinux612);
    inc.replace("kernel/rcu/tree_nocb.h", "		WRITE_ONCE(rdp->lazy_len, rdp->lazy_len + 1);",
                "		rdp->lazy_len++;");
    auto o = real_config("seed-race-6.12.json", inc.dir());
    o.data_races = "off";
    const auto off = campaign_kinds(o, 0, 49);
    INFO("off: " << join_kinds(off));
    CHECK(off.count("data-race") == 0);
}
