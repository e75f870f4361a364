/**
 * Trains a byte-level BPE tokenizer with Hugging Face `tokenizers` and writes a genuine
 * `tokenizer.json` (+ `tokenizer_config.json`), so the lab's model families each have their own real
 * tokenizer. The binding trains with default settings and exposes no ByteLevel decoder, so the saved
 * JSON is completed afterwards: the full 256-symbol byte alphabet is added (no text is ever
 * unencodable) and the ByteLevel decoder/post-processor are set, exactly as `ByteLevelBPETokenizer`
 * in Python would save them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tokenizer, BPE, byteLevelPreTokenizer, byteLevelAlphabet } from 'tokenizers';
import { writeFileAtomic } from '../io/atomic';
import { ensureDir } from '../io/ensure-dir';

export interface TrainTokenizerOptions {
  texts: string[];
  outDir: string;
  /** The document separator / BOS / EOS token. */
  specialToken?: string;
  /** Split digits into single characters before BPE (a pre-tokenization difference between families). */
  splitDigits?: boolean;
}

export async function trainByteLevelTokenizer(opts: TrainTokenizerOptions): Promise<{ vocabSize: number; file: string }> {
  const special = opts.specialToken ?? '<|endoftext|>';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resurface-tok-'));
  try {
    const corpus = path.join(tmp, 'corpus.txt');
    fs.writeFileSync(corpus, opts.texts.join('\n'));
    const tok = new Tokenizer(BPE.empty());
    tok.setPreTokenizer(byteLevelPreTokenizer(false, true));
    tok.addSpecialTokens([special]);
    tok.train([corpus]);
    const raw = path.join(tmp, 'tokenizer.json');
    tok.save(raw, false);
    const json = JSON.parse(fs.readFileSync(raw, 'utf8'));
    const vocab: Record<string, number> = json.model.vocab;
    let next = Math.max(...Object.values(vocab)) + 1;
    for (const symbol of byteLevelAlphabet()) if (!(symbol in vocab)) vocab[symbol] = next++;
    // the trainer numbers the vocabulary from 0 regardless of added tokens: give the special token
    // its own id after the vocabulary (as added tokens are in HF tokenizers)
    json.added_tokens = [{ id: next++, content: special, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }];
    if (opts.splitDigits) {
      json.pre_tokenizer = {
        type: 'Sequence',
        pretokenizers: [{ type: 'Digits', individual_digits: true }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }],
      };
    }
    json.decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
    json.post_processor = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
    ensureDir(opts.outDir);
    const file = path.join(opts.outDir, 'tokenizer.json');
    await writeFileAtomic(file, JSON.stringify(json));
    const config = {
      tokenizer_class: 'PreTrainedTokenizerFast', bos_token: special, eos_token: special, unk_token: special,
      add_bos_token: false, add_eos_token: false, clean_up_tokenization_spaces: false, model_max_length: 2048,
    };
    await writeFileAtomic(path.join(opts.outDir, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
    return { vocabSize: next, file };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
