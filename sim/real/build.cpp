#include "real/build.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "real/process.hpp"
#include "real/shim/rcusim_abi.h"
#include "real_shim_files.hpp"  // generated: rcusim::embedded::kShimFiles
#include "trace/sha256.hpp"

namespace rcusim::real {

int nr_cpus_for(int cpus) {
    for (int n : {64, 256, 1024, 4096})
        if (cpus <= n) return n;
    return 4096;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string_view shim_file(std::string_view name) {
    for (const auto& f : embedded::kShimFiles)
        if (f.name == name) return f.content;
    throw TreeError("rcusim was built without its shim file " + std::string(name));
}

// The functions taken from the tree instead of written as glue. Required ones must exist in
// every supported tree; optional ones replace glue where present.
struct Wanted {
    const char* file;
    const char* name;
    bool required;
};
const std::vector<Wanted>& wanted_functions() {
    static const std::vector<Wanted> w = {
        {"kernel/rcu/tree_plugin.h", "rcu_rdp_is_offloaded", true},
        {"kernel/rcu/tree.c", "rcu_rnp_online_cpus", true},
        {"kernel/rcu/tree.c", "rcu_rdp_cpu_online", true},
        {"kernel/rcu/tree.c", "rcu_leak_callback", true},
        {"kernel/rcu/tree.c", "check_cb_ovld_locked", true},
        {"kernel/rcu/tree.c", "check_cb_ovld", true},
        {"kernel/rcu/tree.c", "rcutree_enqueue", false},
        {"kernel/rcu/tree.c", "call_rcu_core", false},
        {"kernel/rcu/tree.c", "__call_rcu_core", false},
        {"kernel/rcu/tree.c", "__call_rcu_common", false},
        {"kernel/rcu/tree.c", "call_rcu_hurry", false},
        {"kernel/rcu/tree.c", "call_rcu", true},
        {"kernel/rcu/tree.c", "rcu_do_batch_check_time", false},
        {"kernel/rcu/tree.c", "rcu_do_batch", true},
        {"kernel/rcu/tree.c", "rcu_barrier_trace", false},
        {"kernel/rcu/tree.c", "rcu_barrier_callback", true},
        {"kernel/rcu/tree.c", "rcu_barrier_entrain", true},
        {"kernel/rcu/tree.c", "rcu_barrier_handler", true},
        {"kernel/rcu/tree.c", "rcu_barrier", true},
        {"kernel/rcu/tree.c", "rcutree_migrate_callbacks", true},
        {"kernel/rcu/tree.c", "swake_up_one_online_ipi", false},
        {"kernel/rcu/tree.c", "swake_up_one_online", false},
    };
    return w;
}

// Glue functions: every "Stands in for:" comment of glue.c, in order.
std::vector<std::string> glue_functions() {
    std::vector<std::string> out;
    std::string_view g = shim_file("glue.c");
    std::size_t at = 0;
    while ((at = g.find("Stands in for: ", at)) != std::string_view::npos) {
        at += 15;
        std::size_t end = g.find_first_of(".\n", at);
        // Keep "tree.c rcu_accelerate_cbs()" style text up to the first period after a ')'.
        std::size_t close = g.find("()", at);
        if (close != std::string_view::npos && close < g.find('\n', at) + 200) {
            std::size_t stop = g.find_first_of(".:", close);
            end = stop == std::string_view::npos ? end : stop;
        }
        std::string text(g.substr(at, end - at));
        std::string clean;
        bool space = false;
        for (char c : text) {
            if (c == '\n' || c == '*' || c == '\t' || c == ' ') {
                space = true;
                continue;
            }
            if (space && !clean.empty()) clean += ' ';
            space = false;
            clean += c;
        }
        out.push_back(clean);
        at = end;
    }
    return out;
}

std::string compiler_command() {
    if (const char* cc = std::getenv("CC"); cc && *cc) return cc;
    return "cc";
}

std::string compiler_identity(const std::string& cc) {
    ProcessResult r = run_process({"env", "LC_ALL=C", cc, "--version"});
    if (r.exit_code != 0)
        throw TreeError("no C compiler: `" + cc + " --version` failed (" +
                        (r.output.empty() ? "not found" : r.output.substr(0, 200)) +
                        "); install gcc (apt-get install -y gcc) or set CC");
    std::string first = r.output.substr(0, r.output.find('\n'));
    ProcessResult m = run_process({cc, "-dumpmachine"});
    if (m.exit_code == 0) first += " [" + m.output.substr(0, m.output.find('\n')) + "]";
    return first;
}

// Every #include <...> of the files compiled: empty headers (the shim has all of it), except
// the two kernel headers that are used for real.
std::set<std::string> system_includes(const std::vector<const std::string*>& texts) {
    std::set<std::string> out;
    std::regex re(R"(^[ \t]*#[ \t]*include[ \t]*<([^>]+)>)");
    for (const auto* t : texts) {
        std::istringstream in(*t);
        std::string line;
        std::smatch m;
        while (std::getline(in, line))
            if (std::regex_search(line, m, re)) out.insert(m[1].str());
    }
    return out;
}

// Every trace_*() the compiled text uses, as empty macros (tracepoints are off).
std::string trace_stubs(const std::vector<const std::string*>& texts) {
    std::set<std::string> names;
    std::regex re(R"(\b(trace_[A-Za-z0-9_]+)[ \t]*\()");
    for (const auto* t : texts)
        for (std::sregex_iterator it(t->begin(), t->end(), re), end; it != end; ++it)
            names.insert((*it)[1].str());
    names.erase("trace_rcu_nocb_wake");
    std::string out = "/* Generated by rcusim: the tree's tracepoints, off. */\n";
    for (const auto& n : names) {
        bool enabled = n.size() > 8 && n.compare(n.size() - 8, 8, "_enabled") == 0;
        out += "#define " + n + (enabled ? "(...) (0)\n" : "(...) do { } while (0)\n");
    }
    return out;
}

// Member names of `struct NAME { ... };` in preprocessed C.
std::vector<std::string> struct_members(const std::string& pre, const std::string& name) {
    std::vector<std::string> out;
    std::string key = "struct " + name + " {";
    std::size_t at = pre.find(key);
    if (at == std::string::npos) return out;
    std::size_t i = at + key.size();
    int depth = 1, paren = 0;
    std::string decl;
    auto finish = [&](const std::string& d) {
        // Drop __attribute__((...)) groups.
        std::string s;
        for (std::size_t k = 0; k < d.size();) {
            if (d.compare(k, 13, "__attribute__") == 0) {
                k += 13;
                while (k < d.size() && d[k] != '(') ++k;
                int p = 0;
                for (; k < d.size(); ++k) {
                    if (d[k] == '(') ++p;
                    else if (d[k] == ')' && --p == 0) {
                        ++k;
                        break;
                    }
                }
                continue;
            }
            s += d[k++];
        }
        if (s.find(':') != std::string::npos) return;  // bit-field
        if (s.find('(') != std::string::npos) {        // function pointer: (*name)(...)
            std::smatch m;
            static const std::regex fp(R"(\(\s*\*\s*([A-Za-z_][A-Za-z0-9_]*)\s*\))");
            if (std::regex_search(s, m, fp)) out.push_back(m[1].str());
            return;
        }
        std::size_t br = s.find('[');
        if (br != std::string::npos) s = s.substr(0, br);
        std::size_t e = s.find_last_not_of(" \t\n");
        if (e == std::string::npos) return;
        std::size_t b = e;
        while (b > 0 && (std::isalnum(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '_')) --b;
        std::string n = s.substr(b, e + 1 - b);
        if (!n.empty() && !std::isdigit(static_cast<unsigned char>(n[0]))) out.push_back(n);
    };
    for (; i < pre.size() && depth > 0; ++i) {
        char c = pre[i];
        if (c == '{') {
            ++depth;
            decl.clear();  // nested struct/union: its members are not rcu_data's
            continue;
        }
        if (c == '}') {
            --depth;
            continue;
        }
        if (c == '(') ++paren;
        if (c == ')') --paren;
        if (c == ';' && paren == 0) {
            if (depth == 1) finish(decl);
            decl.clear();
            continue;
        }
        decl += c;
    }
    return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

// Names the compiler says are missing: what the shim does not provide.
std::vector<std::string> missing_symbols(const std::string& log) {
    std::set<std::string> seen;
    std::vector<std::string> out;
    static const std::regex res[] = {
        std::regex(R"(implicit declaration of function '([A-Za-z_][A-Za-z0-9_]*)')"),
        std::regex(R"('([A-Za-z_][A-Za-z0-9_]*)' undeclared)"),
        std::regex(R"(unknown type name '([A-Za-z_][A-Za-z0-9_]*)')"),
        std::regex(R"(has no member named '([A-Za-z_][A-Za-z0-9_]*)')"),
        std::regex(R"(undefined reference to `([A-Za-z_][A-Za-z0-9_]*)')"),
        std::regex(R"(undefined symbol: ([A-Za-z_][A-Za-z0-9_]*))"),
    };
    for (const auto& re : res)
        for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it)
            if (seen.insert((*it)[1].str()).second) out.push_back((*it)[1].str());
    return out;
}

std::string first_errors(const std::string& log, int max_lines) {
    std::istringstream in(log);
    std::string line, out;
    int n = 0;
    while (std::getline(in, line) && n < max_lines) {
        if (line.find("error") == std::string::npos && line.find("undefined") == std::string::npos)
            continue;
        out += "  " + line + "\n";
        ++n;
    }
    return out;
}

// dir/symbols.txt: "F <hex offset> <function>" and "L <hex offset> <line> <file>" lines
// from nm and readelf (binutils), for naming the code address of a plain access.
void write_symbols(const std::string& dir) {
    std::string out;
    ProcessResult nm = run_process({"nm", "-n", "--defined-only", dir + "/kernel.so"});
    if (nm.exit_code == 0) {
        std::istringstream in(nm.output);
        std::string addr, type, name;
        while (in >> addr >> type >> name)
            if (type == "t" || type == "T") out += "F " + addr + " " + name + "\n";
    }
    ProcessResult rl = run_process({"readelf", "--debug-dump=decodedline", dir + "/kernel.so"});
    if (rl.exit_code == 0) {
        std::istringstream in(rl.output);
        std::string line, path;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == ':' && line.find(' ') == std::string::npos) {
                path = line.substr(0, line.size() - 1);
                continue;
            }
            std::istringstream f(line);
            std::string file, ln, at;
            if (!(f >> file >> ln >> at) || at.rfind("0x", 0) != 0) continue;
            if (!std::all_of(ln.begin(), ln.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
                continue;
            std::string full = file;
            if (path.size() >= file.size() && path.compare(path.size() - file.size(), file.size(), file) == 0)
                full = path;
            out += "L " + at.substr(2) + " " + ln + " " + full + "\n";
        }
    }
    write_file_atomic(dir + "/symbols.txt", out);
}

struct Compiled {
    std::vector<ExtractedFunction> extracted;
    std::vector<std::string> nocb_functions, segcblist_functions;
};

// Writes the build directory's sources: the shim, generated headers, the translation unit.
Compiled write_sources(const Tree& t, const Features& f, const std::string& dir) {
    Compiled c;
    make_dirs(dir + "/inc");
    for (const auto& sf : embedded::kShimFiles) {
        std::string name(sf.name);
        if (name == "glue.c") name = "rcusim_glue.c";
        if (name == "glue_defs.h") name = "rcusim_glue_defs.h";
        write_file_atomic(dir + "/" + name, std::string(sf.content));
    }
    // Extracted functions.
    std::string decls = "/* Generated by rcusim: prototypes of the functions taken from the tree. */\n";
    std::string bodies = "/* Generated by rcusim from the tree: not rcusim code. */\n";
    std::vector<std::string> texts_extracted;
    std::string missing;
    for (const auto& w : wanted_functions()) {
        std::string decl, why;
        std::string body = extract_function(t.file(w.file), w.name, w.file, &decl, &why);
        if (body.empty()) {
            if (w.required) missing += (missing.empty() ? "" : ", ") + std::string(w.file) + ": " + w.name + "()";
            continue;
        }
        decls += decl;
        decls += std::string("#define RCUSIM_REAL_") + w.name + " 1\n";
        bodies += body;
        texts_extracted.push_back(body);
        c.extracted.push_back({w.file, w.name});
    }
    if (!missing.empty())
        throw TreeError(t.source + ": not a supported kernel tree: no definition of " + missing +
                        " (real-code mode runs these functions as the tree has them)");
    write_file_atomic(dir + "/rcusim_extracted_decls.h", decls);
    write_file_atomic(dir + "/rcusim_extracted.c", bodies);

    // Features and constants.
    std::string feat = "/* Generated by rcusim: what this tree has. */\n" + f.macros() +
                       "#define RCUSIM_FEATURE_LIST \"" + f.summary() + "\"\n";
    write_file_atomic(dir + "/rcusim_features.h", feat);
    std::string harvest = "/* Generated by rcusim: constants read from the tree. */\n";
    // RCU_SEQ_CTR_SHIFT moved from rcu.h to include/linux/rcupdate.h in v6.x.
    if (harvest_defines(t.file("kernel/rcu/rcu.h"), {"RCU_SEQ_CTR_SHIFT"}).empty())
        harvest += harvest_defines(t.file("include/linux/rcupdate.h"),
                                   {"RCU_SEQ_CTR_SHIFT", "RCU_SEQ_STATE_MASK"});
    else
        harvest += "#define RCU_SEQ_CTR_SHIFT_IN_RCU_H 1\n";
    harvest += harvest_defines(t.file("kernel/rcu/tree.c"),
                               {"DEFAULT_RCU_BLIMIT", "DEFAULT_MAX_RCU_BLIMIT", "DEFAULT_RCU_QHIMARK",
                                "DEFAULT_RCU_QLOMARK", "DEFAULT_RCU_QOVLD_MULT"});
    if (harvest.find("RCU_SEQ_CTR_SHIFT") == std::string::npos)
        throw TreeError(t.source + ": neither kernel/rcu/rcu.h nor include/linux/rcupdate.h "
                        "defines RCU_SEQ_CTR_SHIFT");
    write_file_atomic(dir + "/rcusim_harvest.h", harvest);

    // Includes and tracepoints of everything compiled.
    std::vector<const std::string*> texts = {
        &t.file("kernel/rcu/tree_nocb.h"),      &t.file("kernel/rcu/tree.h"),
        &t.file("kernel/rcu/rcu.h"),            &t.file("kernel/rcu/rcu_segcblist.h"),
        &t.file("kernel/rcu/rcu_segcblist.c"),  &t.file("include/linux/rcu_segcblist.h"),
        &t.file("include/linux/rcu_node_tree.h")};
    for (const auto& e : texts_extracted) texts.push_back(&e);
    for (const auto& inc : system_includes(texts)) {
        std::string path = dir + "/inc/" + inc;
        make_dirs(path.substr(0, path.rfind('/')));
        std::string content = "/* Generated by rcusim: provided by kshim.h. */\n";
        if (inc == "linux/rcu_segcblist.h" || inc == "linux/rcu_node_tree.h")
            content = "#include \"" + t.root + "/include/" + inc + "\"\n";
        write_file_atomic(path, content);
    }
    write_file_atomic(dir + "/rcusim_trace_stubs.h", trace_stubs(texts));
    write_file_atomic(dir + "/rcusim_structs.c", "#include \"tree.h\"\n");
    write_file_atomic(dir + "/rcusim_kernel.c",
                      "/* Generated by rcusim: the kernel translation unit for " + t.source +
                          " (" + t.version + "). */\n"
                          "#include \"tree.h\"               /* the tree's */\n"
                          "#include \"rcu.h\"                /* the tree's */\n"
                          "#include \"rcusim_glue_defs.h\"   /* rcusim's */\n"
                          "#include \"rcusim_extracted_decls.h\"\n"
                          "#include \"tree_nocb.h\"          /* the tree's: the code under test */\n"
                          "#include \"rcusim_extracted.c\"   /* the tree's tree.c / tree_plugin.h functions */\n"
                          "#include \"rcusim_glue.c\"        /* rcusim's */\n");
    c.nocb_functions = defined_functions(t.file("kernel/rcu/tree_nocb.h"));
    c.segcblist_functions = defined_functions(t.file("kernel/rcu/rcu_segcblist.c"));
    return c;
}

std::vector<std::string> compile_flags(const Tree& t, const std::string& dir, int nr_cpus, int hz) {
    return {"-std=gnu11",
            "-O2",
            "-g1",
            "-fPIC",
            "-fvisibility=hidden",
            "-fno-strict-aliasing",
            "-fno-common",
            "-fwrapv",
            "-fno-delete-null-pointer-checks",
            "-fno-omit-frame-pointer",
            "-fsanitize=thread",
            "--param=tsan-distinguish-volatile=1",
            "--param=tsan-instrument-func-entry-exit=0",
            "-Wall",
            "-Wno-unused-function",
            "-Wno-unused-variable",
            "-Wno-unused-value",
            "-Wno-unused-but-set-variable",
            "-Wno-unused-label",
            "-Werror=implicit-function-declaration",
            "-Werror=incompatible-pointer-types",
            "-Werror=int-conversion",
            "-DCONFIG_NR_CPUS=" + std::to_string(nr_cpus),
            "-DCONFIG_HZ=" + std::to_string(hz),
            "-I" + dir + "/inc",
            "-I" + t.root + "/kernel/rcu",
            "-I" + dir,
            "-include",
            dir + "/kshim.h",
            "-ffile-prefix-map=" + t.root + "/=",
            "-ffile-prefix-map=" + dir + "/=rcusim/"};
}

void compile(const Tree& t, const std::string& cc, const std::string& dir, int nr_cpus, int hz,
             std::string* log) {
    auto flags = compile_flags(t, dir, nr_cpus, hz);
    auto run = [&](std::vector<std::string> args, const char* what) {
        std::vector<std::string> argv = {"env", "LC_ALL=C", cc};
        argv.insert(argv.end(), args.begin(), args.end());
        ProcessResult r = run_process(argv, dir);
        const bool preprocess = std::find(args.begin(), args.end(), "-E") != args.end();
        *log += "$ " + join(argv, " ") + "\n" + (preprocess && r.exit_code == 0 ? "" : r.output);
        if (r.exit_code != 0) {
            auto missing = missing_symbols(r.output);
            std::string msg = t.source + " (" + t.version + "): " + what + " failed";
            if (!missing.empty())
                msg += ": the tree uses " + join(missing, ", ") +
                       ", which rcusim's kernel shim does not provide";
            msg += "\n" + first_errors(r.output, 12) + "  (full log: " + dir + "/build.log)";
            write_file_atomic(dir + "/build.log", *log);
            throw TreeError(msg);
        }
        return r;
    };
    // 1. struct rcu_data's members, from the preprocessed tree.h (only those compiled in).
    std::vector<std::string> pre = flags;
    pre.insert(pre.end(), {"-E", "-P", "rcusim_structs.c"});
    ProcessResult p = run(pre, "preprocessing tree.h");
    std::string fields = "/* Generated by rcusim: the members of the tree's structs. */\n";
    for (auto [st, var] : {std::pair{"rcu_data", "rdp"}, {"rcu_state", "state"}, {"rcu_node", "node"}}) {
        auto members = struct_members(p.output, st);
        if (members.empty()) throw TreeError(t.source + ": tree.h has no struct " + st);
        fields += std::string("static const struct rcusim_field rcusim_") + var + "_fields[] = {\n";
        for (const auto& m : members)
            fields += std::string("\t{ \"") + m + "\", offsetof(struct " + st + ", " + m +
                      "), sizeof(((struct " + st + " *)0)->" + m + ") },\n";
        fields += "};\n";
    }
    write_file_atomic(dir + "/rcusim_fields.h", fields);
    // 2. The two objects, 3. the shared object.
    std::vector<std::string> a = flags;
    a.insert(a.end(), {"-c", dir + "/rcusim_kernel.c", "-o", "kernel.o"});
    run(a, "compiling tree_nocb.h");
    std::vector<std::string> b = flags;
    b.insert(b.end(), {"-c", t.root + "/kernel/rcu/rcu_segcblist.c", "-o", "rcu_segcblist.o"});
    run(b, "compiling rcu_segcblist.c");
    run({"-shared", "-o", "kernel.so", "kernel.o", "rcu_segcblist.o", "-Wl,-z,now",
         "-Wl,-Bsymbolic", "-Wl,--no-undefined"},
        "linking");
    write_file_atomic(dir + "/build.log", *log);
    write_symbols(dir);
}

}  // namespace

void Build::load_symbols() const {
    std::call_once(sym_once_, [&] {
        std::string text;
        if (!read_file_if_exists(dir + "/symbols.txt", &text)) return;
        std::istringstream in(text);
        std::string kind, at, a, b;
        while (in >> kind >> at) {
            std::uintptr_t off = std::stoull(at, nullptr, 16);
            if (kind == "F") {
                in >> a;
                funcs_.push_back({off, a});
            } else {
                in >> a >> b;
                lines_.push_back({off, b + ":" + a});
            }
        }
        auto by_at = [](const Sym& x, const Sym& y) { return x.at < y.at; };
        std::stable_sort(funcs_.begin(), funcs_.end(), by_at);
        std::stable_sort(lines_.begin(), lines_.end(), by_at);
    });
}

const std::string& Build::line_of(std::uintptr_t offset) const {
    static const std::string none;
    load_symbols();
    auto it = std::upper_bound(lines_.begin(), lines_.end(), offset,
                               [](std::uintptr_t o, const Sym& s) { return o < s.at; });
    if (it == lines_.begin()) return none;
    return (it - 1)->text;
}

std::string Build::symbolize(std::uintptr_t offset) const {
    load_symbols();
    auto find = [&](const std::vector<Sym>& v) -> const Sym* {
        auto it = std::upper_bound(v.begin(), v.end(), offset,
                                   [](std::uintptr_t o, const Sym& s) { return o < s.at; });
        if (it == v.begin()) return nullptr;
        return &*(it - 1);
    };
    const Sym* fn = find(funcs_);
    const Sym* ln = find(lines_);
    std::string out = fn ? fn->text + "()" : "?";
    if (ln) out += " " + ln->text;
    return out;
}

std::string Build::short_name() const { return version + " (" + features.summary() + ")"; }

std::string Build::describe() const {
    std::string out = "kernel " + version + " from " + source + " (tree sha256:" +
                      tree_hash.substr(0, 12) + ", NR_CPUS " + std::to_string(nr_cpus) +
                      ", HZ " + std::to_string(hz) + ")\n";
    out += "  features: " + features.summary() + "\n";
    out += "  real: kernel/rcu/tree_nocb.h (" + std::to_string(nocb_functions.size()) +
           " functions), kernel/rcu/rcu_segcblist.c (" +
           std::to_string(segcblist_functions.size()) + "), tree.h and rcu.h inlines";
    std::map<std::string, std::vector<std::string>> by_file;
    for (const auto& e : extracted) by_file[e.file].push_back(e.name + "()");
    for (const auto& [file, names] : by_file) out += "\n        " + file + ": " + join(names, " ");
    out += "\n  glue (rcusim's, stands in for): " + join(glue, "; ") + "\n";
    out += "  object: " + so_path + (cached ? " (cached)" : "") + "\n";
    char buf[160];
    std::snprintf(buf, sizeof buf, "  took: %.2f s to read the tree, %.2f s to compile (%s)",
                  start_seconds, build_seconds, compiler.c_str());
    out += buf;
    return out;
}

namespace {
std::mutex cache_mu;
std::string cache_setting;
}  // namespace

void set_cache_dir(const std::string& dir) {
    std::lock_guard<std::mutex> lock(cache_mu);
    cache_setting = dir;
}

std::string cache_dir() {
    std::lock_guard<std::mutex> lock(cache_mu);
    return cache_setting.empty() ? default_cache_dir() : cache_setting;
}

std::shared_ptr<const Build> build_kernel(const std::string& source, const BuildOptions& o) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<const Build>> builds;
    const int nr = nr_cpus_for(o.cpus);
    const std::string cache = o.cache_dir.empty() ? cache_dir() : o.cache_dir;
    const std::string reg_key = source + "\n" + std::to_string(nr) + "\n" + std::to_string(o.hz) + "\n" + cache;
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = builds.find(reg_key); it != builds.end()) return it->second;

