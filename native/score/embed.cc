// Sentence embeddings: the mean of the final-normed hidden states over each sequence's real
// tokens (padding excluded), float32 [N, H]. Used by the embedding-cosine proxies.
#include <algorithm>
#include <numeric>

#include "score/row_budget.h"
#include "score/scoring.h"

namespace resurface {

std::vector<float> mean_embeddings(ModelState& st, const Ragged& seqs, int64_t batch) {
  auto& dec = *st.decoder;
  const int64_t N = seqs.size(), H = st.arch.hidden_size;
  const auto iopt = torch::TensorOptions().dtype(torch::kInt64);
  std::vector<float> out(static_cast<size_t>(N * H));
  std::vector<int64_t> order(N);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return seqs.len(a) > seqs.len(b); });
  for (int64_t i = 0; i < N;) {
    const int64_t T = seqs.len(order[i]);
    const int64_t B = std::min(N - i, rows_for_budget(batch, T, T, st.arch.num_heads));
    auto ids = torch::zeros({B, T}, iopt);
    auto lens = torch::zeros({B}, iopt);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t r = order[i + b];
      std::copy(seqs.row(r), seqs.row(r) + seqs.len(r), ids.data_ptr<int64_t>() + b * T);
      lens.data_ptr<int64_t>()[b] = seqs.len(r);
    }
    ForwardArgs a;
    a.ids = ids.to(st.device);
    a.positions = torch::arange(T, iopt.device(st.device)).unsqueeze(0).expand({B, T}).contiguous();
    auto h = dec.hidden(a).to(torch::kFloat32);                                                     // [B, T, H]
    auto mask = (torch::arange(T, iopt).unsqueeze(0) < lens.unsqueeze(1)).to(st.device, torch::kFloat32);  // [B, T]
    auto mean = (h * mask.unsqueeze(-1)).sum(1) / lens.to(st.device, torch::kFloat32).unsqueeze(1);  // [B, H]
    mean = mean.to(torch::kCPU).contiguous();
    for (int64_t b = 0; b < B; ++b)
      std::copy(mean.data_ptr<float>() + b * H, mean.data_ptr<float>() + (b + 1) * H, out.data() + order[i + b] * H);
    i += B;
  }
  return out;
}

}  // namespace resurface
