// Virtual time: signed 64-bit nanoseconds. No floating point anywhere that decides.
#pragma once

#include <cstdint>

namespace rcusim::engine {

using Time = std::int64_t;

constexpr Time kNs = 1;
constexpr Time kUs = 1000;
constexpr Time kMs = 1000 * kUs;
constexpr Time kSec = 1000 * kMs;
constexpr Time kTimeMax = INT64_MAX / 4;

namespace literals {
constexpr Time operator""_ns(unsigned long long v) { return static_cast<Time>(v); }
constexpr Time operator""_us(unsigned long long v) { return static_cast<Time>(v) * kUs; }
constexpr Time operator""_ms(unsigned long long v) { return static_cast<Time>(v) * kMs; }
constexpr Time operator""_s(unsigned long long v) { return static_cast<Time>(v) * kSec; }
}  // namespace literals

}  // namespace rcusim::engine
