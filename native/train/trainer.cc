#include "train/trainer.h"

#include <cmath>
#include <sstream>
#include <type_traits>

#include "common/errors.h"
#include "model/weights.h"
#include "train/checkpoint_layer.h"
#include "train/head_cross_entropy.h"

namespace resurface {

namespace {

// libtorch keys optimizer state by the parameter's TensorImpl: a pointer string in 1.x, the
// pointer itself in 2.x. Both are derived here from the map's key type.
template <typename Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;  // what c10::guts::to_string(p.unsafeGetTensorImpl()) produces
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return Key(p.unsafeGetTensorImpl());
  }
}

using StateMap = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>;
using StateKey = typename StateMap::key_type;

bool no_decay_kind(const std::string& kind) { return kind == "bias" || kind == "norm_weight" || kind == "norm_bias"; }

}  // namespace

Trainer::Trainer(ModelHandle model, TrainerOptions opts) : model_(std::move(model)), opts_(opts) {
  auto& dec = *model_->decoder;
  params_ = dec.params();
  const auto& slots = model_->plan.slots;
  check_arg(slots.size() == params_.size(), "internal: load plan and parameters disagree");
  mixed_ = model_->dtype != torch::kFloat32;
  std::vector<torch::Tensor> decay, no_decay;
  for (size_t i = 0; i < params_.size(); ++i) {
    params_[i].requires_grad_(true);
    torch::Tensor m = params_[i];
    if (mixed_) m = params_[i].detach().to(torch::kFloat32).clone().requires_grad_(true);
    master_.push_back(m);
    (opts_.decay_all || !no_decay_kind(slots[i].kind) ? decay : no_decay).push_back(m);
  }
  auto defaults = torch::optim::AdamWOptions(0.0)
                      .betas(std::make_tuple(opts_.beta1, opts_.beta2))
                      .eps(opts_.eps)
                      .weight_decay(opts_.weight_decay)
                      .amsgrad(false);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(defaults));
  if (!no_decay.empty()) {
    auto nd = std::make_unique<torch::optim::AdamWOptions>(defaults);
    nd->weight_decay(0.0);
    groups.emplace_back(no_decay, std::move(nd));
  }
  opt_ = std::make_unique<torch::optim::AdamW>(groups, defaults);
}

void Trainer::clear_grads() {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
  if (mixed_)
    for (auto& m : master_) m.mutable_grad() = torch::Tensor();
}

