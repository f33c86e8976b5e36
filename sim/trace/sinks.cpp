#include "trace/sinks.hpp"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "trace/chrome.hpp"

namespace rcusim::trace {

using engine::TraceEvent;
using engine::TraceType;

namespace {

template <typename Int>
void append_int(std::string& out, Int v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

// Unsigned, zero-padded to at least `width` digits.
void append_padded(std::string& out, std::uint64_t v, int width, char fill) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    auto len = static_cast<int>(end - buf);
    if (len < width) out.append(static_cast<std::size_t>(width - len), fill);
    out.append(buf, end);
}

void append_hex(std::string& out, std::int64_t v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::uint64_t>(v), 16);
    out.append("0x");
    out.append(buf, end);
}

std::string_view safe(const char* s) { return s ? std::string_view(s) : std::string_view(); }

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if invalid.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;  // overlong
        if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;  // overlong
        if (c == 0xf4) hi = 0x8f;  // > U+10FFFF
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
    }
    return n;
}

// Text fields in the text format stay on one line: control characters are escaped.
void append_one_line(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x20 && c != 0x7f) {
            out.push_back(ch);
        } else if (ch == '\n') {
            out.append("\\n");
        } else if (ch == '\t') {
            out.append("\\t");
        } else if (ch == '\r') {
            out.append("\\r");
        } else {
            out.append("\\x");
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        }
    }
}

// "nocb_lock[12]", or the lock kind alone for a global lock (idx < 0), written at `p`, which
// has room for name.size() + 12 characters; returns the end.
char* put_lock_name(char* p, std::string_view name, std::int32_t idx) {
    if (!name.empty()) std::memcpy(p, name.data(), name.size());
    p += name.size();
    if (idx >= 0) {
        *p++ = '[';
        p = std::to_chars(p, p + 10, idx).ptr;
        *p++ = ']';
    }
    return p;
}

void append_lock_name(std::string& out, const TraceEvent& e) {
    const std::string_view name = safe(e.name);
    const std::size_t at = out.size();
    out.resize(at + name.size() + 12);
    out.resize(static_cast<std::size_t>(put_lock_name(out.data() + at, name, e.idx) - out.data()));
}

// JSON object writer for one line: keys in call order. Appends to `out` through a
// stack buffer (a digest renders about a gigabyte of these lines at 4096 CPUs); long string
// values go straight to `out`.
class JsonLine {
   public:
    explicit JsonLine(std::string& out) : out_(out) { *p_++ = '{'; }
    ~JsonLine() { flush(); }
    JsonLine(const JsonLine&) = delete;
    JsonLine& operator=(const JsonLine&) = delete;

    // `k` is a fixed ASCII identifier.
    template <std::size_t N>
    void key(const char (&k)[N]) {
        room(N + 4);
        if (!first_) *p_++ = ',';
        first_ = false;
        *p_++ = '"';
        std::memcpy(p_, k, N - 1);
        p_ += N - 1;
        *p_++ = '"';
        *p_++ = ':';
    }
    template <std::size_t N, typename Int>
    void num(const char (&k)[N], Int v) {
        key(k);
        room(24);
        p_ = std::to_chars(p_, p_ + 24, v).ptr;
    }
    template <std::size_t N>
    void str(const char (&k)[N], std::string_view v) {
        key(k);
        value(v);
    }
    // A JSON string value.
    void value(std::string_view v) {
        if (v.size() + 2 <= kRoom && plain_json(v)) {
            room(v.size() + 2);
            *p_++ = '"';
            if (!v.empty()) std::memcpy(p_, v.data(), v.size());  // data() may be null
            p_ += v.size();
            *p_++ = '"';
            return;
        }
        flush();
        append_json_string(out_, v);
    }
    // A value rendered already (a quoted, escaped string or a literal).
    void raw(std::string_view v) {
        if (v.size() > kRoom) {
            flush();
            out_.append(v);
            return;
        }
        room(v.size());
        if (!v.empty()) std::memcpy(p_, v.data(), v.size());
        p_ += v.size();
    }
    template <std::size_t N>
    void boolean(const char (&k)[N], bool v) {
        key(k);
        raw(v ? "true" : "false");
    }
    void end() { raw("}\n"); }

   private:
    static constexpr std::size_t kRoom = 192;
    void room(std::size_t n) {
        if (static_cast<std::size_t>(buf_ + sizeof buf_ - p_) < n) flush();
    }
    void flush() {
        out_.append(buf_, p_);
        p_ = buf_;
    }
    std::string& out_;
    bool first_ = true;
    char buf_[256];
    char* p_ = buf_;
};

