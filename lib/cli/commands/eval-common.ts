/** Options and helpers shared by the evaluation commands (eval, perplexity, extract). */
import type { Argv } from 'yargs';
import { Model } from '../../model/model';
import type { DtypeRequest } from '../../model/resolve-dtype';
import type { DeviceName } from '../../native/types';
import { writeFileAtomic } from '../../io/atomic';
import { formatDuration } from '../../util/duration';
import { Screen } from '../../util/screen';
import { dtypeOption } from '../dtype-option';

export interface ModelArgs {
  model: string;
  dtype: DtypeRequest;
  device: string;
  threads?: number;
}

export function modelOptions<T>(y: Argv<T>) {
  return y
    .option('dtype', dtypeOption)
    .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda or cuda:N' })
    .option('threads', { type: 'number', describe: 'CPU threads (default: all cores)' });
}

export function loadModel(a: ModelArgs): Promise<Model> {
  return Model.load(a.model, { dtype: a.dtype, device: a.device as DeviceName, threads: a.threads });
}

/** "done/total" progress on a TTY's stderr; silent in scripts and with --json. */
export function progress(label: string, quiet: boolean): ((done: number, total: number) => void) | undefined {
  if (quiet || !process.stderr.isTTY) return undefined;
  const t0 = Date.now();
  const screen = new Screen(true);
  return (done, total) => {
    const s = (Date.now() - t0) / 1000;
    const rate = done / Math.max(s, 1e-9);
    const eta = rate > 0 ? (total - done) / rate : null;
    if (done === total) screen.clear();
    else screen.status(`${label} ${done}/${total}  ${rate.toFixed(1)}/s  ETA ${formatDuration(eta)}`);
  };
}

export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

export function fmt(x: number | null, digits = 4): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);
}
