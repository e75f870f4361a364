import { describe, expect, it } from 'vitest';
import type { ArchSpec } from '../../lib/model/arch-spec';
import { hfTensorKinds, hfTensorShapes, isIgnoredTensor, parameterCount, weightPlan } from '../../lib/model/architectures';
import { parseConfig } from '../../lib/model/config';
import { readSharedConfig, SHARED_MODELS, type SharedModel } from '../helpers/shared';

const spec = (m: SharedModel, patch: Record<string, unknown> = {}): ArchSpec => parseConfig({ ...readSharedConfig(m), ...patch });
const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

describe('parameter counts of the real configs', () => {
  it('pythia-70m: 70,426,624 (embed_out counted: not tied)', () => {
    // V=50304 H=512 F=2048 L=6, all biases:
    //   embed_in + embed_out      2 × 50304·512            = 51,511,296
    //   per layer: ln1+ln2        2 × 2·512                =      2,048
    //              qkv            3·512·512 + 3·512        =    787,968
    //              dense          512·512 + 512            =    262,656
    //              h_to_4h        2048·512 + 2048          =  1,050,624
    //              4h_to_h        512·2048 + 512           =  1,049,088
    //              layer total                             =  3,152,384  × 6 = 18,914,304
    //   final_layer_norm          2·512                    =      1,024
    //   total                                              = 70,426,624
    expect(parameterCount(spec('EleutherAI--pythia-70m'))).toBe(70_426_624);
  });
  it('Qwen2.5-0.5B: 494,032,768 (tied: lm_head not counted)', () => {
    // V=151936 H=896 F=4864 L=24 nh=14 nkv=2 hd=64; q/k/v biases only:
    //   embed                     151936·896               = 136,134,656
    //   per layer: norms          2·896                    =       1,792
    //              q              896·896 + 896            =     803,712
    //              k, v           2 × (128·896 + 128)      =     229,632
    //              o              896·896                  =     802,816
    //              gate,up,down   3·896·4864               =  13,074,432
    //              layer total                             =  14,912,384  × 24 = 357,897,216
    //   norm                      896
    //   total                                              = 494,032,768
    expect(parameterCount(spec('Qwen--Qwen2.5-0.5B'))).toBe(494_032_768);
  });
  it('Llama-3.2-1B: 1,235,814,400 (tied)', () => {
    // V=128256 H=2048 F=8192 L=16 nh=32 nkv=8 hd=64, no biases:
    //   embed                     128256·2048              = 262,668,288
    //   per layer: norms          2·2048                   =       4,096
    //              q, o           2 × 2048·2048            =   8,388,608
    //              k, v           2 × 512·2048             =   2,097,152
    //              gate,up,down   3·2048·8192              =  50,331,648
    //              layer total                             =  60,821,504  × 16 = 973,144,064
    //   norm                      2048
    //   total                                              = 1,235,814,400
    expect(parameterCount(spec('meta-llama--Llama-3.2-1B'))).toBe(1_235_814_400);
  });
  it('Qwen3-0.6B: 596,049,920 (tied; q/k norm; head_dim 128 ≠ 1024/16)', () => {
    // V=151936 H=1024 F=3072 L=28 nh=16 nkv=8 hd=128:
    //   embed 151936·1024 = 155,582,464
    //   per layer: norms 2048; q 2048·1024 = 2,097,152; k,v 2 × 1024·1024 = 2,097,152; o 1024·2048 = 2,097,152;
    //              q_norm+k_norm 256; mlp 3·1024·3072 = 9,437,184 → 15,730,944 × 28 = 440,466,432
    //   norm 1024 → total 596,049,920 (the model card's "0.44B non-embedding" is the 440,466,432 + 1024)
    expect(parameterCount(spec('Qwen--Qwen3-0.6B'))).toBe(596_049_920);
  });
});

