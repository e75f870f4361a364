#include "bindings/native_encoder.h"

#include "bindings/js_convert.h"
#include "common/threads.h"
#include "bindings/async_task.h"
#include "bindings/with_model.h"
#include "common/cpu_block_cache.h"
#include "encoder/embed_batches.h"
#include "model/weights.h"

namespace resurface {

namespace {

BertConfig bert_config_from_js(const Napi::Object& o) {
  BertConfig c;
  c.vocab_size = static_cast<int64_t>(get_number(o, "vocabSize"));
  c.hidden_size = static_cast<int64_t>(get_number(o, "hiddenSize"));
  c.num_layers = static_cast<int64_t>(get_number(o, "numLayers"));
  c.num_heads = static_cast<int64_t>(get_number(o, "numHeads"));
  c.intermediate_size = static_cast<int64_t>(get_number(o, "intermediateSize"));
  c.max_position_embeddings = static_cast<int64_t>(get_number(o, "maxPositionEmbeddings"));
  c.type_vocab_size = static_cast<int64_t>(get_number(o, "typeVocabSize"));
  c.layer_norm_eps = get_number(o, "layerNormEps");
  c.hidden_act = get_string_or(o, "hiddenAct", "gelu");
  check_arg(c.vocab_size > 0 && c.hidden_size > 0 && c.num_layers > 0 && c.num_heads > 0 && c.type_vocab_size > 0,
            "encoder config sizes must be positive");
  return c;
}

}  // namespace

Napi::Function NativeEncoder::Init(Napi::Env env) {
  return DefineClass(env, "NativeEncoder",
                     {
                         InstanceMethod("load", &NativeEncoder::Load),
                         InstanceMethod("embed", &NativeEncoder::Embed),
                         InstanceMethod("info", &NativeEncoder::Info),
                         InstanceMethod("dispose", &NativeEncoder::Dispose),
                     });
}

NativeEncoder::NativeEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEncoder>(info) {}

std::shared_ptr<EncoderState> NativeEncoder::handle(Napi::Env env) const {
  if (!state_ || state_->disposed) throw make_js_error(env, "ERR_DISPOSED", "the encoder has been disposed (or was never loaded)");
  return state_;
}

// load({config, plan, pooling, normalize, device, dtype, threads}) -> Promise<void>
Napi::Value NativeEncoder::Load(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    if (state_ || loading_) throw make_js_error(env, "ERR_INVALID_ARGUMENT", "NativeEncoder.load may be called once");
    check_arg(info[0].IsObject(), "load expects an options object");
    auto opts = info[0].As<Napi::Object>();
    auto state = std::make_shared<EncoderState>();
    state->config = bert_config_from_js(opts.Get("config").As<Napi::Object>());
    auto plan = std::make_shared<LoadPlan>(plan_from_js(opts.Get("plan").As<Napi::Object>()));
    state->pooling = pooling_from_string(get_string_or(opts, "pooling", "mean"));
    state->normalize = get_bool_or(opts, "normalize", false);
    state->device = device_from_string(get_string_or(opts, "device", "cpu"));
    state->dtype = dtype_from_string(get_string_or(opts, "dtype", "float32"));
    state->threads = static_cast<int>(get_number_or(opts, "threads", 1));
    loading_ = true;
    auto self_ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(Value()));
    return run_async<bool>(
        env,
        [state, plan]() {
          use_threads(state->threads);
          torch::NoGradGuard no_grad;
          auto params = load_weights(*plan, state->dtype, state->device);
          std::vector<std::string> names;
          for (const auto& s : plan->slots) names.push_back(s.name);
          state->encoder = std::make_unique<BertEncoder>(state->config, names, std::move(params));
          release_idle_cpu_blocks();
          return true;
        },
        [this, state, self_ref](Napi::Env env, bool&) -> Napi::Value {
          state_ = state;
          return env.Undefined();
        },
        [this, self_ref]() { loading_ = false; });
  });
}

// embed(ids: Int32Array, offsets: Int32Array [N+1], {batchSize}) -> Promise<Float32Array [N*H]>
Napi::Value NativeEncoder::Embed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = handle(env);
    auto r = ragged_from_js(info[0], info[1], "sequences", state->config.vocab_size, 1);
    auto rows = std::make_shared<TokenRows>();
    rows->ids = std::move(r.ids);
    rows->offsets = std::move(r.off);
    for (int64_t i = 0; i < rows->size(); ++i)
      check_arg(rows->len(i) <= state->config.max_position_embeddings,
                "sequence " + std::to_string(i) + " has " + std::to_string(rows->len(i)) + " tokens, more than max_position_embeddings " +
                    std::to_string(state->config.max_position_embeddings));
    const int64_t batch = batch_size_from_js(info[2], 32);
    return run_async<std::vector<float>>(
        env,
        [state, rows, batch]() {
          return with_model(
              state,
              [&] {
                torch::InferenceMode guard;
                return embed_rows(*state->encoder, *rows, batch, state->pooling, state->normalize);
              },
              "encoder");
        },
        [](Napi::Env env, std::vector<float>& v) -> Napi::Value {
          auto a = Napi::Float32Array::New(env, v.size());
          std::copy(v.begin(), v.end(), a.Data());
          return a;
        });
  });
}

Napi::Value NativeEncoder::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto state = handle(env);
  int64_t n = 0;
  for (const auto& t : state->encoder->params()) n += t.numel();
  auto out = Napi::Object::New(env);
  out.Set("numParameters", Napi::Number::New(env, static_cast<double>(n)));
  out.Set("hiddenSize", Napi::Number::New(env, static_cast<double>(state->config.hidden_size)));
  out.Set("device", Napi::String::New(env, state->device.str()));
  out.Set("dtype", Napi::String::New(env, dtype_name(state->dtype)));
  out.Set("threads", Napi::Number::New(env, state->threads));
  return out;
}

Napi::Value NativeEncoder::Dispose(const Napi::CallbackInfo& info) {
  if (state_) {
    state_->disposed = true;
    state_.reset();  // tasks in flight hold their own reference
  }
  return info.Env().Undefined();
}

}  // namespace resurface
