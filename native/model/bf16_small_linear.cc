#include "model/bf16_small_linear.h"

#include <ATen/Parallel.h>

#include <cstring>

#include "common/cpu_features.h"
#include "common/errors.h"
#include "common/simd_lanes.h"

#ifdef RESURFACE_SIMD_AVX512
#define RESURFACE_BF16_KERNEL 1
#endif

namespace resurface {

namespace {

#ifdef RESURFACE_BF16_KERNEL

#define RESURFACE_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// 16-bit lanes [k, k + 32) of a row, zero past n (a masked load never touches memory past the row).
RESURFACE_AVX512_BF16 inline __m512bh load32(const uint16_t* p, int64_t k, int64_t n) {
  const int64_t left = n - k;
  if (left >= 32) return (__m512bh)_mm512_loadu_si512(p + k);
  const __mmask32 m = left <= 0 ? 0 : static_cast<__mmask32>((uint64_t{1} << left) - 1);
  return (__m512bh)_mm512_maskz_loadu_epi16(m, p + k);
}

// Output columns [n0, n1) for all M rows: y[m, n] = sum_k x[m, k] w[n, k] + b[n].
// x [M, K], w [N, K], y [M, N]: bf16 bit patterns, rows contiguous.
template <int M>
RESURFACE_AVX512_BF16 void columns(const uint16_t* x, const uint16_t* w, const uint16_t* b, uint16_t* y, int64_t K, int64_t N, int64_t n0,
                                   int64_t n1) {
  for (int64_t n = n0; n < n1; ++n) {
    const uint16_t* wn = w + n * K;
    __m512 acc[M];
    for (int m = 0; m < M; ++m) acc[m] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k += 32) {
      const __m512bh wv = load32(wn, k, K);
      for (int m = 0; m < M; ++m) acc[m] = _mm512_dpbf16_ps(acc[m], load32(x + m * K, k, K), wv);
    }
    float bias = 0.0f;
    if (b != nullptr) {
      const uint32_t bits = static_cast<uint32_t>(b[n]) << 16;
      std::memcpy(&bias, &bits, sizeof bias);
    }
    for (int m = 0; m < M; ++m) y[m * N + n] = c10::BFloat16(sum16(acc[m]) + bias).x;
  }
}

using ColumnsFn = void (*)(const uint16_t*, const uint16_t*, const uint16_t*, uint16_t*, int64_t, int64_t, int64_t, int64_t);
constexpr ColumnsFn kColumns[kMaxBf16SmallLinearRows] = {&columns<1>, &columns<2>, &columns<3>, &columns<4>};

#endif

}  // namespace

bool bf16_small_linear_applies(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
#ifdef RESURFACE_BF16_KERNEL
  if (!cpu_features().avx512_bf16 || !x.is_cpu() || x.scalar_type() != torch::kBFloat16 || w.scalar_type() != torch::kBFloat16)
    return false;
  if (w.dim() != 2 || !w.is_contiguous() || x.size(-1) != w.size(1) || w.size(1) == 0) return false;
  if (b.defined() && (b.scalar_type() != torch::kBFloat16 || b.dim() != 1 || b.size(0) != w.size(0))) return false;
  if (torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b.defined() && b.requires_grad()))) return false;
  const int64_t rows = x.numel() / x.size(-1);
  return rows >= 1 && rows <= kMaxBf16SmallLinearRows;
#else
  (void)x, (void)w, (void)b;
  return false;
#endif
}

torch::Tensor bf16_small_linear(const torch::Tensor& x_in, const torch::Tensor& w, const torch::Tensor& b_in) {
  check_arg(bf16_small_linear_applies(x_in, w, b_in), "internal: bf16_small_linear called where it does not apply");
  const int64_t K = w.size(1), N = w.size(0);
  auto x = x_in.reshape({-1, K}).contiguous();  // [M, K]
  const int64_t M = x.size(0);
  auto b = b_in.defined() ? b_in.contiguous() : b_in;
  auto sizes = x_in.sizes().vec();
  sizes.back() = N;
  auto y = torch::empty({M, N}, x.options());  // [M, N]
#ifdef RESURFACE_BF16_KERNEL
  const auto* xp = reinterpret_cast<const uint16_t*>(x.data_ptr<c10::BFloat16>());
  const auto* wp = reinterpret_cast<const uint16_t*>(w.data_ptr<c10::BFloat16>());
  const auto* bp = b.defined() ? reinterpret_cast<const uint16_t*>(b.data_ptr<c10::BFloat16>()) : nullptr;
  auto* yp = reinterpret_cast<uint16_t*>(y.data_ptr<c10::BFloat16>());
  const ColumnsFn fn = kColumns[M - 1];
  // columns in parallel; a grain of 64 rows of w keeps each task well above the scheduling cost
  at::parallel_for(0, N, 64, [&](int64_t n0, int64_t n1) { fn(xp, wp, bp, yp, K, N, n0, n1); });
#endif
  return y.view(sizes);  // [..., out]
}

}  // namespace resurface
