#include "generate/sampler.h"

#include <algorithm>

#include "common/errors.h"
#include "generate/argmax_rows.h"
#include "generate/truncated_sampler.h"

namespace resurface {

namespace {

struct Candidates {
  torch::Tensor probs;    // [B, K] renormalised probabilities, sorted descending when `sorted`
  torch::Tensor indices;  // [B, K] vocabulary ids, or undefined when K == V' (identity)
};

// Smallest K (doubling from 64) whose top-K mass reaches top_p in every row: the nucleus then lies
// within the top K, so no full-vocabulary sort is needed.
int64_t nucleus_width(const torch::Tensor& probs, double top_p) {
  const int64_t V = probs.size(1);
  int64_t k = std::min<int64_t>(64, V);
  while (k < V) {
    auto mass = std::get<0>(probs.topk(k, -1, true, true)).sum(-1);  // [B]
    if (mass.min().item<double>() >= top_p) return k;
    k = std::min<int64_t>(k * 4, V);
  }
  return V;
}

Candidates truncate(const torch::Tensor& logits, const SamplingParams& p) {
  auto x = logits.to(torch::kFloat32);
  const int64_t V = x.size(1);
  if (p.temperature != 1.0) x = x / p.temperature;

  torch::Tensor probs, indices;
  const bool use_top_k = p.top_k > 0 && p.top_k < V;
  const bool use_top_p = p.top_p < 1.0;
  if (use_top_k) {
    auto [vals, idx] = x.topk(p.top_k, -1, /*largest=*/true, /*sorted=*/true);  // [B, k]
    probs = torch::softmax(vals, -1);
    indices = idx;
  } else if (use_top_p) {
    auto full = torch::softmax(x, -1);
    const int64_t k = nucleus_width(full, p.top_p);
    auto [vals, idx] = full.topk(k, -1, true, true);
    probs = vals;  // masses of the FULL distribution: the nucleus cut below must see them unnormalised
    indices = idx;
  } else {
    probs = torch::softmax(x, -1);
  }
  if (use_top_p) {
    // keep a token while the mass before it is < top_p (the first token is always kept)
    auto before = probs.cumsum(-1) - probs;
    probs = probs.masked_fill(before >= p.top_p, 0.0);
  }
  if (p.min_p > 0.0) {
    auto pmax = std::get<0>(probs.max(-1, true));
    probs = probs.masked_fill(probs < pmax * p.min_p, 0.0);
  }
  return {probs / probs.sum(-1, true), indices};
}

}  // namespace

torch::Tensor sample_tokens(const torch::Tensor& logits_in, const torch::Tensor& uniforms, const SamplingParams& p) {
  check_arg(logits_in.dim() == 2, "logits must be [B, V]");
  const int64_t Vv = p.valid_vocab > 0 ? std::min<int64_t>(p.valid_vocab, logits_in.size(1)) : logits_in.size(1);
  auto logits = logits_in.narrow(1, 0, Vv);
  if (p.temperature <= 0.0) return argmax_rows_applies(logits) ? argmax_rows(logits) : logits.argmax(-1);
  if (logits.is_cpu()) return sample_cpu(logits, uniforms, p);  // O(V) per row, no sort

  // other devices: tensor ops (topk over the nucleus width, cumsum, searchsorted)

  auto c = truncate(logits, p);
  // inverse CDF: first candidate whose cumulative probability exceeds u
  auto cdf = c.probs.to(torch::kFloat64).cumsum(-1);  // [B, K]
  auto u = uniforms.to(cdf.device()).to(torch::kFloat64).unsqueeze(1) * cdf.narrow(1, cdf.size(1) - 1, 1);
  auto pos = torch::searchsorted(cdf, u, /*out_int32=*/false, /*right=*/true).squeeze(1);  // [B]
  // never land on a zero-probability tail entry (u within rounding of the total)
  auto last_nonzero = (c.probs > 0).to(torch::kInt64).cumsum(-1).argmax(-1);
  pos = torch::minimum(pos, last_nonzero);
  if (!c.indices.defined()) return pos;
  return c.indices.gather(1, pos.unsqueeze(1)).squeeze(1);
}

}  // namespace resurface
