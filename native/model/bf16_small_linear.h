// y = x w^T + b for a few rows of bfloat16 x (batch-1 and small-batch decoding) on a CPU with
// AVX512_BF16: one pass over the weight with vdpbf16ps (bf16 products, float32 accumulation), the
// bias added in float32, one rounding to bf16 at the end. libtorch 1.13's bf16 `linear` sends such a
// call to oneDNN, whose matmul for a handful of rows runs far below the memory bandwidth that bounds it.
#pragma once

#include <torch/torch.h>

namespace resurface {

// At most this many rows (x.numel() / in) take the kernel; more go to libtorch (oneDNN's GEMM wins there).
constexpr int64_t kMaxBf16SmallLinearRows = 4;

// Whether bf16_small_linear serves this call: CPU bfloat16 x, w [out, in] contiguous, bias absent or
// [out] bfloat16, rows <= kMaxBf16SmallLinearRows, no autograd, and the CPU has AVX512_BF16.
bool bf16_small_linear_applies(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

// x [..., in] bfloat16, w [out, in] bfloat16, b [out] bfloat16 or undefined -> [..., out] bfloat16
torch::Tensor bf16_small_linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

}  // namespace resurface
