// `cpm-lab conformance [--lab URL] [--out DIR] [--embedded]`: every scenario against a lab, a verdict per
// clause of the CR, the report files (report.md/html, junit.xml, trace.json, Mermaid, pcaps) and a summary
// table. Exit code 0 when every clause judged passes, 1 when one fails or is not covered, 2 when the run
// could not happen (usage, an unreachable lab, a lab that did not start). `--scenario X` judges only the
// clauses of the chosen scenarios; `--scenarios DIR` runs scenario files (docs/scenarios.md) instead of the
// built-ins, every file checked before anything runs.
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
import { onShutdown } from '../../runtime/index.js';
import { DEFAULT_LAB_URL } from './user-verbs.js';

export const DEFAULT_REPORT_DIR = 'conformance-report';

export interface ConformanceFlags {
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
  const cleanUp = async () => {
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
      });
      url = embedded.url;
    }
    const report = await runConformance({
      lab: new LabClient(url),
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
    .action(async (flags: ConformanceFlags) => {
      const outcome = await conformanceCommand(flags, {
        out: (text) => process.stdout.write(`${text}\n`),
        err: (text) => process.stderr.write(`${text}\n`),
      });
      process.exitCode = outcome.exitCode;
    });
}
