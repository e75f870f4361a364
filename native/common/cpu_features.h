#pragma once

#include <string>
#include <vector>

namespace resurface {

// What this CPU computes natively, from cpuid and xgetbv (the OS must save the wide registers too, or
// an instruction the CPU has still faults). Detected once per process; the GEMM path choice and
// `--dtype auto` read it, `doctor` and the benchmarks report it.
struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ... ("" off x86)
  std::string brand;   // e.g. "AMD EPYC 9B45" ("" when cpuid has no brand string)
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512_vnni = false;
  bool avx512_bf16 = false;  // vdpbf16ps: bf16 dot products with float32 accumulation
  bool amx_tile = false;     // the CPU has AMX and Linux granted this process the tile state
  bool amx_bf16 = false;
  // True where bf16 GEMMs run on native bf16 dot products (AVX512_BF16 or AMX); without them
  // libtorch's CPU bf16 GEMM converts element by element and is ~47x slower than float32.
  bool native_bf16() const { return avx512_bf16 || amx_bf16; }
  // Names as /proc/cpuinfo spells them (avx512_bf16, amx_bf16, ...), for reports.
  std::vector<std::string> names() const;
};

const CpuFeatures& cpu_features();

}  // namespace resurface
