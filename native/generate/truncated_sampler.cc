// Truncated sampling on CPU without sorting the vocabulary: each row's cuts (top-k, top-p) and its
// draw are positions in the order (logit descending, id ascending), found by a radix select over
// the logits' order-preserving 32-bit keys weighted by their unnormalised probabilities. O(V) per
// row, rows in parallel. The result equals a stable sort by descending logit followed by the
// textbook rules, ties included (ties resolve by ascending id, as a stable sort would).
#include "generate/truncated_sampler.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace resurface {

namespace {

// Order-preserving key: a > b as floats <=> key(a) > key(b) as unsigned (NaN aside).
inline uint32_t order_key(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// One row: logits l[V] (float32), e[V] = exp((l - max) / T) (max 1), keys k[V].
struct Row {
  const uint32_t* k;
  const float* e;
  int64_t V;
  // token i is kept iff (k[i], -i) >= (cut_key, -cut_id) and e[i] >= e_min
  uint32_t cut_key = 0;
  int64_t cut_id = INT64_MAX;
  float e_min = 0.0f;

  bool kept(int64_t i) const { return (k[i] > cut_key || (k[i] == cut_key && i <= cut_id)) && e[i] >= e_min; }
};

// First kept token, in (key descending, id ascending) order, whose inclusive cumulative mass
// exceeds `target` (strict) or reaches it (!strict); -1 if none does. Three radix levels
// (11 + 11 + 10 bits of the key), each a histogram of mass over the candidates left.
int64_t find_crossing(const Row& r, double target, bool strict, std::vector<int64_t>& cand, std::vector<int64_t>& next) {
  auto crosses = [&](double cum) { return strict ? cum > target : cum >= target; };
  static constexpr int kShift[3] = {21, 10, 0};
  static constexpr uint32_t kMask[3] = {0x7FFu, 0x7FFu, 0x3FFu};
  double hist[2048];
  double above = 0.0;
  cand.clear();
  bool first = true;
  for (int level = 0; level < 3; ++level) {
    const int nb = static_cast<int>(kMask[level]) + 1;
    std::fill(hist, hist + nb, 0.0);
    if (first) {
      for (int64_t i = 0; i < r.V; ++i)
        if (r.kept(i)) hist[(r.k[i] >> kShift[level]) & kMask[level]] += r.e[i];
    } else {
      for (int64_t i : cand) hist[(r.k[i] >> kShift[level]) & kMask[level]] += r.e[i];
    }
    int bin = -1;
    for (int b = nb - 1; b >= 0; --b) {
      if (hist[b] > 0.0 && crosses(above + hist[b])) {
        bin = b;
        break;
      }
      above += hist[b];
    }
    if (bin < 0) return -1;
    next.clear();
    if (first) {
      for (int64_t i = 0; i < r.V; ++i)
        if (r.kept(i) && ((r.k[i] >> kShift[level]) & kMask[level]) == static_cast<uint32_t>(bin)) next.push_back(i);
    } else {
      for (int64_t i : cand)
        if (((r.k[i] >> kShift[level]) & kMask[level]) == static_cast<uint32_t>(bin)) next.push_back(i);
    }
    cand.swap(next);
    first = false;
  }
  // cand: the tokens of one exact key, in ascending id order
  for (int64_t i : cand) {
    above += r.e[i];
    if (crosses(above)) return i;
  }
  return cand.back();  // rounding: the bin crossed as a whole but not element by element
}

}  // namespace

torch::Tensor sample_truncated_cpu(const torch::Tensor& logits, const torch::Tensor& uniforms, const SamplingParams& p) {
  auto x = logits.to(torch::kFloat32).contiguous();  // [B, V]
  const int64_t B = x.size(0), V = x.size(1);
  auto e = (x - x.amax(-1, /*keepdim=*/true));
  if (p.temperature != 1.0) e.mul_(1.0 / p.temperature);
  e.exp_();  // [B, V] unnormalised probabilities, max 1
  auto u = uniforms.to(torch::kCPU, torch::kFloat64).contiguous();
  auto out = torch::empty({B}, torch::kInt64);
  const float* xp = x.data_ptr<float>();
  const float* ep = e.data_ptr<float>();
  const double* up = u.data_ptr<double>();
  int64_t* op = out.data_ptr<int64_t>();
  const bool use_top_k = p.top_k > 0 && p.top_k < V;
  const bool use_top_p = p.top_p < 1.0;
  at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
    std::vector<uint32_t> keys(V), scratch;
    std::vector<int64_t> cand, next;
    for (int64_t b = b0; b < b1; ++b) {
      const float* lrow = xp + b * V;
      for (int64_t i = 0; i < V; ++i) keys[i] = order_key(lrow[i]);
      Row r{keys.data(), ep + b * V, V};
      if (use_top_k) {
        // the k-th key in descending order, then the id among its ties that makes exactly k
        scratch.assign(keys.begin(), keys.end());
        std::nth_element(scratch.begin(), scratch.begin() + (p.top_k - 1), scratch.end(), std::greater<uint32_t>());
        const uint32_t kth = scratch[p.top_k - 1];
        int64_t greater = 0;
        for (int64_t i = 0; i < V; ++i) greater += keys[i] > kth;
        int64_t need = p.top_k - greater;
        for (int64_t i = 0; i < V; ++i)
          if (keys[i] == kth && --need == 0) {
            r.cut_key = kth;
            r.cut_id = i;
            break;
          }
      }
      if (use_top_p) {
        // keep a token while the mass before it is < top_p: the last kept is the first to reach it
        double total = 0.0;
        for (int64_t i = 0; i < V; ++i)
          if (r.kept(i)) total += r.e[i];
        const int64_t last = find_crossing(r, p.top_p * total, /*strict=*/false, cand, next);
        if (last >= 0) {
          r.cut_key = keys[last];
          r.cut_id = last;
        }
      }
      if (p.min_p > 0.0) r.e_min = static_cast<float>(p.min_p);  // e_max = 1: the max is always kept
      double total = 0.0;
      for (int64_t i = 0; i < V; ++i)
        if (r.kept(i)) total += r.e[i];
      const double target = up[b] * total;
      int64_t pick = -1;
      if (use_top_k || use_top_p) {
        // inverse CDF over the kept tokens in descending order
        pick = find_crossing(r, target, /*strict=*/true, cand, next);
        if (pick < 0) {  // u within rounding of the total: the last positive kept token in that order
          for (int64_t i = 0; i < V; ++i)
            if (r.kept(i) && r.e[i] > 0.0f && (pick < 0 || keys[i] < keys[pick] || (keys[i] == keys[pick] && i > pick))) pick = i;
        }
      } else {
        // min-p alone: inverse CDF in id order, as the untruncated sampler
        double acc = 0.0;
        int64_t last = 0;
        for (int64_t i = 0; i < V; ++i) {
          if (!r.kept(i) || r.e[i] <= 0.0f) continue;
          last = i;
          acc += r.e[i];
          if (acc > target) {
            pick = i;
            break;
          }
        }
        if (pick < 0) pick = last;
      }
      op[b] = pick;
    }
  });
  return out;
}

}  // namespace resurface
