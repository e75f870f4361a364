// libtorch's intra-op thread count for the calling thread.
#pragma once

namespace resurface {

// Sets libtorch's intra-op threads for the calling (libuv worker) thread: OpenMP's thread count is
// per-thread state, so every task sets it before running. threads <= 0: leave it as it is.
void use_threads(int threads);

}  // namespace resurface
