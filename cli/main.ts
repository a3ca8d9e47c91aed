// cpm-lab command line: one binary for every lab role and the user-facing verbs.
import { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { registerClientCommand } from './commands/client.js';
import { registerCscfCommand } from './commands/cscf.js';
import { registerLabCommands } from './commands/lab.js';
import { registerRunCommand } from './commands/run.js';
import { registerConformanceCommand } from './commands/conformance.js';
import { registerUserVerbs } from './commands/user-verbs.js';
import { registerPfCommand } from './commands/pf.js';

/** The package's own package.json: the nearest one above this module (dist/cli/ or cli/). */
function packageVersion(): string {
  let dir = new URL('.', import.meta.url);
  for (let i = 0; i < 4; i++) {
    const candidate = new URL('package.json', dir);
    if (existsSync(candidate))
      return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
    dir = new URL('..', dir);
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('cpm-lab')
    .description(
      'Open IMS lab for OMA CPM group chat (deferred delivery, OMA CPM 7.3.11): SIP/MSRP nodes and tools',
    )
    .version(packageVersion())
    .showHelpAfterError();
  registerCscfCommand(program);
  registerClientCommand(program);
  registerUserVerbs(program);
  registerPfCommand(program);
  registerLabCommands(program);
  registerRunCommand(program);
  registerConformanceCommand(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // One clear line for users; the stack only when asked for.
  process.stderr.write(`cpm-lab: ${(err as Error).message}\n`);
  if (process.env.CPM_LAB_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
}
