// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): the uniform used for sample i at
// decoding step t is a pure function of (seed, i, t). A sample's text therefore does not depend on
// the batch size, on which other samples share its batch, on the order of completion, or on resume.
#pragma once

#include <cstdint>

namespace resurface {

struct Philox4x32 {
  static void round(uint32_t ctr[4], const uint32_t key[2]) {
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * ctr[0];
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * ctr[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    const uint32_t c0 = hi1 ^ ctr[1] ^ key[0];
    const uint32_t c2 = hi0 ^ ctr[3] ^ key[1];
    ctr[0] = c0;
    ctr[1] = lo1;
    ctr[2] = c2;
    ctr[3] = lo0;
  }

  // 4 x 32 random bits for counter (a, b) under key `seed`.
  static void generate(uint64_t seed, uint64_t a, uint64_t b, uint32_t out[4]) {
    uint32_t ctr[4] = {static_cast<uint32_t>(a), static_cast<uint32_t>(a >> 32), static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32)};
    uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
    for (int i = 0; i < 10; ++i) {
      round(ctr, key);
      key[0] += 0x9E3779B9u;
      key[1] += 0xBB67AE85u;
    }
    for (int i = 0; i < 4; ++i) out[i] = ctr[i];
  }

  // Uniform double in [0, 1) with 53 random bits, for (seed, sample, step).
  static double uniform(uint64_t seed, uint64_t sample, uint64_t step) {
    uint32_t r[4];
    generate(seed, sample, step, r);
    const uint64_t bits = (static_cast<uint64_t>(r[0]) << 21) ^ (static_cast<uint64_t>(r[1]) >> 11);
    return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
  }
};

}  // namespace resurface
