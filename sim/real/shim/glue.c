/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * glue.c: rcusim's stand-ins for the parts of the kernel around tree_nocb.h that real-code
 * mode does not take from the user's tree, and the entry points the host calls. Included at
 * the end of the kernel translation unit (after tree_nocb.h and the functions extracted from
 * tree.c / tree_plugin.h), so it can call the tree's static functions. Written for rcusim.
 *
 * Each function names what it stands in for ("Stands in for:"); rcusim prints the list as
 * the glue of a build. Simplifications are tagged "Simplification:". The glue never touches
 * nocb state except through the tree's own functions, and takes the locks the kernel takes.
 */

/* ---------------------------------------------------------------- host-written state */
/* The shim's own globals, in a section of their own: the data-race checker ignores them
 * (every shim call reads rcusim_ops; every per_cpu_ptr() reads the offsets). */
#define RCUSIM_HOSTVAR __attribute__((__section__("rcusim_hostvars")))
RCUSIM_HOSTVAR struct rcusim_host_ops rcusim_ops;
RCUSIM_HOSTVAR void *rcusim_host;
RCUSIM_HOSTVAR volatile unsigned long rcusim_jiffies;
RCUSIM_HOSTVAR void *rcusim_current_task;
RCUSIM_HOSTVAR int rcusim_current_cpu;
RCUSIM_HOSTVAR unsigned int nr_cpu_ids = 1;
RCUSIM_HOSTVAR unsigned long rcusim_percpu_offset[NR_CPUS];
extern char __start_rcusim_hostvars[], __stop_rcusim_hostvars[];
struct cpumask __rcusim_cpu_possible_mask, __rcusim_cpu_online_mask;
struct cpumask *tick_nohz_full_mask;
enum system_states system_state;
struct percpu_rw_semaphore rcusim_cpu_hotplug_lock = __RCUSIM_OBJ_INIT(cpu_hotplug_lock);
extern char __start_rcusim_percpu[], __stop_rcusim_percpu[];
extern struct rcusim_site __start_rcusim_sites[], __stop_rcusim_sites[];

/* ---------------------------------------------------------------- shim library */
void *rcusim_zalloc(size_t n)
{
	return rcusim_ops.h_zalloc(RCUSIM_H, n);
}

RCUSIM_GLUE bool zalloc_cpumask_var(cpumask_var_t *m, gfp_t g)
{
	*m = rcusim_zalloc(sizeof(struct cpumask));
	return *m != NULL;
}

RCUSIM_GLUE bool alloc_cpumask_var(cpumask_var_t *m, gfp_t g)
{
	return zalloc_cpumask_var(m, g);
}

RCUSIM_GLUE void alloc_bootmem_cpumask_var(cpumask_var_t *m)
{
	*m = rcusim_zalloc(sizeof(struct cpumask));
}

static struct cpumask rcusim_single_masks[NR_CPUS];
RCUSIM_GLUE const struct cpumask *rcusim_cpumask_of(int cpu)
{
	struct cpumask *m = &rcusim_single_masks[cpu];
	cpumask_clear(m);
	__set_bit(cpu, m->bits);
	return m;
}

/* "0-3,7" (an empty string is the empty set). */
RCUSIM_GLUE int cpulist_parse(const char *buf, struct cpumask *m)
{
	cpumask_clear(m);
	while (*buf) {
		unsigned long a = 0, b;
		if (*buf < '0' || *buf > '9')
			return -EINVAL;
		while (*buf >= '0' && *buf <= '9')
			a = a * 10 + (unsigned long)(*buf++ - '0');
		b = a;
		if (*buf == '-') {
			buf++;
			b = 0;
			if (*buf < '0' || *buf > '9')
				return -EINVAL;
			while (*buf >= '0' && *buf <= '9')
				b = b * 10 + (unsigned long)(*buf++ - '0');
		}
		if (b < a || b >= NR_CPUS)
			return -EINVAL;
		for (; a <= b; a++)
			__set_bit(a, m->bits);
		if (*buf == ',')
			buf++;
		else if (*buf)
			return -EINVAL;
	}
	return 0;
}

RCUSIM_GLUE unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0;
	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

int rcusim_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int r;
	va_start(ap, fmt);
	r = __builtin_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}

/* Stands in for: kernel/rcu/update.c rcu_async_should_hurry(): callbacks are not hurried
 * by rcu_async_hurry() (no suspend/resume). */
RCUSIM_GLUE bool rcu_async_should_hurry(void)
{
	return false;
}

/* Stands in for: mm/shrinker.c shrinker_alloc(), shrinker_register(), register_shrinker(). */
static struct shrinker *rcusim_shrinker;
RCUSIM_GLUE struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
{
	struct shrinker *s = rcusim_zalloc(sizeof(*s));
	s->seeks = DEFAULT_SEEKS;
	s->flags = flags;
	return s;
}
RCUSIM_GLUE void shrinker_register(struct shrinker *s)
{
	rcusim_shrinker = s;
}
RCUSIM_GLUE int register_shrinker(struct shrinker *s, const char *fmt, ...)
{
	if (!s->seeks)
		s->seeks = DEFAULT_SEEKS;
	rcusim_shrinker = s;
	return 0;
}

/* ---------------------------------------------------------------- data-race hooks */
/* -fsanitize=thread instrumentation of the kernel files lands here (no libtsan). */
#define RCUSIM_TSAN(name, size, kind)                                                       \
	__attribute__((__no_sanitize__("thread"))) void name(void *a)                      \
	{                                                                                   \
		rcusim_ops.h_plain(RCUSIM_H, a, size, kind, __builtin_return_address(0));   \
	}
