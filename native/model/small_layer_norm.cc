#include "model/small_layer_norm.h"

#include <cmath>

#include "common/cpu_features.h"
#include "common/simd_lanes.h"

namespace resurface {

namespace {

// Portable kernel. x, y [R, H]; w, b [H] (b may be null). Two passes per row in float32 (mean, then
// the mean squared deviation), eight partial sums each so that the compiler can vectorise.
template <typename T>
void normalise_rows(const T* x, const T* w, const T* b, T* y, int64_t R, int64_t H, float eps) {
  for (int64_t r = 0; r < R; ++r) {
    const T* xr = x + r * H;
    T* yr = y + r * H;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, dev[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= H; i += 8)
      for (int j = 0; j < 8; ++j) acc[j] += to_float(xr[i + j]);
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; i < H; ++i) sum += to_float(xr[i]);
    const float mean = sum / static_cast<float>(H);
    for (i = 0; i + 8 <= H; i += 8)
      for (int j = 0; j < 8; ++j) {
        const float d = to_float(xr[i + j]) - mean;
        dev[j] += d * d;
      }
    float ss = ((dev[0] + dev[1]) + (dev[2] + dev[3])) + ((dev[4] + dev[5]) + (dev[6] + dev[7]));
    for (; i < H; ++i) ss += (to_float(xr[i]) - mean) * (to_float(xr[i]) - mean);
    const float inv_std = 1.0f / std::sqrt(ss / static_cast<float>(H) + eps);
    for (i = 0; i < H; ++i) yr[i] = static_cast<T>((to_float(xr[i]) - mean) * inv_std * to_float(w[i]) + (b ? to_float(b[i]) : 0.0f));
  }
}

#ifdef RESURFACE_SIMD_AVX512

#define RESURFACE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

RESURFACE_AVX512 inline void store16(float* p, int64_t i, int64_t n, __m512 v) {
  const int64_t left = n - i;
  if (left >= 16)
    _mm512_storeu_ps(p + i, v);
  else
    _mm512_mask_storeu_ps(p + i, static_cast<__mmask16>((1u << left) - 1), v);
}
RESURFACE_AVX512 inline void store16(c10::BFloat16* p, int64_t i, int64_t n, __m512 v) {
  const int64_t left = n - i;
  auto* q = reinterpret_cast<uint16_t*>(p) + i;
  const __m256i h = (__m256i)_mm512_cvtneps_pbh(v);  // round to nearest even, NaN stays NaN
  if (left >= 16)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), h);
  else
    _mm256_mask_storeu_epi16(q, static_cast<__mmask16>((1u << left) - 1), h);
}

// As normalise_rows, 16 lanes at a time (masked tails zero, so they add nothing to the sums).
template <typename T>
RESURFACE_AVX512 void normalise_rows_avx512(const T* x, const T* w, const T* b, T* y, int64_t R, int64_t H, float eps) {
  for (int64_t r = 0; r < R; ++r) {
    const T* xr = x + r * H;
    T* yr = y + r * H;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t i = 0; i < H; i += 16) acc = _mm512_add_ps(acc, load16(xr, i, H));
    const float mean = sum16(acc) / static_cast<float>(H);
    const __m512 vmean = _mm512_set1_ps(mean);
    __m512 dev = _mm512_setzero_ps();
    for (int64_t i = 0; i < H; i += 16) {
      const int64_t left = H - i;
      const __mmask16 m = left >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << left) - 1);
      const __m512 d = _mm512_maskz_sub_ps(m, load16(xr, i, H), vmean);
      dev = _mm512_fmadd_ps(d, d, dev);
    }
    const __m512 inv_std = _mm512_set1_ps(1.0f / std::sqrt(sum16(dev) / static_cast<float>(H) + eps));
    for (int64_t i = 0; i < H; i += 16) {
      __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_sub_ps(load16(xr, i, H), vmean), inv_std), load16(w, i, H));
      if (b) v = _mm512_add_ps(v, load16(b, i, H));
      store16(yr, i, H, v);
    }
  }
}

#endif  // RESURFACE_SIMD_AVX512

template <typename T>
void dispatch(const T* x, const T* w, const T* b, T* y, int64_t R, int64_t H, float eps) {
#ifdef RESURFACE_SIMD_AVX512
  const auto& f = cpu_features();
  if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512_bf16) return normalise_rows_avx512(x, w, b, y, R, H, eps);
#endif
  normalise_rows(x, w, b, y, R, H, eps);
}

}  // namespace

bool small_layer_norm_applies(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  const auto dt = x.scalar_type();
  if (!x.is_cpu() || x.dim() < 1 || !x.is_contiguous() || x.numel() > kMaxSmallLayerNormElements) return false;
  if (dt != torch::kFloat32 && dt != torch::kBFloat16) return false;
  if (torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b.defined() && b.requires_grad()))) return false;
  const int64_t H = x.size(-1);
  auto fits = [&](const torch::Tensor& t) {
    return t.is_cpu() && t.scalar_type() == dt && t.dim() == 1 && t.size(0) == H && t.is_contiguous();
  };
  return fits(w) && (!b.defined() || fits(b));
}

torch::Tensor small_layer_norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, double eps) {
  const int64_t H = x.size(-1), R = H ? x.numel() / H : 0;
  auto y = torch::empty_like(x);
  const auto e = static_cast<float>(eps);
  if (x.scalar_type() == torch::kFloat32) {
    dispatch(x.data_ptr<float>(), w.data_ptr<float>(), b.defined() ? b.data_ptr<float>() : nullptr, y.data_ptr<float>(), R, H, e);
  } else {
    dispatch(x.data_ptr<c10::BFloat16>(), w.data_ptr<c10::BFloat16>(), b.defined() ? b.data_ptr<c10::BFloat16>() : nullptr,
             y.data_ptr<c10::BFloat16>(), R, H, e);
  }
  return y;
}

}  // namespace resurface
