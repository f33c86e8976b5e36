// Strict JSON parsing (SAX, with byte positions), the scenario reader and the canonical writer.
#include "scenario/scenario_json.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>
#include <unordered_set>

namespace rcusim::scenario {

using nlohmann::json;

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the parser and the reader.

std::string pointer_token(const std::string& key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

std::string quote_value(const std::string& s) {
    constexpr std::size_t kMax = 60;
    std::string out = "\"";
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i, ++n) {
        if (n >= kMax) {
            // Do not cut a UTF-8 sequence in half.
            while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) {
                out += s[i++];
            }
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += s[i];
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += s[i];
        }
    }
    return out + "\"";
}

namespace {

// 1-based line and column of byte `offset`; the column counts UTF-8 characters.
std::pair<int, int> line_col(const std::string& text, std::size_t offset) {
    offset = std::min(offset, text.size());
    int line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    int col = 1;
    for (std::size_t i = line_start; i < offset; ++i)
        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++col;
    return {line, col};
}

// An input iterator over the text that counts the bytes nlohmann's lexer has consumed, so the
// SAX handler knows where it is.
class CountingIterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    CountingIterator(const char* p, std::size_t* consumed) : p_(p), consumed_(consumed) {}
    reference operator*() const { return *p_; }
    CountingIterator& operator++() {
        ++p_;
        ++*consumed_;
        return *this;
    }
    CountingIterator operator++(int) {
        CountingIterator old = *this;
        ++*this;
        return old;
    }
    bool operator==(const CountingIterator& o) const { return p_ == o.p_; }
    bool operator!=(const CountingIterator& o) const { return p_ != o.p_; }

   private:
    const char* p_;
    std::size_t* consumed_;
};

// Builds the DOM (or, in locate mode, only walks it looking for a pointer), rejecting
// duplicate keys and deep nesting, and turning syntax errors into ConfigErrors.
class StrictSax {
   public:
    // Build mode.
    StrictSax(const std::string& text, const std::size_t* consumed, const std::string& origin)
        : text_(text), consumed_(consumed), origin_(&origin) {}
    // Locate mode: finds the start of the value `target` names, or of its deepest ancestor.
    StrictSax(const std::string& text, const std::size_t* consumed, const std::string* target)
        : text_(text), consumed_(consumed), target_(target) {}

    json& root() { return root_; }
    std::optional<std::size_t> found() const { return found_; }

    bool null() { return scalar(json(nullptr)); }
    bool boolean(bool v) { return scalar(json(v)); }
    bool number_integer(json::number_integer_t v) { return scalar(json(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return scalar(json(v)); }
    bool number_float(json::number_float_t v, const std::string&) { return scalar(json(v)); }
    bool string(std::string& v) { return scalar(json(std::move(v))); }
    bool binary(json::binary_t& v) { return scalar(json::binary(std::move(v))); }
    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(std::string& k) {
        Frame& f = frames_.back();
        f.key = std::move(k);
        if (!locating() && !f.seen.insert(f.key).second) {
            const auto [line, col] = line_col(text_, token_start());
            throw ConfigError(*origin_, child_pointer(),
                              "duplicate key " + quote_value(f.key) +
                                  " (a key may appear only once in an object)",
                              line, col);
        }
        last_end_ = *consumed_;
        return true;
    }

    bool parse_error(std::size_t position, const std::string& last_token,
                     const nlohmann::detail::exception& ex) {
        if (locating()) return false;
        std::string what = ex.what();
        const std::size_t at = what.find(": ", what.find("column"));
        const std::size_t tag_end = what.find("] ");
        if (at != std::string::npos)
            what = what.substr(at + 2);
        else if (what.rfind("[json.exception.", 0) == 0 && tag_end != std::string::npos)
            what = what.substr(tag_end + 2);  // e.g. "number overflow parsing '1e999'"
        // `position` counts the characters read, the offending one included. A well-formed
        // token in the wrong place ("unexpected ...") is reported at its first character, a
        // lexical error at the character that broke it.
        // (nlohmann's last_token is exact only for strings and numbers; literals have a fixed
        // length; every other token is one character.)
        std::size_t len = 1;
        if (what.find("unexpected string literal") != std::string::npos ||
            what.find("unexpected number literal") != std::string::npos)
            len = raw_length(last_token);
        else if (what.find("unexpected true literal") != std::string::npos ||
                 what.find("unexpected null literal") != std::string::npos)
            len = 4;
        else if (what.find("unexpected false literal") != std::string::npos)
            len = 5;
        const std::size_t offset = len >= 1 && len <= position ? position - len : 0;
        const auto [line, col] = line_col(text_, offset);
        throw ConfigError(*origin_, "", what, line, col);
    }

   private:
    struct Frame {
        json* node = nullptr;  // build mode only
        bool object = false;
        std::size_t index = 0;  // arrays: index of the next element
        std::string key;        // objects: the current key
        std::unordered_set<std::string> seen;
        std::string pointer;  // of this container
    };

    bool locating() const { return target_ != nullptr; }

    // Bytes of a token as nlohmann prints it: control characters appear as "<U+001F>".
    static std::size_t raw_length(const std::string& token) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < token.size(); ++n)
            i += token.compare(i, 4, "<U+") == 0 && i + 8 <= token.size() && token[i + 7] == '>'
                     ? 8
                     : 1;
        return n;
    }

