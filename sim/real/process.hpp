// Running the system's tools (tar, the C compiler) for real-code mode, and the files they
// read and write: nothing here runs during a simulation.
#pragma once

#include <string>
#include <vector>

namespace rcusim::real {

struct ProcessResult {
    int exit_code = -1;   // -1: could not start, 128+N: killed by signal N
    std::string output;   // stdout and stderr together
};

// Runs argv[0] (looked up in PATH) in `cwd` ("" = current), capturing its output.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& cwd = "");

// Whole-file helpers; read_file throws TreeError naming the file on failure.
std::string read_file(const std::string& path);
bool read_file_if_exists(const std::string& path, std::string* out);
// Writes through a temporary name and renames (TreeError on failure).
void write_file_atomic(const std::string& path, const std::string& content);
// mkdir -p (TreeError on failure).
void make_dirs(const std::string& path);
bool is_directory(const std::string& path);
bool is_file(const std::string& path);
// The default cache: $RCUSIM_KERNEL_CACHE, else $XDG_CACHE_HOME/rcusim, else
// $HOME/.cache/rcusim, else /tmp/rcusim-cache.
std::string default_cache_dir();

}  // namespace rcusim::real
