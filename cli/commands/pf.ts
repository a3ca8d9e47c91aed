// `cpm-lab pf`: run the mock CPM Participating + Controlling Function on its own (flags override CPM_LAB_*
// environment variables).
import type { Command } from 'commander';
import { createLogger, formatHostPort, logReady, onShutdown } from '../../runtime/index.js';
import { PfNode, pfConfig, type PfFlags } from '../../services/pf/index.js';
import { traceOptions } from './trace-options.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerPfCommand(program: Command): void {
  traceOptions(program.command('pf'))
    .description(
      'run the mock CPM Participating/Controlling Function: groups, group sessions, deferred store and delivery',
    )
    .option('--host <address>', 'SIP and MSRP listen address (CPM_LAB_PF_HOST, default 127.0.0.1)')
    .option(
      '--advertised-host <address>',
      'address written into Via, MSRP paths and SDP (CPM_LAB_PF_ADVERTISED_HOST, default --host)',
    )
    .option('--sip-port <port>', 'SIP port for UDP and TCP (CPM_LAB_PF_SIP_PORT, default 5070)')
    .option('--udp-port <port>', 'SIP UDP port (CPM_LAB_PF_UDP_PORT, default --sip-port)')
    .option('--tcp-port <port>', 'SIP TCP port (CPM_LAB_PF_TCP_PORT, default --sip-port)')
    .option('--msrp-port <port>', 'MSRP listen port (CPM_LAB_PF_MSRP_PORT, default 7394)')
    .option('--domain <domain>', 'home domain (CPM_LAB_DOMAIN, default ims.lab)')
    .option(
      '--cscf <host:port>',
      'the CSCF (TCP): every request the PF sends goes to it (CPM_LAB_PF_CSCF, default 127.0.0.1:5060)',
    )
    .option('--store <path>', 'deferred store database file (CPM_LAB_PF_STORE, default data/pf.db)')
    .option(
      '--idle-timeout <seconds>',
      'an active group session without traffic goes inactive after this (CPM_LAB_PF_IDLE_TIMEOUT, default 300)',
    )
    .option(
      '--group <spec>',
      'provision a group, repeatable: id:user,user[:subject][:conversation-id[:contribution-id]] ' +
        '(CPM_LAB_PF_GROUPS, ";"-separated; default "team:alice,bob,carol:Team chat"; "none" for no group)',
      collect,
    )
    .option('--control-host <address>', 'control API address (CPM_LAB_PF_CONTROL_HOST, default 127.0.0.1)')
    .option('--control-port <port>', 'control API port (CPM_LAB_PF_CONTROL_PORT, default 8082)')
    .option('--t1 <ms>', 'SIP timer T1 (CPM_LAB_SIP_T1, default 500)')
    .option(
      '--retry-delay <ms>',
      'first retry of a failed delivery, doubling (CPM_LAB_PF_RETRY_DELAY, default 1000)',
    )
    .option(
      '--retry-max-delay <ms>',
      'longest wait between retries (CPM_LAB_PF_RETRY_MAX_DELAY, default 60000)',
    )
    .option(
      '--msrp-timeout <ms>',
      'MSRP transaction timeout and wait for a client connection (CPM_LAB_PF_MSRP_TIMEOUT, default 30000)',
    )
    .option(
      '--msrp-max-connections <n>',
      'MSRP connections held at most (CPM_LAB_PF_MSRP_MAX_CONNECTIONS, default 256)',
    )
    .option(
      '--sip-engine <builtin|drachtio>',
      'SIP engine: the built-in stack, or drachtio-server through drachtio-srf (CPM_LAB_PF_SIP_ENGINE, default builtin; docs/drachtio.md)',
    )
    .option(
      '--drachtio <host:port>',
      "drachtio-server's admin address to connect to (CPM_LAB_PF_DRACHTIO, port default 9022); unset: start a `drachtio` binary on --host and --sip-port",
    )
    .option(
      '--drachtio-secret <secret>',
      "drachtio-server's shared secret (CPM_LAB_PF_DRACHTIO_SECRET, default cymru)",
    )
    .option(
      '--drachtio-capture <host:port|off>',
      "where the PF takes drachtio-server's HEP3 capture for its trace; the server must send there (--homer) " +
        '(CPM_LAB_PF_DRACHTIO_CAPTURE, default --host:9060 with --drachtio, any free port otherwise)',
    )
    .action(async (flags: PfFlags) => {
      const logger = createLogger('pf');
      const pf = await PfNode.start(pfConfig(flags), { logger });
      const { udp, tcp } = pf.sipAddresses;
      logReady(logger, {
        sipUdp: udp ? `${udp.address}:${udp.port}` : 'off',
        sipTcp: tcp ? `${tcp.address}:${tcp.port}` : 'off',
        sipEngine: pf.config.sipEngine,
        msrp: formatHostPort({ host: pf.msrpAddress.address, port: pf.msrpAddress.port }),
        control: pf.controlUrl ?? 'off',
        domain: pf.config.domain,
        cscf: formatHostPort(pf.config.cscf),
        store: pf.stores.db.path,
        groups:
          pf.stores.groups
            .list()
            .map((g) => g.id)
            .join(',') || 'none',
      });
      onShutdown(['SIGTERM', 'SIGINT'], () => pf.close(), { logger });
    });
}
