#include "model/small_query_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "common/cpu_features.h"
#include "common/errors.h"
#include "common/simd_lanes.h"

namespace resurface {

namespace {

// Eight independent partial sums so that the compiler vectorises the loop.
template <typename KV>
inline float dot(const float* a, const KV* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * to_float(b[i + j]);
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += a[i] * to_float(b[i]);
  return s;
}

template <typename KV>
inline void axpy(float alpha, const KV* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * to_float(x[i]);
}

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// What every row of the kernel reads: q [B, H, R, D] float32, mask [B, T, S], keys/values with
// strides kst/vst (elements) and a contiguous last dimension, out [B, H, R, D] float32 (zeros).
template <typename KV>
struct AttendArgs {
  const float* q;
  const float* mask;
  const KV* k;
  const KV* v;
  float* out;
  int64_t B, H, R, D, S, T;
  int64_t kst[3], vst[3];
  float scale;
};

// Rows [i0, i1) of (sequence, head, query row), portable: softmax(q k^T * scale + mask) v, with w [S]
// as scratch. A row that sees no key keeps its zeros.
template <typename KV>
void attend_rows(const AttendArgs<KV>& a, int64_t i0, int64_t i1, float* w) {
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t b = i / (a.H * a.R), h = (i / a.R) % a.H, t = (i % a.R) % a.T;
    const float* qi = a.q + i * a.D;
    const float* mrow = a.mask + (b * a.T + t) * a.S;
    const KV* kbase = a.k + b * a.kst[0] + h * a.kst[1];
    const KV* vbase = a.v + b * a.vst[0] + h * a.vst[1];
    float mx = kNegInf;
    for (int64_t s = 0; s < a.S; ++s) {
      w[s] = mrow[s] == kNegInf ? kNegInf : dot(qi, kbase + s * a.kst[2], a.D) * a.scale + mrow[s];
      mx = std::max(mx, w[s]);
    }
    if (mx == kNegInf) continue;
    float sum = 0.0f;
    for (int64_t s = 0; s < a.S; ++s) {
      w[s] = w[s] == kNegInf ? 0.0f : std::exp(w[s] - mx);
      sum += w[s];
    }
    const float inv = 1.0f / sum;
    float* o = a.out + i * a.D;
    for (int64_t s = 0; s < a.S; ++s)
      if (w[s] != 0.0f) axpy(w[s] * inv, vbase + s * a.vst[2], o, a.D);
  }
}

#ifdef RESURFACE_SIMD_AVX512

#define RESURFACE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))

// exp(x) for x <= 0 (Cephes' single-precision polynomial, ~1 ulp; exp(-inf) = 0 exactly).
RESURFACE_AVX512 inline __m512 exp_nonpositive(__m512 x) {
  const __mmask16 finite = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kNegInf), _CMP_NEQ_OQ);
  x = _mm512_maskz_max_ps(0xFFFF, x, _mm512_set1_ps(-87.3f));  // (maskz forms: see common/simd_lanes.h)
  const __m512 n = _mm512_maskz_roundscale_ps(0xFFFF, _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_maskz_scalef_ps(finite, p, n);  // p * 2^n
}

// attend_rows, 16 lanes at a time: the dot products and the weighted sum of values over head_dim,
// the exponentials over the keys.
template <typename KV>
RESURFACE_AVX512 void attend_rows_avx512(const AttendArgs<KV>& a, int64_t i0, int64_t i1, float* w) {
  const int64_t D = a.D, S = a.S;
  for (int64_t i = i0; i < i1; ++i) {
    const int64_t b = i / (a.H * a.R), h = (i / a.R) % a.H, t = (i % a.R) % a.T;
    const float* qi = a.q + i * D;
    const float* mrow = a.mask + (b * a.T + t) * S;
    const KV* kbase = a.k + b * a.kst[0] + h * a.kst[1];
    const KV* vbase = a.v + b * a.vst[0] + h * a.vst[1];
    float mx = kNegInf;
    for (int64_t s = 0; s < S; ++s) {
      if (mrow[s] == kNegInf) {
        w[s] = kNegInf;
        continue;
      }
      const KV* ks = kbase + s * a.kst[2];
      __m512 acc = _mm512_setzero_ps();
      for (int64_t d = 0; d < D; d += 16) acc = _mm512_fmadd_ps(load16(qi, d, D), load16(ks, d, D), acc);
      w[s] = sum16(acc) * a.scale + mrow[s];
      mx = std::max(mx, w[s]);
    }
    if (mx == kNegInf) continue;
    const __m512 vmx = _mm512_set1_ps(mx);
    __m512 vsum = _mm512_setzero_ps();
    for (int64_t s = 0; s < S; s += 16) {
      const __mmask16 m = S - s >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (S - s)) - 1);
      const __m512 e = _mm512_maskz_mov_ps(m, exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, w + s), vmx)));
      _mm512_mask_storeu_ps(w + s, m, e);
      vsum = _mm512_add_ps(vsum, e);
    }
    const float inv = 1.0f / sum16(vsum);
    float* o = a.out + i * D;
    for (int64_t s = 0; s < S; ++s) {
      if (w[s] == 0.0f) continue;
      const __m512 p = _mm512_set1_ps(w[s] * inv);
      const KV* vs = vbase + s * a.vst[2];
      for (int64_t d = 0; d < D; d += 16) {
        const __mmask16 m = D - d >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << (D - d)) - 1);
        _mm512_mask_storeu_ps(o + d, m, _mm512_fmadd_ps(p, load16(vs, d, D), _mm512_maskz_loadu_ps(m, o + d)));
      }
    }
  }
}

