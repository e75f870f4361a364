/** The `resurface` command line. Each command lives in its own file under commands/. */
import yargs, { type CommandModule } from 'yargs';

// Each command's module, by the first word of its `command` string, in the order --help lists them.
// A command's module (and what it imports) is loaded only when that command runs or when the whole
// list is needed (no command, an unknown one, --help): `resurface generate` does not pay for
// loading the experiment runner, the report or the audit (~150 ms of a ~1 s process).
export const COMMANDS = {
  'init-random': () => import('./commands/init-random'),
  logits: () => import('./commands/logits'),
  train: () => import('./commands/train'),
  info: () => import('./commands/info'),
  generate: () => import('./commands/generate'),
  corpus: () => import('./commands/corpus'),
  doctor: () => import('./commands/doctor'),
  run: () => import('./commands/run'),
  report: () => import('./commands/report'),
  proxies: () => import('./commands/proxies'),
  stats: () => import('./commands/stats'),
  eval: () => import('./commands/eval'),
  perplexity: () => import('./commands/perplexity'),
  extract: () => import('./commands/extract'),
  task: () => import('./commands/task'),
  lab: () => import('./commands/lab'),
} as const;

type CommandName = keyof typeof COMMANDS;

function isCommandName(word: string | undefined): word is CommandName {
  return word !== undefined && Object.hasOwn(COMMANDS, word);
}

export async function main(argv: string[]): Promise<void> {
  const names = isCommandName(argv[0]) ? [argv[0]] : (Object.keys(COMMANDS) as CommandName[]);
  const modules = await Promise.all(names.map((name) => COMMANDS[name]()));
  let cli = yargs(argv).scriptName('resurface').usage('$0 <command> [options]');
  for (const m of modules) cli = cli.command(m as unknown as CommandModule);
  await cli
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .recommendCommands()
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`error ERR_INVALID_ARGUMENT: ${msg}\n`);
      process.stderr.write('(see resurface --help)\n');
      process.exit(1);
    })
    .help()
    .parseAsync();
}
