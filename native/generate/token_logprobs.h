// The log-probability of each sampled token under the model itself: log_softmax of the RAW logits
// (float32, over the whole vocabulary head), i.e. before temperature, top-k/top-p/min-p truncation
// and the minimum-length mask. This is what the reference pipeline saves (vLLM raw logprobs) and
// what a full forward pass gives; it does not depend on the sampling settings.
#pragma once

#include <torch/torch.h>

namespace resurface {

// log Σ exp(logits) per row, in float32: [B, V] -> [B]. Taken from the raw logits, before masking.
torch::Tensor log_normalizer(const torch::Tensor& logits);

// logits[b, tokens[b]] - normalizer[b]: [B] float32 on CPU. The logits may be the masked ones: a
// sampled token is never a masked one, so its logit there is the raw logit.
torch::Tensor token_logprobs(const torch::Tensor& logits, const torch::Tensor& tokens, const torch::Tensor& normalizer);

}  // namespace resurface
