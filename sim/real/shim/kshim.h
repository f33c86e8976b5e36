/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kshim.h: the user-space "kernel" the real kernel/rcu files are compiled against, forced in
 * with -include before every kernel file. Written for rcusim from the kernel's documented
 * interfaces; no kernel code is copied here.
 *
 * Every primitive that can interleave with another CPU is one scheduling point, labelled with
 * the file:line of its use (struct rcusim_site) and the object it touches:
 *   - marked accesses: READ_ONCE, WRITE_ONCE, smp_load_acquire, smp_store_release, atomics,
 *     bit operations, cpumask tests and walks;
 *   - fences: smp_mb() and friends;
 *   - locks (raw spinlocks, trylocks, mutexes, the CPU-hotplug lock), wait queues, wakeups,
 *     schedule_timeout(), timers, kthread park/unpark, cross-CPU calls.
 * Code between two points runs atomically. Plain accesses are not points: -fsanitize=thread
 * makes them visible to rcusim's data-race checker instead (KCSAN-like).
 *
 * Kconfig: SMP, TREE_RCU, PREEMPT_RCU, RCU_NOCB_CPU, HOTPLUG_CPU, PROVE_RCU/PROVE_LOCKING
 * (lockdep assertions are checked), RCU_LAZY when the tree has it; NR_CPUS and HZ come from
 * the build (-DCONFIG_NR_CPUS=, -DCONFIG_HZ=).
 */
#ifndef RCUSIM_KSHIM_H
#define RCUSIM_KSHIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>

#include "rcusim_abi.h"
#include "rcusim_features.h" /* generated per tree: RCUSIM_HAVE_* */
#include "rcusim_harvest.h"  /* generated per tree: constants read from its headers */

/* ------------------------------------------------------------------ Kconfig */
#define CONFIG_SMP 1
#define CONFIG_64BIT 1
#define CONFIG_TREE_RCU 1
#define CONFIG_PREEMPT_RCU 1
#define CONFIG_PREEMPT_COUNT 1
#define CONFIG_PREEMPTION 1
#define CONFIG_RCU_NOCB_CPU 1
#define CONFIG_HOTPLUG_CPU 1
#define CONFIG_PROVE_RCU 1
#define CONFIG_PROVE_LOCKING 1
#define CONFIG_LOCKDEP 1
#define CONFIG_DEBUG_LOCK_ALLOC 1
#define CONFIG_RCU_STALL_COMMON 1
#ifdef RCUSIM_HAVE_LAZY
#define CONFIG_RCU_LAZY 1
#endif
#ifndef CONFIG_NR_CPUS
#define CONFIG_NR_CPUS 64
#endif
#define NR_CPUS CONFIG_NR_CPUS
#define CONFIG_RCU_FANOUT 64
#define CONFIG_RCU_FANOUT_LEAF 16
#ifndef CONFIG_HZ
#define CONFIG_HZ 1000
#endif
#define HZ CONFIG_HZ

#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x) ___is_defined(x)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define IS_BUILTIN(option) __is_defined(option)
#define IS_MODULE(option) __is_defined(option##_MODULE)
#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))

/* ------------------------------------------------------------------ compiler */
#define __init
#define __initdata
#define __initconst
#define __ref
#define __read_mostly
#define __ro_after_init
#define __latent_entropy
#define __cold
#define __used __attribute__((__used__))
#define __maybe_unused __attribute__((__unused__))
#define __always_unused __attribute__((__unused__))
#undef __always_inline
#define __always_inline inline __attribute__((__always_inline__))
#define noinline __attribute__((__noinline__))
#define __noreturn __attribute__((__noreturn__))
#define __must_check
#define __percpu
#define __rcu
#define __private
#define __force
#define __iomem
#define __user
#define __kernel
#define __nocast
#define __safe
#define __weak __attribute__((__weak__))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __packed __attribute__((__packed__))
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#define __section(s) __attribute__((__section__(s)))
#define __tracepoint_string
#define notrace
#define noinstr
#define __no_kcsan
#define __acquires(x)
#define __releases(x)
#define __acquire(x) (void)0
#define __release(x) (void)0
#define __must_hold(x)
#define __cond_acquires(x)
#define ACCESS_PRIVATE(p, member) ((p)->member)
#define ____cacheline_internodealigned_in_smp __attribute__((__aligned__(64)))
#define ____cacheline_aligned_in_smp __attribute__((__aligned__(64)))
#define ____cacheline_aligned __attribute__((__aligned__(64)))
#define __cacheline_aligned __attribute__((__aligned__(64)))
#define __cacheline_aligned_in_smp __attribute__((__aligned__(64)))
#define SMP_CACHE_BYTES 64
#define L1_CACHE_BYTES 64
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define BITS_PER_LONG 64
#define BITS_PER_BYTE 8
#define BIT(n) (1UL << (n))
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))
#define BITS_TO_LONGS(n) DIV_ROUND_UP(n, BITS_PER_LONG)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define ULONG_CMP_GE(a, b) (ULONG_MAX / 2 >= (a) - (b))
#define ULONG_CMP_LT(a, b) (ULONG_MAX / 2 < (a) - (b))
#define min(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b); __a < __b ? __a : __b; })
#define max(a, b) ({ __typeof__(a) __a = (a); __typeof__(b) __b = (b); __a > __b ? __a : __b; })
#define min_t(t, a, b) ({ t __a = (a); t __b = (b); __a < __b ? __a : __b; })
#define max_t(t, a, b) ({ t __a = (a); t __b = (b); __a > __b ? __a : __b; })
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define swap(a, b) do { __typeof__(a) __t = (a); (a) = (b); (b) = __t; } while (0)
#define EXPORT_SYMBOL_GPL(x)
#define EXPORT_SYMBOL(x)
#define module_param(n, t, p)
#define module_param_named(n, v, t, p)
#define module_param_cb(n, o, a, p)
#define MODULE_PARM_DESC(n, d)
#define __setup(str, fn) static int (*__rcusim_setup_##fn)(char *) __maybe_unused = fn
#define early_param(str, fn) static int (*__rcusim_early_##fn)(char *) __maybe_unused = fn
#define early_initcall(fn)
#define core_initcall(fn)
#define subsys_initcall(fn)
#define late_initcall(fn)
#define device_initcall(fn)
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define BUILD_BUG_ON_MSG(c, m) _Static_assert(!(c), m)
#define ASSERT_EXCLUSIVE_WRITER(v) do { } while (0)
#define ASSERT_EXCLUSIVE_ACCESS(v) do { } while (0)
#define data_race(expr) (expr)
#define EINVAL 22
#define ENOMEM 12
#define EBUSY 16
#define ENXIO 6
#define EAGAIN 11
#define ERESTARTSYS 512
#define SCHED_FIFO 1
#define NOTIFY_DONE 0
#define NOTIFY_OK 1
#define NSEC_PER_USEC 1000L
#define NSEC_PER_MSEC 1000000L
#define NSEC_PER_SEC 1000000000L
#define USEC_PER_SEC 1000000L
#define MSEC_PER_SEC 1000L

typedef uint8_t u8;
typedef int8_t s8;
typedef uint16_t u16;
typedef int16_t s16;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;
typedef unsigned int gfp_t;
typedef long ssize_t;
typedef int pid_t;
#define GFP_KERNEL 0u
#define GFP_NOWAIT 0u
#define GFP_ATOMIC 0u
#define __GFP_NOWARN 0u

/* ------------------------------------------------------------------ the host */
extern struct rcusim_host_ops rcusim_ops;
extern void *rcusim_host;
extern volatile unsigned long rcusim_jiffies;
extern void *rcusim_current_task;
extern int rcusim_current_cpu;

