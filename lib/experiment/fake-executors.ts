/**
 * Fake executors: fast, deterministic stand-ins with the real output conventions, for tests of the
 * runner and the report, and for `run --fake` (trying an experiment file's plumbing without models).
 * Outcomes are a deterministic function of the step's coordinates, with structure the report can
 * find: a larger same-family source helps most, cross-family least; training lowers extraction.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { computeProxies } from '../proxies';
import { Rng } from '../stats/prng';
import { hashValue } from './hash';
import type { ExecutorRegistry, StepContext, StepExecutor, StepResult } from './executor';
import { portableProxyReport, reportExecutor } from './executors';
import type { Step, StepKind } from './step';

export interface FakeOptions {
  /** Milliseconds each step sleeps (per kind or for all), in small slices that honour the abort signal. */
  delayMs?: number | Partial<Record<StepKind, number>>;
  /** Steps for which this returns true fail with ERR_DATA. */
  fail?: (step: Step) => boolean;
  /** Called when a step starts executing (not when it is cached). */
  onRun?: (step: Step) => void;
}

const seedOf = (v: unknown) => parseInt(hashValue(v).slice(0, 8), 16);

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (signal.aborted) throw Object.assign(new Error('aborted'), { code: 'ERR_ABORTED' });
    await new Promise((r) => setTimeout(r, Math.min(20, end - Date.now())));
  }
}

function countLines(file: string | undefined, fallback: number): number {
  try {
    return fs
      .readFileSync(file!, 'utf8')
      .split('\n')
      .filter((l) => l.trim()).length;
  } catch {
    return fallback;
  }
}

const WORDS = 'the a of cat dog river stone red blue seven three north south paris maker tower garden ocean apple'.split(' ');

function lift(step: Step, ctx: StepContext): number {
  const { student, source } = step.coords;
  if (!student || !source) return 0;
  if (step.coords.control === 'forgetting') return 0.02; // natural text: a little sharpening
  const st = ctx.plan.models[student];
  const so = ctx.plan.models[source];
  const base = student === source ? 0.04 : st.family === so.family ? 0.12 : 0.01;
  return base * (step.coords.temperature === undefined ? 1 : 1 - Math.abs(step.coords.temperature - 0.9) * 0.5);
}

