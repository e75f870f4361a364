/**
 * Child process for kill-and-resume tests: runs an experiment with fake executors that sleep
 * `delayMs` per step. Usage: node experiment-child.js EXPERIMENT.yaml RUN_DIR DELAY_MS
 * Bundled to JavaScript by the test with esbuild.
 */
import { runExperiment } from '../../lib/experiment/run-experiment';
import { fakeExecutors } from '../../lib/experiment/fake-executors';

async function main() {
  const [file, out, delay] = process.argv.slice(2);
  const r = await runExperiment({ file, out, resume: true, executors: fakeExecutors({ delayMs: Number(delay) }) });
  if (r.mode === 'run') process.stdout.write(JSON.stringify(r.summary.counts) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err?.code ?? ''} ${err?.message ?? err}\n`);
  process.exit(1);
});
