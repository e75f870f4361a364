#include "bindings/native_trainer.h"

#include <cmath>

#include "bindings/js_convert.h"
#include "bindings/native_model.h"
#include "bindings/async_task.h"
#include "bindings/with_model.h"

namespace resurface {

namespace {

std::vector<int64_t> shape_of(const torch::Tensor& t) { return t.sizes().vec(); }

Napi::Array shape_to_js(Napi::Env env, const std::vector<int64_t>& shape) {
  auto a = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
  return a;
}

// A Uint8Array over a CPU tensor's bytes, without copying on the JS thread: the tensor must be our
// own (cloned in the worker, never a live parameter); the ArrayBuffer's finalizer keeps it alive.
Napi::Uint8Array bytes_of(Napi::Env env, const torch::Tensor& t) {
  auto* owned = new torch::Tensor(t.contiguous());
  const size_t n = static_cast<size_t>(owned->numel()) * owned->element_size();
  if (n == 0) {
    delete owned;
    return Napi::Uint8Array::New(env, 0);
  }
  auto buf = Napi::ArrayBuffer::New(env, owned->data_ptr(), n, [](Napi::Env, void*, torch::Tensor* keep) { delete keep; }, owned);
  return Napi::Uint8Array::New(env, n, buf, 0);
}

std::string st_dtype(torch::ScalarType t) {
  if (t == torch::kFloat32) return "F32";
  if (t == torch::kBFloat16) return "BF16";
  if (t == torch::kFloat16) return "F16";
  fail("ERR_INTERNAL", "unexpected parameter dtype");
}

// A float32 tensor [shape] viewing a Float32Array's memory, not copied (undefined when the key is
// absent): the array is pinned in `keep` until the import settles, and the worker copies from it.
torch::Tensor f32_view_of_js(const Napi::Object& o, const char* key, const std::vector<int64_t>& shape,
                             std::vector<Napi::Reference<Napi::Value>>& keep) {
  auto v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return {};
  check_arg(v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array,
            std::string(key) + " must be a Float32Array");
  auto a = v.As<Napi::Float32Array>();
  int64_t n = 1;
  for (auto d : shape) n *= d;
  check_arg(static_cast<int64_t>(a.ElementLength()) == n, std::string(key) + " has the wrong number of elements");
  keep.push_back(Napi::Persistent(v));
  return torch::from_blob(a.Data(), shape, torch::kFloat32);
}

}  // namespace

Napi::Function NativeTrainer::Init(Napi::Env env) {
  return DefineClass(env, "NativeTrainer",
                     {
                         StaticMethod("create", &NativeTrainer::Create),
                         InstanceMethod("step", &NativeTrainer::Step),
                         InstanceMethod("exportWeights", &NativeTrainer::ExportWeights),
                         InstanceMethod("exportState", &NativeTrainer::ExportState),
                         InstanceMethod("importState", &NativeTrainer::ImportState),
                         InstanceMethod("dispose", &NativeTrainer::Dispose),
                     });
}

// Only `create` constructs one: it hands the trainer built on the worker over as an External.
NativeTrainer::NativeTrainer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeTrainer>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsExternal())
    throw make_js_error(env, "ERR_INVALID_ARGUMENT", "use `await NativeTrainer.create(model, options)`, not `new NativeTrainer`");
  trainer_ = *info[0].As<Napi::External<std::shared_ptr<Trainer>>>().Data();
}

