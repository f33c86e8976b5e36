// Trace sinks: trace events (engine/trace_event.hpp) rendered as files and digests.
//
//  * JsonlSink  one JSON object per line, keys in a fixed order; stable and diff-able.
//  * TextSink   one line per event, ftrace-like; for the terminal and grep.
//  * DigestSink SHA-256 over exactly the bytes JsonlSink writes for the same events.
//  * ChromeSink Trace Event JSON for Perfetto and chrome://tracing (trace/chrome.hpp).
//
// File sinks can be capped by a TraceFilter (a virtual-time window and a CPU set); the digest
// never is: it always covers the full stream.
//
// Every byte written is a pure function of the events: integers only (std::to_chars), no
// locale, no floating point, no pointers, no wall time. The same events always give the same
// bytes (DESIGN.md, determinism rule 4). Line formatting is exposed as free functions
// (append_jsonl_line, append_text_line) so other sinks and tests share exactly one renderer.
#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/trace_event.hpp"
#include "trace/sha256.hpp"

namespace rcusim::trace {

// Actor names as announced by kActorNew events (TraceEvent::text), indexed by actor id
// (dense small ints from 0). Sinks feed every event to learn() before rendering it, so the
// kActorNew event itself already renders with the name.
class ActorNames {
   public:
    void learn(const engine::TraceEvent& e);
    void set(engine::ActorId id, std::string_view name);

    // The learned name, or "" if the id was never announced.
    std::string_view name(engine::ActorId id) const;
    // The name as a JSON string literal (quotes included), or "" if never announced.
    std::string_view quoted(engine::ActorId id) const;
    // Appends the name; an id never announced renders as "actor<id>", kNoActor as "-".
    void append(std::string& out, engine::ActorId id) const;

   private:
    std::vector<std::string> names_;
    std::vector<std::string> quoted_;
};

// Appends "<seconds>.<9 digits>" with integer arithmetic only; seconds right-aligned to
// `width` characters (0: no padding). Negative times get a leading '-'.
void append_seconds(std::string& out, engine::Time t, int width = 0);

// Appends `s` as a JSON string literal (with the quotes). Control characters are escaped;
// invalid UTF-8 bytes become U+FFFD so every line stays valid JSON.
void append_json_string(std::string& out, std::string_view s);
// Whether `s` needs no escaping in a JSON string (printable ASCII without '"' and '\\').
bool plain_json(std::string_view s);

// One JsonlSink line for `e`, including the trailing '\n'. Example:
// {"t":1000450,"step":37,"ev":"lock_acquire","cpu":0,"actor":"shrinker@0","lock":"nocb_lock[1]"}
// Keys: t, step, ev, cpu (omitted when -1), actor (name; omitted when -1), then per type:
//   actor_new "name"; step "label", "arg" (when idx >= 0); lock_* "lock" (name, "[idx]" when
//   idx >= 0), lock_release "foreign":true (when value == 1); counter "counter", "cpu_of",
//   "value"; flags "rdp", "flags", "names"; callback "what", "rdp", "cb"; gp "what", "gp";
//   timer "what", "group", "expires"; violation "kind", "message"; note "label", "idx",
//   "value", "text".
void append_jsonl_line(std::string& out, const engine::TraceEvent& e, const ActorNames& names);

// One TextSink line for `e`, including the trailing '\n'. Example:
//      1.000450000 [000] shrinker@0       lock_acquire nocb_lock[1]
// Time in seconds (width 6 + 9 decimals), CPU in 3 digits ("[---]" when none), actor name
// padded to 16 ("-" when none), event type, then the event's fields.
void append_text_line(std::string& out, const engine::TraceEvent& e, const ActorNames& names);

// What a file sink writes of the stream (--trace-window, --trace-cpus). The default filter
// keeps everything. Sinks still learn actor names from every event, so a kept event whose
// actor was announced outside the filter renders with the right name.
struct TraceFilter {
    engine::Time from = 0;               // first virtual time kept (inclusive)
    engine::Time to = engine::kTimeMax;  // last virtual time kept (inclusive)
    bool cpu_filter = false;             // false: every CPU
    std::vector<bool> cpus;              // cpus[c]: CPU c is selected (when cpu_filter)