    // Offset of the first byte of the token whose SAX event is being handled.
    std::size_t token_start() const {
        std::size_t i = last_end_;
        while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\r' ||
                                    text_[i] == '\n' || text_[i] == ',' || text_[i] == ':'))
            ++i;
        return i;
    }

    std::string child_pointer() const {
        if (frames_.empty()) return "";
        const Frame& f = frames_.back();
        return f.pointer + "/" + (f.object ? pointer_token(f.key) : std::to_string(f.index));
    }

    // Locate mode: remembers `p` if it is the target or one of its ancestors; false once the
    // target itself is found (stops the parse).
    bool note(const std::string& p) {
        const std::string& t = *target_;
        if (p == t) {
            found_ = token_start();
            return false;
        }
        if (t.size() > p.size() && t.compare(0, p.size(), p) == 0 && t[p.size()] == '/')
            found_ = token_start();
        return true;
    }

    // Places `v` under the current container (build mode); returns where it went.
    json* place(json&& v) {
        if (frames_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        Frame& f = frames_.back();
        if (f.object) {
            json& slot = (*f.node)[f.key];
            slot = std::move(v);
            return &slot;
        }
        f.node->push_back(std::move(v));
        return &f.node->back();
    }

    bool scalar(json&& v) {
        bool go_on = true;
        if (locating())
            go_on = note(child_pointer());
        else
            place(std::move(v));
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        last_end_ = *consumed_;
        return go_on;
    }

    bool open(bool object) {
        Frame f;
        f.object = object;
        f.pointer = child_pointer();
        if (locating()) {
            if (!note(f.pointer)) return false;
        } else {
            if (static_cast<int>(frames_.size()) >= kMaxJsonDepth) {
                const auto [line, col] = line_col(text_, token_start());
                throw ConfigError(
                    *origin_, f.pointer,
                    "nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels", line, col);
            }
            f.node = place(object ? json::object() : json::array());
        }
        frames_.push_back(std::move(f));
        last_end_ = *consumed_;
        return true;
    }

    bool close() {
        frames_.pop_back();
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
        last_end_ = *consumed_;
        return true;
    }

    const std::string& text_;
    const std::size_t* consumed_;
    const std::string* origin_ = nullptr;
    const std::string* target_ = nullptr;
    json root_;
    std::vector<Frame> frames_;
    std::size_t last_end_ = 0;
    std::optional<std::size_t> found_;
};

// Rejects NUL bytes, UTF-16 and invalid UTF-8 before the JSON parser sees the text.
void check_encoding(const std::string& text, const std::string& origin) {
    const auto* b = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    if (n >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF)))
        throw ConfigError(origin, "", "the file is UTF-16 encoded; save it as UTF-8", 1, 1);
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = b[i];
        if (c == 0) {
            const auto [line, col] = line_col(text, i);
            throw ConfigError(origin, "", "NUL byte: this is not a JSON text file", line, col);
        }
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned cp = 0;
        if (c >= 0xC2 && c <= 0xDF)
            len = 2, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            len = 3, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            len = 4, cp = c & 0x07;
        bool ok = len != 0 && i + len <= n;
        for (std::size_t k = 1; ok && k < len; ++k) {
            ok = (b[i + k] & 0xC0) == 0x80;
            cp = (cp << 6) | (b[i + k] & 0x3F);
        }
        // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
        if (ok && ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                   (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
            ok = false;
        if (!ok) {
            const auto [line, col] = line_col(text, i);
            char buf[8];
            std::snprintf(buf, sizeof buf, "0x%02X", c);
            throw ConfigError(
                origin, "",
                std::string("invalid UTF-8 (byte ") + buf + "); scenario files must be UTF-8 text",
                line, col);
        }
        i += len;
    }
}

}  // namespace

std::string input_name(const std::string& path) { return path == "-" ? "<stdin>" : path; }

std::string read_input_file(const std::string& given, std::size_t max_bytes) {
    namespace fs = std::filesystem;
    const bool from_stdin = given == "-";  // "-": standard input, named <stdin> in errors
    const std::string path = input_name(given);
    std::error_code ec;
    const fs::file_status st = from_stdin ? fs::file_status(fs::file_type::unknown)
                                          : fs::status(path, ec);
    // Standard input is not checked: a pipe, a terminal or a redirected file.
    if (!from_stdin && (ec || !fs::exists(st))) {
        const std::string why = ec && ec.value() != ENOENT ? ec.message() : "no such file";
        throw ConfigError(path, "", "cannot read: " + why);
    }
    if (fs::is_directory(st)) throw ConfigError(path, "", "cannot read: is a directory");
    std::FILE* f = from_stdin ? stdin : std::fopen(path.c_str(), "rb");
    if (f == nullptr)
        throw ConfigError(path, "", std::string("cannot read: ") + std::strerror(errno));
    std::string text;
    if (fs::is_regular_file(st)) {
        const auto size = fs::file_size(path, ec);
        if (!ec && size <= max_bytes) text.reserve(size);
    }
    char buf[65536];
    bool too_big = false;
    bool failed = false;
    while (true) {
        const std::size_t got = std::fread(buf, 1, sizeof buf, f);
        if (got > 0) {
            if (text.size() + got > max_bytes) {
                too_big = true;
                break;
            }
            text.append(buf, got);
        }
        if (got < sizeof buf) {
            failed = std::ferror(f) != 0;
            break;
        }
    }
    const int err = errno;
    if (!from_stdin) std::fclose(f);
    if (too_big) {
        const std::string limit = max_bytes % (std::size_t{1} << 20) == 0
                                      ? std::to_string(max_bytes >> 20) + " MiB"
                                      : std::to_string(max_bytes) + " bytes";
        throw ConfigError(
            path, "",
            "file is larger than " + limit + "; a scenario or repro file is never that large");
    }
    if (failed) throw ConfigError(path, "", std::string("cannot read: ") + std::strerror(err));
    return text;
}

