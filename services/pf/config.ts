// PF settings: every one has a flag and an environment variable (runtime/config precedence: flag, env, default).
import { looksLikeUuid } from '../../protocol/cpm/index.js';
import {
  ConfigError,
  type Env,
  envHostPort,
  envInt,
  envOptional,
  envPort,
  envString,
  type HostPort,
  flag,
  parseHostPort,
  type TraceLimits,
  traceLimits,
} from '../../runtime/index.js';
import { isValidGroupId } from './domain/index.js';

/** A group provisioned from configuration (`team:alice,bob,carol:Team chat`). */
export interface GroupSpec {
  id: string;
  /** AoRs; the first is the creator. */
  participants: string[];
  subject?: string;
  conversationId?: string;
  contributionId?: string;
}

export interface PfConfig {
  /** Address the SIP and MSRP listeners bind to. */
  host: string;
  /** Address written into MSRP paths and SDP (default: host). */
  advertisedHost: string;
  sipUdpPort: number;
  sipTcpPort: number;
  msrpPort: number;
  domain: string;
  /** The CSCF: every request the PF sends goes to it (outbound proxy, TCP). */
  cscf: HostPort;
  /** The store database file (`:memory:` for throw-away runs). */
  storePath: string;
  /** protocol-notes §7: an active group session without traffic for this long goes inactive. */
  idleTimeoutMs: number;
  /** Groups created at start when the store does not hold them yet. */
  groups: GroupSpec[];
  controlHost: string;
  controlPort: number;
  /** RFC 3261 T1 in ms (lower it in tests). */
  t1: number;
  /** How much of its wire the node's trace keeps (`--trace-max-records`, `--trace-max-bytes`). */
  trace: TraceLimits;
  /** RFC 4975 §7.1.1 transaction timeout for MSRP SENDs, and the wait for a client's MSRP connection. */
  msrpTimeoutMs: number;
  /** MSRP connections held at most (one per connected participant); more are refused. */
  msrpMaxConnections: number;
  /** A failed delivery is retried after this long, doubling per attempt (protocol profile §4). */
  retryBaseDelayMs: number;
  /** … up to this long between attempts. */
  retryMaxDelayMs: number;
  /** The SIP engine behind the PF's signalling port: the built-in stack, or drachtio-server (docs/drachtio.md). */
  sipEngine: SipEngine;
  /**
   * With `sipEngine: 'drachtio'`: the drachtio-server to connect to as its application; undefined: the PF
   * starts a `drachtio` binary itself on `host` and the SIP port.
   */
  drachtio: { host: string; port: number; secret: string } | undefined;
  /**
   * Where the PF takes drachtio-server's HEP3 capture (the PF's SIP messages in the trace); null: none.
   * drachtio-server must send there (`--homer host:port`); a server the PF starts is told so itself.
   */
  drachtioCapture: HostPort | null;
}

export const SIP_ENGINES = ['builtin', 'drachtio'] as const;
export type SipEngine = (typeof SIP_ENGINES)[number];

export interface PfFlags {
  host?: string;
  advertisedHost?: string;
  sipPort?: string;
  udpPort?: string;
  tcpPort?: string;
  msrpPort?: string;
  domain?: string;
  cscf?: string;
  store?: string;
  idleTimeout?: string;
  group?: string[];
  controlHost?: string;
  controlPort?: string;
  t1?: string;
  traceMaxRecords?: string;
  traceMaxBytes?: string;
  msrpTimeout?: string;
  msrpMaxConnections?: string;
  retryDelay?: string;
  retryMaxDelay?: string;
  sipEngine?: string;
  drachtio?: string;
  drachtioSecret?: string;
  drachtioCapture?: string;
}

/** The lab's default topology (lab/topology/default.json): group "team" with alice, bob and carol. */
export const DEFAULT_GROUPS = 'team:alice,bob,carol:Team chat';

