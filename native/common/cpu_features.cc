#include "common/cpu_features.h"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define RESURFACE_X86 1
#endif
#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace resurface {

#ifdef RESURFACE_X86
namespace {

struct Regs {
  unsigned a = 0, b = 0, c = 0, d = 0;
};

Regs cpuid(unsigned leaf, unsigned sub = 0) {
  Regs r;
  __cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
  return r;
}

// XCR0: which register states the OS saves on a context switch.
uint64_t xgetbv0() {
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Linux (5.16+) hands out the AMX tile data state only on request (arch_prctl ARCH_REQ_XCOMP_PERM);
// without it the first tile instruction kills the process with SIGILL. oneDNN asks too; asking here
// makes the report true of what this process may run.
bool request_amx_permission() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr int kArchReqXcompPerm = 0x1023;
  constexpr int kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  const Regs v = cpuid(0);
  char vendor[13] = {};
  std::memcpy(vendor, &v.b, 4);
  std::memcpy(vendor + 4, &v.d, 4);
  std::memcpy(vendor + 8, &v.c, 4);
  f.vendor = vendor;
  if (cpuid(0x80000000).a >= 0x80000004) {
    char brand[49] = {};
    for (unsigned i = 0; i < 3; ++i) {
      const Regs r = cpuid(0x80000002 + i);
      std::memcpy(brand + 16 * i, &r, 16);
    }
    f.brand = brand;
    const auto first = f.brand.find_first_not_of(' ');
    f.brand = first == std::string::npos ? "" : f.brand.substr(first, f.brand.find_last_not_of(' ') - first + 1);
  }
  const unsigned max_leaf = v.a;
  if (max_leaf < 7) return f;
  const Regs l1 = cpuid(1);
  const bool osxsave = (l1.c >> 27) & 1;
  const uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  const bool ymm_os = (xcr0 & 0x6) == 0x6;            // SSE + AVX state
  const bool zmm_os = ymm_os && (xcr0 & 0xe0) == 0xe0;  // opmask + ZMM_Hi256 + Hi16_ZMM
  const bool tile_os = (xcr0 & 0x60000) == 0x60000;    // XTILECFG + XTILEDATA
  const Regs l7 = cpuid(7, 0);
  const Regs l7s1 = cpuid(7, 1);
  f.fma = ymm_os && ((l1.c >> 12) & 1);
  f.avx2 = ymm_os && ((l7.b >> 5) & 1);
  f.avx512f = zmm_os && ((l7.b >> 16) & 1);
  f.avx512bw = zmm_os && ((l7.b >> 30) & 1);
  f.avx512vl = zmm_os && ((l7.b >> 31) & 1);
  f.avx512_vnni = zmm_os && ((l7.c >> 11) & 1);
  f.avx512_bf16 = zmm_os && ((l7s1.a >> 5) & 1);
  const bool amx_cpu = tile_os && ((l7.d >> 24) & 1);
  f.amx_tile = amx_cpu && request_amx_permission();
  f.amx_bf16 = f.amx_tile && ((l7.d >> 22) & 1);
  return f;
}

}  // namespace
#endif

std::vector<std::string> CpuFeatures::names() const {
  std::vector<std::string> out;
  const std::pair<bool, const char*> all[] = {{avx2, "avx2"},
                                              {fma, "fma"},
                                              {avx512f, "avx512f"},
                                              {avx512bw, "avx512bw"},
                                              {avx512vl, "avx512vl"},
                                              {avx512_vnni, "avx512_vnni"},
                                              {avx512_bf16, "avx512_bf16"},
                                              {amx_tile, "amx_tile"},
                                              {amx_bf16, "amx_bf16"}};
  for (const auto& [has, name] : all)
    if (has) out.emplace_back(name);
  return out;
}

const CpuFeatures& cpu_features() {
#ifdef RESURFACE_X86
  static const CpuFeatures features = detect();
#else
  static const CpuFeatures features;
#endif
  return features;
}

}  // namespace resurface
