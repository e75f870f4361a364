// Writing one forward's keys or values into the static KV cache at each token's position.
// libtorch 1.13's index_put_ with (row, position) index tensors took ~0.1 ms per call for a batch-32
// decode step on CPU (12 calls a step for Pythia-70m), for 32 x 8 copies of 64 elements; the CPU
// path here copies each (token, head) row of head_dim elements directly, for up to 8 tokens per row
// (decoding); longer writes (prefill) are bandwidth-bound and stay with index_put_.
#pragma once

#include <torch/torch.h>

namespace resurface {

// cache     [B, nkv, S, hd]  one layer's keys or values (contiguous)
// x         [B, T, nkv, hd]  this forward's keys or values (any strides; converted to the cache's dtype)
// positions [B, T]           int64 slot of each token, 0 <= position < S
// Sets cache[b, :, positions[b, t], :] = x[b, t] for every (b, t). On another device, or for a cache
// that is not contiguous, or for more than 8 tokens per row, it uses index_put_, with the same result.
void write_kv_cache(torch::Tensor& cache, const torch::Tensor& x, const torch::Tensor& positions);

}  // namespace resurface
