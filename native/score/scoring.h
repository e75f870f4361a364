// The scoring kernels (evaluation, perplexity, extraction, embeddings) on a loaded model: plain C++
// in and out, run on a worker thread with the model locked (bindings/native_scoring.cc calls them).
// Inputs are validated by the caller (ids in the vocabulary, lengths within max_position_embeddings).
#pragma once

#include <cstdint>
#include <vector>

#include "common/ragged.h"
#include "model/model_state.h"

namespace resurface {

// lm-evaluation-harness `loglikelihood` requests grouped by shared context    (score_continuations.cc)
struct ContinuationRequest {
  Ragged ctx, cont;                  // contexts [G], continuations [R] (every row >= 1 token)
  std::vector<int64_t> group_start;  // [G+1]: choices of context g are rows [start[g], start[g+1])
  int64_t batch_size = 16;
  bool share = true;  // run each context once and continue its choices from copies of its KV cache
};
struct ContinuationScores {
  std::vector<double> logprob;  // [R] summed log-probability of the continuation
  std::vector<uint8_t> greedy;  // [R] every continuation token was the argmax
};
ContinuationScores score_continuations(ModelState& st, const ContinuationRequest& q);

// Per-token log-probs of windows[i][score_from[i] ..], concatenated in row order  (token_logprobs.cc)
std::vector<float> window_logprobs(ModelState& st, const Ragged& windows, const std::vector<int64_t>& score_from, int64_t batch);

// Argmax continuation of N prompts [N*P] by S tokens -> [N*S]                    (greedy_extract.cc)
std::vector<int32_t> greedy_extract(ModelState& st, const std::vector<int64_t>& prompts, int64_t N, int64_t P, int64_t S, int64_t batch);

// Mean of the final-normed hidden states over each row's tokens -> [N*H] float32  (embed.cc)
std::vector<float> mean_embeddings(ModelState& st, const Ragged& seqs, int64_t batch);

}  // namespace resurface
