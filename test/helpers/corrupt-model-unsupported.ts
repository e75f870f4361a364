/** Model cases with a well-formed config.json that resurface does not support, or that does not describe the weights (for corrupt-models.ts). */
import type { CaseBuilder } from './corrupt-model-base';

/** Architectures, rope scalings, activations… we do not support, and configs that disagree with the weights. */
export function unsupportedConfigCases(builder: CaseBuilder): void {
  const { bases, all, configCase } = builder;
  // --- config.json: well-formed but unsupported
  for (const arch of [
    'MistralForCausalLM',
    'GPT2LMHeadModel',
    'Qwen2MoeForCausalLM',
    'LlamaForSequenceClassification',
    'GemmaForCausalLM',
    'Qwen3MoeForCausalLM',
  ]) {
    configCase(
      bases.llama,
      `architectures = ["${arch}"]`,
      'ERR_UNSUPPORTED_CONFIG',
      (c) => {
        c.architectures = [arch];
        delete c.model_type;
      },
      'architectures',
    );
  }
  configCase(
    bases.llama,
    'model_type "mistral" without architectures',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      delete c.architectures;
      c.model_type = 'mistral';
    },
    'model_type',
  );
  configCase(
    bases.llama,
    'model_type contradicts architectures',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.model_type = 'qwen2';
    },
    'model_type',
  );
  for (const [bn, key, dict] of [
    ['llama', 'rope_scaling', { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 }],
    ['llama', 'rope_scaling', { type: 'dynamic', factor: 2 }],
    ['qwen2', 'rope_scaling', { rope_type: 'dynamic', factor: 2 }],
    ['qwen3', 'rope_scaling', { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 }],
    ['qwen3', 'rope_scaling', { rope_type: 'longrope', short_factor: [1], long_factor: [1] }],
    ['llama', 'rope_scaling', { rope_type: 'su', factor: 2 }],
    ['neox', 'rope_scaling', { rope_type: 'dynamic', factor: 2 }],
    ['qwen3', 'rope_parameters', { rope_type: 'yarn', rope_theta: 1e6, factor: 4 }],
    ['neox', 'rope_parameters', { rope_type: 'dynamic', rope_theta: 10000, factor: 2, partial_rotary_factor: 0.25 }],
  ] as const) {
    const typeField = 'type' in dict ? 'type' : 'rope_type';
    configCase(
      bases[bn],
      `${key} ${dict[typeField as keyof typeof dict]}`,
      'ERR_UNSUPPORTED_CONFIG',
      (c) => {
        if (key === 'rope_parameters') {
          delete c.rope_scaling;
          delete c.rope_theta;
          delete c.rotary_pct;
          delete c.rotary_emb_base;
        }
        c[key] = dict;
      },
      `${key}.${typeField}`,
    );
  }
  configCase(
    bases.llama,
    'llama3 rope_scaling without low_freq_factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      delete c.rope_scaling.low_freq_factor;
    },
    'rope_scaling.low_freq_factor',
  );
  configCase(
    bases.llama,
    'llama3 rope_scaling with high_freq_factor <= low_freq_factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.rope_scaling.high_freq_factor = 1;
    },
    'rope_scaling.high_freq_factor',
  );
  configCase(
    bases.llama,
    'linear rope_scaling without factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.rope_scaling = { rope_type: 'linear' };
    },
    'rope_scaling.factor',
  );
  configCase(
    bases.qwen2,
    'use_sliding_window true',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.use_sliding_window = true;
    },
    'use_sliding_window',
  );
  configCase(
    bases.qwen3,
    'use_sliding_window true',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.use_sliding_window = true;
      c.sliding_window = 16;
    },
    'use_sliding_window',
  );
  configCase(
    bases.qwen2,
    'use_mrope true',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.use_mrope = true;
    },
    'use_mrope',
  );
  configCase(
    bases.qwen3,
    'layer_types with sliding_attention',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.layer_types = ['full_attention', 'sliding_attention'];
    },
    'layer_types',
  );
  configCase(
    bases.qwen3,
    'layer_types of the wrong length',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.layer_types = ['full_attention'];
    },
    'layer_types',
  );
  configCase(
    bases.llama,
    'num_key_value_heads 3 does not divide 8 heads',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.num_key_value_heads = 3;
    },
    'num_key_value_heads',
  );
  configCase(
    bases.qwen3,
    'num_key_value_heads 3 does not divide 4 heads',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.num_key_value_heads = 3;
    },
    'num_key_value_heads',
  );
  configCase(
    bases.qwen2,
    'num_key_value_heads 4 does not divide 14 heads',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.num_key_value_heads = 4;
    },
    'num_key_value_heads',
  );
  configCase(
    bases.neox,
    'rotary_pct 0.1875 gives 3 (odd) rotary dims',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.rotary_pct = 0.1875;
    },
    'rotary_pct',
  );
  configCase(
    bases.neox,
    'rotary_pct 0.05 gives 0 rotary dims',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.rotary_pct = 0.05;
    },
    'rotary_pct',
  );
  configCase(
    bases.neox,
    'partial_rotary_factor 0.3125 gives 5 rotary dims',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      delete c.rotary_pct;
      c.partial_rotary_factor = 0.3125;
    },
    'partial_rotary_factor',
  );
  configCase(
    bases.neox,
    'rotary_pct contradicts rope_parameters.partial_rotary_factor',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.rope_parameters = { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.5 };
    },
    'rotary_pct',
  );
  configCase(
    bases.llama,
    'partial_rotary_factor 0.5 outside NeoX',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.partial_rotary_factor = 0.5;
    },
    'partial_rotary_factor',
  );
  configCase(
    bases.neox,
    'hidden_size 64 not divisible by 5 heads',
    'ERR_CONFIG_INVALID',
    (c) => {
      c.num_attention_heads = 5;
    },
    'hidden_size',
  );
  configCase(
    bases.qwen3,
    'odd head_dim 33',
    'ERR_UNSUPPORTED_CONFIG',
    (c) => {
      c.head_dim = 33;
    },
    'head_dim',
  );
  for (const act of ['swiglu', 'gelu_10', 'tanh']) {
    configCase(
      bases.qwen2,
      `hidden_act ${act}`,
      'ERR_UNSUPPORTED_CONFIG',
      (c) => {
        c.hidden_act = act;
      },
      'hidden_act',
    );
  }

  // --- config.json valid, but it does not describe these weights
  configCase(bases.neox, 'hidden_size 128 (weights are 64)', 'ERR_TENSOR_SHAPE', (c) => {
    c.hidden_size = 128;
  });
  configCase(bases.llama, 'vocab_size 65', 'ERR_TENSOR_SHAPE', (c) => {
    c.vocab_size = 65;
  });
  configCase(bases.qwen2, 'intermediate_size + 8', 'ERR_TENSOR_SHAPE', (c) => {
    c.intermediate_size += 8;
  });
  configCase(bases.qwen3, 'num_key_value_heads 4 (weights have 2)', 'ERR_TENSOR_SHAPE', (c) => {
    c.num_key_value_heads = 4;
  });
  configCase(bases.qwen3, 'head_dim 16 (weights have 32)', 'ERR_TENSOR_SHAPE', (c) => {
    c.head_dim = 16;
  });
  for (const b of all) {
    configCase(b, 'num_hidden_layers 3 (weights have 2)', 'ERR_MISSING_TENSOR', (c) => {
      c.num_hidden_layers = 3;
    });
    configCase(b, 'num_hidden_layers 1 (weights have 2)', 'ERR_UNEXPECTED_TENSOR', (c) => {
      c.num_hidden_layers = 1;
    });
  }
  configCase(bases.llama, 'tie_word_embeddings false, no lm_head stored', 'ERR_MISSING_TENSOR', (c) => {
    c.tie_word_embeddings = false;
  });
  configCase(bases.neox, 'tie_word_embeddings true, embed_out stored anyway', 'ok', (c) => {
    c.tie_word_embeddings = true;
  });
  configCase(bases.neox, 'attention_bias false, biases stored', 'ERR_UNEXPECTED_TENSOR', (c) => {
    c.attention_bias = false;
  });
  configCase(bases.llama, 'attention_bias true, no biases stored', 'ERR_MISSING_TENSOR', (c) => {
    c.attention_bias = true;
  });
  configCase(bases.llama, 'mlp_bias true, no biases stored', 'ERR_MISSING_TENSOR', (c) => {
    c.mlp_bias = true;
  });
  configCase(bases.qwen2, 'Qwen2 weights under a Qwen3 config', 'ERR_MISSING_TENSOR', (c) => {
    c.architectures = ['Qwen3ForCausalLM'];
    c.model_type = 'qwen3';
    c.head_dim = c.hidden_size / c.num_attention_heads;
  });
  configCase(bases.llama, 'Llama weights under a NeoX config', 'ERR_MISSING_TENSOR', (c) => {
    c.architectures = ['GPTNeoXForCausalLM'];
    c.model_type = 'gpt_neox';
  });
}
