// A BERT encoder for sentence embeddings (sentence-transformers checkpoints: all-MiniLM, BGE, ...),
// written from transformers' modeling_bert.py (BertModel, eager attention) and sentence-transformers'
// Pooling / Normalize modules. No N-API here: the binding is bindings/native_encoder.cc.
//
//   x = LayerNorm(word[ids] + position[0..T) + token_type[0])                 // [B, T, H]
//   per layer (post-LN):
//     a = LayerNorm(x + Wo · softmax(q kᵀ / √hd + padding mask) v)            // bidirectional
//     x = LayerNorm(a + W2 · act(W1 · a))
//   pooled = mean | cls | max | mean·√len over each row's real tokens          // [B, H]
//   optionally L2-normalised (the checkpoint's 2_Normalize module)
#pragma once

#include <torch/torch.h>

#include <string>
#include <unordered_map>
#include <vector>

namespace resurface {

struct BertConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t intermediate_size = 0;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double layer_norm_eps = 1e-12;
  std::string hidden_act = "gelu";  // gelu (erf) | gelu_tanh | relu
};

// sentence-transformers' pooling modes (1_Pooling/config.json), one per encoder.
enum class Pooling { Mean, Cls, Max, MeanSqrtLen };

Pooling pooling_from_string(const std::string& s);

class BertEncoder {
 public:
  // `names` are HF names without the `bert.` prefix (embeddings.word_embeddings.weight, ...);
  // the TS side has checked that every name is present with its shape.
  BertEncoder(BertConfig config, const std::vector<std::string>& names, std::vector<torch::Tensor> params);

  // Last hidden states of right-padded rows. ids [B, T] int64, lengths [B] (each in [1, T]).
  torch::Tensor hidden(const torch::Tensor& ids, const torch::Tensor& lengths) const;  // [B, T, H]

  // One sentence embedding per row: hidden states pooled over real tokens, float32. [B, H]
  torch::Tensor embed(const torch::Tensor& ids, const torch::Tensor& lengths, Pooling pooling, bool normalize) const;

  const BertConfig& config() const { return config_; }
  const std::vector<torch::Tensor>& params() const { return params_; }

 private:
  const torch::Tensor& p(const std::string& name) const;
  torch::Tensor layer(int64_t i, const torch::Tensor& x, const torch::Tensor& key_mask) const;
  torch::Tensor activation(const torch::Tensor& x) const;
  torch::Tensor layer_norm(const torch::Tensor& x, const std::string& prefix) const;

  BertConfig config_;
  std::vector<torch::Tensor> params_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace resurface
