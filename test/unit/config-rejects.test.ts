/** parseConfig rejects what it cannot build: unsupported configs and malformed ones, each with a coded error naming the field. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { parseConfig } from '../../lib/model/config';
import { readSharedConfig, type SharedModel } from '../helpers/shared';

function expectConfigError(fn: () => unknown, code: 'ERR_CONFIG_INVALID' | 'ERR_UNSUPPORTED_CONFIG', fieldName: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a ConfigError').toBeInstanceOf(ConfigError);
  const e = caught as ConfigError;
  expect(e.code).toBe(code);
  expect(e.message).toContain(fieldName);
  expect(e.details['field']).toBe(fieldName);
}

describe('parseConfig: unsupported configs → ERR_UNSUPPORTED_CONFIG naming the field', () => {
  const cases: Array<[string, SharedModel, (c: Record<string, unknown>) => void, string]> = [
    [
      'other architecture',
      'meta-llama--Llama-3.2-1B',
      (c) => {
        c['architectures'] = ['MistralForCausalLM'];
        c['model_type'] = 'mistral';
      },
      'architectures',
    ],
    [
      'model_type contradicts architectures',
      'Qwen--Qwen2.5-0.5B',
      (c) => {
        c['model_type'] = 'llama';
      },
      'model_type',
    ],
    [
      'unknown model_type without architectures',
      'Qwen--Qwen2.5-0.5B',
      (c) => {
        delete c['architectures'];
        c['model_type'] = 'gemma';
      },
      'model_type',
    ],
    [
      'rope_type yarn',
      'meta-llama--Llama-3.2-1B',
      (c) => {
        c['rope_scaling'] = { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 8192 };
      },
      'rope_scaling.rope_type',
    ],
    [
      'legacy type dynamic',
      'Qwen--Qwen2.5-0.5B',
      (c) => {
        c['rope_scaling'] = { type: 'dynamic', factor: 2 };
      },
      'rope_scaling.type',
    ],
    [
      'rope_parameters longrope',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['rope_parameters'] = { rope_type: 'longrope', rope_theta: 1e6 };
        delete c['rope_theta'];
      },
      'rope_parameters.rope_type',
    ],
    [
      'per-layer-type rope_parameters',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['rope_parameters'] = { full_attention: { rope_type: 'default', rope_theta: 1e6 } };
      },
      'rope_parameters.full_attention',
    ],
    [
      'hidden_act not in the list',
      'meta-llama--Llama-3.2-1B',
      (c) => {
        c['hidden_act'] = 'quick_gelu';
      },
      'hidden_act',
    ],
    [
      'NeoX hidden_act not in the list',
      'EleutherAI--pythia-70m',
      (c) => {
        c['hidden_act'] = 'gelu_10';
      },
      'hidden_act',
    ],
    [
      'heads not divisible by kv heads',
      'Qwen--Qwen2.5-0.5B',
      (c) => {
        c['num_key_value_heads'] = 3;
      },
      'num_key_value_heads',
    ],
    [
      'Qwen2 sliding window',
      'Qwen--Qwen2.5-0.5B',
      (c) => {
        c['use_sliding_window'] = true;
      },
      'use_sliding_window',
    ],
    [
      'Qwen3 sliding window',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['use_sliding_window'] = true;
        c['sliding_window'] = 4096;
      },
      'use_sliding_window',
    ],
    [
      'sliding layer type',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['layer_types'] = Array.from({ length: 28 }, (_, i) => (i === 1 ? 'sliding_attention' : 'full_attention'));
      },
      'layer_types.1',
    ],
    [
      'mrope',
      'Qwen--Qwen2.5-0.5B',
      (c) => {
        c['use_mrope'] = true;
      },
      'use_mrope',
    ],
    [
      'odd rotary dims',
      'EleutherAI--pythia-70m',
      (c) => {
        c['rotary_pct'] = 0.3;
      },
      'rotary_pct',
    ], // int(64*0.3) = 19
    [
      'partial rotary outside NeoX',
      'meta-llama--Llama-3.2-1B',
      (c) => {
        c['partial_rotary_factor'] = 0.5;
      },
      'partial_rotary_factor',
    ],
  ];
  for (const [what, model, mutate, fieldName] of cases) {
    it(what, () => {
      const c = readSharedConfig(model);
      mutate(c);
      expectConfigError(() => parseConfig(c), 'ERR_UNSUPPORTED_CONFIG', fieldName);
    });
  }
});

describe('parseConfig: malformed configs → ERR_CONFIG_INVALID naming the field', () => {
  const cases: Array<[string, SharedModel, (c: Record<string, unknown>) => void, string]> = [
    [
      'missing hidden_size',
      'EleutherAI--pythia-70m',
      (c) => {
        delete c['hidden_size'];
      },
      'hidden_size',
    ],
    [
      'negative hidden_size',
      'meta-llama--Llama-3.2-1B',
      (c) => {
        c['hidden_size'] = -2048;
      },
      'hidden_size',
    ],
    [
      'non-integer layers',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['num_hidden_layers'] = 2.5;
      },
      'num_hidden_layers',
    ],
    [
      'vocab_size as string',
      'EleutherAI--pythia-70m',
      (c) => {
        c['vocab_size'] = '50304';
      },
      'vocab_size',
    ],
    [
      'tie_word_embeddings not boolean',
      'Qwen--Qwen2.5-0.5B',
      (c) => {
        c['tie_word_embeddings'] = 'yes';
      },
      'tie_word_embeddings',
    ],
    [
      'negative eos id in a list',
      'meta-llama--Llama-3.2-1B',
      (c) => {
        c['eos_token_id'] = [-1];
      },
      'eos_token_id.0',
    ],
    [
      'llama3 scaling without factor',
      'meta-llama--Llama-3.2-1B',
      (c) => {
        delete (c['rope_scaling'] as Record<string, unknown>)['factor'];
      },
      'rope_scaling.factor',
    ],
    [
      'rope_parameters.rope_theta negative',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['rope_parameters'] = { rope_type: 'default', rope_theta: -5 };
        delete c['rope_theta'];
      },
      'rope_parameters.rope_theta',
    ],
    [
      'rope_theta contradicts rope_parameters',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['rope_parameters'] = { rope_type: 'default', rope_theta: 10000 };
      },
      'rope_theta',
    ],
    [
      'hidden not divisible by heads (NeoX)',
      'EleutherAI--pythia-70m',
      (c) => {
        c['hidden_size'] = 500;
      },
      'hidden_size',
    ],
    [
      'empty architectures',
      'EleutherAI--pythia-70m',
      (c) => {
        c['architectures'] = [];
      },
      'architectures',
    ],
    [
      'layer_types of the wrong length',
      'Qwen--Qwen3-0.6B',
      (c) => {
        c['layer_types'] = ['full_attention'];
      },
      'layer_types',
    ],
  ];
  for (const [what, model, mutate, fieldName] of cases) {
    it(what, () => {
      const c = readSharedConfig(model);
      mutate(c);
      expectConfigError(() => parseConfig(c), 'ERR_CONFIG_INVALID', fieldName);
    });
  }
  it('the field path reaches into lists', () => {
    const c = readSharedConfig('meta-llama--Llama-3.2-1B');
    c['eos_token_id'] = [128001, -1];
    expectConfigError(() => parseConfig(c), 'ERR_CONFIG_INVALID', 'eos_token_id.1');
  });
  it('non-objects are rejected', () => {
    for (const bad of [null, 42, 'config', [1, 2]]) expectConfigError(() => parseConfig(bad), 'ERR_CONFIG_INVALID', '(root)');
  });
});