// create(model, options) -> Promise<NativeTrainer>. Building the trainer copies every parameter
// (bf16 -> float32 masters for mixed precision), so it runs on the worker like any slow call.
Napi::Value NativeTrainer::Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    check_arg(info.This().IsFunction(), "call create as NativeTrainer.create(model, options)");
    auto* nm = NativeModel::Unwrap(info[0]);
    check_arg(nm != nullptr, "NativeTrainer needs a NativeModel");
    auto model = nm->handle(env);
    auto o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    TrainerOptions opts;
    opts.weight_decay = get_number_or(o, "weightDecay", 0.0);
    opts.beta1 = get_number_or(o, "beta1", 0.9);
    opts.beta2 = get_number_or(o, "beta2", 0.999);
    opts.eps = get_number_or(o, "eps", 1e-8);
    opts.grad_clip = get_number_or(o, "gradClip", 0.0);
    opts.decay_all = get_bool_or(o, "decayAll", false);
    opts.checkpoint_layers = get_bool_or(o, "checkpointLayers", false);
    const double chunk = get_number_or(o, "lossChunkRows", 0.0);
    check_arg(chunk >= 0 && chunk == std::floor(chunk), "lossChunkRows must be a non-negative integer");
    opts.loss_chunk_rows = static_cast<int64_t>(chunk);
    auto ctor = std::make_shared<Napi::FunctionReference>(Napi::Persistent(info.This().As<Napi::Function>()));
    using Made = std::shared_ptr<Trainer>;
    return run_async<Made>(
        env, [model, opts]() { return with_model(model, [&] { return std::make_shared<Trainer>(model, opts); }); },
        [ctor](Napi::Env env, Made& t) -> Napi::Value { return ctor->New({Napi::External<Made>::New(env, &t)}); });
  });
}

std::shared_ptr<Trainer> NativeTrainer::live(Napi::Env env) const {
  if (!trainer_ || trainer_->model()->disposed) throw make_js_error(env, "ERR_DISPOSED", "the trainer (or its model) has been disposed");
  return trainer_;
}

// step({ids: Int32Array [B*T], targets: Int32Array [B*T], B, T, lr, accumulate, normalizer})
Napi::Value NativeTrainer::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto tr = live(env);
    auto o = info[0].As<Napi::Object>();
    const int64_t B = static_cast<int64_t>(get_number(o, "B")), T = static_cast<int64_t>(get_number(o, "T"));
    auto ids_v = o.Get("ids"), tg_v = o.Get("targets");
    check_arg(ids_v.IsTypedArray() && tg_v.IsTypedArray(), "ids and targets must be Int32Arrays");
    auto ids_js = ids_v.As<Napi::Int32Array>();
    auto tg_js = tg_v.As<Napi::Int32Array>();
    check_arg(
        B > 0 && T > 0 && static_cast<int64_t>(ids_js.ElementLength()) == B * T && static_cast<int64_t>(tg_js.ElementLength()) == B * T,
        "ids and targets must each hold B*T values");
    const auto& arch = tr->model()->arch;
    check_arg(T <= arch.max_position_embeddings,
              "sequence length " + std::to_string(T) + " exceeds max_position_embeddings " + std::to_string(arch.max_position_embeddings));
    StepInput in;
    in.ids = torch::from_blob(ids_js.Data(), {B, T}, torch::kInt32).to(torch::kInt64);  // copies
    in.targets = torch::from_blob(tg_js.Data(), {B, T}, torch::kInt32).to(torch::kInt64);
    const int64_t V = arch.vocab_size;
    check_arg(in.ids.min().item<int64_t>() >= 0 && in.ids.max().item<int64_t>() < V, "token ids must be in [0, vocab_size)");
    auto valid_t = (in.targets == -100) | ((in.targets >= 0) & (in.targets < V));
    check_arg(valid_t.all().item<bool>(), "targets must be -100 or in [0, vocab_size)");
    in.lr = get_number(o, "lr");
    in.accumulate = get_bool_or(o, "accumulate", false);
    in.normalizer = static_cast<int64_t>(get_number_or(o, "normalizer", 0));
    return run_async<StepResult>(
        env, [tr, in]() { return with_model(tr->model(), [&] { return tr->step(in); }); },
        [](Napi::Env env, StepResult& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("loss", r.loss);
          out.Set("gradNorm", r.grad_norm);
          out.Set("tokens", static_cast<double>(r.tokens));
          out.Set("applied", r.applied);
          return out;
        });
  });
}

