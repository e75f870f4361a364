/**
 * Child process for the kill-and-resume test of the real executors: runs (or resumes) an
 * experiment with the default executors. Usage: node experiment-real-child.js EXPERIMENT.yaml RUN_DIR
 * Bundled to JavaScript by the test with esbuild.
 */
import { runExperiment } from '../../lib/experiment/run-experiment';

async function main() {
  const [file, out] = process.argv.slice(2);
  const r = await runExperiment({ file, out, resume: true });
  if (r.mode === 'run') process.stdout.write(JSON.stringify(r.summary.counts) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${err?.code ?? ''} ${err?.message ?? err}\n`);
  process.exit(1);
});