/* One static site per use, in section rcusim_sites (the host caches its label there). */
#define RCUSIM_SITE_K(k, w)                                                                 \
	({                                                                                  \
		static struct rcusim_site __rcusim_s __attribute__((__section__("rcusim_sites"), \
								   __used__)) = {            \
			__FILE__, __func__, w, __LINE__, k, 0};                             \
		&__rcusim_s;                                                                \
	})
#define RCUSIM_SITE(w) RCUSIM_SITE_K(RCUSIM_SITE_POINT, w)
#define RCUSIM_H rcusim_host

static inline void rcusim_access(struct rcusim_site *s, const volatile void *p, unsigned n, int k)
{
	rcusim_ops.h_access(RCUSIM_H, s, p, n, k);
}

/* ------------------------------------------------------------------ memory model */
/* The access happens when the fiber runs again after the point; a WRITE_ONCE() evaluates
 * its value before the point (a read-modify-write written as WRITE_ONCE(x, x + 1) is two
 * steps, as on hardware). */
#define READ_ONCE(x)                                                                        \
	({                                                                                  \
		__auto_type __ro_p = &(x);                                                  \
		rcusim_access(RCUSIM_SITE("READ_ONCE(" #x ")"), __ro_p, sizeof(*__ro_p),     \
			      RCUSIM_READ);                                                 \
		*(const volatile __typeof__(*__ro_p) *)__ro_p;                               \
	})
#define WRITE_ONCE(x, val)                                                                  \
	do {                                                                                \
		__auto_type __wo_p = &(x);                                                  \
		__typeof__(*__wo_p) __wo_v = (val);                                          \
		rcusim_access(RCUSIM_SITE("WRITE_ONCE(" #x ")"), __wo_p, sizeof(*__wo_p),    \
			      RCUSIM_WRITE);                                                \
		*(volatile __typeof__(*__wo_p) *)__wo_p = __wo_v;                            \
	} while (0)
#define smp_load_acquire(p)                                                                 \
	({                                                                                  \
		__auto_type __la_p = (p);                                                   \
		rcusim_access(RCUSIM_SITE("smp_load_acquire(" #p ")"), __la_p,               \
			      sizeof(*__la_p), RCUSIM_READ);                                \
		*(const volatile __typeof__(*__la_p) *)__la_p;                               \
	})
#define smp_store_release(p, v)                                                             \
	do {                                                                                \
		__auto_type __sr_p = (p);                                                   \
		__typeof__(*__sr_p) __sr_v = (v);                                            \
		rcusim_access(RCUSIM_SITE("smp_store_release(" #p ")"), __sr_p,              \
			      sizeof(*__sr_p), RCUSIM_WRITE);                               \
		*(volatile __typeof__(*__sr_p) *)__sr_p = __sr_v;                            \
	} while (0)
#define RCUSIM_FENCE(name) rcusim_access(RCUSIM_SITE(name), NULL, 0, RCUSIM_FENCE)
#define smp_mb() RCUSIM_FENCE("smp_mb()")
#define smp_rmb() RCUSIM_FENCE("smp_rmb()")
#define smp_wmb() RCUSIM_FENCE("smp_wmb()")
#define mb() smp_mb()
#define smp_mb__after_spinlock() RCUSIM_FENCE("smp_mb__after_spinlock()")
#define smp_mb__after_unlock_lock() RCUSIM_FENCE("smp_mb__after_unlock_lock()")
#define smp_mb__before_atomic() RCUSIM_FENCE("smp_mb__before_atomic()")
#define smp_mb__after_atomic() RCUSIM_FENCE("smp_mb__after_atomic()")
#define smp_acquire__after_ctrl_dep() RCUSIM_FENCE("smp_acquire__after_ctrl_dep()")
#define rcu_dereference(p) READ_ONCE(p)
#define rcu_dereference_raw(p) READ_ONCE(p)
#define rcu_assign_pointer(p, v) smp_store_release(&(p), (v))
#define RCU_INIT_POINTER(p, v) WRITE_ONCE(p, v)

/* An atomic read-modify-write: one point, then the whole RMW in the next step, through a
 * volatile lvalue (RCUSIM_V) so the data-race instrumentation sees a marked access. */
#define RCUSIM_V(x) (*(volatile __typeof__(x) *)&(x))
#define RCUSIM_RMW(what, p, expr)                                                           \
	({                                                                                  \
		rcusim_access(RCUSIM_SITE(what), (p), sizeof(*(p)), RCUSIM_RMW);             \
		expr;                                                                       \
	})

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { s64 counter; } atomic64_t;
#define ATOMIC_INIT(i) { (i) }
#define ATOMIC_LONG_INIT(i) { (i) }
#define RCUSIM_ATOMIC_OP(name, v, expr) RCUSIM_RMW(name "(" #v ")", &(v)->counter, expr)
#define atomic_read(v) READ_ONCE((v)->counter)
#define atomic_set(v, i) WRITE_ONCE((v)->counter, (i))
#define atomic_inc(v) ((void)RCUSIM_ATOMIC_OP("atomic_inc", v, RCUSIM_V((v)->counter)++))
#define atomic_dec(v) ((void)RCUSIM_ATOMIC_OP("atomic_dec", v, RCUSIM_V((v)->counter)--))
#define atomic_add(i, v) ((void)RCUSIM_ATOMIC_OP("atomic_add", v, RCUSIM_V((v)->counter) += (i)))
#define atomic_sub(i, v) ((void)RCUSIM_ATOMIC_OP("atomic_sub", v, RCUSIM_V((v)->counter) -= (i)))
#define atomic_inc_return(v) RCUSIM_ATOMIC_OP("atomic_inc_return", v, ++RCUSIM_V((v)->counter))
#define atomic_dec_return(v) RCUSIM_ATOMIC_OP("atomic_dec_return", v, --RCUSIM_V((v)->counter))
#define atomic_add_return(i, v) RCUSIM_ATOMIC_OP("atomic_add_return", v, RCUSIM_V((v)->counter) += (i))
#define atomic_dec_and_test(v) RCUSIM_ATOMIC_OP("atomic_dec_and_test", v, --RCUSIM_V((v)->counter) == 0)
#define atomic_sub_and_test(i, v) RCUSIM_ATOMIC_OP("atomic_sub_and_test", v, (RCUSIM_V((v)->counter) -= (i)) == 0)
#define atomic_inc_not_zero(v)                                                              \
	RCUSIM_ATOMIC_OP("atomic_inc_not_zero", v,                                           \
			 RCUSIM_V((v)->counter) ? (RCUSIM_V((v)->counter)++, 1) : 0)
#define atomic_cmpxchg(v, o, n) cmpxchg(&(v)->counter, (o), (n))
#define atomic_xchg(v, n) xchg(&(v)->counter, (n))
#define atomic_long_read(v) READ_ONCE((v)->counter)
#define atomic_long_set(v, i) WRITE_ONCE((v)->counter, (i))
#define atomic_long_add(i, v) ((void)RCUSIM_ATOMIC_OP("atomic_long_add", v, RCUSIM_V((v)->counter) += (i)))
#define atomic_long_sub(i, v) ((void)RCUSIM_ATOMIC_OP("atomic_long_sub", v, RCUSIM_V((v)->counter) -= (i)))
#define atomic_long_inc(v) atomic_long_add(1, v)
#define atomic_long_dec(v) atomic_long_sub(1, v)
#define atomic_long_add_return(i, v) RCUSIM_ATOMIC_OP("atomic_long_add_return", v, RCUSIM_V((v)->counter) += (i))
#define atomic_long_inc_return(v) atomic_long_add_return(1, v)
#define atomic_long_dec_return(v) atomic_long_add_return(-1, v)
#define atomic_long_xchg(v, n) xchg(&(v)->counter, (n))
#define atomic_long_cmpxchg(v, o, n) cmpxchg(&(v)->counter, (o), (n))
#define atomic_long_try_cmpxchg(v, po, n)                                                   \
	({                                                                                  \
		__auto_type __tc_po = (po);                                                 \
		long __tc_o = *__tc_po;                                                     \
		long __tc_r = atomic_long_cmpxchg(v, __tc_o, n);                            \
		if (__tc_r != __tc_o)                                                       \
			*__tc_po = __tc_r;                                                  \
		__tc_r == __tc_o;                                                           \
	})
#define xchg(p, n)                                                                          \
	({                                                                                  \
		__auto_type __x_p = (p);                                                    \
		__typeof__(*__x_p) __x_n = (n);                                              \
		RCUSIM_RMW("xchg(" #p ")", __x_p, ({                                        \
				   __typeof__(*__x_p) __x_o = RCUSIM_V(*__x_p);              \
				   RCUSIM_V(*__x_p) = __x_n;                                 \
				   __x_o;                                                   \
			   }));                                                             \
	})
#define cmpxchg(p, o, n)                                                                    \
	({                                                                                  \
		__auto_type __c_p = (p);                                                    \
		__typeof__(*__c_p) __c_o = (o), __c_n = (n);                                 \
		RCUSIM_RMW("cmpxchg(" #p ")", __c_p, ({                                     \
				   __typeof__(*__c_p) __c_v = RCUSIM_V(*__c_p);              \
				   if (__c_v == __c_o)                                      \
					   RCUSIM_V(*__c_p) = __c_n;                        \
				   __c_v;                                                   \
			   }));                                                             \
	})
