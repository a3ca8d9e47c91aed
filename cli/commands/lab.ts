// `cpm-lab lab`: the embedded lab (every node in one process) — what `npm run lab` runs.
// `cpm-lab lab-api`: the lab API alone, over nodes running elsewhere (the Compose lab's `lab` service).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createLabApi, parseNodeList, parsePeerList } from '../../lab/api/index.js';
import { mountConsole } from '../../lab/console/index.js';
import { EmbeddedLab, provisionLab } from '../../lab/embedded/index.js';
import { DEFAULT_TOPOLOGY_PATH, loadTopology, withCscf, withPfSipEngine } from '../../lab/topology/index.js';
import { LabClient, waitUntil } from '../../lab/scenarios/lab-client.js';
import { createLogger, envString, onShutdown, startControlServer } from '../../runtime/index.js';

export function registerLabCommands(program: Command): void {
  program
    .command('lab')
    .description(
      'start the whole lab on this host, no Docker: CSCF, PF, the clients, their groups, the lab API',
    )
    .option('--topology <file>', 'topology JSON file (CPM_LAB_TOPOLOGY; default lab/topology/default.json)')
    .option('--data-dir <dir>', 'PF database and client stores (CPM_LAB_DATA_DIR, default .lab-data)')
    .option('--fresh', "wipe the data directory first (default: keep the last run's groups and backlog)")
    .option('--keep-data', 'keep the stores of the last run (the default; kept for old scripts)')
    .option(
      '--cscf <mock|kamailio|host:port>',
      "the CSCF: the lab's own (default), Kamailio started from interop/kamailio/kamailio.cfg, or an external one at host:port (CPM_LAB_CSCF)",
    )
    .option(
      '--pf-sip-engine <builtin|drachtio>',
      "the PF's SIP engine: builtin (default) or drachtio (drachtio-server started by the PF; docs/drachtio.md) (CPM_LAB_PF_SIP_ENGINE)",
    )
    .option(
      '--ephemeral',
      'bind every port to any free port, data in a private temporary directory (a second lab next to the first)',
    )
    .action(
      async (flags: {
        topology?: string;
        dataDir?: string;
        fresh?: boolean;
        keepData?: boolean;
        ephemeral?: boolean;
        cscf?: string;
        pfSipEngine?: string;
      }) => {
        const logger = createLogger('lab');
        const path = flags.topology ?? process.env.CPM_LAB_TOPOLOGY;
        const cscfChoice = flags.cscf ?? process.env.CPM_LAB_CSCF;
        const loaded = await loadTopology(path);
        const engineChoice = flags.pfSipEngine ?? process.env.CPM_LAB_PF_SIP_ENGINE;
        const withEngine = engineChoice === undefined ? loaded : withPfSipEngine(loaded, engineChoice);
        const topology = cscfChoice === undefined ? withEngine : withCscf(withEngine, cscfChoice);
        let lab: EmbeddedLab | undefined;
        // An ephemeral lab never shares a data directory with another lab: a private one, removed at the end.
        const configuredDir = flags.dataDir ?? process.env.CPM_LAB_DATA_DIR;
        const privateDir =
          flags.ephemeral && configuredDir === undefined
            ? await mkdtemp(join(tmpdir(), 'cpm-lab-ephemeral-'))
            : undefined;
        onShutdown(
          ['SIGTERM', 'SIGINT'],
          async () => {
            await lab?.close();
            if (privateDir) await rm(privateDir, { recursive: true, force: true });
          },
          { logger },
        );
        const started = performance.now();
        lab = await EmbeddedLab.start({
          topology,
          ephemeral: flags.ephemeral ?? false,
          dataDir: privateDir ?? configuredDir ?? '.lab-data',
          fresh: flags.fresh ?? false,
          logger,
        });
        const ms = Math.round(performance.now() - started);
        const lines = [
          '',
          `CPM Lab is up (${ms} ms) — domain ${topology.domain}, topology ${path ?? DEFAULT_TOPOLOGY_PATH}`,
          '',
          `  lab API   ${lab.url}    (console${process.env.CPM_LAB_TOKEN ? `: ${lab.url}/?token=<CPM_LAB_TOKEN>` : ''}; CLI: --lab ${lab.url})`,
          privateDir
            ? `  data      ${lab.dataDir} (private to this ephemeral lab, removed when it stops)`
            : `  data      ${lab.dataDir} (kept across restarts; --fresh wipes it)`,
          ...lab.peers.map((p) =>
            p.sip === '*'
              ? `  ${p.name.padEnd(8)}  ${p.product}   (${p.note ?? 'implementation under test'}; docs/sut.md)`
              : `  ${p.name.padEnd(8)}  ${p.product}   SIP ${p.sip}   (${p.note ?? 'external'})`,
          ),
          ...lab.nodes.map((n) => {
            const parts = [`control ${n.controlUrl}`];
            if (n.sip) parts.push(`SIP ${n.sip}`);
            if (n.msrp) parts.push(`MSRP ${n.msrp}`);
            return `  ${n.name.padEnd(8)}  ${parts.join('   ')}`;
          }),
          '',
          `  groups    ${topology.groups.map((g) => `${g.name} (${g.participants.join(', ')})`).join('; ')}`,
          '',
          topology.sut
            ? `  judge:    npx cpm-lab conformance${lab.url === 'http://127.0.0.1:8080' ? '' : ` --lab ${lab.url}`}   (the implementation under test, from the wire)`
            : `  try:      ${tryHints(lab.url, topology.groups[0])}`,
          '  stop:     Ctrl-C',
          '',
        ];
        process.stdout.write(lines.join('\n') + '\n');
      },
    );

  program
    .command('lab-api')
    .description(
      'serve the lab API over nodes that run elsewhere (Compose), and provision the topology groups',
    )
    .option(
      '--node <name=url...>',
      'a node and its control API, e.g. cscf=http://cscf:8081 (CPM_LAB_NODES, space-separated)',
    )
    .option(
      '--peer <name=host:port[,product]...>',
      'a SIP server of the lab that is not a node, e.g. an external CSCF: cscf=cscf:5060,Kamailio (CPM_LAB_PEERS, ";"-separated)',
    )
    .option('--host <address>', 'listen address (CPM_LAB_API_HOST, default 127.0.0.1)')
    .option('--port <port>', 'listen port (CPM_LAB_API_PORT, default 8080)')
    .option(
      '--topology <file>',
      'topology whose groups are provisioned (CPM_LAB_TOPOLOGY; default the built-in one)',
    )
    .action(
      async (flags: {
        node?: string[];
        peer?: string[];
        host?: string;
        port?: string;
        topology?: string;
      }) => {
        const logger = createLogger('lab');
        const pairs = flags.node ?? envString('CPM_LAB_NODES', { default: '' }).split(/\s+/).filter(Boolean);
        if (pairs.length === 0) throw new Error('no nodes: give --node name=url (or CPM_LAB_NODES)');
        const nodes = parseNodeList(pairs);
        const peers = await parsePeerList(
          flags.peer ??
            envString('CPM_LAB_PEERS', { default: '' })
              .split(';')
              .filter((p) => p.trim()),
        );
        const topology = await loadTopology(flags.topology ?? process.env.CPM_LAB_TOPOLOGY);
        const server = await startControlServer(
          createLabApi({
            nodes,
            peers,
            logger,
            describe: () => ({ mode: 'external', domain: topology.domain, groups: topology.groups }),
            routes: (app) => mountConsole(app, { nodes, peers, logger }),
          }),
          {
            host: flags.host ?? process.env.CPM_LAB_API_HOST ?? '127.0.0.1',
            port: Number(flags.port ?? process.env.CPM_LAB_API_PORT ?? 8080),
            logger,
          },
        );
        onShutdown(['SIGTERM', 'SIGINT'], () => server.close(), { logger });
        // The nodes may still be starting: wait for each, then provision the groups (idempotent).
        const lab = new LabClient(server.url);
        for (const node of nodes) {
          await waitUntil(
            `${node.name} to answer /health`,
            () =>
              lab
                .node(node.name)
                .get('/health')
                .then(() => true),
            {
              timeoutMs: 60_000,
              intervalMs: 250,
            },
          );
        }
        await provisionLab(server.url, topology);
        logger.info('ready', { url: server.url, nodes: nodes.map((n) => n.name).join(',') });
      },
    );
}

/** The banner's "try:" commands, with the topology's own names and `--lab` when the lab API is not the default. */
function tryHints(url: string, group: { name: string; participants: string[] } | undefined): string {
  const lab = url === 'http://127.0.0.1:8080' ? '' : ` --lab ${url}`;
  const run = `npx cpm-lab run deferred-inactive${lab}`;
  const sender = group?.participants[1] ?? group?.participants[0];
  return group && sender ? `${run}      npx cpm-lab say ${sender} ${group.name} "hello"${lab}` : run;
}
