// cpm-lab command line: one binary for every lab role and the user-facing verbs.
import { Command, CommanderError } from 'commander';
import { registerClientCommand } from './commands/client.js';
import { registerCscfCommand } from './commands/cscf.js';
import { registerLabCommands } from './commands/lab.js';
import { registerRunCommand } from './commands/run.js';
import { registerConformanceCommand } from './commands/conformance.js';
import { registerUserVerbs } from './commands/user-verbs.js';
import { registerPfCommand } from './commands/pf.js';
import { packageVersion } from '../runtime/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('cpm-lab')
    .description(
      'Open IMS lab for OMA CPM group chat (deferred delivery, OMA CPM 7.3.11): SIP/MSRP nodes and tools',
    )
    .version(packageVersion())
    .showHelpAfterError()
    // Usage errors throw (CommanderError) instead of exiting with 1: exit code 2 is usage and setup (below).
    .exitOverride();
  registerCscfCommand(program);
  registerClientCommand(program);
  registerUserVerbs(program);
  registerPfCommand(program);
  registerLabCommands(program);
  registerRunCommand(program);
  registerConformanceCommand(program);
  return program;
}

// Exit codes: 0 success; 1 non-conformance (a scenario or a clause failed: set by run and conformance);
// 2 usage and setup errors (a bad flag, an unreachable lab, a lab that could not start).
try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // Commander has printed the message (and the help): help and --version are not errors.
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else {
    // One clear line for users; the stack only when asked for.
    process.stderr.write(`cpm-lab: ${(err as Error).message}\n`);
    if (process.env.CPM_LAB_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    process.exitCode = 2;
  }
}
