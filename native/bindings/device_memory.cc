// deviceMemory(device) -> {free, total} bytes for a CUDA device (used by --batch-size auto).
// CPU memory is read on the JS side (os.freemem); without a CUDA build this reports null.
#include "bindings/device_memory.h"

#if defined(RESURFACE_WITH_CUDA)
#include <cuda_runtime_api.h>
#endif

#include "bindings/js_convert.h"
#include "bindings/async_task.h"

namespace resurface {

Napi::Value DeviceMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard_sync(env, [&]() -> Napi::Value {
    auto device = device_from_string(info[0].As<Napi::String>().Utf8Value());
    if (!device.is_cuda()) return env.Null();
#if defined(RESURFACE_WITH_CUDA)
    int previous = 0;
    cudaGetDevice(&previous);
    cudaSetDevice(device.index() < 0 ? 0 : device.index());
    size_t free_bytes = 0, total_bytes = 0;
    const auto rc = cudaMemGetInfo(&free_bytes, &total_bytes);
    cudaSetDevice(previous);
    if (rc != cudaSuccess) fail("ERR_DEVICE", std::string("cudaMemGetInfo failed: ") + cudaGetErrorString(rc));
    auto out = Napi::Object::New(env);
    out.Set("free", Napi::Number::New(env, static_cast<double>(free_bytes)));
    out.Set("total", Napi::Number::New(env, static_cast<double>(total_bytes)));
    return out;
#else
    return env.Null();
#endif
  });
}

}  // namespace resurface
