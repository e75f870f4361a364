// JS class NativeModel: owns a ModelState; every slow method returns a Promise (AsyncTask).
#pragma once

#include <napi.h>

#include "model/model_state.h"

namespace resurface {

class NativeModel : public Napi::ObjectWrap<NativeModel> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit NativeModel(const Napi::CallbackInfo& info);

  // Handle for other bindings (generation, training, scoring) that operate on a loaded model.
  ModelHandle handle(Napi::Env env) const;
  static NativeModel* Unwrap(const Napi::Value& v);

 private:
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value SetThreads(const Napi::CallbackInfo& info);

  ModelHandle state_;
  bool loading_ = false;
};

// The model behind a NativeModel argument (ERR_INVALID_ARGUMENT when it is not one, ERR_DISPOSED when disposed).
ModelHandle model_from_js(const Napi::Value& v);

// Wraps a CPU float32 tensor's memory as a Float32Array without copying (the tensor is kept alive
// by the ArrayBuffer's finalizer).
Napi::Float32Array tensor_to_float32array(Napi::Env env, const torch::Tensor& t);

}  // namespace resurface
