// N-API entry points of generation for evaluation (generate/until_generation.h).
//
// tokenBytes(bytes: Uint8Array, offsets: Int32Array [V+1], stripLeadingSpace: bool) -> opaque handle
//   the decoded bytes of every token id, passed once per tokenizer and reused by every call.
// generateUntil(model, tokenBytes, {contextIds, contextOffsets [N+1], stopBytes: Uint8Array,
//               stopOffsets [S+1], stopStart [N+1], maxGenToks [N], sampleBase: Float64Array [N],
//               repeats, batchSize, seed, temperature, topP, topK, validVocab, eosIds: number[]})
//   -> Promise<{tokens: Int32Array, offsets: Int32Array [N*repeats+1], reasons: Int32Array [N*repeats]}>
//   completions item-major (item i, repeat r at i*repeats + r); reasons: 0 length, 1 eos, 2 stop string.
#include "bindings/generate_until.h"

#include "bindings/js_convert.h"
#include "bindings/native_model.h"
#include "bindings/async_task.h"
#include "bindings/with_model.h"
#include "generate/until_generation.h"

namespace resurface {

namespace {

using TokenBytesHandle = std::shared_ptr<const TokenBytes>;

std::vector<uint8_t> uint8_vector(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    fail("ERR_INVALID_ARGUMENT", what + " must be a Uint8Array");
  auto a = v.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(a.Data(), a.Data() + a.ElementLength());
}

std::vector<double> float64_vector(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    fail("ERR_INVALID_ARGUMENT", what + " must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  return std::vector<double>(a.Data(), a.Data() + a.ElementLength());
}

// Splits flat bytes at offsets [n+1] into n strings.
std::vector<std::string> pieces_from(const std::vector<uint8_t>& bytes, const std::vector<int64_t>& off, const std::string& what) {
  check_arg(!off.empty() && off.front() == 0 && off.back() == static_cast<int64_t>(bytes.size()),
            what + " offsets must start at 0 and end at the number of bytes");
  std::vector<std::string> out;
  out.reserve(off.size() - 1);
  for (size_t i = 0; i + 1 < off.size(); ++i) {
    check_arg(off[i] <= off[i + 1], what + " offsets must not decrease");
    out.emplace_back(reinterpret_cast<const char*>(bytes.data()) + off[i], static_cast<size_t>(off[i + 1] - off[i]));
  }
  return out;
}

TokenBytesHandle token_bytes_from_js(const Napi::Value& v) {
  if (!v.IsExternal()) fail("ERR_INVALID_ARGUMENT", "second argument must be a token byte table (native.tokenBytes)");
  auto* h = v.As<Napi::External<TokenBytesHandle>>().Data();
  if (!h || !*h) fail("ERR_INVALID_ARGUMENT", "invalid token byte table");
  return *h;
}

}  // namespace

Napi::Value TokenBytesTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto t = std::make_shared<TokenBytes>();
    t->pieces = pieces_from(uint8_vector(info[0], "bytes"), int32_vector(info[1], "offsets"), "token");
    t->strip_leading_space = info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
    auto* handle = new TokenBytesHandle(std::move(t));
    return Napi::External<TokenBytesHandle>::New(env, handle, [](Napi::Env, TokenBytesHandle* h) { delete h; });
  });
}

