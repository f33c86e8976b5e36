#include "real/race.hpp"

#include <algorithm>

#include "real/shim/rcusim_abi.h"

namespace rcusim::real {

VectorClock& RaceDetector::vc(int t) {
    if (static_cast<std::size_t>(t) >= clocks_.size()) clocks_.resize(static_cast<std::size_t>(t) + 1);
    return clocks_[static_cast<std::size_t>(t)];
}

void RaceDetector::reset(bool strict) {
    for (auto& c : clocks_) c.clear();
    sync_.clear();
    shadow_.clear();
    arenas_.clear();
    boot_task_ = -1;
    report_ = nullptr;
    same_line_ = nullptr;
    strict_ = strict;
    last_read_ = {};
}

void RaceDetector::new_task(int t) {
    VectorClock& c = vc(t);
    c.set(t, c.get(t) + 1);
}

void RaceDetector::inherit_boot(int t) {
    if (boot_task_ >= 0 && boot_task_ != t) vc(t).join(vc(boot_task_));
}

void RaceDetector::edge(int from, int to) {
    if (from == to) return;
    VectorClock& f = vc(from);
    vc(to).join(f);
    f.set(from, f.get(from) + 1);
}

void RaceDetector::acquire(int t, const VectorClock& sync) { vc(t).join(sync); }

void RaceDetector::release(int t, VectorClock& sync) {
    VectorClock& c = vc(t);
    sync.join(c);
    c.set(t, c.get(t) + 1);
}

void RaceDetector::marked(int t, const volatile void* addr, unsigned size, int kind,
                          const char* label) {
    if (kind == RCUSIM_FENCE || !addr || size == 0) return;
    last_read_ = {};
    const auto a = reinterpret_cast<std::uintptr_t>(addr);
    const bool write = (kind & RCUSIM_WRITE) != 0;
    // Check against the plain accesses first (the marked one is an access too).
    for (std::uintptr_t g = a & ~std::uintptr_t{7}; g < a + size; g += 8) {
        std::uint8_t mask = 0;
        for (std::uintptr_t b = std::max(a, g); b < std::min(a + size, g + 8); ++b)
            mask |= static_cast<std::uint8_t>(1u << (b - g));
        check_and_record(t, g, mask, write, true, nullptr, label);
    }
    // Then the synchronisation: reads acquire what the last marked write released.
    VectorClock& s = sync_[a];
    if (kind & RCUSIM_READ) vc(t).join(s);
    if (write) release(t, s);
}

void RaceDetector::plain(int t, const volatile void* addr, unsigned size, int kind, const void* pc) {
    const auto a = reinterpret_cast<std::uintptr_t>(addr);
    const bool write = (kind & RCUSIM_WRITE) != 0;
    const bool compound = write && last_read_.task == t && last_read_.addr == a &&
                          last_read_.size == size && same_line_ && same_line_(last_read_.pc, pc);
    last_read_ = write ? LastRead{} : LastRead{t, a, size, pc};
    // KCSAN's default: an aligned plain write of at most a word, not part of a
    // read-modify-write, is assumed atomic (it races with plain reads only).
    const bool as_marked = !strict_ && write && !compound && size <= sizeof(long) && a % size == 0;
    for (std::uintptr_t g = a & ~std::uintptr_t{7}; g < a + size; g += 8) {
        std::uint8_t mask = 0;
        for (std::uintptr_t b = std::max(a, g); b < std::min<std::uintptr_t>(a + size, g + 8); ++b)
            mask |= static_cast<std::uint8_t>(1u << (b - g));
        check_and_record(t, g, mask, write, as_marked, pc, nullptr);
    }
}

void RaceDetector::check_and_record(int t, std::uintptr_t granule, std::uint8_t mask, bool write,
                                    bool marked, const void* pc, const char* label) {
    VectorClock& me = vc(t);
    Access x{t, me.get(t), mask, write, marked, pc, label};
    auto [it, fresh] = shadow_.try_emplace(granule);
    Cell& c = it->second;
    auto races = [&](const Access& p) {
        if (p.task < 0 || p.task == t || !(p.mask & mask)) return false;
        if (!(write || p.write)) return false;
        // At least one plain write.
        if (!((write && !marked) || (p.write && !p.marked))) return false;
        return p.clock > me.get(p.task);  // not ordered before this access
    };
    if (!fresh) {
        if (races(c.w) && report_) report_(reinterpret_cast<const void*>(granule + __builtin_ctz(mask & c.w.mask)), c.w, x);
        if (write) {
            for (const auto& r : c.r)
                if (races(r) && report_) report_(reinterpret_cast<const void*>(granule + __builtin_ctz(mask & r.mask)), r, x);
        }
    }
    if (write) {
        c.w = x;
        c.r.clear();
    } else {
        for (auto& r : c.r)
            if (r.task == t) {
                r = x;
                return;
            }
        c.r.push_back(x);
    }
}

}  // namespace rcusim::real