// The event type's name as a JSON string literal.
std::string_view quoted_type_name(TraceType t) {
    static const auto kNames = [] {
        std::array<std::string, 16> names;
        for (int i = 0; i <= static_cast<int>(TraceType::kNote); ++i)
            names[static_cast<std::size_t>(i)] =
                std::string("\"") + engine::trace_type_name(static_cast<TraceType>(i)) + "\"";
        return names;
    }();
    const auto i = static_cast<std::size_t>(t);
    return i < kNames.size() ? std::string_view(kNames[i]) : std::string_view("\"?\"");
}

}  // namespace

// ---- ActorNames ----------------------------------------------------------------------------

void ActorNames::learn(const TraceEvent& e) {
    if (e.type == TraceType::kActorNew) set(e.actor, e.text);
}

void ActorNames::set(engine::ActorId id, std::string_view name) {
    if (id < 0) return;
    auto i = static_cast<std::size_t>(id);
    if (i >= names_.size()) names_.resize(i + 1);
    names_[i].assign(name);
    if (i >= quoted_.size()) quoted_.resize(i + 1);
    quoted_[i].clear();
    if (!name.empty()) append_json_string(quoted_[i], name);
}

std::string_view ActorNames::quoted(engine::ActorId id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= quoted_.size()) return {};
    return quoted_[static_cast<std::size_t>(id)];
}

std::string_view ActorNames::name(engine::ActorId id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= names_.size()) return {};
    return names_[static_cast<std::size_t>(id)];
}

void ActorNames::append(std::string& out, engine::ActorId id) const {
    if (id < 0) {
        out.push_back('-');
        return;
    }
    std::string_view n = name(id);
    if (!n.empty()) {
        out.append(n);
    } else {
        out.append("actor");
        append_int(out, id);
    }
}

// ---- formatting helpers --------------------------------------------------------------------

void append_seconds(std::string& out, engine::Time t, int width) {
    constexpr std::uint64_t kNsPerSec = 1'000'000'000;
    bool negative = t < 0;
    // Magnitude in unsigned arithmetic, so INT64_MIN is safe.
    std::uint64_t mag =
        negative ? std::uint64_t{0} - static_cast<std::uint64_t>(t) : static_cast<std::uint64_t>(t);
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, mag / kNsPerSec);
    int len = static_cast<int>(end - buf) + (negative ? 1 : 0);
    if (len < width) out.append(static_cast<std::size_t>(width - len), ' ');
    if (negative) out.push_back('-');
    out.append(buf, end);
    out.push_back('.');
    append_padded(out, mag % kNsPerSec, 9, '0');
}

bool plain_json(std::string_view s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
    }
    return true;
}

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    if (plain_json(s)) {  // nearly every string: one append
        out.reserve(out.size() + s.size() + 2);
        out.push_back('"');
        out.append(s);
        out.push_back('"');
        return;
    }
    out.push_back('"');
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::size_t n = utf8_sequence_length(s, i);
            if (n == 0) {
                out.append("\\ufffd");
                ++i;
            } else {
                out.append(s.substr(i, n));
                i += n;
            }
            continue;
        }
        switch (c) {
            case '"': out.append("\\\""); break;
            case '\\': out.append("\\\\"); break;
            case '\n': out.append("\\n"); break;
            case '\r': out.append("\\r"); break;
            case '\t': out.append("\\t"); break;
            case '\b': out.append("\\b"); break;
            case '\f': out.append("\\f"); break;
            default:
                if (c < 0x20) {
                    out.append("\\u00");
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xf]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
        ++i;
    }
    out.push_back('"');
}

// ---- JSONL ---------------------------------------------------------------------------------

