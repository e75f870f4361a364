#include "score/target_scores.h"

#include <algorithm>
#include <numeric>

#include "model/model_state.h"
#include "score/row_budget.h"

namespace resurface {

TargetScores score_targets(const Decoder& decoder, const torch::Tensor& hidden, const torch::Tensor& targets, int64_t chunk) {
  const int64_t M = hidden.size(0);
  std::vector<torch::Tensor> lps, gs;
  for (int64_t s = 0; s < M; s += chunk) {
    const int64_t e = std::min(M, s + chunk);
    auto logits = decoder.logits(hidden.slice(0, s, e)).to(torch::kFloat32);  // [m, V]
    auto tgt = targets.slice(0, s, e).unsqueeze(1);                            // [m, 1]
    auto lp = torch::log_softmax(logits, -1).gather(1, tgt).squeeze(1);       // [m]
    gs.push_back(logits.argmax(-1) == tgt.squeeze(1));
    lps.push_back(lp);
  }
  if (lps.empty()) {
    auto o = torch::TensorOptions().device(hidden.device());
    return {torch::zeros({0}, o.dtype(torch::kFloat32)), torch::zeros({0}, o.dtype(torch::kBool))};
  }
  return {torch::cat(lps), torch::cat(gs)};
}

FlatScores score_flat(ModelState& state, const std::vector<std::vector<int64_t>>& rows, const std::vector<int64_t>& cont_len,
                      int64_t batch_size, bool want_tokens) {
  const int64_t R = static_cast<int64_t>(rows.size());
  FlatScores out;
  out.sum.assign(R, 0.0);
  out.greedy.assign(R, 1);
  out.token_off.assign(R + 1, 0);
  for (int64_t r = 0; r < R; ++r) out.token_off[r + 1] = out.token_off[r] + cont_len[r];
  if (want_tokens) out.tokens.assign(out.token_off[R], 0.0f);

  std::vector<int64_t> order(R);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return rows[a].size() > rows[b].size(); });

  auto& dec = *state.decoder;
  const auto iopt = torch::TensorOptions().dtype(torch::kInt64);
  for (int64_t i = 0; i < R;) {
    const int64_t T = static_cast<int64_t>(rows[order[i]].size()) - 1;  // forward over row[:-1]; longest first
    const int64_t B = std::min(R - i, rows_for_budget(batch_size, T, T, state.arch.num_heads));
    auto ids = torch::zeros({B, T}, iopt);  // [B, T] right-padded with 0
    auto* idp = ids.data_ptr<int64_t>();
    std::vector<int64_t> sel_b, sel_t, tgt;  // continuation positions and their targets
    for (int64_t b = 0; b < B; ++b) {
      const auto& row = rows[order[i + b]];
      const int64_t n = static_cast<int64_t>(row.size());
      std::copy(row.begin(), row.end() - 1, idp + b * T);
      const int64_t c = cont_len[order[i + b]];
      for (int64_t j = n - c; j < n; ++j) {  // target row[j] is predicted at position j-1
        sel_b.push_back(b);
        sel_t.push_back(j - 1);
        tgt.push_back(row[j]);
      }
    }
    ForwardArgs args;
    args.ids = ids.to(state.device);
    args.positions = torch::arange(T, iopt.device(state.device)).unsqueeze(0).expand({B, T}).contiguous();
    auto hidden = dec.hidden(args);  // [B, T, H]
    auto bi = torch::tensor(sel_b, iopt).to(state.device), ti = torch::tensor(sel_t, iopt).to(state.device);
    auto picked = hidden.index({bi, ti});  // [M, H]
    auto sc = score_targets(dec, picked, torch::tensor(tgt, iopt).to(state.device));
    auto lp = sc.logprob.to(torch::kCPU).contiguous();
    auto gr = sc.greedy.to(torch::kCPU).contiguous();
    const float* lpp = lp.data_ptr<float>();
    const bool* grp = gr.data_ptr<bool>();
    int64_t m = 0;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t r = order[i + b];
      for (int64_t k = 0; k < cont_len[r]; ++k, ++m) {
        out.sum[r] += static_cast<double>(lpp[m]);
        if (!grp[m]) out.greedy[r] = 0;
        if (want_tokens) out.tokens[out.token_off[r] + k] = lpp[m];
      }
    }
    i += B;
  }
  return out;
}

}  // namespace resurface
