// Static, pre-allocated key/value cache: one [B, n_kv, S, hd] tensor per layer for keys and for
// values. Rows are independent sequences; a row's slot s holds the token at position s, so a row
// can be restarted (continuous batching) by writing from position 0 again — stale slots beyond the
// row's position are masked out, never read.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "model/arch.h"

namespace resurface {

struct KvCache {
  std::vector<torch::Tensor> k, v;  // per layer: [B, n_kv, S, hd]
  int64_t batch = 0, capacity = 0;

  KvCache() = default;
  KvCache(const ArchSpec& arch, int64_t batch_size, int64_t max_len, torch::ScalarType dtype, const torch::Device& device) {
    batch = batch_size;
    capacity = max_len;
    auto opts = torch::TensorOptions().dtype(dtype).device(device);
    for (int64_t l = 0; l < arch.num_layers; ++l) {
      k.push_back(torch::zeros({batch_size, arch.num_kv_heads, max_len, arch.head_dim}, opts));
      v.push_back(torch::zeros({batch_size, arch.num_kv_heads, max_len, arch.head_dim}, opts));
    }
  }
};

}  // namespace resurface
