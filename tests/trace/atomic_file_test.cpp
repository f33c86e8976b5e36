// AtomicFile: a file appears complete on commit() or not at all.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "trace/sinks.hpp"

namespace fs = std::filesystem;
using rcusim::trace::AtomicFile;

namespace {

// A fresh scratch directory, removed with everything in it at scope exit.
struct ScratchDir {
    fs::path path;
    explicit ScratchDir(const std::string& tag)
        : path(fs::temp_directory_path() /
               ("rcusim_trace_" + tag + "_" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool dir_is_empty(const fs::path& p) { return fs::is_empty(p); }

}  // namespace

TEST_CASE("trace::atomic_file: nothing is left when not committed") {
    ScratchDir dir("uncommitted");
    const fs::path target = dir.path / "out.jsonl";
    {
        AtomicFile f(target.string());
        f.stream() << "partial\n";
        CHECK(fs::exists(f.temp_path()));
        CHECK(f.temp_path() == target.string() + ".tmp." + std::to_string(::getpid()));
        CHECK_FALSE(fs::exists(target));
    }
    CHECK_FALSE(fs::exists(target));
    CHECK(dir_is_empty(dir.path));
}

TEST_CASE("trace::atomic_file: nothing is left when an exception unwinds") {
    ScratchDir dir("unwind");
    const fs::path target = dir.path / "out.jsonl";
    try {
        AtomicFile f(target.string());
        f.stream() << "partial\n";
        throw std::runtime_error("run failed");
    } catch (const std::runtime_error&) {
    }
    CHECK(dir_is_empty(dir.path));
}

TEST_CASE("trace::atomic_file: commit renames the complete file into place") {
    ScratchDir dir("commit");
    const fs::path target = dir.path / "nested" / "deeper" / "out.txt";  // parents missing
    AtomicFile f(target.string());
    f.stream() << "line 1\nline 2\n";
    f.commit();
    CHECK(f.committed());
    CHECK(slurp(target) == "line 1\nline 2\n");
    CHECK_FALSE(fs::exists(f.temp_path()));
    CHECK_THROWS_AS(f.commit(), std::logic_error);
}

TEST_CASE("trace::atomic_file: an existing file is replaced only on commit") {
    ScratchDir dir("replace");
    const fs::path target = dir.path / "out.txt";
    std::ofstream(target) << "old\n";
    {
        AtomicFile f(target.string());
        f.stream() << "new but abandoned\n";
        CHECK(slurp(target) == "old\n");
    }
    CHECK(slurp(target) == "old\n");
    {
        AtomicFile f(target.string());
        f.stream() << "new\n";
        CHECK(slurp(target) == "old\n");
        f.commit();
    }
    CHECK(slurp(target) == "new\n");
    CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("trace::atomic_file: discard drops the temporary file") {
    ScratchDir dir("discard");
    const fs::path target = dir.path / "out.txt";
    AtomicFile f(target.string());
    f.stream() << "x";
    f.discard();
    CHECK_FALSE(f.committed());
    CHECK(dir_is_empty(dir.path));
    CHECK_THROWS_AS(f.commit(), std::logic_error);
}

TEST_CASE("trace::atomic_file: a path that cannot be created throws") {
    ScratchDir dir("bad");
    const fs::path blocker = dir.path / "file";
    std::ofstream(blocker) << "x";
    // A regular file where a directory would have to be.
    CHECK_THROWS_AS(AtomicFile((blocker / "sub" / "out.txt").string()), std::runtime_error);
}
