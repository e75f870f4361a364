#include "common/threads.h"

#include <ATen/Parallel.h>

namespace resurface {

void use_threads(int threads) {
  if (threads <= 0) return;
  // at::init_num_threads() runs at::set_num_threads(), which (libtorch built with USE_PTHREADPOOL, as
  // Debian's and pip's are) replaces libtorch's pthreadpool by a fresh one whose new workers spin
  // before they sleep: calling it for every task cost ~8 thread creations per generate call and 4% of
  // a batch-32 bf16 sampling profile. OpenMP's thread count is per-thread state that persists, so
  // once per (libuv worker) thread is enough; a later change of count still goes through.
  thread_local bool initialised = false;
  if (!initialised) {
    at::init_num_threads();
    initialised = true;
  }
  if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

}  // namespace resurface
