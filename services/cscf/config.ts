// CSCF settings: every one has a flag and an environment variable (runtime/config precedence).
import {
  ConfigError,
  envBool,
  envInt,
  envOptional,
  envPort,
  envString,
  type Env,
  flag,
  type TraceLimits,
  traceLimits,
} from '../../runtime/index.js';
import type { ServiceRoute } from './routing.js';

export interface CscfConfig {
  /** Address the SIP listeners bind to and advertise. */
  host: string;
  udpPort: number;
  tcpPort: number;
  domain: string;
  /** Known users' AoRs; others get 404. */
  users: string[];
  /** Application servers (PSIs routed to them, and third-party REGISTER targets). */
  services: ServiceRoute[];
  /** Digest authentication of REGISTER (lab passwords: `user=password` pairs). Off by default. */
  auth: { enabled: boolean; passwords: Map<string, string> };
  minExpires: number;
  maxExpires: number;
  controlHost: string;
  controlPort: number;
  /** Contacts of peers that do not register themselves (`bob=sip:bob@127.0.0.1:5062`), reached at their URI. */
  staticContacts: Array<{ user: string; contact: string }>;
  /** How long a request to a UE made unreachable waits before 408 (fault injection). */
  unreachableTimeoutMs: number;
  /** RFC 3261 T1 in ms (lower it in tests). */
  t1: number;
  /** How much of its wire the node's trace keeps (`--trace-max-records`, `--trace-max-bytes`). */
  trace: TraceLimits;
  /** Open TCP connections (UE flows, the PF's, outbound) the CSCF holds at most; beyond it new ones are refused. */
  maxConnections: number;
}

export interface CscfFlags {
  host?: string;
  udpPort?: string;
  tcpPort?: string;
  domain?: string;
  users?: string;
  pf?: string;
  pfUsers?: string;
  auth?: boolean;
  passwords?: string;
  minExpires?: string;
  maxExpires?: string;
  maxConnections?: string;
  controlHost?: string;
  controlPort?: string;
  t1?: string;
  traceMaxRecords?: string;
  traceMaxBytes?: string;
  staticContacts?: string;
}

/** Read the configuration from flags (preferred) and environment variables `CPM_LAB_CSCF_*`. */
export function cscfConfig(flags: CscfFlags = {}, env: Env = process.env): CscfConfig {
  const domain = envString('CPM_LAB_DOMAIN', {
    env,
    flag: flag('--domain', flags.domain),
    default: 'ims.lab',
  });
  const users = envString('CPM_LAB_USERS', {
    env,
    flag: flag('--users', flags.users),
    default: 'alice,bob,carol',
  })
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => (u.startsWith('sip:') ? u : `sip:${u}@${domain}`));
  const pf = envOptional('CPM_LAB_CSCF_PF', { env, flag: flag('--pf', flags.pf) });
  const pfUsers = envString('CPM_LAB_CSCF_PF_USERS', {
    env,
    flag: flag('--pf-users', flags.pfUsers),
    default: '^(conference-factory|group-.+)$',
  });
  const passwords = new Map<string, string>();
  for (const pair of envString('CPM_LAB_CSCF_PASSWORDS', {
    env,
    flag: flag('--passwords', flags.passwords),
    default: '',
  }).split(',')) {
    const [user, password] = pair.split('=');
    if (user && password !== undefined) passwords.set(user.trim(), password);
  }
  return {
    host: envString('CPM_LAB_CSCF_HOST', { env, flag: flag('--host', flags.host), default: '127.0.0.1' }),
    udpPort: envPort('CPM_LAB_CSCF_UDP_PORT', {
      env,
      flag: flag('--udp-port', flags.udpPort),
      default: 5060,
      allowZero: true,
    }),
    tcpPort: envPort('CPM_LAB_CSCF_TCP_PORT', {
      env,
      flag: flag('--tcp-port', flags.tcpPort),
      default: 5060,
      allowZero: true,
    }),
    domain,
    users,
    services: pf
      ? [{ userPattern: new RegExp(pfUsers), uri: pf.startsWith('sip:') ? pf : `sip:${pf};transport=tcp` }]
      : [],
    auth: {
      enabled: envBool('CPM_LAB_CSCF_AUTH', { env, flag: flag('--auth', flags.auth), default: false }),
      passwords,
    },
    minExpires: envInt('CPM_LAB_CSCF_MIN_EXPIRES', {
      env,
      flag: flag('--min-expires', flags.minExpires),
      default: 60,
      min: 1,
    }),
    maxExpires: envInt('CPM_LAB_CSCF_MAX_EXPIRES', {
      env,
      flag: flag('--max-expires', flags.maxExpires),
      default: 7200,
      min: 1,
    }),
    maxConnections: envInt('CPM_LAB_CSCF_MAX_CONNECTIONS', {
      env,
      flag: flag('--max-connections', flags.maxConnections),
      default: 1024,
      min: 16,
    }),
    controlHost: envString('CPM_LAB_CSCF_CONTROL_HOST', {
      env,
      flag: flag('--control-host', flags.controlHost),
      default: '127.0.0.1',
    }),
    controlPort: envPort('CPM_LAB_CSCF_CONTROL_PORT', {
      env,
      flag: flag('--control-port', flags.controlPort),
      default: 8081,
      allowZero: true,
    }),
    staticContacts: envString('CPM_LAB_CSCF_STATIC_CONTACTS', {
      env,
      flag: flag('--static-contacts', flags.staticContacts),
      default: '',
    })
      .split(/[,\s]+/)
      .filter(Boolean)
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq <= 0)
          throw new ConfigError(
            '--static-contacts / CPM_LAB_CSCF_STATIC_CONTACTS',
            `expected user=sip-uri, got ${pair}`,
          );
        return { user: pair.slice(0, eq), contact: pair.slice(eq + 1) };
      }),
    unreachableTimeoutMs: 4000,
    t1: envInt('CPM_LAB_SIP_T1', { env, flag: flag('--t1', flags.t1), default: 500, min: 1 }),
    trace: traceLimits(flags, env),
  };
}
