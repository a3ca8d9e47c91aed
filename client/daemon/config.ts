// Client daemon settings: every one has a flag and an environment variable (runtime/config precedence:
// flag, then variable, then default).
import { join } from 'node:path';
import {
  ConfigError,
  envBool,
  envHostPort,
  envInt,
  envOptional,
  envPort,
  envString,
  type Env,
  type HostPort,
  flag,
  type TraceLimits,
  traceLimits,
} from '../../runtime/index.js';
import type { InvitationPolicy } from '../domain/index.js';
import { DEFAULT_MAX_LOG_ENTRIES } from '../store/index.js';

export interface ClientDaemonConfig {
  user: string;
  domain: string;
  /** The CSCF (outbound proxy and registrar). */
  cscf: HostPort;
  cscfTransport: 'tcp' | 'udp';
  sipHost: string;
  sipPort: number;
  /** A UDP listener too, when set. */
  sipUdpPort: number | undefined;
  /** Address written in Contact/Via when the bind address is not reachable as is (containers). */
  sipAdvertise: string | undefined;
  msrpHost: string;
  msrpPort: number;
  msrpAdvertise: string | undefined;
  /** The user's store is `<storeDir>/<user>.json`. */
  storeDir: string;
  controlHost: string;
  controlPort: number;
  policy: InvitationPolicy;
  expires: number;
  /** Register when the daemon starts (a phone switched on). */
  register: boolean;
  conferenceFactoryUri: string;
  t1: number;
  /** Received messages (and notifications, and sent ones) kept per group: the oldest go past it, counted in /state. */
  maxLogEntriesPerGroup: number;
  /** How much of its wire the node's trace keeps (`--trace-max-records`, `--trace-max-bytes`). */
  trace: TraceLimits;
  /**
   * D1.viii: after registering with messages queued, how long to wait for the PF's invitation before re-joining
   * (ms; 0 re-joins at once). Set it above the PF's invitation latency of the IMS core in front.
   */
  invitationGraceMs: number;
}

export interface ClientFlags {
  user?: string;
  domain?: string;
  cscf?: string;
  cscfTransport?: string;
  sipHost?: string;
  sipPort?: string;
  sipUdpPort?: string;
  sipAdvertise?: string;
  msrpHost?: string;
  msrpPort?: string;
  msrpAdvertise?: string;
  storeDir?: string;
  controlHost?: string;
  controlPort?: string;
  policy?: string;
  expires?: string;
  /** commander's `--no-register` gives false. */
  register?: boolean;
  conferenceFactory?: string;
  t1?: string;
  traceMaxRecords?: string;
  traceMaxBytes?: string;
  maxLogEntries?: string;
  invitationGrace?: string;
}

const POLICIES: readonly InvitationPolicy[] = ['accept', 'decline', 'later'];

/** D1.viii: the default wait for the PF's invitation after registering with messages queued. */
export const DEFAULT_INVITATION_GRACE_MS = 1000;

