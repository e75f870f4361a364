#include "common/peak_flops.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "common/cpu_features.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define RESURFACE_PEAK_KERNELS 1
#endif

namespace resurface {

namespace {

#ifdef RESURFACE_PEAK_KERNELS

// Chains per kernel: enough independent accumulators to cover the multiply-add latency (4-5
// cycles) on two pipes, few enough to stay in the 32 (AVX-512) or 16 (AVX2) vector registers.
constexpr int kChains512 = 24;
constexpr int kChains256 = 12;

// The `asm volatile` keeps x and y opaque, so the compiler can neither fold nor hoist the chains.
// Each returns a value derived from every chain, and the caller stores it, so none is dropped.

__attribute__((target("avx512f"), noinline)) float fma512(long iters) {
  __m512 a[kChains512];
#pragma GCC unroll 24
  for (int i = 0; i < kChains512; ++i) a[i] = _mm512_set1_ps(1e-3f * static_cast<float>(i));
  __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-4f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < kChains512; ++i) a[i] = _mm512_fmadd_ps(x, a[i], y);
    asm volatile("" : "+v"(x), "+v"(y));
  }
  __m512 s = _mm512_setzero_ps();
#pragma GCC unroll 24
  for (int i = 0; i < kChains512; ++i) s = _mm512_add_ps(s, a[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx512f,avx512bf16"), noinline)) float dpbf16_512(long iters) {
  __m512 a[kChains512];
#pragma GCC unroll 24
  for (int i = 0; i < kChains512; ++i) a[i] = _mm512_set1_ps(1e-3f * static_cast<float>(i));
  __m512i x = _mm512_set1_epi16(0x3f80), y = _mm512_set1_epi16(0x3a83);  // bf16 1.0, ~0.001
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 24
    for (int i = 0; i < kChains512; ++i) a[i] = _mm512_dpbf16_ps(a[i], (__m512bh)x, (__m512bh)y);
    asm volatile("" : "+v"(x), "+v"(y));
  }
  __m512 s = _mm512_setzero_ps();
#pragma GCC unroll 24
  for (int i = 0; i < kChains512; ++i) s = _mm512_add_ps(s, a[i]);
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0];
}

__attribute__((target("avx2,fma"), noinline)) float fma256(long iters) {
  __m256 a[kChains256];
#pragma GCC unroll 12
  for (int i = 0; i < kChains256; ++i) a[i] = _mm256_set1_ps(1e-3f * static_cast<float>(i));
  __m256 x = _mm256_set1_ps(0.999f), y = _mm256_set1_ps(1e-4f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < kChains256; ++i) a[i] = _mm256_fmadd_ps(x, a[i], y);
    asm volatile("" : "+x"(x), "+x"(y));
  }
  __m256 s = _mm256_setzero_ps();
#pragma GCC unroll 12
  for (int i = 0; i < kChains256; ++i) s = _mm256_add_ps(s, a[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0];
}

struct Kernel {
  std::string isa;
  float (*fn)(long);
  double flops_per_iter;
};

// Wall seconds for `threads` threads each running `iters` iterations at once.
double timed(const Kernel& k, int threads, long iters) {
  std::vector<std::thread> pool;
  std::vector<float> sink(static_cast<size_t>(threads));
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) pool.emplace_back([&, t] { sink[static_cast<size_t>(t)] = k.fn(iters); });
  for (auto& th : pool) th.join();
  volatile float keep = sink[0];
  (void)keep;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

MeasuredPeak measure(const Kernel& k, int threads, double seconds) {
  // calibrate on one thread, then the best of three timed runs on all
  long iters = 1 << 16;
  while (timed(k, 1, iters) < 0.02 && iters < (1L << 40)) iters *= 2;
  iters = static_cast<long>(static_cast<double>(iters) * seconds / std::max(1e-6, timed(k, 1, iters)));
  double best = 0.0;
  for (int r = 0; r < 3; ++r) best = std::max(best, k.flops_per_iter * static_cast<double>(iters) * threads / timed(k, threads, iters));
  return {k.isa, best / 1e9};
}

#endif

}  // namespace

MeasuredPeaks measure_peak_flops(int threads, double seconds) {
  MeasuredPeaks out;
  out.threads = std::max(1, threads);
  out.seconds = seconds;
#ifdef RESURFACE_PEAK_KERNELS
  const auto& cpu = cpu_features();
  if (cpu.avx512f)
    out.float32 = measure({"AVX-512 FMA", &fma512, kChains512 * 16.0 * 2}, out.threads, seconds);
  else if (cpu.avx2 && cpu.fma)
    out.float32 = measure({"AVX2 FMA", &fma256, kChains256 * 8.0 * 2}, out.threads, seconds);
  // vdpbf16ps: 16 float32 lanes, each += two bf16 products
  if (cpu.avx512_bf16) out.bfloat16 = measure({"AVX512_BF16 vdpbf16ps", &dpbf16_512, kChains512 * 16.0 * 4}, out.threads, seconds);
#endif
  return out;
}

}  // namespace resurface
