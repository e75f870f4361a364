#!/usr/bin/env node
/**
 * `node bench/lab.js [--preset full|quick] [--rounds 1] [--keep]`: wall time of the miniature lab
 * (`resurface lab --preset full`, what `npm start` runs after bootstrapping) from a cold run
 * directory, per step kind, and the share of it spent outside native code.
 *
 * Each round runs the CLI as a child process into a fresh run directory and reads back
 *   RUN_DIR/lab-timing.json   wall time, time inside executors per kind, the main thread's
 *                             event-loop utilisation over the whole run
 *   cache/<kind>/<key>/timing.json (per executed step, via readStepTimings): wall time and
 *                             main-thread time of each step
 * Native work (libtorch forward/backward/decode, tokenizers) runs off the main thread in
 * AsyncWorkers while the event loop idles, so "main thread busy" is JavaScript plus synchronous
 * native calls: an upper bound on the time outside native code. Issue 7's target: < 5%.
 *
 * Writes bench/results/lab-cpu.json and .md.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, WORK, loadAverage, machineInfo, machineMarkdown, median, parseArgs, round, writeResults } = require('./common');

function runOnce(preset, runDir) {
  fs.rmSync(runDir, { recursive: true, force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'resurface.js'), 'lab', '--preset', preset, '--out', runDir, '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  });
  const processWallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`lab --preset ${preset} failed (${r.status ?? r.signal}): ${(r.stdout || '').slice(-2000)}`);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = lines.find((l) => l.event === 'summary');
  const timing = JSON.parse(fs.readFileSync(path.join(runDir, 'lab-timing.json'), 'utf8'));
  const { readStepTimings } = require(path.join(ROOT, 'dist', 'experiment', 'executors.js'));
  const steps = readStepTimings(runDir);
  return { processWallMs, summary, timing, steps };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const preset = String(args.preset ?? 'full');
  const rounds = Number(args.rounds ?? 1);
  const load = { start: loadAverage(), end: null };
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const runDir = path.join(WORK, `lab-${preset}-${i}`);
    process.stderr.write(`[bench] lab --preset ${preset}, round ${i + 1}/${rounds} → ${path.relative(ROOT, runDir)}\n`);
    const r = runOnce(preset, runDir);
    process.stderr.write(`[bench]   ${round(r.processWallMs / 1000)} s\n`);
    runs.push(r);
    if (!args.keep) fs.rmSync(runDir, { recursive: true, force: true });
  }
  load.end = loadAverage();

  // the report step leaves no timing.json (it is not cached): take its wall time from lab-timing.json
  for (const r of runs) {
    const rep = r.timing.perKind.report;
    if (rep) r.steps.byKind.report = { steps: rep.steps, wall_ms: rep.wallMs, js_ms: rep.wallMs, orchestration_share: 1 };
  }
  const kinds = [...new Set(runs.flatMap((r) => Object.keys(r.steps.byKind)))].sort(
    (a, b) => runs[0].steps.byKind[b]?.wall_ms - runs[0].steps.byKind[a]?.wall_ms,
  );
  const perKind = Object.fromEntries(
    kinds.map((k) => {
      const xs = runs.map((r) => r.steps.byKind[k]).filter(Boolean);
      return [
        k,
        {
          steps: xs[0].steps,
          wall_s: round(median(xs.map((x) => x.wall_ms)) / 1000, 2),
          main_thread_s: round(median(xs.map((x) => x.js_ms)) / 1000, 2),
          main_thread_share: round(median(xs.map((x) => x.orchestration_share)) * 100, 2),
        },
      ];
    }),
  );
  const last = runs[runs.length - 1];
  const result = {
    benchmark: 'lab',
    preset,
    rounds,
    date: new Date().toISOString(),
    machine: machineInfo(),
    load,
    wall_s: round(median(runs.map((r) => r.processWallMs)) / 1000, 1),
    lab_wall_s: round(median(runs.map((r) => r.timing.wallMs)) / 1000, 1),
    cpu_s: round(median(runs.map((r) => r.timing.cpuMs.user + r.timing.cpuMs.system)) / 1000, 1),
    steps: last.summary.counts,
    executors_s: round(median(runs.map((r) => r.timing.executorMs)) / 1000, 1),
    outside_executors_share: round(median(runs.map((r) => r.timing.orchestrationMs / r.timing.wallMs)) * 100, 2),
    main_thread_share: round(median(runs.map((r) => r.timing.eventLoop.utilization)) * 100, 2),
    per_kind: perKind,
    findings: last.summary.findings.map((f) => ({ id: f.id, verdict: f.verdict, text: f.text })),
    runs: runs.map((r) => ({ wall_ms: Math.round(r.processWallMs), timing: r.timing, by_kind: r.steps.byKind })),
  };

  const md = [
    `# Miniature lab wall time (\`resurface lab --preset ${preset}\`)`,
    '',
    `${rounds} cold run(s) into a fresh run directory (median); what \`npm start\` runs after bootstrapping.`,
    '',
    '| | |',
    '|---|---|',
    `| wall time, whole command | **${result.wall_s} s** |`,
    `| CPU time (user + system, all threads) | ${result.cpu_s} s, i.e. ≥ ${round(result.cpu_s / result.machine.cores, 0)} s of wall on ${result.machine.cores} idle cores |`,
    `| steps | ${result.steps.done} ran, ${result.steps.cached} cached, ${result.steps.failed} failed |`,
    `| inside step executors | ${result.executors_s} s |`,
    `| outside executors (planning, cache, scheduling, records) | ${result.outside_executors_share}% of the run |`,
    `| main thread busy (JS + synchronous native calls), whole run | **${result.main_thread_share}%** |`,
    '',
    '| step kind | steps | wall s | main-thread s | main-thread share |',
    '|---|---:|---:|---:|---:|',
    ...kinds.map(
      (k) => `| ${k} | ${perKind[k].steps} | ${perKind[k].wall_s} | ${perKind[k].main_thread_s} | ${perKind[k].main_thread_share}% |`,
    ),
    '',
    "Main-thread share: `performance.eventLoopUtilization()` over the run (and per step, from each step's",
    '`timing.json`). libtorch work runs in AsyncWorkers while the event loop idles, so this bounds the time',
    'outside native code from above (target: orchestration < 5%). The report step (vega SVG rendering)',
    'is JavaScript by nature and counts as main-thread time. On a busy machine wall time mostly measures the',
    'scheduler: compare CPU time, and the load average below.',
    '',
    '## Machine',
    '',
    machineMarkdown(result.machine, load)
      .split('\n')
      .filter((l) => !l.startsWith('- baseline'))
      .join('\n'),
    `- ${os.cpus().length} logical CPUs visible; threads: all cores (default)`,
    '',
  ].join('\n');
  writeResults('lab', result, md);
}

try {
  main();
} catch (err) {
  process.stderr.write(`[bench] lab: ${err.stack || err}\n`);
  process.exitCode = 1;
}