void append_jsonl_line(std::string& out, const TraceEvent& e, const ActorNames& names) {
    JsonLine j(out);
    j.num("t", e.at);
    j.num("step", e.step);
    j.key("ev");
    j.raw(quoted_type_name(e.type));
    if (e.cpu != engine::kNoCpu) j.num("cpu", e.cpu);
    if (e.actor != engine::kNoActor) {
        j.key("actor");
        std::string_view quoted = names.quoted(e.actor);
        if (!quoted.empty()) {
            j.raw(quoted);
        } else {
            std::string fallback;
            names.append(fallback, e.actor);
            j.value(fallback);
        }
    }
    const std::string_view name = safe(e.name);
    switch (e.type) {
        case TraceType::kActorNew: j.str("name", e.text); break;
        case TraceType::kActorExit: break;
        case TraceType::kStep:
            j.str("label", name);
            if (e.idx >= 0) j.num("arg", e.idx);
            break;
        case TraceType::kLockAcquire:
        case TraceType::kLockRelease:
        case TraceType::kLockContend: {
            j.key("lock");
            if (name.size() <= 64 && plain_json(name)) {  // no string built for the value
                char buf[80];
                buf[0] = '"';
                char* p = put_lock_name(buf + 1, name, e.idx);
                *p++ = '"';
                j.raw(std::string_view(buf, static_cast<std::size_t>(p - buf)));
            } else {
                std::string lock;
                append_lock_name(lock, e);
                j.value(lock);
            }
            if (e.type == TraceType::kLockRelease && e.value == 1) j.boolean("foreign", true);
            break;
        }
        case TraceType::kCounter:
            j.str("counter", name);
            j.num("cpu_of", e.idx);
            j.num("value", e.value);
            break;
        case TraceType::kFlags:
            j.num("rdp", e.idx);
            j.num("flags", e.value);
            j.str("names", e.text);
            break;
        case TraceType::kCallback:
            j.str("what", name);
            j.num("rdp", e.idx);
            j.num("cb", e.value);
            break;
        case TraceType::kGp:
            j.str("what", name);
            j.num("gp", e.value);
            break;
        case TraceType::kTimer:
            j.str("what", name);
            j.num("group", e.idx);
            j.num("expires", e.value);
            break;
        case TraceType::kViolation:
            j.str("kind", name);
            j.str("message", e.text);
            break;
        case TraceType::kNote:
            j.str("label", name);
            j.num("idx", e.idx);
            j.num("value", e.value);
            j.str("text", e.text);
            break;
    }
    j.end();
}

// ---- text ----------------------------------------------------------------------------------

void append_text_line(std::string& out, const TraceEvent& e, const ActorNames& names) {
    constexpr std::size_t kActorWidth = 16;
    append_seconds(out, e.at, 6);
    // The step number, as reports print it ("#133"), in a column of 8.
    out.append(" #");
    const std::size_t step_from = out.size();
    append_int(out, static_cast<std::int64_t>(e.step));
    const std::size_t step_len = out.size() - step_from;
    if (step_len < 7) out.append(7 - step_len, ' ');
    out.append(" [");
    if (e.cpu >= 0) {
        append_padded(out, static_cast<std::uint64_t>(e.cpu), 3, '0');
    } else {
        out.append("---");
    }
    out.append("] ");
    std::size_t actor_from = out.size();
    names.append(out, e.actor);
    std::size_t actor_len = out.size() - actor_from;
    if (actor_len < kActorWidth) out.append(kActorWidth - actor_len, ' ');
    out.push_back(' ');
    out.append(engine::trace_type_name(e.type));

    const std::string_view name = safe(e.name);
    switch (e.type) {
        case TraceType::kActorNew:
            out.push_back(' ');
            append_one_line(out, e.text);
            break;
        case TraceType::kActorExit: break;
        case TraceType::kStep:
            out.push_back(' ');
            append_one_line(out, name);
            if (e.idx >= 0) {
                out.append(" arg=");
                append_int(out, e.idx);
            }
            break;
        case TraceType::kLockAcquire:
        case TraceType::kLockRelease:
        case TraceType::kLockContend: {
            out.push_back(' ');
            std::string lock;
            append_lock_name(lock, e);
            append_one_line(out, lock);
            if (e.type == TraceType::kLockRelease && e.value == 1) out.append(" foreign");
            break;
        }
        case TraceType::kCounter:
            out.push_back(' ');
            append_one_line(out, name);
            out.append(" cpu=");
            append_int(out, e.idx);
            out.append(" value=");
            append_int(out, e.value);
            break;
        case TraceType::kFlags:
            out.append(" rdp=");
            append_int(out, e.idx);
            out.append(" flags=");
            append_hex(out, e.value);
            if (!e.text.empty()) {
                out.push_back(' ');
                append_one_line(out, e.text);
            }
            break;
        case TraceType::kCallback:
            out.push_back(' ');
            append_one_line(out, name);
            out.append(" rdp=");
            append_int(out, e.idx);
            out.append(" cb=");
            append_int(out, e.value);
            break;
        case TraceType::kGp:
            out.push_back(' ');
            append_one_line(out, name);
            out.append(" gp=");
            append_int(out, e.value);
            break;
        case TraceType::kTimer:
            out.push_back(' ');
            append_one_line(out, name);
            out.append(" group=");
            append_int(out, e.idx);
            out.append(" expires=");
            append_seconds(out, e.value);
            break;
        case TraceType::kViolation:
            out.push_back(' ');
            append_one_line(out, name);
            out.append(": ");
            append_one_line(out, e.text);
            break;
        case TraceType::kNote:
            out.push_back(' ');
            append_one_line(out, name);
            out.append(" idx=");
            append_int(out, e.idx);
            out.append(" value=");
            append_int(out, e.value);
            if (!e.text.empty()) {
                out.push_back(' ');
                append_one_line(out, e.text);
            }
            break;
    }
    out.push_back('\n');
}