json parse_json_strict(const std::string& text, const std::string& origin) {
    check_encoding(text, origin);
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw ConfigError(origin, "", "the file is empty; expected a JSON object", 1, 1);
    std::size_t consumed = 0;
    StrictSax sax(text, &consumed, origin);
    const char* b = text.data();
    json::sax_parse(CountingIterator(b, &consumed), CountingIterator(b + text.size(), &consumed),
                    &sax, json::input_format_t::json, /*strict=*/true);
    return std::move(sax.root());
}

std::pair<int, int> locate_pointer(const std::string& text, const std::string& pointer) {
    std::size_t consumed = 0;
    StrictSax sax(text, &consumed, &pointer);
    const char* b = text.data();
    try {
        json::sax_parse(CountingIterator(b, &consumed),
                        CountingIterator(b + text.size(), &consumed), &sax,
                        json::input_format_t::json, /*strict=*/false);
    } catch (const std::exception&) {
        return {0, 0};
    }
    if (!sax.found()) return {0, 0};
    return line_col(text, *sax.found());
}

ConfigError locate_error(const ConfigError& e, const std::string& text) {
    if (e.line() > 0) return e;
    const auto [line, col] = locate_pointer(text, e.pointer());
    return ConfigError(e.file(), e.pointer(), e.message(), line, col);
}

// ---------------------------------------------------------------------------------------------
// The scenario reader.

namespace {

const std::vector<std::string> kTopKeys = {"format", "name",   "description", "machine", "kernel",
                                           "memory", "events", "explore",     "run",     "expect",
                                           "$schema"};
const std::vector<std::string> kMachineKeys = {"cpus", "hz", "nocb_cpus", "group_size"};
const std::vector<std::string> kKernelKeys = {"variant", "switches", "lazy_flush", "qhimark",
                                              "gp_duration", "source", "tree", "data_races"};
const std::vector<std::string> kDataRaces = {"default", "strict", "off"};
const std::vector<std::string> kMemoryKeys = {"pressure"};
const std::vector<std::string> kWindowKeys = {"from", "to"};
const std::vector<std::string> kExploreKeys = {"strategy", "seed", "max_delay", "delay_in_irq_off",
                                               "decisions"};
const std::vector<std::string> kDecisionKeys = {"point", "kind", "value"};
const std::vector<std::string> kRunKeys = {"until", "max_steps"};
const std::vector<std::string> kExpectKeys = {"violations"};
const std::vector<std::string> kStrategies = {"random", "scripted", "pct"};
const std::vector<std::string> kDecisionKinds = {"pick", "delay"};
// Keys some op takes, beyond at / op / cpu.
const std::vector<std::string> kEventOptionKeys = {"lazy",     "count",      "every",
                                                   "irqs_off", "nr_to_scan", "target"};

constexpr const char* kFormat = "rcusim-scenario/1";

struct OpSpec {
    Op op;
    std::vector<std::string> keys;  // beyond at / op / cpu, in canonical order
    bool cpu_set = false;           // "cpu" may be a CPU set (one stream per CPU)
};

const std::vector<OpSpec>& op_specs() {
    static const std::vector<OpSpec> specs = {
        {Op::kCallRcu, {"lazy", "count", "every", "irqs_off"}, true},
        {Op::kCallRcuHurry, {"count", "every", "irqs_off"}, true},
        {Op::kShrink, {"nr_to_scan"}},
        {Op::kDropCaches, {}},
        {Op::kOffload, {"target"}},
        {Op::kDeoffload, {"target"}},
        {Op::kRcuBarrier, {}},
        {Op::kAlloc, {}},
        {Op::kCpuOffline, {"target"}},
        {Op::kCpuOnline, {"target"}},
    };
    return specs;
}

const OpSpec& spec_of(Op op) { return op_specs()[static_cast<std::size_t>(op)]; }

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// "unknown X 'word' (did you mean 'y'?)" or "...; expected one of: a, b, c".
std::string unknown(const std::string& what, const std::string& word,
                    const std::vector<std::string>& candidates) {
    std::string msg = "unknown " + what + " " + quote_value(word);
    const std::string close = did_you_mean(word, candidates);
    if (!close.empty()) return msg + " (did you mean '" + close + "'?)";
    return msg + "; expected one of: " + join(candidates);
}

// What a value is, for "expected ..., found ..." messages.
std::string found(const json& v) {
    switch (v.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return v.get<bool>() ? "true" : "false";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
        case json::value_t::number_float:
            return v.dump();
        case json::value_t::string:
            return "a string " + quote_value(v.get<std::string>());
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        default:
            return "a binary value";
    }
}

std::string range_text(std::int64_t lo, std::int64_t hi) {
    if (hi == INT64_MAX) return ">= " + std::to_string(lo);
    return std::to_string(lo) + ".." + std::to_string(hi);
}

class Reader {
   public:
    Reader(const std::string& origin, const std::string& prefix)
        : origin_(origin), prefix_(prefix) {}

