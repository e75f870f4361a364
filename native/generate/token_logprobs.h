// The log-probability of each sampled token under the model itself: log_softmax of the RAW logits
// (float32, over the whole vocabulary head), i.e. before temperature, top-k/top-p/min-p truncation
// and the minimum-length mask. This is what the reference pipeline saves (vLLM raw logprobs) and
// what a full forward pass gives; it does not depend on the sampling settings.
#pragma once

#include <torch/torch.h>

namespace resurface {

// logits: [B, V] (any float dtype); tokens: [B] int64 on any device. Returns [B] float32 on CPU.
torch::Tensor token_logprobs(const torch::Tensor& logits, const torch::Tensor& tokens);

}  // namespace resurface
