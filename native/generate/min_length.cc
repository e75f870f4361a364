#include "generate/min_length.h"

#include <limits>

namespace resurface {

void mask_stop_tokens_(torch::Tensor& logits, const std::vector<bool>& blocked, const std::vector<int64_t>& stop_ids) {
  const int64_t B = logits.size(0), V = logits.size(1);
  std::vector<int64_t> rows, cols;  // (row, stop id) pairs to mask
  for (int64_t b = 0; b < B; ++b) {
    if (!blocked[b]) continue;
    for (const int64_t id : stop_ids) {
      if (id < 0 || id >= V) continue;
      rows.push_back(b);
      cols.push_back(id);
    }
  }
  if (rows.empty()) return;
  const auto dev = logits.device();
  logits.index_put_({torch::tensor(rows, torch::kInt64).to(dev), torch::tensor(cols, torch::kInt64).to(dev)},
                    -std::numeric_limits<float>::infinity());
}

}  // namespace resurface
