// Reading plain JS objects (already validated by zod on the TypeScript side) into C++ structs.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include "common/ragged.h"
#include "model/arch.h"
#include "model/weights.h"

namespace resurface {

ArchSpec arch_from_js(const Napi::Object& o);
LoadPlan plan_from_js(const Napi::Object& o);
torch::Device device_from_string(const std::string& s);
torch::ScalarType dtype_from_string(const std::string& s);
std::string dtype_name(torch::ScalarType t);

// Required fields: a missing or mistyped one is ERR_INVALID_ARGUMENT naming the field.
double get_number(const Napi::Object& o, const char* key);
bool get_bool(const Napi::Object& o, const char* key);
std::string get_string(const Napi::Object& o, const char* key);
// Optional fields: `fallback` when absent.
double get_number_or(const Napi::Object& o, const char* key, double fallback);
bool get_bool_or(const Napi::Object& o, const char* key, bool fallback);
std::string get_string_or(const Napi::Object& o, const char* key, const std::string& fallback);

// An Int32Array copied into int64 (the JS buffer may change once the call returns).
std::vector<int64_t> int32_vector(const Napi::Value& v, const std::string& what);
// Ragged rows from an Int32Array of ids and an Int32Array of offsets [N+1], copied and validated
// (check_ragged: offsets consistent, every row >= min_len tokens, ids in [0, vocab)).
Ragged ragged_from_js(const Napi::Value& ids, const Napi::Value& offsets, const std::string& what, int64_t vocab, int64_t min_len);
// options.batchSize when it is a number (>= 1), else `fallback`.
int64_t batch_size_from_js(const Napi::Value& opts, int64_t fallback);

}  // namespace resurface
