/** `resurface doctor` — what the native runtime really loaded (libtorch, BLAS, OpenMP, CUDA). */
import type { Argv } from 'yargs';
import { loadNative, nativeAddonPath } from '../../native/loader';
import { printJson, runCommand } from '../run-command';

export const command = 'doctor';
export const describe = 'Show the native runtime: libtorch version, BLAS/OpenMP libraries loaded, CUDA devices, CPU features';

export function builder(y: Argv) {
  return y.option('json', { type: 'boolean', default: false });
}

export async function handler(argv: { json: boolean }) {
  await runCommand(async () => {
    const info = loadNative().runtimeInfo();
    const blas = info.libraries.filter((l) => /blas/.test(l));
    const openmpBlas = blas.some((l) => /openblas-openmp/.test(l));
    const pthreadBlas = blas.some((l) => /openblas-pthread/.test(l));
    const verdict = openmpBlas
      ? "ok (OpenMP OpenBLAS shares libtorch's thread pool)"
      : pthreadBlas
        ? "WARNING: pthread OpenBLAS loaded; it fights libtorch's OpenMP threads. apt-get install libopenblas0-openmp"
        : 'unknown BLAS';
    const ompWaitPolicy = process.env.OMP_WAIT_POLICY ?? '(libgomp default)';
    const addon = nativeAddonPath();
    if (argv.json) return printJson({ ...info, addon, blasVerdict: verdict, ompWaitPolicy });
    const c = info.cpuBlockCache;
    const cpu = info.cpu;
    const bf16 = cpu.nativeBf16
      ? 'native bf16 dot products (bfloat16 runs at full speed; --dtype auto keeps a bf16 checkpoint in bfloat16)'
      : 'no native bf16 dot products (bfloat16 is emulated, ~47x slower than float32; --dtype auto runs a bf16 checkpoint in float32)';
    const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
    const cache = c.installed ? `on, keeps up to ${mib(c.limitBytes)} idle (RESURFACE_CPU_CACHE_MB)` : 'off';
    process.stdout.write(
      [
        `native addon: ${addon ?? 'unknown'}`,
        `libtorch ${info.torchVersion}`,
        `CUDA: ${info.cudaCompiled ? 'compiled in' : 'not compiled in (CPU libtorch)'}; ${info.cudaAvailable ? `${info.cudaDeviceCount} device(s)` : 'no device available'}`,
        `BLAS: ${verdict}`,
        ...info.libraries.map((l) => `  ${l}`),
        `CPU: ${cpu.brand || cpu.vendor || 'unknown'}; ${cpu.features.join(' ') || 'no AVX2/AVX-512/AMX'}`,
        `  ${bf16}`,
        `OpenMP wait policy: ${ompWaitPolicy}`,
        `CPU block cache: ${cache}`,
      ].join('\n') + '\n',
    );
  });
}
