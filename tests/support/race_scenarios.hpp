// Scenario files (as JSON text) for the bug scenarios of MODEL.md §6 that the kernel and
// checker tests drive with RuleStrategy. The rule parameters that go with each were found
// by experiment (a sweep over the delay j) and are documented where they are used.
#pragma once

namespace rcusim::testing {

// S1: CPU 1 offloaded with 8 lazy callbacks in its bypass; at 1 ms the shrinker (CPU 0)
// scans while CPU 2 de-offloads CPU 1; at 2 ms CPU 2 re-offloads it (its O1 raw lock is
// the "later raw acquisition" that spins on a leaked nocb_lock).
inline constexpr const char* kS1Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s1-deoffload-leak",
  "machine": { "cpus": 4, "nocb_cpus": "all" },
  "kernel": { "variant": "v6.3" },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 },
    { "at": "1ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128 },
    { "at": "1ms", "op": "deoffload", "target": 1, "cpu": 2 },
    { "at": "2ms", "op": "offload", "target": 1, "cpu": 2 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms" },
  "run": { "until": "1s" }
})";

// S2: as S1, but the re-offload (CPU 3) is queued right behind the de-offload, and the
// scheduler may hold an actor inside an IRQ-off section (the shrinker's lock/unlock window
// on CPU 0 must span a complete O1 on CPU 1: "model-reachable", MODEL.md §6 S2).
inline constexpr const char* kS2Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s2-offload-unowned-unlock",
  "machine": { "cpus": 4, "nocb_cpus": "all" },
  "kernel": { "variant": "v6.3" },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 },
    { "at": "1ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128 },
    { "at": "1ms", "op": "deoffload", "target": 1, "cpu": 2 },
    { "at": "1010us", "op": "offload", "target": 1, "cpu": 3 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms", "delay_in_irq_off": true },
  "run": { "until": "1s" }
})";

// S3: V1 with (de-)offload allocating while it holds barrier_mutex, under memory
// pressure: the de-offload's kworker allocates, enters direct reclaim, and the shrinker's
// scan runs in the kworker.
inline constexpr const char* kS3Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s3-reclaim-mutex",
  "machine": { "cpus": 4, "nocb_cpus": "all" },
  "kernel": { "variant": "patch1-mutex", "switches": { "toggle_allocates": true } },
  "memory": { "pressure": [ { "from": "0ms", "to": "50ms" } ] },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 },
    { "at": "1ms", "op": "deoffload", "target": 1, "cpu": 2 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms" },
  "run": { "until": "1s" }
})";

// S6: nine lazy call_rcu() on CPU 1, one per millisecond; the shrinker scans at 8 ms,
// while the ninth enqueue is in flight. The enqueuer runs with IRQs off, so holding it in
// its lazy_len read-modify-write needs delay_in_irq_off.
inline constexpr const char* kS6Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s6-ignored-flush",
  "machine": { "cpus": 2, "nocb_cpus": "all" },
  "kernel": { "variant": "v6.3" },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 9, "every": "1ms" },
    { "at": "8ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms", "delay_in_irq_off": true },
  "run": { "until": "1s" }
})";

// S8: eight lazy callbacks on CPU 1; the shrinker scans at 1 ms and a call_rcu_hurry() on
// CPU 1 at 1.001 ms flushes the bypass (non-lazy enqueue: flush, then enqueue) between the
// shrinker's lockless lazy_len read and its nocb_lock.
inline constexpr const char* kS8Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s8-stale-count",
  "machine": { "cpus": 2, "nocb_cpus": "all" },
  "kernel": { "variant": "v6.3" },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 },
    { "at": "1ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128 },
    { "at": "1001us", "op": "call_rcu_hurry", "cpu": 1 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms" },
  "run": { "until": "1s" }
})";

// S9: P4's mask walk without the mutex (V0 body + P4): the shrinker passes count() before
// the de-offload takes barrier_mutex, then scans while CPU 1 is de-offloaded.
inline constexpr const char* kS9Json = R"({
  "format": "rcusim-scenario/1",
  "name": "s9-mask-mismatch",
  "machine": { "cpus": 4, "nocb_cpus": "all" },
  "kernel": { "variant": "v6.3", "switches": { "P4": true } },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 },
    { "at": "1ms", "op": "shrink", "cpu": 0, "nr_to_scan": 128 },
    { "at": "1ms", "op": "deoffload", "target": 1, "cpu": 2 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms" },
  "run": { "until": "1s" }
})";

// V1 scan contending barrier_mutex with a de-offload; OP is "shrink" (reclaim) or
// "drop_caches" (a plain task writing /proc/sys/vm/drop_caches).
inline constexpr const char* kMutexContendJsonHead = R"({
  "format": "rcusim-scenario/1",
  "name": "v1-mutex-contended",
  "machine": { "cpus": 4, "nocb_cpus": "all" },
  "kernel": { "variant": "patch1-mutex" },
  "events": [
    { "at": "0ms", "op": "call_rcu", "cpu": 1, "lazy": true, "count": 8 },
    { "at": "1ms", "op": "deoffload", "target": 1, "cpu": 2 },
    { "at": "1ms", "op": ")";
inline constexpr const char* kMutexContendJsonTail = R"(", "cpu": 0 }
  ],
  "explore": { "strategy": "random", "seed": 1, "max_delay": "2ms" },
  "run": { "until": "1s" }
})";

}  // namespace rcusim::testing
