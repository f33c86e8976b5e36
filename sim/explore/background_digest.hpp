// BackgroundDigest: the trace digest (SHA-256 of the JSONL rendering, the same value as
// trace::DigestSink) computed on a second thread.
//
// At 4096 CPUs a run emits about 200 bytes of JSONL per step; rendering and hashing them
// costs more than simulating the step. The simulation thread only packs each event into
// a chunk and hands full chunks to a worker that renders and hashes them in order, so the
// digest does not depend on timing. On one core it costs a
// little more than hashing inline; with a free core the run goes at the simulator's speed.
//
// Threads live at explore/ and above (DESIGN.md, determinism rules): the scenario runner
// takes any trace::TraceDigest, the CLI passes this one for `run` and `replay`.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "trace/sinks.hpp"

namespace rcusim::explore {

class BackgroundDigest final : public trace::TraceDigest {
   public:
    BackgroundDigest();
    ~BackgroundDigest() override;
    BackgroundDigest(const BackgroundDigest&) = delete;
    BackgroundDigest& operator=(const BackgroundDigest&) = delete;

    void on_event(const engine::TraceEvent& e) override;
    // Waits for the worker to hash everything seen so far.
    std::string digest() override;

    // Bytes per chunk handed to the worker; at most kChunks chunks exist (back-pressure:
    // the simulation waits when the worker is that far behind).
    static constexpr std::size_t kChunkBytes = 128 * 1024;
    static constexpr std::size_t kChunks = 8;

   private:
    // Events are stored compactly (about 20 bytes instead of a 72-byte TraceEvent: the copy
    // crosses to the other core): a type byte with flags, then varints of what changed
    // since the previous event (time, step) and of the fields, the name pointer (names are
    // static strings) and the text's bytes.
    struct Chunk {
        std::vector<std::uint8_t> bytes;
        std::size_t used = 0;
    };
    void submit();  // hands `current_` to the worker
    void work();

    std::unique_ptr<Chunk> current_;
    engine::Time last_at_ = 0;        // encoder state (simulation thread)
    std::uint64_t last_step_ = 0;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Chunk>> full_;  // submitted, not hashed yet
    std::vector<std::unique_ptr<Chunk>> free_;
    std::size_t allocated_ = 1;  // chunks in existence (current_ is the first)
    bool busy_ = false;         // the worker is hashing a chunk
    bool stop_ = false;
    trace::DigestSink sink_;    // worker-owned between digest() calls
    std::thread worker_;
};

}  // namespace rcusim::explore
