#include "real/image.hpp"

#include <dlfcn.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "real/process.hpp"

namespace rcusim::real {

namespace {

struct PhdrSearch {
    std::uintptr_t base;
    std::vector<std::pair<char*, std::size_t>> writable;
    std::pair<char*, std::size_t> relro{nullptr, 0};
    bool found = false;
};

int phdr_cb(struct dl_phdr_info* info, std::size_t, void* data) {
    auto* s = static_cast<PhdrSearch*>(data);
    if (info->dlpi_addr != s->base) return 0;
    s->found = true;
    for (int i = 0; i < info->dlpi_phnum; ++i) {
        const ElfW(Phdr)& p = info->dlpi_phdr[i];
        char* a = reinterpret_cast<char*>(info->dlpi_addr + p.p_vaddr);
        if (p.p_type == PT_LOAD && (p.p_flags & PF_W)) s->writable.emplace_back(a, p.p_memsz);
        if (p.p_type == PT_GNU_RELRO) s->relro = {a, p.p_memsz};
    }
    return 1;
}

}  // namespace

Image::Image(const std::string& so_path) {
    // A private copy: glibc shares one instance per file, and each thread needs its own.
    std::string content = read_file(so_path);
    int fd = memfd_create("rcusim-kernel", MFD_CLOEXEC);
    if (fd < 0) throw TreeError(std::string("memfd_create: ") + std::strerror(errno));
    std::size_t off = 0;
    while (off < content.size()) {
        ssize_t n = write(fd, content.data() + off, content.size() - off);
        if (n < 0) {
            close(fd);
            throw TreeError(std::string("memfd write: ") + std::strerror(errno));
        }
        off += static_cast<std::size_t>(n);
    }
    // The descriptor stays open while the object is loaded: glibc recognises an object by
    // its path name, and a reused descriptor number would hand another thread this copy.
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    handle_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) {
        close(fd);
        throw TreeError(so_path + ": cannot load: " + dlerror());
    }
    fd_ = fd;
    auto fn = reinterpret_cast<rcusim_image_fn>(dlsym(handle_, "rcusim_image"));
    if (!fn) throw TreeError(so_path + ": not an rcusim kernel object (no rcusim_image)");
    api_ = fn();
    if (api_->abi != RCUSIM_ABI_VERSION)
        throw TreeError(so_path + ": built for rcusim ABI " + std::to_string(api_->abi) +
                        ", this rcusim speaks " + std::to_string(RCUSIM_ABI_VERSION));
    struct link_map* lm = nullptr;
    if (dlinfo(handle_, RTLD_DI_LINKMAP, &lm) != 0 || !lm) throw TreeError(so_path + ": dlinfo failed");
    base_ = lm->l_addr;
    PhdrSearch s{lm->l_addr, {}, {}, false};
    dl_iterate_phdr(&phdr_cb, &s);
    if (!s.found || s.writable.empty()) throw TreeError(so_path + ": no writable segment found");
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    char* relro_end = s.relro.first ? s.relro.first + s.relro.second : nullptr;
    if (relro_end) {
        auto r = reinterpret_cast<std::uintptr_t>(relro_end);
        relro_end = reinterpret_cast<char*>((r + page - 1) / page * page);
    }
    char* sites_lo = reinterpret_cast<char*>(api_->sites_start);
    char* sites_hi = reinterpret_cast<char*>(api_->sites_end);
    for (auto [a, len] : s.writable) {
        char* lo = a;
        char* hi = a + len;
        if (relro_end && relro_end > lo && s.relro.first < hi) lo = std::min(hi, relro_end);
        if (lo >= hi) continue;
        if (!data_lo_ || lo < data_lo_) data_lo_ = lo;
        if (!data_hi_ || hi > data_hi_) data_hi_ = hi;
        // Keep the site labels: split the range around the rcusim_sites section.
        auto add = [&](char* b, char* e) {
            if (b < e) ranges_.push_back({b, static_cast<std::size_t>(e - b), {}});
        };
        if (sites_lo < hi && sites_hi > lo) {
            add(lo, std::max(lo, sites_lo));
            add(std::min(hi, sites_hi), hi);
        } else {
            add(lo, hi);
        }
    }
    for (auto& r : ranges_) r.saved.assign(r.addr, r.addr + r.len);
}

Image::~Image() {
    if (handle_) dlclose(handle_);
    if (fd_ >= 0) close(fd_);
}

void Image::reset() {
    for (auto& r : ranges_) std::memcpy(r.addr, r.saved.data(), r.len);
}

std::size_t Image::writable_bytes() const {
    std::size_t n = 0;
    for (const auto& r : ranges_) n += r.len;
    return n;
}

Image& image_for(const Build& b) {
    thread_local std::map<std::string, std::unique_ptr<Image>> images;
    auto& slot = images[b.so_path];
    if (!slot) slot = std::make_unique<Image>(b.so_path);
    slot->reset();
    return *slot;
}

}  // namespace rcusim::real
