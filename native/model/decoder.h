// The one decoder-only transformer: GPT-NeoX, Llama, Qwen2 and Qwen3 are the same code, steered by
// ArchSpec switches (norm type, parallel residual, gated MLP, biases, q/k norm, partial rotary, GQA).
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "model/arch.h"
#include "model/kv_cache.h"
#include "model/rope.h"

namespace resurface {

struct LayerParams {
  torch::Tensor ln1_w, ln1_b, qkv_w, qkv_b, q_norm, k_norm, o_w, o_b, ln2_w, ln2_b, up_w, up_b, down_w, down_b;
};

class Decoder;

// Runs layer l on x [B, T, H] without keeping its activations (recomputed in backward); see
// native/train/checkpoint_layer.h. A function pointer so the model code does not depend on training.
using CheckpointLayerFn = torch::Tensor (*)(Decoder& dec, int64_t layer, const torch::Tensor& x, const torch::Tensor& cos,
                                            const torch::Tensor& sin, const torch::Tensor& mask);

struct ForwardArgs {
  torch::Tensor ids;        // [B, T] int64
  torch::Tensor positions;  // [B, T] int64, position of each token within its sequence
  KvCache* cache = nullptr; // when set: K/V written at `positions`, attention over slots [0, kv_len)
  int64_t kv_len = 0;
  bool checkpoint_layers = false;                // activation checkpointing (training, no cache)
  CheckpointLayerFn checkpoint_layers_fn = nullptr;
};

class Decoder {
 public:
  Decoder(ArchSpec arch, std::vector<std::string> names, std::vector<torch::Tensor> params);

  const ArchSpec& arch() const { return arch_; }
  const std::vector<std::string>& names() const { return names_; }
  std::vector<torch::Tensor>& params() { return params_; }

  // Final-normed hidden states [B, T, H].
  torch::Tensor hidden(const ForwardArgs& args);
  // One transformer block: x [B, T, H] -> [B, T, H] (residuals included).
  torch::Tensor layer(int64_t l, const torch::Tensor& x, const ForwardArgs& args, const torch::Tensor& cos, const torch::Tensor& sin,
                      const torch::Tensor& mask);
  // The defined parameter tensors of layer l (for recomputation in backward).
  std::vector<torch::Tensor> layer_params(int64_t l) const;
  // Vocabulary logits [B, T, V] from hidden states [B, T, H] (model dtype).
  torch::Tensor logits(const torch::Tensor& hidden) const;
  // The vocabulary head [V, H] (the embedding when tied).
  const torch::Tensor& lm_head() const { return lm_head_; }

 private:
  // cached: a KV-cached forward (decoding), which may take the few-row kernel (model/small_layer_norm.h).
  torch::Tensor norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, bool cached) const;
  torch::Tensor attention(const LayerParams& p, const torch::Tensor& x, const ForwardArgs& args, int64_t layer, const torch::Tensor& cos,
                          const torch::Tensor& sin, const torch::Tensor& mask);
  torch::Tensor mlp(const LayerParams& p, const torch::Tensor& x) const;
  torch::Tensor activation(const torch::Tensor& x) const;

  ArchSpec arch_;
  std::vector<std::string> names_;
  std::vector<torch::Tensor> params_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<LayerParams> layers_;
  torch::Tensor embed_, final_w_, final_b_, lm_head_;
  RotaryTable rope_;
};

// RMSNorm as transformers computes it: in float32, then cast back and scaled.  x: [..., D]
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

}  // namespace resurface
