/** Experiments end to end: YAML → plan (DAG of content-addressed steps) → cached, resumable run → report. */
export { EXPERIMENT_DEFAULTS } from './defaults';
export { experimentSchema, taskName, type Experiment, type ExperimentInput } from './schema';
export { loadExperiment, parseExperimentText, resolveModelDir, type LoadedExperiment, type ResolvedModel } from './load';
export { buildPlan, selectSteps } from './plan';
export { STEP_KINDS, type Plan, type Step, type StepKind, type StepCoords } from './step';
export { runPlan, type RunOptions, type RunSummary, type StepEvent, type StepStatus } from './runner';
export { StepStore, type StepRecord } from './store';
export { evaluatedModelDir, type StepExecutor, type StepContext, type ExecutorRegistry, type StepResult } from './executor';
export { defaultExecutors, proxiesExecutor, reportExecutor } from './executors';
export { fakeExecutors, type FakeOptions } from './fake-executors';
export { emitSlurm } from './slurm';
export { matchesAny, globToRegExp } from './glob';
export { stableStringify, hashValue, softwareVersion } from './hash';
