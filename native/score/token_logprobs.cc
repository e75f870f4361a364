// Per-token log-probabilities of windows for perplexity: row i is a window of tokens; targets
// row[scoreFrom_i ..] are scored (each given everything before it in the window), the tokens before
// scoreFrom_i are context only — the overlap of strided windows. Output: the scored tokens'
// log-probs concatenated in row order, float32 (sum them in float64).
#include "score/scoring.h"
#include "score/target_scores.h"

namespace resurface {

std::vector<float> window_logprobs(ModelState& st, const Ragged& windows, const std::vector<int64_t>& score_from, int64_t batch) {
  const int64_t N = windows.size();
  std::vector<std::vector<int64_t>> rows(N);
  std::vector<int64_t> cont(N);
  for (int64_t i = 0; i < N; ++i) {
    rows[i].assign(windows.row(i), windows.row(i) + windows.len(i));
    cont[i] = windows.len(i) - score_from[i];
  }
  return score_flat(st, rows, cont, batch, true).tokens;
}

}  // namespace resurface
