/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * glue_defs.h: what kernel/rcu/tree.c defines and tree_nocb.h uses, as rcusim provides it,
 * included after the tree's tree.h and rcu.h and before its tree_nocb.h. Written for rcusim;
 * the constants come from the tree (rcusim_harvest.h), not from here.
 *
 * Functions extracted from the tree's tree.c / tree_plugin.h are declared by the generated
 * rcusim_extracted_decls.h (included right after this file); RCUSIM_REAL_<name> is defined
 * for each, and the glue below provides a function only where the tree's own is not used.
 */
#ifndef RCUSIM_GLUE_DEFS_H
#define RCUSIM_GLUE_DEFS_H

/* Glue functions are rcusim's, not the kernel's: no data-race instrumentation. */
#define RCUSIM_GLUE __attribute__((__no_sanitize__("thread"), __unused__))

/* ---- tree.c module parameters and their defaults (values harvested from the tree) */
#ifndef DEFAULT_RCU_BLIMIT
#define DEFAULT_RCU_BLIMIT 10
#endif
#ifndef DEFAULT_MAX_RCU_BLIMIT
#define DEFAULT_MAX_RCU_BLIMIT 10000
#endif
#ifndef DEFAULT_RCU_QHIMARK
#define DEFAULT_RCU_QHIMARK 10000
#endif
#ifndef DEFAULT_RCU_QLOMARK
#define DEFAULT_RCU_QLOMARK 100
#endif
#ifndef DEFAULT_RCU_QOVLD_MULT
#define DEFAULT_RCU_QOVLD_MULT 2
#endif
static long blimit __maybe_unused = DEFAULT_RCU_BLIMIT;
static long qhimark __maybe_unused = DEFAULT_RCU_QHIMARK;
static long qlowmark __maybe_unused = DEFAULT_RCU_QLOMARK;
static long qovld_calc __maybe_unused = -1;
static int rcu_divisor __maybe_unused = 7;
static long rcu_resched_ns __maybe_unused = 3 * NSEC_PER_MSEC;
static int kthread_prio __maybe_unused;
static bool dump_tree __maybe_unused;
int rcu_scheduler_active;
static int rcu_scheduler_fully_active __maybe_unused;
#ifdef RCUSIM_HAVE_LAZY
static bool enable_rcu_lazy __maybe_unused = true;
#endif
int rcu_num_lvls = RCU_NUM_LVLS;
int num_rcu_lvl[] = NUM_RCU_LVL_INIT;
int rcu_num_nodes = NUM_RCU_NODES;
static bool rcu_fanout_exact __maybe_unused;
static int rcu_fanout_leaf __maybe_unused = RCU_FANOUT_LEAF;

/* ---- tree.c's globals */
static DEFINE_PER_CPU_SHARED_ALIGNED(struct rcu_data, rcu_data);
static struct rcu_state rcu_state = {
	.level = { &rcu_state.node[0] },
	.gp_state = RCU_GP_IDLE,
	.gp_seq = (0UL - 300UL) << RCU_SEQ_CTR_SHIFT,
	.barrier_mutex = __MUTEX_INITIALIZER(rcu_state.barrier_mutex),
	.barrier_lock = __RAW_SPIN_LOCK_UNLOCKED(rcu_state.barrier_lock),
	.name = RCU_NAME,
	.abbr = RCU_ABBR,
#ifdef RCUSIM_HAVE_NOCB_MUTEX
	.nocb_mutex = __MUTEX_INITIALIZER(rcu_state.nocb_mutex),
#endif
};
#define rcu_get_root() (&rcu_state.node[0])

/* ---- tree.c statics that tree_nocb.h and the extracted functions call (glue.c) */
static bool rcu_advance_cbs(struct rcu_node *rnp, struct rcu_data *rdp);
static void rcu_advance_cbs_nowake(struct rcu_node *rnp, struct rcu_data *rdp);
static bool rcu_accelerate_cbs(struct rcu_node *rnp, struct rcu_data *rdp);
static void rcu_accelerate_cbs_unlocked(struct rcu_node *rnp, struct rcu_data *rdp);
static void rcu_gp_kthread_wake(void);
static void invoke_rcu_core(void);
static int rcu_gp_in_progress(void);
static void note_gp_changes(struct rcu_data *rdp);
void rcu_force_quiescent_state(void);
static void rcu_momentary_eqs(void) __maybe_unused;
static void rcu_momentary_dyntick_idle(void) __maybe_unused;
#define cpumask_any_and(a, b)                                                               \
	({                                                                                  \
		struct cpumask __aa;                                                        \
		cpumask_and(&__aa, (a), (b));                                               \
		cpumask_first(&__aa);                                                       \
	})
#define __is_kvfree_rcu_offset(o) ((o) < 4096)

#endif /* RCUSIM_GLUE_DEFS_H */
