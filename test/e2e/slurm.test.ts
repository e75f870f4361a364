/**
 * `resurface run --emit slurm` against a real Slurm (Debian's slurm-wlm: slurmctld + slurmd on
 * localhost, munge): the emitted job arrays of the quick lab, cut to the steps of one
 * self-training chain (base eval, sample → train → eval), are submitted with the emitted
 * submit.sh, run to completion, and every step's result equals a local run's.
 * Skipped, with the reason, where Slurm cannot be installed (not root, no apt).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExperiment } from '../../lib/experiment/run-experiment';
import { cachedResults } from '../helpers/experiment-fixture';
import { makeTmpDir, removeTmpDir, REPO_ROOT } from '../helpers/shared';
import { ensureSlurm, startSlurm, type SlurmCluster } from '../helpers/slurm-cluster';

const unavailable = ensureSlurm();
if (unavailable) console.warn(`slurm e2e skipped: ${unavailable}`);

const FILE = path.join(REPO_ROOT, 'lab', 'quick.yaml');
// One student's chain over three DAG levels: base evals (0), sampling (0), training (1), evals (2).
const ONLY = 'eval/a-small/base/facts-*,eval/a-small/a-small/T1.25/s0/facts-*';
const JOB_TIMEOUT = 300_000;

describe.skipIf(unavailable !== null)('run --emit slurm on a real Slurm', () => {
  const tmp = makeTmpDir('resurface-slurm-');
  let cluster: SlurmCluster | undefined;

  beforeAll(() => {
    cluster = startSlurm(path.join(tmp, 'slurm'));
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
    removeTmpDir(tmp);
  });

  it(
    'the emitted arrays run every step, with the results of a local run',
    async () => {
      const slurmRun = path.join(tmp, 'on-slurm');
      const emitted = await runExperiment({ file: FILE, out: slurmRun, only: ONLY, emit: 'slurm' });
      if (emitted.mode !== 'slurm') throw new Error('expected slurm');
      const steps = emitted.files.slice(1).flatMap((f) =>
        fs
          .readFileSync(f.replace(/\.sbatch$/, '.steps'), 'utf8')
          .trim()
          .split('\n'),
      );
      expect(emitted.files.length - 1).toBe(3); // three levels

      // Submitted from an unrelated folder, as a user on a login node would.
      const out = execFileSync('bash', [emitted.files[0]], { cwd: tmp, env: cluster!.env }).toString();
      const jobs = [...out.matchAll(/job (\d+)/g)].map((m) => m[1]);
      expect(jobs).toHaveLength(3);
      const start = Date.now();
      const logs = () =>
        fs
          .readdirSync(path.join(slurmRun, 'slurm'))
          .filter((f) => f.endsWith('.out'))
          .map((f) => `--- ${f}\n${fs.readFileSync(path.join(slurmRun, 'slurm', f), 'utf8').slice(-1500)}`)
          .join('\n');
      for (;;) {
        const queued = cluster!.client('/usr/bin/squeue', ['-h', '-o', '%i %T %r', '-j', jobs.join(',')]).trim();
        if (!queued) break;
        if (Date.now() - start > JOB_TIMEOUT) throw new Error(`jobs still queued after ${JOB_TIMEOUT / 1000} s:\n${queued}\n${logs()}`);
        await new Promise((r) => setTimeout(r, 1000));
      }

      const onSlurm = cachedResults(path.join(slurmRun, 'cache'));
      const local = await runExperiment({ file: FILE, out: path.join(tmp, 'local'), only: ONLY });
      if (local.mode !== 'run') throw new Error('expected run');
      expect(local.summary.counts.failed).toBe(0);
      const here = cachedResults(path.join(tmp, 'local', 'cache'));
      expect(here.size).toBe(steps.length);
      expect(onSlurm.size, `steps finished on Slurm (job logs below)\n${logs()}`).toBe(steps.length);
      for (const [key, result] of here) expect([key, onSlurm.get(key)]).toEqual([key, result]);
    },
    JOB_TIMEOUT + 120_000,
  );
});
