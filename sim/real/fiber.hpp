// Fibers for real-code mode: each simulated kernel thread runs the kernel's C code on a stack
// of its own (the C code cannot be a C++20 coroutine), switched with Boost.Context's fcontext.
//
// A fiber runs from resume() until it calls yield() (at a scheduling point) or its function
// returns. The engine never sees a fiber: an engine actor's Task body resumes it, and turns
// what the fiber asked for at the point where it yielded into the matching awaitable
// (runtime.cpp). Switching costs two jump_fcontext calls, a few nanoseconds.
//
// Stacks are mmap'ed with a guard page below them and come from a pool that outlives
// executions: a fiber left suspended at the end of a run (kthreads never return) is simply
// dropped, which is why nothing with a destructor may live on a fiber stack across a yield.
#pragma once

// AddressSanitizer builds: gcc defines __SANITIZE_ADDRESS__, clang answers __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define RCUSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RCUSIM_ASAN 1
#endif
#endif
#ifndef RCUSIM_ASAN
#define RCUSIM_ASAN 0
#endif

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rcusim::real {

class StackPool;

class Fiber {
   public:
    using Entry = void (*)(void* arg);

    Fiber() = default;
    Fiber(const Fiber&) = delete;
    Fiber& operator=(const Fiber&) = delete;

    // Prepares the fiber to run fn(arg) on a stack taken from `pool` at its first resume().
    void init(StackPool& pool, Entry fn, void* arg);
    // Gives the stack back (the fiber must not be running).
    void release();
    // From the scheduler side: runs the fiber until it yields or finishes.
    void resume();
    // From inside the fiber: back to whoever resumed it.
    void yield();
    bool finished() const { return finished_; }
    bool started() const { return ctx_ != nullptr; }
    bool initialised() const { return stack_ != nullptr; }

    // Called on the fiber's own stack by its first switch (fiber.cpp).
    void enter(void* caller_ctx);

   private:
    StackPool* pool_ = nullptr;
    void* stack_ = nullptr;  // lowest usable address
    std::size_t size_ = 0;
    void* ctx_ = nullptr;     // the fiber's saved context while it is not running
    void* caller_ = nullptr;  // the resumer's context while the fiber runs
    Entry fn_ = nullptr;
    void* arg_ = nullptr;
    bool finished_ = false;
    bool running_ = false;
#if RCUSIM_ASAN
    void* fake_stack_ = nullptr;
    const void* caller_bottom_ = nullptr;
    std::size_t caller_size_ = 0;
#endif
};

// Stacks of one size, reused. Not thread-safe: one pool per worker thread (per image).
class StackPool {
   public:
    explicit StackPool(std::size_t stack_bytes = 256 * 1024) : size_(stack_bytes) {}
    ~StackPool();
    StackPool(const StackPool&) = delete;
    StackPool& operator=(const StackPool&) = delete;
    void* take();
    void give(void* stack);
    std::size_t stack_bytes() const { return size_; }
    std::size_t mapped() const { return all_.size(); }

   private:
    std::size_t size_;
    std::vector<void*> free_;
    std::vector<void*> all_;
};

}  // namespace rcusim::real
