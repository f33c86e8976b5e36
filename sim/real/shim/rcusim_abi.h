/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rcusim_abi.h: the interface between rcusim (the host, C++) and a kernel object built from a
 * user's tree (C): the shim in kshim.h calls the host through struct rcusim_host_ops, and the
 * host drives the kernel through struct rcusim_image. Written for rcusim; no kernel code.
 *
 * Included by the host and by the C shim; plain C, no kernel types beyond opaque pointers.
 * Bump RCUSIM_ABI_VERSION whenever a struct here changes: it is part of the build cache key
 * and the host refuses an object built for another version.
 */
#ifndef RCUSIM_ABI_H
#define RCUSIM_ABI_H

#ifdef __cplusplus
#include <cstdarg>
#include <cstddef>
extern "C" {
#else
#include <stdarg.h>
#include <stddef.h>
#endif

#define RCUSIM_ABI_VERSION 1

/* A site: one place in the kernel sources that can interleave (a scheduling point) or report.
 * One static instance per use, in its own section; `label` is the host's cache of the step
 * label it renders for the site ("lazy_rcu_shrink_scan: READ_ONCE(rdp->lazy_len)
 * kernel/rcu/tree_nocb.h:1262"), filled on first use. */
struct rcusim_site {
	const char *file;
	const char *func;
	const char *what;
	int line;
	int kind; /* RCUSIM_SITE_* */
	const char *label;
};

enum {
	RCUSIM_SITE_POINT = 0, /* a marked access, a fence, a lock or wait operation */
	RCUSIM_SITE_WARN = 1,  /* WARN_ON() & co. */
	RCUSIM_SITE_ONCE = 2,  /* WARN_ON_ONCE() & co.: reported once per execution */
	RCUSIM_SITE_ASSERT = 3 /* lockdep_assert_*() / RCU_LOCKDEP_WARN() */
};

/* Access kinds for rcusim_host_ops.access() (marked) and plain(). */
enum {
	RCUSIM_READ = 1,
	RCUSIM_WRITE = 2,
	RCUSIM_RMW = 3,
	RCUSIM_FENCE = 4
};

/* Lockdep-style report kinds for rcusim_host_ops.assert_failed(). */
enum {
	RCUSIM_ASSERT_HELD = 1,        /* lockdep_assert_held() */
	RCUSIM_ASSERT_IRQS_OFF = 2,    /* lockdep_assert_irqs_disabled() */
	RCUSIM_ASSERT_IRQS_ON = 3,     /* lockdep_assert_irqs_enabled() */
	RCUSIM_ASSERT_LOCKDEP = 4,     /* RCU_LOCKDEP_WARN() / lockdep_assert() */
	RCUSIM_ASSERT_OFFLOAD_READ = 5 /* RCU_LOCKDEP_WARN() in rcu_rdp_is_offloaded() */
};

/* Every simulated object (lock, wait queue, timer, task) starts with one of these. The host
 * registers the object on first use (id 0 = not yet known); the id is an index into the
 * host's per-execution tables, so it is reset with the rest of the kernel's data. */
struct rcusim_obj {
	int id;
	const char *name; /* as written in the source: "&rdp->nocb_lock" */
};

enum {
	RCUSIM_LOCK_SPIN = 0,
	RCUSIM_LOCK_MUTEX = 1,
	RCUSIM_LOCK_RWSEM = 2
};

enum {
	RCUSIM_CTX_TASK = 0,
	RCUSIM_CTX_SOFTIRQ = 1,
	RCUSIM_CTX_HARDIRQ = 2
};

/* What the shim calls. `h` is the host's context (struct rcusim_image.host). */
struct rcusim_host_ops {
	/* A marked access (READ_ONCE, WRITE_ONCE, atomics, smp_*() fences): a scheduling point
	 * before it; then the access happens when the fiber runs again. */
	void (*h_access)(void *h, struct rcusim_site *s, const volatile void *addr, unsigned size,
		       int kind);
	/* A plain access seen by -fsanitize=thread instrumentation (no scheduling point). */
	void (*h_plain)(void *h, const volatile void *addr, unsigned size, int kind, void *pc);

	/* Interrupts, bottom halves, preemption. irq_save() returns the previous state
	 * (non-zero: interrupts were already disabled). */
	unsigned long (*h_irq_save)(void *h);
	void (*h_irq_restore)(void *h, unsigned long flags);
	int (*h_irqs_disabled)(void *h);
	void (*h_count)(void *h, int which, int delta); /* RCUSIM_COUNT_* */
	int (*h_context)(void *h);                      /* RCUSIM_CTX_* of the running context */
	int (*h_preemptible)(void *h);

	/* Locks: spinlocks, mutexes and the CPU-hotplug rwsem. */
	void (*h_lock)(void *h, struct rcusim_obj *l, int kind, int shared, struct rcusim_site *s);
	int (*h_trylock)(void *h, struct rcusim_obj *l, int kind, struct rcusim_site *s);
	void (*h_unlock)(void *h, struct rcusim_obj *l, int kind, int shared, struct rcusim_site *s);
	int (*h_is_locked)(void *h, struct rcusim_obj *l);
	int (*h_is_held)(void *h, struct rcusim_obj *l); /* by the running context */

	/* Wait queues (swait and wait_queue_head alike): prepare registers the running task as
	 * a waiter, schedule sleeps unless woken since prepare (timeout in jiffies, <0: none),
	 * finish unregisters. wake returns the number of tasks woken. */
	void (*h_wq_prepare)(void *h, struct rcusim_obj *wq, int exclusive);
	long (*h_wq_schedule)(void *h, struct rcusim_obj *wq, long timeout, struct rcusim_site *s);
	void (*h_wq_finish)(void *h, struct rcusim_obj *wq);
	int (*h_wq_wake)(void *h, struct rcusim_obj *wq, int nr, struct rcusim_site *s);
	int (*h_wq_active)(void *h, struct rcusim_obj *wq);

	/* Timers: expires in jiffies. mod returns 1 if the timer was pending, del the same. */
	int (*h_timer_mod)(void *h, void *timer, struct rcusim_obj *o, unsigned long expires,
			 int cpu /* -1: the current CPU, as mod_timer() */, struct rcusim_site *s);
	int (*h_timer_del)(void *h, struct rcusim_obj *o, struct rcusim_site *s);
	int (*h_timer_pending)(void *h, struct rcusim_obj *o, struct rcusim_site *s);

	/* Tasks and kthreads. struct task_struct starts with its rcusim_obj (kshim.h); the
	 * shim allocates it (rcusim_image.new_task), the host registers it. */
	void (*h_kthread_create)(void *h, void *task, int (*fn)(void *), void *data,
				 const char *name);
	int (*h_wake_up_process)(void *h, void *task, struct rcusim_site *s);
	void (*h_kthread_park)(void *h, void *task, struct rcusim_site *s);
	void (*h_kthread_unpark)(void *h, void *task, struct rcusim_site *s);
	int (*h_kthread_should_park)(void *h);
	void (*h_kthread_parkme)(void *h, struct rcusim_site *s);
	long (*h_schedule_timeout)(void *h, long timeout, struct rcusim_site *s);
	void (*h_cond_resched)(void *h, struct rcusim_site *s);

	/* Cross-CPU work: run fn on `cpu` in hardirq context (IPI) or in a kworker. */
	int (*h_smp_call)(void *h, int cpu, void (*fn)(void *), void *info, int wait,
			struct rcusim_site *s);
	long (*h_work_on_cpu)(void *h, int cpu, long (*fn)(void *), void *arg,
			    struct rcusim_site *s);
	void (*h_raise_softirq)(void *h, int cpu, struct rcusim_site *s); /* RCU_SOFTIRQ */

	/* Memory: zeroed, lives until the end of the execution. */
	void *(*h_zalloc)(void *h, size_t n);

	/* Reports. */
	void (*h_warn)(void *h, struct rcusim_site *s, const char *cond);
	void (*h_assert_failed)(void *h, struct rcusim_site *s, int kind, const char *what);
	void (*h_vlog)(void *h, struct rcusim_site *s, const char *fmt, va_list ap);
	void (*h_trace_nocb_wake)(void *h, struct rcusim_site *s, int cpu, const char *reason);

	/* Glue events the checkers need. */
	void (*h_cb_invoked)(void *h, void *head);
	void (*h_barrier_event)(void *h, int what); /* RCUSIM_BARRIER_* */
	void (*h_gp_event)(void *h, int what, unsigned long gp_seq); /* RCUSIM_GP_* */
	void (*h_hotplug_event)(void *h, int cpu, int what);         /* RCUSIM_HP_* */
	int (*h_shrink_event)(void *h, int what, long value);        /* RCUSIM_SHRINK_* */
	/* Virtual-time duration of a grace period's reader phase, in jiffies (>= 1). */
	long h_gp_jiffies;
};

enum { RCUSIM_COUNT_BH = 0, RCUSIM_COUNT_PREEMPT = 1 };
/* irq_save()'s flags when interrupts were already disabled (irqs_disabled_flags()). */
#define RCUSIM_IRQ_FLAGS_OFF 0x200UL
#define RCUSIM_ENXIO 6
/* smp_call() flags: wait for the function to finish; allowed on a CPU that is not online
 * (the hotplug glue's starting / dying steps). */
enum { RCUSIM_SMP_WAIT = 1, RCUSIM_SMP_HOTPLUG = 2 };
enum { RCUSIM_BARRIER_BEGIN = 0, RCUSIM_BARRIER_END = 1 };
enum { RCUSIM_GP_REQUEST = 0, RCUSIM_GP_START = 1, RCUSIM_GP_END = 2 };
enum {
	RCUSIM_HP_QUIESCE = 0, /* cpu_down: the CPU's tasks must stop (returns when they did) */
	RCUSIM_HP_DEAD = 1,    /* the CPU is offline */
	RCUSIM_HP_ONLINE = 2   /* the CPU is online again */
};
enum { RCUSIM_SHRINK_COUNT = 0, RCUSIM_SHRINK_SCAN = 1 };

/* A field of struct rcu_data, for naming addresses in reports ("rcu_data[3].lazy_len"). */
struct rcusim_field {
	const char *name;
	unsigned long offset;
	unsigned long size;
};

/* Parameters of boot, from the scenario. */
struct rcusim_boot_config {
	const char *nocb_cpus; /* cpulist for rcu_nocbs= ("" = none, nocb still set up) */
	int gp_stride;         /* rcu_nocb_gp_stride, -1 = kernel default */
	long qhimark;
	unsigned long lazy_flush_jiffies; /* 0: the kernel's own default */
};

/* What a kernel object offers the host. */
struct rcusim_image {
	int abi;
	int nr_cpus_max; /* NR_CPUS it was compiled for */
	const char *features; /* the RCUSIM_HAVE_* macros it was compiled with, space-separated */

	/* Host-written state, read by the shim without a call. */
	void **host;
	struct rcusim_host_ops *ops;
	volatile unsigned long *jiffies_var;
	void **current_task;
	int *current_cpu;
	unsigned int *nr_cpu_ids;
	unsigned long *percpu_offset; /* [nr_cpus_max] */
	char *percpu_start, *percpu_end;
	struct rcusim_site *sites_start, *sites_end;
	char *host_start, *host_end; /* the shim's own globals (not kernel data) */
	unsigned long *cpu_possible_bits; /* cpu_possible_mask storage */

	/* Entry points, run on fibers. */
	void (*boot)(const struct rcusim_boot_config *cfg);
	void (*call_rcu)(void *head, int lazy);
	long (*shrink)(long nr_to_scan, int how); /* RCUSIM_RECLAIM_* */
	int (*nocb_toggle)(int cpu, int offload);
	void (*barrier)(void);
	int (*cpu_down)(int cpu);
	int (*cpu_up)(int cpu);
	void (*rcu_softirq)(void); /* RCU_SOFTIRQ on the current CPU: rcu_core() */
	void (*tick)(void);        /* the scheduling-clock tick's RCU part, on the current CPU */
	int (*needs_tick)(int cpu); /* observation: the CPU's tick must run (rcu_core's rdp) */
	void (*run_timer)(void *timer);
	void *(*new_task)(const char *comm); /* a struct task_struct for a host-made task */

	/* Observation from the host (no scheduling points, no reports). */
	long (*lazy_len)(int cpu);
	long (*bypass_len)(int cpu);
	long (*n_cbs)(int cpu);
	unsigned long (*seg_flags)(int cpu);
	int (*offloaded)(int cpu);
	int (*in_nocb_mask)(int cpu);
	int (*cpu_online)(int cpu);
	void *(*rdp)(int cpu);
	unsigned long rdp_size;
	const struct rcusim_field *rdp_fields;
	int n_rdp_fields;
	/* rcu_state (and its rcu_node array), for naming addresses. */
	void *state;
	unsigned long state_size;
	const struct rcusim_field *state_fields;
	int n_state_fields;
	void *nodes;
	unsigned long node_size;
	int *n_nodes;
	const struct rcusim_field *node_fields;
	int n_node_fields;
	void *(*addr_of)(int cpu, int which); /* RCUSIM_ADDR_*: an rdp lock's rcusim_obj, ... */
	/* The callbacks on CPU cpu's ->cblist and ->nocb_bypass: up to max heads into out,
	 * returns how many there are. */
	int (*walk_cbs)(int cpu, void **out, int max);
	unsigned long (*gp_seq)(void);
};

enum {
	RCUSIM_RECLAIM_SCAN = 0,  /* count, then one scan of nr_to_scan (the scenario's shrink) */
	RCUSIM_RECLAIM_DROP = 1,  /* drop_caches: do_shrink_slab() at priority 0 until dry */
	RCUSIM_RECLAIM_DIRECT = 2 /* direct reclaim: do_shrink_slab() from priority 12 down */
};
enum {
	RCUSIM_ADDR_NOCB_LOCK = 0,
	RCUSIM_ADDR_BYPASS_LOCK = 1,
	RCUSIM_ADDR_GP_LOCK = 2,
	RCUSIM_ADDR_SEG_FLAGS = 3
};

/* The one symbol a kernel object exports. */
const struct rcusim_image *rcusim_image(void);
typedef const struct rcusim_image *(*rcusim_image_fn)(void);

#ifdef __cplusplus
}
#endif
#endif /* RCUSIM_ABI_H */
