#include "generate/min_length.h"

#include <algorithm>
#include <limits>

namespace resurface {

torch::Tensor mask_stop_tokens(const torch::Tensor& logits, const std::vector<bool>& blocked, const std::vector<int64_t>& stop_ids) {
  const int64_t B = logits.size(0), V = logits.size(1);
  if (stop_ids.empty() || std::none_of(blocked.begin(), blocked.end(), [](bool b) { return b; })) return logits;
  std::vector<int64_t> rows, cols;  // (row, stop id) pairs to mask
  for (int64_t b = 0; b < B; ++b) {
    if (!blocked[b]) continue;
    for (const int64_t id : stop_ids) {
      if (id < 0 || id >= V) continue;
      rows.push_back(b);
      cols.push_back(id);
    }
  }
  auto out = logits.clone();
  if (rows.empty()) return out;
  const auto dev = logits.device();
  auto r = torch::tensor(rows, torch::kInt64).to(dev);
  auto c = torch::tensor(cols, torch::kInt64).to(dev);
  out.index_put_({r, c}, -std::numeric_limits<float>::infinity());
  return out;
}

}  // namespace resurface