#define cmpxchg_relaxed(p, o, n) cmpxchg(p, o, n)
#define try_cmpxchg(p, po, n)                                                               \
	({                                                                                  \
		__auto_type __t_po = (po);                                                  \
		__typeof__(*__t_po) __t_o = *__t_po;                                        \
		__typeof__(*__t_po) __t_r = cmpxchg(p, __t_o, n);                           \
		if (__t_r != __t_o)                                                         \
			*__t_po = __t_r;                                                    \
		__t_r == __t_o;                                                             \
	})

/* Bit operations (marked: KCSAN treats them as atomic). RCUSIM_*_BIT take the label. */
#define RCUSIM_BIT_WORD_OF(nr, addr) (((unsigned long *)(addr))[BIT_WORD(nr)])
#define RCUSIM_SET_BIT(nr, addr, what)                                                      \
	((void)RCUSIM_RMW(what, &RCUSIM_BIT_WORD_OF(nr, addr),                               \
			  RCUSIM_V(RCUSIM_BIT_WORD_OF(nr, addr)) |= BIT_MASK(nr)))
#define RCUSIM_CLEAR_BIT(nr, addr, what)                                                    \
	((void)RCUSIM_RMW(what, &RCUSIM_BIT_WORD_OF(nr, addr),                               \
			  RCUSIM_V(RCUSIM_BIT_WORD_OF(nr, addr)) &= ~BIT_MASK(nr)))
#define RCUSIM_TEST_BIT(nr, addr, what)                                                     \
	({                                                                                  \
		const unsigned long *__tb_w = &((const unsigned long *)(addr))[BIT_WORD(nr)]; \
		rcusim_access(RCUSIM_SITE(what), __tb_w, sizeof(*__tb_w), RCUSIM_READ);      \
		!!(*(const volatile unsigned long *)__tb_w & BIT_MASK(nr));                  \
	})
#define set_bit(nr, addr) RCUSIM_SET_BIT(nr, addr, "set_bit(" #nr ", " #addr ")")
#define clear_bit(nr, addr) RCUSIM_CLEAR_BIT(nr, addr, "clear_bit(" #nr ", " #addr ")")
#define test_bit(nr, addr) RCUSIM_TEST_BIT(nr, addr, "test_bit(" #nr ", " #addr ")")
#define __set_bit(nr, addr) (((unsigned long *)(addr))[BIT_WORD(nr)] |= BIT_MASK(nr))
#define __clear_bit(nr, addr) (((unsigned long *)(addr))[BIT_WORD(nr)] &= ~BIT_MASK(nr))
static inline unsigned long rcusim_ffs_from(unsigned long w, unsigned long bit)
{
	w &= ~0UL << bit;
	return w ? (unsigned long)__builtin_ctzl(w) : BITS_PER_LONG;
}
/* find_next_bit() over one or more words; one marked read per word looked at. */
static inline unsigned long find_next_bit(const unsigned long *addr, unsigned long size,
					  unsigned long off)
{
	while (off < size) {
		const unsigned long *wp = &addr[BIT_WORD(off)];
		unsigned long w;
		rcusim_access(RCUSIM_SITE("find_next_bit()"), wp, sizeof(*wp), RCUSIM_READ);
		w = *(const volatile unsigned long *)wp;
		unsigned long b = rcusim_ffs_from(w, off % BITS_PER_LONG);
		if (b < BITS_PER_LONG) {
			off = BIT_WORD(off) * BITS_PER_LONG + b;
			return off < size ? off : size;
		}
		off = (BIT_WORD(off) + 1) * BITS_PER_LONG;
	}
	return size;
}
#define find_first_bit(addr, size) find_next_bit((addr), (size), 0)
static inline int hweight_long(unsigned long w) { return __builtin_popcountl(w); }

/* ------------------------------------------------------------------ lists */
struct list_head { struct list_head *next, *prev; };
struct hlist_head { struct hlist_node *first; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct llist_node { struct llist_node *next; };
struct llist_head { struct llist_node *first; };
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __attribute__((aligned(sizeof(void *))));
#define rcu_head callback_head
typedef void (*rcu_callback_t)(struct rcu_head *head);
typedef void (*call_rcu_func_t)(struct rcu_head *head, rcu_callback_t func);
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
static inline void INIT_LIST_HEAD(struct list_head *l) { WRITE_ONCE(l->next, l); l->prev = l; }
static inline int list_empty(const struct list_head *h) { return READ_ONCE(h->next) == h; }
static inline void __list_add(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	WRITE_ONCE(prev->next, n);
}
static inline void list_add(struct list_head *n, struct list_head *h) { __list_add(n, h, h->next); }
static inline void list_add_tail(struct list_head *n, struct list_head *h) { __list_add(n, h->prev, h); }
static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	WRITE_ONCE(e->prev->next, e->next);
	e->next = (struct list_head *)0x100;
	e->prev = (struct list_head *)0x122;
}
static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	WRITE_ONCE(e->prev->next, e->next);
	INIT_LIST_HEAD(e);
}
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)
#define list_first_entry_or_null(ptr, type, member)                                        \
	({                                                                                  \
		struct list_head *__h = (ptr);                                              \
		struct list_head *__n = READ_ONCE(__h->next);                               \
		__n != __h ? list_entry(__n, type, member) : NULL;                          \
	})
#define list_next_entry(pos, member) list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))
#define list_for_each_entry(pos, head, member)                                              \
	for (pos = list_first_entry(head, __typeof__(*pos), member);                        \
	     !list_entry_is_head(pos, head, member); pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)                                      \
	for (pos = list_first_entry(head, __typeof__(*pos), member),                        \
	    n = list_next_entry(pos, member);                                                \
	     !list_entry_is_head(pos, head, member); pos = n, n = list_next_entry(n, member))