export function fakeExecutors(opts: FakeOptions = {}): ExecutorRegistry {
  const wrap = (kind: StepKind, body: (step: Step, ctx: StepContext) => Promise<StepResult>): StepExecutor => ({
    version: `fake-${kind}-1`,
    async run(step, ctx) {
      opts.onRun?.(step);
      const d = typeof opts.delayMs === 'number' ? opts.delayMs : (opts.delayMs?.[kind] ?? 0);
      // Half the delay before writing anything, half after: a kill lands in the middle of real work.
      await sleep(d / 2, ctx.signal);
      const result = await body(step, ctx);
      await sleep(d / 2, ctx.signal);
      if (opts.fail?.(step)) throw Object.assign(new Error(`fake failure of ${step.id}`), { code: 'ERR_DATA' });
      return result;
    },
  });
  const writeCorpus = (dir: string, texts: string[]) => {
    fs.writeFileSync(
      path.join(dir, 'samples-00000.jsonl'),
      texts
        .map((text, id) => JSON.stringify({ id, text, tokens: [], num_tokens: text.split(' ').length, finish_reason: 'length' }))
        .join('\n') + '\n',
    );
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ fake: true, samples: texts.length }));
  };
  return {
    sample: wrap('sample', async (step, ctx) => {
      const n = Math.min(40, Number(step.settings.num_samples));
      const rng = new Rng(seedOf([step.coords.source, step.settings.temperature, step.settings.seed]));
      const texts = Array.from({ length: n }, () => Array.from({ length: 12 }, () => WORDS[rng.int(WORDS.length)]).join(' '));
      writeCorpus(ctx.outDir, texts);
      return { samples: n, tokens: n * 12 };
    }),
    merge: wrap('merge', async (_step, ctx) => {
      // the fake parts are whole fake corpora: the merge passes the first on
      const first = ctx.inputs.part0!.dir;
      for (const f of fs.readdirSync(first)) if (f !== 'step.json') fs.copyFileSync(path.join(first, f), path.join(ctx.outDir, f));
      return { ...(ctx.inputs.part0!.result as object) };
    }),
    retokenize: wrap('retokenize', async (_step, ctx) => {
      for (const f of fs.readdirSync(ctx.inputs.corpus.dir))
        if (f !== 'step.json') fs.copyFileSync(path.join(ctx.inputs.corpus.dir, f), path.join(ctx.outDir, f));
      return { ...(ctx.inputs.corpus.result as object), retokenized_for: ctx.models.tokenizer.tokenizer };
    }),
    natural: wrap('natural', async (step, ctx) => {
      const n = Number(step.settings.budget ?? ctx.inputs.budget?.result.tokens);
      fs.writeFileSync(
        path.join(ctx.outDir, 'natural.jsonl'),
        JSON.stringify({ tokens: Array.from({ length: n }, (_, i) => i % 7) }) + '\n',
      );
      return { data: 'natural.jsonl', samples: 1, tokens: n, budget: n, seed: step.settings.seed };
    }),
    // audit / subset: the fake corpus is not in the real format, so they pass it on (as retokenize does)
    audit: wrap('audit', async (_step, ctx) => {
      for (const f of fs.readdirSync(ctx.inputs.corpus.dir))
        if (f !== 'step.json') fs.copyFileSync(path.join(ctx.inputs.corpus.dir, f), path.join(ctx.outDir, f));
      return { ...(ctx.inputs.corpus.result as object), flagged: 0 };
    }),
    subset: wrap('subset', async (step, ctx) => {
      for (const f of fs.readdirSync(ctx.inputs.corpus.dir))
        if (f !== 'step.json') fs.copyFileSync(path.join(ctx.inputs.corpus.dir, f), path.join(ctx.outDir, f));
      return { ...(ctx.inputs.corpus.result as object), index: step.settings.index };
    }),
    train: wrap('train', async (step, ctx) => {
      fs.writeFileSync(path.join(ctx.outDir, 'config.json'), JSON.stringify({ fake: true, base: ctx.models.model.name }));
      fs.writeFileSync(path.join(ctx.outDir, 'weights.txt'), step.key);
      return { steps: 10, tokens: 1000, final_loss: 2 + (seedOf(step.key) % 100) / 100 };
    }),
    eval: wrap('eval', async (step, ctx) => {
      const task = String(step.coords.task);
      const n = countLines(step.runtime.task_file as string, 60);
      const model = step.coords.student ?? step.coords.model ?? '';
      const itemRng = new Rng(seedOf([task, model]));
      const baseCorrect = Array.from({ length: n }, () => itemRng.next() < 0.4);
      const g = lift(step, ctx);
      const rng = new Rng(seedOf([step.coords, 'eval']));
      const items = baseCorrect.map((c, index) => {
        const ok = c || rng.next() < g;
        return { index, gold: 0, pred: ok ? 0 : 1, pred_norm: ok ? 0 : 1 };
      });
      const acc = items.filter((i) => i.pred === i.gold).length / n;
      return { task, n, acc, acc_stderr: Math.sqrt((acc * (1 - acc)) / (n - 1)), acc_norm: acc, acc_norm_stderr: 0, items };
    }),
    extract: wrap('extract', async (step, ctx) => {
      const n = countLines(step.runtime.data_file as string, 30);
      const model = step.coords.student ?? step.coords.model ?? '';
      const base = new Rng(seedOf([step.coords.extraction, model]));
      const memorized = Array.from({ length: n }, () => base.next() < 0.5);
      const rng = new Rng(seedOf([step.coords, 'extract']));
      const keep = step.coords.stage === 'trained' ? 0.6 + 0.1 * (1 - lift(step, ctx) * 5) : 1;
      const items = memorized.map((m, index) => {
        const exact = m && rng.next() < keep;
        return { index, score: exact ? 1 : 0.3, exact };
      });
      const k = items.filter((i) => i.exact).length;
      void ctx;
      return { n, exact_match_rate: k / n, exact_match_ci: [0, 1], mean_score: items.reduce((s, i) => s + i.score, 0) / n, items };
    }),
    proxies: wrap('proxies', async (step, ctx) => {
      const s = step.settings as { k: number; max_n: number };
      const r = await computeProxies({
        corpus: ctx.inputs.corpus.dir,
        student: ctx.models.student.dir,
        source: ctx.models.source?.dir,
        tasks: Object.values(step.runtime.task_files as Record<string, string>).filter((f) => fs.existsSync(f)),
        k: s.k,
        maxN: s.max_n,
        hooks: {
          embed: async (_m, texts) => texts.map((t) => Float32Array.from(WORDS.map((w) => (t.includes(w) ? 1 : 0)))),
          avgLogLik: async (m, texts) => ({ avgLogLik: -2 - (seedOf(m) % 1000) / 1000, tokens: texts.length * 12 }),
        },
      });
      return portableProxyReport(r, step, ctx);
    }),
    report: reportExecutor,
  };
}
