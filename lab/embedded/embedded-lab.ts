// The embedded lab (architecture.md "Running modes"): every node of the topology in this process, on
// real sockets on one host, with the lab API over them. `npm run lab` and the end-to-end tests use it.
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  assertFdsAvailable,
  createLogger,
  type FdBudget,
  fdBudget,
  forEachBounded,
  type ControlHost,
  type ControlServer,
  freePort,
  HttpError,
  type Logger,
  startControlHost,
  startControlServer,
  type TraceLimits,
  traceLimits,
} from '../../runtime/index.js';
import { ClientDaemon, ClientDatabase, ClientStore, clientConfig } from '../../client/index.js';
import { Cscf, cscfConfig } from '../../services/cscf/index.js';
import { PfNode, pfConfig } from '../../services/pf/index.js';
import { type ClientFactory, createLabApi, type ExternalPeer, type LabNode } from '../api/index.js';
import { type KamailioProcess, startKamailio } from '../kamailio/index.js';
import { mountConsole } from '../console/index.js';
import { provisionInProcess } from './provision.js';
import type { SutSpec } from '../sut/index.js';
import { type ClientNode, type Topology, withEphemeralPorts } from '../topology/index.js';

/**
 * File descriptors an embedded client costs from the start, measured (bench/perf/clients.perf.ts prints it),
 * with room for one more: its SIP listener and both ends of its flow to the CSCF. A client with a control port
 * of its own has one more (its listener); the others share one (runtime/control-host.ts). A client in a group
 * session holds three more while it lasts (its MSRP listener, opened by its first session, and both ends of its
 * MSRP connection to the PF): not reserved here, since few of a big lab's clients hold one at once.
 */
const FDS_PER_CLIENT = 4;
const FDS_OWN_CONTROL_PORT = 1;
/** The CSCF, the PF, the lab API and Node's own. */
const FDS_BASE = 64;
/** Clients registered at once while a lab starts (each registration waits on round trips). */
const STARTUP_PARALLELISM = 16;

/** How many clients an embedded lab started now could hold under this process's descriptor limit. */
export function embeddedClientsThatFit(budget: FdBudget = fdBudget()): number | undefined {
  return budget.limit === undefined
    ? undefined
    : Math.max(0, Math.floor((budget.limit - budget.open - FDS_BASE) / FDS_PER_CLIENT));
}

export interface EmbeddedLabOptions {
  topology: Topology;
  /** Bind every port to 0 (any free port): for tests and for labs next to another lab. */
  ephemeral?: boolean;
  /**
   * Where the PF database and the clients' stores live. Kept across restarts (a backlog survives `npm run
   * lab` being stopped and started again); `fresh` wipes it first.
   */
  dataDir?: string;
  fresh?: boolean;
  /** SIP T1 for every node (ms); lower it in tests. */
  t1?: number;
  /** How much of its wire each node keeps (default: CPM_LAB_TRACE_MAX_RECORDS / _BYTES, else 10 000 / 64 MiB). */
  trace?: TraceLimits;
  logger?: Logger;
  /** Per-node loggers (default: children of `logger` named after the node). */
  loggerFor?: (node: string) => Logger;
}

export interface EmbeddedNodeInfo extends LabNode {
  sip?: string;
  msrp?: string;
}

/** The CSCF of an embedded lab: the lab's own, or a SIP server outside this process. */
export type LabCscf =
  | { engine: 'mock'; cscf: Cscf }
  | { engine: 'kamailio'; peer: ExternalPeer; kamailio: KamailioProcess }
  | { engine: 'external'; peer: ExternalPeer };

export class EmbeddedLab {
  readonly topology: Topology;
  /** Which SIP server is the CSCF, and where. */
  readonly cscfEngine: LabCscf;
  readonly #pf: PfNode | undefined;
  readonly clients: Map<string, ClientDaemon>;
  /** The PF database and the clients' stores (kept across restarts unless started `fresh`). */
  readonly dataDir: string;
  readonly #api: ControlServer;
  readonly #nodes: EmbeddedNodeInfo[];
  readonly #clientSettings: ClientSettings;
  /** Clients created at run time (POST /clients), removed by DELETE /clients/:user or with the lab. */
  readonly #created = new Set<string>();
  readonly #peers: ExternalPeer[];
  #closed = false;

