// Small pieces shared by the CPU kernels that read float32 or bfloat16 rows with float32 arithmetic:
// to_float for the portable loops; for AVX-512 kernels (compiled with a target attribute that includes
// avx512f, avx512bw and avx512vl), masked 16-lane loads and a horizontal sum with a fixed order.
// Zero-masked forms throughout: GCC 12's unmasked ones (and _mm512_reduce_add_ps,
// _mm512_extractf64x4_pd) trip -Wmaybe-uninitialized inside its own headers.
#pragma once

#include <c10/util/BFloat16.h>

#include <cstdint>

namespace resurface {

inline float to_float(float x) { return x; }
inline float to_float(c10::BFloat16 x) { return static_cast<float>(x); }

}  // namespace resurface

// RESURFACE_PORTABLE_KERNELS builds only the portable kernels (to check them on a CPU that has AVX-512).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(RESURFACE_PORTABLE_KERNELS)
#include <immintrin.h>
#define RESURFACE_SIMD_AVX512 1

#define RESURFACE_AVX512_LANES __attribute__((target("avx512f,avx512bw,avx512vl"), always_inline))

namespace resurface {

// Lanes [i, i + 16) of a row of n elements as float32, zero past n (a masked load never touches memory past the row).
RESURFACE_AVX512_LANES inline __m512 load16(const float* p, int64_t i, int64_t n) {
  return n - i >= 16 ? _mm512_loadu_ps(p + i) : _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << (n - i)) - 1), p + i);
}
RESURFACE_AVX512_LANES inline __m512 load16(const c10::BFloat16* p, int64_t i, int64_t n) {
  const auto* u = reinterpret_cast<const uint16_t*>(p) + i;
  const __m256i h = n - i >= 16 ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(u))
                                : _mm256_maskz_loadu_epi16(static_cast<__mmask16>((1u << (n - i)) - 1), u);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xFFFF, _mm512_maskz_cvtepu16_epi32(0xFFFF, h), 16));  // bf16 = top half of a float32
}

// The sum of the 16 lanes in a fixed order (lanes i + i+8, then j + j+4, k + k+2, 0 + 1), so that
// results do not depend on the compiler.
RESURFACE_AVX512_LANES inline float sum16(__m512 v) {
  const __m512 s8 = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E));  // lanes i + i+8
  const __m512 s4 = _mm512_add_ps(s8, _mm512_maskz_shuffle_f32x4(0xFFFF, s8, s8, 0xB1));  // j + j+4
  const __m512 s2 = _mm512_add_ps(s4, _mm512_maskz_permute_ps(0xFFFF, s4, 0x4E));  // k + k+2
  const __m512 s1 = _mm512_add_ps(s2, _mm512_maskz_permute_ps(0xFFFF, s2, 0xB1));  // 0 + 1
  return _mm512_cvtss_f32(s1);
}

}  // namespace resurface
#endif