RCUSIM_TSAN(__tsan_read1, 1, RCUSIM_READ)
RCUSIM_TSAN(__tsan_read2, 2, RCUSIM_READ)
RCUSIM_TSAN(__tsan_read4, 4, RCUSIM_READ)
RCUSIM_TSAN(__tsan_read8, 8, RCUSIM_READ)
RCUSIM_TSAN(__tsan_read16, 16, RCUSIM_READ)
RCUSIM_TSAN(__tsan_write1, 1, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_write2, 2, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_write4, 4, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_write8, 8, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_write16, 16, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_unaligned_read2, 2, RCUSIM_READ)
RCUSIM_TSAN(__tsan_unaligned_read4, 4, RCUSIM_READ)
RCUSIM_TSAN(__tsan_unaligned_read8, 8, RCUSIM_READ)
RCUSIM_TSAN(__tsan_unaligned_read16, 16, RCUSIM_READ)
RCUSIM_TSAN(__tsan_unaligned_write2, 2, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_unaligned_write4, 4, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_unaligned_write8, 8, RCUSIM_WRITE)
RCUSIM_TSAN(__tsan_unaligned_write16, 16, RCUSIM_WRITE)
__attribute__((__no_sanitize__("thread"))) void __tsan_read_range(void *a, unsigned long n)
{
	rcusim_ops.h_plain(RCUSIM_H, a, (unsigned)n, RCUSIM_READ, __builtin_return_address(0));
}
__attribute__((__no_sanitize__("thread"))) void __tsan_write_range(void *a, unsigned long n)
{
	rcusim_ops.h_plain(RCUSIM_H, a, (unsigned)n, RCUSIM_WRITE, __builtin_return_address(0));
}
/* Volatile accesses are the marked ones (READ_ONCE() & co.): already seen by access(). */
#define RCUSIM_TSAN_IGNORE(name)                                                            \
	__attribute__((__no_sanitize__("thread"))) void name(void *a) { }
RCUSIM_TSAN_IGNORE(__tsan_volatile_read1)
RCUSIM_TSAN_IGNORE(__tsan_volatile_read2)
RCUSIM_TSAN_IGNORE(__tsan_volatile_read4)
RCUSIM_TSAN_IGNORE(__tsan_volatile_read8)
RCUSIM_TSAN_IGNORE(__tsan_volatile_read16)
RCUSIM_TSAN_IGNORE(__tsan_volatile_write1)
RCUSIM_TSAN_IGNORE(__tsan_volatile_write2)
RCUSIM_TSAN_IGNORE(__tsan_volatile_write4)
RCUSIM_TSAN_IGNORE(__tsan_volatile_write8)
RCUSIM_TSAN_IGNORE(__tsan_volatile_write16)
__attribute__((__no_sanitize__("thread"))) void __tsan_init(void) { }
__attribute__((__no_sanitize__("thread"))) void __tsan_func_entry(void *pc) { }
__attribute__((__no_sanitize__("thread"))) void __tsan_func_exit(void *unused) { }

/* Plain reads for the host's observation between steps (no scheduling point). */
#define RCUSIM_RAW_TAKE(x) (*(volatile __typeof__(x) *)&(x))
#define RCUSIM_RAW_TAKE_LONG(x) (*(volatile long *)&(x))

/* ---------------------------------------------------------------- grace periods */
/* Stands in for: tree.c rcu_gp_in_progress(). */
RCUSIM_GLUE static int rcu_gp_in_progress(void)
{
	return rcu_seq_state(rcu_seq_current(&rcu_state.gp_seq));
}

/*
 * Stands in for: tree.c rcu_start_this_gp(). Records the request at the leaf and the root
 * and asks for a grace period when none is running.
 * Simplification: no funnel locking through intermediate levels (the leaf's lock is held,
 * the root's is taken); no stall bookkeeping.
 */
RCUSIM_GLUE static bool rcusim_start_this_gp(struct rcu_node *rnp, unsigned long req)
{
	struct rcu_node *root = rcu_get_root();
	bool ret = false;

	raw_lockdep_assert_held_rcu_node(rnp);
	if (ULONG_CMP_LT(rnp->gp_seq_needed, req))
		WRITE_ONCE(rnp->gp_seq_needed, req);
	if (rnp != root)
		raw_spin_lock_rcu_node(root);
	if (ULONG_CMP_LT(root->gp_seq_needed, req))
		WRITE_ONCE(root->gp_seq_needed, req);
	rcusim_ops.h_gp_event(RCUSIM_H, RCUSIM_GP_REQUEST, req);
	if (!rcu_gp_in_progress() && !(READ_ONCE(rcu_state.gp_flags) & RCU_GP_FLAG_INIT)) {
		WRITE_ONCE(rcu_state.gp_flags, rcu_state.gp_flags | RCU_GP_FLAG_INIT);
		ret = true;
	}
	if (rnp != root)
		raw_spin_unlock_rcu_node(root);
	return ret;
}

/* Stands in for: tree.c rcu_accelerate_cbs(). */
RCUSIM_GLUE static bool rcu_accelerate_cbs(struct rcu_node *rnp, struct rcu_data *rdp)
{
	unsigned long gp_seq_req;
	bool ret = false;

	rcu_lockdep_assert_cblist_protected(rdp);
	raw_lockdep_assert_held_rcu_node(rnp);
	if (!rcu_segcblist_pend_cbs(&rdp->cblist))
		return false;
	gp_seq_req = rcu_seq_snap(&rcu_state.gp_seq);
	if (rcu_segcblist_accelerate(&rdp->cblist, gp_seq_req))
		ret = rcusim_start_this_gp(rnp, gp_seq_req);
	return ret;
}

/* Stands in for: tree.c rcu_accelerate_cbs_unlocked(). */
RCUSIM_GLUE static void rcu_accelerate_cbs_unlocked(struct rcu_node *rnp, struct rcu_data *rdp)
{
	unsigned long c;
	bool needwake;

	rcu_lockdep_assert_cblist_protected(rdp);
	c = rcu_seq_snap(&rcu_state.gp_seq);
	if (!READ_ONCE(rdp->gpwrap) && ULONG_CMP_GE(rdp->gp_seq_needed, c)) {
		(void)rcu_segcblist_accelerate(&rdp->cblist, c);
		return;
	}
	raw_spin_lock_rcu_node(rnp);
	needwake = rcu_accelerate_cbs(rnp, rdp);
	raw_spin_unlock_rcu_node(rnp);
	if (needwake)
		rcu_gp_kthread_wake();
}

