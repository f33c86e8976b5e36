// SHA-256 against the FIPS 180-4 / NIST example vectors.
#include "trace/sha256.hpp"

#include <catch2/catch.hpp>
#include <string>

using rcusim::trace::Sha256;
using rcusim::trace::sha256_hex;

TEST_CASE("trace::sha256: FIPS vectors for short messages") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST_CASE("trace::sha256: one million 'a' fed in uneven chunks") {
    const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    CHECK(sha256_hex(std::string(1'000'000, 'a')) == expected);

    Sha256 s;
    const std::string chunk(997, 'a');  // prime size: crosses block boundaries every way
    std::size_t left = 1'000'000;
    while (left > 0) {
        std::size_t n = left < chunk.size() ? left : chunk.size();
        s.update(chunk.data(), n);
        left -= n;
    }
    CHECK(s.hex() == expected);
}

TEST_CASE("trace::sha256: padding boundaries match one-shot hashing byte by byte") {
    // Lengths around the 55/56/64-byte padding edges.
    for (std::size_t len : {55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u}) {
        std::string msg(len, 'x');
        Sha256 bytewise;
        for (char c : msg) bytewise.update(&c, 1);
        Sha256 whole;
        whole.update(msg);
        INFO("length " << len);
        CHECK(bytewise.digest() == whole.digest());
    }
}

TEST_CASE("trace::sha256: reading the digest leaves the state usable") {
    Sha256 s;
    s.update("ab");
    CHECK(s.hex() == sha256_hex("ab"));
    CHECK(s.hex() == sha256_hex("ab"));  // idempotent
    s.update("c");
    CHECK(s.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    auto d = s.digest();
    CHECK(d[0] == 0xba);
    CHECK(d[31] == 0xad);
    s.reset();
    CHECK(s.hex() == sha256_hex(""));
}

TEST_CASE("trace::sha256: the compression update() uses equals the portable one") {
    // On a machine with the x86 SHA extensions update() takes the SHA-NI path: compare it,
    // block runs of every length up to 9, with the portable FIPS code on pseudo-random data.
    INFO("SHA extensions in use: " << rcusim::trace::sha256_uses_cpu_extensions());
    std::string data(64 * 9, '\0');
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (auto& c : data) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c = static_cast<char>(x);
    }
    for (std::size_t blocks = 1; blocks <= 9; ++blocks) {
        std::uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        rcusim::trace::sha256_compress_portable(
            state, reinterpret_cast<const std::uint8_t*>(data.data()), blocks);
        // Hash the same blocks plus the padding block through update(): the padding adds one
        // more compression, so compare against the portable run finishing the same way.
        Sha256 fast;
        fast.update(data.data(), 64 * blocks);
        std::uint8_t pad[64] = {0x80};
        const std::uint64_t bits = 64 * 8 * blocks;
        for (int i = 0; i < 8; ++i) pad[56 + i] = static_cast<std::uint8_t>(bits >> (56 - 8 * i));
        rcusim::trace::sha256_compress_portable(state, pad, 1);
        auto d = fast.digest();
        INFO("blocks " << blocks);
        for (std::size_t i = 0; i < 8; ++i) {
            CHECK(d[4 * i] == static_cast<std::uint8_t>(state[i] >> 24));
            CHECK(d[4 * i + 3] == static_cast<std::uint8_t>(state[i]));
        }
    }
}
