/** The `resurface` command line. Each command lives in its own file under commands/. */
import yargs from 'yargs';
import * as corpus from './commands/corpus';
import * as doctor from './commands/doctor';
import * as generate from './commands/generate';
import * as info from './commands/info';
import * as initRandom from './commands/init-random';
import * as logits from './commands/logits';
import * as train from './commands/train';
import * as proxies from './commands/proxies';
import * as report from './commands/report';
import * as run from './commands/run';
import * as stats from './commands/stats';
import * as evalCmd from './commands/eval';
import * as extract from './commands/extract';
import * as perplexity from './commands/perplexity';
import * as task from './commands/task';
import * as lab from './commands/lab';

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('resurface')
    .usage('$0 <command> [options]')
    .command(initRandom as never)
    .command(logits as never)
    .command(train as never)
    .command(info as never)
    .command(generate as never)
    .command(corpus as never)
    .command(doctor as never)
    .command(run as never)
    .command(report as never)
    .command(proxies as never)
    .command(stats as never)
    .command(evalCmd as never)
    .command(perplexity as never)
    .command(extract as never)
    .command(task as never)
    .command(lab as never)
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
