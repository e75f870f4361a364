#include "train/head_cross_entropy.h"

#include <algorithm>

#include "common/errors.h"

namespace resurface {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per chunk: a [C, V] float32 buffer of about 128 MB (at least 64 rows, at most N). Fewer,
// larger chunks mean fewer read-modify-write passes over the [H, V] weight gradient.
int64_t auto_chunk_rows(int64_t n, int64_t vocab) {
  constexpr int64_t kBufferBytes = int64_t{128} << 20;
  return std::min(n, std::max<int64_t>(64, kBufferBytes / (vocab * static_cast<int64_t>(sizeof(float)))));
}

struct HeadCrossEntropy : public torch::autograd::Function<HeadCrossEntropy> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor hidden, torch::Tensor weight, torch::Tensor targets, double normalizer,
                               int64_t chunk_rows, torch::Tensor* scratch) {
    const int64_t N = hidden.size(0), H = hidden.size(1), V = weight.size(0);
    const bool want_h = hidden.requires_grad(), want_w = weight.requires_grad();
    const auto f32 = hidden.options().dtype(torch::kFloat32);
    const bool low_precision = hidden.scalar_type() != torch::kFloat32;
    auto wt = weight.t();                                                           // [H, V]
    auto grad_h = want_h ? torch::empty({N, H}, f32) : torch::Tensor();            // [N, H]
    auto grad_wt = want_w ? torch::zeros({H, V}, f32) : torch::Tensor();           // [H, V]
    const auto wt32 = low_precision ? wt.to(torch::kFloat32) : wt;                  // [H, V]
    auto loss = torch::zeros({}, f32.dtype(torch::kFloat64));

    const int64_t C = chunk_rows > 0 ? std::min(chunk_rows, N) : auto_chunk_rows(N, V);
    if (!scratch->defined() || scratch->numel() < C * V || scratch->device() != hidden.device()) *scratch = torch::empty({C * V}, f32);
    for (int64_t r0 = 0; r0 < N; r0 += C) {
      const int64_t c = std::min(C, N - r0);
      auto h = hidden.narrow(0, r0, c);                                // [c, H]
      auto t = targets.narrow(0, r0, c);                               // [c]
      auto valid = t.ne(-100);                                         // [c]
      auto tsafe = t.masked_fill(valid.logical_not(), 0).unsqueeze(1); // [c, 1]
      auto z = scratch->narrow(0, 0, c * V).view({c, V});              // [c, V] logits, then gradients
      if (low_precision)
        z.copy_(torch::mm(h, wt));
      else
        at::mm_out(z, h, wt);
      z.sub_(z.amax(1, /*keepdim=*/true));                             // shifted logits, max 0
      auto target_logit = z.gather(1, tsafe).squeeze(1);               // [c]
      z.exp_();
      auto sum = z.sum(1);                                             // [c]
      auto validf = valid.to(torch::kFloat32);
      loss += ((sum.log() - target_logit) * validf).sum(torch::kFloat64);
      // d loss / d logits = (softmax - onehot(target)) / normalizer on targeted rows, 0 elsewhere
      z.mul_((validf / (sum * normalizer)).unsqueeze(1));
      z.scatter_add_(1, tsafe, (validf * (-1.0 / normalizer)).unsqueeze(1));
      auto h32 = low_precision ? h.to(torch::kFloat32) : h;
      if (want_h) {
        auto gh = grad_h.narrow(0, r0, c);
        at::mm_out(gh, z, wt32.t());  // [c, V] @ [V, H]
      }
      if (want_w) grad_wt.addmm_(h32.t(), z);                           // [H, c] @ [c, V]
    }
    // the upstream gradient scales both; the weight gradient keeps the parameter's layout
    ctx->save_for_backward(
        {want_h ? grad_h.to(hidden.scalar_type()) : torch::Tensor(), want_w ? grad_wt.t().to(weight.scalar_type()) : torch::Tensor()});
    return (loss / normalizer).to(torch::kFloat32);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto saved = ctx->get_saved_variables();
    const auto& go = grad_out[0];
    auto scale = [&](const torch::Tensor& g) { return g.defined() ? g * go.to(g.scalar_type()) : torch::Tensor(); };
    return {scale(saved[0]), scale(saved[1]), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor head_cross_entropy(const torch::Tensor& hidden, const torch::Tensor& weight, const torch::Tensor& targets, double normalizer,
                                 int64_t chunk_rows, torch::Tensor& scratch) {
  check_arg(hidden.dim() == 2 && weight.dim() == 2 && hidden.size(1) == weight.size(1), "internal: head shapes disagree");
  check_arg(targets.dim() == 1 && targets.size(0) == hidden.size(0), "internal: one target per hidden row");
  check_arg(normalizer > 0, "internal: the loss normalizer must be positive");
  const int64_t V = weight.size(0);
  const auto in_range = targets.eq(-100).logical_or(targets.ge(0).logical_and(targets.lt(V)));
  check_arg(in_range.all().item<bool>(), "a target token id is outside the vocabulary [0, " + std::to_string(V) + ")");
  return HeadCrossEntropy::apply(hidden, weight, targets, normalizer, chunk_rows, &scratch);
}

}  // namespace resurface