/* Stands in for: tree.c rcu_advance_cbs(). */
RCUSIM_GLUE static bool rcu_advance_cbs(struct rcu_node *rnp, struct rcu_data *rdp)
{
	rcu_lockdep_assert_cblist_protected(rdp);
	raw_lockdep_assert_held_rcu_node(rnp);
	if (!rcu_segcblist_pend_cbs(&rdp->cblist))
		return false;
	rcu_segcblist_advance(&rdp->cblist, rnp->gp_seq);
	return rcu_accelerate_cbs(rnp, rdp);
}

/* Stands in for: tree.c rcu_advance_cbs_nowake(). */
RCUSIM_GLUE static void rcu_advance_cbs_nowake(struct rcu_node *rnp, struct rcu_data *rdp)
{
	rcu_lockdep_assert_cblist_protected(rdp);
	if (!rcu_seq_state(rcu_seq_current(&rnp->gp_seq)) || !raw_spin_trylock_rcu_node(rnp))
		return;
	/* The grace period cannot end while the rcu_node lock is held. */
	if (rcu_seq_state(rcu_seq_current(&rnp->gp_seq)))
		WARN_ON_ONCE(rcu_advance_cbs(rnp, rdp));
	raw_spin_unlock_rcu_node(rnp);
}

/* Stands in for: tree.c rcu_gp_kthread_wake(). */
RCUSIM_GLUE static void rcu_gp_kthread_wake(void)
{
	struct task_struct *t = READ_ONCE(rcu_state.gp_kthread);

	if (!t || !READ_ONCE(rcu_state.gp_flags))
		return;
	swake_up_one(&rcu_state.gp_wq);
}

/* Stands in for: tree.c rcu_force_quiescent_state(). Simplification: grace periods end
 * after a fixed virtual time, so there is nothing to force. */
RCUSIM_GLUE void rcu_force_quiescent_state(void)
{
}

/* Stands in for: tree.c rcu_momentary_eqs() / rcu_momentary_dyntick_idle(): no quiescent
 * states are tracked. */
RCUSIM_GLUE static void rcu_momentary_eqs(void)
{
}
RCUSIM_GLUE static void rcu_momentary_dyntick_idle(void)
{
}

#ifndef RCUSIM_REAL_swake_up_one_online
/* Stands in for: tree.c swake_up_one_online() where the tree has none. */
RCUSIM_GLUE static void swake_up_one_online(struct swait_queue_head *wqh)
{
	swake_up_one(wqh);
}
#endif

#ifndef RCUSIM_REAL_rcutree_enqueue
/* Stands in for: tree.c rcutree_enqueue() where the tree has none. */
RCUSIM_GLUE static void __maybe_unused rcutree_enqueue(struct rcu_data *rdp, struct rcu_head *head,
						       rcu_callback_t func)
{
	rcu_segcblist_enqueue(&rdp->cblist, head);
}
#endif

/* Stands in for: tree.c invoke_rcu_core() (raise RCU_SOFTIRQ on this CPU). */
RCUSIM_GLUE static void invoke_rcu_core(void)
{
	if (cpu_online(smp_processor_id()))
		raise_softirq(RCU_SOFTIRQ);
}

/* Stands in for: tree.c __note_gp_changes(). Simplification: no quiescent-state
 * bookkeeping (cpu_no_qs, core_needs_qs), only the callback advancement. */
RCUSIM_GLUE static bool __note_gp_changes(struct rcu_node *rnp, struct rcu_data *rdp)
{
	bool ret = false;
	const bool offloaded = rcu_rdp_is_offloaded(rdp);

	raw_lockdep_assert_held_rcu_node(rnp);
	if (rdp->gp_seq == rnp->gp_seq)
		return false;
	if (rcu_seq_completed_gp(rdp->gp_seq, rnp->gp_seq) || unlikely(rdp->gpwrap)) {
		if (!offloaded)
			ret = rcu_advance_cbs(rnp, rdp);
	} else {
		if (!offloaded)
			ret = rcu_accelerate_cbs(rnp, rdp);
	}
	rdp->gp_seq = rnp->gp_seq;
	if (ULONG_CMP_LT(rdp->gp_seq_needed, rnp->gp_seq_needed) || rdp->gpwrap)
		WRITE_ONCE(rdp->gp_seq_needed, rnp->gp_seq_needed);
	WRITE_ONCE(rdp->gpwrap, false);
	return ret;
}

/* Stands in for: tree.c note_gp_changes(). */
RCUSIM_GLUE static void note_gp_changes(struct rcu_data *rdp)
{
	unsigned long flags;
	bool needwake;
	struct rcu_node *rnp;

	local_irq_save(flags);
	rnp = rdp->mynode;
	if ((rdp->gp_seq == rcu_seq_current(&rnp->gp_seq) && !unlikely(READ_ONCE(rdp->gpwrap))) ||
	    !raw_spin_trylock_rcu_node(rnp)) {
		local_irq_restore(flags);
		return;
	}
	needwake = __note_gp_changes(rnp, rdp);
	raw_spin_unlock_irqrestore_rcu_node(rnp, flags);
	if (needwake)
		rcu_gp_kthread_wake();
}

/*
 * The scheduling-clock tick, for the CPUs rcu_core() serves. Stands in for: tree.c
 * rcu_sched_clock_irq() -> rcu_pending() -> invoke_rcu_core(), once a jiffy, in the CPU's
 * softirq. The host arms it (rcusim_image.tick).
 * Simplification: a CPU's tick runs only while its rdp is not offloaded and has callbacks
 * (the nohz behaviour: rcu_needs_cpu() keeps the tick for such a CPU, an offloaded or idle
 * CPU has none).
 */