Napi::Value NativeTrainer::ExportWeights(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto tr = live(env);
    using Named = std::vector<std::pair<std::string, torch::Tensor>>;
    return run_async<Named>(
        env,
        [tr]() {
          return with_model(tr->model(), [&] {
            auto w = tr->export_weights();
            for (auto& [n, t] : w) t = t.clone();  // detach from the live parameters before unlocking
            return w;
          });
        },
        [](Napi::Env env, Named& w) -> Napi::Value {
          auto arr = Napi::Array::New(env, w.size());
          for (size_t i = 0; i < w.size(); ++i) {
            auto o = Napi::Object::New(env);
            o.Set("name", w[i].first);
            o.Set("dtype", st_dtype(w[i].second.scalar_type()));
            o.Set("shape", shape_to_js(env, shape_of(w[i].second)));
            o.Set("data", bytes_of(env, w[i].second));
            arr.Set(static_cast<uint32_t>(i), o);
          }
          return arr;
        });
  });
}

// exportState() -> [{name, shape, step, expAvg?, expAvgSq?, master?}] (Float32Arrays)
Napi::Value NativeTrainer::ExportState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto tr = live(env);
    using States = std::vector<ParamState>;
    return run_async<States>(
        env,
        [tr]() {
          return with_model(tr->model(), [&] {
            auto s = tr->export_state();
            for (auto& p : s) {  // own copies: state tensors keep changing after we unlock
              if (p.exp_avg.defined()) p.exp_avg = p.exp_avg.clone();
              if (p.exp_avg_sq.defined()) p.exp_avg_sq = p.exp_avg_sq.clone();
              if (p.master.defined()) p.master = p.master.clone();
            }
            return s;
          });
        },
        [tr](Napi::Env env, States& s) -> Napi::Value {
          auto arr = Napi::Array::New(env, s.size());
          const auto& params = tr->model()->decoder->params();
          for (size_t i = 0; i < s.size(); ++i) {
            auto o = Napi::Object::New(env);
            o.Set("name", s[i].name);
            o.Set("shape", shape_to_js(env, params[i].sizes().vec()));
            o.Set("step", static_cast<double>(s[i].step));
            if (s[i].exp_avg.defined()) o.Set("expAvg", tensor_to_float32array(env, s[i].exp_avg));
            if (s[i].exp_avg_sq.defined()) o.Set("expAvgSq", tensor_to_float32array(env, s[i].exp_avg_sq));
            if (s[i].master.defined()) o.Set("master", tensor_to_float32array(env, s[i].master));
            arr.Set(static_cast<uint32_t>(i), o);
          }
          return arr;
        });
  });
}

// importState(states) -> Promise<void>. The moments and masters are as large as the model: they are
// read from the pinned JS arrays on the worker (do not modify them until the promise settles).
Napi::Value NativeTrainer::ImportState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto tr = live(env);
    check_arg(info[0].IsArray(), "importState expects an array of parameter states");
    auto arr = info[0].As<Napi::Array>();
    auto states = std::make_shared<std::vector<ParamState>>();
    auto keep = std::make_shared<std::vector<Napi::Reference<Napi::Value>>>();
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto o = arr.Get(i).As<Napi::Object>();
      ParamState ps;
      ps.name = o.Get("name").As<Napi::String>().Utf8Value();
      std::vector<int64_t> shape;
      auto sh = o.Get("shape").As<Napi::Array>();
      for (uint32_t j = 0; j < sh.Length(); ++j) shape.push_back(sh.Get(j).As<Napi::Number>().Int64Value());
      ps.step = static_cast<int64_t>(get_number_or(o, "step", 0));
      ps.exp_avg = f32_view_of_js(o, "expAvg", shape, *keep);
      ps.exp_avg_sq = f32_view_of_js(o, "expAvgSq", shape, *keep);
      ps.master = f32_view_of_js(o, "master", shape, *keep);
      states->push_back(std::move(ps));
    }
    return run_async<bool>(
        env,
        [tr, states]() {
          return with_model(tr->model(), [&] {
            tr->import_state(*states);  // copies out of the views
            states->clear();            // drop the views before the arrays are unpinned
            return true;
          });
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); },
        [states, keep]() {
          states->clear();
          keep->clear();  // JS thread: release the pinned arrays
        });
  });
}

Napi::Value NativeTrainer::Dispose(const Napi::CallbackInfo& info) {
  trainer_.reset();  // a step in flight keeps its own reference
  return info.Env().Undefined();
}

}  // namespace resurface
