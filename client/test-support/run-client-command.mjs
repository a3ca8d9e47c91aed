// `node --import <register-ts.mjs> run-client-command.mjs client --user alice ...`: runs the `cpm-lab client`
// command from the TypeScript sources (cli/main.ts itself resolves package.json relative to dist/).
import { Command } from 'commander';
import { registerClientCommand } from '../../cli/commands/client.ts';

const program = new Command().name('cpm-lab');
registerClientCommand(program);
await program.parseAsync(process.argv);
