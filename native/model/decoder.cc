#include "model/decoder.h"

#include <cmath>

#include "common/errors.h"
#include "model/bf16_small_linear.h"
#include "model/kv_write.h"
#include "model/small_layer_norm.h"
#include "model/small_query_attention.h"

namespace resurface {

using torch::indexing::Slice;

namespace {

// y = x @ w^T + b for x [..., in]. A single row (batch-1 decoding) goes through gemv: libtorch 1.13
// sends it to OpenBLAS 0.3.21 as a 1-row GEMM, which packs the whole weight matrix on every call
// (measured 2.4x slower for the 50304x512 lm_head, 3-5x for the layers' matrices, on CPU). A few bf16
// rows on a CPU with AVX512_BF16 go through our own kernel (model/bf16_small_linear.h).
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  if (bf16_small_linear_applies(x, w, b)) return bf16_small_linear(x, w, b);
  if (x.numel() == x.size(-1) && x.is_cpu() && x.scalar_type() == torch::kFloat32) {
    auto sizes = x.sizes().vec();
    sizes.back() = w.size(0);
    auto v = x.reshape({-1});                                           // [in]
    return (b.defined() ? torch::addmv(b, w, v) : torch::mv(w, v)).view(sizes);  // [..., out]
  }
  return torch::linear(x, w, b);
}

}  // namespace

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  auto xf = x.to(torch::kFloat32);
  auto var = xf.pow(2).mean(-1, /*keepdim=*/true);
  return weight * (xf * torch::rsqrt(var + eps)).to(x.scalar_type());
}

Decoder::Decoder(ArchSpec arch, std::vector<std::string> names, std::vector<torch::Tensor> params)
    : arch_(std::move(arch)), names_(std::move(names)), params_(std::move(params)), rope_(arch_) {
  for (size_t i = 0; i < names_.size(); ++i) index_[names_[i]] = i;
  auto opt = [&](const std::string& n) {
    auto it = index_.find(n);
    return it == index_.end() ? torch::Tensor() : params_[it->second];
  };
  auto req = [&](const std::string& n) {
    auto t = opt(n);
    if (!t.defined()) fail("ERR_MISSING_TENSOR", "internal parameter " + n + " was not loaded");
    return t;
  };
  embed_ = req("embed");
  final_w_ = req("final_norm.weight");
  final_b_ = opt("final_norm.bias");
  lm_head_ = arch_.tie_word_embeddings ? embed_ : req("lm_head");
  for (int64_t l = 0; l < arch_.num_layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    LayerParams lp;
    lp.ln1_w = req(p + "ln1.weight");
    lp.ln1_b = opt(p + "ln1.bias");
    lp.qkv_w = req(p + "qkv.weight");
    lp.qkv_b = opt(p + "qkv.bias");
    lp.q_norm = arch_.qk_norm ? req(p + "q_norm.weight") : torch::Tensor();
    lp.k_norm = arch_.qk_norm ? req(p + "k_norm.weight") : torch::Tensor();
    lp.o_w = req(p + "o.weight");
    lp.o_b = opt(p + "o.bias");
    lp.ln2_w = req(p + "ln2.weight");
    lp.ln2_b = opt(p + "ln2.bias");
    lp.up_w = req(p + "up.weight");
    lp.up_b = opt(p + "up.bias");
    lp.down_w = req(p + "down.weight");
    lp.down_b = opt(p + "down.bias");
    layers_.push_back(lp);
  }
}

