#include "model/small_query_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/errors.h"

namespace resurface {

namespace {

inline float to_float(float x) { return x; }
inline float to_float(c10::BFloat16 x) { return static_cast<float>(x); }

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

// The kernel for one element type of the cache (float32 or bfloat16; arithmetic in float32).
template <typename KV>
void attend(const float* qp, const float* mp, const KV* kp, const KV* vp, float* op, int64_t B, int64_t H, int64_t R, int64_t D, int64_t S,
            int64_t T, const int64_t (&kst)[3], const int64_t (&vst)[3], float fscale) {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  at::parallel_for(0, B * H * R, 1, [&](int64_t i0, int64_t i1) {
    std::vector<float> w(S);  // [S] scores, then unnormalised probabilities
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / (H * R), h = (i / R) % H, t = (i % R) % T;
      const float* qi = qp + i * D;
      const float* mrow = mp + (b * T + t) * S;
      const KV* kbase = kp + b * kst[0] + h * kst[1];
      const KV* vbase = vp + b * vst[0] + h * vst[1];
      float mx = kNegInf;
      for (int64_t s = 0; s < S; ++s) {
        if (mrow[s] == kNegInf) {
          w[s] = kNegInf;
          continue;
        }
        w[s] = dot(qi, kbase + s * kst[2], D) * fscale + mrow[s];
        mx = std::max(mx, w[s]);
      }
      if (mx == kNegInf) continue;  // sees no key: zeros
      float sum = 0.0f;
      for (int64_t s = 0; s < S; ++s) {
        w[s] = w[s] == kNegInf ? 0.0f : std::exp(w[s] - mx);
        sum += w[s];
      }
      const float inv = 1.0f / sum;
      float* o = op + i * D;
      for (int64_t s = 0; s < S; ++s)
        if (w[s] != 0.0f) axpy(w[s] * inv, vbase + s * vst[2], o, D);
    }
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
  auto q = q_in.to(torch::kFloat32).contiguous();                       // [B, H, R, D] float32
  auto mask = mask_in.reshape({B, T, S}).contiguous();                  // [B, T, S]
  auto out = torch::zeros({B, H, R, D}, q.options());                   // [B, H, R, D] float32
  const int64_t kst[3] = {keys.stride(0), keys.stride(1), keys.stride(2)};
  const int64_t vst[3] = {values.stride(0), values.stride(1), values.stride(2)};
  const float fscale = static_cast<float>(scale);
  const float* qp = q.data_ptr<float>();
  const float* mp = mask.data_ptr<float>();
  if (keys.scalar_type() == torch::kBFloat16) {
    attend(qp, mp, keys.data_ptr<c10::BFloat16>(), values.data_ptr<c10::BFloat16>(), out.data_ptr<float>(), B, H, R, D, S, T, kst, vst,
           fscale);
  } else {
    attend(qp, mp, keys.data_ptr<float>(), values.data_ptr<float>(), out.data_ptr<float>(), B, H, R, D, S, T, kst, vst, fscale);
  }
  return out.to(q_in.scalar_type());
}

}  // namespace resurface
