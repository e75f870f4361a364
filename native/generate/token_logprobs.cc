#include "generate/token_logprobs.h"

namespace resurface {

torch::Tensor log_normalizer(const torch::Tensor& logits) {
  return logits.to(torch::kFloat32).logsumexp(-1);  // [B]
}

torch::Tensor token_logprobs(const torch::Tensor& logits, const torch::Tensor& tokens, const torch::Tensor& normalizer) {
  auto picked = logits.gather(1, tokens.to(logits.device()).view({-1, 1})).squeeze(1).to(torch::kFloat32);  // [B]
  return (picked - normalizer).to(torch::kCPU).contiguous();                                                // [B]
}

}  // namespace resurface
