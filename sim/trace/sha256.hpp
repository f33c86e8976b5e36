// Sha256: a small, self-contained SHA-256 (FIPS 180-4) for trace digests.
//
// Incremental: update() any number of times, then digest() or hex(). Reading the digest
// does not disturb the state, so a caller may read it mid-stream and keep updating.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rcusim::trace {

class Sha256 {
   public:
    static constexpr std::size_t kDigestSize = 32;

    Sha256() { reset(); }

    void reset();
    void update(const void* data, std::size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }

    // The digest of everything passed to update() so far.
    std::array<std::uint8_t, kDigestSize> digest() const;
    // The same as 64 lowercase hex digits.
    std::string hex() const;

   private:
    std::array<std::uint32_t, 8> h_{};
    std::array<std::uint8_t, 64> buf_{};
    std::size_t buf_len_ = 0;
    std::uint64_t total_len_ = 0;  // bytes
};

// Whether update() uses the CPU's SHA instructions (x86 SHA extensions, detected at start;
// RCUSIM_NO_SHA_NI=1 in the environment turns them off). The digests are the same either way.
bool sha256_uses_cpu_extensions();
// The portable compression function, for tests comparing it with the one update() uses.
void sha256_compress_portable(std::uint32_t* state, const std::uint8_t* data, std::size_t blocks);

// Convenience: lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

}  // namespace rcusim::trace
