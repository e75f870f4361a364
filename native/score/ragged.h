// Ragged token lists passed from JS as one flat Int32Array of ids plus Int32Array offsets [N+1]
// (row i is ids[offsets[i] .. offsets[i+1])). Copied on the JS thread (the JS buffers may change
// once the call returns) and validated once, so the workers can trust them.
#pragma once

#include <napi.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "bindings/native_model.h"
#include "common/errors.h"

namespace resurface {

struct Ragged {
  std::vector<int64_t> ids;
  std::vector<int64_t> off;  // [N+1]
  int64_t size() const { return static_cast<int64_t>(off.size()) - 1; }
  int64_t len(int64_t i) const { return off[i + 1] - off[i]; }
  const int64_t* row(int64_t i) const { return ids.data() + off[i]; }
};

inline std::vector<int64_t> int32_vector(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    fail("ERR_INVALID_ARGUMENT", what + " must be an Int32Array");
  auto a = v.As<Napi::Int32Array>();
  return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
}

// min_len: smallest allowed row length; vocab: ids must lie in [0, vocab).
inline Ragged ragged_from_js(const Napi::Value& ids_v, const Napi::Value& off_v, const std::string& what, int64_t vocab,
                             int64_t min_len) {
  Ragged r;
  r.ids = int32_vector(ids_v, what + " ids");
  r.off = int32_vector(off_v, what + " offsets");
  check_arg(!r.off.empty() && r.off.front() == 0 && r.off.back() == static_cast<int64_t>(r.ids.size()),
            what + " offsets must start at 0 and end at the number of ids");
  for (int64_t i = 0; i < r.size(); ++i)
    check_arg(r.len(i) >= min_len, what + " row " + std::to_string(i) + " has " + std::to_string(r.len(i)) +
                                       " tokens; at least " + std::to_string(min_len) + " needed");
  for (auto id : r.ids)
    check_arg(id >= 0 && id < vocab, what + ": token id " + std::to_string(id) + " is outside [0, " + std::to_string(vocab) + ")");
  return r;
}

inline ModelHandle model_from_js(const Napi::Value& v) {
  auto* m = NativeModel::Unwrap(v);
  if (!m) fail("ERR_INVALID_ARGUMENT", "first argument must be a NativeModel");
  return m->handle(v.Env());
}

inline int64_t batch_size_from_js(const Napi::Value& opts, int64_t fallback) {
  if (!opts.IsObject()) return fallback;
  auto b = opts.As<Napi::Object>().Get("batchSize");
  if (!b.IsNumber()) return fallback;
  const int64_t n = b.As<Napi::Number>().Int64Value();
  check_arg(n >= 1, "batchSize must be >= 1");
  return n;
}

// Rows per forward so that the float32 attention scores [B, heads, T, S] stay within `budget` bytes.
inline int64_t rows_for_budget(int64_t wanted, int64_t T, int64_t S, int64_t heads, int64_t budget = 512ll << 20) {
  const int64_t per_row = std::max<int64_t>(1, T * S * heads * 4);
  return std::max<int64_t>(1, std::min<int64_t>(wanted, budget / per_row));
}

}  // namespace resurface
