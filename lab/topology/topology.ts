// The lab topology: which nodes run, on which ports, with which users and groups. A JSON file users
// edit (`lab/topology/default.json` is the default); validated here with messages that name the field.
import { parseHostPort } from '../../runtime/index.js';
import { parseSutSpec, type SutSpec, SutSpecError } from '../sut/spec.js';

export type Policy = 'accept' | 'decline' | 'later';

export interface ClientNode {
  user: string;
  /** SIP listen port of the client (0: ephemeral). */
  sipPort: number;
  msrpPort: number;
  controlPort: number;
  policy: Policy;
}

export interface GroupSpec {
  /** Friendly name used by the CLI and the lab API (`team`). */
  name: string;
  subject: string;
  participants: string[];
}

/**
 * Which SIP server plays the CSCF (docs/kamailio.md): the lab's own (`mock`), Kamailio started by the lab
 * from the project's configuration (`kamailio`, on `sipPort`), or one the user runs (`external`, at
 * `address`, configured to route the PF's service URIs and third-party REGISTERs to `pf.sipPort`).
 */
export type CscfEngine = 'mock' | 'kamailio' | 'external';

export type PfSipEngine = 'builtin' | 'drachtio';

export interface CscfSpec {
  engine: CscfEngine;
  /** SIP port (UDP and TCP) of the mock CSCF or of the Kamailio the lab starts (0: any free port). */
  sipPort: number;
  /** Control API of the mock CSCF (an external CSCF has none). */
  controlPort: number;
  /** Where an external CSCF listens for SIP over TCP (engine `external`). */
  address?: { host: string; port: number };
}

export interface Topology {
  domain: string;
  host: string;
  labApiPort: number;
  cscf: CscfSpec;
  pf: {
    sipPort: number;
    msrpPort: number;
    controlPort: number;
    idleTimeoutSeconds: number;
    /** The PF's SIP engine: the built-in stack, or drachtio-server started by the PF (docs/drachtio.md). */
    sipEngine: PfSipEngine;
  };
  clients: ClientNode[];
  groups: GroupSpec[];
  /**
   * An implementation under test (docs/sut.md) in place of one of the lab's nodes: a client (the lab runs no
   * client for its user; the CSCF knows the user) or a PF (the lab runs no PF; the CSCF routes to it).
   */
  sut?: SutSpec;
}

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  constructor(readonly problems: string[]) {
    super(`invalid topology:\n  - ${problems.join('\n  - ')}`);
  }
}

type Json = Record<string, unknown>;

const USER_RE = /^[a-z][a-z0-9._-]{0,31}$/;

