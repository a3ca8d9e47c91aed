// The options `run` and `conformance` share for the private lab they start with --embedded.
import type { Command } from 'commander';

/** `--embedded`, `--cscf` and `--pf-sip-engine`: the private lab a command starts for its run. */
export function embeddedLabOptions(command: Command): Command {
  return command
    .option(
      '--embedded',
      'start a private embedded lab for the run (any free ports, temporary data directory)',
    )
    .option(
      '--cscf <mock|kamailio|host:port>',
      "with --embedded: the lab's own CSCF (default), Kamailio started from interop/kamailio, or an external one",
    )
    .option(
      '--pf-sip-engine <builtin|drachtio>',
      "with --embedded: the PF's SIP engine: builtin (default) or drachtio (drachtio-server started by the PF; docs/drachtio.md)",
    );
}