  private constructor(init: {
    topology: Topology;
    cscf: LabCscf;
    pf: PfNode | undefined;
    peers: ExternalPeer[];
    clients: Map<string, ClientDaemon>;
    api: ControlServer;
    nodes: EmbeddedNodeInfo[];
    dataDir: string;
    clientSettings: ClientSettings;
  }) {
    this.#clientSettings = init.clientSettings;
    this.dataDir = init.dataDir;
    this.topology = init.topology;
    this.cscfEngine = init.cscf;
    this.#pf = init.pf;
    this.#peers = init.peers;
    this.clients = init.clients;
    this.#api = init.api;
    this.#nodes = init.nodes;
  }

  /** The lab API's URL (`http://127.0.0.1:8080` with the default topology). */
  get url(): string {
    return this.#api.url;
  }

  get nodes(): readonly EmbeddedNodeInfo[] {
    return this.#nodes;
  }

  /** The lab's own CSCF (engine `mock`); a lab whose CSCF runs elsewhere has none in this process. */
  get cscf(): Cscf {
    if (this.cscfEngine.engine !== 'mock')
      throw new Error(`this lab's CSCF is ${this.cscfEngine.peer.product} (outside this process)`);
    return this.cscfEngine.cscf;
  }

  /** The lab's own PF (a lab whose PF is the implementation under test has none). */
  get pf(): PfNode {
    if (!this.#pf) throw new Error("this lab's PF is the implementation under test (outside this process)");
    return this.#pf;
  }

  /** Parties of the lab that are not lab nodes (no control API): an external CSCF, the implementation under test. */
  get peers(): ExternalPeer[] {
    return this.#peers;
  }

  static async start(options: EmbeddedLabOptions): Promise<EmbeddedLab> {
    const topology = options.ephemeral ? withEphemeralPorts(options.topology) : options.topology;
    const logger = options.logger ?? createLogger('lab');
    const loggerFor = options.loggerFor ?? ((node: string) => createLogger(node));
    const dataDir = resolve(options.dataDir ?? '.lab-data');
    if (options.fresh) await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir, { recursive: true });
    const t1 = options.t1 ?? 500;
    // Every node keeps the same amount of its wire: CPM_LAB_TRACE_MAX_RECORDS / CPM_LAB_TRACE_MAX_BYTES.
    const trace = options.trace ?? traceLimits({}, process.env);
    const host = topology.host;
    const sut = topology.sut;
    // The CSCF knows every user, the client under test's too (it registers like any UE).
    const users = [...topology.clients.map((c) => c.user), ...(sut?.side === 'client' ? [sut.user!] : [])];
    const clientFds = topology.clients.reduce(
      (n, c) => n + FDS_PER_CLIENT + (c.controlPort === 0 ? 0 : FDS_OWN_CONTROL_PORT),
      0,
    );
    assertFdsAvailable(
      clientFds + FDS_BASE,
      `an embedded lab with ${topology.clients.length} clients (about ${Math.round(clientFds / Math.max(1, topology.clients.length))} each)`,
    );
    const started: Array<{ close(): Promise<void> }> = [];
    // Every client's store in one database (client/store/client-database.ts), closed after the clients.
    const clientDatabase = ClientDatabase.open(join(dataDir, 'clients.db'));
    started.push({ close: async () => clientDatabase.close() });
    try {
      // The control APIs of clients without a port of their own (0), and of clients created at run time, on
      // one listener at /clients/<user> (runtime/control-host.ts).
      const controlHost = await startControlHost({ host, logger });
      started.push(controlHost);
      // The CSCF's SIP address is needed by the PF and the clients; Kamailio needs the PF's, so it starts after it.
      let mock: Cscf | undefined;
      let cscfSip: { address: string; port: number };
      if (topology.cscf.engine === 'mock') {
        mock = await Cscf.start(
          {
            ...cscfConfig({}, {}),
            host,
            udpPort: topology.cscf.sipPort,
            tcpPort: topology.cscf.sipPort,
            domain: topology.domain,
            users: users.map((u) => `sip:${u}@${topology.domain}`),
            services: [],
            controlHost: host,
            controlPort: topology.cscf.controlPort,
            t1,
            trace,
            // One flow per client, the PF's connections, and room: the cap grows with the topology.
            maxConnections: Math.max(1024, 2 * topology.clients.length + 64),
          },
          { logger: loggerFor('cscf') },
        );
        started.push(mock);
        cscfSip = mock.sipAddresses.tcp!;
      } else if (topology.cscf.engine === 'kamailio') {
        // Its port is chosen now (0: a free one) so that the PF can be told where the CSCF is.
        cscfSip = {
          address: host,
          port: topology.cscf.sipPort === 0 ? await freePort(host) : topology.cscf.sipPort,
        };
      } else {
        const address = topology.cscf.address!;
        cscfSip = { address: address.host, port: address.port };
      }
      const pf =
        sut?.side === 'pf'
          ? undefined
          : await PfNode.start(
              {
                ...pfConfig({}, {}),
                host,
                advertisedHost: host,
                sipUdpPort: topology.pf.sipPort,
                sipTcpPort: topology.pf.sipPort,
                msrpPort: topology.pf.msrpPort,
                domain: topology.domain,
                cscf: { host: cscfSip.address, port: cscfSip.port },
                storePath: join(dataDir, 'pf.db'),
                idleTimeoutMs: topology.pf.idleTimeoutSeconds * 1000,
                groups: [],
                controlHost: host,
                controlPort: topology.pf.controlPort,
                t1,
                // A session per membership may be up at once (plus the scenarios' groups): the cap grows with the topology.
                msrpMaxConnections: Math.max(
                  256,
                  2 *
                    (topology.clients.length +
                      topology.groups.reduce((n, g) => n + g.participants.length, 0)) +
                    64,
                ),
                // drachtio: the PF starts drachtio-server on its SIP port and takes its HEP3 capture on any free port.
                sipEngine: topology.pf.sipEngine,
                drachtio: undefined,
                drachtioCapture: { host, port: 0 },
              },
              { logger: loggerFor('pf') },
            );
      if (pf) started.push(pf);
      const pfTcp = pf ? pf.sipAddresses.tcp! : { address: sut!.pf!.host, port: sut!.pf!.port };
      const pfUri = `sip:${pfTcp.address}:${pfTcp.port};transport=tcp`;
      let cscf: LabCscf;
      if (mock) {
        mock.addApplicationServer({ userPattern: /^(conference-factory|group-.+)$/, uri: pfUri });
        cscf = { engine: 'mock', cscf: mock };
      } else if (topology.cscf.engine === 'kamailio') {
        const kamailio = await startKamailio({
          host,
          port: cscfSip.port,
          domain: topology.domain,
          pfUri,
          logger: loggerFor('cscf'),
        });
        started.push(kamailio);
        cscf = {
          engine: 'kamailio',
          kamailio,
          peer: externalCscf(
            `${host}:${kamailio.port}`,
            `Kamailio ${kamailio.version.split(' ')[1] ?? ''}`.trim(),
            'started by the lab from interop/kamailio/kamailio.cfg',
          ),
        };
      } else {
        cscf = {
          engine: 'external',
          peer: externalCscf(
            `${cscfSip.address}:${cscfSip.port}`,
            'external CSCF',
            `routes the PF's service URIs and third-party REGISTERs to ${pfUri}`,
          ),
        };
      }
      const clients = new Map<string, ClientDaemon>();
      const clientSettings: ClientSettings = {
        topology,
        cscfSip,
        dataDir,
        database: clientDatabase,
        controlHost,
        t1,
        trace,
        loggerFor,
      };
      // Several at once (each waits on its listener), kept in the topology's order.
      const daemons: ClientDaemon[] = [];
      await forEachBounded(topology.clients.entries(), STARTUP_PARALLELISM, async ([i, c]) => {
        let daemon: ClientDaemon;
        try {
          daemon = await startClient(clientSettings, c);
        } catch (err) {
          throw new Error(`${c.user} could not start: ${(err as Error).message}`, { cause: err });
        }
        started.push(daemon);
        daemons[i] = daemon;
      });
      for (const [i, c] of topology.clients.entries()) clients.set(c.user, daemons[i]!);
      const nodes: EmbeddedNodeInfo[] = [
        ...(mock
          ? [
              {
                name: 'cscf',
                role: 'cscf' as const,
                controlUrl: mock.controlUrl!,
                sip: `${cscfSip.address}:${cscfSip.port} (udp+tcp)`,
              },
            ]
          : []),
        ...(pf
          ? [
              {
                name: 'pf',
                role: 'pf' as const,
                controlUrl: pf.controlUrl!,
                sip: `${pfTcp.address}:${pfTcp.port} (udp+tcp${topology.pf.sipEngine === 'drachtio' ? ', drachtio-server' : ''})`,
                msrp: `${pf.msrpAddress.address}:${pf.msrpAddress.port}`,
              },
            ]
          : []),
        ...[...clients].map(
          ([user, d]): EmbeddedNodeInfo => ({ name: user, role: 'client', controlUrl: d.controlUrl }),
        ),
      ];
      const peers = [...(cscf.engine === 'mock' ? [] : [cscf.peer]), ...(sut ? [sutPeer(sut)] : [])];
      // Clients created for scenario runs (POST /clients): started like the topology's, on free ports.
      let lab: EmbeddedLab | undefined;
      const factory: ClientFactory = {
        create: (user) => lab!.#createClient(user),
        remove: (user) => lab!.#removeClient(user),
      };
      const api = await startControlServer(
        createLabApi({
          nodes,
          peers,
          logger,
          describe: () => ({
            mode: 'embedded',
            domain: topology.domain,
            groups: topology.groups,
            nodes,
            cscf: cscf.engine === 'mock' ? { engine: 'mock' } : { engine: cscf.engine, ...cscf.peer },
            ...(sut ? { sut } : {}),
          }),
          routes: (app) => mountConsole(app, { nodes, peers, logger }),
          clients: factory,
        }),
        { host, port: topology.labApiPort, logger },
      );
      lab = new EmbeddedLab({
        topology,
        cscf,
        pf,
        peers,
        clients,
        api,
        nodes,
        dataDir,
        clientSettings,
      });
      // Groups first (so that invitations find them known), then every client registers.
      await provisionInProcess(topology, {
        ...(pf ? { pf } : {}),
        client: (user) => clients.get(user)!.client,
      });
      // Several at once: each registration waits on round trips (CSCF, third-party REGISTER to the PF).
      await forEachBounded(clients, STARTUP_PARALLELISM, async ([user, daemon]) => {
        try {
          await daemon.client.online();
        } catch (err) {
          // The lab is not usable without every client: stop with the reason (the CLI exits 2 with it).
          throw new Error(
            `${user} could not register with the CSCF at ${cscfSip.address}:${cscfSip.port}: ${(err as Error).message}`,
          );
        }
      });
      return lab;
    } catch (err) {
      for (const node of started.reverse()) await node.close().catch(() => {});
      throw err;
    }
  }

