/**
 * The one JSON-lines schema of `--json` (README, "CLI reference"): every stdout line is an object
 * whose string `event` names it, and the last line is `{"event":"summary", …}`. Checked on `run`
 * (step events, a dry run) through the fake executors; generate and train are checked by their
 * own CLI tests (generation-determinism, e2e/train).
 */
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli';
import { writeFixtureExperiment } from '../helpers/experiment-fixture';
import { makeTmpDir, removeTmpDir } from '../helpers/shared';

const tmp = makeTmpDir('resurface-jsonl-');
afterAll(() => removeTmpDir(tmp));

function lines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('--json progress lines', () => {
  const file = writeFixtureExperiment(tmp, { temperatures: [1], seeds: [0], sources: ['small'] });

  it('run: step events, then one summary line', async () => {
    const r = await runCli(['run', file, '--out', path.join(tmp, 'run'), '--fake', '--json'], 120_000);
    expect(r.status, r.stderr).toBe(0);
    const out = lines(r.stdout);
    for (const l of out) expect(typeof l.event, JSON.stringify(l)).toBe('string');
    expect(out.some((l) => 'type' in l)).toBe(false);
    expect(out.filter((l) => l.event === 'summary')).toHaveLength(1);
    expect(out.at(-1)).toMatchObject({ event: 'summary', mode: 'run', counts: { failed: 0 } });
    expect(out.some((l) => l.event === 'start' && typeof l.id === 'string')).toBe(true);
    expect(out.some((l) => l.event === 'done' && l.id === 'report')).toBe(true);
  });

  it('run --dry-run: the plan is the summary', async () => {
    const r = await runCli(['run', file, '--out', path.join(tmp, 'dry'), '--dry-run', '--json'], 60_000);
    expect(r.status, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ event: 'summary', mode: 'dry-run', experiment: 'fixture' });
  });
});
