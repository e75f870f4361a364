// The normalised architecture record (mirror of lib/model/arch-spec.ts). One decoder reads it;
// families differ only through these switches.
#pragma once

#include <string>

namespace resurface {

struct RopeScaling {
  std::string type;  // "" (none), "llama3", "linear"
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  double original_max_position_embeddings = 8192;
};

struct ArchSpec {
  std::string family;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t rotary_dim = 0;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  int64_t max_position_embeddings = 2048;
  bool rms_norm = false;  // false: LayerNorm with bias
  double norm_eps = 1e-5;
  bool parallel_residual = false;
  bool gated_mlp = false;
  std::string activation;  // gelu | gelu_tanh | silu | relu
  bool qkv_bias = false;
  bool attn_out_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;
  bool tie_word_embeddings = false;
};

}  // namespace resurface
