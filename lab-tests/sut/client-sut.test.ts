// The conformance suite against a client it did not start (docs/sut.md): the lab's own client run as a separate
// process and declared as the system under test passes every client clause, judged from the wire alone.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCommand, type ConformanceOutcome } from '../../cli/commands/conformance.js';
import { type ConformanceReport, explainClause, hopLine } from '../../lab/conformance/index.js';
import type { ClauseId } from '../../lab/scenarios/types.js';
import { freePort } from '../../runtime/index.js';
import { type NodeProcess, startClientProcess } from './processes.js';
import { everyClausePasses } from './verdicts.js';
import {
  answer400For481,
  answerSendrecv,
  type Mutation,
  startWireMutator,
  subscribeDuringDeferred,
} from './wire-mutator.js';

describe('SUT client: the lab client as a separate process, mode control', () => {
  let tmp: string;
  let sut: NodeProcess;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-sut-client-'));
    const sipPort = await freePort();
    sut = await startClientProcess({ user: 'alice', cscf: `127.0.0.1:${sipPort}` });
    outcome = await conformanceCommand(
      {
        embedded: true,
        sut: 'client',
        sutUser: 'alice',
        sutControl: sut.control,
        sutName: 'cpm-lab client (separate process)',
        sipPort: String(sipPort),
        t1: 50,
        out: join(tmp, 'report'),
      },
      { out: (t) => printed.push(t), err: (t) => printed.push(t), env: {} },
    );
  }, 300_000);

  afterAll(async () => {
    await sut?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  everyClausePasses(() => outcome, printed);

  it('exit 0; the report names the implementation under test and what it says it is on the wire', () => {
    expect(outcome.exitCode, printed.join('\n')).toBe(0);
    expect(outcome.report?.iut).toMatchObject({
      side: 'client',
      mode: 'control',
      user: 'alice',
      name: 'cpm-lab client (separate process)',
    });
  });
});

/** The full suite against the lab client behind a wire mutator: a client that breaks exactly one rule. */
async function runAgainstMutatedClient(
  mutation: Mutation,
  tmp: string,
  printed: string[],
): Promise<ConformanceOutcome> {
  const sipPort = await freePort();
  const relay = await startWireMutator({ host: '127.0.0.1', port: sipPort }, mutation);
  const sut = await startClientProcess({ user: 'alice', cscf: relay.address });
  try {
    return await conformanceCommand(
      {
        embedded: true,
        sut: 'client',
        sutControl: sut.control,
        sutName: `lab client, ${mutation.name}`,
        sipPort: String(sipPort),
        t1: 50,
        out: join(tmp, mutation.name.replace(/\W+/g, '-')),
      },
      { out: (t) => printed.push(t), err: (t) => printed.push(t), env: {} },
    );
  } finally {
    await sut.stop();
    await relay.close();
  }
}

/**
 * Why a run did not give the expected verdicts: every clause explained, and every message of each scenario
 * that did not run to its end (a timeout names only its last few; the cause is usually earlier).
 */
function diagnosis(report: ConformanceReport): string {
  const lines = report.clauses.map((c) => explainClause(report, c.clause));
  for (const result of report.scenarios) {
    if (result.error === undefined) continue;
    lines.push(`scenario ${result.name} (${result.error}), all its messages:`);
    for (const [at, hop] of result.hops.entries()) lines.push(`  ${hopLine({ at, hop })}`);
  }
  return lines.join('\n');
}

describe.each([
  { mutation: answer400For481, fails: ['D1.iv', 'A2.ii'] },
  { mutation: answerSendrecv, fails: ['D1.iii'] },
  { mutation: subscribeDuringDeferred('alice'), fails: ['D1.vi'] },
])('SUT client that breaks a rule on the wire: $mutation.name', ({ mutation, fails }) => {
  let tmp: string;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-sut-bad-'));
    outcome = await runAgainstMutatedClient(mutation, tmp, printed);
  }, 300_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it(`fails exactly ${fails.join(', ')} (exit 1), every other clause passes`, () => {
    const report = outcome.report;
    expect(report, printed.join('\n')).toBeDefined();
    const failed = report!.clauses.filter((c) => c.verdict !== 'pass').map((c) => `${c.clause}:${c.verdict}`);
    expect(failed, diagnosis(report!)).toEqual(fails.map((c) => `${c}:fail`));
    expect(outcome.exitCode).toBe(1);
  });

  it('each failure points at the message on the wire that shows it', () => {
    const report = outcome.report!;
    for (const clause of fails) {
      const failedChecks = report.clauses
        .find((c) => c.clause === clause)!
        .checks.filter((e) => !e.check.passed && e.check.verdict === undefined);
      expect(failedChecks.length, explainClause(report, clause as ClauseId)).toBeGreaterThan(0);
      expect(
        failedChecks.some((e) => e.check.evidence.length > 0),
        explainClause(report, clause as ClauseId),
      ).toBe(true);
    }
  });
});
