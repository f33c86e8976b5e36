#include "real/tree_source.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <regex>
#include <sstream>

#include "real/process.hpp"
#include "trace/sha256.hpp"

namespace rcusim::real {

const std::string& Tree::file(const std::string& rel) const {
    auto it = files.find(rel);
    if (it == files.end()) throw TreeError(source + ": " + rel + " was not read");
    return it->second;
}

const std::vector<std::string>& tree_required_files() {
    static const std::vector<std::string> files = {
        "Makefile",
        "kernel/rcu/tree_nocb.h",
        "kernel/rcu/tree.h",
        "kernel/rcu/tree.c",
        "kernel/rcu/tree_plugin.h",
        "kernel/rcu/rcu.h",
        "kernel/rcu/rcu_segcblist.h",
        "kernel/rcu/rcu_segcblist.c",
        "include/linux/rcu_segcblist.h",
        "include/linux/rcu_node_tree.h",
        "include/linux/rcupdate.h",
    };
    return files;
}

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string file_hash(const std::string& path) {
    trace::Sha256 h;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw TreeError(path + ": cannot read");
    std::vector<char> buf(1 << 20);
    for (;;) {
        std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
        if (n == 0) break;
        h.update(buf.data(), n);
    }
    bool bad = std::ferror(f) != 0;
    std::fclose(f);
    if (bad) throw TreeError(path + ": read error");
    return h.hex();
}

// Extracts the required files of a linux-source tarball into dir (once per content hash).
std::string extract_tarball(const std::string& tarball, const std::string& cache_dir) {
    const std::string hash = file_hash(tarball);
    const std::string dir = cache_dir + "/src/" + hash;
    if (is_file(dir + "/.complete")) return dir;
    make_dirs(cache_dir + "/src");
    std::string tmp = dir + ".tmp." + std::to_string(getpid());
    run_process({"rm", "-rf", tmp});
    make_dirs(tmp);
    // Members are "<top>/kernel/rcu/tree_nocb.h"; the top directory's name varies.
    std::vector<std::string> argv = {"tar", "-xf", tarball, "-C", tmp, "--wildcards",
                                     "--strip-components=1"};
    for (const auto& f : tree_required_files()) argv.push_back("*/" + f);
    ProcessResult r = run_process(argv);
    if (r.exit_code != 0) {
        run_process({"rm", "-rf", tmp});
        std::string out = r.output.size() > 2000 ? r.output.substr(0, 2000) : r.output;
        throw TreeError(tarball + ": extracting the kernel files failed (tar exit " +
                        std::to_string(r.exit_code) + "):\n" + out);
    }
    write_file_atomic(tmp + "/.complete", tarball + "\n");
    if (std::rename(tmp.c_str(), dir.c_str()) != 0) {
        // Another process extracted it first: use theirs.
        run_process({"rm", "-rf", tmp});
        if (!is_file(dir + "/.complete")) throw TreeError(dir + ": cannot rename into place");
    }
    return dir;
}

std::string make_var(const std::string& makefile, const std::string& name) {
    std::regex re("^" + name + "[ \t]*=[ \t]*([^ \t\r\n]*)");
    std::smatch m;
    std::istringstream in(makefile);
    std::string line;
    while (std::getline(in, line))
        if (std::regex_search(line, m, re)) return m[1].str();
    return "";
}

}  // namespace