    auto t0 = Clock::now();
    Tree tree = open_tree(source, cache);
    Features f = probe_features(tree);
    auto b = std::make_shared<Build>();
    b->source = source;
    b->version = tree.version;
    b->tree_hash = tree.content_hash;
    b->features = f;
    b->nr_cpus = nr;
    b->hz = o.hz;
    const std::string cc = compiler_command();
    b->compiler = compiler_identity(cc);
    b->glue = glue_functions();

    trace::Sha256 h;
    h.update("rcusim-real-build/1\n");
    h.update(std::to_string(RCUSIM_ABI_VERSION) + "\n");
    h.update(tree.content_hash + "\n");
    for (const auto& sf : embedded::kShimFiles) {
        h.update(sf.name);
        h.update("\n");
        h.update(sf.content);
    }
    h.update(b->compiler + "\n" + cc + "\n");
    for (const auto& fl : compile_flags(tree, "DIR", nr, o.hz))
        if (fl.find(tree.root) == std::string::npos) h.update(fl + "\n");
    b->key = h.hex();
    b->dir = cache + "/build/" + b->key.substr(0, 32);
    b->so_path = b->dir + "/kernel.so";
    b->start_seconds = seconds_since(t0);

    if (is_file(b->so_path) && is_file(b->dir + "/.complete")) {
        // Cached: recompute what the build holds (cheap) without compiling.
        std::string tmp = b->dir;
        Compiled c;
        for (const auto& w : wanted_functions()) {
            std::string why;
            if (!extract_function(tree.file(w.file), w.name, w.file, nullptr, &why).empty())
                c.extracted.push_back({w.file, w.name});
        }
        b->extracted = c.extracted;
        b->nocb_functions = defined_functions(tree.file("kernel/rcu/tree_nocb.h"));
        b->segcblist_functions = defined_functions(tree.file("kernel/rcu/rcu_segcblist.c"));
        b->cached = true;
    } else {
        make_dirs(cache + "/build");
        const std::string tmp = b->dir + ".tmp." + std::to_string(getpid());
        run_process({"rm", "-rf", tmp});
        auto t1 = Clock::now();
        Compiled c = write_sources(tree, f, tmp);
        std::string log;
        // The object's paths must not depend on the temporary name: build in `tmp` with
        // macro prefix maps (labels say "kernel/rcu/tree_nocb.h" and "rcusim/..."), then
        // rename.
        compile(tree, cc, tmp, nr, o.hz, &log);
        write_file_atomic(tmp + "/info.txt", "source " + source + "\nversion " + tree.version +
                                                 "\ntree " + tree.content_hash + "\nfeatures " +
                                                 f.summary() + "\n");
        write_file_atomic(tmp + "/.complete", "ok\n");
        if (std::rename(tmp.c_str(), b->dir.c_str()) != 0) {
            run_process({"rm", "-rf", tmp});  // another process finished first
            if (!is_file(b->so_path)) throw TreeError(b->dir + ": cannot rename into place");
        }
        b->extracted = c.extracted;
        b->nocb_functions = c.nocb_functions;
        b->segcblist_functions = c.segcblist_functions;
        b->build_seconds = seconds_since(t1);
    }
    builds[reg_key] = b;
    return b;
}

}  // namespace rcusim::real