torch::Tensor Decoder::norm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, bool cached) const {
  if (arch_.rms_norm) return rms_norm(x, w, arch_.norm_eps);
  // A KV-cached forward's few rows (decoding). Only there: training's checkpointed layers must
  // recompute exactly what their no-grad forward computed, with libtorch's kernel both times.
  if (cached && small_layer_norm_applies(x, w, b)) return small_layer_norm(x, w, b, arch_.norm_eps);
  if (x.is_cpu() && x.scalar_type() != torch::kFloat32 && !torch::GradMode::is_enabled()) {
    // libtorch 1.13's CPU layer_norm on bf16 runs 3x slower than widening to float32 first (96 vs
    // 32 us on [32, 512]); in float32 the result is rounded once, as the bf16 kernel's is.
    auto f = torch::layer_norm(x.to(torch::kFloat32), {arch_.hidden_size}, w.to(torch::kFloat32), b.defined() ? b.to(torch::kFloat32) : b,
                               arch_.norm_eps);
    return f.to(x.scalar_type());
  }
  return torch::layer_norm(x, {arch_.hidden_size}, w, b, arch_.norm_eps);
}

torch::Tensor Decoder::activation(const torch::Tensor& x) const {
  const auto& a = arch_.activation;
  if (a == "silu") return torch::silu(x);
  if (a == "gelu") return torch::gelu(x);
  if (a == "gelu_tanh") return torch::gelu(x, "tanh");
  if (a == "relu") return torch::relu(x);
  fail("ERR_UNSUPPORTED_CONFIG", "activation " + a + " is not implemented");
}

torch::Tensor Decoder::mlp(const LayerParams& p, const torch::Tensor& x) const {
  auto up = linear(x, p.up_w, p.up_b);  // [B, T, F] or [B, T, 2F] (gate | up)
  torch::Tensor h;
  if (arch_.gated_mlp) {
    auto gu = up.chunk(2, -1);
    h = activation(gu[0]) * gu[1];
  } else {
    h = activation(up);
  }
  return linear(h, p.down_w, p.down_b);  // [B, T, H]
}

torch::Tensor Decoder::attention(const LayerParams& p, const torch::Tensor& x, const ForwardArgs& args, int64_t layer,
                                 const torch::Tensor& cos, const torch::Tensor& sin, const torch::Tensor& mask) {
  const int64_t B = x.size(0), T = x.size(1);
  const int64_t nh = arch_.num_heads, nkv = arch_.num_kv_heads, hd = arch_.head_dim, g = nh / nkv;
  auto qkv = linear(x, p.qkv_w, p.qkv_b);  // [B, T, (nh + 2 nkv) hd]
  auto parts = qkv.split_with_sizes({nh * hd, nkv * hd, nkv * hd}, -1);
  auto q = parts[0].view({B, T, nh, hd});
  auto k = parts[1].view({B, T, nkv, hd});
  auto v = parts[2].view({B, T, nkv, hd});
  if (arch_.qk_norm) {
    q = rms_norm(q, p.q_norm, arch_.norm_eps);
    k = rms_norm(k, p.k_norm, arch_.norm_eps);
  }
  q = rope_.apply(q, cos, sin);
  k = rope_.apply(k, cos, sin);

  torch::Tensor keys, values;  // [B, nkv, S, hd]
  if (args.cache) {
    // scatter this step's K/V into the static cache at each token's position
    auto& kc = args.cache->k[layer];
    auto& vc = args.cache->v[layer];
    write_kv_cache(kc, k, args.positions);
    write_kv_cache(vc, v, args.positions);
    keys = kc.index({Slice(), Slice(), Slice(0, args.kv_len)});
    values = vc.index({Slice(), Slice(), Slice(0, args.kv_len)});
  } else {
    keys = k.transpose(1, 2);
    values = v.transpose(1, 2);
  }
  const int64_t S = keys.size(2);
  // GQA without repeating K/V: query heads of one KV group share its keys.
  // q [B, T, nkv, g, hd] -> [B, nkv, g*T, hd]
  auto qg = q.view({B, T, nkv, g, hd}).permute({0, 2, 3, 1, 4}).reshape({B, nkv, g * T, hd});
  const double scale = 1.0 / std::sqrt(static_cast<double>(hd));
  torch::Tensor out;  // [B, nkv, g*T, hd]
  if (args.cache && small_query_attention_applies(qg, keys)) {
    out = small_query_attention_cpu(qg, keys, values, mask, scale);
  } else {
    auto scores = torch::matmul(qg, keys.transpose(-1, -2)).mul_(scale);
    scores = scores.view({B, nkv, g, T, S}).to(torch::kFloat32) + mask;  // mask: [B, 1, 1, T, S]
    auto probs = torch::softmax(scores, -1).to(x.scalar_type()).view({B, nkv, g * T, S});
    out = torch::matmul(probs, values);
  }
  out = out.view({B, nkv, g, T, hd}).permute({0, 3, 1, 2, 4}).reshape({B, T, nh * hd});
  return linear(out, p.o_w, p.o_b);  // [B, T, H]
}