Tree open_tree(const std::string& path, const std::string& cache_dir) {
    Tree t;
    t.source = path;
    if (is_directory(path)) {
        t.root = path;
    } else if (is_file(path) && (ends_with(path, ".tar.xz") || ends_with(path, ".tar") ||
                                 ends_with(path, ".tar.gz") || ends_with(path, ".tar.bz2") ||
                                 ends_with(path, ".tar.zst"))) {
        t.tarball = true;
        t.root = extract_tarball(path, cache_dir);
    } else if (is_file(path)) {
        throw TreeError(path + ": not a kernel source directory or a linux-source-*.tar.xz");
    } else {
        throw TreeError(path + ": no such directory or file");
    }
    std::vector<std::string> missing;
    for (const auto& rel : tree_required_files()) {
        std::string content;
        if (!read_file_if_exists(t.root + "/" + rel, &content)) {
            missing.push_back(rel);
            continue;
        }
        t.files[rel] = std::move(content);
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw TreeError(path + ": not a supported kernel tree: missing " + list);
    }
    trace::Sha256 h;
    for (const auto& [rel, content] : t.files) {  // std::map: sorted by name
        h.update(rel);
        h.update("\n", 1);
        h.update(std::to_string(content.size()));
        h.update("\n", 1);
        h.update(content);
    }
    t.content_hash = h.hex();
    const std::string& mk = t.files["Makefile"];
    std::string v = make_var(mk, "VERSION"), p = make_var(mk, "PATCHLEVEL"),
                s = make_var(mk, "SUBLEVEL"), e = make_var(mk, "EXTRAVERSION");
    if (v.empty() || p.empty())
        throw TreeError(path + ": Makefile has no VERSION/PATCHLEVEL: not a kernel tree");
    t.version = v + "." + p + (s.empty() || s == "0" ? "" : "." + s) + e;
    return t;
}

// ---- features

