/**
 * Reading an experiment file: YAML → zod-validated `Experiment` → resolved paths.
 *
 * Every error names the file, the line and the field (`pythia.yaml:14: sampling.temperatures[1]:
 * Too big: expected number to be <=10`). Zod reports a path; the YAML document (parsed with source
 * ranges and a LineCounter) maps that path back to the node it came from, or to the nearest
 * enclosing node when the field is missing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { ResurfaceError } from '../errors';
import { experimentSchema, taskName, type Experiment, type ModelDecl } from './schema';

export interface ExperimentErrorDetails {
  file: string;
  line: number;
  column: number;
  field: string;
}

function fail(file: string, line: number, column: number, field: string, message: string): never {
  const where = field ? `${field}: ` : '';
  throw new ResurfaceError('ERR_EXPERIMENT', `${file}:${line}: ${where}${message}`, {
    file,
    line,
    column,
    field,
  } satisfies ExperimentErrorDetails);
}

/** `a.b[2].c` from a zod path. */
export function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s ? `.${String(k)}` : String(k);
  return s;
}

/** Source offset of the node at `p` (or of the key, for unknown keys), walking up to the nearest existing ancestor. */
function offsetOf(doc: Document, p: ReadonlyArray<PropertyKey>, keyOfLast: boolean): number {
  for (let len = p.length; len >= 0; len--) {
    const sub = p.slice(0, len) as Array<string | number>;
    if (keyOfLast && len === p.length && len > 0) {
      const parent = sub.length > 1 ? doc.getIn(sub.slice(0, -1), true) : doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === sub[sub.length - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
      }
      continue;
    }
    const node = len === 0 ? doc.contents : doc.getIn(sub, true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

export function parseExperimentText(text: string, file: string): Experiment {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lineCounter.linePos(e.pos[0]);
    fail(file, pos.line, pos.col, '', `not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const raw = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    fail(file, 1, 1, '', 'an experiment file is a YAML mapping (name:, models:, grid:, …)');
  const parsed = experimentSchema.safeParse(raw);
  if (!parsed.success) {
    // Report the first issue in document order, so fixing errors top to bottom works.
    const located = parsed.error.issues.map((issue: z.core.$ZodIssue) => {
      const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
      const p = unknownKey !== undefined ? [...issue.path, unknownKey] : issue.path;
      const off = offsetOf(doc, p, unknownKey !== undefined);
      const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
      const message = unknownKey !== undefined ? `unknown field "${unknownKey}"` : inner ? `invalid name: ${inner}` : issue.message;
      return { off, p, message };
    });
    located.sort((a, b) => a.off - b.off);
    const first = located[0];
    const pos = lineCounter.linePos(first.off);
    fail(file, pos.line, pos.col, formatPath(first.p), first.message);
  }
  return parsed.data;
}

export interface ResolvedModel {
  name: string;
  /** Absolute model directory (HF layout). */
  dir: string;
  family: string;
  tokenizer: string;
  exists: boolean;
  decl: ModelDecl;
}

export interface LoadedExperiment {
  file: string;
  experiment: Experiment;
  models: Record<string, ResolvedModel>;
  /** Absolute task files by task name. */
  tasks: Record<string, string>;
  /** Absolute extraction data files by set name. */
  extraction: Record<string, string>;
  /** Absolute natural-text files of the forgetting control, by student. */
  forgetting: Record<string, string>;
  /** Absolute task files of the decontamination audit by task name (empty without `audit`). */
  auditTasks?: Record<string, string>;
  /** Absolute path of evaluation.world (facts the corpora are measured against), if given. */
  world?: string;
}

export interface LoadOptions {
  /** Folder of Hugging Face snapshot folders / model directories. */
  modelsDir?: string;
  /** Folder against which relative task and extraction paths resolve (default: the YAML's folder). */
  dataDir?: string;
}

/**
 * Where a model lives. `path` wins; a `hub` id "org/name" is looked for in modelsDir as
 * `org--name/`, `models--org--name/snapshots/<newest>/` (the HF cache layout) and `org/name/`.
 */
export function resolveModelDir(decl: ModelDecl, baseDir: string, modelsDir?: string): { dir: string; exists: boolean } {
  const hasConfig = (d: string) => fs.existsSync(path.join(d, 'config.json'));
  const root = modelsDir ? path.resolve(modelsDir) : baseDir;
  const candidates: string[] = [];
  if (decl.path) candidates.push(path.isAbsolute(decl.path) ? decl.path : path.resolve(root, decl.path));
  if (decl.hub) {
    const [org, nm] = decl.hub.split('/');
    candidates.push(path.join(root, `${org}--${nm}`));
    const snaps = path.join(root, `models--${org}--${nm}`, 'snapshots');
    if (fs.existsSync(snaps)) {
      const newest = fs
        .readdirSync(snaps)
        .map((s) => path.join(snaps, s))
        .filter(hasConfig)
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
      if (newest) candidates.push(newest);
    }
    candidates.push(path.join(root, org, nm));
  }
  const found = candidates.find(hasConfig);
  return { dir: found ?? candidates[0], exists: found !== undefined };
}

export function loadExperiment(file: string, opts: LoadOptions = {}): LoadedExperiment {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ResurfaceError('ERR_EXPERIMENT', `cannot read experiment file ${file}: ${(err as Error).message}`, { file });
  }
  const experiment = parseExperimentText(text, file);
  const baseDir = path.dirname(path.resolve(file));
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : baseDir;
  const models: Record<string, ResolvedModel> = {};
  for (const [name, decl] of Object.entries(experiment.models)) {
    const { dir, exists } = resolveModelDir(decl, baseDir, opts.modelsDir);
    models[name] = { name, dir, exists, family: decl.family, tokenizer: decl.tokenizer ?? decl.family, decl };
  }
  const resolveData = (p: string) => (path.isAbsolute(p) ? p : path.resolve(dataDir, p));
  const tasks = Object.fromEntries(experiment.evaluation.tasks.map((t) => [taskName(t), resolveData(t)]));
  const extraction = Object.fromEntries(experiment.evaluation.extraction.map((x) => [x.name, resolveData(x.data)]));
  const forgetting = Object.fromEntries(Object.entries(experiment.controls.forgetting).map(([s, f]) => [s, resolveData(f)]));
  const auditTasks = Object.fromEntries((experiment.audit?.tasks ?? []).map((t) => [taskName(t), resolveData(t)]));
  const world = experiment.evaluation.world === undefined ? undefined : resolveData(experiment.evaluation.world);
  return { file: path.resolve(file), experiment, models, tasks, extraction, forgetting, auditTasks, ...(world ? { world } : {}) };
}
