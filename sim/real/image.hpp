// A loaded kernel object (build.hpp's kernel.so), private to one thread, and the reset that
// gives every execution of a campaign a clean kernel without re-running the compiler: the
// object's writable data (.data, .bss, the per-CPU master copy) is copied right after
// loading and copied back before each execution. The label cache in the rcusim_sites
// section is kept (it only caches text). Measured against a fork server in `rcusim bench`.
//
// Each thread loads its own copy (dlopen of a private memfd copy of the file), so campaign
// workers never share kernel state.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "real/build.hpp"
#include "real/shim/rcusim_abi.h"

namespace rcusim::real {

class Image {
   public:
    explicit Image(const std::string& so_path);  // throws TreeError
    ~Image();
    Image(const Image&) = delete;
    Image& operator=(const Image&) = delete;

    const struct rcusim_image& api() const { return *api_; }
    // Restores the writable data to its state right after loading.
    void reset();
    std::size_t writable_bytes() const;
    // Where the object's writable data lives (for naming addresses and resource ids).
    bool in_data(const void* p) const {
        const char* c = static_cast<const char*>(p);
        return c >= data_lo_ && c < data_hi_;
    }
    std::uintptr_t data_offset(const void* p) const {
        return reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(data_lo_);
    }
    std::uintptr_t load_base() const { return base_; }

   private:
    struct Range {
        char* addr;
        std::size_t len;
        std::vector<char> saved;
    };
    void* handle_ = nullptr;
    int fd_ = -1;
    const struct rcusim_image* api_ = nullptr;
    std::vector<Range> ranges_;
    const char* data_lo_ = nullptr;
    const char* data_hi_ = nullptr;
    std::uintptr_t base_ = 0;
};

// This thread's image of `b`, reset and ready for one execution.
Image& image_for(const Build& b);

}  // namespace rcusim::real
