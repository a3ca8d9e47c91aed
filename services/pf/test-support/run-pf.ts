// Child process for the PF persistence test: `node --import ../store/test-support/register-ts.mjs run-pf.ts`.
// Starts the PF node from CPM_LAB_* environment variables, prints `ready <sip URI>` and then every node event as
// one JSON line, so the parent can wait on events instead of polling.
import { createLogger } from '../../../runtime/index.js';
import { pfConfig } from '../config.js';
import { PfNode } from '../pf.js';

const pf = await PfNode.start(pfConfig({}, process.env), {
  logger: createLogger('pf', { level: 'error' }),
  control: false,
});
pf.events.subscribe((e) => process.stdout.write(`event ${JSON.stringify(e)}\n`));
process.stdout.write(`ready ${pf.sipUri}\n`);
