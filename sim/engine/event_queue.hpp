// EventQueue: timed callbacks ordered by (at, phase, seq). Never by time alone: events of
// the same instant run in phase order, then in the order they were scheduled.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/time.hpp"

namespace rcusim::engine {

using TimedFn = void (*)(void* ctx, std::uint64_t arg);

struct TimedEvent {
    Time at;
    std::int32_t phase;
    std::uint64_t seq;
    TimedFn fn;
    void* ctx;
    std::uint64_t arg;
};

class EventQueue {
   public:
    void push(Time at, std::int32_t phase, TimedFn fn, void* ctx, std::uint64_t arg) {
        heap_.push_back({at, phase, next_seq_++, fn, ctx, arg});
        sift_up(heap_.size() - 1);
    }
    bool empty() const { return heap_.empty(); }
    std::size_t size() const { return heap_.size(); }
    const TimedEvent& top() const { return heap_.front(); }
    TimedEvent pop() {
        TimedEvent e = heap_.front();
        heap_.front() = heap_.back();
        heap_.pop_back();
        if (!heap_.empty()) sift_down(0);
        return e;
    }

   private:
    static bool before(const TimedEvent& a, const TimedEvent& b) {
        if (a.at != b.at) return a.at < b.at;
        if (a.phase != b.phase) return a.phase < b.phase;
        return a.seq < b.seq;
    }
    void sift_up(std::size_t i) {
        TimedEvent e = heap_[i];
        while (i > 0) {
            std::size_t p = (i - 1) / 4;
            if (!before(e, heap_[p])) break;
            heap_[i] = heap_[p];
            i = p;
        }
        heap_[i] = e;
    }
    void sift_down(std::size_t i) {
        TimedEvent e = heap_[i];
        const std::size_t n = heap_.size();
        for (;;) {
            std::size_t c = 4 * i + 1;
            if (c >= n) break;
            std::size_t best = c;
            for (std::size_t k = c + 1; k < c + 4 && k < n; ++k)
                if (before(heap_[k], heap_[best])) best = k;
            if (!before(heap_[best], e)) break;
            heap_[i] = heap_[best];
            i = best;
        }
        heap_[i] = e;
    }
    std::vector<TimedEvent> heap_;
    std::uint64_t next_seq_ = 0;
};

}  // namespace rcusim::engine
