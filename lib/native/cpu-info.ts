/** What this CPU computes natively (runtimeInfo().cpu, from cpuid), read once per process. */
import { loadNative } from './loader';
import type { CpuInfo } from './types';

let cached: CpuInfo | null = null;

export function cpuInfo(): CpuInfo {
  cached ??= loadNative().runtimeInfo().cpu;
  return cached;
}

/** A short summary for records: "AMD EPYC 9B45; avx2 fma avx512f …; native bf16". */
export function cpuSummary(cpu: CpuInfo = cpuInfo()): string {
  const name = cpu.brand || cpu.vendor || 'unknown CPU';
  const features = cpu.features.length > 0 ? cpu.features.join(' ') : 'no AVX2/AVX-512/AMX';
  return `${name}; ${features}; ${cpu.nativeBf16 ? 'native bf16' : 'no native bf16'}`;
}
