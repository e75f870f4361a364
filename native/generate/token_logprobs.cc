#include "generate/token_logprobs.h"

namespace resurface {

torch::Tensor token_logprobs(const torch::Tensor& logits, const torch::Tensor& tokens) {
  auto x = logits.to(torch::kFloat32);                                              // [B, V]
  auto picked = x.gather(1, tokens.to(x.device()).view({-1, 1})).squeeze(1);        // [B]
  return (picked - x.logsumexp(-1)).to(torch::kCPU).contiguous();                   // [B]
}

}  // namespace resurface