#define list_next_or_null_rcu(head, ptr, type, member)                                      \
	({                                                                                  \
		struct list_head *__head = (head);                                          \
		struct list_head *__ptr = (ptr);                                            \
		struct list_head *__next = READ_ONCE(__ptr->next);                          \
		__next != __head ? list_entry(__next, type, member) : NULL;                 \
	})
#define list_for_each_entry_rcu(pos, head, member, cond...) list_for_each_entry(pos, head, member)
#define list_add_rcu(n, h) list_add(n, h)
#define list_add_tail_rcu(n, h) list_add_tail(n, h)
#define list_del_rcu(e) list_del(e)

/* ------------------------------------------------------------------ IRQs, preemption, context */
#define local_irq_save(f) do { (f) = rcusim_ops.h_irq_save(RCUSIM_H); } while (0)
#define local_irq_restore(f) rcusim_ops.h_irq_restore(RCUSIM_H, (f))
#define local_irq_disable() ((void)rcusim_ops.h_irq_save(RCUSIM_H))
#define local_irq_enable() rcusim_ops.h_irq_restore(RCUSIM_H, 0)
#define raw_local_irq_save(f) local_irq_save(f)
#define raw_local_irq_restore(f) local_irq_restore(f)
#define irqs_disabled() (rcusim_ops.h_irqs_disabled(RCUSIM_H) != 0)
#define irqs_disabled_flags(f) (((f) & RCUSIM_IRQ_FLAGS_OFF) != 0)
#define local_bh_disable() rcusim_ops.h_count(RCUSIM_H, RCUSIM_COUNT_BH, 1)
#define local_bh_enable() rcusim_ops.h_count(RCUSIM_H, RCUSIM_COUNT_BH, -1)
#define preempt_disable() rcusim_ops.h_count(RCUSIM_H, RCUSIM_COUNT_PREEMPT, 1)
#define preempt_enable() rcusim_ops.h_count(RCUSIM_H, RCUSIM_COUNT_PREEMPT, -1)
#define preempt_enable_no_resched() preempt_enable()
#define preemptible() (rcusim_ops.h_preemptible(RCUSIM_H) != 0)
#define in_task() (rcusim_ops.h_context(RCUSIM_H) == RCUSIM_CTX_TASK)
#define in_irq() (rcusim_ops.h_context(RCUSIM_H) == RCUSIM_CTX_HARDIRQ)
#define in_hardirq() in_irq()
#define in_softirq() (rcusim_ops.h_context(RCUSIM_H) == RCUSIM_CTX_SOFTIRQ)
#define in_serving_softirq() in_softirq()
#define in_interrupt() (!in_task())
#define need_resched() 0
#define set_tsk_need_resched(t) do { } while (0)
#define set_preempt_need_resched() do { } while (0)
#define lockdep_assert_irqs_disabled()                                                      \
	do {                                                                                \
		if (unlikely(!irqs_disabled()))                                             \
			rcusim_ops.h_assert_failed(RCUSIM_H,                                  \
						 RCUSIM_SITE_K(RCUSIM_SITE_ASSERT,          \
							       "lockdep_assert_irqs_disabled()"), \
						 RCUSIM_ASSERT_IRQS_OFF, "irqs enabled");   \
	} while (0)
#define lockdep_assert_irqs_enabled()                                                       \
	do {                                                                                \
		if (unlikely(irqs_disabled()))                                              \
			rcusim_ops.h_assert_failed(RCUSIM_H,                                  \
						 RCUSIM_SITE_K(RCUSIM_SITE_ASSERT,          \
							       "lockdep_assert_irqs_enabled()"), \
						 RCUSIM_ASSERT_IRQS_ON, "irqs disabled");   \
	} while (0)
#define lockdep_assert_preemption_disabled() do { } while (0)
#define lockdep_assert_in_rcu_read_lock() do { } while (0)

/* ------------------------------------------------------------------ CPUs, cpumasks, per-CPU */
extern unsigned int nr_cpu_ids;
#define smp_processor_id() (rcusim_current_cpu)
#define raw_smp_processor_id() (rcusim_current_cpu)
#define get_cpu() ({ preempt_disable(); smp_processor_id(); })
#define put_cpu() preempt_enable()

struct cpumask { unsigned long bits[BITS_TO_LONGS(NR_CPUS)]; };
typedef struct cpumask cpumask_t;
typedef struct cpumask *cpumask_var_t;
extern struct cpumask __rcusim_cpu_possible_mask, __rcusim_cpu_online_mask;
#define cpu_possible_mask ((const struct cpumask *)&__rcusim_cpu_possible_mask)
#define cpu_online_mask ((const struct cpumask *)&__rcusim_cpu_online_mask)
#define cpu_present_mask cpu_possible_mask
#define cpu_active_mask cpu_online_mask
#define cpumask_bits(m) ((m)->bits)
#define cpumask_available(m) ((m) != NULL)
#define nr_cpumask_bits nr_cpu_ids
#define cpumask_test_cpu(c, m) RCUSIM_TEST_BIT((c), cpumask_bits(m), "cpumask_test_cpu(" #c ", " #m ")")
#define cpumask_set_cpu(c, m) RCUSIM_SET_BIT((c), cpumask_bits(m), "cpumask_set_cpu(" #c ", " #m ")")
#define cpumask_clear_cpu(c, m) RCUSIM_CLEAR_BIT((c), cpumask_bits(m), "cpumask_clear_cpu(" #c ", " #m ")")
#define cpu_online(c) RCUSIM_TEST_BIT((c), cpumask_bits(cpu_online_mask), "cpu_online(" #c ")")
#define cpu_is_offline(c) (!RCUSIM_TEST_BIT((c), cpumask_bits(cpu_online_mask), "cpu_is_offline(" #c ")"))
#define cpu_possible(c) ((unsigned)(c) < nr_cpu_ids)
#define num_online_cpus() rcusim_cpumask_weight(cpu_online_mask)
static inline unsigned int rcusim_cpumask_weight(const struct cpumask *m)
{
	unsigned int n = 0;
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		n += __builtin_popcountl(m->bits[i]);
	return n;
}
#define cpumask_weight(m) rcusim_cpumask_weight(m)
static inline void cpumask_setall(struct cpumask *m)
{
	for (unsigned c = 0; c < nr_cpu_ids; c++)
		__set_bit(c, m->bits);
}
static inline void cpumask_clear(struct cpumask *m)
{
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		m->bits[i] = 0;
}
static inline bool cpumask_empty(const struct cpumask *m)
{
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		if (m->bits[i])
			return false;
	return true;
}
static inline void cpumask_copy(struct cpumask *d, const struct cpumask *s) { *d = *s; }
static inline bool cpumask_and(struct cpumask *d, const struct cpumask *a, const struct cpumask *b)
{
	bool any = false;
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		any |= (d->bits[i] = a->bits[i] & b->bits[i]) != 0;
	return any;
}
static inline void cpumask_or(struct cpumask *d, const struct cpumask *a, const struct cpumask *b)
{
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		d->bits[i] = a->bits[i] | b->bits[i];
}
static inline bool cpumask_andnot(struct cpumask *d, const struct cpumask *a, const struct cpumask *b)
{
	bool any = false;
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		any |= (d->bits[i] = a->bits[i] & ~b->bits[i]) != 0;
	return any;
}
static inline bool cpumask_subset(const struct cpumask *a, const struct cpumask *b)
{
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		if (a->bits[i] & ~b->bits[i])
			return false;
	return true;
}
static inline bool cpumask_intersects(const struct cpumask *a, const struct cpumask *b)
{
	for (unsigned i = 0; i < BITS_TO_LONGS(NR_CPUS); i++)
		if (a->bits[i] & b->bits[i])
			return true;
	return false;
}
static inline unsigned int cpumask_next(int n, const struct cpumask *m)
{
	return (unsigned int)find_next_bit(cpumask_bits(m), nr_cpu_ids, (unsigned long)(n + 1));
}
static inline unsigned int cpumask_first(const struct cpumask *m) { return cpumask_next(-1, m); }
#define for_each_cpu(cpu, mask)                                                             \
	for ((cpu) = -1; (cpu) = cpumask_next((cpu), (mask)), (cpu) < (int)nr_cpu_ids;)
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < (int)nr_cpu_ids; (cpu)++)
#define for_each_online_cpu(cpu) for_each_cpu(cpu, cpu_online_mask)
#define for_each_present_cpu(cpu) for_each_possible_cpu(cpu)
#define cpumask_pr_args(m) nr_cpu_ids, cpumask_bits(m)
#define cpumask_of(c) rcusim_cpumask_of(c)
const struct cpumask *rcusim_cpumask_of(int cpu);
bool zalloc_cpumask_var(cpumask_var_t *m, gfp_t g);
bool alloc_cpumask_var(cpumask_var_t *m, gfp_t g);
void alloc_bootmem_cpumask_var(cpumask_var_t *m);
static inline void free_cpumask_var(cpumask_var_t m) { }
int cpulist_parse(const char *buf, struct cpumask *m);
extern struct cpumask *tick_nohz_full_mask;
#define tick_nohz_full_running 0
#define tick_nohz_full_cpu(c) 0
#define tick_nohz_full_enabled() 0
#define housekeeping_cpumask(t) cpu_possible_mask
#define HK_TYPE_RCU 0

