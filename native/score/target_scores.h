// Log-probabilities of chosen target tokens from final hidden states, without ever materialising
// more than a chunk of vocabulary logits: logits -> float32 log_softmax -> gather, in row chunks.
#pragma once

#include <torch/torch.h>

#include "model/decoder.h"

namespace resurface {

struct TargetScores {
  torch::Tensor logprob;  // [M] float32: log p(target_m)
  torch::Tensor greedy;   // [M] bool: target_m is the argmax (first maximum, as torch.argmax)
};

// hidden: [M, H] (model dtype); targets: [M] int64. Chunks of `chunk` rows bound the [chunk, V] logits.
TargetScores score_targets(const Decoder& decoder, const torch::Tensor& hidden, const torch::Tensor& targets, int64_t chunk = 256);

// The single "flat" scoring pass shared by continuation scoring and perplexity windows: each row is
// context ++ continuation (context >= 1 token); the forward runs over row[:-1] and the continuation
// tokens are scored at their positions. Rows are sorted longest first and batched (padding at the
// right never influences real positions: causal mask).
struct FlatScores {
  std::vector<double> sum;        // [R] float64 sum of the row's continuation log-probs
  std::vector<uint8_t> greedy;    // [R] every continuation token was the argmax
  std::vector<float> tokens;      // concatenated per-token log-probs in row order (when wanted)
  std::vector<int64_t> token_off; // [R+1] offsets into `tokens`
};

struct ModelState;
FlatScores score_flat(ModelState& state, const std::vector<std::vector<int64_t>>& rows, const std::vector<int64_t>& cont_len,
                      int64_t batch_size, bool want_tokens);

}  // namespace resurface