  /** A client for a scenario's role "created for the run": known to the CSCF, started, registered. */
  async #createClient(user: string): Promise<EmbeddedNodeInfo> {
    if (this.#closed) throw new HttpError(503, 'the lab is stopping');
    if (this.cscfEngine.engine === 'mock') this.cscfEngine.cscf.addUser(user);
    const daemon = await startClient(this.#clientSettings, {
      user,
      sipPort: 0,
      msrpPort: 0,
      controlPort: 0,
      policy: 'accept',
    });
    try {
      await daemon.client.online();
    } catch (err) {
      await daemon.close().catch(() => {});
      throw new HttpError(502, `${user} could not register with the CSCF: ${(err as Error).message}`);
    }
    this.clients.set(user, daemon);
    this.#created.add(user);
    const node: EmbeddedNodeInfo = { name: user, role: 'client', controlUrl: daemon.controlUrl };
    this.#nodes.push(node);
    return node;
  }

  async #removeClient(user: string): Promise<void> {
    if (!this.#created.has(user)) {
      throw new HttpError(
        409,
        `${user} is a client of the topology; only clients created at run time can be removed`,
      );
    }
    const daemon = this.clients.get(user)!;
    this.#created.delete(user);
    this.clients.delete(user);
    this.#nodes.splice(
      this.#nodes.findIndex((n) => n.name === user),
      1,
    );
    await daemon.close();
    await daemon.client.store.close();
    if (this.cscfEngine.engine === 'mock') this.cscfEngine.cscf.removeUser(user);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#api.close();
    // Clients first (they de-register through the CSCF), then the PF, then the CSCF.
    await Promise.all([...this.clients.values()].map((c) => c.close().catch(() => {})));
    await this.#clientSettings.controlHost.close();
    this.#clientSettings.database.close();
    await this.#pf?.close();
    if (this.cscfEngine.engine === 'mock') await this.cscfEngine.cscf.close();
    if (this.cscfEngine.engine === 'kamailio') await this.cscfEngine.kamailio.close();
  }
}