    Scenario read(const json& root) {
        Scenario s;
        if (!root.is_object()) fail("", "a scenario must be a JSON object, found " + found(root));
        read_format(root);
        check_keys(root, "", kTopKeys);
        // "$schema" lets editors find the schema; it means nothing to rcusim.
        if (const json* v = member(root, "$schema")) string(*v, "/$schema", "the schema's URL or path");
        read_names(root, s);
        read_machine(member(root, "machine"), s);
        read_kernel(member(root, "kernel"), s);
        read_memory(member(root, "memory"), s);
        read_events(member(root, "events"), s);
        read_explore(member(root, "explore"), s);
        read_run(member(root, "run"), s);
        read_expect(member(root, "expect"), s);
        return s;
    }

   private:
    [[noreturn]] void fail(const std::string& ptr, const std::string& msg) const {
        throw ConfigError(origin_, prefix_ + ptr, msg);
    }

    static const json* member(const json& obj, const std::string& key) {
        const auto it = obj.find(key);
        return it == obj.end() ? nullptr : &*it;
    }

    static std::string at(const std::string& ptr, const std::string& key) {
        return ptr + "/" + pointer_token(key);
    }

    const json& require(const json& obj, const std::string& ptr, const std::string& key,
                        const std::string& what) const {
        const json* v = member(obj, key);
        if (v == nullptr) fail(at(ptr, key), "missing required key '" + key + "' (" + what + ")");
        return *v;
    }

    void object(const json& v, const std::string& ptr, const std::vector<std::string>& keys,
                const std::string& what) const {
        if (!v.is_object()) fail(ptr, "expected " + what + " (an object), found " + found(v));
        check_keys(v, ptr, keys);
    }

    void check_keys(const json& obj, const std::string& ptr,
                    const std::vector<std::string>& keys) const {
        for (const auto& [k, v] : obj.items()) {
            if (!contains(keys, k)) fail(at(ptr, k), unknown("key", k, keys));
        }
    }

    std::int64_t integer(const json& v, const std::string& ptr, std::int64_t lo,
                         std::int64_t hi) const {
        const bool ok =
            v.is_number_integer() &&
            !(v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t{INT64_MAX}) &&
            v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
        if (!ok) fail(ptr, "expected an integer " + range_text(lo, hi) + ", found " + found(v));
        return v.get<std::int64_t>();
    }

    std::uint64_t unsigned64(const json& v, const std::string& ptr) const {
        if (v.is_number_unsigned()) return v.get<std::uint64_t>();
        fail(ptr, "expected an integer 0..18446744073709551615, found " + found(v));
    }

    bool boolean(const json& v, const std::string& ptr) const {
        if (!v.is_boolean()) fail(ptr, "expected true or false, found " + found(v));
        return v.get<bool>();
    }

    std::string string(const json& v, const std::string& ptr, const std::string& what) const {
        if (!v.is_string()) fail(ptr, "expected " + what + " (a string), found " + found(v));
        return v.get<std::string>();
    }

    // min_ns is 0 (">= 0") or 1 ("> 0").
    Time duration(const json& v, const std::string& ptr, int hz, Time min_ns) const {
        Time t = 0;
        if (v.is_number_integer()) {
            if (v.is_number_unsigned()) {
                if (v.get<std::uint64_t>() > std::uint64_t(engine::kTimeMax))
                    fail(ptr, "duration " + v.dump() + " (ns) is too large (the limit is " +
                                  std::to_string(engine::kTimeMax / engine::kSec) +
                                  "s, about 73 years)");
                t = v.get<Time>();
            } else {
                t = v.get<Time>();
                if (t < 0) fail(ptr, "negative duration " + v.dump() + ": durations must be >= 0");
            }
        } else if (v.is_string()) {
            std::string why;
            const auto parsed = parse_duration(v.get<std::string>(), hz, &why);
            if (!parsed) fail(ptr, why);
            t = *parsed;
        } else {
            fail(ptr,
                 "expected a duration (integer nanoseconds or a string such as \"10ms\"), found " +
                     found(v));
        }
        if (t < min_ns) {
            fail(ptr, "expected a duration > 0, found " +
                          (v.is_string() ? quote_value(v.get<std::string>()) : v.dump()));
        }
        return t;
    }

