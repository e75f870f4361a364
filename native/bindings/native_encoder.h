// JS class NativeEncoder: owns a BERT sentence encoder (encoder/bert_encoder.h); load and embed
// return Promises (bindings/async_task.h), so the event loop never waits on libtorch.
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "encoder/bert_encoder.h"
#include "model/model_state.h"

namespace resurface {

struct EncoderState {
  ReleaseIdleCpuBlocksLast release_idle_blocks_last;  // first member: destroyed last
  BertConfig config;
  Pooling pooling = Pooling::Mean;
  bool normalize = false;
  torch::Device device{torch::kCPU};
  torch::ScalarType dtype = torch::kFloat32;
  int threads = 1;
  std::unique_ptr<BertEncoder> encoder;
  std::mutex mu;  // one native task at a time per encoder
  std::atomic<bool> disposed{false};
};

class NativeEncoder : public Napi::ObjectWrap<NativeEncoder> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit NativeEncoder(const Napi::CallbackInfo& info);

 private:
  Napi::Value Load(const Napi::CallbackInfo& info);
  Napi::Value Embed(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<EncoderState> handle(Napi::Env env) const;

  std::shared_ptr<EncoderState> state_;
  bool loading_ = false;
};

}  // namespace resurface