RCUSIM_GLUE static int rcusim_needs_tick(int cpu)
{
	struct rcu_data *rdp = per_cpu_ptr(&rcu_data, cpu);
	unsigned long flags = RCUSIM_RAW_TAKE(rdp->cblist.flags);

	/* rcu_segcblist_is_offloaded(): LOCKING before v6.9's flag rework, OFFLOADED after. */
#ifdef RCUSIM_HAVE_SEGCBLIST_LOCKING
	if (flags & SEGCBLIST_LOCKING)
		return 0;
#else
	if (flags & SEGCBLIST_OFFLOADED)
		return 0;
#endif
	return ((__rcusim_cpu_online_mask.bits[BIT_WORD(cpu)] >> (cpu % BITS_PER_LONG)) & 1) &&
	       RCUSIM_RAW_TAKE_LONG(rdp->cblist.len) != 0;
}

RCUSIM_GLUE static void rcusim_tick(void)
{
	struct rcu_data *rdp = this_cpu_ptr(&rcu_data);
	struct rcu_node *rnp = rdp->mynode;

	if (rcu_segcblist_is_offloaded(&rdp->cblist))
		return;
	/* rcu_pending()'s callback conditions. */
	if (rcu_segcblist_ready_cbs(&rdp->cblist) ||
	    (!rcu_gp_in_progress() && rcu_segcblist_is_enabled(&rdp->cblist) &&
	     !rcu_segcblist_restempty(&rdp->cblist, RCU_NEXT_READY_TAIL)) ||
	    rcu_seq_current(&rnp->gp_seq) != rdp->gp_seq)
		invoke_rcu_core();
}

/* Stands in for: tree.c rcu_core(), for the current CPU. Simplification: no quiescent
 * states, stall checks or priority boosting. */
RCUSIM_GLUE static void rcusim_rcu_core(void)
{
	unsigned long flags;
	struct rcu_data *rdp = raw_cpu_ptr(&rcu_data);
	struct rcu_node *rnp = rdp->mynode;
#ifdef RCUSIM_HAVE_COMPLETELY_OFFLOADED
	const bool do_batch = !rcu_segcblist_completely_offloaded(&rdp->cblist);
#define RCUSIM_DO_BATCH() do_batch
#else
#define RCUSIM_DO_BATCH() (!rcu_rdp_is_offloaded(rdp))
#endif

	if (cpu_is_offline(smp_processor_id()))
		return;
	note_gp_changes(rdp);
	if (!rcu_gp_in_progress() && rcu_segcblist_is_enabled(&rdp->cblist) && RCUSIM_DO_BATCH()) {
		rcu_nocb_lock_irqsave(rdp, flags);
		if (!rcu_segcblist_restempty(&rdp->cblist, RCU_NEXT_READY_TAIL))
			rcu_accelerate_cbs_unlocked(rnp, rdp);
		rcu_nocb_unlock_irqrestore(rdp, flags);
	}
	if (RCUSIM_DO_BATCH() && rcu_segcblist_ready_cbs(&rdp->cblist) &&
	    likely(READ_ONCE(rcu_scheduler_fully_active))) {
		rcu_do_batch(rdp);
		if (rcu_segcblist_ready_cbs(&rdp->cblist))
			invoke_rcu_core();
	}
	do_nocb_deferred_wakeup(rdp);
#undef RCUSIM_DO_BATCH
}

/*
 * The grace-period kthread. Stands in for: tree.c rcu_gp_kthread(), rcu_gp_init() and
 * rcu_gp_cleanup(): waits for RCU_GP_FLAG_INIT, starts a grace period (rcu_seq_start() on
 * rcu_state.gp_seq, then every rcu_node's gp_seq), lets the readers' time pass, ends it
 * (every rcu_node's gp_seq, waking the rcuog kthreads through the tree's own
 * rcu_nocb_gp_get() / rcu_nocb_gp_cleanup(), then rcu_state.gp_seq), and starts the next
 * one if a request asks for it.
 * Simplification: a grace period is a fixed virtual duration (the scenario's gp_duration),
 * not the end of quiescent states; no forcing, no expedited grace periods.
 */
RCUSIM_GLUE static int rcusim_gp_kthread(void *unused)
{
	struct rcu_node *root = rcu_get_root();
	struct rcu_node *rnp;
	struct swait_queue_head *sq;
	unsigned long new_gp_seq;
	bool needgp;
	int cpu;

	for (;;) {
		swait_event_idle_exclusive(rcu_state.gp_wq,
					   READ_ONCE(rcu_state.gp_flags) & RCU_GP_FLAG_INIT);
		raw_spin_lock_irq_rcu_node(root);
		WRITE_ONCE(rcu_state.gp_flags, 0);
		rcu_seq_start(&rcu_state.gp_seq);
		rcusim_ops.h_gp_event(RCUSIM_H, RCUSIM_GP_START, rcu_state.gp_seq);
		raw_spin_unlock_irq_rcu_node(root);
		rcu_for_each_node_breadth_first(rnp) {
			raw_spin_lock_irq_rcu_node(rnp);
			WRITE_ONCE(rnp->gp_seq, rcu_state.gp_seq);
			raw_spin_unlock_irq_rcu_node(rnp);
		}

		schedule_timeout_idle(rcusim_ops.h_gp_jiffies);
		/* The readers are done: from here on callbacks of this grace period may run (the
		 * cleanup below publishes the end node by node, rcu_state.gp_seq last). */
		rcusim_ops.h_gp_event(RCUSIM_H, RCUSIM_GP_END, rcu_seq_endval(&rcu_state.gp_seq));

		new_gp_seq = rcu_seq_endval(&rcu_state.gp_seq);
		needgp = false;
		rcu_for_each_node_breadth_first(rnp) {
			raw_spin_lock_irq_rcu_node(rnp);
			WRITE_ONCE(rnp->gp_seq, new_gp_seq);
			if (ULONG_CMP_LT(rnp->gp_seq, rnp->gp_seq_needed))
				needgp = true;
			sq = rcu_nocb_gp_get(rnp);
			raw_spin_unlock_irq_rcu_node(rnp);
			rcu_nocb_gp_cleanup(sq);
		}
		raw_spin_lock_irq_rcu_node(root);
		rcu_seq_end(&rcu_state.gp_seq);
		/* A request made after the loop saw its node (as rcu_gp_cleanup() re-checks). */
		if (!needgp && ULONG_CMP_LT(root->gp_seq, root->gp_seq_needed))
			needgp = true;
		if (needgp)
			WRITE_ONCE(rcu_state.gp_flags, RCU_GP_FLAG_INIT);
		raw_spin_unlock_irq_rcu_node(root);
	}
	return 0;
}

