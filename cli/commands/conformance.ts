// `cpm-lab conformance [--lab URL] [--out DIR] [--embedded]`: every scenario against a lab, a verdict per
// clause of the CR, the report files (report.md/html, junit.xml, trace.json, Mermaid, pcaps) and a summary
// table. Exit code 0 when every clause judged passes, 1 when one fails or is not covered, 2 when the run
// could not happen (usage, an unreachable lab, a lab that did not start). `--scenario X` judges only the
// clauses of the chosen scenarios; `--scenarios DIR` runs scenario files (docs/scenarios.md) instead of the
// built-ins, every file checked before anything runs. `--sut client|pf` judges an implementation outside the
// lab from the wire (docs/sut.md): pass, fail, inconclusive or not applicable per check and per clause.
import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { embeddedLabOptions } from './embedded-options.js';
import { join, resolve } from 'node:path';
import {
  type ConformanceReport,
  progressLine,
  runConformance,
  summaryTable,
  writeReport,
} from '../../lab/conformance/index.js';
import { type PrivateLab, startPrivateLab } from '../../lab/embedded/index.js';
import { fileScenario, loadScenarioDir } from '../../lab/scenarios/file/index.js';
import { findScenario } from '../../lab/scenarios/registry.js';
import { LabClient } from '../../lab/scenarios/lab-client.js';
import {
  describeSut,
  Operator,
  parseSutSpec,
  type SutFlags,
  type SutRun,
  type SutSpec,
  sutRun,
} from '../../lab/sut/index.js';
import { fetchFailureCause, onShutdown } from '../../runtime/index.js';
import { DEFAULT_LAB_URL } from './user-verbs.js';

export const DEFAULT_REPORT_DIR = 'conformance-report';

export interface ConformanceFlags extends SutFlags {
  /** With --embedded: the CSCF's SIP port (default any free port), for a SUT configured before the run. */
  sipPort?: string;
  lab?: string;
  out?: string;
  embedded?: boolean;
  /** The embedded lab's CSCF: `mock` (default), `kamailio`, or the host:port of an external one. */
  cscf?: string;
  /** With --embedded: the PF's SIP engine (builtin, drachtio). */
  pfSipEngine?: string;
  /** Run only these scenarios (the clauses the others cover are then not covered: the run fails). */
  scenario?: string[];
  /** Run the scenario files of this directory instead of the built-ins (docs/scenarios.md). */
  scenarios?: string;
  /** SIP T1 of the embedded lab's nodes (ms). */
  t1?: number;
}

