// Task<T>: the coroutine type of actor bodies and of every modelled kernel function.
//
// A Task is lazy: it starts when awaited (or, for an actor's top-level body, when the
// simulator first resumes it). Completion transfers control symmetrically to the awaiting
// coroutine, so a chain of nested model functions costs no extra scheduler round trips.
// Frames come from a per-thread size-class pool: actors call many short model functions
// per step and the general-purpose allocator showed up as the hot spot.
#pragma once

#include <coroutine>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <new>
#include <utility>

namespace rcusim::engine {

namespace detail {

// Size-class free lists for coroutine frames (64-byte classes up to 2 KiB).
class FramePool {
   public:
    static constexpr std::size_t kClass = 64;
    static constexpr std::size_t kClasses = 32;

    static void* allocate(std::size_t n) {
        std::size_t c = (n + kClass - 1) / kClass;
        if (c >= kClasses) return ::operator new(n);
        auto& pool = local();
        if (void* p = pool.heads_[c]) {
            pool.heads_[c] = *static_cast<void**>(p);
            return p;
        }
        return ::operator new(c * kClass);
    }
    static void deallocate(void* p, std::size_t n) {
        std::size_t c = (n + kClass - 1) / kClass;
        if (c >= kClasses) {
            ::operator delete(p);
            return;
        }
        auto& pool = local();
        *static_cast<void**>(p) = pool.heads_[c];
        pool.heads_[c] = p;
    }

   private:
    struct Pool {
        void* heads_[kClasses] = {};
        ~Pool() {
            for (auto*& h : heads_) {
                while (h) {
                    void* next = *static_cast<void**>(h);
                    ::operator delete(h);
                    h = next;
                }
            }
        }
    };
    static Pool& local() {
        thread_local Pool pool;
        return pool;
    }
};

struct PromiseBase {
    std::coroutine_handle<> continuation_;
    std::exception_ptr error_;

    static void* operator new(std::size_t n) { return FramePool::allocate(n); }
    static void operator delete(void* p, std::size_t n) { FramePool::deallocate(p, n); }

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            auto c = h.promise().continuation_;
            return c ? c : std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() { error_ = std::current_exception(); }
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
   public:
    struct promise_type : detail::PromiseBase {
        T value_{};
        Task get_return_object() {
            return Task(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        template <class U>
        void return_value(U&& v) {
            value_ = std::forward<U>(v);
        }
    };

    Task() = default;
    explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~Task() {
        if (h_) h_.destroy();
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h_.promise().continuation_ = awaiting;
        return h_;
    }
    T await_resume() {
        if (h_.promise().error_) std::rethrow_exception(h_.promise().error_);
        return std::move(h_.promise().value_);
    }

    std::coroutine_handle<promise_type> handle() const { return h_; }

   private:
    std::coroutine_handle<promise_type> h_;
};

template <>
class [[nodiscard]] Task<void> {
   public:
    struct promise_type : detail::PromiseBase {
        Task get_return_object() {
            return Task(std::coroutine_handle<promise_type>::from_promise(*this));
        }
        void return_void() {}
    };

    Task() = default;
    explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    ~Task() {
        if (h_) h_.destroy();
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h_.promise().continuation_ = awaiting;
        return h_;
    }
    void await_resume() {
        if (h_.promise().error_) std::rethrow_exception(h_.promise().error_);
    }

    std::coroutine_handle<promise_type> handle() const { return h_; }
    bool done() const { return !h_ || h_.done(); }

   private:
    std::coroutine_handle<promise_type> h_;
};

}  // namespace rcusim::engine
