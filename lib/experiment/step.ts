/** The steps of an experiment's plan (lib/experiment/plan.ts builds them) and the plan itself. */
import type { LoadedExperiment } from './load';

export const STEP_KINDS = [
  'sample',
  'merge',
  'audit',
  'retokenize',
  'subset',
  'natural',
  'train',
  'eval',
  'extract',
  'proxies',
  'report',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface StepCoords {
  student?: string;
  source?: string;
  temperature?: number;
  seed?: number;
  /** Index of the training subset (`subsets` in the experiment), when there are subsets. */
  subset?: number;
  /** 'base' (before self-training) or 'trained'. */
  stage?: 'base' | 'trained';
  /** The evaluated model for base evaluations. */
  model?: string;
  task?: string;
  extraction?: string;
  /** Evaluations of a trained run's checkpoint after this epoch (evaluation.checkpoints). */
  epoch?: number;
  /** Control runs: the student fine-tuned on natural text instead of a model's samples. */
  control?: 'forgetting';
}

export interface StepEstimate {
  tokens: number;
  flops: number;
  seconds: number;
}

export interface Step {
  id: string;
  kind: StepKind;
  key: string;
  deps: string[];
  /** role → id of the step whose output directory is that input (corpus, model). */
  inputs: Record<string, string>;
  /** role → model name (see plan.models). */
  models: Record<string, string>;
  /** Semantic settings (part of the key). */
  settings: Record<string, unknown>;
  /** Settings that do not change the output (batch sizes): not part of the key. */
  runtime: Record<string, unknown>;
  coords: StepCoords;
  estimate: StepEstimate;
  /** Needs a device slot (model forward/backward passes). */
  device: boolean;
  /** Outputs are cached by key (everything but the report). */
  cached: boolean;
}

export interface Plan {
  experiment: string;
  file: string;
  software: string;
  models: Record<string, { dir: string; family: string; recipe: string; tokenizer: string; exists: boolean; parameters: number | null }>;
  tasks: Record<string, string>;
  extraction: Record<string, string>;
  /** Extraction sets that are controls (never seen in pretraining): a sanity line, not held-out data. */
  extractionControls?: string[];
  statistics: LoadedExperiment['experiment']['statistics'];
  steps: Step[];
}

export interface PlanOptions {
  /** Version string of the executor of each kind (from the registry); part of every key. */
  executorVersions?: Partial<Record<StepKind, string>>;
  /** Device kind, for time estimates. */
  deviceKind?: 'cpu' | 'cuda';
}