/* Per-CPU variables: one master copy in section rcusim_percpu, copied for every CPU when an
 * execution starts; per_cpu_ptr() adds the CPU's offset, as the kernel's scheme does. */
#define DEFINE_PER_CPU_SECTION(type, name, sec)                                             \
	__attribute__((__section__("rcusim_percpu"), __aligned__(64))) __typeof__(type) name
#define DEFINE_PER_CPU(type, name) DEFINE_PER_CPU_SECTION(type, name, "")
#define DEFINE_PER_CPU_SHARED_ALIGNED(type, name) DEFINE_PER_CPU_SECTION(type, name, "")
#define DECLARE_PER_CPU(type, name) extern __typeof__(type) name
#define DECLARE_PER_CPU_SHARED_ALIGNED(type, name) DECLARE_PER_CPU(type, name)
extern unsigned long rcusim_percpu_offset[NR_CPUS];
#define per_cpu_ptr(p, cpu) ((__typeof__(p))((uintptr_t)(p) + rcusim_percpu_offset[(cpu)]))
#define per_cpu(var, cpu) (*per_cpu_ptr(&(var), (cpu)))
#define this_cpu_ptr(p) per_cpu_ptr((p), smp_processor_id())
#define raw_cpu_ptr(p) this_cpu_ptr(p)
#define __this_cpu_read(v) (*this_cpu_ptr(&(v)))
#define __this_cpu_write(v, x) (*this_cpu_ptr(&(v)) = (x))
#define this_cpu_read(v) READ_ONCE(*this_cpu_ptr(&(v)))
#define this_cpu_write(v, x) WRITE_ONCE(*this_cpu_ptr(&(v)), (x))
#define this_cpu_inc(v) (*this_cpu_ptr(&(v)) += 1)
#define __this_cpu_inc(v) (*this_cpu_ptr(&(v)) += 1)
#define this_cpu_dec(v) (*this_cpu_ptr(&(v)) -= 1)

/* ------------------------------------------------------------------ locks */
struct lock_class_key { int unused; };
struct lockdep_map { int unused; };
typedef struct raw_spinlock { struct rcusim_obj rcusim; } raw_spinlock_t;
typedef struct spinlock { struct rcusim_obj rcusim; } spinlock_t;
typedef struct arch_spinlock { struct rcusim_obj rcusim; } arch_spinlock_t;
struct mutex { struct rcusim_obj rcusim; };
struct rt_mutex { struct rcusim_obj rcusim; };
struct rw_semaphore { struct rcusim_obj rcusim; };
struct percpu_rw_semaphore { struct rcusim_obj rcusim; };
typedef struct { unsigned sequence; } seqcount_t;
#define __RCUSIM_OBJ_INIT(n) { .rcusim = { 0, #n } }
#define __RAW_SPIN_LOCK_UNLOCKED(n) __RCUSIM_OBJ_INIT(n)
#define __SPIN_LOCK_UNLOCKED(n) __RCUSIM_OBJ_INIT(n)
#define __ARCH_SPIN_LOCK_UNLOCKED __RCUSIM_OBJ_INIT(arch_spinlock)
#define __MUTEX_INITIALIZER(n) __RCUSIM_OBJ_INIT(n)
#define DEFINE_RAW_SPINLOCK(n) raw_spinlock_t n = __RAW_SPIN_LOCK_UNLOCKED(n)
#define DEFINE_SPINLOCK(n) spinlock_t n = __SPIN_LOCK_UNLOCKED(n)
#define DEFINE_MUTEX(n) struct mutex n = __MUTEX_INITIALIZER(n)
#define RCUSIM_OBJ_INIT(o, nm) do { (o)->rcusim.id = 0; (o)->rcusim.name = (nm); } while (0)
#define raw_spin_lock_init(l) RCUSIM_OBJ_INIT(l, #l)
#define spin_lock_init(l) RCUSIM_OBJ_INIT(l, #l)
#define mutex_init(l) RCUSIM_OBJ_INIT(l, #l)
#define RCUSIM_LOCK(l, k, sh, w) rcusim_ops.h_lock(RCUSIM_H, &(l)->rcusim, (k), (sh), RCUSIM_SITE(w))
#define RCUSIM_UNLOCK(l, k, sh, w) rcusim_ops.h_unlock(RCUSIM_H, &(l)->rcusim, (k), (sh), RCUSIM_SITE(w))
#define RCUSIM_TRYLOCK(l, k, w) (rcusim_ops.h_trylock(RCUSIM_H, &(l)->rcusim, (k), RCUSIM_SITE(w)) != 0)
#define raw_spin_lock(l) RCUSIM_LOCK(l, RCUSIM_LOCK_SPIN, 0, "raw_spin_lock(" #l ")")
#define raw_spin_unlock(l) RCUSIM_UNLOCK(l, RCUSIM_LOCK_SPIN, 0, "raw_spin_unlock(" #l ")")
#define raw_spin_trylock(l) RCUSIM_TRYLOCK(l, RCUSIM_LOCK_SPIN, "raw_spin_trylock(" #l ")")
#define raw_spin_is_locked(l) (rcusim_ops.h_is_locked(RCUSIM_H, &(l)->rcusim) != 0)
#define raw_spin_lock_irqsave(l, f) do { local_irq_save(f); raw_spin_lock(l); } while (0)
#define raw_spin_unlock_irqrestore(l, f) do { raw_spin_unlock(l); local_irq_restore(f); } while (0)
#define raw_spin_trylock_irqsave(l, f)                                                      \
	({                                                                                  \
		local_irq_save(f);                                                          \
		raw_spin_trylock(l) ? 1 : ({ local_irq_restore(f); 0; });                   \
	})
