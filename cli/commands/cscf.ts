// `cpm-lab cscf`: run the mock CSCF on its own (flags override CPM_LAB_* environment variables).
import type { Command } from 'commander';
import { createLogger, logReady, onShutdown } from '../../runtime/index.js';
import { Cscf, cscfConfig, type CscfFlags } from '../../services/cscf/index.js';
import { traceOptions } from './trace-options.js';

export function registerCscfCommand(program: Command): void {
  traceOptions(program.command('cscf'))
    .description('run the mock CSCF: registrar, caller-preference routing, flows, third-party REGISTER')
    .option('--host <address>', 'SIP listen address (CPM_LAB_CSCF_HOST, default 127.0.0.1)')
    .option('--udp-port <port>', 'SIP UDP port (CPM_LAB_CSCF_UDP_PORT, default 5060)')
    .option('--tcp-port <port>', 'SIP TCP port (CPM_LAB_CSCF_TCP_PORT, default 5060)')
    .option('--domain <domain>', 'home domain (CPM_LAB_DOMAIN, default ims.lab)')
    .option(
      '--users <list>',
      'known users, comma-separated names or AoRs (CPM_LAB_USERS, default alice,bob,carol)',
    )
    .option(
      '--pf <host:port>',
      'the PF: conference URIs are routed to it and it gets third-party REGISTERs (CPM_LAB_CSCF_PF)',
    )
    .option(
      '--pf-users <regex>',
      'user parts routed to the PF (CPM_LAB_CSCF_PF_USERS, default ^(conference-factory|group-.+)$)',
    )
    .option('--auth', 'challenge REGISTER with digest authentication (CPM_LAB_CSCF_AUTH)')
    .option(
      '--passwords <list>',
      'lab passwords as user=password pairs, comma-separated (CPM_LAB_CSCF_PASSWORDS)',
    )
    .option(
      '--min-expires <seconds>',
      'shortest registration accepted, else 423 (CPM_LAB_CSCF_MIN_EXPIRES, default 60)',
    )
    .option(
      '--max-expires <seconds>',
      'longest registration granted (CPM_LAB_CSCF_MAX_EXPIRES, default 7200)',
    )
    .option(
      '--max-connections <n>',
      'open TCP connections held at most; more are refused (CPM_LAB_CSCF_MAX_CONNECTIONS, default 1024)',
    )
    .option('--control-host <address>', 'control API address (CPM_LAB_CSCF_CONTROL_HOST, default 127.0.0.1)')
    .option('--control-port <port>', 'control API port (CPM_LAB_CSCF_CONTROL_PORT, default 8081)')
    .option('--t1 <ms>', 'SIP timer T1 (CPM_LAB_SIP_T1, default 500)')
    .option(
      '--static-contacts <list>',
      'contacts of peers that do not register, e.g. bob=sip:bob@127.0.0.1:5062 (CPM_LAB_CSCF_STATIC_CONTACTS)',
    )
    .action(async (flags: CscfFlags) => {
      const logger = createLogger('cscf');
      let cscf: Cscf | undefined;
      // Installed before start so that a signal during start-up still ends the process cleanly.
      onShutdown(['SIGTERM', 'SIGINT'], () => cscf?.close(), { logger });
      cscf = await Cscf.start(cscfConfig(flags), { logger });
      const { udp, tcp } = cscf.sipAddresses;
      logReady(logger, {
        sipUdp: udp ? `${udp.address}:${udp.port}` : 'off',
        sipTcp: tcp ? `${tcp.address}:${tcp.port}` : 'off',
        control: cscf.controlUrl ?? 'off',
        domain: cscf.config.domain,
        pf: cscf.config.services[0]?.uri ?? 'none',
      });
    });
}
