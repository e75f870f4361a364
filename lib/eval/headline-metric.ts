/**
 * The metric a multiple-choice task is reported by, as lm-evaluation-harness results are read (the
 * Open LLM Leaderboard, the Pythia and Llama papers): the length-normalised `acc_norm` for ARC
 * (Easy, Challenge) and HellaSwag, whose choices differ much in length, plain `acc` elsewhere. Tasks
 * are known by their experiment name (the task file's base name: arc_easy, arc_challenge, hellaswag).
 */
export type HeadlineMetric = 'acc' | 'acc_norm';

const NORMALISED = /^(arc|hellaswag)($|[^a-z])/i;

export function headlineMetric(task: string): HeadlineMetric {
  return NORMALISED.test(task) ? 'acc_norm' : 'acc';
}
