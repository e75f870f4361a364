// Registers the native classes and functions, and installs the CPU block cache (common/cpu_block_cache.h).
#include <napi.h>

#include "bindings/device_memory.h"
#include "bindings/native_encoder.h"
#include "bindings/generate_until.h"
#include "bindings/native_generator.h"
#include "bindings/native_model.h"
#include "bindings/native_trainer.h"
#include "bindings/runtime_info.h"
#include "common/cpu_block_cache.h"
#include "bindings/native_scoring.h"

namespace resurface {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  install_cpu_block_cache();
  exports.Set("NativeModel", NativeModel::Init(env));
  exports.Set("NativeGenerator", NativeGenerator::Init(env));
  exports.Set("deviceMemory", Napi::Function::New(env, DeviceMemory));
  exports.Set("NativeTrainer", NativeTrainer::Init(env));
  exports.Set("NativeEncoder", NativeEncoder::Init(env));
  exports.Set("runtimeInfo", Napi::Function::New(env, RuntimeInfo));
  exports.Set("measurePeakFlops", Napi::Function::New(env, MeasurePeakFlops));
  exports.Set("scoreContinuations", Napi::Function::New(env, ScoreContinuations));
  exports.Set("tokenLogprobs", Napi::Function::New(env, TokenLogprobs));
  exports.Set("greedyExtract", Napi::Function::New(env, GreedyExtract));
  exports.Set("embed", Napi::Function::New(env, Embed));
  exports.Set("tokenBytes", Napi::Function::New(env, TokenBytesTable));
  exports.Set("generateUntil", Napi::Function::New(env, GenerateUntil));
  return exports;
}

NODE_API_MODULE(resurface, Init)

}  // namespace resurface