/** Read the configuration from flags (preferred) and `CPM_LAB_CLIENT_*` environment variables. */
export function clientConfig(flags: ClientFlags = {}, env: Env = process.env): ClientDaemonConfig {
  const user = envOptional('CPM_LAB_CLIENT_USER', { env, flag: flag('--user', flags.user) });
  if (!user || !/^[A-Za-z0-9._~-]+$/.test(user)) {
    throw new ConfigError(
      '--user / CPM_LAB_CLIENT_USER',
      user ? `bad user name ${JSON.stringify(user)}` : 'required',
    );
  }
  const domain = envString('CPM_LAB_DOMAIN', {
    env,
    flag: flag('--domain', flags.domain),
    default: 'ims.lab',
  });
  const sipUdp = envOptional('CPM_LAB_CLIENT_SIP_UDP_PORT', {
    env,
    flag: flag('--sip-udp-port', flags.sipUdpPort),
  });
  return {
    user,
    domain,
    cscf: envHostPort('CPM_LAB_CLIENT_CSCF', {
      env,
      flag: flag('--cscf', flags.cscf),
      default: { host: '127.0.0.1', port: 5060 },
      defaultPort: 5060,
    }),
    cscfTransport: envString('CPM_LAB_CLIENT_CSCF_TRANSPORT', {
      env,
      flag: flag('--cscf-transport', flags.cscfTransport),
      default: 'tcp',
      allowed: ['tcp', 'udp'],
    }),
    sipHost: envString('CPM_LAB_CLIENT_SIP_HOST', {
      env,
      flag: flag('--sip-host', flags.sipHost),
      default: '127.0.0.1',
    }),
    sipPort: envPort('CPM_LAB_CLIENT_SIP_PORT', {
      env,
      flag: flag('--sip-port', flags.sipPort),
      default: 0,
      allowZero: true,
    }),
    sipUdpPort:
      sipUdp === undefined
        ? undefined
        : envPort('CPM_LAB_CLIENT_SIP_UDP_PORT', {
            env,
            flag: flag('--sip-udp-port', flags.sipUdpPort),
            allowZero: true,
          }),
    sipAdvertise: envOptional('CPM_LAB_CLIENT_SIP_ADVERTISE', {
      env,
      flag: flag('--sip-advertise', flags.sipAdvertise),
    }),
    msrpHost: envString('CPM_LAB_CLIENT_MSRP_HOST', {
      env,
      flag: flag('--msrp-host', flags.msrpHost),
      default: '127.0.0.1',
    }),
    msrpPort: envPort('CPM_LAB_CLIENT_MSRP_PORT', {
      env,
      flag: flag('--msrp-port', flags.msrpPort),
      default: 0,
      allowZero: true,
    }),
    msrpAdvertise: envOptional('CPM_LAB_CLIENT_MSRP_ADVERTISE', {
      env,
      flag: flag('--msrp-advertise', flags.msrpAdvertise),
    }),
    storeDir: envString('CPM_LAB_CLIENT_STORE_DIR', {
      env,
      flag: flag('--store-dir', flags.storeDir),
      default: join('data', 'clients'),
    }),
    controlHost: envString('CPM_LAB_CLIENT_CONTROL_HOST', {
      env,
      flag: flag('--control-host', flags.controlHost),
      default: '127.0.0.1',
    }),
    controlPort: envPort('CPM_LAB_CLIENT_CONTROL_PORT', {
      env,
      flag: flag('--control-port', flags.controlPort),
      default: 0,
      allowZero: true,
    }),
    policy: envString('CPM_LAB_CLIENT_POLICY', {
      env,
      flag: flag('--policy', flags.policy),
      default: 'accept',
      allowed: POLICIES,
    }),
    expires: envInt('CPM_LAB_CLIENT_EXPIRES', {
      env,
      flag: flag('--expires', flags.expires),
      default: 600,
      min: 1,
    }),
    register: envBool('CPM_LAB_CLIENT_REGISTER', {
      env,
      flag: flag('--register', flags.register),
      default: true,
    }),
    conferenceFactoryUri: envString('CPM_LAB_CONFERENCE_FACTORY', {
      env,
      flag: flag('--conference-factory', flags.conferenceFactory),
      default: `sip:conference-factory@${domain}`,
    }),
    t1: envInt('CPM_LAB_SIP_T1', { env, flag: flag('--t1', flags.t1), default: 500, min: 1 }),
    trace: traceLimits(flags, env),
    maxLogEntriesPerGroup: envInt('CPM_LAB_CLIENT_MAX_LOG_ENTRIES', {
      env,
      flag: flag('--max-log-entries', flags.maxLogEntries),
      default: DEFAULT_MAX_LOG_ENTRIES,
      min: 1,
    }),
    invitationGraceMs: envInt('CPM_LAB_CLIENT_INVITATION_GRACE_MS', {
      env,
      flag: flag('--invitation-grace', flags.invitationGrace),
      default: DEFAULT_INVITATION_GRACE_MS,
      min: 0,
    }),
  };
}
