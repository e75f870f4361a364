/**
 * `npm run bench -- gemm`: the GEMMs of one decoding step of the Pythia-70m shape (per layer
 * query_key_value, dense, dense_h_to_4h, dense_4h_to_h; the vocabulary head once), at batch 1 and 32,
 * in float32 and bfloat16, timed in isolation (bench/baselines/gemm_shapes.py) under Debian's torch 1.13
 * (the libtorch and BLAS resurface links) and pip torch 2.x when the peers' venv exists, against the
 * CPU's peak for the dtype computed from ISA, cores and clock (bench/cpu.js), against the peak measured
 * on this machine (`resurface doctor --peak`: register-only FMA / vdpbf16ps chains on every thread,
 * which shows what the vector units sustain where the nominal clock overstates it, as in a VM) and
 * against the memory roofline (bytes of the weight / measured copy bandwidth). Target: each GEMM ≥ 50%
 * of the peak; the verdict is given against both peaks.
 *
 *   node bench/gemm.js [--batches 1,32] [--dtypes float32,bfloat16] [--threads N] [--seconds 0.4]
 *                      [--peers-python PY | --no-pip-peers | --no-peers-setup]
 * Writes bench/results/gemm-cpu.json and .md.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const c = require('./common');
const { cpuFacts, peakGflops } = require('./cpu');
const peers = require('./peers');

const args = c.parseArgs(process.argv.slice(2));
const TARGET = 0.5;
const BYTES = { float32: 4, bfloat16: 2 };

/** The GEMMs of one decoding step: [{ name, k, n, count }] from the Hugging Face config. */
function decodeGemms(cfg) {
  const H = cfg.hidden_size;
  const I = cfg.intermediate_size;
  const L = cfg.num_hidden_layers;
  return [
    { name: 'query_key_value', k: H, n: 3 * H, count: L },
    { name: 'attention.dense', k: H, n: H, count: L },
    { name: 'dense_h_to_4h', k: H, n: I, count: L },
    { name: 'dense_4h_to_h', k: I, n: H, count: L },
    { name: 'embed_out (head)', k: H, n: cfg.vocab_size, count: 1 },
  ];
}

/** `resurface doctor --json --peak`: the sustained multiply-add rate on `threads` threads, or null. */
function measuredPeak(threads) {
  const r = spawnSync(
    process.execPath,
    [path.join(c.ROOT, 'bin', 'resurface.js'), 'doctor', '--json', '--peak', '--threads', String(threads)],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) {
    process.stderr.write(`[gemm] doctor --peak failed: ${r.stderr}\n`);
    return null;
  }
  return JSON.parse(r.stdout).measuredPeak ?? null;
}

