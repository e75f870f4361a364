/**
 * The CPU the benchmarks ran on, and its peak GEMM rate per dtype from ISA, cores and clock.
 *
 * Facts come from the addon's `runtimeInfo().cpu` when the built addon has it (native CPU-feature
 * detection), else from /proc/cpuinfo and lscpu. The peak is the FMA throughput of the widest unit the
 * CPU has for that dtype:
 *   float32, AVX-512 (avx512f):    2 FMA units × 16 lanes × 2 flops = 64 flops/cycle/core
 *   float32, AVX2 (avx2 + fma):    2 × 8 × 2 = 32
 *   bfloat16, AVX512_BF16:         vdpbf16ps does 32 bf16 products + adds per 512-bit op, 2 units: 128
 *   bfloat16, AMX (amx_bf16):      tdpbf16ps: 16 × 16 × 32 MACs = 16,384 flops per tile op, one per 16
 *                                  cycles per core (Intel's optimization manual): 1024 flops/cycle/core
 *   bfloat16 otherwise:            no native bf16 dot product: the float32 peak (conversion costs extra)
 * The clock is the nominal one (lscpu "CPU max MHz", else /proc/cpuinfo "cpu MHz"; a VM reports its
 * host's nominal clock); AVX-512/AMX turbo licences lower it under load, so the true peak is at most this.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

const FLAG_RE = /^(avx|avx2|fma|f16c|avx512.*|amx.*|avx_vnni.*)$/;

function lscpuField(name) {
  try {
    const m = new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(execFileSync('lscpu', { encoding: 'utf8' }));
    return m ? m[1].trim() : null;
  } catch {
    return null;
  }
}

function procCpuinfo() {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k) => (new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(text) ?? [])[1]?.trim() ?? null;
    return {
      model: field('model name'),
      flags: (field('flags') ?? '').split(/\s+/).filter(Boolean),
      mhz: Number(field('cpu MHz')) || null,
    };
  } catch {
    return { model: null, flags: [], mhz: null };
  }
}

/** The addon's own CPU report, when the built addon has one (another change adds it). */
function addonCpu() {
  try {
    const { loadNative } = require(
      process.env.RESURFACE_BENCH_LIB ? `${process.env.RESURFACE_BENCH_LIB}/native/loader` : '../dist/native/loader',
    );
    const cpu = loadNative().runtimeInfo().cpu;
    return cpu && typeof cpu === 'object' ? cpu : null;
  } catch {
    return null;
  }
}

/** { model, cores, clockMHz, flags (the SIMD/AMX ones), source, addon } */
function cpuFacts() {
  const proc = procCpuinfo();
  const addon = addonCpu();
  const maxMhz = Number(lscpuField('CPU max MHz')) || null;
  const addonFlags = addon && (Array.isArray(addon.features) ? addon.features : Array.isArray(addon.flags) ? addon.flags : null);
  const flags = (addonFlags ?? proc.flags)
    .map(String)
    .filter((f) => FLAG_RE.test(f))
    .sort();
  return {
    model: addon?.model ?? addon?.brand ?? lscpuField('Model name') ?? proc.model ?? os.cpus()[0]?.model ?? 'unknown',
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    clockMHz: maxMhz ?? proc.mhz,
    clockSource: maxMhz ? 'lscpu CPU max MHz' : "cpu MHz in /proc/cpuinfo (nominal; a VM shows its host's)",
    flags,
    source: addonFlags ? 'addon runtimeInfo().cpu' : '/proc/cpuinfo',
    addon,
  };
}

/** Peak GFLOP/s per dtype for `threads` cores: { float32: {gflops, isa, flopsPerCycle}, bfloat16: {...} } */
function peakGflops(cpu, threads = cpu.cores) {
  const has = (f) => cpu.flags.includes(f);
  const ghz = (cpu.clockMHz ?? 0) / 1000;
  const unit = (isa, flopsPerCycle) => ({ isa, flopsPerCycle, gflops: flopsPerCycle * ghz * threads });
  const fp32 = has('avx512f') ? unit('AVX-512 FMA', 64) : has('avx2') && has('fma') ? unit('AVX2 FMA', 32) : unit('SSE', 8);
  const bf16 = {
    avx512bf16: has('avx512_bf16') ? unit('AVX512_BF16 vdpbf16ps', 128) : null,
    amx: has('amx_bf16') ? unit('AMX tdpbf16ps', 1024) : null,
  };
  const best = bf16.amx ?? bf16.avx512bf16 ?? { ...fp32, isa: `${fp32.isa} (no native bf16 dot product)` };
  return { float32: fp32, bfloat16: best, bfloat16Alternatives: bf16, clockGHz: ghz, threads };
}

module.exports = { cpuFacts, peakGflops };