namespace {
bool has(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

// The text of the parameter list of the first definition or prototype of `fn`.
std::string params_of(const std::string& src, const std::string& fn) {
    std::size_t at = 0;
    while ((at = src.find(fn + "(", at)) != std::string::npos) {
        if (at > 0 && (std::isalnum(static_cast<unsigned char>(src[at - 1])) || src[at - 1] == '_')) {
            at += fn.size();
            continue;
        }
        std::size_t close = src.find(')', at);
        if (close == std::string::npos) return "";
        std::string params = src.substr(at + fn.size() + 1, close - at - fn.size() - 1);
        if (params.find("struct rcu_data") != std::string::npos) return params;
        at = close;
    }
    return "";
}
}  // namespace

Features probe_features(const Tree& t) {
    Features f;
    const std::string& nocb = t.file("kernel/rcu/tree_nocb.h");
    const std::string& treeh = t.file("kernel/rcu/tree.h");
    const std::string& treec = t.file("kernel/rcu/tree.c");
    const std::string& segh = t.file("include/linux/rcu_segcblist.h");
    const std::string& segc = t.file("kernel/rcu/rcu_segcblist.h");
    f.lazy = has(treeh, "lazy_len") && has(nocb, "CONFIG_RCU_LAZY");
    f.nocb_mutex = has(treeh, "nocb_mutex");
    f.parking = has(nocb, "kthread_park(rdp->nocb_cb_kthread)");
    f.offline_only = has(nocb, "Cannot CB-deoffload online CPU");
    f.work_on_cpu_toggle = has(nocb, "work_on_cpu(");
    f.call_rcu_nocb = has(nocb, "static void call_rcu_nocb(");
    f.shrinker_alloc = has(nocb, "shrinker_alloc(");
    f.try_bypass_lazy = params_of(nocb, "rcu_nocb_try_bypass").find("lazy") != std::string::npos;
    f.flush_bypass_lazy = params_of(nocb, "rcu_nocb_flush_bypass").find("lazy") != std::string::npos;
    f.call_rcu_common = has(treec, "__call_rcu_common(");
    f.report_cpu_dead = has(treec, "void rcutree_report_cpu_dead(void)");
    f.momentary_eqs = has(nocb, "rcu_momentary_eqs(");
    f.completely_offloaded = has(segc, "rcu_segcblist_completely_offloaded(");
    std::regex flag(R"(#define[ \t]+SEGCBLIST_([A-Z_]+)[ \t]+BIT\(([0-9]+)\))");
    for (std::sregex_iterator it(segh.begin(), segh.end(), flag), end; it != end; ++it)
        f.seg_flags.emplace_back((*it)[1].str(), std::stoi((*it)[2].str()));
    std::sort(f.seg_flags.begin(), f.seg_flags.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    return f;
}

std::string Features::macros() const {
    std::string out;
    auto def = [&](bool on, const char* name) {
        if (on) out += std::string("#define ") + name + " 1\n";
    };
    def(lazy, "RCUSIM_HAVE_LAZY");
    def(nocb_mutex, "RCUSIM_HAVE_NOCB_MUTEX");
    def(parking, "RCUSIM_HAVE_PARKING");
    def(offline_only, "RCUSIM_HAVE_OFFLINE_ONLY_TOGGLE");
    def(work_on_cpu_toggle, "RCUSIM_HAVE_WORK_ON_CPU_TOGGLE");
    def(call_rcu_nocb, "RCUSIM_HAVE_CALL_RCU_NOCB");
    def(shrinker_alloc, "RCUSIM_HAVE_SHRINKER_ALLOC");
    def(try_bypass_lazy, "RCUSIM_HAVE_TRY_BYPASS_LAZY");
    def(flush_bypass_lazy, "RCUSIM_HAVE_FLUSH_BYPASS_LAZY");
    def(call_rcu_common, "RCUSIM_HAVE_CALL_RCU_COMMON");
    def(report_cpu_dead, "RCUSIM_HAVE_REPORT_CPU_DEAD");
    def(momentary_eqs, "RCUSIM_HAVE_MOMENTARY_EQS");
    def(completely_offloaded, "RCUSIM_HAVE_COMPLETELY_OFFLOADED");
    for (const auto& [name, bit] : seg_flags)
        if (name == "LOCKING") out += "#define RCUSIM_HAVE_SEGCBLIST_LOCKING 1\n";
    return out;
}

std::string Features::summary() const {
    std::string out;
    auto add = [&](bool on, const char* name) {
        if (!on) return;
        if (!out.empty()) out += ' ';
        out += name;
    };
    add(lazy, "lazy");
    add(nocb_mutex, "nocb_mutex");
    add(parking, "parking");
    add(offline_only, "offline-only-toggle");
    add(work_on_cpu_toggle, "work_on_cpu-toggle");
    add(call_rcu_nocb, "call_rcu_nocb");
    add(shrinker_alloc, "shrinker_alloc");
    std::string flags;
    for (const auto& [name, bit] : seg_flags) flags += (flags.empty() ? "" : ",") + name;
    if (!out.empty()) out += ' ';
    out += "flags=" + (flags.empty() ? std::string("?") : flags);
    return out;
}

// ---- extraction

namespace {

// Marks, for each byte of src, whether it is code (not in a comment, string or char
// literal, and not on a preprocessor line).
std::vector<char> code_mask(const std::string& s) {
    std::vector<char> m(s.size(), 1);
    std::size_t i = 0;
    bool line_start = true;
    while (i < s.size()) {
        char c = s[i];
        if (line_start && (c == ' ' || c == '\t')) {
            ++i;
            continue;
        }
        if (line_start && c == '#') {  // preprocessor line, with continuations
            while (i < s.size() && s[i] != '\n') {
                if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '\n') {
                    m[i] = m[i + 1] = 0;
                    i += 2;
                    continue;
                }
                if (s[i] == '/' && i + 1 < s.size() && s[i + 1] == '*') {  // comment inside
                    while (i < s.size() && !(s[i] == '*' && i + 1 < s.size() && s[i + 1] == '/')) m[i++] = 0;
                    if (i < s.size()) m[i++] = 0;
                    if (i < s.size()) m[i++] = 0;
                    continue;
                }
                m[i++] = 0;
            }
            continue;
        }
        line_start = false;
        if (c == '\n') {
            line_start = true;
            ++i;
            continue;
        }
        if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
            while (i < s.size() && s[i] != '\n') m[i++] = 0;
            continue;
        }
        if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
            m[i] = m[i + 1] = 0;
            i += 2;
            while (i < s.size() && !(s[i] == '*' && i + 1 < s.size() && s[i + 1] == '/')) {
                if (s[i] == '\n') {
                    ++i;
                    continue;
                }
                m[i++] = 0;
            }
            if (i < s.size()) m[i++] = 0;
            if (i < s.size()) m[i++] = 0;
            continue;
        }
        if (c == '"' || c == '\'') {
            char q = c;
            m[i++] = 0;
            while (i < s.size() && s[i] != q && s[i] != '\n') {
                if (s[i] == '\\' && i + 1 < s.size()) m[i++] = 0;
                m[i++] = 0;
            }
            if (i < s.size()) m[i++] = 0;
            continue;
        }
        ++i;
    }
    return m;
}

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Index just past the bracket matching the one at `open` (code bytes only), or npos.
std::size_t match_close(const std::string& s, const std::vector<char>& m, std::size_t open) {
    const char o = s[open], c = o == '(' ? ')' : o == '{' ? '}' : ']';
    int depth = 0;
    for (std::size_t i = open; i < s.size(); ++i) {
        if (!m[i]) continue;
        if (s[i] == o) ++depth;
        else if (s[i] == c && --depth == 0) return i + 1;
    }
    return std::string::npos;
}

