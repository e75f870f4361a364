/**
 * The native loader reads every architecture switch as a required field: a field renamed or dropped
 * on the TypeScript side must be rejected (ERR_INVALID_ARGUMENT naming the field), never silently
 * replaced by a default that builds a different model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchSpec } from '../../lib/model/arch-spec';
import { parseConfig, readConfigJson } from '../../lib/model/config';
import { initRandomModel } from '../../lib/model/init-random';
import { buildLoadPlan } from '../../lib/model/load-plan';
import { shrinkConfig } from '../../lib/model/tiny';
import { openWeights } from '../../lib/io/safetensors-index';
import { loadNative } from '../../lib/native/loader';
import type { NativeLoadPlan } from '../../lib/native/types';
import { makeTmpDir, readSharedConfig, removeTmpDir } from '../helpers/shared';

// Every field arch_from_js (native/bindings/js_convert.cc) reads.
const NATIVE_FIELDS = [
  'family',
  'vocabSize',
  'hiddenSize',
  'intermediateSize',
  'numLayers',
  'numHeads',
  'numKvHeads',
  'headDim',
  'rotaryDim',
  'ropeTheta',
  'ropeScaling',
  'maxPositionEmbeddings',
  'norm',
  'normEps',
  'parallelResidual',
  'mlp',
  'activation',
  'qkvBias',
  'attnOutBias',
  'mlpBias',
  'qkNorm',
  'tieWordEmbeddings',
] as const satisfies readonly (keyof ArchSpec)[];

let root: string;
let spec: ArchSpec;
let plan: NativeLoadPlan;

beforeAll(async () => {
  root = makeTmpDir('resurface-arch-required-');
  const dir = `${root}/neox`;
  await initRandomModel({
    configJson: shrinkConfig(readSharedConfig('EleutherAI--pythia-70m'), { vocabSize: 128, maxPositionEmbeddings: 32 }),
    outDir: dir,
    seed: 1,
  });
  spec = parseConfig(readConfigJson(dir));
  plan = buildLoadPlan(spec, await openWeights(dir), dir);
});
afterAll(() => {
  if (root) removeTmpDir(root);
});

/** The native error of loading `arch` (null when it loads). */
async function loadError(arch: Record<string, unknown>): Promise<{ code?: string; message: string } | null> {
  const native = new (loadNative().NativeModel)();
  try {
    await native.load({ arch: arch as unknown as ArchSpec, plan, device: 'cpu', dtype: 'float32', threads: 1 });
    return null;
  } catch (err) {
    return err as { code?: string; message: string };
  } finally {
    native.dispose();
  }
}

describe('arch_from_js', () => {
  it('loads the full ArchSpec the TypeScript side sends', async () => {
    expect(await loadError({ ...spec })).toBeNull();
  });

  it.each(NATIVE_FIELDS)('rejects an ArchSpec without %s, naming the field', async (field) => {
    const arch: Record<string, unknown> = { ...spec };
    delete arch[field];
    const err = await loadError(arch);
    expect(err, `loaded without ${field}`).not.toBeNull();
    expect(err!.code).toBe('ERR_INVALID_ARGUMENT');
    expect(err!.message).toContain(`'${field}'`);
  });

  it('rejects a mistyped switch and an unknown norm', async () => {
    expect((await loadError({ ...spec, qkvBias: 1 }))?.message).toContain(`'qkvBias'`);
    const err = await loadError({ ...spec, norm: 'rms_norm' });
    expect(err?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(err?.message).toContain(`'norm'`);
  });

  it('requires the llama3 rope scaling band', async () => {
    const ropeScaling = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4 };
    const err = await loadError({ ...spec, ropeScaling });
    expect(err?.code).toBe('ERR_INVALID_ARGUMENT');
    expect(err?.message).toContain(`'originalMaxPositionEmbeddings'`);
  });
});
