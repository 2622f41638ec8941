#include "nw/sim/seeded_random.h"

#include <cmath>

namespace nw::sim {
namespace {

// SplitMix64 finaliser: spreads (seed, stream) over the whole state so that nearby
// seeds and streams give unrelated sequences.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace

std::uint64_t instance_seed(std::uint64_t seed, std::uint64_t index) {
  if (index == 0) return seed;
  return mix(seed ^ mix(index + 0x1D5EED));
}

SeededRandom::SeededRandom(std::uint64_t seed, std::uint64_t stream)
    : engine_(mix(seed ^ mix(stream + 0x5EED))) {}

std::uint64_t SeededRandom::next_u64() {
  return engine_();
}

double SeededRandom::uniform() {
  return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

double SeededRandom::exponential(double mean) {
  return -mean * std::log1p(-uniform());
}

double SeededRandom::standard_normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: log stays finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

std::uint64_t SeededRandom::below(std::uint64_t n) {
  // Rejection sampling: no modulo bias even for large n.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

std::string SeededRandom::uuid_v4() {
  std::uint64_t hi = next_u64();
  std::uint64_t lo = next_u64();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  static const char* const kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  auto put = [&](std::uint64_t bits, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) out.push_back(kHex[(bits >> (4 * i)) & 0xF]);
  };
  put(hi >> 32, 8);
  out.push_back('-');
  put(hi >> 16, 4);
  out.push_back('-');
  put(hi, 4);
  out.push_back('-');
  put(lo >> 48, 4);
  out.push_back('-');
  put(lo, 12);
  return out;
}

}  // namespace nw::sim
