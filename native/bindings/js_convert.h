// Reading plain JS objects (already validated by zod on the TypeScript side) into C++ structs.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include "model/arch.h"
#include "model/weights.h"

namespace resurface {

ArchSpec arch_from_js(const Napi::Object& o);
LoadPlan plan_from_js(const Napi::Object& o);
torch::Device device_from_string(const std::string& s);
torch::ScalarType dtype_from_string(const std::string& s);
std::string dtype_name(torch::ScalarType t);

double get_number(const Napi::Object& o, const char* key);
double get_number_or(const Napi::Object& o, const char* key, double fallback);
bool get_bool_or(const Napi::Object& o, const char* key, bool fallback);
std::string get_string_or(const Napi::Object& o, const char* key, const std::string& fallback);

// Sets libtorch's intra-op threads for the calling (libuv worker) thread: OpenMP's thread count is
// per-thread state, so every task sets it before running.
void use_threads(int threads);

}  // namespace resurface
