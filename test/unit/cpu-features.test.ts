/**
 * CPU-feature detection (native/common/cpu_features.h) against an independent source: the kernel's
 * own flags in /proc/cpuinfo (Linux x86 only). The kernel clears a flag when the OS does not save the
 * wide registers, as our xgetbv check does, so both must agree flag by flag; AMX additionally needs
 * the per-process permission, so the addon may report less AMX than the kernel, never more.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../lib/native/loader';

const CHECKED = ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16'];

function kernelFlags(): Set<string> | null {
  if (process.arch !== 'x64' || !existsSync('/proc/cpuinfo')) return null;
  const m = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? new Set(m[1].trim().split(/\s+/)) : null;
}

describe('runtimeInfo().cpu', () => {
  const cpu = loadNative().runtimeInfo().cpu;

  it('is typed data: vendor, brand, features, nativeBf16', () => {
    expect(typeof cpu.vendor).toBe('string');
    expect(typeof cpu.brand).toBe('string');
    expect(Array.isArray(cpu.features)).toBe(true);
    expect(cpu.nativeBf16).toBe(cpu.features.includes('avx512_bf16') || cpu.features.includes('amx_bf16'));
  });

  const flags = kernelFlags();
  it.skipIf(!flags)('agrees with /proc/cpuinfo on every SIMD flag it reports', () => {
    for (const f of CHECKED) expect({ flag: f, has: cpu.features.includes(f) }).toEqual({ flag: f, has: flags!.has(f) });
    for (const f of ['amx_tile', 'amx_bf16']) if (cpu.features.includes(f)) expect(flags!.has(f)).toBe(true);
  });
});
