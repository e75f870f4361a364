#include "generate/argmax_rows.h"

#include <ATen/Parallel.h>

#include <limits>

namespace resurface {

namespace {

inline float to_float(float x) { return x; }
inline float to_float(c10::BFloat16 x) { return static_cast<float>(x); }

constexpr int64_t kLanes = 16;

// First index of the row's maximum; the first NaN wins, as in torch::argmax.
// Pass 1: lane-wise maxima and a NaN flag (branch-free, so the compiler vectorises it); pass 2:
// the first block holding the maximum, then the first index within it.
template <typename T>
int64_t row_argmax(const T* x, int64_t n) {
  float acc[kLanes];
  int32_t nan[kLanes];
  for (int64_t j = 0; j < kLanes; ++j) acc[j] = -std::numeric_limits<float>::infinity(), nan[j] = 0;
  const int64_t blocked = n - n % kLanes;
  for (int64_t i = 0; i < blocked; i += kLanes)
    for (int64_t j = 0; j < kLanes; ++j) {
      const float v = to_float(x[i + j]);
      acc[j] = acc[j] < v ? v : acc[j];
      nan[j] |= v != v;
    }
  float mx = -std::numeric_limits<float>::infinity();
  bool any_nan = false;
  for (int64_t j = 0; j < kLanes; ++j) mx = mx < acc[j] ? acc[j] : mx, any_nan = any_nan || nan[j];
  for (int64_t i = blocked; i < n; ++i) {
    const float v = to_float(x[i]);
    any_nan = any_nan || v != v;
    mx = mx < v ? v : mx;
  }
  if (any_nan) {
    for (int64_t i = 0; i < n; ++i)
      if (to_float(x[i]) != to_float(x[i])) return i;
  }
  for (int64_t i = 0; i < blocked; i += kLanes) {
    int32_t hit = 0;
    for (int64_t j = 0; j < kLanes; ++j) hit |= to_float(x[i + j]) == mx;
    if (hit)
      for (int64_t j = 0; j < kLanes; ++j)
        if (to_float(x[i + j]) == mx) return i + j;
  }
  for (int64_t i = blocked; i < n; ++i)
    if (to_float(x[i]) == mx) return i;
  return 0;  // every entry is -inf: torch also answers 0
}

template <typename T>
void argmax_all(const torch::Tensor& logits, int64_t* out) {
  const int64_t B = logits.size(0), V = logits.size(1), stride = logits.stride(0);
  const T* base = logits.data_ptr<T>();
  at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) out[b] = row_argmax(base + b * stride, V);
  });
}

}  // namespace

bool argmax_rows_applies(const torch::Tensor& logits) {
  const auto dt = logits.scalar_type();
  return logits.is_cpu() && logits.dim() == 2 && logits.size(1) > 0 && logits.stride(1) == 1 &&
         (dt == torch::kFloat32 || dt == torch::kBFloat16);
}

torch::Tensor argmax_rows(const torch::Tensor& logits) {
  auto out = torch::empty({logits.size(0)}, torch::TensorOptions().dtype(torch::kInt64));
  if (logits.scalar_type() == torch::kBFloat16)
    argmax_all<c10::BFloat16>(logits, out.data_ptr<int64_t>());
  else
    argmax_all<float>(logits, out.data_ptr<int64_t>());
  return out;
}

}  // namespace resurface
