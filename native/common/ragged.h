// Ragged token lists: one flat list of ids plus offsets [N+1] (row i is ids[offsets[i] .. offsets[i+1])).
// Validated once (check_ragged) where they enter native code, so the compute kernels can trust them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/errors.h"

namespace resurface {

struct Ragged {
  std::vector<int64_t> ids;
  std::vector<int64_t> off;  // [N+1]
  int64_t size() const { return static_cast<int64_t>(off.size()) - 1; }
  int64_t len(int64_t i) const { return off[i + 1] - off[i]; }
  const int64_t* row(int64_t i) const { return ids.data() + off[i]; }
};

// min_len: smallest allowed row length; vocab: ids must lie in [0, vocab). `what` names the rows in errors.
inline void check_ragged(const Ragged& r, const std::string& what, int64_t vocab, int64_t min_len) {
  check_arg(!r.off.empty() && r.off.front() == 0 && r.off.back() == static_cast<int64_t>(r.ids.size()),
            what + " offsets must start at 0 and end at the number of ids");
  for (int64_t i = 0; i < r.size(); ++i)
    check_arg(r.len(i) >= min_len, what + " row " + std::to_string(i) + " has " + std::to_string(r.len(i)) + " tokens; at least " +
                                       std::to_string(min_len) + " needed");
  for (auto id : r.ids)
    check_arg(id >= 0 && id < vocab, what + ": token id " + std::to_string(id) + " is outside [0, " + std::to_string(vocab) + ")");
}

}  // namespace resurface