/** Validate parsed JSON into a Topology; every problem is reported at once, naming its field. */
export function parseTopology(input: unknown): Topology {
  const problems: string[] = [];
  const obj = (value: unknown, path: string): Json => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
    problems.push(`${path}: expected an object`);
    return {};
  };
  const known = (o: Json, path: string, keys: string[]) => {
    for (const k of Object.keys(o))
      if (!keys.includes(k)) problems.push(`${path}.${k}: unknown field (known: ${keys.join(', ')})`);
  };
  const str = (o: Json, key: string, path: string, fallback?: string): string => {
    const v = o[key] ?? fallback;
    if (typeof v === 'string' && v.length > 0) return v;
    problems.push(`${path}.${key}: expected a non-empty string`);
    return '';
  };
  const port = (o: Json, key: string, path: string, fallback: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535) return v;
    problems.push(
      `${path}.${key}: expected a port number 0–65535 (0 = any free port), got ${JSON.stringify(v)}`,
    );
    return 0;
  };
  const root = obj(input, 'topology');
  known(root, 'topology', ['domain', 'host', 'labApiPort', 'cscf', 'pf', 'clients', 'groups', 'sut']);
  const domain = str(root, 'domain', 'topology', 'ims.lab');
  const host = str(root, 'host', 'topology', '127.0.0.1');
  const labApiPort = port(root, 'labApiPort', 'topology', 8080);
  const cscfJson = obj(root.cscf ?? {}, 'topology.cscf');
  known(cscfJson, 'topology.cscf', ['engine', 'sipPort', 'controlPort', 'address']);
  const engine = cscfJson.engine ?? 'mock';
  if (engine !== 'mock' && engine !== 'kamailio' && engine !== 'external')
    problems.push(
      `topology.cscf.engine: expected "mock", "kamailio" or "external", got ${JSON.stringify(engine)}`,
    );
  let address: CscfSpec['address'];
  if (cscfJson.address !== undefined) {
    try {
      if (typeof cscfJson.address !== 'string') throw new Error(`got ${JSON.stringify(cscfJson.address)}`);
      address = parseHostPort(cscfJson.address, { name: 'topology.cscf.address', defaultPort: 5060 });
    } catch (err) {
      problems.push(
        `topology.cscf.address: expected "host:port", where the external CSCF takes SIP over TCP (${(err as Error).message})`,
      );
    }
  }
  if (engine === 'external' && cscfJson.address === undefined)
    problems.push('topology.cscf.address: an external CSCF needs its address ("host:port")');
  if (engine !== 'external' && cscfJson.address !== undefined)
    problems.push('topology.cscf.address: only for engine "external"');
  const pfJson = obj(root.pf ?? {}, 'topology.pf');
  known(pfJson, 'topology.pf', ['sipPort', 'msrpPort', 'controlPort', 'idleTimeoutSeconds', 'sipEngine']);
  const sipEngine = pfJson.sipEngine ?? 'builtin';
  if (sipEngine !== 'builtin' && sipEngine !== 'drachtio')
    problems.push(
      `topology.pf.sipEngine: expected "builtin" or "drachtio", got ${JSON.stringify(sipEngine)}`,
    );
  const idle = pfJson.idleTimeoutSeconds ?? 300;
  if (typeof idle !== 'number' || !(idle > 0))
    problems.push('topology.pf.idleTimeoutSeconds: expected a positive number');

  const clients: ClientNode[] = [];
  const clientList = root.clients ?? [];
  if (!Array.isArray(clientList)) problems.push('topology.clients: expected an array');
  else
    clientList.forEach((c, i) => {
      const path = `topology.clients[${i}]`;
      const o = obj(c, path);
      known(o, path, ['user', 'sipPort', 'msrpPort', 'controlPort', 'policy']);
      const user = str(o, 'user', path);
      if (user && !USER_RE.test(user))
        problems.push(`${path}.user: "${user}" must be lower-case letters, digits, . _ - (a SIP user part)`);
      const policy = o.policy ?? 'accept';
      if (policy !== 'accept' && policy !== 'decline' && policy !== 'later') {
        problems.push(
          `${path}.policy: expected "accept", "decline" or "later", got ${JSON.stringify(policy)}`,
        );
      }
      clients.push({
        user,
        sipPort: port(o, 'sipPort', path, 0),
        msrpPort: port(o, 'msrpPort', path, 0),
        controlPort: port(o, 'controlPort', path, 0),
        policy: policy as Policy,
      });
    });
  const users = new Set<string>();
  for (const c of clients) {
    if (users.has(c.user)) problems.push(`topology.clients: user "${c.user}" appears twice`);
    users.add(c.user);
  }

  let sut: SutSpec | undefined;
  if (root.sut !== undefined) {
    const o = obj(root.sut, 'topology.sut');
    known(o, 'topology.sut', ['side', 'user', 'role', 'pf', 'control', 'mode', 'name', 'timeoutSeconds']);
    const text = (key: string): string | undefined => {
      const v = o[key];
      if (v === undefined) return undefined;
      if (typeof v === 'string') return v;
      problems.push(`topology.sut.${key}: expected a string`);
      return undefined;
    };
    try {
      sut = parseSutSpec({
        sut: text('side'),
        sutUser: text('user'),
        sutRole: text('role'),
        sutPf: text('pf'),
        sutControl: text('control'),
        // A lab with a SUT and no control API: the conformance run asks an operator (mode manual).
        sutMode: text('mode') ?? (o.control === undefined ? 'manual' : 'control'),
        sutName: text('name'),
        sutTimeout: typeof o.timeoutSeconds === 'number' ? o.timeoutSeconds : undefined,
      });
    } catch (err) {
      if (!(err instanceof SutSpecError)) throw err;
      problems.push(`topology.sut: ${err.message.replace(/--sut-?/g, '').replace(/--/g, '')}`);
    }
    if (sut?.side === 'client' && clients.some((c) => c.user === sut!.user))
      problems.push(
        `topology.sut: ${sut.user} is the client under test; remove it from topology.clients (the lab runs no client for it)`,
      );
    if (sut?.side === 'client') users.add(sut.user!);
  }

  const groups: GroupSpec[] = [];
  const groupList = root.groups ?? [];
  if (!Array.isArray(groupList)) problems.push('topology.groups: expected an array');
  else
    groupList.forEach((g, i) => {
      const path = `topology.groups[${i}]`;
      const o = obj(g, path);
      known(o, path, ['name', 'subject', 'participants']);
      const name = str(o, 'name', path);
      const participants = Array.isArray(o.participants) ? o.participants : [];
      if (!Array.isArray(o.participants) || participants.length < 2) {
        problems.push(`${path}.participants: expected at least two users`);
      }
      for (const p of participants) {
        if (typeof p !== 'string' || !users.has(p))
          problems.push(
            `${path}.participants: "${String(p)}" is not a client in topology.clients (nor the client under test)`,
          );
      }
      groups.push({
        name,
        subject: typeof o.subject === 'string' ? o.subject : name,
        participants: participants.map(String),
      });
    });
  const names = new Set<string>();
  for (const g of groups) {
    if (names.has(g.name)) problems.push(`topology.groups: group "${g.name}" appears twice`);
    names.add(g.name);
  }

  const topology: Topology = {
    domain,
    host,
    labApiPort,
    cscf: {
      engine: engine as CscfEngine,
      sipPort: port(cscfJson, 'sipPort', 'topology.cscf', 5060),
      controlPort: port(cscfJson, 'controlPort', 'topology.cscf', 8081),
      ...(address ? { address } : {}),
    },
    pf: {
      sipPort: port(pfJson, 'sipPort', 'topology.pf', 5070),
      msrpPort: port(pfJson, 'msrpPort', 'topology.pf', 7394),
      controlPort: port(pfJson, 'controlPort', 'topology.pf', 8082),
      idleTimeoutSeconds: typeof idle === 'number' ? idle : 300,
      sipEngine: sipEngine as PfSipEngine,
    },
    clients,
    groups,
    ...(sut ? { sut } : {}),
  };
  // Fixed ports must not collide (0 = ephemeral is always fine). SIP UDP and TCP share a number on purpose.
  const used = new Map<string, string>();
  const claim = (p: number, kind: 'tcp' | 'udp+tcp', what: string) => {
    if (p === 0) return;
    const keys = kind === 'udp+tcp' ? [`tcp:${p}`, `udp:${p}`] : [`tcp:${p}`];
    const other = keys.map((key) => used.get(key)).find((o) => o !== undefined);
    if (other) problems.push(`port ${p} is used by both ${other} and ${what}`);
    for (const key of keys) used.set(key, what);
  };
  claim(topology.labApiPort, 'tcp', 'labApiPort');
  if (topology.cscf.engine !== 'external') claim(topology.cscf.sipPort, 'udp+tcp', 'cscf.sipPort');
  if (topology.cscf.engine === 'mock') claim(topology.cscf.controlPort, 'tcp', 'cscf.controlPort');
  if (sut?.side !== 'pf') {
    claim(topology.pf.sipPort, 'udp+tcp', 'pf.sipPort');
    claim(topology.pf.msrpPort, 'tcp', 'pf.msrpPort');
    claim(topology.pf.controlPort, 'tcp', 'pf.controlPort');
  }
  for (const c of clients) {
    claim(c.sipPort, 'udp+tcp', `${c.user}.sipPort`);
    claim(c.msrpPort, 'tcp', `${c.user}.msrpPort`);
    claim(c.controlPort, 'tcp', `${c.user}.controlPort`);
  }
  if (problems.length) throw new TopologyError(problems);
  return topology;
}