function main() {
  const threads = Number(args.threads ?? c.cpuCount());
  const batches = String(args.batches ?? '1,32')
    .split(',')
    .map(Number);
  const dtypes = String(args.dtypes ?? 'float32,bfloat16').split(',');
  const cfg = JSON.parse(fs.readFileSync(path.join(c.CONFIG_DIR, 'config.json'), 'utf8'));
  const gemms = decodeGemms(cfg);
  const cpu = cpuFacts();
  const peak = peakGflops(cpu, threads);
  const measured = measuredPeak(threads);
  const measuredGflops = (dtype) => measured?.[dtype]?.gflops ?? null;
  const load = { start: c.loadAverage() };
  const avail = peers.available(args);
  const pythons = [{ name: 'debian torch', python: c.PYTHON }, ...(avail.pip ? [{ name: 'pip torch', python: avail.pip.python }] : [])];
  const shapes = [...new Set(batches.flatMap((m) => gemms.map((g) => `${m}x${g.k}x${g.n}`)))].join(',');
  const sides = {};
  for (const p of pythons) {
    process.stderr.write(`[gemm] ${p.name}: ${shapes}\n`);
    sides[p.name] = c.runJsonChild(
      p.python,
      [
        path.join(__dirname, 'baselines', 'gemm_shapes.py'),
        '--threads',
        String(threads),
        '--dtypes',
        dtypes.join(','),
        '--shapes',
        shapes,
        '--seconds',
        String(args.seconds ?? 0.4),
        '--step-gemms',
        gemms
          .filter((g) => g.count === cfg.num_hidden_layers)
          .map((g) => `${g.k}x${g.n}`)
          .join(','),
        '--step-layers',
        String(cfg.num_hidden_layers),
        '--step-head',
        gemms
          .filter((g) => g.count === 1)
          .map((g) => `${g.k}x${g.n}`)
          .join(','),
        '--step-batches',
        batches.join(','),
      ],
      { env: c.ompEnv(args) },
    );
  }
  load.end = c.loadAverage();
  const rows = [];
  for (const [side, r] of Object.entries(sides)) {
    for (const dtype of dtypes) {
      for (const m of batches) {
        let stepSeconds = 0;
        let stepFlops = 0;
        for (const g of gemms) {
          const cands = r.shapes.filter((x) => x.m === m && x.k === g.k && x.n === g.n && x.dtype === dtype);
          // CPU-time rate: the call's process CPU time over the threads = the time it took while it ran
          const cpuSecs = (x) => x.medianCpuSeconds / r.threads;
          const best = cands.sort((a, b) => cpuSecs(a) - cpuSecs(b))[0];
          const flops = 2 * m * g.k * g.n;
          const gflops = flops / cpuSecs(best) / 1e9;
          const wallGflops = flops / best.bestSeconds / 1e9;
          const weightBytes = g.k * g.n * BYTES[dtype] + (m * g.k + m * g.n) * BYTES[dtype];
          const bw = Math.max(r.bandwidthCpuGBs ?? 0, r.bandwidthGBs);
          const roofline = Math.min(peak[dtype].gflops, (flops / weightBytes) * bw);
          stepSeconds += g.count * cpuSecs(best);
          stepFlops += g.count * flops;
          rows.push({
            side,
            torch: r.torch,
            dtype,
            m,
            k: g.k,
            n: g.n,
            name: g.name,
            count: g.count,
            bestVariant: best.variant,
            gflops,
            wallGflops,
            peakGflops: peak[dtype].gflops,
            fractionOfPeak: gflops / peak[dtype].gflops,
            fractionOfMeasuredPeak: measuredGflops(dtype) ? gflops / measuredGflops(dtype) : null,
            wallFractionOfPeak: wallGflops / peak[dtype].gflops,
            rooflineGflops: roofline,
            fractionOfRoofline: gflops / roofline,
            variants: Object.fromEntries(
              cands.map((x) => [x.variant, { cpuTimeGflops: flops / cpuSecs(x) / 1e9, bestWallGflops: flops / x.bestSeconds / 1e9 }]),
            ),
          });
        }
        rows.push({
          side,
          torch: r.torch,
          dtype,
          m,
          name: 'decode step (all GEMMs)',
          stepMs: stepSeconds * 1000,
          gflops: stepFlops / stepSeconds / 1e9,
          fractionOfPeak: stepFlops / stepSeconds / 1e9 / peak[dtype].gflops,
          fractionOfMeasuredPeak: measuredGflops(dtype) ? stepFlops / stepSeconds / 1e9 / measuredGflops(dtype) : null,
        });
        // The same GEMMs as one step runs them: each layer's own weights, in order (read from memory).
        const steps = (r.steps ?? []).filter((x) => x.m === m && x.dtype === dtype);
        const cpuSecs = (x) => x.medianCpuSeconds / r.threads;
        const cold = steps.sort((a, b) => cpuSecs(a) - cpuSecs(b))[0];
        if (cold) {
          const gf = cold.flops / cpuSecs(cold) / 1e9;
          rows.push({
            side,
            torch: r.torch,
            dtype,
            m,
            name: 'decode step, in order (each layer its own weights)',
            bestVariant: cold.variant,
            stepMs: cpuSecs(cold) * 1000,
            bestWallMs: cold.bestSeconds * 1000,
            gflops: gf,
            fractionOfPeak: gf / peak[dtype].gflops,
            fractionOfMeasuredPeak: measuredGflops(dtype) ? gf / measuredGflops(dtype) : null,
            variants: Object.fromEntries(steps.map((x) => [x.variant, { stepMs: cpuSecs(x) * 1000, bestWallMs: x.bestSeconds * 1000 }])),
          });
        }
      }
    }
  }
  const result = {
    benchmark: 'gemm',
    date: new Date().toISOString(),
    machine: c.machineInfo(avail.pythons),
    loadAverage: load,
    threads,
    cpu,
    peak,
    measuredPeak: measured,
    bandwidthGBs: Object.fromEntries(Object.entries(sides).map(([k, v]) => [k, Math.max(v.bandwidthCpuGBs ?? 0, v.bandwidthGBs)])),
    target: `each decode GEMM >= ${TARGET * 100}% of the dtype's peak (verdicts against the nominal and the measured peak)`,
    method:
      'per shape the fastest of F.linear / x @ W^T (contiguous) / mkldnn_linear, >= 5 calls after 3 warm-ups; rate = flops / (median process CPU seconds of a call / threads), i.e. while the work ran (OMP_WAIT_POLICY=PASSIVE: waiting threads sleep); the best wall-clock call is shown beside it',
    missingPeers: avail.missing,
    sides: Object.fromEntries(
      Object.entries(sides).map(([k, v]) => [k, { torch: v.torch, cpuCapability: v.cpuCapability, runtime: v.runtime }]),
    ),
    rows,
  };
  const f = (x, d = 1) => c.round(x, d);
  const verdict = (fraction) => (fraction === null ? 'n/a' : fraction >= TARGET ? 'met' : 'MISSED');
  const pct = (fraction) => (fraction === null ? 'n/a' : `${f(100 * fraction)}%`);
  const md = [
    "# gemm: the decode step's GEMMs against the CPU's peak",
    '',
    result.date,
    '',
    c.machineMarkdown(result.machine, load),
    `- threads: ${threads}`,
    `- peak (${threads} cores × ${f(peak.clockGHz, 2)} GHz nominal): float32 ${f(peak.float32.gflops, 0)} GFLOP/s (${peak.float32.isa}, ${peak.float32.flopsPerCycle} flops/cycle/core); ` +
      `bfloat16 ${f(peak.bfloat16.gflops, 0)} GFLOP/s (${peak.bfloat16.isa}, ${peak.bfloat16.flopsPerCycle} flops/cycle/core)` +
      (peak.bfloat16Alternatives.avx512bf16 && peak.bfloat16Alternatives.amx
        ? `; without AMX (AVX512_BF16 alone) ${f(peak.bfloat16Alternatives.avx512bf16.gflops, 0)}`
        : ''),
    '- the bf16 peak assumes the widest bf16 unit the CPU has (AMX tiles where amx_bf16 is present: oneDNN uses them for bf16 matmul); the clock is nominal, so the real peak is at most this',
    measured
      ? `- measured peak (\`resurface doctor --peak\`, ${measured.threads} threads, register-only multiply-add chains): float32 ${measured.float32 ? `${f(measured.float32.gflops, 0)} GFLOP/s (${measured.float32.isa}, ${f((100 * measured.float32.gflops) / peak.float32.gflops, 0)}% of nominal)` : 'none'}; bfloat16 ${measured.bfloat16 ? `${f(measured.bfloat16.gflops, 0)} GFLOP/s (${measured.bfloat16.isa}, ${f((100 * measured.bfloat16.gflops) / (peak.bfloat16Alternatives.avx512bf16 ?? peak.bfloat16).gflops, 0)}% of the nominal AVX512_BF16 peak)` : 'none'}`
      : '- measured peak: not available (doctor --peak failed)',
    `- copy bandwidth (256 MiB, read + write): ${Object.entries(result.bandwidthGBs)
      .map(([k, v]) => `${k} ${f(v)} GB/s`)
      .join(', ')}; roofline = min(peak, flops/byte × bandwidth), bytes = weight + input + output`,
    `- method: ${result.method}${avail.missing.length ? `; NOT run: ${avail.missing.join('; ')}` : ''}`,
    '',
    '| torch | dtype | M | GEMM (K × N) × count | best variant | GFLOP/s (CPU time) | % of nominal peak | target | % of measured peak | target | GFLOP/s (best wall) | roofline GFLOP/s | % of roofline |',
    '|---|---|---:|---|---|---:|---:|---|---:|---|---:|---:|---:|',
    ...rows.map((x) =>
      x.k
        ? `| ${x.side} ${x.torch} | ${x.dtype} | ${x.m} | ${x.name} ${x.k} × ${x.n} × ${x.count} | ${x.bestVariant} | ${f(x.gflops)} | ${f(100 * x.fractionOfPeak)}% | ${verdict(x.fractionOfPeak)} | ${pct(x.fractionOfMeasuredPeak)} | ${verdict(x.fractionOfMeasuredPeak)} | ${f(x.wallGflops)} | ${f(x.rooflineGflops, 0)} | ${f(100 * x.fractionOfRoofline)}% |`
        : `| ${x.side} ${x.torch} | ${x.dtype} | ${x.m} | **${x.name}**: ${f(x.stepMs, 2)} ms | ${x.bestVariant ?? ''} | ${f(x.gflops)} | ${f(100 * x.fractionOfPeak)}% | ${verdict(x.fractionOfPeak)} | ${pct(x.fractionOfMeasuredPeak)} | ${verdict(x.fractionOfMeasuredPeak)} | | | |`,
    ),
    '',
    '"decode step (all GEMMs)" adds up the shapes timed alone, each call reusing one weight that stays in the caches; "decode step, in order" runs the step\'s GEMMs as a model does, every layer with its own matrices (all of them read from memory once per step), which is what a decoding step really pays.',
    '',
    'At batch 1 every decode GEMM is bound by reading its weight (arithmetic intensity ≤ M flops/byte in bf16 or M/2 in float32), so 50% of the compute peak is out of reach there on any BLAS; the roofline column is what the memory allows. At batch 32 the GEMMs are no longer bound by the bandwidth alone; compare them with the measured peak, which is what the vector units sustain on this machine.',
    '',
  ].join('\n');
  c.writeResults('gemm', result, md);
  process.stdout.write(md);
}

try {
  main();
} catch (err) {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
}