int line_of(const std::string& s, std::size_t pos) {
    return 1 + static_cast<int>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

}  // namespace

std::string extract_function(const std::string& src, const std::string& name,
                             const std::string& file_name, std::string* decl, std::string* why) {
    const std::vector<char> m = code_mask(src);
    // Brace depth at each position, computed once.
    std::vector<int> depth(src.size() + 1, 0);
    int d = 0;
    for (std::size_t i = 0; i < src.size(); ++i) {
        depth[i] = d;
        if (!m[i]) continue;
        if (src[i] == '{') ++d;
        else if (src[i] == '}') --d;
    }
    std::size_t at = 0;
    while ((at = src.find(name, at)) != std::string::npos) {
        const std::size_t after = at + name.size();
        if (!m[at] || depth[at] != 0 || (at > 0 && ident_char(src[at - 1])) ||
            (after < src.size() && ident_char(src[after]))) {
            at = after;
            continue;
        }
        std::size_t p = after;
        while (p < src.size() && std::isspace(static_cast<unsigned char>(src[p]))) ++p;
        if (p >= src.size() || src[p] != '(') {
            at = after;
            continue;
        }
        std::size_t close = match_close(src, m, p);
        if (close == std::string::npos) break;
        // After the parameters: attributes such as __releases(x), then '{' or ';'.
        std::size_t q = close;
        for (;;) {
            while (q < src.size() && (!m[q] || std::isspace(static_cast<unsigned char>(src[q])))) ++q;
            if (q < src.size() && ident_char(src[q])) {
                while (q < src.size() && ident_char(src[q])) ++q;
                while (q < src.size() && std::isspace(static_cast<unsigned char>(src[q]))) ++q;
                if (q < src.size() && src[q] == '(') {
                    std::size_t c2 = match_close(src, m, q);
                    if (c2 == std::string::npos) break;
                    q = c2;
                }
                continue;
            }
            break;
        }
        if (q >= src.size() || src[q] != '{') {  // a prototype or a call: keep looking
            at = after;
            continue;
        }
        std::size_t body_end = match_close(src, m, q);
        if (body_end == std::string::npos) break;
        // Start of the declaration: back over the lines that hold its specifiers.
        std::size_t start = src.rfind('\n', at);
        start = start == std::string::npos ? 0 : start + 1;
        while (start > 0) {
            std::size_t prev_end = start - 1;  // the '\n' ending the previous line
            std::size_t prev_start = src.rfind('\n', prev_end == 0 ? 0 : prev_end - 1);
            prev_start = prev_start == std::string::npos ? 0 : prev_start + 1;
            std::string line = src.substr(prev_start, prev_end - prev_start);
            std::size_t e = line.find_last_not_of(" \t\r");
            if (e == std::string::npos) break;  // blank line
            std::size_t b = line.find_first_not_of(" \t");
            char last = line[e];
            if (line[b] == '#' || last == ';' || last == '}' || last == '{' ||
                (e >= 1 && line[e - 1] == '*' && last == '/') || line.compare(b, 2, "//") == 0 ||
                !m[prev_start + b])
                break;
            start = prev_start;
        }
        const int first_line = line_of(src, start);
        const std::string directive =
            "#line " + std::to_string(first_line) + " \"" + file_name + "\"\n";
        if (decl) {
            std::string head = src.substr(start, q - start);
            // Drop attribute macros after the parameter list: __releases(x) and friends.
            head = src.substr(start, close - start);
            *decl = directive + head + ";\n";
        }
        return directive + src.substr(start, body_end - start) + "\n";
    }
    if (why) *why = file_name + " has no definition of " + name + "()";
    return "";
}

