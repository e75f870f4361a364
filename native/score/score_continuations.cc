// Log-likelihood of continuations given contexts (lm-evaluation-harness `loglikelihood` requests),
// grouped by shared context: a multiple-choice item's choices share one context, which is run once
// through the decoder into a static KV cache; its choices then run as a batch on copies of that
// cache. For ARC-like items (context ~30-100 tokens, 4 choices of ~5-30 tokens) this processes
// ctx + sum(choices) tokens instead of 4 * ctx + sum(choices), and log_softmax is computed only at
// continuation positions (gather), never over full logits.
//
// Per group g (context c_g, choices k):  target k[0] is scored from the context's last hidden state
// (shared by all choices), targets k[1:] from the choice pass over k[:-1] at positions
// |c_g| .. |c_g|+|k|-2 with the context's keys/values in the cache.
#include <algorithm>
#include <numeric>

#include "score/row_budget.h"
#include "score/scoring.h"
#include "score/target_scores.h"

namespace resurface {

namespace {

using Request = ContinuationRequest;
using Result = ContinuationScores;

// Groups of a batch share one prefill; rows (choices) are continued from copies of their group's cache.
void score_group_batch(ModelState& st, const Request& q, const std::vector<int64_t>& groups, Result& out) {
  auto& dec = *st.decoder;
  const auto iopt = torch::TensorOptions().dtype(torch::kInt64).device(st.device);
  const int64_t G = static_cast<int64_t>(groups.size());
  int64_t Tc = 0, Tq = 0;
  std::vector<int64_t> row_ids, row_group;  // row r -> request row id, local group index
  for (int64_t g = 0; g < G; ++g) {
    const int64_t gi = groups[g];
    Tc = std::max(Tc, q.ctx.len(gi));
    for (int64_t r = q.group_start[gi]; r < q.group_start[gi + 1]; ++r) {
      row_ids.push_back(r);
      row_group.push_back(g);
      Tq = std::max(Tq, q.cont.len(r) - 1);
    }
  }
  const int64_t R = static_cast<int64_t>(row_ids.size());
  const int64_t cap = Tc + Tq;  // slots: context [0, |c|) then choice tokens [|c|, |c| + Tq)

  // 1. prefill contexts [G, Tc] into the cache
  KvCache cache(st.arch, G, cap, st.dtype, st.device);
  auto ids = torch::zeros({G, Tc}, torch::kInt64);
  std::vector<int64_t> ctx_len(G), last(G);
  for (int64_t g = 0; g < G; ++g) {
    const int64_t gi = groups[g];
    ctx_len[g] = q.ctx.len(gi);
    last[g] = ctx_len[g] - 1;
    std::copy(q.ctx.row(gi), q.ctx.row(gi) + ctx_len[g], ids.data_ptr<int64_t>() + g * Tc);
  }
  ForwardArgs pre;
  pre.ids = ids.to(st.device);
  pre.positions = torch::arange(Tc, iopt).unsqueeze(0).expand({G, Tc}).contiguous();
  pre.cache = &cache;
  pre.kv_len = Tc;
  auto h_ctx = dec.hidden(pre);  // [G, Tc, H]
  auto gidx = torch::tensor(row_group, torch::kInt64).to(st.device);
  auto h_last = h_ctx.index({torch::arange(G, iopt), torch::tensor(last, torch::kInt64).to(st.device)});  // [G, H]

  // first continuation token of every row, from its group's last context state
  std::vector<int64_t> first_tgt(R);
  for (int64_t r = 0; r < R; ++r) first_tgt[r] = q.cont.row(row_ids[r])[0];
  auto first = score_targets(dec, h_last.index_select(0, gidx), torch::tensor(first_tgt, torch::kInt64).to(st.device));
  auto flp = first.logprob.to(torch::kCPU).contiguous();
  auto fgr = first.greedy.to(torch::kCPU).contiguous();
  for (int64_t r = 0; r < R; ++r) {
    out.logprob[row_ids[r]] += static_cast<double>(flp.data_ptr<float>()[r]);
    if (!fgr.data_ptr<bool>()[r]) out.greedy[row_ids[r]] = 0;
  }
  if (Tq == 0) return;  // single-token continuations only

  // 2. choices [R, Tq] on per-row copies of the group caches
  KvCache rc;
  rc.batch = R;
  rc.capacity = cap;
  for (size_t l = 0; l < cache.k.size(); ++l) {
    rc.k.push_back(cache.k[l].index_select(0, gidx));  // [R, n_kv, cap, hd]
    rc.v.push_back(cache.v[l].index_select(0, gidx));
  }
  auto cids = torch::zeros({R, Tq}, torch::kInt64);
  auto cpos = torch::zeros({R, Tq}, torch::kInt64);
  std::vector<int64_t> sel_b, sel_t, tgt;
  for (int64_t r = 0; r < R; ++r) {
    const int64_t n = q.cont.len(row_ids[r]);
    const int64_t* k = q.cont.row(row_ids[r]);
    const int64_t c = ctx_len[row_group[r]];
    for (int64_t j = 0; j < Tq; ++j) {
      // padding tokens sit at the row's next positions: they write cache slots no real query reads
      if (j < n - 1) cids.data_ptr<int64_t>()[r * Tq + j] = k[j];
      cpos.data_ptr<int64_t>()[r * Tq + j] = c + j;
    }
    for (int64_t j = 0; j + 1 < n; ++j) {
      sel_b.push_back(r);
      sel_t.push_back(j);
      tgt.push_back(k[j + 1]);
    }
  }
  ForwardArgs cont;
  cont.ids = cids.to(st.device);
  cont.positions = cpos.to(st.device);
  cont.cache = &rc;
  cont.kv_len = cap;
  auto h = dec.hidden(cont);  // [R, Tq, H]
  auto picked = h.index({torch::tensor(sel_b, torch::kInt64).to(st.device), torch::tensor(sel_t, torch::kInt64).to(st.device)});
  auto sc = score_targets(dec, picked, torch::tensor(tgt, torch::kInt64).to(st.device));
  auto lp = sc.logprob.to(torch::kCPU).contiguous();
  auto gr = sc.greedy.to(torch::kCPU).contiguous();
  for (size_t m = 0; m < sel_b.size(); ++m) {
    const int64_t r = row_ids[sel_b[m]];
    out.logprob[r] += static_cast<double>(lp.data_ptr<float>()[m]);
    if (!gr.data_ptr<bool>()[m]) out.greedy[r] = 0;
  }
}

}  // namespace

ContinuationScores score_continuations(ModelState& st, const ContinuationRequest& q) {
  const int64_t G = q.ctx.size();
  const int64_t R = q.cont.size();
  Result out;
  out.logprob.assign(R, 0.0);
  out.greedy.assign(R, 1);
  if (!q.share) {
    // plain path: every request is one row context ++ continuation
    std::vector<std::vector<int64_t>> rows(R);
    std::vector<int64_t> cl(R);
    for (int64_t g = 0; g < G; ++g)
      for (int64_t r = q.group_start[g]; r < q.group_start[g + 1]; ++r) {
        rows[r].assign(q.ctx.row(g), q.ctx.row(g) + q.ctx.len(g));
        rows[r].insert(rows[r].end(), q.cont.row(r), q.cont.row(r) + q.cont.len(r));
        cl[r] = q.cont.len(r);
      }
    auto fs = score_flat(st, rows, cl, q.batch_size, false);
    out.logprob = fs.sum;
    out.greedy = fs.greedy;
    return out;
  }
  // longest (context + longest choice) first, like the harness, so padding stays small
  std::vector<int64_t> total(G), order(G);
  for (int64_t g = 0; g < G; ++g) {
    int64_t mx = 0;
    for (int64_t r = q.group_start[g]; r < q.group_start[g + 1]; ++r) mx = std::max(mx, q.cont.len(r));
    total[g] = q.ctx.len(g) + mx;
  }
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return total[a] > total[b]; });
  for (int64_t i = 0; i < G;) {
    const int64_t rows_cap = rows_for_budget(q.batch_size, total[order[i]], total[order[i]], st.arch.num_heads);
    std::vector<int64_t> batch;
    int64_t rows = 0;
    while (i < G) {
      const int64_t k = q.group_start[order[i] + 1] - q.group_start[order[i]];
      if (!batch.empty() && rows + k > rows_cap) break;
      batch.push_back(order[i]);
      rows += k;
      ++i;
    }
    score_group_batch(st, q, batch, out);
  }
  return out;
}

}  // namespace resurface