export interface ConformanceIo {
  /** The summary table and the report location. */
  out: (text: string) => void;
  /** Progress and errors. */
  err: (text: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Where an operator answers the prompts of mode manual (default stdin). */
  input?: Readable;
}

export interface ConformanceOutcome {
  /** 0: every clause judged passes; 1: non-conformance; 2: usage or setup error (no verdict). */
  exitCode: 0 | 1 | 2;
  report?: ConformanceReport;
  /** The report directory, absolute. */
  dir?: string;
  /** Files written, relative to dir. */
  files?: string[];
}

/** The command without commander and process: what `cpm-lab conformance` does (tests call it directly). */
export async function conformanceCommand(
  flags: ConformanceFlags,
  io: ConformanceIo,
): Promise<ConformanceOutcome> {
  const env = io.env ?? process.env;
  const dir = resolve(flags.out ?? DEFAULT_REPORT_DIR);
  let embedded: PrivateLab | undefined;
  let stopListening: (() => void) | undefined;
  let operator: Operator | undefined;
  const cleanUp = async () => {
    operator?.close();
    await embedded?.close();
  };
  try {
    // Scenario files are read and checked before any lab starts: a bad file is a usage error (exit 2).
    const pool =
      flags.scenarios === undefined ? undefined : (await loadScenarioDir(flags.scenarios)).map(fileScenario);
    const pick = (name: string) => {
      if (!pool) return findScenario(name);
      const found = pool.find((s) => s.name === name);
      if (!found)
        throw new Error(
          `no scenario "${name}" in ${flags.scenarios} (${pool.map((s) => s.name).join(', ')})`,
        );
      return found;
    };
    const scenarios = flags.scenario?.map(pick) ?? pool;
    let url = flags.lab ?? env['CPM_LAB_URL'] ?? DEFAULT_LAB_URL;
    if (flags.cscf !== undefined && !flags.embedded)
      throw new Error('--cscf chooses the CSCF of a lab it starts: use it with --embedded');
    if (flags.pfSipEngine !== undefined && !flags.embedded)
      throw new Error('--pf-sip-engine chooses the SIP engine of a lab it starts: use it with --embedded');
    if (flags.sipPort !== undefined && !flags.embedded)
      throw new Error('--sip-port chooses the CSCF port of a lab it starts: use it with --embedded');
    const sutFlags = Object.fromEntries(
      Object.entries(flags).filter(([k, v]) => k.startsWith('sut') && v !== undefined),
    ) as SutFlags;
    if (flags.embedded && Object.keys(sutFlags).length > 0 && flags.sut === undefined)
      throw new Error('--sut-* options describe an implementation under test: give --sut client or --sut pf');
    let sut: SutSpec | undefined = flags.sut === undefined ? undefined : parseSutSpec(sutFlags);
    if (sut?.side === 'pf' && flags.pfSipEngine !== undefined)
      throw new Error(
        "--pf-sip-engine chooses the lab PF's SIP engine; with --sut pf the PF is the implementation under test",
      );
    // Before any lab starts: an unreachable SUT is a setup error (exit 2).
    if (sut !== undefined) await sutPreflight(sut);
    if (flags.embedded) {
      if (flags.lab !== undefined) throw new Error('give either --lab or --embedded, not both');
      // Ctrl-C during the run: stop the private lab and remove its data, then exit 1 (no verdict).
      stopListening = onShutdown(['SIGINT', 'SIGTERM'], cleanUp, { exit: () => process.exit(2) });
      // The nodes log warnings and errors only, so that the progress stays readable (CPM_LAB_LOG overrides).
      io.err('starting a private embedded lab (ephemeral ports, temporary data directory)');
      embedded = await startPrivateLab({
        label: 'conformance',
        env,
        ...(flags.cscf === undefined ? {} : { cscf: flags.cscf }),
        ...(flags.pfSipEngine === undefined ? {} : { pfSipEngine: flags.pfSipEngine }),
        ...(flags.t1 === undefined ? {} : { t1: flags.t1 }),
        ...(sut === undefined ? {} : { sut }),
        ...(flags.sipPort === undefined ? {} : { sipPort: Number(flags.sipPort) }),
      });
      url = embedded.url;
    }
    const lab = new LabClient(url);
    // A lab started for a SUT (its topology's "sut") judges that SUT; --sut-* flags given here override fields.
    const described = await lab.get<LabDescription>('/topology');
    const declared = described.lab?.sut;
    if (declared === undefined && Object.keys(sutFlags).length > 0)
      throw new Error(
        `the lab at ${url} was not started for an implementation under test: use --embedded, or start the lab with "sut" in its topology (docs/sut.md)`,
      );
    if (declared !== undefined) {
      const base = specFlags(declared);
      if (sutFlags.sutMode !== undefined || sutFlags.sutControl !== undefined) {
        delete base.sutMode;
        delete base.sutControl;
      }
      sut = Object.keys(sutFlags).length === 0 ? declared : parseSutSpec({ ...base, ...sutFlags });
      if (sut.side !== declared.side || sut.user !== declared.user || sut.pf?.port !== declared.pf?.port)
        throw new Error(
          `the lab was started for ${describeSut(declared)}; --sut, --sut-user and --sut-pf cannot change that`,
        );
    }
    let run: SutRun | undefined;
    if (sut !== undefined) {
      // A SUT from the flags was checked before the lab started; one the lab declares is checked now.
      if (flags.sut === undefined) await sutPreflight(sut);
      if (sut.mode === 'manual') operator = new Operator(io.input ?? process.stdin, io.err);
      run = sutRun(sut, { lab, ...(operator ? { operator } : {}) });
      io.err(`implementation under test: ${describeSut(sut)}`);
      for (const line of sutInstructions(described, sut)) io.err(`  ${line}`);
    }
    const report = await runConformance({
      lab,
      ...(run === undefined ? {} : { sut: run }),
      ...(scenarios === undefined ? {} : { scenarios }),
      onProgress: (event) => {
        const line = progressLine(event);
        if (line !== undefined) io.err(line);
      },
    });
    const files = await writeReport(dir, report);
    io.out(
      `${summaryTable(report)}\n\nreport: ${join(dir, 'report.html')} (and report.md, junit.xml, trace.json, mermaid/, pcap/)`,
    );
    return { exitCode: report.passed ? 0 : 1, report, dir, files };
  } catch (err) {
    io.err(`cpm-lab conformance: ${(err as Error).message}`);
    return { exitCode: 2 };
  } finally {
    stopListening?.();
    await cleanUp();
  }
}

/**
 * A SUT that cannot be reached is a setup error (exit 2) before any scenario runs: its control API answers
 * HTTP (any status), a PF under test accepts TCP on its SIP address.
 */
async function sutPreflight(sut: SutSpec): Promise<void> {
  if (sut.control !== undefined) {
    try {
      await fetch(`${sut.control}/health`, { signal: AbortSignal.timeout(5000) });
    } catch (err) {
      throw new Error(`the SUT control API at ${sut.control} does not answer (${fetchFailureCause(err)})`);
    }
  }
  if (sut.side === 'pf') {
    const { host, port } = sut.pf!;
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port, timeout: 5000 });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      const fail = (why: string) => {
        socket.destroy();
        reject(new Error(`the PF under test does not take SIP over TCP at ${host}:${port} (${why})`));
      };
      socket.once('timeout', () => fail('no answer in 5 s'));
      socket.once('error', (err) => fail(err.message));
    });
  }
}

