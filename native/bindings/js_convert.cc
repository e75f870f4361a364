#include "bindings/js_convert.h"

#include "common/errors.h"

namespace resurface {

double get_number(const Napi::Object& o, const char* key) {
  auto v = o.Get(key);
  if (!v.IsNumber()) fail("ERR_INVALID_ARGUMENT", std::string("expected a number for '") + key + "'");
  return v.As<Napi::Number>().DoubleValue();
}

bool get_bool(const Napi::Object& o, const char* key) {
  auto v = o.Get(key);
  if (!v.IsBoolean()) fail("ERR_INVALID_ARGUMENT", std::string("expected a boolean for '") + key + "'");
  return v.As<Napi::Boolean>().Value();
}

std::string get_string(const Napi::Object& o, const char* key) {
  auto v = o.Get(key);
  if (!v.IsString()) fail("ERR_INVALID_ARGUMENT", std::string("expected a string for '") + key + "'");
  return v.As<Napi::String>().Utf8Value();
}

double get_number_or(const Napi::Object& o, const char* key, double fallback) {
  auto v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback;
}

bool get_bool_or(const Napi::Object& o, const char* key, bool fallback) {
  auto v = o.Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

std::string get_string_or(const Napi::Object& o, const char* key, const std::string& fallback) {
  auto v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

std::vector<int64_t> int32_vector(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    fail("ERR_INVALID_ARGUMENT", what + " must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
}

Ragged ragged_from_js(const Napi::Value& ids, const Napi::Value& offsets, const std::string& what, int64_t vocab, int64_t min_len) {
  Ragged r;
  r.ids = int32_vector(ids, what + " ids");
  r.off = int32_vector(offsets, what + " offsets");
  check_ragged(r, what, vocab, min_len);
  return r;
}

int64_t batch_size_from_js(const Napi::Value& opts, int64_t fallback) {
  if (!opts.IsObject()) return fallback;
  auto b = opts.As<Napi::Object>().Get("batchSize");
  if (!b.IsNumber()) return fallback;
  const int64_t n = b.As<Napi::Number>().Int64Value();
  check_arg(n >= 1, "batchSize must be >= 1");
  return n;
}

static std::vector<int64_t> int_array(const Napi::Value& v) {
  std::vector<int64_t> out;
  if (!v.IsArray()) return out;
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(static_cast<int64_t>(a.Get(i).As<Napi::Number>().Int64Value()));
  return out;
}

ArchSpec arch_from_js(const Napi::Object& o) {
  // Every switch is required: a field renamed on the TypeScript side must fail here, not silently
  // build a different model from a default.
  auto one_of = [&](const char* key, std::initializer_list<const char*> allowed) {
    auto v = get_string(o, key);
    for (auto* a : allowed)
      if (v == a) return v;
    fail("ERR_INVALID_ARGUMENT", std::string("unknown value '") + v + "' for '" + key + "'");
  };
  ArchSpec a;
  a.family = get_string(o, "family");
  a.vocab_size = static_cast<int64_t>(get_number(o, "vocabSize"));
  a.hidden_size = static_cast<int64_t>(get_number(o, "hiddenSize"));
  a.intermediate_size = static_cast<int64_t>(get_number(o, "intermediateSize"));
  a.num_layers = static_cast<int64_t>(get_number(o, "numLayers"));
  a.num_heads = static_cast<int64_t>(get_number(o, "numHeads"));
  a.num_kv_heads = static_cast<int64_t>(get_number(o, "numKvHeads"));
  a.head_dim = static_cast<int64_t>(get_number(o, "headDim"));
  a.rotary_dim = static_cast<int64_t>(get_number(o, "rotaryDim"));
  a.rope_theta = get_number(o, "ropeTheta");
  a.max_position_embeddings = static_cast<int64_t>(get_number(o, "maxPositionEmbeddings"));
  a.rms_norm = one_of("norm", {"layernorm", "rmsnorm"}) == "rmsnorm";
  a.norm_eps = get_number(o, "normEps");
  a.parallel_residual = get_bool(o, "parallelResidual");
  a.gated_mlp = one_of("mlp", {"gelu_mlp", "gated_mlp"}) == "gated_mlp";
  a.activation = get_string(o, "activation");  // unknown ones: ERR_UNSUPPORTED_CONFIG from the decoder
  a.qkv_bias = get_bool(o, "qkvBias");
  a.attn_out_bias = get_bool(o, "attnOutBias");
  a.mlp_bias = get_bool(o, "mlpBias");
  a.qk_norm = get_bool(o, "qkNorm");
  a.tie_word_embeddings = get_bool(o, "tieWordEmbeddings");
  auto rs = o.Get("ropeScaling");  // null: no scaling; the llama3 type also needs its frequency band
  if (!rs.IsNull()) {
    if (!rs.IsObject()) fail("ERR_INVALID_ARGUMENT", "expected an object or null for 'ropeScaling'");
    auto r = rs.As<Napi::Object>();
    a.rope_scaling.type = get_string(r, "type");
    a.rope_scaling.factor = get_number(r, "factor");
    if (a.rope_scaling.type == "llama3") {
      a.rope_scaling.low_freq_factor = get_number(r, "lowFreqFactor");
      a.rope_scaling.high_freq_factor = get_number(r, "highFreqFactor");
      a.rope_scaling.original_max_position_embeddings = get_number(r, "originalMaxPositionEmbeddings");
    }
  }
  check_arg(a.num_heads > 0 && a.num_kv_heads > 0 && a.num_heads % a.num_kv_heads == 0, "numHeads must be a multiple of numKvHeads");
  check_arg(a.rotary_dim > 0 && a.rotary_dim % 2 == 0 && a.rotary_dim <= a.head_dim, "rotaryDim must be even and <= headDim");
  return a;
}

LoadPlan plan_from_js(const Napi::Object& o) {
  LoadPlan plan;
  auto files = o.Get("files").As<Napi::Array>();
  for (uint32_t i = 0; i < files.Length(); ++i) plan.files.push_back(files.Get(i).As<Napi::String>().Utf8Value());
  plan.neox_heads = static_cast<int64_t>(get_number_or(o, "neoxHeads", 0));
  plan.check_finite = get_bool_or(o, "checkFinite", true);
  auto slots = o.Get("slots").As<Napi::Array>();
  for (uint32_t i = 0; i < slots.Length(); ++i) {
    auto s = slots.Get(i).As<Napi::Object>();
    WeightSlot slot;
    slot.name = s.Get("name").As<Napi::String>().Utf8Value();
    slot.shape = int_array(s.Get("shape"));
    slot.op = s.Get("op").As<Napi::String>().Utf8Value();
    slot.kind = get_string_or(s, "kind", "");
    auto srcs = s.Get("sources").As<Napi::Array>();
    for (uint32_t j = 0; j < srcs.Length(); ++j) {
      auto so = srcs.Get(j).As<Napi::Object>();
      SourceTensor src;
      src.file = static_cast<int>(get_number(so, "file"));
      src.name = so.Get("name").As<Napi::String>().Utf8Value();
      src.dtype = so.Get("dtype").As<Napi::String>().Utf8Value();
      src.shape = int_array(so.Get("shape"));
      src.begin = static_cast<int64_t>(get_number(so, "begin"));
      src.end = static_cast<int64_t>(get_number(so, "end"));
      slot.sources.push_back(src);
    }
    plan.slots.push_back(std::move(slot));
  }
  return plan;
}

torch::Device device_from_string(const std::string& s) {
  if (s == "cpu") return torch::Device(torch::kCPU);
  if (s.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) fail("ERR_DEVICE", "device " + s + " requested but this build of libtorch has no usable CUDA device");
    int index = 0;
    if (s.size() > 5 && s[4] == ':') index = std::stoi(s.substr(5));
    if (index < 0 || index >= static_cast<int>(torch::cuda::device_count()))
      fail("ERR_DEVICE", "device " + s + " does not exist (" + std::to_string(torch::cuda::device_count()) + " CUDA devices)");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  fail("ERR_INVALID_ARGUMENT", "unknown device '" + s + "' (use cpu, cuda or cuda:N)");
}

torch::ScalarType dtype_from_string(const std::string& s) {
  if (s == "float32") return torch::kFloat32;
  if (s == "bfloat16") return torch::kBFloat16;
  if (s == "float16") return torch::kFloat16;
  fail("ERR_INVALID_ARGUMENT", "unknown dtype '" + s + "' (use float32, bfloat16 or float16)");
}

std::string dtype_name(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat32: return "float32";
    case torch::kBFloat16: return "bfloat16";
    case torch::kFloat16: return "float16";
    default: return "other";
  }
}

}  // namespace resurface
