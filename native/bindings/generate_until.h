// Generation for evaluation, exposed to JS (see generate_until.cc for the signatures).
#pragma once

#include <napi.h>

namespace resurface {

Napi::Value TokenBytesTable(const Napi::CallbackInfo& info);
Napi::Value GenerateUntil(const Napi::CallbackInfo& info);

}  // namespace resurface
