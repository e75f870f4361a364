// Sampling at temperature > 0 on CPU, truncated (top-k / top-p / min-p) or not, in O(V) per row
// (no sort of the vocabulary).
#pragma once

#include <torch/torch.h>

#include "generate/sampler.h"

namespace resurface {

// logits: [B, V] float (CPU, already narrowed to the valid vocabulary); uniforms: [B] float64.
// Returns token ids [B] int64: the inverse-CDF draw over the kept tokens in (logit descending,
// id ascending) order when top-k or top-p is on, in id order otherwise (untruncated, min-p alone).
torch::Tensor sample_cpu(const torch::Tensor& logits, const torch::Tensor& uniforms, const SamplingParams& p);

}  // namespace resurface
