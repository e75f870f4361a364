#include "model/small_query_attention.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "common/errors.h"

namespace resurface {

namespace {

// Eight independent partial sums so that the compiler vectorises the loop.
inline float dot(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

inline void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

}  // namespace

bool small_query_attention_applies(const torch::Tensor& q, const torch::Tensor& keys) {
  return q.is_cpu() && q.scalar_type() == torch::kFloat32 && keys.scalar_type() == torch::kFloat32 && q.size(2) <= kMaxSmallQueryRows &&
         !(torch::GradMode::is_enabled() && (q.requires_grad() || keys.requires_grad()));
}

torch::Tensor small_query_attention_cpu(const torch::Tensor& q_in, const torch::Tensor& keys, const torch::Tensor& values,
                                        const torch::Tensor& mask_in, double scale) {
  const int64_t B = q_in.size(0), H = q_in.size(1), R = q_in.size(2), D = q_in.size(3), S = keys.size(2);
  const int64_t T = mask_in.size(-2);
  check_arg(keys.stride(3) == 1 && values.stride(3) == 1 && keys.sizes() == values.sizes(),
            "internal: attention keys/values need a contiguous last dimension");
  check_arg(mask_in.size(-1) == S && R % T == 0, "internal: attention mask does not match the query and key lengths");
  auto q = q_in.contiguous();                              // [B, H, R, D]
  auto mask = mask_in.reshape({B, T, S}).contiguous();     // [B, T, S]
  auto out = torch::zeros({B, H, R, D}, q.options());      // [B, H, R, D]
  const float* qp = q.data_ptr<float>();
  const float* mp = mask.data_ptr<float>();
  const float* kp = keys.data_ptr<float>();
  const float* vp = values.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t kb = keys.stride(0), kh = keys.stride(1), ks = keys.stride(2);
  const int64_t vb = values.stride(0), vh = values.stride(1), vs = values.stride(2);
  const float fscale = static_cast<float>(scale);
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();

  at::parallel_for(0, B * H * R, 1, [&](int64_t i0, int64_t i1) {
    std::vector<float> w(S);  // [S] scores, then unnormalised probabilities
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t b = i / (H * R), h = (i / R) % H, t = (i % R) % T;
      const float* qi = qp + i * D;
      const float* mrow = mp + (b * T + t) * S;
      const float* kbase = kp + b * kb + h * kh;
      const float* vbase = vp + b * vb + h * vh;
      float mx = kNegInf;
      for (int64_t s = 0; s < S; ++s) {
        if (mrow[s] == kNegInf) {
          w[s] = kNegInf;
          continue;
        }
        w[s] = dot(qi, kbase + s * ks, D) * fscale + mrow[s];
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
        if (w[s] != 0.0f) axpy(w[s] * inv, vbase + s * vs, o, D);
    }
  });
  return out;
}

}  // namespace resurface
