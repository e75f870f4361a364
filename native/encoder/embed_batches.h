// Sentence embeddings of many ragged token lists: rows sorted by length (longest first) into
// right-padded batches so that padding stays small, then put back in input order.
#pragma once

#include <cstdint>
#include <vector>

#include "encoder/bert_encoder.h"

namespace resurface {

struct TokenRows {
  std::vector<int64_t> ids;
  std::vector<int64_t> offsets;  // [N+1]: row i is ids[offsets[i] .. offsets[i+1])
  int64_t size() const { return static_cast<int64_t>(offsets.size()) - 1; }
  int64_t len(int64_t i) const { return offsets[i + 1] - offsets[i]; }
  const int64_t* row(int64_t i) const { return ids.data() + offsets[i]; }
};

// Row-major [N, H] float32. `batch`: most rows per forward pass (fewer for long rows, so the
// attention scores stay within a fixed memory budget).
std::vector<float> embed_rows(const BertEncoder& encoder, const TokenRows& rows, int64_t batch, Pooling pooling, bool normalize);

}  // namespace resurface
