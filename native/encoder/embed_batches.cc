#include "encoder/embed_batches.h"

#include <algorithm>
#include <numeric>

namespace resurface {

namespace {

// Rows per forward so that the float32 attention scores [B, heads, T, T] stay within `budget` bytes.
int64_t rows_within_budget(int64_t wanted, int64_t T, int64_t heads, int64_t budget = 512ll << 20) {
  const int64_t per_row = std::max<int64_t>(1, T * T * heads * 4);
  return std::max<int64_t>(1, std::min<int64_t>(wanted, budget / per_row));
}

}  // namespace

std::vector<float> embed_rows(const BertEncoder& encoder, const TokenRows& rows, int64_t batch, Pooling pooling, bool normalize) {
  const int64_t N = rows.size(), H = encoder.config().hidden_size;
  const auto iopt = torch::TensorOptions().dtype(torch::kInt64);
  std::vector<float> out(static_cast<size_t>(N * H));
  std::vector<int64_t> order(N);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return rows.len(a) > rows.len(b); });
  for (int64_t i = 0; i < N;) {
    const int64_t T = rows.len(order[i]);
    const int64_t B = std::min(N - i, rows_within_budget(batch, T, encoder.config().num_heads));
    auto ids = torch::zeros({B, T}, iopt);  // padding id 0 ([PAD] in BERT vocabularies; masked anyway)
    auto lens = torch::zeros({B}, iopt);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t r = order[i + b];
      std::copy(rows.row(r), rows.row(r) + rows.len(r), ids.data_ptr<int64_t>() + b * T);
      lens.data_ptr<int64_t>()[b] = rows.len(r);
    }
    auto pooled = encoder.embed(ids, lens, pooling, normalize).to(torch::kCPU).contiguous();  // [B, H]
    for (int64_t b = 0; b < B; ++b)
      std::copy(pooled.data_ptr<float>() + b * H, pooled.data_ptr<float>() + (b + 1) * H, out.data() + order[i + b] * H);
    i += B;
  }
  return out;
}

}  // namespace resurface
