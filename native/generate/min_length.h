// Minimum generation length (the reference's vLLM `min_tokens`, but for EOS *and* every other stop
// token: vLLM's min_tokens only blocks EOS, vLLM issue #21987): rows that have generated fewer than
// N tokens cannot emit a stop token, because its logit is -inf before any sampling rule sees it.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace resurface {

// logits: [B, V], modified in place; blocked: one flag per row (true = still under the minimum
// length). Sets the stop-token columns of blocked rows to -inf. Stop ids outside [0, V) are ignored.
void mask_stop_tokens_(torch::Tensor& logits, const std::vector<bool>& blocked, const std::vector<int64_t>& stop_ids);

}  // namespace resurface
