// How many rows one scoring forward may take so that its attention scores fit a memory budget.
#pragma once

#include <algorithm>
#include <cstdint>

namespace resurface {

// Rows per forward so that the float32 attention scores [B, heads, T, S] stay within `budget` bytes.
inline int64_t rows_for_budget(int64_t wanted, int64_t T, int64_t S, int64_t heads, int64_t budget = 512ll << 20) {
  const int64_t per_row = std::max<int64_t>(1, T * S * heads * 4);
  return std::max<int64_t>(1, std::min<int64_t>(wanted, budget / per_row));
}

}  // namespace resurface
