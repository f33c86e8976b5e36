// The data-race checker of real-code mode (KCSAN-like). The kernel files are compiled with
// -fsanitize=thread; their plain accesses reach rcusim through its own __tsan_* hooks (the
// shim's glue, no libtsan), their marked accesses (READ_ONCE & co.) through the scheduling
// points. Happens-before is tracked with vector clocks: lock release -> acquire, a marked
// write -> a marked read of the same address (as if every marked access were an SC atomic,
// which is stronger than the kernel's memory model: fewer reports, never a false one), wakeups,
// kthread creation and parking, timers, IPIs and work items.
//
// Reported: two accesses to overlapping bytes from different tasks, not ordered by
// happens-before, at least one of them a plain write; two marked accesses never race.
// Not reported (unlike KCSAN): a plain read against a marked write only. The happens-before
// relation does not yet know that IRQ-off sections on one CPU exclude each other (the
// non-offloaded rcu_segcblist paths rely on that), so those reports would include false ones. As in KCSAN's default configuration (CONFIG_KCSAN_ASSUME_PLAIN_WRITES_ATOMIC),
// a plain aligned write of at most a word that is not a read-modify-write (x = v, not x++ or
// x = x + 1) counts as marked; strict mode (CONFIG_KCSAN_STRICT) does not make that exception.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/container/small_vector.hpp>

namespace rcusim::real {

class VectorClock {
   public:
    std::uint32_t get(int t) const {
        return static_cast<std::size_t>(t) < c_.size() ? c_[static_cast<std::size_t>(t)] : 0;
    }
    void set(int t, std::uint32_t v) {
        if (static_cast<std::size_t>(t) >= c_.size()) c_.resize(static_cast<std::size_t>(t) + 1, 0);
        c_[static_cast<std::size_t>(t)] = v;
    }
    void join(const VectorClock& o) {
        if (o.c_.size() > c_.size()) c_.resize(o.c_.size(), 0);
        for (std::size_t i = 0; i < o.c_.size(); ++i) c_[i] = std::max(c_[i], o.c_[i]);
    }
    void assign(const VectorClock& o) { c_ = o.c_; }
    void clear() { c_.clear(); }  // all zero, capacity kept

   private:
    std::vector<std::uint32_t> c_;
};

class RaceDetector {
   public:
    struct Access {
        std::int32_t task = -1;
        std::uint32_t clock = 0;
        std::uint8_t mask = 0;  // bytes of the 8-byte granule
        bool write = false;
        bool marked = false;
        const void* pc = nullptr;    // plain: the code address
        const char* label = nullptr;  // marked: the site's label
    };
    // A race found: the earlier access and the one that met it, at `addr`.
    using Report = std::function<void(const void* addr, const Access& first, const Access& second)>;

    explicit RaceDetector(bool strict = false) : strict_(strict) {}
    // Back to a fresh detector (for the next execution), keeping the memory its tables
    // grew to: campaigns reuse one per worker thread.
    void reset(bool strict);
    void set_reporter(Report r) { report_ = std::move(r); }
    // Whether two code addresses are on one source line (a write right after a read of the
    // same word on the same line is a read-modify-write: x++, x = x + 1).
    void set_same_line(std::function<bool(const void*, const void*)> f) { same_line_ = std::move(f); }
    void new_task(int t);
    // Tasks the host creates after boot start from the booted machine's clock.
    void set_boot(int t) { boot_task_ = t; }
    void inherit_boot(int t);
    // Happens-before from `from`'s current point to `to` (wakeups, creation, completion).
    void edge(int from, int to);
    void acquire(int t, const VectorClock& sync);
    void release(int t, VectorClock& sync);
    void marked(int t, const volatile void* addr, unsigned size, int kind, const char* label);
    void plain(int t, const volatile void* addr, unsigned size, int kind, const void* pc);
    void add_arena(std::uintptr_t lo, std::size_t len) { arenas_.emplace_back(lo, lo + len); }
    bool tracks_arena(std::uintptr_t a) const {
        for (const auto& [lo, hi] : arenas_)
            if (a >= lo && a < hi) return true;
        return false;
    }
    std::size_t granules() const { return shadow_.size(); }

   private:
    struct Cell {
        Access w;
        boost::container::small_vector<Access, 2> r;
    };
    VectorClock& vc(int t);
    void check_and_record(int t, std::uintptr_t granule, std::uint8_t mask, bool write, bool marked,
                          const void* pc, const char* label);
    std::vector<VectorClock> clocks_;
    std::unordered_map<std::uintptr_t, VectorClock> sync_;  // marked addresses
    std::unordered_map<std::uintptr_t, Cell> shadow_;
    std::vector<std::pair<std::uintptr_t, std::uintptr_t>> arenas_;
    int boot_task_ = -1;
    Report report_;
    bool strict_ = false;
    // The task's last plain access: a write right after a read of the same word is a
    // read-modify-write (KCSAN's compound access).
    struct LastRead {
        std::int32_t task = -1;
        std::uintptr_t addr = 0;
        unsigned size = 0;
        const void* pc = nullptr;
    } last_read_;
    std::function<bool(const void*, const void*)> same_line_;
};

}  // namespace rcusim::real
