// Rotary position embeddings (rotate-half convention shared by GPT-NeoX, Llama and Qwen),
// with partial rotary (first rotary_dim dims of each head) and llama3 / linear frequency scaling.
#pragma once

#include <torch/torch.h>

#include "model/arch.h"

namespace resurface {

// inv_freq [rotary_dim/2], float32, as transformers computes it (incl. rope scaling).
torch::Tensor rope_inv_freq(const ArchSpec& arch);

class RotaryTable {
 public:
  explicit RotaryTable(const ArchSpec& arch);
  // Applies RoPE in place of x's first rotary_dim dims. x: [B, T, heads, hd]; positions: [B, T] int64.
  torch::Tensor apply(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const;
  // cos, sin for positions: each [B, T, 1, rotary_dim], in dtype on x's device.
  std::pair<torch::Tensor, torch::Tensor> lookup(const torch::Tensor& positions, torch::ScalarType dtype);

 private:
  void ensure_length(int64_t n, const torch::Device& device);
  ArchSpec arch_;
  torch::Tensor inv_freq_;           // [rd/2] float32
  torch::Tensor cos_table_, sin_table_;  // [N, rd] float32
};

}  // namespace resurface
