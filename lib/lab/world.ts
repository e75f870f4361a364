/**
 * The miniature lab's synthetic world: a deterministic function of a seed.
 *
 *   entities   invented people with a city, a profession, a colour and an age, and a friend
 *   facts      each attribute stated in several paraphrased templates ("Tomar lives in Vessa." /
 *              "The home of Tomar is Vessa." / …)
 *   skills     small arithmetic ("3 plus 4 is 7"), ordering ("Of 7 and 3, the larger is 7"; ages),
 *              a simple relation ("Tomar is a friend of Ilsa")
 *   canaries   unique random syllable sequences, repeated 1–16 times in pretraining so that some are
 *              memorized verbatim; extraction sets hold them as {"text"} JSONL. Control canaries of
 *              the same shape never enter any corpus: no model can extract them, which calibrates
 *              the extraction measure.
 *   benchmarks multiple-choice task files in the evaluation format {"context","choices","gold"}
 *   corpora    two pretraining mixtures over the same world: family A (facts-heavy, all
 *              templates) and family B (skills-heavy, its own subset of templates, a different
 *              share of canaries) — the "cross-family" source sees the same world differently.
 *
 * Everything is drawn from `Rng(seed)`; equal seeds and options give byte-identical files.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../stats/prng';

export interface WorldOptions {
  seed?: number;
  entities?: number;
  canaries?: number;
  /** Syllables per canary (default 12). */
  canaryLength?: number;
  /** Documents per pretraining corpus (default 600). */
  documents?: number;
  /** Items per arithmetic / ordering task (default 60). */
  skillItems?: number;
}

export interface Entity {
  name: string;
  city: string;
  profession: string;
  color: string;
  age: number;
  friend: string;
}

export interface Canary {
  id: string;
  text: string;
  /** Times repeated in each pretraining corpus. */
  repeats: number;
}

export interface TaskItem {
  context: string;
  choices: string[];
  gold: number;
}

export interface World {
  seed: number;
  options: Required<WorldOptions>;
  entities: Entity[];
  canaries: Canary[];
  /** Canary-shaped sequences in no corpus (repeats 0): the extraction control. */
  controls: Canary[];
  tasks: Record<'facts' | 'arithmetic' | 'ordering' | 'relations', TaskItem[]>;
  corpora: { 'family-a': string[]; 'family-b': string[] };
}

export const WORLD_DEFAULTS: Required<WorldOptions> = { seed: 0, entities: 32, canaries: 24, canaryLength: 12, documents: 600, skillItems: 60 };