/** Read the configuration from flags (preferred) and environment variables `CPM_LAB_PF_*`. */
export function pfConfig(flags: PfFlags = {}, env: Env = process.env): PfConfig {
  const domain = envString('CPM_LAB_DOMAIN', {
    env,
    flag: flag('--domain', flags.domain),
    default: 'ims.lab',
  });
  const host = envString('CPM_LAB_PF_HOST', { env, flag: flag('--host', flags.host), default: '127.0.0.1' });
  const sipPort = envPort('CPM_LAB_PF_SIP_PORT', {
    env,
    flag: flag('--sip-port', flags.sipPort),
    default: 5070,
    allowZero: true,
  });
  const sipEngine = envString('CPM_LAB_PF_SIP_ENGINE', {
    env,
    flag: flag('--sip-engine', flags.sipEngine),
    default: 'builtin',
    allowed: SIP_ENGINES,
  });
  const drachtioAt = envOptional('CPM_LAB_PF_DRACHTIO', { env, flag: flag('--drachtio', flags.drachtio) });
  const drachtio =
    drachtioAt === undefined
      ? undefined
      : {
          ...parseHostPort(drachtioAt, { name: '--drachtio / CPM_LAB_PF_DRACHTIO', defaultPort: 9022 }),
          // drachtio-server's documented default secret, for a server started with its sample configuration.
          secret: envString('CPM_LAB_PF_DRACHTIO_SECRET', {
            env,
            flag: flag('--drachtio-secret', flags.drachtioSecret),
            default: 'cymru',
          }),
        };
  if (drachtio && sipEngine !== 'drachtio') {
    throw new ConfigError('--drachtio / CPM_LAB_PF_DRACHTIO', 'is set but --sip-engine is not drachtio');
  }
  const captureText = envOptional('CPM_LAB_PF_DRACHTIO_CAPTURE', {
    env,
    flag: flag('--drachtio-capture', flags.drachtioCapture),
  });
  // Homer's usual HEP port for a server given to us; any free port for one the PF starts (it is told).
  const drachtioCapture =
    captureText?.toLowerCase() === 'off'
      ? null
      : captureText === undefined
        ? { host, port: drachtio ? 9060 : 0 }
        : parseHostPort(captureText, {
            name: '--drachtio-capture / CPM_LAB_PF_DRACHTIO_CAPTURE',
            defaultPort: 9060,
            allowZero: true,
          });
  const groupsText =
    flags.group && flags.group.length > 0
      ? flags.group.join(';')
      : envString('CPM_LAB_PF_GROUPS', { env, default: DEFAULT_GROUPS });
  return {
    host,
    advertisedHost:
      envOptional('CPM_LAB_PF_ADVERTISED_HOST', {
        env,
        flag: flag('--advertised-host', flags.advertisedHost),
      }) ?? host,
    sipUdpPort: envPort('CPM_LAB_PF_UDP_PORT', {
      env,
      flag: flag('--udp-port', flags.udpPort),
      default: sipPort,
      allowZero: true,
    }),
    sipTcpPort: envPort('CPM_LAB_PF_TCP_PORT', {
      env,
      flag: flag('--tcp-port', flags.tcpPort),
      default: sipPort,
      allowZero: true,
    }),
    msrpPort: envPort('CPM_LAB_PF_MSRP_PORT', {
      env,
      flag: flag('--msrp-port', flags.msrpPort),
      default: 7394,
      allowZero: true,
    }),
    domain,
    cscf: envHostPort('CPM_LAB_PF_CSCF', {
      env,
      flag: flag('--cscf', flags.cscf),
      default: { host: '127.0.0.1', port: 5060 },
      defaultPort: 5060,
    }),
    storePath: envString('CPM_LAB_PF_STORE', {
      env,
      flag: flag('--store', flags.store),
      default: 'data/pf.db',
    }),
    idleTimeoutMs:
      envInt('CPM_LAB_PF_IDLE_TIMEOUT', {
        env,
        flag: flag('--idle-timeout', flags.idleTimeout),
        default: 300,
        min: 1,
      }) * 1000,
    groups: parseGroupSpecs(groupsText, domain, '--group / CPM_LAB_PF_GROUPS'),
    controlHost: envString('CPM_LAB_PF_CONTROL_HOST', {
      env,
      flag: flag('--control-host', flags.controlHost),
      default: '127.0.0.1',
    }),
    controlPort: envPort('CPM_LAB_PF_CONTROL_PORT', {
      env,
      flag: flag('--control-port', flags.controlPort),
      default: 8082,
      allowZero: true,
    }),
    t1: envInt('CPM_LAB_SIP_T1', { env, flag: flag('--t1', flags.t1), default: 500, min: 1 }),
    trace: traceLimits(flags, env),
    msrpTimeoutMs: envInt('CPM_LAB_PF_MSRP_TIMEOUT', {
      env,
      flag: flag('--msrp-timeout', flags.msrpTimeout),
      default: 30_000,
      min: 1,
    }),
    msrpMaxConnections: envInt('CPM_LAB_PF_MSRP_MAX_CONNECTIONS', {
      env,
      flag: flag('--msrp-max-connections', flags.msrpMaxConnections),
      default: 256,
      min: 16,
    }),
    retryBaseDelayMs: envInt('CPM_LAB_PF_RETRY_DELAY', {
      env,
      flag: flag('--retry-delay', flags.retryDelay),
      default: 1000,
      min: 1,
    }),
    retryMaxDelayMs: envInt('CPM_LAB_PF_RETRY_MAX_DELAY', {
      env,
      flag: flag('--retry-max-delay', flags.retryMaxDelay),
      default: 60_000,
      min: 1,
    }),
    sipEngine,
    drachtio,
    drachtioCapture,
  };
}

