/**
 * A random-weight model whose cost is its 50k-token output layer: Pythia's tokenizer and vocabulary
 * (50304 rows) on a 1-layer, 64-wide body, so a decode step is dominated by the LM head and the
 * sampler. Shared by bench/sampler.js and scripts/batch-invariance.js.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { WORK, CONFIG_DIR, TOKENIZER_DIR, lib } = require('./common');

const DIR = path.join(WORK, 'pythia-vocab50k-w64');

async function ensureVocabModel() {
  const stamp = path.join(DIR, '.complete');
  if (fs.existsSync(stamp)) return DIR;
  const configJson = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, 'config.json'), 'utf8'));
  Object.assign(configJson, { hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 256 });
  await lib().initRandomModel({ configJson, outDir: DIR, seed: 4321, dtype: 'float32', tokenizerDir: TOKENIZER_DIR });
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  return DIR;
}

module.exports = { ensureVocabModel };
