#include "explore/background_digest.hpp"

#include <cstring>

namespace rcusim::explore {

namespace {

static_assert(static_cast<int>(engine::TraceType::kNote) < 16, "the type shares a byte with flags");
constexpr std::uint8_t kAtChanged = 0x10, kStepChanged = 0x20, kHasText = 0x40;

std::uint64_t zigzag(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t unzigzag(std::uint64_t v) {
    return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}
std::uint8_t* put(std::uint8_t* p, std::uint64_t v) {
    while (v >= 0x80) {
        *p++ = static_cast<std::uint8_t>(v | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<std::uint8_t>(v);
    return p;
}
std::uint64_t get(const std::uint8_t*& p) {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        const std::uint8_t b = *p++;
        v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
        if (b < 0x80) return v;
    }
}

// Largest encoding of an event without its text: a type byte, six varints, a pointer.
constexpr std::size_t kMaxFixed = 1 + 6 * 10 + sizeof(const char*);

}  // namespace

BackgroundDigest::BackgroundDigest() : current_(std::make_unique<Chunk>()), worker_([this] { work(); }) {
    current_->bytes.resize(kChunkBytes);
}

BackgroundDigest::~BackgroundDigest() {
    {
        std::lock_guard lk(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
}

void BackgroundDigest::on_event(const engine::TraceEvent& e) {
    const std::size_t need = kMaxFixed + 10 + e.text.size();
    if (current_->used + need > current_->bytes.size()) {
        if (current_->used > 0) submit();
        if (need > current_->bytes.size()) current_->bytes.resize(need);
    }
    Chunk& c = *current_;
    std::uint8_t* p = c.bytes.data() + c.used;
    std::uint8_t* head = p++;
    std::uint8_t flags = static_cast<std::uint8_t>(e.type);
    if (e.at != last_at_) {
        flags |= kAtChanged;
        p = put(p, zigzag(e.at - last_at_));
        last_at_ = e.at;
    }
    if (e.step != last_step_) {
        flags |= kStepChanged;
        p = put(p, zigzag(static_cast<std::int64_t>(e.step - last_step_)));
        last_step_ = e.step;
    }
    p = put(p, zigzag(e.cpu));
    p = put(p, zigzag(e.actor));
    p = put(p, zigzag(e.idx));
    p = put(p, zigzag(e.value));
    std::memcpy(p, &e.name, sizeof e.name);  // a static string (engine/trace_event.hpp)
    p += sizeof e.name;
    if (!e.text.empty()) {
        flags |= kHasText;
        p = put(p, e.text.size());
        std::memcpy(p, e.text.data(), e.text.size());
        p += e.text.size();
    }
    *head = flags;
    c.used = static_cast<std::size_t>(p - c.bytes.data());
}

void BackgroundDigest::submit() {
    std::unique_lock lk(mu_);
    full_.push_back(std::move(current_));
    cv_.notify_all();
    // A free chunk, or a new one while fewer than kChunks exist, or wait for the worker.
    cv_.wait(lk, [&] { return !free_.empty() || allocated_ < kChunks; });
    if (!free_.empty()) {
        current_ = std::move(free_.back());
        free_.pop_back();
    } else {
        current_ = std::make_unique<Chunk>();
        current_->bytes.resize(kChunkBytes);
        ++allocated_;
    }
}

void BackgroundDigest::work() {
    engine::Time at = 0;  // decoder state
    std::uint64_t step = 0;
    for (;;) {
        std::unique_ptr<Chunk> c;
        {
            std::unique_lock lk(mu_);
            cv_.wait(lk, [&] { return stop_ || !full_.empty(); });
            if (full_.empty()) return;  // stop_ and nothing left
            c = std::move(full_.front());
            full_.pop_front();
            busy_ = true;
        }
        const std::uint8_t* p = c->bytes.data();
        const std::uint8_t* end = p + c->used;
        while (p < end) {
            const std::uint8_t flags = *p++;
            engine::TraceEvent e;
            e.type = static_cast<engine::TraceType>(flags & 0x0f);
            if (flags & kAtChanged) at += unzigzag(get(p));
            if (flags & kStepChanged) step += static_cast<std::uint64_t>(unzigzag(get(p)));
            e.at = at;
            e.step = step;
            e.cpu = static_cast<engine::CpuId>(unzigzag(get(p)));
            e.actor = static_cast<engine::ActorId>(unzigzag(get(p)));
            e.idx = static_cast<std::int32_t>(unzigzag(get(p)));
            e.value = unzigzag(get(p));
            std::memcpy(&e.name, p, sizeof e.name);
            p += sizeof e.name;
            if (flags & kHasText) {
                const auto n = static_cast<std::size_t>(get(p));
                e.text = std::string_view(reinterpret_cast<const char*>(p), n);
                p += n;
            }
            sink_.on_event(e);
        }
        c->used = 0;
        {
            std::lock_guard lk(mu_);
            free_.push_back(std::move(c));
            busy_ = false;
        }
        cv_.notify_all();
    }
}

std::string BackgroundDigest::digest() {
    if (current_->used > 0) submit();
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return full_.empty() && !busy_; });
    return sink_.digest();
}

}  // namespace rcusim::explore
