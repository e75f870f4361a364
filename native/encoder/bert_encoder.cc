#include "encoder/bert_encoder.h"

#include <cmath>
#include <limits>

#include "common/errors.h"

namespace resurface {

namespace F = torch::nn::functional;

Pooling pooling_from_string(const std::string& s) {
  if (s == "mean") return Pooling::Mean;
  if (s == "cls") return Pooling::Cls;
  if (s == "max") return Pooling::Max;
  if (s == "mean_sqrt_len") return Pooling::MeanSqrtLen;
  fail("ERR_INVALID_ARGUMENT", "unknown pooling '" + s + "' (use mean, cls, max or mean_sqrt_len)");
}

BertEncoder::BertEncoder(BertConfig config, const std::vector<std::string>& names, std::vector<torch::Tensor> params)
    : config_(std::move(config)), params_(std::move(params)) {
  check_arg(names.size() == params_.size(), "BertEncoder: one name per parameter");
  check_arg(config_.num_heads > 0 && config_.hidden_size % config_.num_heads == 0, "hidden_size must be a multiple of num_attention_heads");
  for (size_t i = 0; i < names.size(); ++i) index_[names[i]] = i;
}

const torch::Tensor& BertEncoder::p(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail("ERR_MISSING_TENSOR", "encoder parameter " + name + " was not loaded");
  return params_[it->second];
}

torch::Tensor BertEncoder::layer_norm(const torch::Tensor& x, const std::string& prefix) const {
  return torch::layer_norm(x, {config_.hidden_size}, p(prefix + ".weight"), p(prefix + ".bias"), config_.layer_norm_eps);
}

torch::Tensor BertEncoder::activation(const torch::Tensor& x) const {
  if (config_.hidden_act == "gelu") return torch::gelu(x);  // erf form, transformers' "gelu"
  if (config_.hidden_act == "gelu_tanh") return torch::gelu(x, "tanh");
  if (config_.hidden_act == "relu") return torch::relu(x);
  fail("ERR_UNSUPPORTED_CONFIG", "hidden_act " + config_.hidden_act + " is not supported");
}

// key_mask [B, 1, 1, T]: true at real tokens. x [B, T, H].
torch::Tensor BertEncoder::layer(int64_t i, const torch::Tensor& x, const torch::Tensor& key_mask) const {
  const std::string L = "encoder.layer." + std::to_string(i);
  const int64_t B = x.size(0), T = x.size(1), nh = config_.num_heads, hd = config_.hidden_size / nh;
  auto heads = [&](const std::string& name) {  // [B, T, H] -> [B, nh, T, hd]
    return F::linear(x, p(L + ".attention.self." + name + ".weight"), p(L + ".attention.self." + name + ".bias"))
        .view({B, T, nh, hd})
        .transpose(1, 2);
  };
  auto q = heads("query"), k = heads("key"), v = heads("value");
  auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(hd));  // [B, nh, T, T]
  // padded keys get -inf: every row has at least one real key ([CLS]), so softmax stays finite
  scores = scores.masked_fill(key_mask.logical_not(), -std::numeric_limits<float>::infinity());
  auto probs = torch::softmax(scores, -1);
  auto context = torch::matmul(probs, v).transpose(1, 2).reshape({B, T, nh * hd});  // [B, T, H]
  auto attn = F::linear(context, p(L + ".attention.output.dense.weight"), p(L + ".attention.output.dense.bias"));
  auto a = layer_norm(attn + x, L + ".attention.output.LayerNorm");
  auto inter = activation(F::linear(a, p(L + ".intermediate.dense.weight"), p(L + ".intermediate.dense.bias")));  // [B, T, I]
  auto out = F::linear(inter, p(L + ".output.dense.weight"), p(L + ".output.dense.bias"));
  return layer_norm(out + a, L + ".output.LayerNorm");
}

torch::Tensor BertEncoder::hidden(const torch::Tensor& ids, const torch::Tensor& lengths) const {
  const int64_t B = ids.size(0), T = ids.size(1);
  check_arg(T <= config_.max_position_embeddings,
            "sequence length " + std::to_string(T) + " exceeds max_position_embeddings " + std::to_string(config_.max_position_embeddings));
  const auto& word = p("embeddings.word_embeddings.weight");
  auto dev = word.device();
  auto ids_d = ids.to(dev);
  auto positions = torch::arange(T, torch::TensorOptions().dtype(torch::kInt64).device(dev));
  // token_type_ids are all 0 (single-sentence inputs, as sentence-transformers passes them)
  auto x = F::embedding(ids_d, word) + F::embedding(positions, p("embeddings.position_embeddings.weight")).unsqueeze(0) +
           p("embeddings.token_type_embeddings.weight")[0];  // [B, T, H]
  x = layer_norm(x, "embeddings.LayerNorm");
  auto valid = positions.unsqueeze(0) < lengths.to(dev).unsqueeze(1);  // [B, T]
  auto key_mask = valid.view({B, 1, 1, T});
  for (int64_t i = 0; i < config_.num_layers; ++i) x = layer(i, x, key_mask);
  return x;
}

torch::Tensor BertEncoder::embed(const torch::Tensor& ids, const torch::Tensor& lengths, Pooling pooling, bool normalize) const {
  auto h = hidden(ids, lengths).to(torch::kFloat32);  // [B, T, H]
  const int64_t T = h.size(1);
  auto lens = lengths.to(h.device());
  auto valid = (torch::arange(T, lens.options()).unsqueeze(0) < lens.unsqueeze(1)).unsqueeze(-1);  // [B, T, 1]
  torch::Tensor pooled;
  switch (pooling) {
    case Pooling::Cls: pooled = h.select(1, 0); break;
    case Pooling::Max:  // sentence-transformers sets padding to -1e9 before the max
      pooled = std::get<0>(h.masked_fill(valid.logical_not(), -1e9f).max(1));
      break;
    case Pooling::Mean:
    case Pooling::MeanSqrtLen: {
      auto sum = (h * valid.to(h.dtype())).sum(1);                                  // [B, H]
      auto count = lens.to(torch::kFloat32).clamp_min(1e-9).unsqueeze(1);           // [B, 1]
      pooled = pooling == Pooling::Mean ? sum / count : sum / count.sqrt();
      break;
    }
  }
  if (normalize) pooled = F::normalize(pooled, F::NormalizeFuncOptions().p(2).dim(1));  // eps 1e-12, as torch's default
  return pooled;
}

}  // namespace resurface
