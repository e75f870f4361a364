#include "train/checkpoint_layer.h"

#include <cstdint>

namespace resurface {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Inputs: x, cos, sin, mask, then the layer's parameters (so that their gradients flow back through
// this node into AccumulateGrad), then the decoder pointer and the layer index (non-tensors).
struct CheckpointedLayer : public torch::autograd::Function<CheckpointedLayer> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor cos, torch::Tensor sin, torch::Tensor mask,
                               torch::TensorList params, int64_t decoder, int64_t layer) {
    ctx->saved_data["decoder"] = decoder;
    ctx->saved_data["layer"] = layer;
    ctx->save_for_backward({x, cos, sin, mask});
    auto* dec = reinterpret_cast<Decoder*>(static_cast<intptr_t>(decoder));
    // Function::apply runs forward with grad mode off: nothing inside the block is kept.
    return dec->layer(layer, x, ForwardArgs{}, cos, sin, mask);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_out) {
    auto* dec = reinterpret_cast<Decoder*>(static_cast<intptr_t>(ctx->saved_data["decoder"].toInt()));
    const int64_t layer = ctx->saved_data["layer"].toInt();
    auto saved = ctx->get_saved_variables();
    auto params = dec->layer_params(layer);
    torch::Tensor out, x;
    {
      torch::AutoGradMode enable(true);
      x = saved[0].detach().requires_grad_(true);
      out = dec->layer(layer, x, ForwardArgs{}, saved[1], saved[2], saved[3]);  // recompute, [B, T, H]
    }
    variable_list inputs{x};
    inputs.insert(inputs.end(), params.begin(), params.end());
    auto grads = torch::autograd::grad({out}, inputs, {grad_out[0]}, /*retain_graph=*/false,
                                       /*create_graph=*/false, /*allow_unused=*/true);
    variable_list result{grads[0], torch::Tensor(), torch::Tensor(), torch::Tensor()};
    result.insert(result.end(), grads.begin() + 1, grads.end());
    result.emplace_back();  // decoder
    result.emplace_back();  // layer
    return result;
  }
};

}  // namespace

torch::Tensor checkpoint_layer(Decoder& dec, int64_t layer, const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                               const torch::Tensor& mask) {
  auto params = dec.layer_params(layer);
  return CheckpointedLayer::apply(x, cos, sin, mask, torch::TensorList(params), static_cast<int64_t>(reinterpret_cast<intptr_t>(&dec)),
                                  layer);
}

}  // namespace resurface