/**
 * Group specs separated by `;`: `<id>:<user>,<user>...[:<subject>][:<conversation-id>[:<contribution-id>]]`.
 * Users are names (`alice` → `sip:alice@<domain>`) or AoRs; the first is the creator. Trailing parts that are
 * CPM IDs (protocol-notes §1) fix the group's IDs; otherwise they are generated once and kept in the store.
 * `none` (or empty) provisions nothing.
 */
export function parseGroupSpecs(text: string, domain: string, setting = 'groups'): GroupSpec[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.toLowerCase() === 'none') return [];
  return trimmed
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => parseGroupSpec(spec, domain, setting));
}

function parseGroupSpec(spec: string, domain: string, setting: string): GroupSpec {
  const fail = (why: string): never => {
    throw new ConfigError(setting, `${why} in ${JSON.stringify(spec)} (expected id:user,user[:subject])`);
  };
  // Users may be AoRs (`sip:alice@ims.lab`), so split on ':' only outside them.
  const first = spec.indexOf(':');
  if (first <= 0) fail('missing participant list');
  const id = spec.slice(0, first).trim();
  if (!isValidGroupId(id)) fail(`bad group id ${JSON.stringify(id)}`);
  const rest = spec.slice(first + 1);
  const listEnd = findListEnd(rest);
  const list = rest.slice(0, listEnd);
  const tail = listEnd < rest.length ? rest.slice(listEnd + 1).split(':') : [];
  const participants = list
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => (/^sips?:/i.test(u) ? u : `sip:${u}@${domain}`));
  if (participants.length === 0) fail('empty participant list');
  const ids: string[] = [];
  while (tail.length > 0 && looksLikeUuid(tail[tail.length - 1]!.trim())) ids.unshift(tail.pop()!.trim());
  if (ids.length > 2) fail('more than two CPM IDs');
  const out: GroupSpec = { id, participants };
  const subject = tail.join(':').trim();
  if (subject !== '') out.subject = subject;
  if (ids[0] !== undefined) out.conversationId = ids[0];
  if (ids[1] !== undefined) out.contributionId = ids[1];
  return out;
}

/** End of the comma-separated user list: the first ':' that does not belong to a `sip:` AoR. */
function findListEnd(text: string): number {
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon < 0) return text.length;
    const before = text.slice(Math.max(text.lastIndexOf(',', colon) + 1, 0), colon).trim();
    if (/^sips?$/i.test(before)) {
      i = colon + 1;
      continue;
    }
    return colon;
  }
  return text.length;
}
