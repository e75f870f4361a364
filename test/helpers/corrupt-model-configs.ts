/** Model cases whose config.json is broken: required fields missing, wrong types and ranges, not a JSON object (for corrupt-models.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeSafetensors, writeModel, type BaseName, type CaseBuilder } from './corrupt-model-base';

/** Required fields missing, wrong types and ranges. */
export function configFieldCases(builder: CaseBuilder): void {
  const { bases, all, configCase } = builder;
  // --- config.json: missing required fields
  for (const b of all) {
    for (const f of ['vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads']) {
      configCase(b, `without ${f}`, 'ERR_CONFIG_INVALID', (c) => delete c[f], f);
    }
    configCase(
      b,
      'without architectures and model_type',
      'ERR_CONFIG_INVALID',
      (c) => {
        delete c.architectures;
        delete c.model_type;
      },
      'architectures',
    );
    configCase(b, 'without architectures (model_type names the family)', 'ok', (c) => delete c.architectures);
  }

  // --- config.json: wrong types and ranges
  const wrong: Array<[BaseName, string, unknown]> = [
    ['llama', 'hidden_size', '64'],
    ['neox', 'hidden_size', 64.5],
    ['qwen3', 'num_hidden_layers', 2.5],
    ['qwen2', 'num_attention_heads', 0],
    ['llama', 'vocab_size', -1],
    ['neox', 'vocab_size', null],
    ['qwen3', 'tie_word_embeddings', 'yes'],
    ['llama', 'rms_norm_eps', '1e-5'],
    ['neox', 'layer_norm_eps', 0],
    ['llama', 'rope_theta', -5],
    ['qwen2', 'eos_token_id', 'two'],
    ['qwen3', 'eos_token_id', [2, -1]],
    ['neox', 'use_parallel_residual', 'false'],
    ['neox', 'rotary_pct', 0],
    ['neox', 'rotary_pct', 1.5],
    ['neox', 'attention_bias', 1],
    ['llama', 'initializer_range', -0.02],
    ['llama', 'num_key_value_heads', 0],
    ['qwen3', 'head_dim', 0],
    ['qwen3', 'head_dim', 'big'],
    ['qwen2', 'max_position_embeddings', 0],
    ['llama', 'rope_scaling', 'llama3'],
    ['qwen3', 'rope_parameters', [1, 2]],
    ['llama', 'mlp_bias', 'no'],
    ['qwen2', 'use_sliding_window', 'true'],
    ['qwen3', 'layer_types', 'full_attention'],
    ['neox', 'hidden_act', 5],
    ['llama', 'bos_token_id', 1.5],
  ];
  for (const [bn, field, value] of wrong) {
    configCase(
      bases[bn],
      `${field} = ${JSON.stringify(value)}`,
      'ERR_CONFIG_INVALID',
      (c) => {
        c[field] = value;
      },
      field,
    );
  }
  configCase(
    bases.llama,
    'architectures is a string',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.architectures = 'LlamaForCausalLM';
    },
    'architectures',
  );
  configCase(
    bases.llama,
    'architectures = []',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.architectures = [];
    },
    'architectures',
  );
  configCase(
    bases.qwen3,
    'architectures = [5]',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.architectures = [5];
    },
    'architectures',
  );
  configCase(
    bases.qwen2,
    'model_type = 7',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.model_type = 7;
    },
    'model_type',
  );
}

/** config.json that is not a JSON object (or not a file). */
export function configTextCases(builder: CaseBuilder): void {
  const { bases, add } = builder;
  // --- config.json: not a JSON object
  const badText: Array<[string, string]> = [
    ['empty file', ''],
    ['whitespace only', ' \n\t '],
    ['truncated JSON', '{"architectures": ["LlamaForCausalLM"], "hidden_size": 6'],
    ['trailing comma', '{"vocab_size": 64,}'],
    ['single quotes', "{'vocab_size': 64}"],
    ['NaN literal', '{"vocab_size": NaN}'],
    ['not JSON at all', 'this is not a config'],
    ['UTF-8 BOM', '\uFEFF{"architectures": ["LlamaForCausalLM"]}'],
    ['array', '[1, 2, 3]'],
    ['null', 'null'],
    ['number', '42'],
    ['string', '"LlamaForCausalLM"'],
    ['binary garbage', '\u0000\u0001\u0002\u00ff'],
  ];
  for (const [name, text] of badText) {
    add({ name: `llama: config.json ${name}`, expect: 'ERR_CONFIG_INVALID', build: (dir) => writeModel(dir, text, bases.llama.tensors) });
  }
  add({
    name: 'qwen3: config.json is a directory',
    expect: 'ERR_IO',
    build: (dir) => {
      fs.mkdirSync(path.join(dir, 'config.json'));
      fs.writeFileSync(path.join(dir, 'model.safetensors'), encodeSafetensors(bases.qwen3.tensors));
      return dir;
    },
  });
}