std::vector<std::string> defined_functions(const std::string& src) {
    const std::vector<char> m = code_mask(src);
    std::vector<std::string> out;
    int depth = 0;
    for (std::size_t i = 0; i < src.size(); ++i) {
        if (!m[i]) continue;
        char c = src[i];
        if (c == '{') {
            ++depth;
            continue;
        }
        if (c == '}') {
            --depth;
            continue;
        }
        if (depth != 0 || c != '(') continue;
        // An identifier right before '(' at file scope, then ')' ... '{': a definition.
        std::size_t e = i;
        while (e > 0 && std::isspace(static_cast<unsigned char>(src[e - 1]))) --e;
        std::size_t b = e;
        while (b > 0 && ident_char(src[b - 1])) --b;
        if (b == e) continue;
        std::size_t close = match_close(src, m, i);
        if (close == std::string::npos) break;
        std::size_t q = close;
        for (;;) {
            while (q < src.size() && (!m[q] || std::isspace(static_cast<unsigned char>(src[q])))) ++q;
            if (q < src.size() && ident_char(src[q])) {
                while (q < src.size() && ident_char(src[q])) ++q;
                while (q < src.size() && std::isspace(static_cast<unsigned char>(src[q]))) ++q;
                if (q < src.size() && src[q] == '(') {
                    std::size_t c2 = match_close(src, m, q);
                    if (c2 == std::string::npos) break;
                    q = c2;
                }
                continue;
            }
            break;
        }
        if (q < src.size() && src[q] == '{') {
            std::string name = src.substr(b, e - b);
            if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
            i = q - 1;  // the body is skipped by the depth count
        } else {
            i = close - 1;
        }
    }
    return out;
}

std::string harvest_defines(const std::string& src, const std::vector<std::string>& names) {
    std::string out;
    std::istringstream in(src);
    std::string line;
    std::vector<bool> done(names.size(), false);
    while (std::getline(in, line)) {
        std::size_t b = line.find_first_not_of(" \t");
        if (b == std::string::npos || line.compare(b, 7, "#define") != 0) continue;
        std::size_t n0 = line.find_first_not_of(" \t", b + 7);
        if (n0 == std::string::npos) continue;
        std::size_t n1 = n0;
        while (n1 < line.size() && ident_char(line[n1])) ++n1;
        std::string name = line.substr(n0, n1 - n0);
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (done[i] || names[i] != name) continue;
            std::string rest = line.substr(n1);
            if (std::size_t c = rest.find("//"); c != std::string::npos) rest = rest.substr(0, c);
            if (std::size_t c = rest.find("/*"); c != std::string::npos) rest = rest.substr(0, c);
            out += "#define " + name + rest + "\n";
            done[i] = true;
        }
    }
    return out;
}

}  // namespace rcusim::real
