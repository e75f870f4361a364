// The sampling kernel: temperature, top-k, top-p (nucleus), min-p, and greedy at temperature 0,
// applied in that order (as transformers' logits warpers), to a batch of next-token logits.
// Works on any device with tensor ops; only the per-row uniforms come from the host.
#pragma once

#include <torch/torch.h>

namespace resurface {

struct SamplingParams {
  double temperature = 1.0;  // 0 = greedy
  int64_t top_k = 0;         // 0 = off
  double top_p = 1.0;        // 1 = off
  double min_p = 0.0;        // 0 = off
  int64_t valid_vocab = 0;   // tokens >= valid_vocab (padded embedding rows) are never sampled; 0 = all
};

// logits: [B, V] (any float dtype); uniforms: [B] float64 in [0, 1) on CPU.
// Returns token ids [B] int64 on logits' device.
torch::Tensor sample_tokens(const torch::Tensor& logits, const torch::Tensor& uniforms, const SamplingParams& p);

}  // namespace resurface