/* ---------------------------------------------------------------- boot */
/* Stands in for: tree.c rcu_init_geometry() and rcu_init_one(): the rcu_node tree for
 * nr_cpu_ids CPUs, leaves of RCU_FANOUT_LEAF CPUs. */
RCUSIM_GLUE static void rcusim_init_nodes(void)
{
	int levelcnt[RCU_NUM_LVLS];
	int i, j, n, lvl, cprv;
	struct rcu_node *rnp;

	/* Level sizes from the leaves up. */
	n = DIV_ROUND_UP((int)nr_cpu_ids, RCU_FANOUT_LEAF);
	rcu_num_lvls = 1;
	while (n > 1 && rcu_num_lvls < RCU_NUM_LVLS) {
		n = DIV_ROUND_UP(n, RCU_FANOUT);
		rcu_num_lvls++;
	}
	n = DIV_ROUND_UP((int)nr_cpu_ids, RCU_FANOUT_LEAF);
	for (i = rcu_num_lvls - 1; i >= 0; i--) {
		levelcnt[i] = n;
		num_rcu_lvl[i] = n;
		n = DIV_ROUND_UP(n, RCU_FANOUT);
	}
	rcu_num_nodes = 0;
	for (i = 0; i < rcu_num_lvls; i++)
		rcu_num_nodes += levelcnt[i];
	for (i = 1; i < rcu_num_lvls; i++)
		rcu_state.level[i] = rcu_state.level[i - 1] + levelcnt[i - 1];

	cprv = (int)nr_cpu_ids;
	for (lvl = rcu_num_lvls - 1; lvl >= 0; lvl--) {
		int spread = (cprv + levelcnt[lvl] - 1) / levelcnt[lvl];
		int span = lvl == rcu_num_lvls - 1 ? spread : 0;
		(void)span;
		rnp = rcu_state.level[lvl];
		for (j = 0; j < levelcnt[lvl]; j++, rnp++) {
			raw_spin_lock_init(&ACCESS_PRIVATE(rnp, lock));
			rnp->gp_seq = rcu_state.gp_seq;
			rnp->gp_seq_needed = rcu_state.gp_seq;
			rnp->qsmaskinit = 0;
			rnp->qsmaskinitnext = 0;
			rnp->level = (u8)lvl;
			rnp->parent = lvl == 0 ? NULL : rcu_state.level[lvl - 1] + j / RCU_FANOUT;
			rnp->grpnum = (u8)(lvl == 0 ? 0 : j % RCU_FANOUT);
			rnp->grpmask = lvl == 0 ? 0 : BIT(rnp->grpnum);
			rcu_init_one_nocb(rnp);
		}
		cprv = levelcnt[lvl];
	}
	/* CPU ranges, leaves first. */
	rnp = rcu_state.level[rcu_num_lvls - 1];
	for (j = 0; j < levelcnt[rcu_num_lvls - 1]; j++, rnp++) {
		rnp->grplo = j * RCU_FANOUT_LEAF;
		rnp->grphi = min(rnp->grplo + RCU_FANOUT_LEAF, (int)nr_cpu_ids) - 1;
	}
	for (lvl = rcu_num_lvls - 2; lvl >= 0; lvl--) {
		rnp = rcu_state.level[lvl];
		for (j = 0; j < levelcnt[lvl]; j++, rnp++) {
			struct rcu_node *child = rcu_state.level[lvl + 1] + j * RCU_FANOUT;
			struct rcu_node *last = rcu_state.level[lvl + 1] + levelcnt[lvl + 1] - 1;
			rnp->grplo = child->grplo;
			rnp->grphi = min(child + RCU_FANOUT - 1, last)->grphi;
		}
	}
	init_swait_queue_head(&rcu_state.gp_wq);
}

/* Stands in for: tree.c rcu_boot_init_percpu_data(). */
RCUSIM_GLUE static void rcusim_boot_init_percpu_data(int cpu)
{
	struct rcu_data *rdp = per_cpu_ptr(&rcu_data, cpu);
	struct rcu_node *rnp = rcu_state.level[rcu_num_lvls - 1] + cpu / RCU_FANOUT_LEAF;

	rdp->grpmask = BIT(cpu - rnp->grplo);
	rdp->mynode = rnp;
	rdp->cpu = cpu;
	rdp->gp_seq = rcu_state.gp_seq;
	rdp->gp_seq_needed = rcu_state.gp_seq;
	rdp->barrier_seq_snap = rcu_state.barrier_sequence;
	rdp->blimit = blimit;
	rdp->qlen_last_fqs_check = 0;
	rcu_boot_init_nocb_percpu_data(rdp);
}

/* Stands in for: tree.c rcutree_prepare_cpu(). */
RCUSIM_GLUE static void rcusim_prepare_cpu(int cpu)
{
	unsigned long flags;
	struct rcu_data *rdp = per_cpu_ptr(&rcu_data, cpu);
	struct rcu_node *rnp = rcu_get_root();

	raw_spin_lock_irqsave_rcu_node(rnp, flags);
	rdp->qlen_last_fqs_check = 0;
	rdp->n_force_qs_snap = READ_ONCE(rcu_state.n_force_qs);
	rdp->blimit = blimit;
	raw_spin_unlock_rcu_node(rnp);
	if (!rcu_segcblist_is_enabled(&rdp->cblist))
		rcu_segcblist_init(&rdp->cblist);
	rnp = rdp->mynode;
	raw_spin_lock_rcu_node(rnp);
	rdp->gp_seq = READ_ONCE(rnp->gp_seq);
	rdp->gp_seq_needed = rdp->gp_seq;
	raw_spin_unlock_irqrestore_rcu_node(rnp, flags);
	rcu_spawn_cpu_nocb_kthread(cpu);
}