Napi::Value GenerateUntil(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto state = model_from_js(info[0]);
    auto bytes = token_bytes_from_js(info[1]);
    auto o = info[2].As<Napi::Object>();
    auto ctx = ragged_from_js(o.Get("contextIds"), o.Get("contextOffsets"), "context", state->arch.vocab_size, 1);
    const int64_t N = ctx.size();
    auto stops = pieces_from(uint8_vector(o.Get("stopBytes"), "stopBytes"), int32_vector(o.Get("stopOffsets"), "stopOffsets"), "stop");
    auto stop_start = int32_vector(o.Get("stopStart"), "stopStart");
    auto max_gen = int32_vector(o.Get("maxGenToks"), "maxGenToks");
    auto base = float64_vector(o.Get("sampleBase"), "sampleBase");
    check_arg(static_cast<int64_t>(stop_start.size()) == N + 1 && stop_start.front() == 0 &&
                  stop_start.back() == static_cast<int64_t>(stops.size()),
              "stopStart must hold N + 1 offsets into the stop strings");
    check_arg(static_cast<int64_t>(max_gen.size()) == N && static_cast<int64_t>(base.size()) == N,
              "maxGenToks and sampleBase must hold one value per context");
    auto items = std::make_shared<std::vector<UntilItem>>(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i) {
      auto& it = (*items)[static_cast<size_t>(i)];
      it.context.assign(ctx.row(i), ctx.row(i) + ctx.len(i));
      check_arg(stop_start[i] <= stop_start[i + 1], "stopStart must not decrease");
      for (int64_t s = stop_start[i]; s < stop_start[i + 1]; ++s) {
        check_arg(!stops[static_cast<size_t>(s)].empty(), "stop strings must not be empty");
        it.stops.push_back(stops[static_cast<size_t>(s)]);
      }
      it.max_gen_toks = max_gen[i];
      it.sample_base = static_cast<int64_t>(base[i]);
    }
    UntilConfig cfg;
    cfg.repeats = static_cast<int64_t>(get_number_or(o, "repeats", 1));
    cfg.batch_size = static_cast<int64_t>(get_number_or(o, "batchSize", 16));
    cfg.seed = static_cast<uint64_t>(get_number_or(o, "seed", 0));
    cfg.sampling.temperature = get_number_or(o, "temperature", 0.0);
    cfg.sampling.top_p = get_number_or(o, "topP", 1.0);
    cfg.sampling.top_k = static_cast<int64_t>(get_number_or(o, "topK", 0));
    cfg.sampling.valid_vocab = static_cast<int64_t>(get_number_or(o, "validVocab", 0));
    auto eos = o.Get("eosIds");
    if (eos.IsArray()) {
      auto a = eos.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); ++i) cfg.eos_ids.push_back(a.Get(i).As<Napi::Number>().Int64Value());
    }
    check_arg(cfg.repeats >= 1, "repeats must be >= 1");
    check_arg(cfg.batch_size >= 1, "batchSize must be >= 1");
    check_arg(cfg.sampling.temperature >= 0, "temperature must be >= 0");
    check_arg(cfg.sampling.top_p > 0 && cfg.sampling.top_p <= 1, "topP must be in (0, 1]");
    struct Out {
      std::vector<UntilCompletion> completions;
    };
    return run_async<Out>(
        env,
        [state, bytes, items, cfg]() {
          return with_model(state, [&] {
            torch::InferenceMode guard;
            return Out{generate_until(*state, *items, cfg, *bytes)};
          });
        },
        [](Napi::Env env, Out& r) -> Napi::Value {
          size_t total = 0;
          for (const auto& c : r.completions) total += c.tokens.size();
          auto tokens = Napi::Int32Array::New(env, total);
          auto offsets = Napi::Int32Array::New(env, r.completions.size() + 1);
          auto reasons = Napi::Int32Array::New(env, r.completions.size());
          size_t at = 0;
          offsets[0] = 0;
          for (size_t i = 0; i < r.completions.size(); ++i) {
            const auto& c = r.completions[i];
            std::copy(c.tokens.begin(), c.tokens.end(), tokens.Data() + at);
            at += c.tokens.size();
            offsets[i + 1] = static_cast<int32_t>(at);
            reasons[i] = static_cast<int32_t>(c.reason);
          }
          auto out = Napi::Object::New(env);
          out.Set("tokens", tokens);
          out.Set("offsets", offsets);
          out.Set("reasons", reasons);
          return out;
        });
  });
}

}  // namespace resurface
