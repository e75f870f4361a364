/**
 * Deterministic corpus of broken or mutated MODEL directories (config.json + weights), for
 * test/unit/model-bad-input.test.ts. Raw safetensors corruption is covered separately by
 * corrupt-safetensors.ts; here every case is a whole directory handed to Model.load.
 *
 * Four tiny base models (corrupt-model-base.ts) are built synchronously from the vendored configs;
 * each case copies one, applies one mutation and states the ResurfaceError code Model.load must
 * reject with — or 'ok' for the controls that must load (ignored buffers, tied heads stored anyway,
 * F64 weights…). The families of cases live one per file: weights, config fields, unsupported
 * configs, config text, files.
 */
import { caseBuilder, type BaseModel, type BaseName, type ModelCase } from './corrupt-model-base';
import { configFieldCases, configTextCases } from './corrupt-model-configs';
import { fileCases } from './corrupt-model-files';
import { unsupportedConfigCases } from './corrupt-model-unsupported';
import { weightCases } from './corrupt-model-weights';

export { makeBase, TINY_VOCAB, type BaseModel, type BaseName, type ModelCase } from './corrupt-model-base';

export function generateModelCases(bases: Record<BaseName, BaseModel>): ModelCase[] {
  const cases: ModelCase[] = [];
  const c = caseBuilder(bases, cases);
  weightCases(c);
  configFieldCases(c);
  unsupportedConfigCases(c);
  configTextCases(c);
  fileCases(c);
  return cases;
}