/* Stands in for: tree.c rcutree_report_cpu_starting(): the CPU joins its leaf's
 * qsmaskinitnext, then comes online. Runs on the incoming CPU with interrupts off. */
RCUSIM_GLUE static void rcusim_cpu_starting(void *unused)
{
	int cpu = smp_processor_id();
	struct rcu_data *rdp = this_cpu_ptr(&rcu_data);
	struct rcu_node *rnp = rdp->mynode;
	unsigned long flags;

	raw_spin_lock_irqsave_rcu_node(rnp, flags);
	WRITE_ONCE(rnp->qsmaskinitnext, rnp->qsmaskinitnext | rdp->grpmask);
	rdp->beenonline = true;
	raw_spin_unlock_irqrestore_rcu_node(rnp, flags);
	cpumask_set_cpu(cpu, &__rcusim_cpu_online_mask);
}

/* Boot. Stands in for: the order of start_kernel(): rcu_nocbs= (the tree's own
 * rcu_nocb_setup()), rcu_init() (nodes, per-CPU data, the boot CPU), rcu_init_nohz() (the
 * tree's), rcu_spawn_gp_kthread() (the GP kthread, then the tree's
 * rcu_spawn_cpu_nocb_kthread() for the boot CPU), then every secondary CPU brought up
 * (rcutree_prepare_cpu(), which spawns its nocb kthreads, and the starting callback). */
RCUSIM_GLUE static void rcusim_boot(const struct rcusim_boot_config *cfg)
{
	static char nocb_arg[4096 * 6];
	struct task_struct *t;
	int cpu;

	rcu_scheduler_active = RCU_SCHEDULER_INACTIVE;
	system_state = SYSTEM_BOOTING;
	qhimark = cfg->qhimark;
	qovld_calc = DEFAULT_RCU_QOVLD_MULT * qhimark;
	if (cfg->gp_stride > 0)
		rcu_nocb_gp_stride = cfg->gp_stride;
#ifdef RCUSIM_HAVE_LAZY
	if (cfg->lazy_flush_jiffies)
		rcu_set_jiffies_lazy_flush(cfg->lazy_flush_jiffies);
#endif
	if (cfg->nocb_cpus) {
		rcusim_snprintf(nocb_arg, sizeof(nocb_arg), "=%s", cfg->nocb_cpus);
		rcu_nocb_setup(nocb_arg);
	}
	rcusim_init_nodes();
	for_each_possible_cpu(cpu)
		rcusim_boot_init_percpu_data(cpu);
	rcusim_prepare_cpu(0);
	rcusim_cpu_starting(NULL);
	rcu_init_nohz();
	rcu_scheduler_active = RCU_SCHEDULER_RUNNING;
	rcu_scheduler_fully_active = 1;
	t = kthread_create(rcusim_gp_kthread, NULL, "%s", rcu_state.name);
	WRITE_ONCE(rcu_state.gp_kthread, t);
	wake_up_process(t);
	rcu_spawn_cpu_nocb_kthread(0);
	for (cpu = 1; cpu < (int)nr_cpu_ids; cpu++) {
		rcusim_prepare_cpu(cpu);
		smp_call_function_single(cpu, rcusim_cpu_starting, NULL, RCUSIM_SMP_WAIT | RCUSIM_SMP_HOTPLUG);
	}
	system_state = SYSTEM_RUNNING;
}

/* ---------------------------------------------------------------- CPU hotplug */
/* Runs on the dying CPU, interrupts off. Stands in for: take_cpu_down()'s end and
 * tree.c rcutree_report_cpu_dead() / rcu_report_dead(): the CPU leaves cpu_online_mask,
 * dangling deferred wakeups are done (the tree's do_nocb_deferred_wakeup()), and it leaves
 * its leaf's qsmaskinitnext. */
RCUSIM_GLUE static void rcusim_cpu_dying(void *unused)
{
	int cpu = smp_processor_id();
	struct rcu_data *rdp = this_cpu_ptr(&rcu_data);
	struct rcu_node *rnp = rdp->mynode;
	unsigned long flags;

	cpumask_clear_cpu(cpu, &__rcusim_cpu_online_mask);
	do_nocb_deferred_wakeup(rdp);
	raw_spin_lock_irqsave_rcu_node(rnp, flags);
	WRITE_ONCE(rnp->qsmaskinitnext, rnp->qsmaskinitnext & ~rdp->grpmask);
	raw_spin_unlock_irqrestore_rcu_node(rnp, flags);
}

/* Stands in for: kernel/cpu.c cpu_down() -> _cpu_down(): cpus_write_lock(), the CPU's
 * tasks stop (they are migrated away in the kernel; here its workload waits), the dying
 * CPU runs rcusim_cpu_dying(), then the control CPU migrates its callbacks with the
 * tree's rcutree_migrate_callbacks(). */
RCUSIM_GLUE static int rcusim_cpu_down(int cpu)
{
	int ret = 0;

	cpus_write_lock();
	if (!cpu_online(cpu) || cpu == 0) {
		ret = -EINVAL;
		goto out;
	}
	rcusim_ops.h_hotplug_event(RCUSIM_H, cpu, RCUSIM_HP_QUIESCE);
	smp_call_function_single(cpu, rcusim_cpu_dying, NULL, RCUSIM_SMP_WAIT | RCUSIM_SMP_HOTPLUG);
	rcutree_migrate_callbacks(cpu);
	rcusim_ops.h_hotplug_event(RCUSIM_H, cpu, RCUSIM_HP_DEAD);
out:
	cpus_write_unlock();
	return ret;
}

/* Stands in for: kernel/cpu.c cpu_up() -> _cpu_up(): rcutree_prepare_cpu() on the control
 * CPU (the tree's rcu_spawn_cpu_nocb_kthread() among it), then the starting callback on
 * the incoming CPU. */
