// The horizontal sum of an AVX-512 float32 register, for kernels compiled with a target attribute
// that includes avx512f. Summation order is fixed (lanes i + i+8, then j + j+4, k + k+2, 0 + 1), so
// results do not depend on the compiler. Zero-masked shuffles throughout: GCC 12's unmasked forms
// (and _mm512_reduce_add_ps, _mm512_extractf64x4_pd) trip -Wmaybe-uninitialized inside its own headers.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

namespace resurface {

__attribute__((target("avx512f"), always_inline)) inline float sum16(__m512 v) {
  const __m512 s8 = _mm512_add_ps(v, _mm512_maskz_shuffle_f32x4(0xFFFF, v, v, 0x4E));     // lanes i + i+8
  const __m512 s4 = _mm512_add_ps(s8, _mm512_maskz_shuffle_f32x4(0xFFFF, s8, s8, 0xB1));  // j + j+4
  const __m512 s2 = _mm512_add_ps(s4, _mm512_maskz_permute_ps(0xFFFF, s4, 0x4E));         // k + k+2
  const __m512 s1 = _mm512_add_ps(s2, _mm512_maskz_permute_ps(0xFFFF, s2, 0xB1));         // 0 + 1
  return _mm512_cvtss_f32(s1);
}

}  // namespace resurface
#endif
