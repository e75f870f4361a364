/**
 * lm-evaluation-harness v0.4 request construction and tokenisation (HFLM `_encode_pair`):
 *
 * - multiple choice: (context, delimiter + choice) per choice; partial scoring (multiple_input):
 *   (context + choice, delimiter + continuation); loglikelihood: (context, continuation).
 * - trailing whitespace of the context (Python `str.rstrip()`) moves to the front of the continuation;
 *   whole = encode(context + continuation), context_enc = encode(context),
 *   continuation_enc = whole[len(context_enc):] — so a merge across the boundary stays in the continuation.
 * - the tokenizer's special-token policy applies (Pythia: no BOS; Llama 3: BOS). An empty context
 *   encoding becomes [prefix token] (BOS, or EOS when the tokenizer has no BOS), as the harness does.
 * - inputs longer than max_length keep their last max_length + 1 tokens (left truncation of the context).
 */
import type { TextTokenizer } from '../tokenizer/tokenizer';
import { ResurfaceError } from '../errors';
import type { TaskItem } from './task-file';

export interface TextRequest {
  context: string;
  continuation: string;
}

export interface EncodedRequest {
  context: number[];
  continuation: number[];
}

/** The requests the harness builds for an item, in choice order. */
export function buildRequests(item: TaskItem): TextRequest[] {
  switch (item.kind) {
    case 'multiple_choice':
      return item.choices.map((c) => ({ context: item.context, continuation: `${item.targetDelimiter}${c}` }));
    case 'partial':
      return item.choices.map((c) => ({ context: item.context + c, continuation: `${item.targetDelimiter}${item.continuation}` }));
    case 'loglikelihood':
      return [{ context: item.context, continuation: item.continuation }];
    case 'generate':
      throw new ResurfaceError(
        'ERR_TASK',
        `line ${item.line}: a generate record has no log-likelihood requests (it is run by lib/eval/generate-task.ts)`,
      );
  }
}

/** Characters Python's str.isspace() accepts (what `rstrip()` removes). */
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
  0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Number of trailing characters Python's `rstrip()` would remove (all are single UTF-16 units). */
export function trailingSpaceCount(s: string): number {
  let n = 0;
  while (n < s.length && PY_SPACE.has(s.charCodeAt(s.length - 1 - n))) n++;
  return n;
}

/** `_encode_pair` split into text: trailing spaces of the context move into the continuation. */
export function moveTrailingSpaces(req: TextRequest): TextRequest {
  const n = trailingSpaceCount(req.context);
  if (n === 0) return req;
  return {
    context: req.context.slice(0, req.context.length - n),
    continuation: req.context.slice(req.context.length - n) + req.continuation,
  };
}

/** Length in characters as Python's len() counts them (code points). */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function prefixTokenId(tok: TextTokenizer): number {
  const id = tok.special.bos ?? tok.special.eos;
  if (id === null || id === undefined) {
    throw new ResurfaceError('ERR_TOKENIZER', 'the tokenizer has neither a BOS nor an EOS token to start an empty context with');
  }
  return id;
}

export async function encodeRequest(tok: TextTokenizer, req: TextRequest, maxLength: number): Promise<EncodedRequest> {
  const { context, continuation } = moveTrailingSpaces(req);
  let ctxEnc: number[];
  let contEnc: number[];
  if (context === '') {
    const whole = await tok.encode(continuation);
    const empty = await tok.encode('');
    ctxEnc = empty.length > 0 ? empty : [prefixTokenId(tok)];
    contEnc = empty.length > 0 ? whole.slice(empty.length) : await tok.encode(continuation, { addSpecialTokens: false });
  } else {
    const [whole, ctx] = await Promise.all([tok.encode(context + continuation), tok.encode(context)]);
    ctxEnc = ctx;
    contEnc = whole.slice(ctx.length);
    if (ctxEnc.length === 0) ctxEnc = [prefixTokenId(tok)];
  }
  if (contEnc.length === 0) {
    throw new ResurfaceError('ERR_TASK', `continuation ${JSON.stringify(req.continuation)} encodes to no tokens after the context`);
  }
  return truncateRequest({ context: ctxEnc, continuation: contEnc }, maxLength);
}

/** Harness truncation: (context + continuation)[-(maxLength + 1):] — the forward input is at most maxLength. */
export function truncateRequest(r: EncodedRequest, maxLength: number): EncodedRequest {
  const total = r.context.length + r.continuation.length;
  if (total <= maxLength + 1) return r;
  if (r.continuation.length > maxLength) {
    throw new ResurfaceError(
      'ERR_TASK',
      `a continuation of ${r.continuation.length} tokens does not fit the model's ${maxLength} positions`,
    );
  }
  return { context: r.context.slice(total - (maxLength + 1)), continuation: r.continuation };
}
