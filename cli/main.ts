// cpm-lab command line: one binary for every lab role and the user-facing verbs.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerClientCommand } from './commands/client.js';
import { registerCscfCommand } from './commands/cscf.js';
import { registerUserVerbs } from './commands/user-verbs.js';
import { registerPfCommand } from './commands/pf.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('cpm-lab')
    .description(
      'Open IMS lab for OMA CPM group chat (deferred delivery, OMA CPM 7.3.11): SIP/MSRP nodes and tools',
    )
    .version(pkg.version)
    .showHelpAfterError();
  registerCscfCommand(program);
  registerClientCommand(program);
  registerUserVerbs(program);
  registerPfCommand(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