/** What GET /topology says that a SUT run needs: where the CSCF is, the domain, the SUT the lab declares. */
interface LabDescription {
  nodes: Array<{ role: string; sip?: string }>;
  peers?: Array<{ role: string; sip: string; product: string }>;
  lab?: { domain?: string; sut?: SutSpec };
}

/** A SutSpec back as flags (to re-parse it with a flag overriding one field). */
function specFlags(spec: SutSpec): SutFlags {
  return {
    sut: spec.side,
    ...(spec.user === undefined ? {} : { sutUser: spec.user }),
    ...(spec.role === undefined ? {} : { sutRole: spec.role }),
    ...(spec.pf === undefined ? {} : { sutPf: `${spec.pf.host}:${spec.pf.port}` }),
    ...(spec.name === undefined ? {} : { sutName: spec.name }),
    ...(spec.control === undefined ? { sutMode: spec.mode } : { sutControl: spec.control }),
    sutTimeout: spec.timeoutSeconds,
  };
}

/** Where the SUT must point: the lab's CSCF (registrar and outbound proxy), its domain, the factory URI. */
function sutInstructions(t: LabDescription, sut: SutSpec): string[] {
  const domain = t.lab?.domain ?? 'ims.lab';
  const cscf =
    t.nodes.find((n) => n.role === 'cscf')?.sip ??
    t.peers?.find((p) => p.role === 'cscf')?.sip ??
    "(the lab's CSCF)";
  if (sut.side === 'client')
    return [
      `register sip:${sut.user}@${domain} with the CSCF at ${cscf} (it is the registrar and the outbound proxy; TCP or UDP)`,
      `the PF's conference factory is sip:conference-factory@${domain}; group URIs are sip:group-<id>@${domain}`,
      `the client plays the scenarios' role "${sut.role}"`,
    ];
  return [
    `the CSCF at ${cscf} routes sip:conference-factory@${domain} and sip:group-*@${domain} to ${sut.pf!.host}:${sut.pf!.port} over TCP, and sends it third-party REGISTERs`,
    `send the PF's requests to the users through the CSCF at ${cscf}`,
  ];
}

export function registerConformanceCommand(program: Command): void {
  const conformance = program.command('conformance');
  embeddedLabOptions(conformance)
    .description(
      'run every scenario against a lab; a verdict per clause of OMA CPM 7.3.11 and a report (exit 1: a clause fails; 2: no verdict)',
    )
    .option('--lab <url>', `the lab API (CPM_LAB_URL, default ${DEFAULT_LAB_URL})`)
    .option('--out <dir>', `where the report goes (default ./${DEFAULT_REPORT_DIR})`)
    .option('--scenario <name...>', 'run only these scenarios, judging only the clauses they cover')
    .option(
      '--scenarios <dir>',
      'run the scenario files (*.yaml) of this directory instead of the built-ins, judging the clauses they cover (docs/scenarios.md)',
    )
    .option('--sut <client|pf>', 'judge an implementation under test from the wire (docs/sut.md)')
    .option('--sut-user <name>', 'a client under test: its user (default alice)')
    .option('--sut-role <role>', 'a client under test: the scenario role it plays (default alice)')
    .option('--sut-pf <sip-uri>', 'a PF under test: where it takes SIP over TCP (sip:host:port)')
    .option('--sut-control <url>', 'the SUT control API (docs/sut.md); implies --sut-mode control')
    .option(
      '--sut-mode <mode>',
      'how the SUT is made to act: control, manual (prompts an operator) or network',
    )
    .option('--sut-name <name>', 'the implementation under test as the report names it')
    .option('--sut-timeout <seconds>', 'how long a prompt or a network wait lasts (default 120)')
    .option('--sip-port <port>', "with --embedded: the CSCF's SIP port (default any free port)")
    .action(async (flags: ConformanceFlags) => {
      const outcome = await conformanceCommand(flags, {
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
      });
      process.exitCode = outcome.exitCode;
    });
}
