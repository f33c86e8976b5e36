// A byte budget for an output stream (rcusim run --trace-max-bytes): bytes pass through to
// another stream buffer until the budget is spent; the first write that would cross it is
// refused whole (the stream goes bad, nothing more is written) and full() turns true, so the
// runner can stop the run at its next step instead of filling the disk.
#pragma once

#include <atomic>
#include <cstdint>
#include <ios>
#include <streambuf>

namespace rcusim::trace {

class LimitedStreambuf : public std::streambuf {
   public:
    LimitedStreambuf(std::streambuf* target, std::uint64_t max_bytes)
        : target_(target), max_bytes_(max_bytes) {}

    bool full() const { return full_.load(std::memory_order_relaxed); }
    // For scenario::RunOptions::stop.
    const std::atomic<bool>* full_flag() const { return &full_; }
    std::uint64_t written() const { return written_; }
    std::uint64_t max_bytes() const { return max_bytes_; }

   protected:
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        if (n <= 0) return 0;
        const auto want = static_cast<std::uint64_t>(n);
        if (full() || want > max_bytes_ - written_) {
            full_.store(true, std::memory_order_relaxed);
            return 0;
        }
        const std::streamsize put = target_->sputn(s, n);
        if (put > 0) written_ += static_cast<std::uint64_t>(put);
        return put;
    }

    int_type overflow(int_type c) override {
        if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
        const char ch = traits_type::to_char_type(c);
        return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
    }

    int sync() override { return target_->pubsync(); }

   private:
    std::streambuf* target_;
    std::uint64_t max_bytes_;
    std::uint64_t written_ = 0;
    std::atomic<bool> full_{false};
};

}  // namespace rcusim::trace
