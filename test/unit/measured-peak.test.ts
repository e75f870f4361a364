/**
 * The measured multiply-add peak (native/common/peak_flops.cc, `resurface doctor --peak`, the GEMM
 * benchmark's second denominator). Its failure modes are a kernel the compiler folded or dropped
 * (then the "rate" is absurdly high: a folded loop measured 575,000 GFLOP/s while writing this) and
 * wrong flop accounting (off by a factor), so the rate on one thread must lie between a floor no
 * vector unit is below and the most any x86 core can do: 64 float32 flops/cycle (two 512-bit FMA
 * pipes) or 128 bf16 flops/cycle, at 6 GHz.
 */
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../lib/native/loader';
import { runCli } from '../helpers/cli';

const MAX_GHZ = 6;

describe('measured peak flops', () => {
  const native = loadNative();
  const features = native.runtimeInfo().cpu.features;

  it('one thread: float32 (FMA) and bf16 (vdpbf16ps) rates within what a core can do', async () => {
    const p = await native.measurePeakFlops(1, 0.05);
    expect(p.threads).toBe(1);
    const fma = features.includes('avx512f') || (features.includes('avx2') && features.includes('fma'));
    if (fma) {
      expect(p.float32?.isa).toMatch(/FMA/);
      expect(p.float32!.gflops).toBeGreaterThan(2);
      expect(p.float32!.gflops).toBeLessThan(64 * MAX_GHZ);
    } else {
      expect(p.float32).toBeNull();
    }
    if (features.includes('avx512_bf16')) {
      expect(p.bfloat16?.isa).toMatch(/vdpbf16ps/);
      expect(p.bfloat16!.gflops).toBeGreaterThan(2);
      expect(p.bfloat16!.gflops).toBeLessThan(128 * MAX_GHZ);
    } else {
      expect(p.bfloat16).toBeNull();
    }
  });

  it('bad arguments are refused with ERR_INVALID_ARGUMENT', async () => {
    expect(() => native.measurePeakFlops(0, 0.05)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => native.measurePeakFlops(1, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    const r = await runCli(['doctor', '--peak', '--threads', '0'], 60_000);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/ERR_INVALID_ARGUMENT: --threads must be an integer/);
  });
});
