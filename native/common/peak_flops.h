// The sustained multiply-add throughput this CPU really delivers, measured: every thread runs
// independent chains of the widest float32 FMA (AVX-512, else AVX2) and of vdpbf16ps (AVX512_BF16)
// on registers only, for long enough that the clock settles. A peak computed from the ISA and the
// nominal clock overstates it wherever the vector units run below that clock (on the 2-vCPU EPYC VM
// these benchmarks ran on: ~69% of the nominal 64 flops/cycle x 2.6 GHz), so the GEMM benchmark
// reports its fractions against both.
#pragma once

#include <string>

namespace resurface {

struct MeasuredPeak {
  std::string isa;      // e.g. "AVX-512 FMA"; "" where this build or CPU has no kernel for the dtype
  double gflops = 0.0;  // all threads together
};

struct MeasuredPeaks {
  MeasuredPeak float32, bfloat16;
  int threads = 1;
  double seconds = 0.0;  // per measurement, per dtype
};

// Runs `threads` OS threads at once, each for about `seconds`; the best of three runs per dtype.
MeasuredPeaks measure_peak_flops(int threads, double seconds);

}  // namespace resurface
