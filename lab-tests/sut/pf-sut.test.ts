// The conformance suite against a Participating Function it did not start (docs/sut.md): the lab's own PF run
// as a separate process and declared as the system under test passes every clause, judged from the wire (the
// lab's CSCF routes the conference URIs to it and sends it third-party REGISTERs); the same PF behind a wire
// mutator that offers a=sendrecv in its deferred invitations fails the checks of the sendonly offer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceCommand, type ConformanceOutcome } from '../../cli/commands/conformance.js';
import { explainClause } from '../../lab/conformance/index.js';
import { freePort } from '../../runtime/index.js';
import { startPfProcess } from './processes.js';
import { everyClausePasses } from './verdicts.js';
import { type Mutation, startWireMutator } from './wire-mutator.js';

/** The PF's deferred invitation (cpm.deferred) offers a=sendrecv instead of a=sendonly (same length). */
const deferredOfferSendrecv: Mutation = {
  name: 'deferred INVITE offers sendrecv',
  fromNode(message, raw) {
    if (!message.isRequest || message.method !== 'INVITE') return raw;
    if (!/cpm\.deferred/i.test(message.getAll('accept-contact').join(','))) return raw;
    return Buffer.from(raw.toString('latin1').replace(/\r\na=sendonly\r\n/g, '\r\na=sendrecv\r\n'), 'latin1');
  },
};

async function runAgainstPf(
  tmp: string,
  printed: string[],
  mutation?: Mutation,
): Promise<ConformanceOutcome> {
  const sipPort = await freePort();
  const relay = mutation ? await startWireMutator({ host: '127.0.0.1', port: sipPort }, mutation) : undefined;
  const pf = await startPfProcess({ cscf: relay?.address ?? `127.0.0.1:${sipPort}` });
  try {
    return await conformanceCommand(
      {
        embedded: true,
        sut: 'pf',
        sutPf: `sip:${pf.sip};transport=tcp`,
        sutControl: pf.control,
        sutName: mutation ? `lab PF, ${mutation.name}` : 'cpm-lab PF (separate process)',
        sipPort: String(sipPort),
        t1: 50,
        out: join(tmp, mutation ? 'mutated' : 'plain'),
      },
      { out: (t) => printed.push(t), err: (t) => printed.push(t), env: {} },
    );
  } finally {
    await pf.stop();
    await relay?.close();
  }
}

describe('SUT PF: the lab PF as a separate process, mode control', () => {
  let tmp: string;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-sut-pf-'));
    outcome = await runAgainstPf(tmp, printed);
  }, 300_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  everyClausePasses(() => outcome, printed);

  it("exit 0; the PF's own state is never read: those checks are not applicable", () => {
    expect(outcome.exitCode, printed.join('\n')).toBe(0);
    expect(outcome.report?.iut).toMatchObject({ side: 'pf', mode: 'control' });
    const stateChecks = outcome
      .report!.scenarios.flatMap((s) => s.checks)
      .filter((c) => /reads the state of the PF under test/.test(c.detail ?? ''));
    expect(stateChecks.length).toBeGreaterThan(0);
    expect(stateChecks.every((c) => c.verdict === 'not-applicable')).toBe(true);
  });
});

describe('SUT PF that offers a=sendrecv in its deferred invitations', () => {
  let tmp: string;
  let outcome: ConformanceOutcome;
  const printed: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'cpm-lab-sut-pf-bad-'));
    outcome = await runAgainstPf(tmp, printed, deferredOfferSendrecv);
  }, 300_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('fails D1.i on the check of the sendonly offer, with the INVITE as evidence; exit 1', () => {
    const report = outcome.report;
    expect(report, printed.join('\n')).toBeDefined();
    expect(report!.clauses.find((c) => c.clause === 'D1.i')?.verdict, explainClause(report!, 'D1.i')).toBe(
      'fail',
    );
    const offer = report!.scenarios
      .find((s) => s.name === 'deferred-inactive')!
      .checks.find((c) => c.description === 'the SDP offer is a=sendonly')!;
    expect(offer.passed).toBe(false);
    expect(offer.detail).toMatch(/SDP direction sendrecv, expected sendonly/);
    expect(offer.evidence.length).toBeGreaterThan(0);
    expect(outcome.exitCode).toBe(1);
  });
});