RCUSIM_GLUE static int rcusim_cpu_up(int cpu)
{
	int ret = 0;

	cpus_write_lock();
	if (cpu_online(cpu)) {
		ret = -EINVAL;
		goto out;
	}
	rcusim_prepare_cpu(cpu);
	smp_call_function_single(cpu, rcusim_cpu_starting, NULL, RCUSIM_SMP_WAIT | RCUSIM_SMP_HOTPLUG);
	rcusim_ops.h_hotplug_event(RCUSIM_H, cpu, RCUSIM_HP_ONLINE);
out:
	cpus_write_unlock();
	return ret;
}

/* ---------------------------------------------------------------- reclaim */
/*
 * Stands in for: mm/shrinker.c do_shrink_slab() for the lazy RCU shrinker: count once,
 * then scan in batches of min(batch, total_scan) until total_scan is used up or the
 * shrinker returns SHRINK_STOP. Simplification: no deferred work across calls
 * (nr_deferred), one node, no memcg.
 */
RCUSIM_GLUE static long rcusim_do_shrink_slab(struct shrinker *s, int priority)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	unsigned long freeable, delta, total_scan, freed = 0;
	long batch_size = s->batch ? s->batch : 128;

	freeable = s->count_objects(s, &sc);
	rcusim_ops.h_shrink_event(RCUSIM_H, RCUSIM_SHRINK_COUNT, (long)freeable);
	if (freeable == 0 || freeable == SHRINK_EMPTY)
		return 0;
	if (s->seeks) {
		delta = freeable >> priority;
		delta *= 4;
		delta /= s->seeks;
	} else {
		delta = freeable / 2;
	}
	total_scan = min(delta, 2 * freeable);
	while (total_scan >= (unsigned long)batch_size || total_scan >= freeable) {
		unsigned long ret;
		unsigned long nr_to_scan = min((unsigned long)batch_size, total_scan);

		sc.nr_to_scan = nr_to_scan;
		sc.nr_scanned = nr_to_scan;
		rcusim_ops.h_shrink_event(RCUSIM_H, RCUSIM_SHRINK_SCAN, (long)nr_to_scan);
		ret = s->scan_objects(s, &sc);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		total_scan -= sc.nr_scanned;
		cond_resched();
	}
	return (long)freed;
}

/* The scenario's reclaim ops. */
RCUSIM_GLUE static long rcusim_shrink(long nr_to_scan, int how)
{
	struct shrinker *s = READ_ONCE(rcusim_shrinker);
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	unsigned long n, ret;
	long freed = 0;
	int prio;

	if (!s)
		return 0; /* no lazy shrinker in this kernel */
	switch (how) {
	case RCUSIM_RECLAIM_SCAN:
		/* One shrink_slab() call as the scenario writes it: count, then one scan. */
		n = s->count_objects(s, &sc);
		rcusim_ops.h_shrink_event(RCUSIM_H, RCUSIM_SHRINK_COUNT, (long)n);
		if (n == 0 || n == SHRINK_EMPTY)
			return 0;
		sc.nr_to_scan = (unsigned long)nr_to_scan;
		sc.nr_scanned = (unsigned long)nr_to_scan;
		rcusim_ops.h_shrink_event(RCUSIM_H, RCUSIM_SHRINK_SCAN, nr_to_scan);
		ret = s->scan_objects(s, &sc);
		return ret == SHRINK_STOP ? 0 : (long)ret;
	case RCUSIM_RECLAIM_DROP:
		/* Stands in for: mm/vmscan.c drop_slab(): priority 0 until little is freed. */
		do {
			n = (unsigned long)rcusim_do_shrink_slab(s, 0);
			freed += (long)n;
		} while (n > 10);
		return freed;
	default:
		/* Stands in for: direct reclaim's shrink_slab() from DEF_PRIORITY down, until
		 * SWAP_CLUSTER_MAX objects are freed. */
		for (prio = 12; prio >= 0 && freed < 32; prio--)
			freed += rcusim_do_shrink_slab(s, prio);
		return freed;
	}
}

/* ---------------------------------------------------------------- entry points */
static void rcusim_cb(struct rcu_head *rhp)
{
	rcusim_ops.h_cb_invoked(RCUSIM_H, rhp);
}

/* The workload's call_rcu(): the tree's own call_rcu() / call_rcu_hurry(). */
RCUSIM_GLUE static void rcusim_call_rcu(void *head, int lazy)
{
#ifdef RCUSIM_REAL_call_rcu_hurry
	if (!lazy)
		call_rcu_hurry(head, rcusim_cb);
	else
		call_rcu(head, rcusim_cb);
#else
	call_rcu(head, rcusim_cb);
#endif
}

RCUSIM_GLUE static int rcusim_nocb_toggle(int cpu, int offload)
{
	return offload ? rcu_nocb_cpu_offload(cpu) : rcu_nocb_cpu_deoffload(cpu);
}

RCUSIM_GLUE static void rcusim_barrier(void)
{
	rcusim_ops.h_barrier_event(RCUSIM_H, RCUSIM_BARRIER_BEGIN);
	rcu_barrier();
	rcusim_ops.h_barrier_event(RCUSIM_H, RCUSIM_BARRIER_END);
}

RCUSIM_GLUE struct task_struct *rcusim_new_task(const char *comm)
{
	struct task_struct *t = rcusim_zalloc(sizeof(*t));
	rcusim_snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->flags = PF_KTHREAD;
	return t;
}

RCUSIM_GLUE static void *rcusim_new_task_void(const char *comm)
{
	return rcusim_new_task(comm);
}

RCUSIM_GLUE static void rcusim_run_timer(void *t)
{
	struct timer_list *timer = t;
	timer->function(timer);
}