/** What every client of the lab shares: the CSCF, the domain, the store database, T1, the loggers. */
interface ClientSettings {
  topology: Topology;
  cscfSip: { address: string; port: number };
  dataDir: string;
  /** The clients' stores, one database (`<dataDir>/clients.db`). */
  database: ClientDatabase;
  /** Where the control APIs of clients without a control port of their own are served. */
  controlHost: ControlHost;
  t1: number;
  trace: TraceLimits;
  loggerFor: (node: string) => Logger;
}

async function startClient(settings: ClientSettings, c: ClientNode): Promise<ClientDaemon> {
  const { topology, cscfSip, dataDir, database, controlHost, t1, trace, loggerFor } = settings;
  const host = topology.host;
  const config = clientConfig({ user: c.user }, {});
  // A lab of an earlier version kept each client's store in a file of its own: taken in once.
  const ownFile = join(dataDir, 'clients', `${c.user}.db`);
  if (existsSync(ownFile) && !database.hasOwner(c.user)) database.importOwnDatabase(ownFile, c.user);
  const store = ClientStore.on(database, {
    owner: c.user,
    defaultPolicy: { default: c.policy },
    maxEntriesPerGroup: config.maxLogEntriesPerGroup,
  });
  return ClientDaemon.start(
    {
      ...config,
      domain: topology.domain,
      cscf: { host: cscfSip.address, port: cscfSip.port },
      cscfTransport: 'tcp',
      sipHost: host,
      sipPort: c.sipPort,
      msrpHost: host,
      msrpPort: c.msrpPort,
      storeDir: join(dataDir, 'clients'),
      controlHost: host,
      controlPort: c.controlPort,
      policy: c.policy,
      register: false,
      conferenceFactoryUri: `sip:conference-factory@${topology.domain}`,
      t1,
      trace,
    },
    {
      logger: loggerFor(c.user),
      store,
      ...(c.controlPort === 0 ? { controlHost } : {}),
      // On a free port nobody needs in advance: opened by the client's first session (most never hold one).
      msrpListen: 'onFirstSession',
    },
  );
}

function externalCscf(sip: string, product: string, note: string): ExternalPeer {
  return { name: 'cscf', role: 'cscf', sip, product, note };
}

/**
 * The implementation under test as the trace names it: its messages come from addresses no lab node owns (its
 * SIP, its MSRP, its ephemeral TCP ports), so it takes every endpoint the lab cannot name otherwise (`*`).
 */
function sutPeer(sut: SutSpec): ExternalPeer {
  const product = sut.name ?? (sut.side === 'client' ? 'client under test' : 'PF under test');
  return sut.side === 'client'
    ? {
        name: sut.user!,
        role: 'client',
        sip: '*',
        product,
        note: 'implementation under test: registers with the CSCF',
      }
    : {
        name: 'pf',
        role: 'pf',
        sip: '*',
        product,
        note: `implementation under test at ${sut.pf!.host}:${sut.pf!.port}: the CSCF routes conference URIs there`,
      };
}