// ---- filter --------------------------------------------------------------------------------

bool TraceFilter::keep(const TraceEvent& e) const {
    if (!in_window(e.at)) return false;
    if (!cpu_filter) return true;
    switch (e.type) {
        case TraceType::kViolation:
        case TraceType::kGp: return true;
        case TraceType::kLockAcquire:
        case TraceType::kLockRelease:
        case TraceType::kLockContend:
            if (e.idx >= 0) return cpu(e.idx) || cpu(e.cpu);
            return e.cpu < 0 || cpu(e.cpu);
        case TraceType::kCounter:
        case TraceType::kFlags:
        case TraceType::kCallback: return cpu(e.idx) || cpu(e.cpu);
        case TraceType::kTimer: return e.idx < 0 || cpu(e.idx);
        case TraceType::kActorNew:
        case TraceType::kActorExit:
        case TraceType::kStep:
        case TraceType::kNote: return e.cpu < 0 || cpu(e.cpu);
    }
    return true;
}

// ---- sinks ---------------------------------------------------------------------------------

void JsonlSink::on_event(const TraceEvent& e) {
    names_.learn(e);
    if (filter_.active() && !filter_.keep(e)) return;
    line_.clear();
    append_jsonl_line(line_, e, names_);
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

void JsonlSink::finish() { out_.flush(); }

void TextSink::on_event(const TraceEvent& e) {
    names_.learn(e);
    if (filter_.active() && !filter_.keep(e)) return;
    line_.clear();
    append_text_line(line_, e, names_);
    out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

void TextSink::finish() { out_.flush(); }

void DigestSink::on_event(const TraceEvent& e) {
    names_.learn(e);
    const std::size_t before = pending_.size();
    append_jsonl_line(pending_, e, names_);
    ++events_;
    bytes_ += pending_.size() - before;
    // Hash in large batches: the SHA-NI path runs many blocks per call.
    if (pending_.size() >= kBatch) {
        sha_.update(pending_);
        pending_.clear();
    }
}

std::string DigestSink::digest() {
    Sha256 s = sha_;
    s.update(pending_);
    return "sha256:" + s.hex();
}

std::unique_ptr<engine::TraceSink> make_file_sink(const std::string& format, std::ostream& out,
                                                  const TraceFilter& filter) {
    if (format == "jsonl") return std::make_unique<JsonlSink>(out, filter);
    if (format == "text") return std::make_unique<TextSink>(out, filter);
    if (format == "chrome") return std::make_unique<ChromeSink>(out, filter);
    throw std::invalid_argument("unknown trace format '" + format +
                                "' (expected one of: jsonl, text, chrome)");
}

std::string format_for_path(const std::string& path) {
    const std::string ext = std::filesystem::path(path).extension().string();
    if (ext == ".txt" || ext == ".log") return "text";
    if (ext == ".json") return "chrome";
    return "jsonl";
}

// ---- AtomicFile ----------------------------------------------------------------------------

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
    namespace fs = std::filesystem;
    if (path_.empty()) throw std::runtime_error("cannot write a file with an empty path");
    temp_path_ = path_ + ".tmp." + std::to_string(static_cast<long long>(::getpid()));
    fs::path parent = fs::path(path_).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        fs::create_directories(parent, ec);
        if (ec) {
            throw std::runtime_error("cannot create directory '" + parent.string() +
                                     "': " + ec.message());
        }
    }
    out_.open(temp_path_, std::ios::out | std::ios::binary | std::ios::trunc);
    if (!out_) throw std::runtime_error("cannot open '" + temp_path_ + "' for writing");
}

AtomicFile::~AtomicFile() {
    if (!done_) discard();
}

void AtomicFile::commit() {
    if (done_) {
        throw std::logic_error("AtomicFile '" + path_ + "' already " +
                               (committed_ ? "committed" : "discarded"));
    }
    out_.flush();
    bool ok = static_cast<bool>(out_);
    out_.close();
    ok = ok && !out_.fail();
    if (!ok) {
        discard();
        throw std::runtime_error("cannot write '" + temp_path_ + "'");
    }
    std::error_code ec;
    std::filesystem::rename(temp_path_, path_, ec);
    if (ec) {
        discard();
        throw std::runtime_error("cannot rename '" + temp_path_ + "' to '" + path_ +
                                 "': " + ec.message());
    }
    committed_ = true;
    done_ = true;
}

void AtomicFile::discard() noexcept {
    if (done_) return;
    done_ = true;
    if (out_.is_open()) out_.close();
    std::error_code ec;
    std::filesystem::remove(temp_path_, ec);
}

}  // namespace rcusim::trace
