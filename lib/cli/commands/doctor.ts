/** `resurface doctor` — what the native runtime really loaded (libtorch, BLAS, OpenMP, CUDA). */
import * as os from 'node:os';
import type { Argv } from 'yargs';
import { ArgumentError } from '../../errors';
import { loadNative, nativeAddonPath } from '../../native/loader';
import type { MeasuredPeakFlops } from '../../native/types';
import { printJson, runCommand } from '../run-command';

export const command = 'doctor';
export const describe =
  'Show the native runtime: libtorch version, BLAS/OpenMP libraries loaded, CUDA devices, CPU features (--peak: measured multiply-add peak)';

export function builder(y: Argv) {
  return y
    .option('json', { type: 'boolean', default: false })
    .option('peak', {
      type: 'boolean',
      default: false,
      describe: "measure the CPU's sustained float32 FMA and bf16 dot-product rate on every thread (~3 s)",
    })
    .option('threads', { type: 'number', describe: 'threads for --peak (default: the CPU count)' });
}

export async function handler(argv: { json: boolean; peak: boolean; threads?: number }) {
  await runCommand(async () => {
    const native = loadNative();
    const info = native.runtimeInfo();
    const threads = argv.threads ?? os.availableParallelism();
    if (argv.threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 1024))
      throw new ArgumentError(`--threads must be an integer in [1, 1024], got ${argv.threads}`);
    const measuredPeak = argv.peak ? await native.measurePeakFlops(threads, 0.4) : undefined;
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
    if (argv.json) return printJson({ ...info, addon, blasVerdict: verdict, ompWaitPolicy, ...(measuredPeak ? { measuredPeak } : {}) });
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
        ...(measuredPeak ? [peakLine(measuredPeak)] : []),
      ].join('\n') + '\n',
    );
  });
}

function peakLine(p: MeasuredPeakFlops): string {
  const one = (dtype: string, x: MeasuredPeakFlops['float32']) =>
    x ? `${dtype} ${Math.round(x.gflops)} GFLOP/s (${x.isa})` : `${dtype}: no kernel for this CPU`;
  return `measured peak on ${p.threads} thread(s): ${one('float32', p.float32)}; ${one('bfloat16', p.bfloat16)}`;
}
