// Minimum generation length (the reference's vLLM `min_tokens`, but for EOS *and* every other stop
// token: vLLM's min_tokens only blocks EOS, vLLM issue #21987): rows that have generated fewer than
// N tokens cannot emit a stop token, because its logit is -inf before any sampling rule sees it.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace resurface {

// logits: [B, V]; blocked: one flag per row (true = still under the minimum length).
// Returns logits with the stop-token columns of blocked rows set to -inf (a copy when any row is
// blocked; `logits` itself, untouched, otherwise). Stop ids outside [0, V) are ignored.
torch::Tensor mask_stop_tokens(const torch::Tensor& logits, const std::vector<bool>& blocked, const std::vector<int64_t>& stop_ids);

}  // namespace resurface