    // A CPU set: "all", "none", a range string, one CPU id or an array of CPU ids.
    std::vector<int> cpu_set(const json& v, const std::string& ptr, int ncpus,
                             std::string* spec) const {
        if (v.is_number_integer()) {
            const int c = static_cast<int>(integer(v, ptr, 0, ncpus - 1));
            *spec = std::to_string(c);
            return {c};
        }
        if (v.is_string()) {
            std::string why;
            auto set = parse_cpu_set(v.get<std::string>(), ncpus, &why);
            if (!set) fail(ptr, why);
            *spec = v.get<std::string>();
            return *set;
        }
        if (v.is_array()) {
            std::vector<int> out;
            for (std::size_t i = 0; i < v.size(); ++i) {
                const std::string p = ptr + "/" + std::to_string(i);
                if (!v[i].is_number_integer()) {
                    fail(p, "expected a CPU id " + range_text(0, ncpus - 1) + ", found " +
                                found(v[i]));
                }
                out.push_back(static_cast<int>(integer(v[i], p, 0, ncpus - 1)));
            }
            std::sort(out.begin(), out.end());
            out.erase(std::unique(out.begin(), out.end()), out.end());
            *spec = format_cpu_set(out);
            return out;
        }
        fail(ptr,
             "expected a CPU set (\"all\", \"none\", a range list such as \"0-3,7\" or an "
             "array of CPU ids), found " +
                 found(v));
    }

    void read_format(const json& root) const {
        const json& f = require(root, "", "format", std::string("\"") + kFormat + "\"");
        const std::string v = string(f, "/format", std::string("\"") + kFormat + "\"");
        if (v == kFormat) return;
        if (v == "rcusim-repro/1")
            fail("/format", "this is a repro file, not a scenario; run it with `rcusim replay`");
        if (v == "rcusim-fuzz/1")
            fail("/format", "this is a campaign summary (fuzz --out), not a scenario; `rcusim "
                            "merge` reads it, its \"failures\" name repro files for `rcusim replay`");
        fail("/format",
             "unsupported format " + quote_value(v) + "; this rcusim reads \"" + kFormat + "\"");
    }

    void read_names(const json& root, Scenario& s) const {
        s.name = string(require(root, "", "name", "the scenario's name"), "/name", "a name");
        if (s.name.empty()) fail("/name", "the name must not be empty");
        for (unsigned char c : s.name)
            if (c < 0x20 || c == 0x7f)
                fail("/name", "the name must not contain control characters");
        if (const json* d = member(root, "description"))
            s.description = string(*d, "/description", "a description");
    }

    void read_machine(const json* m, Scenario& s) const {
        const std::string ptr = "/machine";
        if (m != nullptr) {
            object(*m, ptr, kMachineKeys, "the machine");
            if (const json* v = member(*m, "cpus"))
                s.cpus = static_cast<int>(integer(*v, ptr + "/cpus", 1, kMaxCpus));
            if (const json* v = member(*m, "hz"))
                s.hz = static_cast<int>(integer(*v, ptr + "/hz", 1, kMaxHz));
            if (const json* v = member(*m, "nocb_cpus"))
                s.nocb_cpus = cpu_set(*v, ptr + "/nocb_cpus", s.cpus, &s.nocb_spec);
            if (const json* v = member(*m, "group_size"))
                s.group_size = static_cast<int>(integer(*v, ptr + "/group_size", 0, s.cpus));
        }
        if (m == nullptr || member(*m, "nocb_cpus") == nullptr) {
            std::string why;
            s.nocb_cpus = *parse_cpu_set(s.nocb_spec, s.cpus, &why);
        }
    }