/**
 * Every fixed port set to 0 (ephemeral): for tests and `--ephemeral` labs that must not collide. With an
 * external CSCF the PF keeps its SIP port: that CSCF was configured to route to it.
 */
export function withEphemeralPorts(topology: Topology): Topology {
  const external = topology.cscf.engine === 'external';
  return {
    ...topology,
    labApiPort: 0,
    cscf: { ...topology.cscf, sipPort: 0, controlPort: 0 },
    pf: {
      ...topology.pf,
      sipPort: external ? topology.pf.sipPort : 0,
      msrpPort: 0,
      controlPort: 0,
    },
    clients: topology.clients.map((c) => ({ ...c, sipPort: 0, msrpPort: 0, controlPort: 0 })),
  };
}

/**
 * The CLI's `--cscf` choice applied to a topology: `mock` (the lab's own), `kamailio` (started by the lab
 * from interop/kamailio/kamailio.cfg) or `host:port` (an external CSCF already configured for the lab).
 */
export function withCscf(topology: Topology, choice: string): Topology {
  const cscf = { sipPort: topology.cscf.sipPort, controlPort: topology.cscf.controlPort };
  if (choice === 'mock' || choice === 'kamailio') return { ...topology, cscf: { ...cscf, engine: choice } };
  let address: { host: string; port: number };
  try {
    address = parseHostPort(choice, { name: '--cscf', defaultPort: 5060 });
  } catch (err) {
    throw new TopologyError([
      `--cscf: expected "mock", "kamailio" or the host:port of an external CSCF (${(err as Error).message})`,
    ]);
  }
  return { ...topology, cscf: { ...cscf, engine: 'external', address } };
}

/** The CLI's `--pf-sip-engine` choice applied to a topology (`builtin` or `drachtio`; docs/drachtio.md). */
export function withPfSipEngine(topology: Topology, choice: string): Topology {
  if (choice !== 'builtin' && choice !== 'drachtio') {
    throw new TopologyError([
      `--pf-sip-engine: expected "builtin" or "drachtio", got ${JSON.stringify(choice)}`,
    ]);
  }
  return { ...topology, pf: { ...topology.pf, sipEngine: choice } };
}

/**
 * An implementation under test in place of a lab node (docs/sut.md): a client SUT's user leaves the lab's
 * clients (the CSCF still knows it); a PF SUT replaces the lab's PF.
 */
export function withSut(topology: Topology, sut: SutSpec): Topology {
  const clients =
    sut.side === 'client' ? topology.clients.filter((c) => c.user !== sut.user) : topology.clients;
  return { ...topology, clients, sut };
}

/** The CSCF's SIP port fixed (`--sip-port`): where a client under test registers, or a PF under test sends. */
export function withCscfSipPort(topology: Topology, port: number): Topology {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TopologyError([`--sip-port: expected a port number 0–65535, got ${port}`]);
  if (topology.cscf.engine === 'external')
    throw new TopologyError(['--sip-port: the port of an external CSCF is its own (--cscf host:port)']);
  return { ...topology, cscf: { ...topology.cscf, sipPort: port } };
}
