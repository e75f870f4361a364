/**
 * `natural` steps: the forgetting control's training data. Natural text of the student's own
 * pretraining distribution (JSONL of {"text"}), in a seeded random order, encoded with the
 * student's tokenizer, up to exactly the token budget of the student's self-generated corpus
 * (the last document is cut), written as JSONL of {"tokens"} that `train` reads. Same budget, same
 * training recipe: any difference from self-training is the data's, not the amount of it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResurfaceError } from '../../errors';
import { writeFileAtomic } from '../../io/atomic';
import { parseJsonl, readText } from '../../io/jsonl';
import { Rng } from '../../stats/prng';
import type { StepExecutor } from '../executor';
import { throwIfAborted } from './corpus';
import { TextTokenizer } from '../../tokenizer/tokenizer';

export const NATURAL_FILE = 'natural.jsonl';

/** The texts of a natural-text file, validated. */
export function readNaturalTexts(file: string): string[] {
  const texts = parseJsonl(readText(file), file, 'ERR_DATA').map(({ line, value }) => {
    const t = (value as { text?: unknown } | null)?.text;
    if (typeof t !== 'string')
      throw new ResurfaceError('ERR_DATA', `${file}:${line}: a natural-text record is {"text": string}`, { path: file, line });
    return t;
  });
  if (texts.length === 0) throw new ResurfaceError('ERR_DATA', `${file}: no texts`, { path: file });
  return texts;
}

export const naturalExecutor: StepExecutor = {
  version: 'natural-1',
  async run(step, ctx) {
    // A fixed budget (the experiment's subset size) or the self-generated corpus's token count.
    const budget = Number(step.settings.budget ?? ctx.inputs.budget?.result.tokens);
    if (!(budget > 0)) throw new ResurfaceError('ERR_DATA', `${step.id}: the self-generated corpus has no tokens to match`);
    const file = step.runtime.data_file as string;
    const texts = new Rng(Number(step.settings.seed)).shuffle(readNaturalTexts(file));
    const tok = await TextTokenizer.load(ctx.models.tokenizer.dir);
    const lines: string[] = [];
    let tokens = 0;
    let passes = 0;
    // Cycle through the texts (a small natural corpus may need more than one pass to fill the budget).
    for (let i = 0; tokens < budget; i++) {
      if (i > 0 && i % texts.length === 0) passes++;
      if (passes > 1000) throw new ResurfaceError('ERR_DATA', `${file}: its texts encode to no tokens`);
      const ids = await tok.encode(texts[i % texts.length]!, { addSpecialTokens: false });
      if (ids.length === 0) continue;
      const take = ids.slice(0, budget - tokens);
      lines.push(JSON.stringify({ tokens: take }));
      tokens += take.length;
      if (i % 256 === 0) throwIfAborted(ctx, step.id);
    }
    await writeFileAtomic(path.join(ctx.outDir, NATURAL_FILE), lines.join('\n') + '\n');
    return {
      data: NATURAL_FILE,
      samples: lines.length,
      tokens,
      budget,
      passes: passes + 1,
      source_file: path.basename(file),
      source_texts: texts.length,
    };
  },
};

/** The training data of a corpus-like step: its corpus directory, or the file a natural step wrote. */
export function trainingData(input: { dir: string; result: Record<string, unknown> }): string {
  const f = input.result.data;
  return typeof f === 'string' && fs.existsSync(path.join(input.dir, f)) ? path.join(input.dir, f) : input.dir;
}