    void read_kernel(const json* k, Scenario& s) const {
        const std::string ptr = "/kernel";
        if (k != nullptr) {
            object(*k, ptr, kKernelKeys, "the kernel settings");
            if (const json* v = member(*k, "variant")) {
                s.variant = string(*v, ptr + "/variant", "a variant preset name");
                if (kernel::find_preset(s.variant) == nullptr) {
                    std::vector<std::string> names;
                    for (const auto& p : kernel::presets()) names.push_back(p.name);
                    fail(ptr + "/variant", unknown("variant", s.variant, names));
                }
            }
            if (const json* v = member(*k, "switches")) read_switches(*v, ptr + "/switches", s);
            if (const json* v = member(*k, "lazy_flush"))
                s.lazy_flush = duration(*v, ptr + "/lazy_flush", s.hz, 1);
            if (const json* v = member(*k, "qhimark"))
                s.qhimark = integer(*v, ptr + "/qhimark", 1, 1'000'000'000);
            if (const json* v = member(*k, "gp_duration"))
                s.gp_duration = duration(*v, ptr + "/gp_duration", s.hz, 1);
            if (const json* v = member(*k, "source")) {
                s.kernel_source = string(*v, ptr + "/source",
                                         "a kernel source directory or linux-source-*.tar.xz");
                if (s.kernel_source.empty())
                    fail(ptr + "/source", "expected a kernel source directory or "
                                          "linux-source-*.tar.xz, got an empty string");
            }
            if (const json* v = member(*k, "data_races")) {
                s.data_races = string(*v, ptr + "/data_races", "default, strict or off");
                if (!contains(kDataRaces, s.data_races))
                    fail(ptr + "/data_races", unknown("data-race mode", s.data_races, kDataRaces));
            }
            if (const json* v = member(*k, "tree")) {
                s.kernel_tree = string(*v, ptr + "/tree", "the tree's content hash (sha256:...)");
                bool ok = s.kernel_tree.size() == 71 && s.kernel_tree.rfind("sha256:", 0) == 0 &&
                          s.kernel_tree.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
                if (!ok)
                    fail(ptr + "/tree", "expected \"sha256:\" and 64 lowercase hex digits, got \"" +
                                            s.kernel_tree + "\"");
            }
        }
        s.switches = kernel::find_preset(s.variant)->switches;
        for (const auto& [name, value] : s.switch_overrides) {
            if (name == "shrinker")
                kernel::set_shrinker(s.switches, value);
            else
                kernel::set_switch(s.switches, name, value == "true");
        }
    }

    void read_switches(const json& sw, const std::string& ptr, Scenario& s) const {
        if (!sw.is_object())
            fail(ptr, "expected the switch overrides (an object), found " + found(sw));
        std::vector<std::string> names;
        for (const auto& info : kernel::switch_infos()) names.push_back(info.name);
        for (const auto& item : sw.items()) {
            const std::string& name = item.key();
            const json& v = item.value();
            const std::string p = at(ptr, name);
            const auto info =
                std::find_if(kernel::switch_infos().begin(), kernel::switch_infos().end(),
                             [&](const kernel::SwitchInfo& i) { return name == i.name; });
            if (info == kernel::switch_infos().end()) fail(p, unknown("switch", name, names));
            if (std::string(info->kind) == "shrinker") {
                kernel::Switches probe;
                if (!v.is_string() || !kernel::set_shrinker(probe, v.get<std::string>())) {
                    fail(p, "switch '" + name + "' takes \"V0\", \"V1\", \"V2\" or \"V3\", found " +
                                found(v));
                }
                s.switch_overrides.emplace_back(name, v.get<std::string>());
            } else {
                if (!v.is_boolean())
                    fail(p, "switch '" + name + "' takes true or false, found " + found(v));
                s.switch_overrides.emplace_back(name, v.get<bool>() ? "true" : "false");
            }
        }
    }

    void read_memory(const json* m, Scenario& s) const {
        if (m == nullptr) return;
        const std::string ptr = "/memory";
        object(*m, ptr, kMemoryKeys, "the memory settings");
        const json* pr = member(*m, "pressure");
        if (pr == nullptr) return;
        const std::string pp = ptr + "/pressure";
        if (!pr->is_array())
            fail(pp,
                 "expected a list of {\"from\", \"to\"} windows (an array), found " + found(*pr));
        for (std::size_t i = 0; i < pr->size(); ++i) {
            const std::string wp = pp + "/" + std::to_string(i);
            const json& w = (*pr)[i];
            object(w, wp, kWindowKeys, "a pressure window");
            Window win;
            win.from =
                duration(require(w, wp, "from", "start of the window"), wp + "/from", s.hz, 0);
            win.to = duration(require(w, wp, "to", "end of the window"), wp + "/to", s.hz, 0);
            if (win.from >= win.to) {
                fail(wp, "reversed window: from (" + format_duration(win.from) +
                             ") must be before to (" + format_duration(win.to) + ")");
            }
            s.pressure.push_back(win);
        }
    }

    void read_events(const json* evs, Scenario& s) const {
        if (evs == nullptr) return;
        const std::string ptr = "/events";
        if (!evs->is_array())
            fail(ptr, "expected a list of events (an array), found " + found(*evs));
        if (evs->size() > static_cast<std::size_t>(kMaxEvents)) {
            fail(ptr, std::to_string(evs->size()) + " events, which would exhaust memory; the " +
                          "limit is " + std::to_string(kMaxEvents));
        }
        std::int64_t total = 0;    // callbacks over all events; bounded, so no overflow
        std::int64_t streams = 0;  // events, one per CPU of a CPU set; bounded likewise
        s.events.reserve(evs->size());
        for (std::size_t i = 0; i < evs->size(); ++i) {
            const std::string ep = ptr + "/" + std::to_string(i);
            Event e = read_event((*evs)[i], ep, s);
            streams += static_cast<std::int64_t>(e.cpus.size());
            if (streams > kMaxEvents) {
                fail(ep + "/cpu", "events up to " + ep + " start " + std::to_string(streams) +
                                      " event streams (one per CPU of a CPU set), which would "
                                      "exhaust memory; the limit is " +
                                      std::to_string(kMaxEvents));
            }
            if (e.op == Op::kCallRcu || e.op == Op::kCallRcuHurry) {
                total += e.count * static_cast<std::int64_t>(e.cpus.size());
                if (total > kMaxTotalCallbacks) {
                    fail(ptr, "events up to /events/" + std::to_string(i) + " queue " +
                                  std::to_string(total) +
                                  " callbacks (count x CPUs), which would exhaust memory; the "
                                  "limit is " +
                                  std::to_string(kMaxTotalCallbacks));
                }
            }
            s.events.push_back(std::move(e));
        }
    }

    Event read_event(const json& v, const std::string& ptr, const Scenario& s) const {
        if (!v.is_object()) fail(ptr, "expected an event (an object), found " + found(v));
        Event e;
        const std::string op_text =
            string(require(v, ptr, "op", "what the event does"), ptr + "/op", "an op name");
        const auto& names = op_names();
        const auto it = std::find(names.begin(), names.end(), op_text);
        if (it == names.end()) fail(ptr + "/op", unknown("op", op_text, names));
        e.op = static_cast<Op>(it - names.begin());
        const OpSpec& spec = spec_of(e.op);

        std::vector<std::string> allowed = {"at", "op", "cpu"};
        allowed.insert(allowed.end(), spec.keys.begin(), spec.keys.end());
        for (const auto& [k, unused] : v.items()) {
            if (contains(allowed, k)) continue;
            if (contains(kEventOptionKeys, k)) {
                std::string msg = "key '" + k + "' is not allowed for op '" + op_text + "'";
                if (e.op == Op::kCallRcuHurry && k == "lazy")
                    msg += " (call_rcu_hurry is never lazy; use call_rcu for lazy callbacks)";
                fail(at(ptr, k), msg);
            }
            fail(at(ptr, k), unknown("key", k, allowed));
        }

        e.at = duration(require(v, ptr, "at", "when it happens"), ptr + "/at", s.hz, 0);
        const json& cpu = require(v, ptr, "cpu", "the CPU the caller runs on");
        if (spec.cpu_set) {
            e.cpus = cpu_set(cpu, ptr + "/cpu", s.cpus, &e.cpu_spec);
            if (e.cpus.empty()) fail(ptr + "/cpu", "the CPU set is empty; name at least one CPU");
        } else {
            if (!cpu.is_number_integer()) {
                fail(ptr + "/cpu", "op '" + op_text + "' runs on one CPU: expected a CPU id " +
                                       range_text(0, s.cpus - 1) + ", found " + found(cpu));
            }
            const int c = static_cast<int>(integer(cpu, ptr + "/cpu", 0, s.cpus - 1));
            e.cpus = {c};
            e.cpu_spec = std::to_string(c);
        }
        if (e.op == Op::kCallRcuHurry) e.lazy = false;
        if (const json* x = member(v, "lazy")) e.lazy = boolean(*x, ptr + "/lazy");
        if (const json* x = member(v, "count"))
            e.count = integer(*x, ptr + "/count", 1, kMaxCallbacksPerEvent);
        if (const json* x = member(v, "every")) e.every = duration(*x, ptr + "/every", s.hz, 0);
        if (const json* x = member(v, "irqs_off")) e.irqs_off = boolean(*x, ptr + "/irqs_off");
        if (const json* x = member(v, "nr_to_scan"))
            e.nr_to_scan = integer(*x, ptr + "/nr_to_scan", 1, INT64_MAX);
        if (contains(spec.keys, "target")) {
            const json& t = require(v, ptr, "target", "the CPU to act on");
            e.target = static_cast<int>(integer(t, ptr + "/target", 0, s.cpus - 1));
        }
        // The last callback of a stream must still be representable in virtual time.
        const __int128 end = __int128{e.at} + __int128{e.count - 1} * e.every;
        if (end > engine::kTimeMax) {
            fail(ptr + "/every",
                 "the stream's last callback would come after the end of "
                 "simulated time (about 73 years)");
        }
        return e;
    }

    void read_explore(const json* x, Scenario& s) const {
        if (x == nullptr) return;
        const std::string ptr = "/explore";
        object(*x, ptr, kExploreKeys, "the exploration settings");
        if (const json* v = member(*x, "strategy")) {
            s.strategy = string(*v, ptr + "/strategy", "a strategy name");
            if (!contains(kStrategies, s.strategy))
                fail(ptr + "/strategy", unknown("strategy", s.strategy, kStrategies));
        }
        if (const json* v = member(*x, "seed")) s.seed = unsigned64(*v, ptr + "/seed");
        if (const json* v = member(*x, "max_delay"))
            s.max_delay = duration(*v, ptr + "/max_delay", s.hz, 0);
        if (const json* v = member(*x, "delay_in_irq_off"))
            s.delay_in_irq_off = boolean(*v, ptr + "/delay_in_irq_off");
        if (const json* v = member(*x, "decisions")) read_decisions(*v, ptr + "/decisions", s);
    }

    void read_decisions(const json& v, const std::string& ptr, Scenario& s) const {
        if (!v.is_array()) {
            fail(ptr,
                 "expected a list of {\"point\", \"kind\", \"value\"} decisions (an array), "
                 "found " +
                     found(v));
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string dp = ptr + "/" + std::to_string(i);
            const json& d = v[i];
            object(d, dp, kDecisionKeys, "a decision");
            engine::Decision dec;
            dec.index = unsigned64(require(d, dp, "point", "decision point number"), dp + "/point");
            const std::string kind =
                string(require(d, dp, "kind", "\"pick\" or \"delay\""), dp + "/kind", "a kind");
            if (!contains(kDecisionKinds, kind))
                fail(dp + "/kind", unknown("decision kind", kind, kDecisionKinds));
            dec.kind = kind == "pick" ? engine::DecisionKind::kPick : engine::DecisionKind::kDelay;
            const json& val = require(d, dp, "value", "the answer, >= 1");
            dec.value = unsigned64(val, dp + "/value");
            if (dec.value == 0) {
                fail(dp + "/value",
                     "expected an integer >= 1, found 0 (0 is the default answer "
                     "and is not stored)");
            }
            if (!s.decisions.entries.empty() && dec.index <= s.decisions.entries.back().index) {
                fail(dp + "/point",
                     "decision points must be strictly increasing: " + std::to_string(dec.index) +
                         " follows " + std::to_string(s.decisions.entries.back().index));
            }
            s.decisions.entries.push_back(dec);
        }
    }

    void read_run(const json* r, Scenario& s) const {
        if (r == nullptr) return;
        object(*r, "/run", kRunKeys, "the run settings");
        if (const json* v = member(*r, "until")) s.until = duration(*v, "/run/until", s.hz, 1);
        if (const json* v = member(*r, "max_steps")) {
            s.max_steps = static_cast<std::uint64_t>(
                integer(*v, "/run/max_steps", 1, static_cast<std::int64_t>(kMaxMaxSteps)));
        }
    }

    void read_expect(const json* x, Scenario& s) const {
        if (x == nullptr) return;
        object(*x, "/expect", kExpectKeys, "the expectations");
        const std::string ptr = "/expect/violations";
        const json& v = require(*x, "/expect", "violations", "the violation kinds expected");
        if (!v.is_array())
            fail(ptr, "expected a list of violation kinds (an array), found " + found(v));
        std::vector<std::string> kinds;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string p = ptr + "/" + std::to_string(i);
            const std::string kind = string(v[i], p, "a violation kind");
            if (!contains(violation_kind_names(), kind))
                fail(p, unknown("violation kind", kind, violation_kind_names()));
            if (contains(kinds, kind)) fail(p, "violation kind '" + kind + "' is listed twice");
            kinds.push_back(kind);
        }
        s.expect = std::move(kinds);
    }

