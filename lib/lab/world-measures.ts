/**
 * Corpus measures against a world's ground truth (a facts file, world.ts `WorldFacts`):
 *
 *   statements   every match of a fact template ("{n} lives in {v}.") in the corpus texts: one
 *                claim that entity n has value v for the template's attribute
 *   coverage     share of the world's facts (entity, attribute) stated, truly, at least once
 *   fidelity     share of statements that are true (entity exists, value is its value); none → absent
 *   latent_benchmark_wording
 *                share of the latent facts (never in the benchmark's wording in pretraining) stated
 *                truly in the benchmark's wording: the route by which a corpus can bring them back
 *   canary_regenerated / canary_control_regenerated
 *                distinct pretraining canaries (repeats > 0) / control canaries (never seen) of
 *                which some text holds `window` consecutive words of the canary's body verbatim
 *                (the id word excluded: a model can say "canary-007:" without memorizing anything);
 *                (the scan also returns how many texts hold such a window)
 *
 * Pure functions of the texts and the facts: the corpus step calls them on the texts it wrote.
 */
import * as fs from 'node:fs';
import { ResurfaceError } from '../errors';
import type { WorldFacts } from './world';

export interface CorpusMeasures {
  coverage: number;
  fidelity?: number;
  latent_benchmark_wording: number;
  canary_regenerated: number;
  canary_control_regenerated: number;
}

export interface CorpusScan {
  /** What the report tabulates per corpus. */
  measures: CorpusMeasures;
  /** Fact statements found, and texts holding a canary window. */
  statements: number;
  canarySamples: number;
  /** Ids of the canaries regenerated (pretraining canaries and controls alike), sorted. */
  regenerated: string[];
}

/** Consecutive canary words that count as verbatim regeneration (8 random syllables: ~10^-20 by chance). */
export const CANARY_WINDOW = 8;

export function readWorldFacts(file: string): WorldFacts {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ResurfaceError('ERR_DATA', `cannot read the world facts ${file}: ${(err as Error).message}`, { file });
  }
  const w = raw as Partial<WorldFacts> | null;
  if (!w || w.format !== 'resurface-world-facts' || !Array.isArray(w.facts) || typeof w.templates !== 'object' || !Array.isArray(w.canaries))
    throw new ResurfaceError('ERR_DATA', `${file}: not a world facts file (expected {"format": "resurface-world-facts", "templates", "facts", "canaries"})`, { file });
  for (const [attr, list] of Object.entries(w.templates!)) {
    for (const t of list) if (!t.includes('{n}') || !t.includes('{v}')) throw new ResurfaceError('ERR_DATA', `${file}: template "${t}" of ${attr} needs both {n} and {v}`, { file });
  }
  return w as WorldFacts;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface CompiledTemplate {
  attribute: string;
  index: number;
  re: RegExp;
  /** Capture group of the entity and of the value. */
  n: number;
  v: number;
}

function compile(templates: Record<string, string[]>): CompiledTemplate[] {
  const out: CompiledTemplate[] = [];
  for (const [attribute, list] of Object.entries(templates)) {
    list.forEach((t, index) => {
      const nFirst = t.indexOf('{n}') < t.indexOf('{v}');
      const body = escape(t).replace(escape('{n}'), '([A-Za-z]+)').replace(escape('{v}'), '([A-Za-z0-9]+)');
      out.push({ attribute, index, re: new RegExp(`(?<![A-Za-z])${body}`, 'g'), n: nFirst ? 1 : 2, v: nFirst ? 2 : 1 });
    });
  }
  return out;
}

export function measureCorpus(facts: WorldFacts, texts: readonly string[], window = CANARY_WINDOW): CorpusScan {
  const truth = new Map<string, string>(); // "entity|attribute" → value
  const latent = new Set<string>();
  for (const f of facts.facts) {
    truth.set(`${f.entity}|${f.attribute}`, f.value);
    if (f.latent) latent.add(`${f.entity}|${f.attribute}`);
  }
  const templates = compile(facts.templates);
  const statedTrue = new Set<string>();
  const latentInBenchmarkWording = new Set<string>();
  let statements = 0;
  let trueStatements = 0;
  for (const text of texts) {
    for (const t of templates) {
      for (const m of text.matchAll(t.re)) {
        statements++;
        const key = `${m[t.n]}|${t.attribute}`;
        if (truth.get(key) !== m[t.v]) continue;
        trueStatements++;
        statedTrue.add(key);
        if (t.index === facts.benchmark_template && latent.has(key)) latentInBenchmarkWording.add(key);
      }
    }
  }

  // Canary scan: every window of `window` consecutive body words, looked up in each text's word windows.
  const windows = new Map<string, string>(); // window text → canary id
  for (const c of facts.canaries) {
    const words = c.text.split(/\s+/).slice(1);
    for (let i = 0; i + window <= words.length; i++) windows.set(words.slice(i, i + window).join(' '), c.id);
  }
  const regenerated = new Set<string>();
  let canarySamples = 0;
  for (const text of texts) {
    const words = text.split(/\s+/).filter(Boolean);
    let hit = false;
    for (let i = 0; i + window <= words.length; i++) {
      const id = windows.get(words.slice(i, i + window).join(' '));
      if (id) {
        regenerated.add(id);
        hit = true;
      }
    }
    if (hit) canarySamples++;
  }
  const repeats = new Map(facts.canaries.map((c) => [c.id, c.repeats]));
  const ids = [...regenerated].sort();
  return {
    measures: {
      coverage: truth.size ? statedTrue.size / truth.size : 0,
      ...(statements ? { fidelity: trueStatements / statements } : {}),
      latent_benchmark_wording: latent.size ? latentInBenchmarkWording.size / latent.size : 0,
      canary_regenerated: ids.filter((id) => (repeats.get(id) ?? 0) > 0).length,
      canary_control_regenerated: ids.filter((id) => (repeats.get(id) ?? 0) === 0).length,
    },
    statements,
    canarySamples,
    regenerated: ids,
  };
}
