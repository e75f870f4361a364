#include "model/rope.h"

#include <cmath>

namespace resurface {

torch::Tensor rope_inv_freq(const ArchSpec& arch) {
  const int64_t rd = arch.rotary_dim;
  // base ** (arange(0, rd, 2) / rd), computed in float32 as in transformers.
  auto exponents = torch::arange(0, rd, 2, torch::kInt64).to(torch::kFloat32) / static_cast<float>(rd);
  auto inv_freq = 1.0 / torch::pow(torch::tensor(static_cast<float>(arch.rope_theta)), exponents);
  inv_freq = inv_freq.to(torch::kFloat32);
  const auto& s = arch.rope_scaling;
  if (s.type == "linear") {
    inv_freq = inv_freq / s.factor;
  } else if (s.type == "llama3") {
    // transformers' _compute_llama3_parameters: long wavelengths are slowed by `factor`, short ones
    // kept, and the band between is interpolated smoothly.
    const double low_freq_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
    const double high_freq_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
    auto wavelen = 2 * M_PI / inv_freq;
    auto scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
    auto smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    auto smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
    auto is_medium = (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
    inv_freq = torch::where(is_medium, smoothed, scaled).to(torch::kFloat32);
  }
  return inv_freq;
}

RotaryTable::RotaryTable(const ArchSpec& arch) : arch_(arch), inv_freq_(rope_inv_freq(arch)) {}

void RotaryTable::ensure_length(int64_t n, const torch::Device& device) {
  if (cos_table_.defined() && cos_table_.size(0) >= n && cos_table_.device() == device) return;
  int64_t len = std::max<int64_t>(n, 256);
  len = std::max<int64_t>(len, cos_table_.defined() ? cos_table_.size(0) * 2 : 0);
  // freqs [len, rd/2] = positions ⊗ inv_freq (float32 outer product, as transformers does)
  auto pos = torch::arange(len, torch::kFloat32);
  auto freqs = torch::outer(pos, inv_freq_);
  auto emb = torch::cat({freqs, freqs}, -1);  // [len, rd]
  cos_table_ = emb.cos().to(device);
  sin_table_ = emb.sin().to(device);
}

std::pair<torch::Tensor, torch::Tensor> RotaryTable::lookup(const torch::Tensor& positions, torch::ScalarType dtype) {
  const int64_t max_pos = positions.numel() ? positions.max().item<int64_t>() + 1 : 1;
  ensure_length(max_pos, positions.device());
  auto flat = positions.reshape({-1});
  auto shape = std::vector<int64_t>{positions.size(0), positions.size(1), 1, arch_.rotary_dim};
  auto cos = cos_table_.index_select(0, flat).view(shape).to(dtype);
  auto sin = sin_table_.index_select(0, flat).view(shape).to(dtype);
  return {cos, sin};
}

torch::Tensor RotaryTable::apply(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) const {
  // x: [B, T, h, hd]; rotate the first rd dims: x*cos + rotate_half(x)*sin, rotate_half(a|b) = (-b|a)
  const int64_t rd = arch_.rotary_dim;
  const int64_t half = rd / 2;
  auto rot = rd == x.size(-1) ? x : x.narrow(-1, 0, rd);
  auto x1 = rot.narrow(-1, 0, half);
  auto x2 = rot.narrow(-1, half, half);
  auto rotated = torch::cat({-x2, x1}, -1);
  auto out = rot * cos + rotated * sin;
  if (rd == x.size(-1)) return out;
  return torch::cat({out, x.narrow(-1, rd, x.size(-1) - rd)}, -1);
}

}  // namespace resurface
