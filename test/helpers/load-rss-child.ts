/**
 * Child process for the loading-memory test: loads the native addon and MODEL_DIR once (what only a
 * first load pays is not loading's), resets the peak resident set, loads MODEL_DIR in DTYPE again, and prints one
 * JSON line: { rssBeforeKiB, peakKiB, reset } (VmRSS before, VmHWM after; reset false where the
 * kernel refused to reset VmHWM, and then peakKiB means nothing).
 * Usage: node load-rss-child.js MODEL_DIR DTYPE. Bundled to JavaScript by the test with esbuild.
 */
import * as fs from 'node:fs';
import { Model } from '../../lib/model/model';
import { loadNative } from '../../lib/native/loader';

function statusKiB(field: string): number {
  const m = new RegExp(`${field}:\\s*(\\d+)\\s*kB`).exec(fs.readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error(`no ${field} in /proc/self/status`);
  return Number(m[1]);
}

async function main() {
  const [dir, dtype] = process.argv.slice(2);
  loadNative();
  // A first load and dispose pays what only the first load in a process pays (libtorch's thread
  // pools and allocator state, lazily loaded JS modules): the measured load is loading alone.
  (await Model.load(dir!, { dtype: dtype as 'float32' | 'bfloat16', threads: 1 })).dispose();
  const rssBeforeKiB = statusKiB('VmRSS');
  let reset = true;
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    reset = false;
  }
  const model = await Model.load(dir!, { dtype: dtype as 'float32' | 'bfloat16', threads: 1 });
  const peakKiB = statusKiB('VmHWM');
  model.dispose();
  process.stdout.write(`${JSON.stringify({ rssBeforeKiB, peakKiB, reset })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err?.code ?? ''} ${err?.message ?? err}\n`);
  process.exit(1);
});