torch::Tensor Decoder::hidden(const ForwardArgs& args) {
  const auto& ids = args.ids;
  check_arg(ids.dim() == 2 && args.positions.sizes() == ids.sizes(), "ids and positions must both be [B, T]");
  const auto dtype = embed_.scalar_type();
  auto x = torch::embedding(embed_, ids);  // [B, T, H]
  auto [cos, sin] = rope_.lookup(args.positions, dtype);  // [B, T, 1, rd]

  // Additive attention mask [B, 1, 1, T, S]: a query at position p sees keys at positions <= p.
  torch::Tensor key_pos;  // [B, S]
  if (args.cache) {
    key_pos = torch::arange(args.kv_len, args.positions.options()).unsqueeze(0).expand({ids.size(0), args.kv_len});
  } else {
    key_pos = args.positions;
  }
  auto allowed = key_pos.unsqueeze(1) <= args.positions.unsqueeze(2);  // [B, T, S]
  auto mask = torch::zeros(allowed.sizes(), torch::TensorOptions().dtype(torch::kFloat32).device(ids.device()))
                  .masked_fill_(allowed.logical_not(), -std::numeric_limits<float>::infinity())
                  .view({ids.size(0), 1, 1, ids.size(1), key_pos.size(1)});

  const bool recompute = args.checkpoint_layers && args.checkpoint_layers_fn && torch::GradMode::is_enabled();
  for (int64_t l = 0; l < arch_.num_layers; ++l) {
    x = recompute ? args.checkpoint_layers_fn(*this, l, x, cos, sin, mask) : layer(l, x, args, cos, sin, mask);
  }
  return norm(x, final_w_, final_b_, args.cache != nullptr);
}

torch::Tensor Decoder::layer(int64_t l, const torch::Tensor& x, const ForwardArgs& args, const torch::Tensor& cos, const torch::Tensor& sin,
                             const torch::Tensor& mask) {
  const auto& p = layers_[l];
  const bool cached = args.cache != nullptr;
  auto attn = attention(p, norm(x, p.ln1_w, p.ln1_b, cached), args, l, cos, sin, mask);
  if (arch_.parallel_residual) return x + attn + mlp(p, norm(x, p.ln2_w, p.ln2_b, cached));
  auto h = x + attn;
  return h + mlp(p, norm(h, p.ln2_w, p.ln2_b, cached));
}

std::vector<torch::Tensor> Decoder::layer_params(int64_t l) const {
  const auto& p = layers_.at(l);
  std::vector<torch::Tensor> out;
  for (const auto* t : {&p.ln1_w, &p.ln1_b, &p.qkv_w, &p.qkv_b, &p.q_norm, &p.k_norm, &p.o_w, &p.o_b, &p.ln2_w, &p.ln2_b, &p.up_w, &p.up_b,
                        &p.down_w, &p.down_b}) {
    if (t->defined()) out.push_back(*t);
  }
  return out;
}

torch::Tensor Decoder::logits(const torch::Tensor& hidden) const { return linear(hidden, lm_head_, torch::Tensor()); }

}  // namespace resurface