StepResult Trainer::step(const StepInput& in) {
  auto& dec = *model_->decoder;
  const auto dev = model_->device;
  const int64_t B = in.ids.size(0), T = in.ids.size(1);
  StepResult r;
  auto ids = in.ids.to(dev);          // [B, T]
  auto targets = in.targets.to(dev);  // [B, T]
  r.tokens = (in.targets != -100).sum().item<int64_t>();
  const int64_t normalizer = in.normalizer > 0 ? in.normalizer : r.tokens;
  check_arg(normalizer > 0, "the batch has no targets (every position is masked)");

  torch::Tensor loss;
  {
    torch::AutoGradMode grad(true);
    ForwardArgs args;
    args.ids = ids;
    args.positions = torch::arange(T, torch::TensorOptions().dtype(torch::kInt64).device(dev)).unsqueeze(0).expand({B, T});
    args.checkpoint_layers = opts_.checkpoint_layers;
    args.checkpoint_layers_fn = &checkpoint_layer;
    auto hidden = dec.hidden(args);  // [B, T, H]
    // Summed over targets, divided by the step's target count: with accumulation the gradient is
    // that of the mean over every target of the optimizer step.
    loss = head_cross_entropy(hidden.view({B * T, hidden.size(-1)}), dec.lm_head(), targets.view({B * T}), static_cast<double>(normalizer),
                              opts_.loss_chunk_rows, head_scratch_);
    r.loss = loss.item<double>();
    if (!std::isfinite(r.loss)) {
      clear_grads();
      fail("ERR_NONFINITE_LOSS", "the loss is not finite (" + std::to_string(r.loss) + "); no update was applied");
    }
    loss.backward();
  }
  if (mixed_) {  // move this micro-batch's low-precision gradients into the float32 masters
    torch::NoGradGuard ng;
    for (size_t i = 0; i < params_.size(); ++i) {
      auto g = params_[i].grad();
      if (!g.defined()) continue;
      auto gf = g.to(torch::kFloat32);
      if (master_[i].grad().defined())
        master_[i].mutable_grad().add_(gf);
      else
        master_[i].mutable_grad() = gf;
      params_[i].mutable_grad() = torch::Tensor();
    }
  }
  if (in.accumulate) return r;

  const double max_norm = opts_.grad_clip > 0 ? opts_.grad_clip : std::numeric_limits<double>::infinity();
  r.grad_norm = torch::nn::utils::clip_grad_norm_(master_, max_norm);
  if (!std::isfinite(r.grad_norm)) {
    clear_grads();
    fail("ERR_NONFINITE_LOSS", "the gradient norm is not finite (" + std::to_string(r.grad_norm) + "); no update was applied");
  }
  for (auto& g : opt_->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(in.lr);
  opt_->step();
  if (mixed_) {
    torch::NoGradGuard ng;
    for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(master_[i]);
  }
  clear_grads();
  r.applied = true;
  return r;
}

torch::optim::AdamWParamState* Trainer::state_of(const torch::Tensor& p) {
  auto& st = opt_->state();
  auto it = st.find(state_key<StateKey>(p));
  if (it == st.end()) return nullptr;
  return static_cast<torch::optim::AdamWParamState*>(it->second.get());
}

void Trainer::set_state(const torch::Tensor& p, std::unique_ptr<torch::optim::AdamWParamState> s) {
  opt_->state()[state_key<StateKey>(p)] = std::move(s);
}

std::vector<ParamState> Trainer::export_state() {
  std::vector<ParamState> out;
  const auto& names = model_->decoder->names();
  for (size_t i = 0; i < master_.size(); ++i) {
    ParamState ps;
    ps.name = names[i];
    if (auto* s = state_of(master_[i])) {
      ps.step = s->step();
      ps.exp_avg = s->exp_avg().detach().to(torch::kCPU, torch::kFloat32).contiguous();
      ps.exp_avg_sq = s->exp_avg_sq().detach().to(torch::kCPU, torch::kFloat32).contiguous();
    }
    if (mixed_) ps.master = master_[i].detach().to(torch::kCPU).contiguous();
    out.push_back(std::move(ps));
  }
  return out;
}

void Trainer::import_state(const std::vector<ParamState>& states) {
  const auto& names = model_->decoder->names();
  std::unordered_map<std::string, const ParamState*> by_name;
  for (const auto& s : states) by_name[s.name] = &s;
  torch::NoGradGuard ng;
  for (size_t i = 0; i < master_.size(); ++i) {
    auto it = by_name.find(names[i]);
    if (it == by_name.end()) fail("ERR_RESUME_MISMATCH", "optimizer state has no entry for parameter " + names[i]);
    const auto& s = *it->second;
    const auto& p = master_[i];
    if (s.master.defined()) {
      if (!mixed_) fail("ERR_RESUME_MISMATCH", "optimizer state holds master weights but the model is float32");
      check_arg(s.master.sizes() == p.sizes(), "master weight " + names[i] + " has the wrong shape");
      p.copy_(s.master);
      params_[i].copy_(p);
    } else if (mixed_) {
      fail("ERR_RESUME_MISMATCH", "optimizer state lacks the float32 master weight of " + names[i]);
    }
    if (s.step == 0) continue;
    if (!s.exp_avg.defined() || s.exp_avg.sizes() != p.sizes() || !s.exp_avg_sq.defined() || s.exp_avg_sq.sizes() != p.sizes())
      fail("ERR_RESUME_MISMATCH", "optimizer moments of " + names[i] + " do not match the parameter's shape");
    auto st = std::make_unique<torch::optim::AdamWParamState>();
    st->step(s.step);
    // in the parameter's own layout (see in_compute_layout in model/weights.cc)
    st->exp_avg(torch::empty_like(p).copy_(s.exp_avg));
    st->exp_avg_sq(torch::empty_like(p).copy_(s.exp_avg_sq));
    set_state(p, std::move(st));
  }
}

std::vector<std::pair<std::string, torch::Tensor>> Trainer::export_weights() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  const auto& slots = model_->plan.slots;
  torch::NoGradGuard ng;
  for (size_t i = 0; i < slots.size(); ++i) {
    auto parts = export_slot(slots[i], params_[i], model_->plan.neox_heads);
    check_arg(parts.size() == slots[i].sources.size(), "internal: export of " + slots[i].name + " gave the wrong number of tensors");
    for (size_t j = 0; j < parts.size(); ++j) out.emplace_back(slots[i].sources[j].name, parts[j]);
  }
  return out;
}

}  // namespace resurface
