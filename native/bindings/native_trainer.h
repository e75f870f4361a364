// JS class NativeTrainer: AdamW training of a NativeModel's parameters (native/train/trainer.h).
//   NativeTrainer.create(model, {weightDecay, beta1, beta2, eps, gradClip, decayAll, checkpointLayers, lossChunkRows})
//     -> Promise<NativeTrainer>                                      (copies the parameters: on the worker)
//   step({ids, targets, B, T, lr, accumulate, normalizer}) -> Promise<{loss, gradNorm, tokens, applied}>
//   exportWeights() -> Promise<[{name, dtype, shape, data}]>       (Hugging Face names and layout)
//   exportState() / importState(states) -> Promise                 (AdamW moments, step, masters)
#pragma once

#include <napi.h>

#include <memory>

#include "train/trainer.h"

namespace resurface {

class NativeTrainer : public Napi::ObjectWrap<NativeTrainer> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit NativeTrainer(const Napi::CallbackInfo& info);

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value ExportWeights(const Napi::CallbackInfo& info);
  Napi::Value ExportState(const Napi::CallbackInfo& info);
  Napi::Value ImportState(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<Trainer> live(Napi::Env env) const;

  std::shared_ptr<Trainer> trainer_;
};

}  // namespace resurface
