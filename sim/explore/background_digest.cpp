#include "explore/background_digest.hpp"

namespace rcusim::explore {

BackgroundDigest::BackgroundDigest() : current_(std::make_unique<Chunk>()), worker_([this] { work(); }) {
    current_->events.reserve(kChunkEvents);
    in_use_ = 1;
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
    Chunk& c = *current_;
    c.events.push_back(e);
    // Event names are static strings (engine/trace_event.hpp); the text is copied.
    c.text_len.push_back(static_cast<std::uint32_t>(e.text.size()));
    c.text.append(e.text);
    if (c.events.size() >= kChunkEvents) submit();
}

void BackgroundDigest::submit() {
    std::unique_lock lk(mu_);
    full_.push_back(std::move(current_));
    cv_.notify_all();
    // A free chunk, or a new one while fewer than kChunks exist, or wait for the worker.
    cv_.wait(lk, [&] { return !free_.empty() || in_use_ < kChunks; });
    if (!free_.empty()) {
        current_ = std::move(free_.back());
        free_.pop_back();
    } else {
        current_ = std::make_unique<Chunk>();
        current_->events.reserve(kChunkEvents);
    }
    ++in_use_;
}

void BackgroundDigest::work() {
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
        std::size_t off = 0;
        for (std::size_t i = 0; i < c->events.size(); ++i) {
            engine::TraceEvent e = c->events[i];
            e.text = std::string_view(c->text).substr(off, c->text_len[i]);
            off += c->text_len[i];
            sink_.on_event(e);
        }
        c->events.clear();
        c->text_len.clear();
        c->text.clear();
        {
            std::lock_guard lk(mu_);
            free_.push_back(std::move(c));
            --in_use_;
            busy_ = false;
        }
        cv_.notify_all();
    }
}

std::string BackgroundDigest::digest() {
    if (!current_->events.empty()) submit();
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return full_.empty() && !busy_; });
    return sink_.current();
}

}  // namespace rcusim::explore
