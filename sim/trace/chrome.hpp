// ChromeSink: the trace event stream as Trace Event JSON (the "Trace Event Format" that
// Perfetto, chrome://tracing and the DevTools performance panel open), written while the
// simulation runs. Memory holds the open slice and last counter values of each track, never
// the trace: it does not grow with the trace's length.
//
// Tracks. Each CPU is a process, so its lanes and counters stay together in every viewer:
//
//   pid 1      "rcusim"   tid 32 "violations"     violations: global instants ("s":"g")
//                         tid 33 "grace periods"  one slice per grace period
//                         tid 34 "notes"          (de-)offload results and other notes
//                         tid 32+k                global locks (barrier_mutex, ...)
//   pid c+2    "cpu c"    tid (c+2)*32 + 0        "cpu c": what runs there, one slice per run
//                                                 of one actor (consecutive steps of the same
//                                                 actor at the same virtual time are merged)
//                         tid (c+2)*32 + 1        "rdp c flags": SEGCBLIST flag changes
//                         tid (c+2)*32 + 2        "nocb_timer[c]": armed until fired/cancelled
//                         tid (c+2)*32 + k        lock instances "nocb_lock[c]", ... (k >= 3)
//                         counters ("C")          lazy_len, bypass_len, offloaded, ...
//
// A lock track's slices are named by the owner ("shrinker@0"; "a + b" while two contexts
// hold it). A broken lock shows as such: a lock still held at the end of the trace is closed
// there with "status": "leaked (never released)" and an instant saying so; a release by a
// context that does not own it ends the slice ("status": "released by X, not the owner")
// and adds an instant saying so; contention is counted in the slice's args ("contentions",
// "contended_by"). Callbacks are flow arrows ("s"/"f") from the enqueue to the invocation
// (not written under a CPU filter). Violations carry kind and message in args. Process and
// thread names and sort order are "M" events, written when a track is first used.
//
// Slices are complete events ("X", with "dur"), written when they end, so only the open
// slice of each track is kept. They never overlap on a track (each track's slices follow
// one another), and every event of a track is written in time order: instants and flow
// events after the slice they follow or belong to. ("B"/"E" pairs would do for Perfetto and
// chrome://tracing, but the DevTools engine pairs them on one stack across all threads.)
//
// Time. "ts" is virtual time in microseconds with the nanoseconds as decimals ("1015.000" is
// 1,015,000 ns). Steps take no virtual time, so the events of the k-th step within one
// virtual nanosecond are placed k picoseconds later ("1015.000137"; k is capped at 999), and
// a run slice ends 1 ps after its last step: every slice has a visible width in
// chrome://tracing, DevTools and `rcusim view`, while the nanoseconds stay exact. (Perfetto
// keeps nanoseconds only, so there the steps of one nanosecond become zero-width slices, in
// the right order.) Flow events carry the timestamp of their slice's start, which is how
// DevTools binds them (Perfetto and chrome://tracing bind to the enclosing slice).
//
// Caps. A TraceFilter window writes only events inside [from, to]: slices and counter values
// current at `from` are re-opened there (a lock held since before the window starts at
// `from`, with "held_since_ns"), and slices open past `to` are closed at the window's end
// ("status": "held past the window end"). A CPU set writes only the tracks of those CPUs
// (plus the global tracks and every violation).
//
// Determinism: every byte is a pure function of the event stream (integers only, no
// pointers, no wall time), like the jsonl and text sinks.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/trace_event.hpp"
#include "trace/sinks.hpp"

namespace rcusim::trace {

// A point on the output time line: virtual nanoseconds plus a picosecond offset (0..999)
// that orders the zero-time steps of one nanosecond.
struct ChromeStamp {
    engine::Time ns = 0;
    std::int32_t ps = 0;
    friend bool operator==(const ChromeStamp&, const ChromeStamp&) = default;
    friend auto operator<=>(const ChromeStamp&, const ChromeStamp&) = default;
};

// Appends `t` as a Trace Event "ts" value in microseconds: "<us>.<3 digits>" and, when the
// picosecond part is not 0, 3 more digits ("1000.450", "1000.450017"). Integer arithmetic.
void append_chrome_ts(std::string& out, ChromeStamp t);

class ChromeSink : public engine::TraceSink {
   public:
    explicit ChromeSink(std::ostream& out, TraceFilter filter = {});
    ~ChromeSink() override;
    ChromeSink(const ChromeSink&) = delete;
    ChromeSink& operator=(const ChromeSink&) = delete;

    void on_event(const engine::TraceEvent& e) override;
    // Closes what is still open, ends the JSON document and flushes. Call exactly once.
    void finish() override;

    std::uint64_t events_in() const;       // events seen
    std::uint64_t events_written() const;  // Trace Event objects written (metadata included)

    static constexpr int kSlotsPerProcess = 32;
    static constexpr int kMachinePid = 1;
    static int cpu_pid(engine::CpuId cpu) { return cpu + 2; }
    static int tid(int pid, int slot) { return pid * kSlotsPerProcess + slot; }

   private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Re-reads a jsonl trace (the JsonlSink format) and writes it through a ChromeSink: the
// result is byte-identical to `--format chrome` of the same run. Throws std::runtime_error
// naming the line on malformed input.
void convert_jsonl_to_chrome(std::istream& in, std::ostream& out, const TraceFilter& filter = {},
                             const std::string& origin = "jsonl trace");

// Whether the text starts like a jsonl trace (`{"t":`) rather than a Trace Event JSON file.
bool looks_like_jsonl(std::string_view head);

}  // namespace rcusim::trace
