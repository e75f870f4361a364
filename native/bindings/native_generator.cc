#include "bindings/native_generator.h"

#include "bindings/js_convert.h"
#include "bindings/native_model.h"
#include "bindings/async_task.h"
#include "bindings/with_model.h"

namespace resurface {

Napi::Function NativeGenerator::Init(Napi::Env env) {
  return DefineClass(env, "NativeGenerator",
                     {InstanceMethod("run", &NativeGenerator::Run), InstanceMethod("dispose", &NativeGenerator::Dispose)});
}

// new NativeGenerator(model, {seed, maxNewTokens, batchSize, startToken, eosIds, temperature, topK, topP, minP,
//                             validVocab, context?, minNewTokens?, logprobs?}, sampleIds: number[])
NativeGenerator::NativeGenerator(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeGenerator>(info) {
  Napi::Env env = info.Env();
  guard_sync(env, [&]() {
    auto* model = NativeModel::Unwrap(info[0]);
    if (!model) throw make_js_error(env, "ERR_INVALID_ARGUMENT", "NativeGenerator needs a NativeModel");
    auto o = info[1].As<Napi::Object>();
    shared_ = std::make_shared<Shared>();
    shared_->model = model->handle(env);
    auto& c = shared_->config;
    c.seed = static_cast<uint64_t>(get_number(o, "seed"));
    c.max_new_tokens = static_cast<int64_t>(get_number(o, "maxNewTokens"));
    c.batch_size = static_cast<int64_t>(get_number(o, "batchSize"));
    c.start_token = static_cast<int64_t>(get_number(o, "startToken"));
    c.sampling.temperature = get_number(o, "temperature");
    c.sampling.top_k = static_cast<int64_t>(get_number_or(o, "topK", 0));
    c.sampling.top_p = get_number_or(o, "topP", 1.0);
    c.sampling.min_p = get_number_or(o, "minP", 0.0);
    c.sampling.valid_vocab = static_cast<int64_t>(get_number_or(o, "validVocab", 0));
    auto eos = o.Get("eosIds");
    if (eos.IsArray()) {
      auto a = eos.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) c.eos_ids.push_back(a.Get(i).As<Napi::Number>().Int64Value());
    }
    auto context = o.Get("context");
    if (context.IsArray()) {
      auto a = context.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) c.context.push_back(a.Get(i).As<Napi::Number>().Int64Value());
    }
    c.min_new_tokens = static_cast<int64_t>(get_number_or(o, "minNewTokens", 0));
    c.logprobs = o.Has("logprobs") && o.Get("logprobs").ToBoolean().Value();
    check_arg(c.min_new_tokens >= 0 && c.min_new_tokens <= c.max_new_tokens, "minNewTokens must be in [0, maxNewTokens]");
    check_arg(c.batch_size >= 1, "batchSize must be >= 1");
    check_arg(c.sampling.temperature >= 0, "temperature must be >= 0");
    check_arg(c.sampling.top_p > 0 && c.sampling.top_p <= 1, "topP must be in (0, 1]");
    check_arg(c.sampling.min_p >= 0 && c.sampling.min_p < 1, "minP must be in [0, 1)");
    check_arg(c.sampling.top_k >= 0, "topK must be >= 0");
    auto ids = info[2].As<Napi::Array>();
    for (uint32_t i = 0; i < ids.Length(); ++i) shared_->sample_ids.push_back(ids.Get(i).As<Napi::Number>().Int64Value());
    return 0;
  });
}

// run(maxSteps, minFinished) -> Promise<{samples: [{id, tokens: Int32Array, eos, logprobs?: Float32Array}], done,
//                                      tokensGenerated, remaining}>
Napi::Value NativeGenerator::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    if (!shared_ || shared_->disposed) throw make_js_error(env, "ERR_DISPOSED", "the generator has been disposed");
    if (running_) throw make_js_error(env, "ERR_INVALID_ARGUMENT", "run() called while a previous run() is in flight");
    if (shared_->model->disposed) throw make_js_error(env, "ERR_DISPOSED", "the model has been disposed");
    const int64_t max_steps = info[0].As<Napi::Number>().Int64Value();
    const int64_t min_finished = info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : 0;
    running_ = true;
    struct Chunk {
      std::vector<FinishedSample> samples;
      bool done = false;
      int64_t tokens = 0, remaining = 0;
    };
    auto shared = shared_;
    return run_async<Chunk>(
        env,
        [shared, max_steps, min_finished]() {
          return with_model(shared->model, [&] {
            if (!shared->engine) shared->engine = std::make_unique<GenerationEngine>(shared->model, shared->config, shared->sample_ids);
            Chunk c;
            c.samples = shared->engine->run(max_steps, min_finished);
            c.done = shared->engine->done();
            c.tokens = shared->engine->tokens_generated();
            c.remaining = shared->engine->remaining();
            if (c.done) shared->engine.reset();  // free the KV cache as soon as the run is over
            return c;
          });
        },
        [](Napi::Env env, Chunk& c) -> Napi::Value {
          auto out = Napi::Object::New(env);
          auto arr = Napi::Array::New(env, c.samples.size());
          for (size_t i = 0; i < c.samples.size(); ++i) {
            const auto& s = c.samples[i];
            auto o = Napi::Object::New(env);
            o.Set("id", Napi::Number::New(env, static_cast<double>(s.id)));
            auto toks = Napi::Int32Array::New(env, s.tokens.size());
            std::copy(s.tokens.begin(), s.tokens.end(), toks.Data());
            o.Set("tokens", toks);
            o.Set("eos", Napi::Boolean::New(env, s.eos));
            if (!s.logprobs.empty()) {
              auto lp = Napi::Float32Array::New(env, s.logprobs.size());
              std::copy(s.logprobs.begin(), s.logprobs.end(), lp.Data());
              o.Set("logprobs", lp);
            }
            arr.Set(static_cast<uint32_t>(i), o);
          }
          out.Set("samples", arr);
          out.Set("done", Napi::Boolean::New(env, c.done));
          out.Set("tokensGenerated", Napi::Number::New(env, static_cast<double>(c.tokens)));
          out.Set("remaining", Napi::Number::New(env, static_cast<double>(c.remaining)));
          return out;
        },
        [this]() { running_ = false; });
  });
}

Napi::Value NativeGenerator::Dispose(const Napi::CallbackInfo& info) {
  if (shared_) {
    shared_->disposed = true;
    shared_.reset();
  }
  return info.Env().Undefined();
}

}  // namespace resurface
