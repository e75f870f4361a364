/** The `resurface` command line. Each command lives in its own file under commands/. */
import yargs from 'yargs';
import * as doctor from './commands/doctor';
import * as evalCmd from './commands/eval';
import * as extract from './commands/extract';
import * as info from './commands/info';
import * as initRandom from './commands/init-random';
import * as logits from './commands/logits';
import * as perplexity from './commands/perplexity';
import * as task from './commands/task';

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('resurface')
    .usage('$0 <command> [options]')
    .command(initRandom as never)
    .command(logits as never)
    .command(info as never)
    .command(doctor as never)
    .command(evalCmd as never)
    .command(perplexity as never)
    .command(extract as never)
    .command(task as never)
    .demandCommand(1, 'name a command (see --help)')
    .strict()
    .recommendCommands()
    .fail((msg, err, y) => {
      if (err) throw err;
      process.stderr.write(`error ERR_INVALID_ARGUMENT: ${msg}\n`);
      process.stderr.write('(see resurface --help)\n');
      process.exit(1);
    })
    .help()
    .parseAsync();
}