describe('weight plans', () => {
  it('NeoX: names, shapes, ops, ignore patterns', () => {
    const s = spec('EleutherAI--pythia-70m');
    const plan = weightPlan(s);
    const byName = new Map(plan.slots.map((x) => [x.name, x]));
    expect(plan.slots[0]).toMatchObject({
      name: 'embed',
      shape: [50304, 512],
      sources: ['gpt_neox.embed_in.weight'],
      op: 'copy',
      kind: 'embedding',
    });
    expect(byName.get('layers.0.qkv.weight')).toMatchObject({
      shape: [1536, 512],
      op: 'neox_qkv',
      sources: ['gpt_neox.layers.0.attention.query_key_value.weight'],
      sourceShapes: [[1536, 512]],
      kind: 'linear_weight',
    });
    expect(byName.get('layers.5.qkv.bias')).toMatchObject({ shape: [1536], op: 'neox_qkv', kind: 'bias' });
    expect(byName.get('layers.0.ln1.bias')).toMatchObject({ sources: ['gpt_neox.layers.0.input_layernorm.bias'], kind: 'norm_bias' });
    expect(byName.get('layers.0.ln2.weight')?.sources).toEqual(['gpt_neox.layers.0.post_attention_layernorm.weight']);
    expect(byName.get('layers.0.o.weight')).toMatchObject({ shape: [512, 512], sources: ['gpt_neox.layers.0.attention.dense.weight'] });
    expect(byName.get('layers.0.up.weight')).toMatchObject({ shape: [2048, 512], sources: ['gpt_neox.layers.0.mlp.dense_h_to_4h.weight'] });
    expect(byName.get('layers.0.up.bias')?.shape).toEqual([2048]);
    expect(byName.get('layers.0.down.weight')).toMatchObject({
      shape: [512, 2048],
      sources: ['gpt_neox.layers.0.mlp.dense_4h_to_h.weight'],
    });
    expect(byName.get('final_norm.bias')?.sources).toEqual(['gpt_neox.final_layer_norm.bias']);
    expect(byName.get('lm_head')).toMatchObject({ shape: [50304, 512], sources: ['embed_out.weight'] });
    expect(plan.slots).toHaveLength(1 + 6 * 12 + 2 + 1);
    for (const buf of [
      'gpt_neox.layers.3.attention.bias',
      'gpt_neox.layers.3.attention.masked_bias',
      'gpt_neox.layers.0.attention.rotary_emb.inv_freq',
    ]) {
      expect(isIgnoredTensor(plan, buf), buf).toBe(true);
    }
    for (const p of hfTensorShapes(s).keys()) expect(isIgnoredTensor(plan, p), p).toBe(false);
  });

  it('NeoX tied: no lm_head slot, embed_out ignored', () => {
    const plan = weightPlan(spec('EleutherAI--pythia-70m', { tie_word_embeddings: true }));
    expect(plan.slots.some((x) => x.name === 'lm_head')).toBe(false);
    expect(isIgnoredTensor(plan, 'embed_out.weight')).toBe(true);
  });

  it('Qwen2: q|k|v concat with biases, no o bias, gate|up concat, tied', () => {
    const s = spec('Qwen--Qwen2.5-0.5B');
    const plan = weightPlan(s);
    const byName = new Map(plan.slots.map((x) => [x.name, x]));
    expect(byName.get('layers.2.qkv.weight')).toMatchObject({
      shape: [(14 + 2 * 2) * 64, 896],
      op: 'concat0',
      sources: [
        'model.layers.2.self_attn.q_proj.weight',
        'model.layers.2.self_attn.k_proj.weight',
        'model.layers.2.self_attn.v_proj.weight',
      ],
      sourceShapes: [
        [896, 896],
        [128, 896],
        [128, 896],
      ],
    });
    expect(byName.get('layers.2.qkv.bias')).toMatchObject({ shape: [1152], sourceShapes: [[896], [128], [128]] });
    expect(byName.has('layers.2.o.bias')).toBe(false);
    expect(byName.has('layers.2.q_norm.weight')).toBe(false);
    expect(byName.get('layers.2.up.weight')).toMatchObject({
      shape: [2 * 4864, 896],
      op: 'concat0',
      sources: ['model.layers.2.mlp.gate_proj.weight', 'model.layers.2.mlp.up_proj.weight'],
    });
    expect(byName.get('layers.2.down.weight')).toMatchObject({ shape: [896, 4864], sources: ['model.layers.2.mlp.down_proj.weight'] });
    expect(byName.has('layers.2.up.bias')).toBe(false);
    expect(byName.get('final_norm.weight')?.sources).toEqual(['model.norm.weight']);
    expect(byName.has('final_norm.bias')).toBe(false);
    expect(byName.has('lm_head')).toBe(false);
    expect(isIgnoredTensor(plan, 'lm_head.weight')).toBe(true);
    expect(isIgnoredTensor(plan, 'model.layers.0.self_attn.rotary_emb.inv_freq')).toBe(true);
    expect(isIgnoredTensor(plan, 'model.rotary_emb.inv_freq')).toBe(true);
  });

  it('Qwen3: q_norm/k_norm [hd]; o is [H, nh·hd] with hd ≠ H/nh', () => {
    const byName = new Map(weightPlan(spec('Qwen--Qwen3-0.6B')).slots.map((x) => [x.name, x]));
    expect(byName.get('layers.0.q_norm.weight')).toMatchObject({
      shape: [128],
      sources: ['model.layers.0.self_attn.q_norm.weight'],
      kind: 'norm_weight',
    });
    expect(byName.get('layers.0.k_norm.weight')?.shape).toEqual([128]);
    expect(byName.get('layers.0.qkv.weight')?.shape).toEqual([(16 + 16) * 128, 1024]);
    expect(byName.get('layers.0.o.weight')?.shape).toEqual([1024, 2048]);
    expect(byName.has('layers.0.qkv.bias')).toBe(false);
  });

  it('Llama untied with all biases: lm_head, o.bias, up.bias = gate.bias|up.bias', () => {
    const s = spec('meta-llama--Llama-3.2-1B', { tie_word_embeddings: false, attention_bias: true, mlp_bias: true });
    const plan = weightPlan(s);
    const byName = new Map(plan.slots.map((x) => [x.name, x]));
    expect(byName.get('lm_head')).toMatchObject({ shape: [128256, 2048], sources: ['lm_head.weight'] });
    expect(isIgnoredTensor(plan, 'lm_head.weight')).toBe(false);
    expect(byName.get('layers.1.o.bias')).toMatchObject({ shape: [2048], sources: ['model.layers.1.self_attn.o_proj.bias'] });
    expect(byName.get('layers.1.up.bias')).toMatchObject({
      shape: [16384],
      sources: ['model.layers.1.mlp.gate_proj.bias', 'model.layers.1.mlp.up_proj.bias'],
    });
    expect(byName.get('layers.1.down.bias')?.shape).toEqual([2048]);
  });

  for (const m of SHARED_MODELS) {
    it(`${m}: every slot's sources add up to its shape; names unique`, () => {
      const s = spec(m);
      const plan = weightPlan(s);
      const names = new Set<string>();
      for (const sl of plan.slots) {
        expect(names.has(sl.name)).toBe(false);
        names.add(sl.name);
        expect(sl.sources.length).toBe(sl.sourceShapes.length);
        expect(sl.sourceShapes.reduce((a, sh) => a + numel(sh), 0)).toBe(numel(sl.shape));
        if (sl.op === 'concat0') for (const sh of sl.sourceShapes) expect(sh.slice(1)).toEqual(sl.shape.slice(1));
      }
      const shapes = hfTensorShapes(s);
      const kinds = hfTensorKinds(s);
      expect([...shapes.values()].reduce((a, sh) => a + numel(sh), 0)).toBe(parameterCount(s));
      expect([...kinds.keys()]).toEqual([...shapes.keys()]);
    });
  }
});
