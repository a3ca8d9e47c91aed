// `cpm-lab run <scenario>|all|FILE.yaml [--lab URL | --embedded [--cscf ...]]`: a named flow or a scenario file
// against a lab, its numbered ladder, each check with its clause and evidence. Exit 0 when every scenario passes, 1 when one fails (a
// scenario that does not apply counts as neither), 2 for usage and setup errors.
import type { Command } from 'commander';
import { embeddedLabOptions } from './embedded-options.js';
import { startPrivateLab } from '../../lab/embedded/index.js';
import { LabClient } from '../../lab/scenarios/lab-client.js';
import { fileScenario, isScenarioFilePath, loadScenarioFile } from '../../lab/scenarios/file/index.js';
import { SCENARIOS, findScenario } from '../../lab/scenarios/registry.js';
import { checkVerdict, type ScenarioResult } from '../../lab/scenarios/types.js';
import { renderLadder } from '../../lab/trace/index.js';

export const DEFAULT_LAB_URL = 'http://127.0.0.1:8080';

export interface RunFlags {
  lab?: string;
  embedded?: boolean;
  cscf?: string;
  /** With --embedded: the PF's SIP engine (builtin, drachtio). */
  pfSipEngine?: string;
  list?: boolean;
  ladder?: boolean;
  color?: boolean;
  width?: string;
}

export function registerRunCommand(program: Command): void {
  const run = program.command('run');
  embeddedLabOptions(run)
    .description(
      `run a named flow and check it on the wire (${SCENARIOS.map((s) => s.name).join(', ')}, or "all")`,
    )
    .argument('[scenario]', 'scenario name, "all", or a scenario file (FILE.yaml: docs/scenarios.md)')
    .option('--lab <url>', `lab API of a running lab (CPM_LAB_URL, default ${DEFAULT_LAB_URL})`)
    .option('--list', 'list the scenarios and the clauses they check')
    .option('--no-ladder', 'do not print the ladder diagram')
    .option('--color', 'ANSI colours in the ladder (default: on a terminal, unless NO_COLOR is set)')
    .option('--no-color', 'no ANSI colours')
    .option('--width <columns>', 'ladder width', String(process.stdout.columns ?? 110))
    .action(async (name: string | undefined, flags: RunFlags) => {
      if (flags.list) {
        process.stdout.write(`${scenarioTable()}\n`);
        return;
      }
      if (name === undefined) {
        // Usage: say what to do, then what there is to run.
        process.stderr.write(
          'cpm-lab run: name a scenario, or "all": e.g. `npx cpm-lab run deferred-inactive --embedded`\n\n' +
            `${scenarioTable()}\n`,
        );
        process.exitCode = 2;
        return;
      }
      // A file is read and checked before any lab starts: its problems, located, are a usage error (exit 2).
      const scenarios =
        name === 'all'
          ? [...SCENARIOS]
          : isScenarioFilePath(name)
            ? [fileScenario(await loadScenarioFile(name))]
            : [findScenario(name)];
      const { lab, close } = await openLab(flags);
      let failed = 0;
      let notApplicable = 0;
      try {
        for (const scenario of scenarios) {
          process.stdout.write(`\n▶ ${scenario.name}: ${scenario.title}\n  ${scenario.description}\n\n`);
          const result = await scenario.run({ lab, step: (text) => process.stdout.write(`  · ${text}\n`) });
          printResult(result, flags);
          if (result.notApplicable !== undefined) notApplicable++;
          else if (!result.passed) failed++;
        }
      } finally {
        await close();
      }
      if (scenarios.length > 1)
        process.stdout.write(
          `\n${scenarios.length - failed - notApplicable} passed, ${failed} failed` +
            `${notApplicable ? `, ${notApplicable} not applicable` : ''}\n`,
        );
      process.exitCode = failed ? 1 : 0;
    });
}

export async function openLab(flags: RunFlags): Promise<{ lab: LabClient; close: () => Promise<void> }> {
  if (!flags.embedded) {
    if (flags.cscf !== undefined)
      throw new Error('--cscf chooses the CSCF of a lab it starts: use it with --embedded');
    if (flags.pfSipEngine !== undefined)
      throw new Error('--pf-sip-engine chooses the SIP engine of a lab it starts: use it with --embedded');
    const lab = new LabClient(flags.lab ?? process.env.CPM_LAB_URL ?? DEFAULT_LAB_URL);
    await lab.get('/health'); // fail early, with the "is the lab running?" hint
    const described = await lab.get<{ lab?: { sut?: unknown } }>('/topology');
    if (described.lab?.sut !== undefined)
      throw new Error(
        'this lab runs an implementation under test in place of one of its nodes: judge it with `cpm-lab conformance` (docs/sut.md)',
      );
    return { lab, close: async () => {} };
  }
  const embedded = await startPrivateLab({
    label: 'run',
    ...(flags.cscf === undefined ? {} : { cscf: flags.cscf }),
    ...(flags.pfSipEngine === undefined ? {} : { pfSipEngine: flags.pfSipEngine }),
  });
  return { lab: new LabClient(embedded.url), close: () => embedded.close() };
}

/** The scenarios as a table: name, the clauses it checks, title; columns as wide as their widest cell. */
function scenarioTable(): string {
  const rows = [
    ['SCENARIO', 'CLAUSES', 'WHAT HAPPENS'],
    ...SCENARIOS.map((s) => [s.name, s.clauses.join(' '), s.title]),
  ];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`).join('\n');
}

/** Colour by default on a terminal; never on a pipe or with NO_COLOR (https://no-color.org); flags win. */
function useColor(flags: RunFlags): boolean {
  if (flags.color !== undefined) return flags.color;
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

function printResult(result: ScenarioResult, flags: RunFlags): void {
  if (result.notApplicable !== undefined) {
    process.stdout.write(`\n  verdict: NOT APPLICABLE — ${result.name}: ${result.notApplicable}\n`);
    return;
  }
  if (flags.ladder !== false && result.hops.length) {
    const width = Math.max(60, Number(flags.width) || 110);
    // Numbered rows: the checks below cite messages by these numbers. Times are seconds since the first message.
    process.stdout.write(
      `\n${renderLadder(result.hops, { width, color: useColor(flags), numbers: true })}\n`,
    );
  }
  process.stdout.write('\n');
  for (const check of result.checks) {
    const mark = { pass: 'PASS', fail: 'FAIL', inconclusive: '????', 'not-applicable': 'N/A ' }[
      checkVerdict(check)
    ];
    const clause = check.clause ? `[${check.clause}] ` : '';
    const evidence = check.evidence.length
      ? `  (messages ${check.evidence.map((i) => `#${i}`).join(', ')})`
      : '';
    process.stdout.write(`  ${mark}  ${clause}${check.description}${evidence}\n`);
    if (checkVerdict(check) !== 'pass' && check.detail) process.stdout.write(`        ${check.detail}\n`);
  }
  if (result.error) process.stdout.write(`  FAIL  the scenario could not finish: ${result.error}\n`);
  process.stdout.write(
    `\n  verdict: ${result.passed ? 'PASS' : 'FAIL'} — ${result.name} (${result.durationMs} ms, ${result.hops.length} messages)\n`,
  );
}
