// Generation for evaluation (lm-evaluation-harness `generate_until`): prompted, continuous-batching
// decode that stops a completion once any of its stop strings appears in its decoded text.
//
// Each job is (item, repeat). A free row takes the next job: its context is prefilled (all rows
// refilled at the same step in one batched forward; repeats of an item share one prefill, whose
// keys/values are copied into each row), then every step feeds one token per row through the
// decoder with the static KV cache and samples the next one natively. The decoded bytes of each row
// are kept from a per-token byte table (the tokenizer's bytes of every id) so the stop check runs
// here, not in JavaScript. A row finishes at a stop string, at EOS (excluded) or after the item's
// max_gen_toks tokens; the TypeScript side decodes the ids and cuts the text as the harness does.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "generate/sampler.h"
#include "model/model_state.h"

namespace resurface {

// Bytes of every token id as the tokenizer decodes it (special tokens: empty, skip_special_tokens).
struct TokenBytes {
  std::vector<std::string> pieces;  // [V_tok]; ids beyond decode to nothing
  bool strip_leading_space = false; // SentencePiece decoders drop one leading space of a sequence

  const std::string& piece(int64_t id) const;
};

struct UntilItem {
  std::vector<int64_t> context;      // prompt ids (already truncated to fit)
  std::vector<std::string> stops;    // UTF-8 stop strings, non-empty
  int64_t max_gen_toks = 256;
  int64_t sample_base = 0;           // RNG id of repeat r is sample_base + r
};

struct UntilConfig {
  SamplingParams sampling;  // temperature 0: greedy
  uint64_t seed = 0;
  int64_t repeats = 1;
  int64_t batch_size = 16;
  std::vector<int64_t> eos_ids;
};

enum class FinishReason : int32_t { length = 0, eos = 1, stop = 2 };

struct UntilCompletion {
  int64_t item = 0, repeat = 0;
  std::vector<int32_t> tokens;  // generated ids, EOS excluded
  FinishReason reason = FinishReason::length;
};

// Runs every (item, repeat) job to completion; returns completions in job order (item-major).
// Caller holds the model mutex and an InferenceMode guard.
std::vector<UntilCompletion> generate_until(ModelState& model, const std::vector<UntilItem>& items, const UntilConfig& cfg,
                                            const TokenBytes& bytes);

}  // namespace resurface
