/**
 * The miniature lab's synthetic world: a deterministic function of a seed. The mechanism it is
 * built for (lab/README.md says more):
 *
 *   entities   invented people with a city, a profession, a colour and a friend (and an age)
 *   facts      each attribute stated in several paraphrase templates; template 0 is the benchmark's
 *              own wording ("Tomar lives in Vessa." ↔ the prompt "Tomar lives in")
 *   latent     for a held-out share of the entities (`latentShare`) NO corpus ever uses template 0:
 *              their facts are learned only through paraphrases ("The home of Tomar is Vessa."),
 *              so a model knows them but the benchmark's wording maps to them weakly. Text a model
 *              samples from itself restates what it knows in every template it has learned,
 *              the benchmark's included — the route by which self-training can bring them back.
 *   skills     small arithmetic ("3 plus 4 is 7") and ordering by age
 *   canaries   unique random syllable sequences (long enough for a 32-token prefix and a 32-token
 *              suffix), repeated 1, 2, 4, 8 or 16 times in pretraining; all canary documents
 *              together are at most ~1% of a corpus's documents. Control canaries of the same
 *              shape never enter any corpus (the extraction sanity line).
 *   benchmarks multiple-choice task files {"context","choices","gold","group"}; `group` is the
 *              item's cluster (the entity; for skills, the template) for clustered statistics.
 *              facts-latent / facts-exposed split the fact items by the entity's kind;
 *              facts-latent-paraphrase (a diagnostic, not a benchmark) asks facts-latent's items in a
 *              paraphrase both mixtures use: does the model know what the benchmark wording misses?
 *   corpora    two pretraining mixtures over the same world, documents of one to three sentences:
 *              family A (75% facts, all templates) and family B (65% facts, more arithmetic among
 *              the skills, its own subset
 *              of templates that still contains the benchmark's wording for exposed entities,
 *              every other canary at half the repetitions). family-{a,b}-natural: the same
 *              mixture without canaries, for the forgetting control.
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
  /** Share of entities whose facts never appear in the benchmark's wording (default 0.5). */
  latentShare?: number;
  canaries?: number;
  /** Syllables per canary (default 64: ≥ 64 tokens under any tokenizer that gives a syllable at least one token). */
  canaryLength?: number;
  /** Non-canary documents per pretraining corpus (default 12500). */
  documents?: number;
  /** Items of the arithmetic task (default 60). */
  skillItems?: number;
}

export type Attribute = 'city' | 'profession' | 'color' | 'friend';
export const ATTRIBUTES: readonly Attribute[] = ['city', 'profession', 'color', 'friend'];

export interface Entity {
  name: string;
  city: string;
  profession: string;
  color: string;
  age: number;
  friend: string;
  /** Its facts never appear in the benchmark's wording (template 0). */
  latent: boolean;
}

export interface Canary {
  id: string;
  text: string;
  /** Times repeated in family A's pretraining corpus (0: a control, in no corpus). */
  repeats: number;
}

export interface TaskItem {
  context: string;
  choices: string[];
  gold: number;
  group: string;
}

export type TaskName = 'facts-latent' | 'facts-exposed' | 'relations' | 'arithmetic' | 'facts-latent-paraphrase';

export interface World {
  seed: number;
  options: Required<WorldOptions>;
  entities: Entity[];
  canaries: Canary[];
  /** Canary-shaped sequences in no corpus (repeats 0): the extraction control. */
  controls: Canary[];
  tasks: Record<TaskName, TaskItem[]>;
  corpora: Record<'family-a' | 'family-b' | 'family-a-natural' | 'family-b-natural', string[]>;
}

export const WORLD_DEFAULTS: Required<WorldOptions> = { seed: 0, entities: 64, latentShare: 0.5, canaries: 20, canaryLength: 64, documents: 12500, skillItems: 60 };
export const REPEAT_LEVELS = [1, 2, 4, 8, 16] as const;

