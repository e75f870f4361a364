#include "bindings/native_model.h"

#include "bindings/js_convert.h"
#include "bindings/async_task.h"
#include "bindings/with_model.h"

namespace resurface {

Napi::Function NativeModel::Init(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {
                         InstanceMethod("load", &NativeModel::Load),
                         InstanceMethod("forward", &NativeModel::Forward),
                         InstanceMethod("info", &NativeModel::Info),
                         InstanceMethod("dispose", &NativeModel::Dispose),
                         InstanceMethod("setThreads", &NativeModel::SetThreads),
                     });
}

NativeModel::NativeModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeModel>(info) {}

NativeModel* NativeModel::Unwrap(const Napi::Value& v) {
  if (!v.IsObject()) return nullptr;
  return Napi::ObjectWrap<NativeModel>::Unwrap(v.As<Napi::Object>());
}

ModelHandle NativeModel::handle(Napi::Env env) const {
  if (!state_ || state_->disposed) throw make_js_error(env, "ERR_DISPOSED", "the model has been disposed (or was never loaded)");
  return state_;
}

ModelHandle model_from_js(const Napi::Value& v) {
  auto* m = NativeModel::Unwrap(v);
  if (!m) fail("ERR_INVALID_ARGUMENT", "first argument must be a NativeModel");
  return m->handle(v.Env());
}

Napi::Float32Array tensor_to_float32array(Napi::Env env, const torch::Tensor& t) {
  auto* owned = new torch::Tensor(t.to(torch::kCPU, torch::kFloat32).contiguous());
  const size_t n = static_cast<size_t>(owned->numel());
  auto buf = Napi::ArrayBuffer::New(
      env, owned->data_ptr<float>(), n * sizeof(float), [](Napi::Env, void*, torch::Tensor* keep) { delete keep; }, owned);
  return Napi::Float32Array::New(env, n, buf, 0);
}

// load({arch, plan, device, dtype, threads}) -> Promise<void>
Napi::Value NativeModel::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    if (state_ || loading_) throw make_js_error(env, "ERR_INVALID_ARGUMENT", "NativeModel.load may be called once");
    auto opts = info[0].As<Napi::Object>();
    auto state = std::make_shared<ModelState>();
    state->arch = arch_from_js(opts.Get("arch").As<Napi::Object>());
    state->plan = plan_from_js(opts.Get("plan").As<Napi::Object>());
    state->device = device_from_string(get_string_or(opts, "device", "cpu"));
    state->dtype = dtype_from_string(get_string_or(opts, "dtype", "float32"));
    state->threads = static_cast<int>(get_number_or(opts, "threads", 1));
    loading_ = true;
    Napi::Object self = Value();
    auto self_ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(self));
    return run_async<bool>(
        env,
        [state]() {
          use_threads(state->threads);  // not with_model: nobody else can see the state before it is loaded
          torch::NoGradGuard no_grad;
          auto params = load_weights(state->plan, state->dtype, state->device);
          std::vector<std::string> names;
          for (const auto& s : state->plan.slots) names.push_back(s.name);
          state->decoder = std::make_unique<Decoder>(state->arch, std::move(names), std::move(params));
          release_idle_cpu_blocks();  // loading's conversion buffers will not recur: do not keep them
          return true;
        },
        [this, state, self_ref](Napi::Env env, bool&) -> Napi::Value {
          state_ = state;
          return env.Undefined();
        },
        [this, self_ref]() { loading_ = false; });
  });
}

// forward(ids: Int32Array [B*T], lengths: Int32Array [B], T) -> Promise<Float32Array [B*T*V]>
Napi::Value NativeModel::Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = handle(env);
    auto ids_js = info[0].As<Napi::Int32Array>();
    auto lens_js = info[1].As<Napi::Int32Array>();
    const int64_t T = info[2].As<Napi::Number>().Int64Value();
    const int64_t B = static_cast<int64_t>(lens_js.ElementLength());
    check_arg(T > 0 && B > 0 && static_cast<int64_t>(ids_js.ElementLength()) == B * T, "ids must hold B*T tokens");
    // copy inputs now: the JS buffers may change once we return
    auto ids = torch::from_blob(ids_js.Data(), {B, T}, torch::kInt32).to(torch::kInt64);
    auto lens = torch::from_blob(lens_js.Data(), {B}, torch::kInt32).to(torch::kInt64);
    const int64_t V = state->arch.vocab_size;
    check_arg(ids.min().item<int64_t>() >= 0 && ids.max().item<int64_t>() < V, "token ids must be in [0, " + std::to_string(V) + ")");
    check_arg(lens.min().item<int64_t>() >= 1 && lens.max().item<int64_t>() <= T, "lengths must be in [1, T]");
    check_arg(T <= state->arch.max_position_embeddings, "sequence length " + std::to_string(T) + " exceeds max_position_embeddings " +
                                                            std::to_string(state->arch.max_position_embeddings));
    return run_async<torch::Tensor>(
        env,
        [state, ids, lens, B, T]() {
          return with_model(state, [&] {
            torch::InferenceMode guard;
            ForwardArgs args;
            args.ids = ids.to(state->device);
            args.positions = torch::arange(T, torch::TensorOptions().dtype(torch::kInt64).device(state->device))
                                 .unsqueeze(0)
                                 .expand({B, T})
                                 .contiguous();
            auto logits = state->decoder->logits(state->decoder->hidden(args));  // [B, T, V]
            // positions past a row's length are padding: zero them, in place (the tensor is ours), and only
            // when there is padding; an out-of-place masked_fill is a second [B, T, V] tensor (+206 MB at 8x128)
            logits = logits.to(torch::kCPU, torch::kFloat32).contiguous();
            if (lens.min().item<int64_t>() < T) {
              auto valid = torch::arange(T, lens.options()).unsqueeze(0) < lens.unsqueeze(1);  // [B, T]
              logits.masked_fill_(valid.logical_not().unsqueeze(-1), 0.0f);
            }
            return logits;
          });
        },
        [](Napi::Env env, torch::Tensor& t) -> Napi::Value { return tensor_to_float32array(env, t); });
  });
}

Napi::Value NativeModel::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto state = handle(env);
  auto out = Napi::Object::New(env);
  int64_t n = 0, bytes = 0;
  for (auto& p : state->decoder->params()) {
    n += p.numel();
    bytes += p.numel() * static_cast<int64_t>(p.element_size());
  }
  // tied embeddings count once: lm_head is not a separate slot
  out.Set("numParameters", Napi::Number::New(env, static_cast<double>(n)));
  out.Set("parameterBytes", Napi::Number::New(env, static_cast<double>(bytes)));
  out.Set("device", Napi::String::New(env, state->device.str()));
  out.Set("dtype", Napi::String::New(env, dtype_name(state->dtype)));
  out.Set("threads", Napi::Number::New(env, state->threads));
  return out;
}

Napi::Value NativeModel::SetThreads(const Napi::CallbackInfo& info) {
  auto state = handle(info.Env());
  state->threads = info[0].As<Napi::Number>().Int32Value();
  return info.Env().Undefined();
}

Napi::Value NativeModel::Dispose(const Napi::CallbackInfo& info) {
  if (state_) {
    state_->disposed = true;
    state_.reset();  // tasks in flight hold their own reference
  }
  return info.Env().Undefined();
}

}  // namespace resurface
