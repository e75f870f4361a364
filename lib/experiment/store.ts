/**
 * The step cache and its crash safety.
 *
 * Layout under the cache directory (default RUN_DIR/cache):
 *   <kind>/<key>/step.json          a finished step (its presence is the only "done" signal)
 *   <kind>/<key>/…                  the step's outputs
 *   <kind>/.partial-<key>/          work in progress
 *   <kind>/.lock-<key>              {pid, host} of the process running it (created O_EXCL)
 *
 * A step is written into its partial directory; `step.json` is written last (atomically) and the
 * directory is then renamed to <key>/ in one rename(2). After `kill -9` at any moment there is
 * either a complete <key>/ or none, plus possibly a partial directory and a stale lock, which the
 * next run detects (same host, dead pid) and takes over. Two processes never run the same step at
 * once: the second sees a live lock and waits for the first.
 *
 * RUN_DIR/plan.json is the plan of the latest invocation plus the cache directory it used:
 * `writeRunPlan` / `openRun` are its only writer and reader, so readers of a finished run (the
 * report, the timing summary) never repeat this layout.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { writeFileAtomic, fsyncDir } from '../io/atomic';
import type { Plan, Step } from './step';
import type { StepResult } from './executor';

export interface StepRecord {
  id: string;
  kind: string;
  key: string;
  settings: Record<string, unknown>;
  coords: Step['coords'];
  executor: string;
  software: string;
  device: string;
  startedAt: string;
  finishedAt: string;
  wallMs: number;
  result: StepResult;
}

export type LockResult = { acquired: true; release: () => void } | { acquired: false; holder: string };

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StepStore {
  constructor(readonly cacheDir: string) {}

  dirFor(step: Pick<Step, 'kind' | 'key'>): string {
    return path.join(this.cacheDir, step.kind, step.key);
  }

  partialDirFor(step: Pick<Step, 'kind' | 'key'>): string {
    return path.join(this.cacheDir, step.kind, `.partial-${step.key}`);
  }

  private lockFor(step: Pick<Step, 'kind' | 'key'>): string {
    return path.join(this.cacheDir, step.kind, `.lock-${step.key}`);
  }

  /** A finished step's result, or null when the step has not finished (or its record is unreadable). */
  result(step: Pick<Step, 'kind' | 'key'>): StepRecord['result'] | null {
    return this.read(step)?.result ?? null;
  }

  /** Path of one of a finished step's output files. */
  fileOf(step: Pick<Step, 'kind' | 'key'>, name: string): string {
    return path.join(this.dirFor(step), name);
  }

  read(step: Pick<Step, 'kind' | 'key'>): StepRecord | null {
    try {
      const rec = JSON.parse(fs.readFileSync(path.join(this.dirFor(step), 'step.json'), 'utf8')) as StepRecord;
      return rec.key === step.key ? rec : null;
    } catch {
      return null;
    }
  }

  /** Take the step's lock; a stale lock (same host, dead process) is broken. */
  lock(step: Pick<Step, 'kind' | 'key'>): LockResult {
    const file = this.lockFor(step);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const me = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, me, { flag: 'wx' });
        return {
          acquired: true,
          release: () => {
            try {
              fs.unlinkSync(file);
            } catch {
              /* already gone */
            }
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        let holder: { pid?: number; host?: string } = {};
        try {
          holder = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch {
          /* a lock torn by a crash between create and write: stale */
        }
        const stale = holder.pid === undefined || (holder.host === os.hostname() && !pidAlive(holder.pid));
        if (!stale) return { acquired: false, holder: `pid ${holder.pid} on ${holder.host}` };
        try {
          fs.unlinkSync(file);
        } catch {
          /* someone else broke it first */
        }
      }
    }
    return { acquired: false, holder: 'another process (lock contention)' };
  }

  /** Fresh or resumed partial directory. */
  preparePartial(step: Pick<Step, 'kind' | 'key'>, keepPartial: boolean): { dir: string; resumed: boolean } {
    const dir = this.partialDirFor(step);
    const exists = fs.existsSync(dir);
    if (exists && !keepPartial) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    return { dir, resumed: exists && keepPartial };
  }

  /** Seal a finished step: step.json last, then one rename. */
  async commit(step: Pick<Step, 'kind' | 'key'>, record: StepRecord): Promise<void> {
    const partial = this.partialDirFor(step);
    await writeFileAtomic(path.join(partial, 'step.json'), JSON.stringify(record, null, 1) + '\n');
    const final = this.dirFor(step);
    try {
      fs.renameSync(partial, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOTEMPTY' || code === 'EEXIST') && this.read(step)) {
        fs.rmSync(partial, { recursive: true, force: true }); // finished elsewhere meanwhile: keep theirs
        return;
      }
      throw err;
    }
    await fsyncDir(path.dirname(final));
  }

  discardPartial(step: Pick<Step, 'kind' | 'key'>): void {
    fs.rmSync(this.partialDirFor(step), { recursive: true, force: true });
  }
}

export const PLAN_FILE = 'plan.json';

/** plan.json as the runner writes it: the plan and the absolute cache directory its steps live in. */
export type RunPlan = Plan & { cacheDir: string };

export async function writeRunPlan(runDir: string, plan: Plan, store: StepStore): Promise<void> {
  const stored: RunPlan = { ...plan, cacheDir: store.cacheDir };
  await writeFileAtomic(path.join(runDir, PLAN_FILE), JSON.stringify(stored, null, 1) + '\n');
}

/** The experiment name in RUN_DIR/plan.json; null when there is none, '?' when it is unreadable. */
export function runExperimentName(runDir: string): string | null {
  const file = path.join(runDir, PLAN_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    return String((JSON.parse(fs.readFileSync(file, 'utf8')) as RunPlan).experiment);
  } catch {
    return '?';
  }
}

/** A run directory's plan and the step cache it points at. */
export function openRun(runDir: string): { plan: RunPlan; store: StepStore } {
  let plan: RunPlan;
  try {
    plan = JSON.parse(fs.readFileSync(path.join(runDir, PLAN_FILE), 'utf8')) as RunPlan;
  } catch (err) {
    throw new ResurfaceError('ERR_EXPERIMENT', `${runDir} is not a run directory (cannot read ${PLAN_FILE}: ${(err as Error).message})`, {
      runDir,
    });
  }
  return { plan, store: new StepStore(plan.cacheDir) };
}