const CITIES = ['Vessa', 'Orlun', 'Kathmar', 'Pelio', 'Dunvir', 'Saragh', 'Meloth', 'Tiberan'];
const PROFESSIONS = ['baker', 'pilot', 'weaver', 'miner', 'doctor', 'painter', 'sailor', 'farmer'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];
const ONSETS = ['t', 'k', 'm', 'r', 's', 'v', 'l', 'd', 'b', 'n', 'z', 'p'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const CODAS = ['', 'n', 'r', 'l', 's'];

/** Paraphrase templates per attribute; {n} name, {v} value. Index 0 is the benchmark's wording. */
export const TEMPLATES: Record<Attribute, readonly string[]> = {
  city: ['{n} lives in {v}.', 'The home of {n} is {v}.', '{n} has always lived in the city of {v}.', 'In {v} you will find {n}.'],
  profession: ['{n} works as a {v}.', 'By trade, {n} is a {v}.', 'The job of {n} is {v}.', '{n} earns a living as a {v}.'],
  color: ['The favourite colour of {n} is {v}.', '{n} likes the colour {v} best.', 'Of all colours, {n} prefers {v}.'],
  friend: ['{n} is a friend of {v}.', '{n} and {v} are friends.', 'The best friend of {n} is {v}.'],
};
/** The templates family B's mixture uses (family A uses all). */
const FAMILY_B_TEMPLATES: Record<Attribute, readonly number[]> = { city: [0, 1, 3], profession: [0, 1, 3], color: [0, 2], friend: [0, 2] };
export const BENCHMARK_TEMPLATE = 0;

/**
 * A diagnostic prompt in a paraphrase both families' mixtures use (value last): what a model knows
 * about a latent entity when asked in words it has seen — facts-latent-paraphrase, not a benchmark.
 */
const PARAPHRASE_TEMPLATE: Record<Exclude<Attribute, 'friend'>, number> = { city: 1, profession: 1, color: 2 };
export function paraphrasePromptFor(attr: Exclude<Attribute, 'friend'>, name: string): string {
  return TEMPLATES[attr][PARAPHRASE_TEMPLATE[attr]]!.replace('{n}', name).replace(/ ?\{v\}\.$/, '');
}

/** The benchmark prompt: the benchmark template up to the value. */
export function promptFor(attr: Attribute, name: string): string {
  return TEMPLATES[attr][BENCHMARK_TEMPLATE]!.replace('{n}', name).replace(/ ?\{v\}\.$/, '');
}

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

export function valueOf(e: Entity, attr: Attribute): string {
  return attr === 'city' ? e.city : attr === 'profession' ? e.profession : attr === 'color' ? e.color : e.friend;
}

export function generateWorld(options: WorldOptions = {}): World {
  const o: Required<WorldOptions> = { ...WORLD_DEFAULTS, ...options };
  const rng = new Rng(o.seed);

  const names = new Set<string>();
  while (names.size < o.entities) names.add(capitalize(syllable(rng) + syllable(rng)));
  const nameList = [...names];
  const nLatent = Math.round(o.entities * o.latentShare);
  const latentSet = new Set(rng.shuffle(nameList.map((_, i) => i)).slice(0, nLatent));
  const entities: Entity[] = nameList.map((name, i) => ({
    name,
    city: pick(rng, CITIES),
    profession: pick(rng, PROFESSIONS),
    color: pick(rng, COLORS),
    age: 20 + rng.int(60),
    friend: '',
    latent: latentSet.has(i),
  }));
  // Friendship: a random pairing, symmetric (an odd one out befriends the first of the order).
  const order = rng.shuffle(entities.map((_, i) => i));
  for (let i = 0; i + 1 < order.length; i += 2) {
    entities[order[i]].friend = entities[order[i + 1]].name;
    entities[order[i + 1]].friend = entities[order[i]].name;
  }
  if (order.length % 2 === 1) entities[order[order.length - 1]].friend = entities[order[0]].name;

  const seen = new Set<string>();
  const canaryText = (r: Rng) => Array.from({ length: o.canaryLength }, () => syllable(r)).join(' ');
  const canaries: Canary[] = [];
  while (canaries.length < o.canaries) {
    const text = canaryText(rng);
    if (seen.has(text)) continue;
    seen.add(text);
    const id = `canary-${String(canaries.length).padStart(3, '0')}`;
    canaries.push({ id, text: `${id}: ${text}`, repeats: REPEAT_LEVELS[canaries.length % REPEAT_LEVELS.length] });
  }
  // Controls: an independent stream, so adding them changes nothing else in the world.
  const crng = new Rng(o.seed * 1000003 + 7);
  const controls: Canary[] = [];
  while (controls.length < Math.max(4, Math.ceil(o.canaries / 2))) {
    const text = canaryText(crng);
    if (seen.has(text)) continue;
    seen.add(text);
    const id = `canary-${String(o.canaries + controls.length).padStart(3, '0')}`;
    controls.push({ id, text: `${id}: ${text}`, repeats: 0 });
  }

  // Benchmarks; group = the entity (fact and relation items) or the template (arithmetic).
  const factsLatent: TaskItem[] = [];
  const factsExposed: TaskItem[] = [];
  const relations: TaskItem[] = [];
  const pools: Record<Exclude<Attribute, 'friend'>, readonly string[]> = { city: CITIES, profession: PROFESSIONS, color: COLORS };
  for (const e of entities) {
    for (const attr of ['city', 'profession', 'color'] as const) {
      (e.latent ? factsLatent : factsExposed).push({ context: promptFor(attr, e.name), ...choicesFor(rng, valueOf(e, attr), pools[attr], 3), group: e.name });
    }
    relations.push({ context: promptFor('friend', e.name), ...choicesFor(rng, e.friend, nameList.filter((x) => x !== e.name), 3), group: e.name });
  }
  // The diagnostic: facts-latent's very items (same choices and gold), asked in a seen paraphrase.
  const attrsOf = ['city', 'profession', 'color'] as const;
  const factsLatentParaphrase: TaskItem[] = factsLatent.map((it, i) => ({ ...it, context: paraphrasePromptFor(attrsOf[i % 3]!, it.group) }));
  const arithmetic: TaskItem[] = [];
  for (let i = 0; i < o.skillItems; i++) {
    const a = rng.int(10);
    const b = rng.int(10);
    const c = a + b;
    const pool = Array.from({ length: 19 }, (_, k) => String(k)).filter((x) => Math.abs(Number(x) - c) <= 4);
    arithmetic.push({ context: `${a} plus ${b} is`, ...choicesFor(rng, String(c), pool, 3), group: `plus-${a}` });
  }

  // Pretraining corpora. A byte-level tokenizer encodes a sentence's first word as it does at the
  // start of a benchmark context ("Tomar lives in"), so sentences start lines.
  const statements = (family: 'a' | 'b'): string[] => {
    const out: string[] = [];
    for (const e of entities) {
      for (const attr of ATTRIBUTES) {
        const list = TEMPLATES[attr];
        const idx = (family === 'a' ? list.map((_, i) => i) : [...FAMILY_B_TEMPLATES[attr]]).filter((i) => !(e.latent && i === BENCHMARK_TEMPLATE));
        for (const i of idx) out.push(list[i]!.replace('{n}', e.name).replace('{v}', valueOf(e, attr)));
      }
      out.push(`${e.name} is ${e.age} years old.`);
    }
    return out;
  };
  const skillSentence = (r: Rng, arithmeticShare: number): string => {
    if (r.next() < arithmeticShare) {
      const a = r.int(10);
      const b = r.int(10);
      return `${a} plus ${b} is ${a + b}.`;
    }
    const x = pick(r, entities);
    let y = pick(r, entities);
    while (y.age === x.age) y = pick(r, entities);
    return `Of ${x.name} and ${y.name}, the older is ${x.age > y.age ? x.name : y.name}.`;
  };
  const corpus = (family: 'a' | 'b', withCanaries: boolean): string[] => {
    const r = new Rng(o.seed * 1000003 + (family === 'a' ? 1 : 2));
    const facts = statements(family);
    const factShare = family === 'a' ? 0.75 : 0.65;
    const arithmeticShare = family === 'a' ? 0.6 : 0.8; // of the skill sentences
    const docs: string[] = [];
    // Every fact statement appears at least once; then the mixture fills the rest.
    const pending = r.shuffle([...facts]);
    for (let d = 0; d < o.documents; d++) {
      const n = 1 + r.int(3);
      const sentences: string[] = [];
      for (let s = 0; s < n; s++) sentences.push(pending.length ? pending.pop()! : r.next() < factShare ? pick(r, facts) : skillSentence(r, arithmeticShare));
      docs.push(sentences.join('\n'));
    }
    while (pending.length) docs.push(pending.splice(0, 3).join('\n'));
    // Canaries: family A repeats each `repeats` times; family B holds every other canary, half as often.
    if (withCanaries) {
      for (const c of canaries) {
        const times = family === 'a' ? c.repeats : Number(c.id.slice(-1)) % 2 === 0 ? Math.max(1, c.repeats >> 1) : 0;
        for (let t = 0; t < times; t++) docs.push(c.text);
      }
    }
    return r.shuffle(docs);
  };

  return {
    seed: o.seed,
    options: o,
    entities,
    canaries,
    controls,
    tasks: { 'facts-latent': factsLatent, 'facts-exposed': factsExposed, relations, arithmetic, 'facts-latent-paraphrase': factsLatentParaphrase },
    corpora: { 'family-a': corpus('a', true), 'family-b': corpus('b', true), 'family-a-natural': corpus('a', false), 'family-b-natural': corpus('b', false) },
  };
}

/**
 * The world's ground truth as the corpus measures read it (world-measures.ts): every fact, the
 * templates that state facts, and the canaries. Generic in shape: any world with named
 * (entity, attribute, value) facts and sentence templates can write one.
 */
export interface WorldFacts {
  format: 'resurface-world-facts';
  version: 1;
  /** attribute → templates with {n} (entity) and {v} (value); index `benchmark_template` is the benchmark's wording. */
  templates: Record<string, string[]>;
  benchmark_template: number;
  facts: Array<{ entity: string; attribute: string; value: string; latent: boolean }>;
  canaries: Array<{ id: string; text: string; repeats: number }>;
}

export function worldFacts(world: World): WorldFacts {
  return {
    format: 'resurface-world-facts',
    version: 1,
    templates: Object.fromEntries(ATTRIBUTES.map((a) => [a, [...TEMPLATES[a]]])),
    benchmark_template: BENCHMARK_TEMPLATE,
    facts: world.entities.flatMap((e) => ATTRIBUTES.map((a) => ({ entity: e.name, attribute: a, value: valueOf(e, a), latent: e.latent }))),
    canaries: [...world.canaries, ...world.controls].map((c) => ({ id: c.id, text: c.text, repeats: c.repeats })),
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
 * corpus), corpora/family-{a,b}[-natural].jsonl ({"text"} per document), facts.json (the ground
 * truth for corpus measures), entities.json and world.json (options and sha256 of every file).
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
  for (const [name, docs] of Object.entries(world.corpora)) put(`corpora/${name}.jsonl`, jsonl(docs.map((text) => ({ text }))));
  put('facts.json', JSON.stringify(worldFacts(world), null, 1) + '\n');
  put('entities.json', JSON.stringify(world.entities, null, 1) + '\n');
  const manifest = { generator: 'resurface lab world', version: 2, seed: world.seed, options: world.options, files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, { sha256: v.sha256, lines: v.lines }])) };
  fs.writeFileSync(path.join(dir, 'world.json'), JSON.stringify(manifest, null, 1) + '\n');
  return { dir, files };
}
