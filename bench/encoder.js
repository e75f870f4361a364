/**
 * `npm run bench -- encoder`: sentences/s of sentence embedding with an all-MiniLM-L6-v2-shaped random
 * BERT (hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522; mean pooling + Normalize),
 * 256 texts of 16–128 tokens, ours (SentenceEncoder.embedTokens) vs a PyTorch eager baseline
 * (bench/baselines/encoder_baseline.py) on the same weights, the same length-sorted batches of 32 and
 * the same threads. Each side runs in its own child process, rounds alternate ours / baseline.
 *
 *   node bench/encoder.js [--rounds 2] [--iters 2] [--warmup 1] [--threads N] [--rows 256]
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const c = require('./common');

const args = c.parseArgs(process.argv.slice(2));
const DIR = path.join(c.WORK, 'minilm-l6-random');
const ROWS_FILE = path.join(c.WORK, 'encoder-rows.json');
const SPEC = { vocab: 30522, hidden: 384, layers: 6, heads: 12, inter: 1536, positions: 512 };

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Random weights (std 0.05, LayerNorm weights 1) in BertModel names, plus the sentence-transformers files. */
async function ensureEncoder() {
  if (fs.existsSync(path.join(DIR, 'model.safetensors'))) return;
  const { writeSafetensors } = c.lib();
  const { bertSlots } = require(
    path.join(
      process.env.RESURFACE_BENCH_LIB ? path.resolve(process.env.RESURFACE_BENCH_LIB) : path.join(c.ROOT, 'dist'),
      'encoder',
      'weights',
    ),
  );
  const spec = {
    vocabSize: SPEC.vocab,
    hiddenSize: SPEC.hidden,
    numLayers: SPEC.layers,
    numHeads: SPEC.heads,
    intermediateSize: SPEC.inter,
    maxPositionEmbeddings: SPEC.positions,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    hiddenAct: 'gelu',
  };
  const r = rng(1234);
  const tensors = bertSlots(spec).map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (s.kind === 'norm_weight' ? 1 : 0) + 0.05 * (r() * 2 - 1) * Math.sqrt(3);
    return { name: s.name, dtype: 'F32', shape: s.shape, data: new Uint8Array(v.buffer) };
  });
  fs.mkdirSync(path.join(DIR, '1_Pooling'), { recursive: true });
  fs.mkdirSync(path.join(DIR, '2_Normalize'), { recursive: true });
  await writeSafetensors(path.join(DIR, 'model.safetensors'), tensors);
  const json = (f, v) => fs.writeFileSync(path.join(DIR, f), JSON.stringify(v, null, 2));
  json('config.json', {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: SPEC.vocab,
    hidden_size: SPEC.hidden,
    num_hidden_layers: SPEC.layers,
    num_attention_heads: SPEC.heads,
    intermediate_size: SPEC.inter,
    hidden_act: 'gelu',
    max_position_embeddings: SPEC.positions,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
  });
  const vocab = Object.fromEntries(['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((t, i) => [t, i]));
  json('tokenizer.json', {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  });
  json('modules.json', [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ]);
  json('1_Pooling/config.json', {
    word_embedding_dimension: SPEC.hidden,
    pooling_mode_mean_tokens: true,
    pooling_mode_cls_token: false,
    pooling_mode_max_tokens: false,
  });
  json('sentence_bert_config.json', { max_seq_length: 256, do_lower_case: false });
}

/** [CLS] random ids [SEP], 16–128 tokens each (cost does not depend on the ids). */
function ensureRows(n) {
  const r = rng(99);
  const rows = Array.from({ length: n }, () => {
    const len = 16 + Math.floor(r() * 113);
    return [2, ...Array.from({ length: len - 2 }, () => 4 + Math.floor(r() * (SPEC.vocab - 4))), 3];
  });
  fs.writeFileSync(ROWS_FILE, JSON.stringify(rows));
  return rows;
}

async function child() {
  const { SentenceEncoder } = c.lib();
  const threads = Number(args.threads ?? c.cpuCount());
  const rows = JSON.parse(fs.readFileSync(ROWS_FILE, 'utf8'));
  const enc = await SentenceEncoder.load(DIR, { threads, batchSize: 32 });
  const seconds = [];
  const cpuSeconds = [];
  let last;
  for (let i = 0; i < Number(args.warmup ?? 1) + Number(args.iters ?? 2); i++) {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    last = await enc.embedTokens(rows);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    if (i >= Number(args.warmup ?? 1)) {
      seconds.push(dt);
      cpuSeconds.push((cpu.user + cpu.system) / 1e6);
    }
  }
  if (args.dump) {
    const flat = new Float32Array(last.length * SPEC.hidden);
    last.forEach((v, i) => flat.set(v, i * SPEC.hidden));
    fs.writeFileSync(args.dump, Buffer.from(flat.buffer));
  }
  enc.dispose();
  process.stdout.write(`${JSON.stringify({ side: 'resurface', threads, seconds, cpuSeconds })}\n`);
}

async function parent() {
  await ensureEncoder();
  const n = Number(args.rows ?? 256);
  const rows = ensureRows(n);
  const tokens = rows.reduce((s, r) => s + r.length, 0);
  const threads = Number(args.threads ?? c.cpuCount());
  const rounds = Number(args.rounds ?? 2);
  const common = ['--threads', String(threads), '--iters', String(args.iters ?? 2), '--warmup', String(args.warmup ?? 1)];
  const env = c.ompEnv(args);
  const load = { start: c.loadAverage() };
  const machine = c.machineInfo();
  const base = (extra) => [
    path.join(__dirname, 'baselines', 'encoder_baseline.py'),
    '--model',
    DIR,
    '--rows',
    ROWS_FILE,
    '--batch',
    '32',
    ...common,
    ...extra,
  ];
  const runs = { ours: [], baseline: [] };
  const dumpOurs = path.join(c.WORK, 'encoder-ours.f32');
  const dumpBase = path.join(c.WORK, 'encoder-baseline.f32');
  for (let r = 0; r < rounds; r++) {
    const first = r === 0;
    process.stderr.write(`[encoder] round ${r + 1}/${rounds}: ours\n`);
    runs.ours.push(c.runJsonChild(process.execPath, [__filename, '--child', ...common, ...(first ? ['--dump', dumpOurs] : [])], { env }));
    process.stderr.write(`[encoder] round ${r + 1}/${rounds}: baseline\n`);
    runs.baseline.push(c.runJsonChild(c.PYTHON, base(first ? ['--dump', dumpBase] : []), { env }));
  }
  load.end = c.loadAverage();
  const f32 = (f) => {
    const b = fs.readFileSync(f);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const a = f32(dumpOurs);
  const b = f32(dumpBase);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  if (!(diff < 1e-4)) throw new Error(`ours and the baseline disagree (max abs diff ${diff}): not the same model`);
  const side = (k) => {
    const med = c.median(runs[k].flatMap((x) => x.seconds));
    const cpu = c.median(runs[k].flatMap((x) => x.cpuSeconds));
    return { medianSeconds: med, sentencesPerSecond: n / med, tokensPerSecond: tokens / med, cpuMsPerSentence: (cpu * 1000) / n };
  };
  const ours = side('ours');
  const baseline = side('baseline');
  const result = {
    benchmark: 'encoder',
    date: new Date().toISOString(),
    machine,
    loadAverage: load,
    threads,
    texts: n,
    tokens,
    model: 'all-MiniLM-L6-v2 shape, random weights, float32, mean pooling + Normalize',
    embeddingsMaxAbsDiff: diff,
    protocol: `${rounds} rounds × (ours, baseline) child processes, each ${args.warmup ?? 1} warm-up + ${args.iters ?? 2} timed passes over all texts; medians`,
    ours,
    baseline,
    ratio: ours.sentencesPerSecond / baseline.sentencesPerSecond,
    baselineRuntime: runs.baseline[0].runtime,
    target: 'ours >= baseline (ratio >= 1.0)',
  };
  const md = [
    '# encoder: all-MiniLM-L6-v2-shaped random BERT, CPU float32',
    '',
    result.date,
    '',
    c.machineMarkdown(machine, load),
    `- threads: ${threads} on both sides`,
    c.baselineRuntimeMarkdown(result.baselineRuntime),
    `- protocol: ${result.protocol}`,
    `- ${n} texts, ${tokens} tokens (16–128 each), length-sorted batches of 32 on both sides; same weights: max |ours − baseline| = ${diff.toExponential(2)}`,
    '',
    '| side | sentences/s | tokens/s | CPU ms/sentence |',
    '|---|---:|---:|---:|',
    `| ours | ${c.round(ours.sentencesPerSecond)} | ${c.round(ours.tokensPerSecond)} | ${c.round(ours.cpuMsPerSentence, 2)} |`,
    `| baseline | ${c.round(baseline.sentencesPerSecond)} | ${c.round(baseline.tokensPerSecond)} | ${c.round(baseline.cpuMsPerSentence, 2)} |`,
    '',
    `Ratio ours / baseline: ${c.round(result.ratio, 2)}×. Target: ${result.target}.`,
  ].join('\n');
  c.writeResults('encoder', result, md);
  process.stdout.write(
    `encoder: ours ${c.round(ours.sentencesPerSecond)} sentences/s, baseline ${c.round(baseline.sentencesPerSecond)} sentences/s, ratio ${c.round(result.ratio, 2)}×\n`,
  );
}

(args.child ? child() : parent()).catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