const CITIES = ['Vessa', 'Orlun', 'Kathmar', 'Pelio', 'Dunvir', 'Saragh', 'Meloth', 'Tiberan'];
const PROFESSIONS = ['baker', 'pilot', 'weaver', 'miner', 'doctor', 'painter', 'sailor', 'farmer'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];
const ONSETS = ['t', 'k', 'm', 'r', 's', 'v', 'l', 'd', 'b', 'n', 'z', 'p'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const CODAS = ['', 'n', 'r', 'l', 's'];

/** Paraphrase templates per attribute; {n} name, {v} value. Family B sees only the ones marked in FAMILY_B_TEMPLATES. */
const TEMPLATES = {
  city: ['{n} lives in {v}.', 'The home of {n} is {v}.', '{n} has always lived in the city of {v}.', 'In {v} you will find {n}.'],
  profession: ['{n} works as a {v}.', 'By trade, {n} is a {v}.', 'The job of {n} is {v}.', '{n} earns a living as a {v}.'],
  color: ['The favourite colour of {n} is {v}.', '{n} likes the colour {v} best.', 'Of all colours, {n} prefers {v}.'],
  friend: ['{n} is a friend of {v}.', '{n} and {v} are friends.', 'The best friend of {n} is {v}.'],
} as const;
const FAMILY_B_TEMPLATES = { city: [1, 3], profession: [1, 3], color: [1, 2], friend: [1, 2] } as const;

/** The benchmark prompts; they reuse the first template's wording up to the value. */
const PROMPTS = {
  city: (n: string) => `${n} lives in`,
  profession: (n: string) => `${n} works as a`,
  color: (n: string) => `The favourite colour of ${n} is`,
  friend: (n: string) => `${n} is a friend of`,
};

function syllable(rng: Rng): string {
  return ONSETS[rng.int(ONSETS.length)] + VOWELS[rng.int(VOWELS.length)] + CODAS[rng.int(CODAS.length)];
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1);

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** `k` distinct wrong choices plus the right one, shuffled; returns choices and the gold index. */
function choicesFor(rng: Rng, right: string, pool: readonly string[], k: number): { choices: string[]; gold: number } {
  const wrong = rng.shuffle(pool.filter((x) => x !== right)).slice(0, k);
  const choices = rng.shuffle([right, ...wrong]);
  return { choices, gold: choices.indexOf(right) };
}

export function generateWorld(options: WorldOptions = {}): World {
  const o: Required<WorldOptions> = { ...WORLD_DEFAULTS, ...options };
  const rng = new Rng(o.seed);

  const names = new Set<string>();
  while (names.size < o.entities) names.add(capitalize(syllable(rng) + syllable(rng)));
  const nameList = [...names];
  const entities: Entity[] = nameList.map((name) => ({
    name,
    city: pick(rng, CITIES),
    profession: pick(rng, PROFESSIONS),
    color: pick(rng, COLORS),
    age: 20 + rng.int(60),
    friend: '',
  }));
  // Friendship: a random perfect-ish pairing, symmetric.
  const order = rng.shuffle(entities.map((_, i) => i));
  for (let i = 0; i + 1 < order.length; i += 2) {
    entities[order[i]].friend = entities[order[i + 1]].name;
    entities[order[i + 1]].friend = entities[order[i]].name;
  }
  if (order.length % 2 === 1) entities[order[order.length - 1]].friend = entities[order[0]].name;

  const seen = new Set<string>();
  const canaries: Canary[] = [];
  const repeatLevels = [1, 2, 4, 8, 16];
  while (canaries.length < o.canaries) {
    const text = Array.from({ length: o.canaryLength }, () => syllable(rng)).join(' ');
    if (seen.has(text)) continue;
    seen.add(text);
    const id = `canary-${String(canaries.length).padStart(3, '0')}`;
    canaries.push({ id, text: `${id}: ${text}`, repeats: repeatLevels[canaries.length % repeatLevels.length] });
  }

  // Controls: an independent stream, so adding them changes nothing else in the world.
  const crng = new Rng(o.seed * 1000003 + 7);
  const controls: Canary[] = [];
  while (controls.length < Math.max(4, Math.ceil(o.canaries / 5))) {
    const text = Array.from({ length: o.canaryLength }, () => syllable(crng)).join(' ');
    if (seen.has(text)) continue;
    seen.add(text);
    const id = `canary-${String(o.canaries + controls.length).padStart(3, '0')}`;
    controls.push({ id, text: `${id}: ${text}`, repeats: 0 });
  }

  // Benchmarks.
  const facts: TaskItem[] = [];
  const relations: TaskItem[] = [];
  for (const e of entities) {
    facts.push({ context: PROMPTS.city(e.name), ...choicesFor(rng, e.city, CITIES, 3) });
    facts.push({ context: PROMPTS.profession(e.name), ...choicesFor(rng, e.profession, PROFESSIONS, 3) });
    facts.push({ context: PROMPTS.color(e.name), ...choicesFor(rng, e.color, COLORS, 3) });
    if (e.friend) relations.push({ context: PROMPTS.friend(e.name), ...choicesFor(rng, e.friend, nameList.filter((x) => x !== e.name), 3) });
  }
  const arithmetic: TaskItem[] = [];
  for (let i = 0; i < o.skillItems; i++) {
    const a = rng.int(10);
    const b = rng.int(10);
    const c = a + b;
    const pool = Array.from({ length: 19 }, (_, k) => String(k)).filter((x) => Math.abs(Number(x) - c) <= 4);
    arithmetic.push({ context: `${a} plus ${b} is`, ...choicesFor(rng, String(c), pool, 3) });
  }
  const ordering: TaskItem[] = [];
  for (let i = 0; i < o.skillItems; i++) {
    if (i % 2 === 0) {
      const a = rng.int(20);
      let b = rng.int(20);
      while (b === a) b = rng.int(20);
      const larger = rng.next() < 0.5;
      ordering.push({ context: `Of ${a} and ${b}, the ${larger ? 'larger' : 'smaller'} is`, ...choicesFor(rng, String(larger ? Math.max(a, b) : Math.min(a, b)), [String(a), String(b)], 1) });
    } else {
      const x = pick(rng, entities);
      let y = pick(rng, entities);
      while (y.age === x.age) y = pick(rng, entities);
      ordering.push({ context: `Of ${x.name} and ${y.name}, the older is`, ...choicesFor(rng, x.age > y.age ? x.name : y.name, [x.name, y.name], 1) });
    }
  }

  // Pretraining corpora: documents of 4–8 sentences drawn from a family's mixture, one sentence a
  // line. A byte-level tokenizer then encodes a sentence's first word as it does at the start of a
  // benchmark context ("Tomar lives in", "3 plus 4 is"): without the leading-space variant that
  // mid-line words get, which would leave the benchmarks probing a rarely seen token.
  const statements = (templates: 'all' | 'b') => {
    const out: string[] = [];
    for (const e of entities) {
      for (const attr of ['city', 'profession', 'color', 'friend'] as const) {
        const list = TEMPLATES[attr];
        const idx = templates === 'all' ? list.map((_, i) => i) : [...FAMILY_B_TEMPLATES[attr]];
        const v = attr === 'city' ? e.city : attr === 'profession' ? e.profession : attr === 'color' ? e.color : e.friend;
        if (!v) continue;
        for (const i of idx) out.push(list[i].replace('{n}', e.name).replace('{v}', v));
      }
      out.push(`${e.name} is ${e.age} years old.`);
    }
    return out;
  };
  const skillSentence = (r: Rng): string => {
    const k = r.int(3);
    if (k === 0) {
      const a = r.int(10);
      const b = r.int(10);
      return `${a} plus ${b} is ${a + b}.`;
    }
    if (k === 1) {
      const a = r.int(20);
      let b = r.int(20);
      while (b === a) b = r.int(20);
      return r.next() < 0.5 ? `Of ${a} and ${b}, the larger is ${Math.max(a, b)}.` : `Of ${a} and ${b}, the smaller is ${Math.min(a, b)}.`;
    }
    const x = pick(r, entities);
    let y = pick(r, entities);
    while (y.age === x.age) y = pick(r, entities);
    return `Of ${x.name} and ${y.name}, the older is ${x.age > y.age ? x.name : y.name}.`;
  };
  const corpus = (family: 'a' | 'b'): string[] => {
    const r = new Rng(o.seed * 1000003 + (family === 'a' ? 1 : 2));
    const facts = statements(family === 'a' ? 'all' : 'b');
    const factShare = family === 'a' ? 0.7 : 0.35;
    const docs: string[] = [];
    // Every fact statement appears at least once; then the mixture fills the rest.
    const pending = r.shuffle([...facts]);
    for (let d = 0; d < o.documents; d++) {
      const n = 4 + r.int(5);
      const sentences: string[] = [];
      for (let s = 0; s < n; s++) sentences.push(pending.length ? pending.pop()! : r.next() < factShare ? pick(r, facts) : skillSentence(r));
      docs.push(sentences.join('\n'));
    }
    while (pending.length) docs.push(pending.splice(0, 6).join('\n'));
    // Canaries: family A repeats each `repeats` times; family B holds only every other canary, half as often.
    for (const c of canaries) {
      const times = family === 'a' ? c.repeats : Number(c.id.slice(-1)) % 2 === 0 ? Math.max(1, c.repeats >> 1) : 0;
      for (let t = 0; t < times; t++) docs.push(c.text);
    }
    return r.shuffle(docs);
  };

  return {
    seed: o.seed,
    options: o,
    entities,
    canaries,
    controls,
    tasks: { facts, arithmetic, ordering, relations },
    corpora: { 'family-a': corpus('a'), 'family-b': corpus('b') },
  };
}

export interface WrittenWorld {
  dir: string;
  files: Record<string, { path: string; sha256: string; lines: number }>;
}

const jsonl = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';

/**
 * Writes the world: tasks/<name>.jsonl, extraction/canaries.jsonl (all canaries),
 * extraction/canaries-r<k>.jsonl (by repetition count), extraction/canaries-control.jsonl (in no
 * corpus), corpora/family-{a,b}.jsonl ({"text"} per
 * document), entities.json and world.json (options and sha256 of every file).
 */
export function writeWorld(world: World, dir: string): WrittenWorld {
  const files: WrittenWorld['files'] = {};
  const put = (rel: string, content: string) => {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    files[rel] = { path: p, sha256: createHash('sha256').update(content).digest('hex'), lines: content.split('\n').filter(Boolean).length };
  };
  for (const [name, items] of Object.entries(world.tasks)) put(`tasks/${name}.jsonl`, jsonl(items));
  put('extraction/canaries.jsonl', jsonl(world.canaries.map((c) => ({ text: c.text }))));
  for (const r of [...new Set(world.canaries.map((c) => c.repeats))].sort((a, b) => a - b))
    put(`extraction/canaries-r${r}.jsonl`, jsonl(world.canaries.filter((c) => c.repeats === r).map((c) => ({ text: c.text }))));
  put('extraction/canaries-control.jsonl', jsonl(world.controls.map((c) => ({ text: c.text }))));
  put('corpora/family-a.jsonl', jsonl(world.corpora['family-a'].map((text) => ({ text }))));
  put('corpora/family-b.jsonl', jsonl(world.corpora['family-b'].map((text) => ({ text }))));
  put('entities.json', JSON.stringify(world.entities, null, 1) + '\n');
  const manifest = { generator: 'resurface lab world', version: 1, seed: world.seed, options: world.options, files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, { sha256: v.sha256, lines: v.lines }])) };
  fs.writeFileSync(path.join(dir, 'world.json'), JSON.stringify(manifest, null, 1) + '\n');
  return { dir, files };
}
