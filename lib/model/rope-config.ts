/**
 * RoPE settings from either config serialisation: transformers 4 (`rope_theta`, `rope_scaling`, NeoX
 * `rotary_emb_base` / `rotary_pct`) or transformers 5 (`rope_parameters`, `partial_rotary_factor`).
 * When both spellings of a value are present they must agree.
 */
import { z } from 'zod';
import type { RopeScaling } from './arch-spec';
import { agree, invalid, parseWith, posInt, posNum, unsupported } from './config-fields';

export const ropeDict = z.looseObject({
  rope_type: z.string().optional(),
  /** legacy spelling of rope_type in old llama configs */
  type: z.string().optional(),
  rope_theta: posNum.optional(),
  factor: posNum.optional(),
  low_freq_factor: posNum.optional(),
  high_freq_factor: posNum.optional(),
  original_max_position_embeddings: posInt.optional(),
  partial_rotary_factor: z.number().gt(0).lte(1).optional(),
});
export type RopeDict = z.infer<typeof ropeDict>;

export interface RopeResult {
  theta: number;
  scaling: RopeScaling | null;
  /** Fraction of head dims rotated (NeoX); undefined when not stated. */
  partialFactor: number | undefined;
}

/**
 * Collect RoPE settings from either serialisation.
 * Precedence is irrelevant when only one style is present; when both are, they must agree.
 */
export function parseRope(
  cfg: {
    rope_theta?: number;
    rope_scaling?: RopeDict | null;
    rope_parameters?: Record<string, unknown> | null;
    partial_rotary_factor?: number | null;
  },
  extra: { rotary_emb_base?: number; rotary_pct?: number },
  source: string,
): RopeResult {
  let params: RopeDict | undefined;
  if (cfg.rope_parameters) {
    const rp = cfg.rope_parameters;
    // transformers 5 models with several attention kinds nest one dict per layer type.
    const nested = Object.entries(rp).find(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
    if (nested) {
      throw unsupported(source, `rope_parameters.${nested[0]}`, 'per-layer-type RoPE parameters are not supported');
    }
    params = parseWith(ropeDict, rp, source, ['rope_parameters']);
  }
  const theta =
    agree<number>(source, [
      ['rope_parameters.rope_theta', params?.rope_theta],
      ['rope_theta', cfg.rope_theta],
      ['rotary_emb_base', extra.rotary_emb_base],
    ]) ?? 10000;
  const partialFactor = agree<number>(source, [
    ['rope_parameters.partial_rotary_factor', params?.partial_rotary_factor],
    ['partial_rotary_factor', cfg.partial_rotary_factor],
    ['rotary_pct', extra.rotary_pct],
  ]);

  // rope_parameters wins over the legacy rope_scaling dict; transformers 5 writes only the former.
  const scalingSrc: { dict: RopeDict; field: string } | null = params
    ? { dict: params, field: 'rope_parameters' }
    : cfg.rope_scaling
      ? { dict: cfg.rope_scaling, field: 'rope_scaling' }
      : null;
  let scaling: RopeScaling | null = null;
  if (scalingSrc) {
    const { dict, field } = scalingSrc;
    const typeField = dict.rope_type !== undefined ? 'rope_type' : 'type';
    const ropeType = dict.rope_type ?? dict.type ?? 'default';
    const need = <K extends keyof RopeDict>(k: K): NonNullable<RopeDict[K]> => {
      const v = dict[k];
      if (v === undefined || v === null) throw invalid(source, `${field}.${k}`, `required for rope_type "${ropeType}"`);
      return v as NonNullable<RopeDict[K]>;
    };
    switch (ropeType) {
      case 'default':
        break;
      case 'linear':
        scaling = { type: 'linear', factor: need('factor') };
        break;
      case 'llama3':
        scaling = {
          type: 'llama3',
          factor: need('factor'),
          lowFreqFactor: need('low_freq_factor'),
          highFreqFactor: need('high_freq_factor'),
          originalMaxPositionEmbeddings: need('original_max_position_embeddings'),
        };
        if (scaling.highFreqFactor <= scaling.lowFreqFactor) {
          throw invalid(source, `${field}.high_freq_factor`, 'must be greater than low_freq_factor');
        }
        break;
      default:
        throw unsupported(source, `${field}.${typeField}`, `"${ropeType}" is not supported (supported: default, linear, llama3)`);
    }
  }
  return { theta, scaling, partialFactor };
}
