// `cpm-lab client --user alice ...`: run one CPM client as a daemon with its control API (flags override
// CPM_LAB_CLIENT_* environment variables).
import type { Command } from 'commander';
import { ClientDaemon, clientConfig, type ClientFlags } from '../../client/index.js';
import { createLogger, logReady, onShutdown } from '../../runtime/index.js';
import { traceOptions } from './trace-options.js';

export function registerClientCommand(program: Command): void {
  traceOptions(program.command('client'))
    .description('run a CPM client (registration, PF invitations, MSRP, IMDN, outbox) with a control API')
    .option('--user <name>', 'the user, e.g. alice (CPM_LAB_CLIENT_USER; required)')
    .option('--domain <domain>', 'home domain (CPM_LAB_DOMAIN, default ims.lab)')
    .option(
      '--cscf <host:port>',
      'the CSCF: outbound proxy and registrar (CPM_LAB_CLIENT_CSCF, default 127.0.0.1:5060)',
    )
    .option(
      '--cscf-transport <tcp|udp>',
      'transport to the CSCF (CPM_LAB_CLIENT_CSCF_TRANSPORT, default tcp)',
    )
    .option('--sip-host <address>', 'SIP listen address (CPM_LAB_CLIENT_SIP_HOST, default 127.0.0.1)')
    .option('--sip-port <port>', 'SIP TCP port, 0 = ephemeral (CPM_LAB_CLIENT_SIP_PORT, default 0)')
    .option('--sip-udp-port <port>', 'also listen on UDP (CPM_LAB_CLIENT_SIP_UDP_PORT, default off)')
    .option('--sip-advertise <address>', 'address for Contact/Via (CPM_LAB_CLIENT_SIP_ADVERTISE)')
    .option('--msrp-host <address>', 'MSRP listen address (CPM_LAB_CLIENT_MSRP_HOST, default 127.0.0.1)')
    .option('--msrp-port <port>', 'MSRP port, 0 = ephemeral (CPM_LAB_CLIENT_MSRP_PORT, default 0)')
    .option('--msrp-advertise <address>', 'address in a=path / c= (CPM_LAB_CLIENT_MSRP_ADVERTISE)')
    .option(
      '--store-dir <dir>',
      'directory of the per-user store <dir>/<user>.json (CPM_LAB_CLIENT_STORE_DIR, default data/clients)',
    )
    .option(
      '--control-host <address>',
      'control API address (CPM_LAB_CLIENT_CONTROL_HOST, default 127.0.0.1)',
    )
    .option(
      '--control-port <port>',
      'control API port, 0 = ephemeral (CPM_LAB_CLIENT_CONTROL_PORT, default 0)',
    )
    .option(
      '--policy <accept|decline|later>',
      'answer to PF invitations for a new store (CPM_LAB_CLIENT_POLICY, default accept)',
    )
    .option('--expires <seconds>', 'registration lifetime requested (CPM_LAB_CLIENT_EXPIRES, default 600)')
    .option('--no-register', 'do not register at start (CPM_LAB_CLIENT_REGISTER=false)')
    .option('--conference-factory <uri>', 'conference factory URI (CPM_LAB_CONFERENCE_FACTORY)')
    .option('--t1 <ms>', 'SIP timer T1 (CPM_LAB_SIP_T1, default 500)')
    .option(
      '--max-log-entries <n>',
      'received, sent and notification entries kept per group; past it the oldest go and /state counts them (CPM_LAB_CLIENT_MAX_LOG_ENTRIES, default 10000)',
    )
    .option(
      '--invitation-grace <ms>',
      "D1.viii: after registering with messages queued, wait this long for the PF's invitation before re-joining (CPM_LAB_CLIENT_INVITATION_GRACE_MS, default 1000)",
    )
    .action(async (flags: ClientFlags & { register?: boolean }) => {
      // commander sets register=true by default for --no-register; only an explicit --no-register counts.
      const explicit: ClientFlags = { ...flags };
      if (flags.register !== false) delete explicit.register;
      const config = clientConfig(explicit);
      const logger = createLogger(config.user);
      // Listen for SIGTERM before announcing ready: a runner may stop us the moment it sees the ready line.
      let daemon: ClientDaemon | undefined;
      onShutdown(['SIGTERM', 'SIGINT'], () => daemon?.close(), { logger });
      daemon = await ClientDaemon.start(config, { logger });
      const { client } = daemon;
      logReady(logger, {
        user: client.aor,
        control: daemon.controlUrl,
        sip: `${client.sipAddress.address}:${client.sipAddress.port}`,
        msrp: `${client.msrpAddress.host}:${client.msrpAddress.port}`,
        cscf: `${config.cscf.host}:${config.cscf.port}`,
        registration: client.registrationStatus.state,
      });
    });
}
