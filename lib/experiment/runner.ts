/**
 * Runs a plan: every step whose output is not cached, in dependency order, independent steps
 * concurrently with one device each. A failing step is recorded (RUN_DIR/failures/) and only its
 * dependents are skipped; everything else goes on, and finished steps are never discarded. The
 * report step runs last even after failures, with whatever exists.
 *
 * RUN_DIR holds plan.json (the plan of the latest invocation), events.jsonl (one line per step
 * event, appended), failures/ and, by default, cache/ (see store.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../errors';
import { writeFileAtomic } from '../io/atomic';
import type { ExecutorRegistry, StepContext, StepInput, StepModel } from './executor';
import type { Plan, Step } from './step';
import { StepStore, writeRunPlan, type StepRecord } from './store';
import { ensureDir } from '../io/ensure-dir';

export type StepStatus = 'pending' | 'cached' | 'done' | 'failed' | 'skipped';

export interface StepEvent {
  event: 'start' | 'done' | 'cached' | 'failed' | 'skipped' | 'waiting' | 'progress' | 'log';
  id: string;
  kind: string;
  key: string;
  device?: string;
  wallMs?: number;
  error?: { code: string; message: string };
  resumed?: boolean;
  done?: number;
  total?: number;
  unit?: string;
  message?: string;
}

export interface RunOptions {
  runDir: string;
  /** Default RUN_DIR/cache. Several runs may share one cache. */
  cacheDir?: string;
  executors: ExecutorRegistry;
  /** Device slots, e.g. ['cpu'] or ['cuda:0', 'cuda:1'] (default ['cpu']). */
  devices?: string[];
  /** Only these steps (already expanded with their dependencies). Default: the whole plan. */
  steps?: Step[];
  signal?: AbortSignal;
  onEvent?: (e: StepEvent) => void;
  /** Poll interval while another process holds a step's lock. */
  waitPollMs?: number;
}

export interface RunSummary {
  runDir: string;
  statuses: Record<string, StepStatus>;
  counts: Record<StepStatus, number>;
  failures: Array<{ id: string; code: string; message: string }>;
  wallMs: number;
  /** Wall time per step kind spent inside executors (this invocation). */
  executorMs: Record<string, number>;
}

function failureFile(runDir: string, id: string): string {
  return path.join(runDir, 'failures', `${id.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`);
}