#define raw_spin_lock_irq(l) do { local_irq_disable(); raw_spin_lock(l); } while (0)
#define raw_spin_unlock_irq(l) do { raw_spin_unlock(l); local_irq_enable(); } while (0)
#define spin_lock(l) raw_spin_lock(l)
#define spin_unlock(l) raw_spin_unlock(l)
#define spin_lock_irqsave(l, f) raw_spin_lock_irqsave(l, f)
#define spin_unlock_irqrestore(l, f) raw_spin_unlock_irqrestore(l, f)
#define arch_spin_lock(l) raw_spin_lock(l)
#define arch_spin_unlock(l) raw_spin_unlock(l)
#define mutex_lock(l) RCUSIM_LOCK(l, RCUSIM_LOCK_MUTEX, 0, "mutex_lock(" #l ")")
#define mutex_unlock(l) RCUSIM_UNLOCK(l, RCUSIM_LOCK_MUTEX, 0, "mutex_unlock(" #l ")")
#define mutex_trylock(l) RCUSIM_TRYLOCK(l, RCUSIM_LOCK_MUTEX, "mutex_trylock(" #l ")")
#define mutex_is_locked(l) (rcusim_ops.h_is_locked(RCUSIM_H, &(l)->rcusim) != 0)
#define lockdep_is_held(l) (rcusim_ops.h_is_held(RCUSIM_H, &(l)->rcusim) != 0)
#define RCUSIM_ASSERT_FAILED(kind, what)                                                    \
	rcusim_ops.h_assert_failed(RCUSIM_H, RCUSIM_SITE_K(RCUSIM_SITE_ASSERT, what), (kind), what)
