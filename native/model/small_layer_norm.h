// Layer norm of a few rows on CPU without autograd (decoding: [B, 1, H] with B up to ~64).
// libtorch 1.13's CPU layer_norm splits rows over the OpenMP team with a grain of one row, so every
// call wakes the sleeping threads (OMP_WAIT_POLICY=PASSIVE): 60-160 us for [32, 512] on a 2-core VM,
// against ~8 us on the calling thread alone. Float32 arithmetic (two passes over the row), one
// rounding to the input's dtype, as the float32 route for bf16 in Decoder::norm.
#pragma once

#include <torch/torch.h>

namespace resurface {

// Inputs up to this many elements take the serial kernel; larger ones (prefill, training) go to libtorch.
constexpr int64_t kMaxSmallLayerNormElements = 64 * 1024;

// Whether small_layer_norm serves this call: CPU x contiguous, float32 or bfloat16, at most
// kMaxSmallLayerNormElements elements, weight (and bias, if present) [H] in x's dtype, no autograd.
bool small_layer_norm_applies(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

// x [..., H] -> (x - mean) / sqrt(var + eps) * w + b over the last dimension (biased variance).
torch::Tensor small_layer_norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, double eps);

}  // namespace resurface