export async function runPlan(plan: Plan, opts: RunOptions): Promise<RunSummary> {
  const t0 = Date.now();
  const runDir = path.resolve(opts.runDir);
  const store = new StepStore(path.resolve(opts.cacheDir ?? path.join(runDir, 'cache')));
  const devices = opts.devices?.length ? opts.devices : ['cpu'];
  const steps = opts.steps ?? plan.steps;
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  ensureDir(path.join(runDir, 'failures'), 'run directory');
  await writeRunPlan(runDir, plan, store);
  const eventsFile = path.join(runDir, 'events.jsonl');
  const emit = (e: StepEvent) => {
    if (e.event !== 'progress' && e.event !== 'log')
      fs.appendFileSync(eventsFile, JSON.stringify({ t: new Date().toISOString(), pid: process.pid, ...e }) + '\n');
    opts.onEvent?.(e);
  };

  for (const s of steps) {
    if (!opts.executors[s.kind])
      throw new ResurfaceError('ERR_INTERNAL', `no executor is connected for "${s.kind}" steps (needed by ${s.id})`);
  }

  const status = new Map<string, StepStatus>(steps.map((s) => [s.id, 'pending']));
  const records = new Map<string, StepRecord>();
  const failures: RunSummary['failures'] = [];
  const executorMs: Record<string, number> = {};
  const freeDevices = [...devices];
  let hostSlots = 1; // concurrent steps that need no device (retokenize, report)
  const running = new Set<Promise<void>>();
  const waiting = new Set<string>();
  const selected = new Set(steps.map((s) => s.id));

  const depState = (s: Step): 'ready' | 'blocked' | 'waiting' => {
    let ready = true;
    for (const d of s.deps) {
      const st = selected.has(d) ? status.get(d) : store.read(byId.get(d)!) ? 'cached' : 'missing';
      if (st === 'done' || st === 'cached') continue;
      if (s.kind === 'report' && (st === 'failed' || st === 'skipped' || st === 'missing')) continue;
      if (st === 'failed' || st === 'skipped' || st === 'missing') return 'blocked';
      ready = false;
    }
    return ready ? 'ready' : 'waiting';
  };

  const execute = async (s: Step, device: string | null): Promise<void> => {
    const executor = opts.executors[s.kind]!;
    const lock = store.lock(s);
    if (!lock.acquired) {
      // Another live process is running this step: wait for it to finish (or die).
      if (!waiting.has(s.id)) emit({ event: 'waiting', id: s.id, kind: s.kind, key: s.key, message: `held by ${lock.holder}` });
      waiting.add(s.id);
      await new Promise((r) => setTimeout(r, opts.waitPollMs ?? 1000));
      return;
    }
    waiting.delete(s.id);
    const started = Date.now();
    let partial: { dir: string; resumed: boolean } | undefined;
    try {
      const prior = s.cached ? store.read(s) : null;
      if (prior) {
        records.set(s.id, prior);
        status.set(s.id, 'cached');
        emit({ event: 'cached', id: s.id, kind: s.kind, key: s.key });
        return;
      }
      partial = s.cached ? store.preparePartial(s, executor.resumable === true) : { dir: path.join(runDir, 'report'), resumed: false };
      fs.mkdirSync(partial.dir, { recursive: true });
      const inputs: Record<string, StepInput> = {};
      for (const [role, id] of Object.entries(s.inputs)) {
        const dep = byId.get(id)!;
        const rec = records.get(id) ?? store.read(dep);
        if (rec) inputs[role] = { dir: store.dirFor(dep), result: rec.result };
      }
      const models: Record<string, StepModel> = {};
      for (const [role, name] of Object.entries(s.models)) {
        const m = plan.models[name];
        models[role] = { name, dir: m.dir, family: m.family, tokenizer: m.tokenizer };
      }
      emit({ event: 'start', id: s.id, kind: s.kind, key: s.key, device: device ?? 'host', resumed: partial.resumed });
      const ctrl = new AbortController();
      const onAbort = () => ctrl.abort(opts.signal?.reason);
      opts.signal?.addEventListener('abort', onAbort);
      const ctx: StepContext = {
        plan,
        runDir,
        outDir: partial.dir,
        resume: partial.resumed,
        device: device ?? 'cpu',
        inputs,
        models,
        signal: ctrl.signal,
        log: (message) => emit({ event: 'log', id: s.id, kind: s.kind, key: s.key, message }),
        progress: (done, total, unit) => emit({ event: 'progress', id: s.id, kind: s.kind, key: s.key, done, total, unit }),
      };
      let result;
      try {
        result = await executor.run(s, ctx);
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        executorMs[s.kind] = (executorMs[s.kind] ?? 0) + (Date.now() - started);
      }
      const wallMs = Date.now() - started;
      const record: StepRecord = {
        id: s.id,
        kind: s.kind,
        key: s.key,
        settings: s.settings,
        coords: s.coords,
        executor: executor.version,
        software: plan.software,
        device: device ?? 'host',
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date().toISOString(),
        wallMs,
        result,
      };
      if (s.cached) await store.commit(s, record);
      else await writeFileAtomic(path.join(partial.dir, 'step.json'), JSON.stringify(record, null, 1) + '\n');
      records.set(s.id, record);
      status.set(s.id, 'done');
      fs.rmSync(failureFile(runDir, s.id), { force: true });
      emit({ event: 'done', id: s.id, kind: s.kind, key: s.key, wallMs, device: device ?? 'host' });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      const code = typeof e?.code === 'string' ? e.code : 'ERR_INTERNAL';
      const message = e?.message ?? String(err);
      status.set(s.id, 'failed');
      failures.push({ id: s.id, code, message });
      if (s.cached && !executor.resumable) store.discardPartial(s);
      await writeFileAtomic(
        failureFile(runDir, s.id),
        JSON.stringify({ id: s.id, key: s.key, code, message, at: new Date().toISOString() }, null, 1) + '\n',
      );
      emit({ event: 'failed', id: s.id, kind: s.kind, key: s.key, error: { code, message }, wallMs: Date.now() - started });
    } finally {
      lock.release();
    }
  };

  // Cached steps are resolved up front, without a device.
  for (const s of steps) {
    if (s.cached && store.read(s)) {
      status.set(s.id, 'cached');
      records.set(s.id, store.read(s)!);
      emit({ event: 'cached', id: s.id, kind: s.kind, key: s.key });
    }
  }

  const launching = new Set<string>();
  for (;;) {
    if (opts.signal?.aborted) break;
    let launched = false;
    for (const s of steps) {
      if (status.get(s.id) !== 'pending' || launching.has(s.id)) continue;
      const st = depState(s);
      if (st === 'blocked') {
        status.set(s.id, 'skipped');
        emit({ event: 'skipped', id: s.id, kind: s.kind, key: s.key, message: 'a dependency failed or is missing' });
        launched = true;
        continue;
      }
      if (st !== 'ready') continue;
      let device: string | null = null;
      if (s.device) {
        if (freeDevices.length === 0) continue;
        device = freeDevices.shift()!;
      } else {
        if (hostSlots === 0) continue;
        hostSlots--;
      }
      launching.add(s.id);
      const p: Promise<void> = execute(s, device).finally(() => {
        if (device) freeDevices.push(device);
        else hostSlots++;
        launching.delete(s.id);
        running.delete(p);
      });
      running.add(p);
      launched = true;
    }
    if (running.size === 0 && !launched) break;
    if (running.size > 0) await Promise.race(running);
  }
  await Promise.all(running);

  const counts: Record<StepStatus, number> = { pending: 0, cached: 0, done: 0, failed: 0, skipped: 0 };
  for (const st of status.values()) counts[st]++;
  return { runDir, statuses: Object.fromEntries(status), counts, failures, wallMs: Date.now() - t0, executorMs };
}
