/** `resurface init-random --config PATH --out DIR [--seed N] [--dtype float32] [--tiny] [--tokenizer DIR]` */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { ArgumentError, ConfigError } from '../../errors';
import { initRandomModel } from '../../model/init-random';
import { printJson, runCommand } from '../run-command';

export const command = 'init-random';
export const describe = 'Write a random-weight model in Hugging Face layout from a config.json';

export function builder(y: Argv) {
  return y
    .option('config', { type: 'string', demandOption: true, describe: 'config.json, or a directory holding one' })
    .option('out', { type: 'string', demandOption: true, describe: 'output model directory' })
    .option('seed', { type: 'number', default: 0 })
    .option('dtype', { choices: ['float32', 'bfloat16', 'float16'] as const, default: 'float32' as const })
    .option('tiny', { type: 'boolean', default: false, describe: 'shrink width/depth, keeping every architectural feature' })
    .option('tokenizer', { type: 'string', describe: 'directory with tokenizer.json (+ tokenizer_config.json) to copy' })
    .option('json', { type: 'boolean', default: false });
}

export async function handler(argv: {
  config: string;
  out: string;
  seed: number;
  dtype: 'float32' | 'bfloat16' | 'float16';
  tiny: boolean;
  tokenizer?: string;
  json: boolean;
}) {
  await runCommand(async () => {
    const configPath =
      fs.existsSync(argv.config) && fs.statSync(argv.config).isDirectory() ? path.join(argv.config, 'config.json') : argv.config;
    if (!fs.existsSync(configPath)) throw new ArgumentError(`--config: ${configPath} does not exist`);
    let configJson: Record<string, unknown>;
    try {
      configJson = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    } catch (err) {
      throw new ConfigError('ERR_CONFIG_INVALID', `${configPath}: not valid JSON: ${(err as Error).message}`);
    }
    const result = await initRandomModel({
      configJson,
      outDir: argv.out,
      seed: argv.seed,
      dtype: argv.dtype,
      tiny: argv.tiny,
      tokenizerDir: argv.tokenizer,
    });
    if (argv.json)
      printJson({
        outDir: result.outDir,
        parameterCount: result.parameterCount,
        files: result.files,
        architecture: result.spec.architecture,
      });
    else
      process.stdout.write(
        `wrote ${result.spec.architecture} with ${result.parameterCount.toLocaleString('en-US')} parameters to ${result.outDir}\n`,
      );
  });
}
