// How generate_until splits the contexts it prefills at one step into forwards. A batched forward
// pads every context to its longest, so one forward over contexts of 60 to 140 tokens spends a
// quarter of its work on padding (and attention on padding grows with the square of the length).
// Sorted by length, the contexts are cut into consecutive groups that minimise the padded token
// count plus a fixed cost per forward, each group within the attention-memory budget.
#pragma once

#include <cstdint>
#include <vector>

namespace resurface {

// Rows per forward so that the float32 attention scores [rows, heads, L, L] stay within 512 MiB.
int64_t prefill_rows(int64_t wanted, int64_t L, int64_t heads);

// lengths[i]: context length of item i (>= 1). Returns groups of item indices (each group sorted by
// length, groups in ascending length order) covering every item once.
std::vector<std::vector<int64_t>> prefill_groups(const std::vector<int64_t>& lengths, int64_t heads);

}  // namespace resurface
