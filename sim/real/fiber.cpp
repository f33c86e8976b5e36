#include "real/fiber.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <boost/context/detail/fcontext.hpp>

#if RCUSIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace rcusim::real {

namespace bctx = boost::context::detail;

namespace {
std::size_t page_size() {
    static const std::size_t p = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    return p;
}
[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "rcusim: fiber: %s\n", what);
    std::abort();
}
void trampoline(bctx::transfer_t t) { static_cast<Fiber*>(t.data)->enter(t.fctx); }
}  // namespace

StackPool::~StackPool() {
    for (void* s : all_) munmap(static_cast<char*>(s) - page_size(), size_ + page_size());
}

void* StackPool::take() {
    if (!free_.empty()) {
        void* s = free_.back();
        free_.pop_back();
        return s;
    }
    const std::size_t guard = page_size();
    void* m = mmap(nullptr, size_ + guard, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) die("cannot map a stack");
    if (mprotect(m, guard, PROT_NONE) != 0) die("cannot protect a stack guard page");
    void* s = static_cast<char*>(m) + guard;
    all_.push_back(s);
    return s;
}

void StackPool::give(void* stack) {
#if RCUSIM_ASAN
    // A fiber that never returned (a kernel thread parked forever when its execution ended)
    // leaves its frames' redzones poisoned: the next fiber on this stack would trip on them.
    __asan_unpoison_memory_region(stack, size_);
#endif
    free_.push_back(stack);
}

void Fiber::init(StackPool& pool, Entry fn, void* arg) {
    if (stack_) release();
    pool_ = &pool;
    stack_ = pool.take();
    size_ = pool.stack_bytes();
    fn_ = fn;
    arg_ = arg;
    finished_ = false;
    running_ = false;
    ctx_ = bctx::make_fcontext(static_cast<char*>(stack_) + size_, size_, &trampoline);
}

void Fiber::release() {
    if (running_) die("release() of a running fiber");
    if (stack_) pool_->give(stack_);
    stack_ = nullptr;
    ctx_ = nullptr;
    caller_ = nullptr;
}

void Fiber::enter(void* caller_ctx) {
    caller_ = caller_ctx;
#if RCUSIM_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &caller_bottom_, &caller_size_);
#endif
    fn_(arg_);
    finished_ = true;
    yield();
    die("a finished fiber was resumed");
}

void Fiber::resume() {
    if (running_ || finished_ || !ctx_) die("resume() of a fiber that cannot run");
    running_ = true;
#if RCUSIM_ASAN
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, stack_, size_);
#endif
    bctx::transfer_t t = bctx::jump_fcontext(ctx_, this);
#if RCUSIM_ASAN
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
    ctx_ = t.fctx;
    running_ = false;
}

void Fiber::yield() {
#if RCUSIM_ASAN
    __sanitizer_start_switch_fiber(finished_ ? nullptr : &fake_stack_, caller_bottom_,
                                   caller_size_);
#endif
    bctx::transfer_t t = bctx::jump_fcontext(caller_, nullptr);
#if RCUSIM_ASAN
    __sanitizer_finish_switch_fiber(fake_stack_, &caller_bottom_, &caller_size_);
#endif
    caller_ = t.fctx;
}

}  // namespace rcusim::real