#endif  // RESURFACE_SIMD_AVX512

// The kernel for one element type of the cache (float32 or bfloat16; arithmetic in float32).
template <typename KV>
void attend(const AttendArgs<KV>& a) {
#ifdef RESURFACE_SIMD_AVX512
  const auto& f = cpu_features();
  const bool avx512 = f.avx512f && f.avx512bw && f.avx512vl;
#endif
  at::parallel_for(0, a.B * a.H * a.R, 1, [&](int64_t i0, int64_t i1) {
    std::vector<float> w(a.S);  // [S] scores, then unnormalised probabilities
#ifdef RESURFACE_SIMD_AVX512
    if (avx512) return attend_rows_avx512(a, i0, i1, w.data());
#endif
    attend_rows(a, i0, i1, w.data());
  });
}

}  // namespace

bool small_query_attention_applies(const torch::Tensor& q, const torch::Tensor& keys) {
  const auto dt = keys.scalar_type();
  return q.is_cpu() && (dt == torch::kFloat32 || dt == torch::kBFloat16) && q.scalar_type() == dt && q.size(2) <= kMaxSmallQueryRows &&
         !(torch::GradMode::is_enabled() && (q.requires_grad() || keys.requires_grad()));
}

torch::Tensor small_query_attention_cpu(const torch::Tensor& q_in, const torch::Tensor& keys, const torch::Tensor& values,
                                        const torch::Tensor& mask_in, double scale) {
  const int64_t B = q_in.size(0), H = q_in.size(1), R = q_in.size(2), D = q_in.size(3), S = keys.size(2);
  const int64_t T = mask_in.size(-2);
  check_arg(keys.stride(3) == 1 && values.stride(3) == 1 && keys.sizes() == values.sizes() && keys.scalar_type() == values.scalar_type(),
            "internal: attention keys/values need one dtype and a contiguous last dimension");
  check_arg(mask_in.size(-1) == S && R % T == 0, "internal: attention mask does not match the query and key lengths");
  auto q = q_in.to(torch::kFloat32).contiguous();  // [B, H, R, D] float32
  auto mask = mask_in.reshape({B, T, S}).contiguous();  // [B, T, S]
  auto out = torch::zeros({B, H, R, D}, q.options());  // [B, H, R, D] float32
  const float* qp = q.data_ptr<float>();
  const float* mp = mask.data_ptr<float>();
  const auto fscale = static_cast<float>(scale);
  auto run = [&](auto* kp, auto* vp) {
    using KV = std::remove_const_t<std::remove_pointer_t<decltype(kp)>>;
    AttendArgs<KV> a{qp,
                     mp,
                     kp,
                     vp,
                     out.data_ptr<float>(),
                     B,
                     H,
                     R,
                     D,
                     S,
                     T,
                     {keys.stride(0), keys.stride(1), keys.stride(2)},
                     {values.stride(0), values.stride(1), values.stride(2)},
                     fscale};
    attend(a);
  };
  if (keys.scalar_type() == torch::kBFloat16)
    run(keys.data_ptr<c10::BFloat16>(), values.data_ptr<c10::BFloat16>());
  else
    run(keys.data_ptr<float>(), values.data_ptr<float>());
  return out.to(q_in.scalar_type());
}

}  // namespace resurface