    bool has_window() const { return from > 0 || to < engine::kTimeMax; }
    bool active() const { return cpu_filter || has_window(); }
    bool in_window(engine::Time t) const { return t >= from && t <= to; }
    // Whether CPU c is selected; CPUs < 0 are not CPUs and never selected.
    bool cpu(engine::CpuId c) const {
        if (!cpu_filter) return c >= 0;
        return c >= 0 && static_cast<std::size_t>(c) < cpus.size() &&
               cpus[static_cast<std::size_t>(c)];
    }
    // Whether the jsonl and text sinks write `e`: inside the window, and (with a CPU set)
    // naming a selected CPU: the CPU the event ran on, or the CPU it is about (the rdp of a
    // counter, flags or callback event, a lock instance, a timer's group leader). Events that
    // name no CPU (grace periods, global notes) and violations are always kept.
    bool keep(const engine::TraceEvent& e) const;
};

class JsonlSink : public engine::TraceSink {
   public:
    explicit JsonlSink(std::ostream& out, TraceFilter filter = {})
        : out_(out), filter_(std::move(filter)) {}
    void on_event(const engine::TraceEvent& e) override;
    void finish() override;

   private:
    std::ostream& out_;
    TraceFilter filter_;
    ActorNames names_;
    std::string line_;
};

class TextSink : public engine::TraceSink {
   public:
    explicit TextSink(std::ostream& out, TraceFilter filter = {})
        : out_(out), filter_(std::move(filter)) {}
    void on_event(const engine::TraceEvent& e) override;
    void finish() override;

   private:
    std::ostream& out_;
    TraceFilter filter_;
    ActorNames names_;
    std::string line_;
};

// A sink that fingerprints the stream: the SHA-256 of its JSONL rendering.
class TraceDigest : public engine::TraceSink {
   public:
    // "sha256:<64 lowercase hex>" of everything seen so far (may be called at any time).
    virtual std::string digest() = 0;
};

// SHA-256 of the JSONL rendering of the events, without keeping the trace in memory.
class DigestSink : public TraceDigest {
   public:
    void on_event(const engine::TraceEvent& e) override;

    // "sha256:<64 lowercase hex>" of everything seen so far (may be called at any time).
    std::string digest() override;
    std::uint64_t events() const { return events_; }
    std::uint64_t bytes() const { return bytes_; }

   private:
    static constexpr std::size_t kBatch = 64 * 1024;
    Sha256 sha_;
    ActorNames names_;
    std::string pending_;  // rendered lines not hashed yet
    std::uint64_t events_ = 0;
    std::uint64_t bytes_ = 0;
};

// A file sink by format name: "jsonl", "text" or "chrome", writing what `filter` keeps.
// Throws std::invalid_argument for any other name.
std::unique_ptr<engine::TraceSink> make_file_sink(const std::string& format, std::ostream& out,
                                                  const TraceFilter& filter = {});

// The format a trace file name implies: ".txt" / ".log" text, ".json" chrome, else jsonl.
std::string format_for_path(const std::string& path);

// A file that appears at `path` complete or not at all. Writes go to `path + ".tmp.<pid>"`;
// commit() flushes, closes and renames it over `path`. If the object is destroyed without
// commit() (an exception, an early return, a failed run), the temporary file is removed.
// Parent directories are created if missing. Throws std::runtime_error when the file cannot
// be created, written or renamed.
class AtomicFile {
   public:
    explicit AtomicFile(std::string path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    std::ostream& stream() { return out_; }
    const std::string& path() const { return path_; }
    const std::string& temp_path() const { return temp_path_; }
    bool committed() const { return committed_; }

    void commit();
    // Drops what was written and removes the temporary file (the destructor does this too).
    void discard() noexcept;

   private:
    std::string path_;
    std::string temp_path_;
    std::ofstream out_;
    bool committed_ = false;
    bool done_ = false;
};

}  // namespace rcusim::trace
