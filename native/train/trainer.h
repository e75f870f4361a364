// Full-parameter training of a loaded model: mean next-token cross-entropy, gradient accumulation,
// global-norm clipping and libtorch's AdamW (torch::optim::AdamW, the same update as Python's
// torch.optim.AdamW: decoupled decay, bias correction, eps outside the square root).
//
// float32 models are optimised in place. bfloat16 models keep float32 master weights (and float32
// optimizer state); the bf16 parameters the decoder computes with are refreshed from the masters
// after every update. No randomness is used (no dropout), so there is no RNG state to save.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "model/model_state.h"

namespace resurface {

struct TrainerOptions {
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double grad_clip = 0.0;          // <= 0: no clipping (the norm is still measured)
  bool decay_all = false;          // false: biases and norm weights form a weight_decay = 0 group
  bool checkpoint_layers = false;  // activation checkpointing
  int64_t loss_chunk_rows = 0;     // rows per chunk of the head's cross-entropy; 0 = ~128 MB of logits
};

struct StepInput {
  torch::Tensor ids;      // [B, T] int64
  torch::Tensor targets;  // [B, T] int64, next-token ids; -100 = no target (padding, block ends)
  double lr = 0.0;
  bool accumulate = false;  // true: add gradients only; the first call with false applies the update
  int64_t normalizer = 0;   // target tokens of the whole optimizer step (all micro-batches); 0 = this batch's
};

struct StepResult {
  double loss = 0.0;       // this micro-batch's summed CE / normalizer
  double grad_norm = 0.0;  // global L2 norm before clipping (only when applied)
  int64_t tokens = 0;      // targets in this micro-batch
  bool applied = false;
};

// Optimizer state of one parameter (internal name), host float32.
struct ParamState {
  std::string name;
  int64_t step = 0;
  torch::Tensor exp_avg, exp_avg_sq;  // same shape as the parameter
  torch::Tensor master;               // float32 master weights (bf16 training only), else undefined
};

class Trainer {
 public:
  Trainer(ModelHandle model, TrainerOptions opts);

  StepResult step(const StepInput& in);
  std::vector<ParamState> export_state();
  void import_state(const std::vector<ParamState>& states);
  // HF name -> CPU tensor in the model's dtype, through export_slot (inverse of the load op).
  std::vector<std::pair<std::string, torch::Tensor>> export_weights();

  const ModelHandle& model() const { return model_; }

 private:
  void clear_grads();
  torch::optim::AdamWParamState* state_of(const torch::Tensor& p);
  void set_state(const torch::Tensor& p, std::unique_ptr<torch::optim::AdamWParamState> st);

  ModelHandle model_;
  TrainerOptions opts_;
  bool mixed_ = false;                // bf16/f16 model with float32 masters
  std::vector<torch::Tensor> params_;  // the decoder's parameters, slot order
  std::vector<torch::Tensor> master_;  // what AdamW updates (== params_ when float32)
  std::unique_ptr<torch::optim::AdamW> opt_;
  torch::Tensor head_scratch_;  // reused [C, V] chunk of the head's cross-entropy
};

}  // namespace resurface