    const std::string& origin_;
    const std::string& prefix_;
};

// The JSON form of a CPU set: an integer for a single CPU written as a number, else the string.
json cpu_json(const std::string& spec, const std::vector<int>& cpus) {
    const std::string text = spec.empty() ? format_cpu_set(cpus) : spec;
    if (cpus.size() == 1 && text == std::to_string(cpus[0])) return cpus[0];
    return text;
}

}  // namespace

Scenario scenario_from_json(const json& j, const std::string& origin,
                            const std::string& pointer_prefix) {
    return Reader(origin, pointer_prefix).read(j);
}

json scenario_to_json(const Scenario& s) {
    json j;
    j["format"] = s.format;
    j["name"] = s.name;
    j["description"] = s.description;
    j["machine"] = {{"cpus", s.cpus},
                    {"hz", s.hz},
                    {"nocb_cpus", s.nocb_spec.empty() ? format_cpu_set(s.nocb_cpus) : s.nocb_spec},
                    {"group_size", s.group_size}};
    json switches = json::object();
    for (const auto& [name, value] : s.switch_overrides) {
        if (value == "true" || value == "false")
            switches[name] = value == "true";
        else
            switches[name] = value;
    }
    j["kernel"] = {{"variant", s.variant},
                   {"switches", switches},
                   {"lazy_flush", format_duration(s.lazy_flush)},
                   {"qhimark", s.qhimark},
                   {"gp_duration", format_duration(s.gp_duration)}};
    if (!s.kernel_source.empty()) j["kernel"]["source"] = s.kernel_source;
    if (!s.kernel_tree.empty()) j["kernel"]["tree"] = s.kernel_tree;
    if (s.data_races != "default") j["kernel"]["data_races"] = s.data_races;
    json pressure = json::array();
    for (const auto& w : s.pressure)
        pressure.push_back({{"from", format_duration(w.from)}, {"to", format_duration(w.to)}});
    j["memory"] = {{"pressure", pressure}};
    json events = json::array();
    for (const auto& e : s.events) {
        json ev = {{"at", format_duration(e.at)},
                   {"op", op_name(e.op)},
                   {"cpu", cpu_json(e.cpu_spec, e.cpus)}};
        for (const auto& k : spec_of(e.op).keys) {
            if (k == "lazy")
                ev[k] = e.lazy;
            else if (k == "count")
                ev[k] = e.count;
            else if (k == "every")
                ev[k] = format_duration(e.every);
            else if (k == "irqs_off")
                ev[k] = e.irqs_off;
            else if (k == "nr_to_scan")
                ev[k] = e.nr_to_scan;
            else if (k == "target")
                ev[k] = e.target;
        }
        events.push_back(std::move(ev));
    }
    j["events"] = std::move(events);
    json explore = {{"strategy", s.strategy},
                    {"seed", s.seed},
                    {"max_delay", format_duration(s.max_delay)},
                    {"delay_in_irq_off", s.delay_in_irq_off}};
    if (!s.decisions.entries.empty()) {
        json decisions = json::array();
        for (const auto& d : s.decisions.entries) {
            decisions.push_back({{"point", d.index},
                                 {"kind", d.kind == engine::DecisionKind::kPick ? "pick" : "delay"},
                                 {"value", d.value}});
        }
        explore["decisions"] = std::move(decisions);
    }
    j["explore"] = std::move(explore);
    j["run"] = {{"until", format_duration(s.until)}, {"max_steps", s.max_steps}};
    if (s.expect) j["expect"] = {{"violations", *s.expect}};
    return j;
}

}  // namespace rcusim::scenario
