// Prompt-free generation with continuous batching.
//
// Every sequence starts from the same context (one start token, or the tokens of --start-text) at
// positions 0 .. C-1, fed one token per step like generated ones. Each step feeds one token per row
// through the decoder with the static KV cache, samples the next token natively (logits never leave
// the device), and when a row finishes (EOS or max_new_tokens) it is handed back and the row is
// refilled with the next pending sample, so the batch stays full until the queue runs dry.
#pragma once

#include <torch/torch.h>

#include <deque>
#include <vector>

#include "generate/sampler.h"
#include "model/model_state.h"

namespace resurface {

struct GenerationConfig {
  SamplingParams sampling;
  uint64_t seed = 0;
  int64_t max_new_tokens = 128;
  int64_t batch_size = 8;
  int64_t start_token = 0;
  // The context every sample starts from; empty = {start_token}.
  std::vector<int64_t> context;
  // Stop tokens (EOS and every other): a row ends when it samples one.
  std::vector<int64_t> eos_ids;
  // Stop tokens are masked (-inf) until a row has generated this many tokens.
  int64_t min_new_tokens = 0;
  // Also return the untempered log-probability of every sampled token (stop token included).
  bool logprobs = false;
};

struct FinishedSample {
  int64_t id = 0;
  std::vector<int32_t> tokens;  // generated ids, start token and EOS excluded
  bool eos = false;             // finish_reason: eos (true) or length (false)
  std::vector<float> logprobs;  // with config.logprobs: one per token, then the stop token's when eos
};

class GenerationEngine {
 public:
  GenerationEngine(ModelHandle model, GenerationConfig config, std::vector<int64_t> sample_ids);

  // Runs up to max_steps decoding steps (stopping early once at least `min_finished` samples
  // finished); returns the samples finished meanwhile. Caller holds the model mutex.
  std::vector<FinishedSample> run(int64_t max_steps, int64_t min_finished);

  bool done() const { return pending_.empty() && active_ == 0; }
  int64_t tokens_generated() const { return tokens_generated_; }
  int64_t remaining() const { return static_cast<int64_t>(pending_.size()) + active_; }

 private:
  struct Row {
    bool active = false;
    int64_t sample = -1;
    int64_t position = 0;  // position of the token fed at the next step
    int64_t next_token = 0;
    std::vector<int32_t> tokens;
    std::vector<float> logprobs;
  };

  void refill(Row& row);
  void step(std::vector<FinishedSample>& out);

  ModelHandle model_;
  GenerationConfig cfg_;
  std::vector<int64_t> context_;  // [C]
  std::deque<int64_t> pending_;
  std::vector<Row> rows_;
  KvCache cache_;
  int64_t active_ = 0;
  int64_t tokens_generated_ = 0;
};

}  // namespace resurface
