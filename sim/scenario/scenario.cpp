// Scenario values (durations, CPU sets), ConfigError, did-you-mean, and the loading entry
// points. The JSON reader itself lives in scenario_json.cpp.
#include "scenario/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "check/violation.hpp"
#include "scenario/scenario_json.hpp"

namespace rcusim::scenario {

namespace {

using i128 = __int128;

// what() must stay on one line whatever the file name or message holds.
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    return s;
}

std::string render(const std::string& file, const std::string& pointer, const std::string& message,
                   int line, int column) {
    // Appends only: GCC 12 warns falsely (-Wrestrict) on `"literal" + std::string&&`.
    const std::string l = std::to_string(line), c = std::to_string(column);
    std::string out = file;
    if (line > 0 && pointer.empty()) {
        out.append(":").append(l).append(":").append(c).append(": ").append(message);
    } else if (!pointer.empty()) {
        out.append(": ").append(pointer).append(": ").append(message);
        if (line > 0) out.append(" (line ").append(l).append(", column ").append(c).append(")");
    } else {
        out.append(": ").append(message);
    }
    return one_line(std::move(out));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr const char* kOpNames[] = {
    "call_rcu",  "call_rcu_hurry", "shrink", "drop_caches", "offload",
    "deoffload", "rcu_barrier",    "alloc",  "cpu_offline", "cpu_online",
};

constexpr const char* kDurationForm =
    "expected an integer followed by a unit (ns, us, ms, s or j for jiffies), e.g. \"10ms\"";

// Nanoseconds per unit; 0 for jiffies, -1 for an unknown unit.
std::int64_t unit_ns(std::string_view unit) {
    if (unit.empty() || unit == "ns") return 1;
    if (unit == "us") return engine::kUs;
    if (unit == "ms") return engine::kMs;
    if (unit == "s") return engine::kSec;
    if (unit == "j") return 0;
    return -1;
}

std::string too_large(const std::string& text) {
    return "duration " + quote_value(text) + " is too large (the limit is " +
           std::to_string(engine::kTimeMax / engine::kSec) + "s, about 73 years)";
}

std::size_t levenshtein(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

ConfigError::ConfigError(std::string file, std::string pointer, std::string message, int line,
                         int column)
    : std::runtime_error(render(file, pointer, message, line, column)),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      message_(std::move(message)),
      line_(line),
      column_(column) {}

const char* op_name(Op op) {
    const auto i = static_cast<std::size_t>(op);
    return i < std::size(kOpNames) ? kOpNames[i] : "?";
}

const std::vector<std::string>& op_names() {
    static const std::vector<std::string> names(std::begin(kOpNames), std::end(kOpNames));
    return names;
}

const std::vector<std::string>& violation_kind_names() { return check::all_kinds(); }

std::optional<Time> parse_duration(const std::string& text, int hz, std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<Time> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    if (text.empty()) return fail("empty duration; " + std::string(kDurationForm));
    if (text[0] == '-') {
        return fail("negative duration " + quote_value(text) + ": durations must be >= 0");
    }
    if (!is_digit(text[0])) return fail("bad duration " + quote_value(text) + ": " + kDurationForm);

    // Integer part, saturating just above the limit so huge inputs cannot overflow.
    std::size_t i = 0;
    i128 whole = 0;
    for (; i < text.size() && is_digit(text[i]); ++i) {
        whole = whole * 10 + (text[i] - '0');
        if (whole > engine::kTimeMax) whole = i128{engine::kTimeMax} + 1;
    }
    // Fractional part: rejected, but with the exact integer spelling when there is one.
    bool fractional = false;
    i128 frac = 0, scale = 1;
    if (i < text.size() && text[i] == '.') {
        fractional = true;
        ++i;
        const std::size_t first = i;
        for (; i < text.size() && is_digit(text[i]); ++i) {
            if (scale < i128{1'000'000'000'000'000'000}) {
                frac = frac * 10 + (text[i] - '0');
                scale *= 10;
            }
        }
        if (i == first) return fail("bad duration " + quote_value(text) + ": " + kDurationForm);
    }
    const std::string unit = text.substr(i);
    const std::int64_t per = unit_ns(unit);
    if (per < 0) {
        return fail("unknown unit " + quote_value(unit) + " in duration " + quote_value(text) +
                    " (units: ns, us, ms, s, j)");
    }
    if (fractional) {
        std::string reason = "fractional duration " + quote_value(text) + " is not allowed";
        if (per > 0 && whole <= engine::kTimeMax && (frac * per) % scale == 0) {
            const i128 ns = whole * per + frac * per / scale;
            if (ns <= engine::kTimeMax)
                reason += "; write " + quote_value(format_duration(static_cast<Time>(ns)));
        } else {
            reason += "; use a smaller unit";
        }
        return fail(reason);
    }
    if (whole > engine::kTimeMax) return fail(too_large(text));
    i128 ns;
    if (per == 0) {
        if (hz <= 0) return fail("jiffies need a positive HZ, have " + std::to_string(hz));
        ns = whole * engine::kSec / hz;  // floor: HZ=300 does not divide a second evenly
    } else {
        ns = whole * per;
    }
    if (ns > engine::kTimeMax) return fail(too_large(text));
    return static_cast<Time>(ns);
}

std::string format_duration(Time t) {
    // Negative times never come from the loader; render them anyway (INT64_MIN has no -t).
    if (t == INT64_MIN) return std::to_string(t) + "ns";
    if (t < 0) return std::string(1, '-') += format_duration(-t);
    if (t == 0) return "0s";
    if (t % engine::kSec == 0) return std::to_string(t / engine::kSec) + "s";
    if (t % engine::kMs == 0) return std::to_string(t / engine::kMs) + "ms";
    if (t % engine::kUs == 0) return std::to_string(t / engine::kUs) + "us";
    return std::to_string(t) + "ns";
}

std::optional<std::vector<int>> parse_cpu_set(const std::string& text, int ncpus,
                                              std::string* why) {
    auto fail = [&](std::string reason) -> std::optional<std::vector<int>> {
        if (why) *why = std::move(reason);
        return std::nullopt;
    };
    const std::string machine = "the machine has " + std::to_string(ncpus) +
                                (ncpus == 1 ? " CPU" : " CPUs") +
                                (ncpus == 1 ? " (0)" : " (0-" + std::to_string(ncpus - 1) + ")");
    std::vector<int> out;
    if (text == "all") {
        for (int c = 0; c < ncpus; ++c) out.push_back(c);
        return out;
    }
    if (text == "none") return out;
    if (text.empty()) return fail("empty CPU list; expected \"all\", \"none\" or e.g. \"0-3,7\"");
    const std::string form = "expected \"all\", \"none\" or a list such as \"0-3,7\"";
    if (!is_digit(text[0]) && text[0] != ' ') {
        std::string reason = "bad CPU list " + quote_value(text) + ": " + form;
        const std::string close = did_you_mean(text, {"all", "none"});
        if (!close.empty()) reason += " (did you mean '" + close + "'?)";
        return fail(reason);
    }

    // Items separated by ',', each "N" or "N-M"; spaces around items are allowed.
    std::size_t i = 0;
    auto skip_spaces = [&] {
        while (i < text.size() && text[i] == ' ') ++i;
    };
    // Saturates at kMaxCpus, which is out of range for every machine.
    auto number = [&](long long* v, std::string* written) {
        if (i >= text.size() || !is_digit(text[i])) return false;
        const std::size_t first = i;
        *v = 0;
        for (; i < text.size() && is_digit(text[i]); ++i)
            *v = std::min<long long>(*v * 10 + (text[i] - '0'), kMaxCpus);
        *written = text.substr(first, i - first);
        return true;
    };
    auto bad_at = [&]() {
        std::string what = i < text.size() ? "found " + quote_value(std::string(1, text[i]))
                                           : "found the end of the text";
        return "bad CPU list " + quote_value(text) + ": " + form + "; " + what;
    };
    while (true) {
        skip_spaces();
        if (i < text.size() && text[i] == ',')
            return fail("empty item in CPU list " + quote_value(text));
        long long lo = 0, hi = 0;
        std::string lo_text, hi_text;
        if (!number(&lo, &lo_text)) return fail(bad_at());
        hi = lo;
        hi_text = lo_text;
        if (i < text.size() && text[i] == '-') {
            ++i;
            if (!number(&hi, &hi_text)) return fail(bad_at());
            if (hi < lo) {
                return fail("reversed range " + lo_text + "-" + hi_text + " in CPU list " +
                            quote_value(text) + " (write " + hi_text + "-" + lo_text + ")");
            }
        }
        if (hi >= ncpus) {
            return fail("CPU " + (lo >= ncpus ? lo_text : hi_text) + " in " + quote_value(text) +
                        " is out of range: " + machine);
        }
        for (long long c = lo; c <= hi; ++c) out.push_back(static_cast<int>(c));
        skip_spaces();
        if (i == text.size()) break;
        if (text[i] != ',') return fail(bad_at());
        ++i;
        skip_spaces();
        if (i == text.size()) return fail("CPU list " + quote_value(text) + " ends with ','");
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string format_cpu_set(const std::vector<int>& cpus) {
    if (cpus.empty()) return "none";
    std::string out;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
        if (!out.empty()) out += ",";
        out += std::to_string(cpus[i]);
        if (j > i) (out += '-') += std::to_string(cpus[j]);
        i = j + 1;
    }
    return out;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
    if (word.empty() || word.size() > 64) return "";
    const std::string w = lower(word);
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    std::string best;
    std::size_t best_d = limit + 1;
    for (const auto& c : candidates) {
        const std::size_t d = levenshtein(w, lower(c));
        // A suggestion must share something with the word: not a full replacement.
        if (d >= std::max(word.size(), c.size())) continue;
        if (d < best_d) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

Scenario load_scenario_file(const std::string& path) {
    return load_scenario_text(read_input_file(path), input_name(path));
}

Scenario load_scenario_text(const std::string& text, const std::string& origin) {
    const nlohmann::json j = parse_json_strict(text, origin);
    try {
        return scenario_from_json(j, origin);
    } catch (const ConfigError& e) {
        throw locate_error(e, text);
    }
}

void apply_variant(Scenario& s, const std::string& variant, const std::string& origin) {
    const kernel::Preset* p = kernel::find_preset(variant);
    if (p == nullptr) {
        std::vector<std::string> names;
        for (const auto& q : kernel::presets()) names.push_back(q.name);
        std::string msg = "unknown variant " + quote_value(variant);
        const std::string close = did_you_mean(variant, names);
        if (!close.empty()) msg += " (did you mean '" + close + "'?)";
        msg += "; presets:";
        for (const auto& n : names) msg += " " + n;
        throw ConfigError(origin, "", msg);
    }
    kernel::Switches sw = p->switches;
    for (const auto& [name, value] : s.switch_overrides) {
        const bool ok = name == "shrinker" ? kernel::set_shrinker(sw, value)
                                           : (value == "true" || value == "false") &&
                                                 kernel::set_switch(sw, name, value == "true");
        if (!ok) {
            throw ConfigError(
                origin, "/kernel/switches/" + pointer_token(name),
                "bad switch override " + quote_value(name) + " = " + quote_value(value));
        }
    }
    s.variant = p->name;
    s.switches = sw;
}

bool operator==(const Scenario& a, const Scenario& b) {
    return a.format == b.format && a.name == b.name && a.description == b.description &&
           a.cpus == b.cpus && a.hz == b.hz && a.nocb_cpus == b.nocb_cpus &&
           a.nocb_spec == b.nocb_spec && a.group_size == b.group_size && a.variant == b.variant &&
           a.switch_overrides == b.switch_overrides && a.switches == b.switches &&
           a.lazy_flush == b.lazy_flush && a.qhimark == b.qhimark &&
           a.gp_duration == b.gp_duration && a.kernel_source == b.kernel_source &&
           a.data_races == b.data_races &&
           a.kernel_tree == b.kernel_tree && a.pressure == b.pressure && a.events == b.events &&
           a.strategy == b.strategy && a.seed == b.seed && a.max_delay == b.max_delay &&
           a.delay_in_irq_off == b.delay_in_irq_off && a.decisions.entries == b.decisions.entries &&
           a.decisions.points == b.decisions.points && a.until == b.until &&
           a.max_steps == b.max_steps && a.expect == b.expect;
}

}  // namespace rcusim::scenario