#define lockdep_assert_held(l)                                                              \
	do {                                                                                \
		if (unlikely(!lockdep_is_held(l)))                                          \
			RCUSIM_ASSERT_FAILED(RCUSIM_ASSERT_HELD, "lockdep_assert_held(" #l ")"); \
	} while (0)
#define lockdep_assert_held_once(l) lockdep_assert_held(l)
#define lockdep_assert(c)                                                                   \
	do {                                                                                \
		if (unlikely(!(c)))                                                         \
			RCUSIM_ASSERT_FAILED(RCUSIM_ASSERT_LOCKDEP, "lockdep_assert(" #c ")");  \
	} while (0)
#define lockdep_set_class_and_name(l, k, n) do { (l)->rcusim.name = (n); } while (0)
#define lockdep_set_class(l, k) do { } while (0)
#define lock_acquire(...) do { } while (0)
#define lock_release(...) do { } while (0)
#define rcu_lock_acquire(m) do { } while (0)
#define rcu_lock_release(m) do { } while (0)
#define debug_lockdep_rcu_enabled() 1
#define RCU_LOCKDEP_WARN(c, s)                                                              \
	do {                                                                                \
		if (unlikely(c))                                                            \
			RCUSIM_ASSERT_FAILED(RCUSIM_ASSERT_LOCKDEP, s);                     \
	} while (0)
/* tree_plugin.h's rcu_rdp_is_offloaded() (extracted from the tree) reports through this one:
 * its own kind, CONTRACT.md's unsafe-offload-read. */
#define RCU_NOCB_LOCKDEP_WARN(c, s)                                                         \
	do {                                                                                \
		if (unlikely(c))                                                            \
			RCUSIM_ASSERT_FAILED(RCUSIM_ASSERT_OFFLOAD_READ, s);                \
	} while (0)

/* CPU hotplug lock (a percpu rwsem): readers are toggles and rcu_barrier() callers, the
 * writer is the hotplug glue. */
extern struct percpu_rw_semaphore rcusim_cpu_hotplug_lock;
#define cpus_read_lock() RCUSIM_LOCK(&rcusim_cpu_hotplug_lock, RCUSIM_LOCK_RWSEM, 1, "cpus_read_lock()")
#define cpus_read_unlock() RCUSIM_UNLOCK(&rcusim_cpu_hotplug_lock, RCUSIM_LOCK_RWSEM, 1, "cpus_read_unlock()")
#define cpus_write_lock() RCUSIM_LOCK(&rcusim_cpu_hotplug_lock, RCUSIM_LOCK_RWSEM, 0, "cpus_write_lock()")
#define cpus_write_unlock() RCUSIM_UNLOCK(&rcusim_cpu_hotplug_lock, RCUSIM_LOCK_RWSEM, 0, "cpus_write_unlock()")
#define lockdep_is_cpus_held() lockdep_is_held(&rcusim_cpu_hotplug_lock)
#define lockdep_assert_cpus_held()                                                          \
	do {                                                                                \
		if (unlikely(!lockdep_is_cpus_held()))                                      \
			RCUSIM_ASSERT_FAILED(RCUSIM_ASSERT_HELD, "lockdep_assert_cpus_held()"); \
	} while (0)

/* ------------------------------------------------------------------ time and timers */
#define jiffies (rcusim_jiffies)
#define INITIAL_JIFFIES 0UL
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define time_before_eq(a, b) time_after_eq(b, a)
#define time_in_range(a, b, c) (time_after_eq(a, b) && time_before_eq(a, c))
#define msecs_to_jiffies(m) ((unsigned long)(((m) * HZ + 999) / 1000))
#define jiffies_to_msecs(j) ((unsigned int)((j) * 1000 / HZ))
#define nsecs_to_jiffies(n) ((unsigned long)((n) / (NSEC_PER_SEC / HZ)))
#define local_clock() ((u64)rcusim_jiffies * (NSEC_PER_SEC / HZ))
#define ktime_get_mono_fast_ns() local_clock()

struct timer_list {
	struct hlist_node entry;
	unsigned long expires;
	void (*function)(struct timer_list *);
	u32 flags;
	struct rcusim_obj rcusim;
};
#define TIMER_DEFERRABLE 0x1
#define TIMER_PINNED 0x2
#define timer_setup(t, fn, fl)                                                              \
	do {                                                                                \
		(t)->function = (fn);                                                       \
		(t)->flags = (fl);                                                          \
		(t)->expires = 0;                                                           \
		RCUSIM_OBJ_INIT(t, #t);                                                     \
	} while (0)
#define from_timer(var, callback_timer, field) container_of(callback_timer, __typeof__(*var), field)
#define timer_container_of(var, callback_timer, field) from_timer(var, callback_timer, field)
#define mod_timer(t, e) rcusim_ops.h_timer_mod(RCUSIM_H, (t), &(t)->rcusim, (e), -1, RCUSIM_SITE("mod_timer(" #t ")"))
#define add_timer_on(t, c) ((void)rcusim_ops.h_timer_mod(RCUSIM_H, (t), &(t)->rcusim, (t)->expires, (c), RCUSIM_SITE("add_timer_on(" #t ")")))
#define del_timer(t) rcusim_ops.h_timer_del(RCUSIM_H, &(t)->rcusim, RCUSIM_SITE("del_timer(" #t ")"))
#define timer_delete(t) rcusim_ops.h_timer_del(RCUSIM_H, &(t)->rcusim, RCUSIM_SITE("timer_delete(" #t ")"))
#define del_timer_sync(t) del_timer(t)
#define timer_delete_sync(t) timer_delete(t)
#define timer_pending(t) (rcusim_ops.h_timer_pending(RCUSIM_H, &(t)->rcusim, RCUSIM_SITE("timer_pending(" #t ")")) != 0)

/* ------------------------------------------------------------------ tasks, kthreads, waiting */
#define TASK_COMM_LEN 16
struct task_struct {
	struct rcusim_obj rcusim; /* first: the host finds its task here */
	pid_t pid;
	int cpu;
	int on_cpu;
	unsigned int __state;
	unsigned int flags;
	char comm[TASK_COMM_LEN];
};
struct task_struct *rcusim_new_task(const char *comm);
#define PF_MEMALLOC 0x800
#define PF_KTHREAD 0x00200000
struct sched_param { int sched_priority; };
#define current ((struct task_struct *)rcusim_current_task)
#define task_cpu(t) ((t)->cpu)
#define task_is_running(t) 1
#define task_state_to_char(t) 'R'
#define is_idle_task(t) 0
#define signal_pending(t) 0
#define fatal_signal_pending(t) 0
#define IS_ERR(p) ((unsigned long)(p) >= (unsigned long)-4095)
#define PTR_ERR(p) ((long)(p))
#define ERR_PTR(e) ((void *)(long)(e))
#define IS_ERR_OR_NULL(p) (!(p) || IS_ERR(p))
int rcusim_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define sprintf(buf, fmt, ...) rcusim_snprintf((buf), 64, fmt, ##__VA_ARGS__)
#define snprintf(buf, n, fmt, ...) rcusim_snprintf((buf), (n), fmt, ##__VA_ARGS__)
#define kthread_create(fn, data, fmt, ...)                                                  \
	({                                                                                  \
		char __kc_n[TASK_COMM_LEN];                                                 \
		struct task_struct *__kc_t;                                                 \
		rcusim_snprintf(__kc_n, sizeof(__kc_n), fmt, ##__VA_ARGS__);                \
		__kc_t = rcusim_new_task(__kc_n);                                           \
		rcusim_ops.h_kthread_create(RCUSIM_H, __kc_t, (fn), (data), __kc_n);        \
		__kc_t;                                                                     \
	})
#define kthread_create_on_node(fn, data, node, fmt, ...) kthread_create(fn, data, fmt, ##__VA_ARGS__)
#define kthread_run(fn, data, fmt, ...)                                                     \
	({                                                                                  \
		struct task_struct *__kr_t = kthread_create(fn, data, fmt, ##__VA_ARGS__);   \
		if (!IS_ERR(__kr_t))                                                        \
			wake_up_process(__kr_t);                                            \
		__kr_t;                                                                     \
	})
#define wake_up_process(t) rcusim_ops.h_wake_up_process(RCUSIM_H, (t), RCUSIM_SITE("wake_up_process(" #t ")"))
#define kthread_park(t) (rcusim_ops.h_kthread_park(RCUSIM_H, (t), RCUSIM_SITE("kthread_park(" #t ")")), 0)
#define kthread_unpark(t) rcusim_ops.h_kthread_unpark(RCUSIM_H, (t), RCUSIM_SITE("kthread_unpark(" #t ")"))
#define kthread_should_park() (rcusim_ops.h_kthread_should_park(RCUSIM_H) != 0)
#define kthread_should_stop() 0
#define kthread_parkme() rcusim_ops.h_kthread_parkme(RCUSIM_H, RCUSIM_SITE("kthread_parkme()"))
#define kthread_bind(t, c) do { } while (0)
#define sched_setscheduler_nocheck(t, p, sp) 0
#define sched_set_fifo_low(t) do { } while (0)
#define sched_setaffinity(pid, m) 0
#define set_cpus_allowed_ptr(t, m) 0
#define schedule_timeout_idle(j) rcusim_ops.h_schedule_timeout(RCUSIM_H, (j), RCUSIM_SITE("schedule_timeout_idle(" #j ")"))
#define schedule_timeout_uninterruptible(j) rcusim_ops.h_schedule_timeout(RCUSIM_H, (j), RCUSIM_SITE("schedule_timeout_uninterruptible(" #j ")"))
#define schedule_timeout_interruptible(j) rcusim_ops.h_schedule_timeout(RCUSIM_H, (j), RCUSIM_SITE("schedule_timeout_interruptible(" #j ")"))
#define cond_resched() (rcusim_ops.h_cond_resched(RCUSIM_H, RCUSIM_SITE("cond_resched()")), 0)
#define cond_resched_tasks_rcu_qs() rcusim_ops.h_cond_resched(RCUSIM_H, RCUSIM_SITE("cond_resched_tasks_rcu_qs()"))
#define rcu_tasks_qs(t, p) do { } while (0)
#define tick_dep_set_task(t, b) do { } while (0)
#define tick_dep_clear_task(t, b) do { } while (0)
#define tick_dep_set(b) do { } while (0)
#define tick_dep_clear(b) do { } while (0)
#define tick_dep_set_cpu(c, b) do { } while (0)
#define TICK_DEP_BIT_RCU 0

struct kthread_worker { int unused; };
struct kthread_work { int unused; };
struct work_struct { int unused; };
struct irq_work { int unused; };
struct rcuwait { int unused; };
#define IRQ_WORK_INIT_HARD(f) { 0 }
#define init_irq_work(w, f) do { } while (0)

struct swait_queue_head { struct rcusim_obj rcusim; };
typedef struct wait_queue_head { struct rcusim_obj rcusim; } wait_queue_head_t;
#define __SWAIT_QUEUE_HEAD_INITIALIZER(n) __RCUSIM_OBJ_INIT(n)
#define __WAIT_QUEUE_HEAD_INITIALIZER(n) __RCUSIM_OBJ_INIT(n)
#define init_swait_queue_head(q) RCUSIM_OBJ_INIT(q, #q)
#define init_waitqueue_head(q) RCUSIM_OBJ_INIT(q, #q)
#define swake_up_one(q) ((void)rcusim_ops.h_wq_wake(RCUSIM_H, &(q)->rcusim, 1, RCUSIM_SITE("swake_up_one(" #q ")")))
#define swake_up_all(q) ((void)rcusim_ops.h_wq_wake(RCUSIM_H, &(q)->rcusim, -1, RCUSIM_SITE("swake_up_all(" #q ")")))
#define wake_up(q) ((void)rcusim_ops.h_wq_wake(RCUSIM_H, &(q)->rcusim, 1, RCUSIM_SITE("wake_up(" #q ")")))
#define wake_up_all(q) ((void)rcusim_ops.h_wq_wake(RCUSIM_H, &(q)->rcusim, -1, RCUSIM_SITE("wake_up_all(" #q ")")))
#define swait_active(q) (rcusim_ops.h_wq_active(RCUSIM_H, &(q)->rcusim) != 0)
#define wq_has_sleeper(q) swait_active(q)
/* prepare_to_swait, test, schedule(): a wakeup between prepare and schedule is not lost,
 * even when the condition itself takes scheduling points. */
#define __rcusim_wait_event(wq, cond, excl, tmo, what)                                      \
	({                                                                                  \
		long __we_r = 0;                                                            \
		for (;;) {                                                                  \
			rcusim_ops.h_wq_prepare(RCUSIM_H, &(wq).rcusim, (excl));              \
			if (cond)                                                           \
				break;                                                      \
			__we_r = rcusim_ops.h_wq_schedule(RCUSIM_H, &(wq).rcusim, (tmo),      \
							RCUSIM_SITE(what));                \
			if ((tmo) >= 0 && __we_r == 0)                                      \
				break;                                                      \
		}                                                                           \
		rcusim_ops.h_wq_finish(RCUSIM_H, &(wq).rcusim);                               \
		__we_r;                                                                     \
	})
#define swait_event_exclusive(wq, cond)                                                     \
	do {                                                                                \
		if (!(cond))                                                                \
			(void)__rcusim_wait_event(wq, cond, 1, -1L,                         \
						  "swait_event_exclusive(" #wq ")");        \
	} while (0)
#define swait_event_interruptible_exclusive(wq, cond)                                       \
	({                                                                                  \
		if (!(cond))                                                                \
			(void)__rcusim_wait_event(wq, cond, 1, -1L,                         \
						  "swait_event_interruptible_exclusive(" #wq ")"); \
		0;                                                                          \
	})
#define swait_event_idle_exclusive(wq, cond)                                                \
	do {                                                                                \
		if (!(cond))                                                                \
			(void)__rcusim_wait_event(wq, cond, 1, -1L,                         \
						  "swait_event_idle_exclusive(" #wq ")");   \
	} while (0)
#define swait_event_idle_timeout_exclusive(wq, cond, tmo)                                   \
	({                                                                                  \
		long __st = (tmo);                                                          \
		if (!(cond))                                                                \
			__st = __rcusim_wait_event(wq, cond, 1, __st,                       \
						   "swait_event_idle_timeout_exclusive(" #wq ")"); \
		__st;                                                                       \
	})
#define wait_event(wq, cond)                                                                \
	do {                                                                                \
		if (!(cond))                                                                \
			(void)__rcusim_wait_event(wq, cond, 0, -1L, "wait_event(" #wq ")"); \
	} while (0)

struct completion {
	unsigned int done;
	struct swait_queue_head wait;
};
#define COMPLETION_INITIALIZER(n) { 0, __SWAIT_QUEUE_HEAD_INITIALIZER(n.wait) }
#define DECLARE_COMPLETION_ONSTACK(n) struct completion n = COMPLETION_INITIALIZER(n)
static inline void init_completion(struct completion *c)
{
	WRITE_ONCE(c->done, 0);
	init_swait_queue_head(&c->wait);
}
#define reinit_completion(c) WRITE_ONCE((c)->done, 0)
#define complete(c)                                                                         \
	do {                                                                                \
		struct completion *__cp = (c);                                              \
		WRITE_ONCE(__cp->done, __cp->done + 1);                                     \
		swake_up_all(&__cp->wait);                                                  \
	} while (0)
#define wait_for_completion(c)                                                              \
	do {                                                                                \
		struct completion *__wc = (c);                                              \
		(void)__rcusim_wait_event(__wc->wait, READ_ONCE(__wc->done) != 0, 1, -1L,   \
					  "wait_for_completion(" #c ")");                   \
		WRITE_ONCE(__wc->done, __wc->done - 1);                                     \
	} while (0)

/* Cross-CPU calls. */
typedef void (*smp_call_func_t)(void *info);
#define smp_call_function_single(cpu, fn, info, wait)                                       \
	rcusim_ops.h_smp_call(RCUSIM_H, (cpu), (fn), (info), (wait),                          \
			    RCUSIM_SITE("smp_call_function_single(" #fn ")"))
#define work_on_cpu(cpu, fn, arg)                                                           \
	rcusim_ops.h_work_on_cpu(RCUSIM_H, (cpu), (fn), (arg), RCUSIM_SITE("work_on_cpu(" #fn ")"))
#define raise_softirq(nr) rcusim_ops.h_raise_softirq(RCUSIM_H, smp_processor_id(), RCUSIM_SITE("raise_softirq(" #nr ")"))
#define RCU_SOFTIRQ 9

/* ------------------------------------------------------------------ memory */
void *rcusim_zalloc(size_t n);
#define kmalloc(n, g) rcusim_zalloc(n)
#define kzalloc(n, g) rcusim_zalloc(n)
#define kcalloc(n, s, g) rcusim_zalloc((n) * (s))
#define kfree(p) do { (void)(p); } while (0)
#define kvfree(p) kfree(p)

/* ------------------------------------------------------------------ WARN, BUG, printk */
#define RCUSIM_WARN(k, c, what)                                                             \
	({                                                                                  \
		bool __w = !!(c);                                                           \
		if (unlikely(__w))                                                          \
			rcusim_ops.h_warn(RCUSIM_H, RCUSIM_SITE_K(k, what), what);            \
		unlikely(__w);                                                              \
	})
#define WARN_ON(c) RCUSIM_WARN(RCUSIM_SITE_WARN, c, "WARN_ON(" #c ")")
#define WARN_ON_ONCE(c) RCUSIM_WARN(RCUSIM_SITE_ONCE, c, "WARN_ON_ONCE(" #c ")")
#define WARN(c, fmt...) RCUSIM_WARN(RCUSIM_SITE_WARN, c, "WARN(" #c ")")
#define WARN_ONCE(c, fmt...) RCUSIM_WARN(RCUSIM_SITE_ONCE, c, "WARN_ONCE(" #c ")")
#define BUG_ON(c) ((void)RCUSIM_WARN(RCUSIM_SITE_WARN, c, "BUG_ON(" #c ")"))
#define BUG() ((void)RCUSIM_WARN(RCUSIM_SITE_WARN, 1, "BUG()"))
static inline void rcusim_printk(struct rcusim_site *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void rcusim_printk(struct rcusim_site *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rcusim_ops.h_vlog(RCUSIM_H, s, fmt, ap);
	va_end(ap);
}
#define RCUSIM_PRINTK(lvl, fmt, ...) rcusim_printk(RCUSIM_SITE(lvl), fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) RCUSIM_PRINTK("pr_info", fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...) RCUSIM_PRINTK("pr_err", fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...) RCUSIM_PRINTK("pr_warn", fmt, ##__VA_ARGS__)
#define pr_alert(fmt, ...) RCUSIM_PRINTK("pr_alert", fmt, ##__VA_ARGS__)
#define pr_cont(fmt, ...) RCUSIM_PRINTK("pr_cont", fmt, ##__VA_ARGS__)
#define pr_notice(fmt, ...) RCUSIM_PRINTK("pr_notice", fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { } while (0)
#define printk(fmt, ...) RCUSIM_PRINTK("printk", fmt, ##__VA_ARGS__)
#define KERN_INFO ""
#define KERN_ERR ""
#define KERN_CONT ""
#define unsigned_long_max ULONG_MAX
unsigned long int_sqrt(unsigned long x);
#define mem_dump_obj(p) do { } while (0)
#define kmem_dump_obj(p) do { } while (0)
#define kasan_record_aux_stack_noalloc(p) do { } while (0)
#define kasan_record_aux_stack(p) do { } while (0)
#define debug_object_activate(...) 0
#define debug_object_deactivate(...) do { } while (0)
#define dump_stack() do { } while (0)
#define sched_show_task(t) do { } while (0)

/* ------------------------------------------------------------------ misc kernel state */
enum system_states {
	SYSTEM_BOOTING,
	SYSTEM_SCHEDULING,
	SYSTEM_FREEING_INITMEM,
	SYSTEM_RUNNING,
	SYSTEM_HALT,
	SYSTEM_POWER_OFF,
	SYSTEM_RESTART,
	SYSTEM_SUSPEND,
};
extern enum system_states system_state;
struct srcu_struct;
struct mem_cgroup;
struct seq_file;
struct notifier_block;
struct workqueue_struct;
struct debug_obj_descr;
#define rcu_inkernel_boot_has_ended() true
#define rcu_is_watching() true

#define nr_context_switches() 0ULL

/* Shrinker API (6.7+: shrinker_alloc/shrinker_register; before: register_shrinker). */
#define SHRINK_STOP (~0UL)
#define SHRINK_EMPTY (~0UL - 1)
#define DEFAULT_SEEKS 2
struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
	struct mem_cgroup *memcg;
};
struct shrinker {
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *sc);
	long batch;
	int seeks;
	unsigned flags;
	void *private_data;
};
struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...);
void shrinker_register(struct shrinker *s);
int register_shrinker(struct shrinker *s, const char *fmt, ...);

/* Tracepoints: off (CONFIG_RCU_TRACE=n), but the nocb wake reasons go to the trace. */
#define tracepoint_string(s) (s)
#define TPS(x) tracepoint_string(x)
#define trace_rcu_nocb_wake(n, c, r)                                                        \
	rcusim_ops.h_trace_nocb_wake(RCUSIM_H, RCUSIM_SITE("trace_rcu_nocb_wake"), (c), (r))
#include "rcusim_trace_stubs.h" /* generated: every other trace_*() the tree uses, empty */

#endif /* RCUSIM_KSHIM_H */
