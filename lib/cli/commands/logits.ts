/** `resurface logits --model DIR --tokens 0,17,42 [--tokens ...] [--dtype float32] --json` */
import type { Argv } from 'yargs';
import { Model } from '../../model/model';
import type { DtypeRequest } from '../../model/resolve-dtype';
import { dtypeOption } from '../dtype-option';
import { parseIdList, runCommand } from '../run-command';

export const command = 'logits';
export const describe = 'Print the logits of token id sequences (right-padded batch) as JSON';

export function builder(y: Argv) {
  return y
    .option('model', { type: 'string', demandOption: true, describe: 'Hugging Face model directory' })
    .option('tokens', { type: 'string', array: true, demandOption: true, describe: 'comma-separated token ids; repeat for a batch' })
    .option('dtype', dtypeOption)
    .option('device', { type: 'string', default: 'cpu' })
    .option('threads', { type: 'number' })
    .option('json', { type: 'boolean', default: true, describe: 'print {"shape":[B,T,V],"logits":[[[...]]]} on stdout' });
}

export async function handler(argv: { model: string; tokens: string[]; dtype: DtypeRequest; device: string; threads?: number }) {
  await runCommand(async () => {
    const batch = argv.tokens.map((t, i) => parseIdList(t, `--tokens #${i + 1}`));
    const model = await Model.load(argv.model, { dtype: argv.dtype, device: argv.device as 'cpu', threads: argv.threads });
    try {
      const { logits, shape } = await model.forward(batch);
      process.stdout.write(nestedJson(logits, shape));
    } finally {
      model.dispose();
    }
  });
}

/** {"shape":[B,T,V],"logits":[[[...]]]} built as one string (fast for large vocabularies). */
function nestedJson(data: Float32Array, [B, T, V]: [number, number, number]): string {
  const rows: string[] = [];
  for (let b = 0; b < B; b++) {
    const steps: string[] = [];
    for (let t = 0; t < T; t++) {
      const off = (b * T + t) * V;
      const vals = new Array<string>(V);
      for (let v = 0; v < V; v++) vals[v] = String(data[off + v]);
      steps.push(`[${vals.join(',')}]`);
    }
    rows.push(`[${steps.join(',')}]`);
  }
  return `{"shape":[${B},${T},${V}],"logits":[${rows.join(',')}]}\n`;
}
