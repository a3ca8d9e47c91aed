import { describe, expect, it } from 'vitest';
import { CLAUSE_IDS } from '../scenarios/types.js';
import { renderJunit } from './junit.js';
import { buildReport, clauseVerdict, explainClause, evidenceHops, hopLine } from './report.js';
import { check, deferredHops, hopAt, META, result } from './test-support/results.js';

describe('buildReport: a verdict per clause of docs/clauses.md', () => {
  const hops = deferredHops();
  const invite = hopAt(hops, 'INVITE', 'cscf');
  const send = hopAt(hops, 'MSRP SEND', 'pf');

  it('lists every clause ID, in the README order', () => {
    const report = buildReport([], META);
    expect(report.clauses.map((c) => c.clause)).toEqual([...CLAUSE_IDS]);
    expect(report.clauses.every((c) => c.title.length > 10)).toBe(true);
  });

  it('pass when every check for the clause passed; fail when one failed', () => {
    const report = buildReport(
      [
        result('a', ['D1.a', 'D1.i'], [check('D1.a', 'INVITE has cpm.deferred', true, [invite])]),
        result(
          'b',
          ['D1.i'],
          [
            check('D1.i', 'offer is sendonly', true, [invite]),
            check('D1.i', 'messages arrive on the session', false, [send], 'no SEND'),
          ],
        ),
      ],
      META,
    );
    expect(clauseVerdict(report, 'D1.a').verdict).toBe('pass');
    expect(clauseVerdict(report, 'D1.a').scenarios).toEqual(['a']);
    const d1i = clauseVerdict(report, 'D1.i');
    expect(d1i.verdict).toBe('fail');
    expect(d1i.scenarios).toEqual(['a', 'b']);
    expect(d1i.checks.map((e) => `${e.scenario}:${e.check.description}`)).toEqual([
      'b:offer is sendonly',
      'b:messages arrive on the session',
    ]);
    expect(d1i.reasons).toEqual(['b: messages arrive on the session — no SEND']);
    expect(report.passed).toBe(false);
  });

  it('not-applicable: a scenario that does not apply to the lab judges nothing; a clause only it claims is N/A, not a failure', () => {
    const all = CLAUSE_IDS.filter((c) => c !== 'R3').map((c) => check(c, `${c} holds`, true));
    const skipped = {
      ...result('needs-cscf', ['R3', 'PF'], []),
      notApplicable: "needs the lab's own CSCF",
    };
    const report = buildReport(
      [
        result(
          'all',
          [...CLAUSE_IDS].filter((c) => c !== 'R3'),
          all,
        ),
        skipped,
      ],
      META,
    );
    expect(clauseVerdict(report, 'R3')).toMatchObject({
      verdict: 'not-applicable',
      reasons: ["needs-cscf: needs the lab's own CSCF"],
      scenarios: [],
    });
    // PF is judged by the scenario that ran; the one that did not apply neither passes nor fails it.
    expect(clauseVerdict(report, 'PF')).toMatchObject({ verdict: 'pass', scenarios: ['all'] });
    expect(report.passed).toBe(true);
    expect(report.totals).toMatchObject({ pass: 13, notApplicable: 1, fail: 0, notCovered: 0 });
    const junit = renderJunit(report);
    expect(junit).toContain('<skipped message="needs-cscf: needs the lab&apos;s own CSCF"/>');
    expect(junit).toMatch(/<testsuite name="needs-cscf" tests="1" failures="0" errors="0" skipped="1"/);
  });

  it('not-covered when no check names the clause, and that fails the run', () => {
    const all = CLAUSE_IDS.filter((c) => c !== 'R3').map((c) => check(c, `${c} holds`, true));
    const report = buildReport([result('all', [...CLAUSE_IDS], all)], META);
    const r3 = clauseVerdict(report, 'R3');
    expect(r3.verdict).toBe('not-covered');
    expect(r3.reasons).toEqual(['claimed by all but no check names it']);
    expect(report.passed).toBe(false);
    expect(report.totals).toMatchObject({ pass: 13, fail: 0, notCovered: 1, checks: 13, failedChecks: 0 });
    const covered = buildReport(
      [result('all', [...CLAUSE_IDS], [...all, check('R3', 'no re-join', true)])],
      META,
    );
    expect(covered.passed).toBe(true);
    expect(covered.totals.pass).toBe(CLAUSE_IDS.length);
  });

  it('a scenario that did not run to its end fails the clauses it claims, even with passing checks', () => {
    const report = buildReport(
      [
        result('broken', ['PF', 'D1.v'], [check('PF', 'PF invites', true, [0])], {
          error: 'timed out waiting for 200',
        }),
      ],
      META,
    );
    expect(clauseVerdict(report, 'PF').verdict).toBe('fail');
    expect(clauseVerdict(report, 'D1.v').verdict).toBe('fail');
    expect(clauseVerdict(report, 'D1.v').reasons).toEqual([
      'broken did not run to its end: timed out waiting for 200',
    ]);
    expect(clauseVerdict(report, 'A2.a').verdict).toBe('not-covered');
    expect(clauseVerdict(report, 'A2.a').reasons).toEqual(['no scenario checks this clause']);
  });

  it('checks without a clause count in the totals but in no clause', () => {
    const report = buildReport([result('x', [], [check(undefined, 'setup worked', false)])], META);
    expect(report.totals).toMatchObject({ checks: 1, failedChecks: 1, notCovered: CLAUSE_IDS.length });
    expect(report.clauses.every((c) => c.checks.length === 0)).toBe(true);
  });

  it('keeps the meta data and the scenario results', () => {
    const r = result('a', [], []);
    const report = buildReport([r], META);
    expect(report).toMatchObject({ startedAt: META.startedAt, durationMs: 1234, labUrl: META.labUrl });
    expect(report.scenarios).toEqual([r]);
  });
});

describe('evidence', () => {
  const hops = deferredHops();
  const invite = hopAt(hops, 'INVITE', 'cscf');

  it('evidenceHops places hops by their position in the result; out-of-range indexes are left out', () => {
    const r = result('a', ['D1.a'], [check('D1.a', 'x', true, [invite, 999])]);
    const placed = evidenceHops(r, r.checks[0]!);
    expect(placed).toHaveLength(1);
    expect(placed[0]!.at).toBe(invite);
    expect(hopLine(placed[0]!)).toBe(
      `#${invite} cscf → alice  INVITE (cpm.deferred, sendonly)  [INVITE sip:alice@127.0.0.1:40001;transport=tcp SIP/2.0]`,
    );
  });

  it('explainClause names the failed checks with their evidence start lines and scenario errors', () => {
    const send = hopAt(hops, 'MSRP SEND', 'pf');
    const report = buildReport(
      [
        result('a', ['D1.i'], [check('D1.i', 'messages arrive', false, [send], 'got 0 of 1')]),
        result('b', ['D1.i'], [], { error: 'alice never came online' }),
      ],
      META,
    );
    const text = explainClause(report, 'D1.i');
    expect(text).toContain('D1.i fail: a=sendonly offer');
    expect(text).toContain('✗ a: messages arrive — got 0 of 1');
    expect(text).toContain(`#${send} ${hops[send]!.from} → ${hops[send]!.to}  ${hops[send]!.label}`);
    expect(text).toContain(hops[send]!.startLine);
    expect(text).toContain('scenario b error: alice never came online');
  });
});