/* ---------------------------------------------------------------- observation */
/* From the host, between steps: plain reads only (no scheduling point may happen here). */
#define RCUSIM_RAW(x) RCUSIM_RAW_TAKE(x)
#define RCUSIM_RAW_LONG(x) RCUSIM_RAW_TAKE_LONG(x)
RCUSIM_GLUE static struct rcu_data *rcusim_rdp(int cpu)
{
	return per_cpu_ptr(&rcu_data, cpu);
}
RCUSIM_GLUE static long rcusim_lazy_len(int cpu)
{
#ifdef RCUSIM_HAVE_LAZY
	return RCUSIM_RAW(rcusim_rdp(cpu)->lazy_len);
#else
	return 0;
#endif
}
RCUSIM_GLUE static long rcusim_bypass_len(int cpu)
{
	return RCUSIM_RAW_LONG(rcusim_rdp(cpu)->nocb_bypass.len);
}
RCUSIM_GLUE static long rcusim_n_cbs(int cpu)
{
	return RCUSIM_RAW_LONG(rcusim_rdp(cpu)->cblist.len);
}
RCUSIM_GLUE static unsigned long rcusim_seg_flags(int cpu)
{
	return (unsigned long)RCUSIM_RAW(rcusim_rdp(cpu)->cblist.flags);
}
RCUSIM_GLUE static int rcusim_offloaded(int cpu)
{
	return (RCUSIM_RAW(rcusim_rdp(cpu)->cblist.flags) & SEGCBLIST_OFFLOADED) != 0;
}
RCUSIM_GLUE static int rcusim_in_nocb_mask(int cpu)
{
	return cpumask_available(rcu_nocb_mask) &&
	       ((rcu_nocb_mask->bits[BIT_WORD(cpu)] >> (cpu % BITS_PER_LONG)) & 1);
}
RCUSIM_GLUE static int rcusim_cpu_online(int cpu)
{
	return (__rcusim_cpu_online_mask.bits[BIT_WORD(cpu)] >> (cpu % BITS_PER_LONG)) & 1;
}
RCUSIM_GLUE static void *rcusim_addr_of(int cpu, int which)
{
	struct rcu_data *rdp = rcusim_rdp(cpu);
	switch (which) {
	case RCUSIM_ADDR_NOCB_LOCK: return &rdp->nocb_lock.rcusim;
	case RCUSIM_ADDR_BYPASS_LOCK: return &rdp->nocb_bypass_lock.rcusim;
	case RCUSIM_ADDR_GP_LOCK: return rdp->nocb_gp_rdp ? &rdp->nocb_gp_rdp->nocb_gp_lock.rcusim : NULL;
	default: return (void *)&rdp->cblist.flags;
	}
}

RCUSIM_GLUE static int rcusim_walk_cbs(int cpu, void **out, int max)
{
	struct rcu_data *rdp = rcusim_rdp(cpu);
	struct rcu_head *rhp;
	int n = 0;

	for (rhp = rdp->cblist.head; rhp; rhp = rhp->next, n++)
		if (n < max)
			out[n] = rhp;
	for (rhp = rdp->nocb_bypass.head; rhp; rhp = rhp->next, n++)
		if (n < max)
			out[n] = rhp;
	return n;
}
RCUSIM_GLUE static unsigned long rcusim_gp_seq(void)
{
	return RCUSIM_RAW(rcu_state.gp_seq);
}

#include "rcusim_fields.h" /* generated: the fields of struct rcu_data, rcu_state, rcu_node */

#ifdef RCUSIM_FEATURE_LIST
static const char rcusim_features_text[] = RCUSIM_FEATURE_LIST;
#else
static const char rcusim_features_text[] = "";
#endif

__attribute__((__visibility__("default"))) const struct rcusim_image *rcusim_image(void)
{
	static const struct rcusim_image img = {
		.abi = RCUSIM_ABI_VERSION,
		.nr_cpus_max = NR_CPUS,
		.features = rcusim_features_text,
		.host = &rcusim_host,
		.ops = &rcusim_ops,
		.jiffies_var = &rcusim_jiffies,
		.current_task = &rcusim_current_task,
		.current_cpu = &rcusim_current_cpu,
		.nr_cpu_ids = &nr_cpu_ids,
		.percpu_offset = rcusim_percpu_offset,
		.percpu_start = __start_rcusim_percpu,
		.percpu_end = __stop_rcusim_percpu,
		.sites_start = __start_rcusim_sites,
		.sites_end = __stop_rcusim_sites,
		.host_start = __start_rcusim_hostvars,
		.host_end = __stop_rcusim_hostvars,
		.cpu_possible_bits = __rcusim_cpu_possible_mask.bits,
		.boot = rcusim_boot,
		.call_rcu = rcusim_call_rcu,
		.shrink = rcusim_shrink,
		.nocb_toggle = rcusim_nocb_toggle,
		.barrier = rcusim_barrier,
		.cpu_down = rcusim_cpu_down,
		.cpu_up = rcusim_cpu_up,
		.rcu_softirq = rcusim_rcu_core,
		.tick = rcusim_tick,
		.needs_tick = rcusim_needs_tick,
		.run_timer = rcusim_run_timer,
		.new_task = rcusim_new_task_void,
		.lazy_len = rcusim_lazy_len,
		.bypass_len = rcusim_bypass_len,
		.n_cbs = rcusim_n_cbs,
		.seg_flags = rcusim_seg_flags,
		.offloaded = rcusim_offloaded,
		.in_nocb_mask = rcusim_in_nocb_mask,
		.cpu_online = rcusim_cpu_online,
		.rdp = (void *(*)(int))rcusim_rdp,
		.rdp_size = sizeof(struct rcu_data),
		.rdp_fields = rcusim_rdp_fields,
		.n_rdp_fields = (int)ARRAY_SIZE(rcusim_rdp_fields),
		.state = &rcu_state,
		.state_size = sizeof(rcu_state),
		.state_fields = rcusim_state_fields,
		.n_state_fields = (int)ARRAY_SIZE(rcusim_state_fields),
		.nodes = &rcu_state.node[0],
		.node_size = sizeof(struct rcu_node),
		.n_nodes = &rcu_num_nodes,
		.node_fields = rcusim_node_fields,
		.n_node_fields = (int)ARRAY_SIZE(rcusim_node_fields),
		.addr_of = rcusim_addr_of,
		.walk_cbs = rcusim_walk_cbs,
		.gp_seq = rcusim_gp_seq,
	};
	return &img;
}
