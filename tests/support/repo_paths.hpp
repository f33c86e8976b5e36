// Where the repository's files are: ctest runs tests from the repository root; when a test
// binary is run from elsewhere, fall back to the source tree this file belongs to.
#pragma once

#include <filesystem>

namespace rcusim::testing {

inline std::filesystem::path repo_path(const std::filesystem::path& rel) {
    if (std::filesystem::exists(rel)) return rel;
    return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / rel;
}

}  // namespace rcusim::testing
