// Verdicts against an implementation under test (docs/sut.md): not-applicable checks do not judge, a step that
// could not be driven makes its clauses inconclusive (never pass), a run that stopped early is inconclusive
// unless a check shows the failure; JUnit maps them to <skipped>, <error type="inconclusive">, <failure>.
import { describe, expect, it } from 'vitest';
import type { Check } from '../scenarios/types.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { buildReport, clauseVerdict, type ImplementationUnderTest, reportHeadline } from './report.js';
import { summaryTable } from './summary.js';
import { check, result } from './test-support/results.js';

const IUT: ImplementationUnderTest = {
  side: 'client',
  mode: 'control',
  name: 'Acme 4.2',
  product: 'acme-cpm/4.2',
  user: 'alice',
  role: 'alice',
};
const meta = {
  startedAt: '2026-12-05T10:00:00.000Z',
  durationMs: 1000,
  labVersion: '0.9.0',
  labCommit: 'a'.repeat(40),
  iut: IUT,
};

function skipped(c: Check, verdict: 'not-applicable' | 'inconclusive'): Check {
  return { ...c, passed: false, verdict };
}

describe('clause verdicts against an implementation under test', () => {
  it('a not-applicable check (the SUT state is not on the wire) neither passes nor fails the clause', () => {
    const report = buildReport(
      [
        result(
          'deferred-inactive',
          ['D1.vii'],
          [
            check('D1.vii', 'the object lists the members', true, [1]),
            skipped(
              check(
                'D1.vii',
                'alice follows the object',
                false,
                [],
                'reads the state of the client under test',
              ),
              'not-applicable',
            ),
          ],
        ),
      ],
      { ...meta, clauses: ['D1.vii'] },
    );
    expect(clauseVerdict(report, 'D1.vii').verdict).toBe('pass');
    expect(report.totals).toMatchObject({ passedChecks: 1, failedChecks: 0, unjudgedChecks: 1 });
    expect(report.passed).toBe(true);
  });

  it('a clause whose every check is not applicable is inconclusive: nothing on the wire judged it', () => {
    const report = buildReport(
      [
        result(
          'decline',
          ['D1.v'],
          [skipped(check('D1.v', 'alice leaves the group locally', false), 'not-applicable')],
        ),
      ],
      { ...meta, clauses: ['D1.v'] },
    );
    const v = clauseVerdict(report, 'D1.v');
    expect(v.verdict).toBe('inconclusive');
    expect(v.reasons.join()).toMatch(/could be judged from the wire/);
    expect(report.passed).toBe(false);
  });

  it("a step that could not be driven: the scenario's clauses are inconclusive, even with passing checks", () => {
    const report = buildReport(
      [
        result('rejoin', ['D1.viii', 'R3'], [check('R3', 'no re-join without a message', true, [1])], {
          inconclusive: 'the operator could not: alice: write "back soon"',
          passed: false,
        }),
      ],
      { ...meta, clauses: ['D1.viii', 'R3'] },
    );
    expect(clauseVerdict(report, 'R3').verdict).toBe('inconclusive');
    expect(clauseVerdict(report, 'R3').reasons.join()).toMatch(
      /rejoin could not be driven: the operator could not/,
    );
    expect(clauseVerdict(report, 'D1.viii').verdict).toBe('inconclusive');
    expect(report.totals.inconclusive).toBe(2);
  });

  it('a SUT run that stopped early: inconclusive unless a check shows the failure on the wire', () => {
    const report = buildReport(
      [
        result(
          'unknown-group',
          ['D1.iv', 'A2.ii'],
          [
            check('D1.iv', 'deferred INVITE → 481', false, [2], 'status 400, expected 481'),
            check('A2.ii', 'session INVITE → 481', true, [3]),
          ],
          {
            error: 'timed out waiting for the PF’s delivery to alice to be stopped-481',
          },
        ),
      ],
      { ...meta, clauses: ['D1.iv', 'A2.ii'] },
    );
    expect(clauseVerdict(report, 'D1.iv').verdict).toBe('fail');
    expect(clauseVerdict(report, 'A2.ii').verdict).toBe('inconclusive');
  });

  it("the same early stop judging the lab's own nodes (no SUT) fails, as before", () => {
    const { iut: _iut, ...own } = meta;
    const report = buildReport(
      [
        result('unknown-group', ['A2.ii'], [check('A2.ii', 'session INVITE → 481', true, [3])], {
          error: 'timed out',
        }),
      ],
      { ...own, clauses: ['A2.ii'] },
    );
    expect(clauseVerdict(report, 'A2.ii').verdict).toBe('fail');
  });
});

describe('report formats name the implementation under test and the verdicts', () => {
  const report = buildReport(
    [
      result(
        'deferred-inactive',
        ['D1.i', 'D1.vii'],
        [
          check('D1.i', 'offer is sendonly', true, [1]),
          check('D1.vii', 'object first', false, [2], 'the first SEND is text/plain'),
          skipped(
            check(
              'D1.vii',
              'alice follows the object',
              false,
              [],
              'reads the state of the client under test',
            ),
            'not-applicable',
          ),
        ],
      ),
      result('rejoin', ['R3'], [], { inconclusive: 'needs the user', passed: false }),
    ],
    { ...meta, clauses: ['D1.i', 'D1.vii', 'R3'] },
  );

  it('JUnit: failure for a failed check, skipped for not applicable, error for inconclusive; properties name the IUT', () => {
    const junit = renderJunit(report);
    expect(junit).toMatch(
      /name="D1\.vii alice follows the object"[^>]*>\s*<skipped message="reads the state of the client under test"\/>/,
    );
    expect(junit).toMatch(/name="D1\.vii object first"[^>]*>\s*<failure /);
    expect(junit).toMatch(/name="R3 [^"]*"[^>]*>\s*<error message="R3 inconclusive" type="inconclusive">/);
    expect(junit).toMatch(
      /name="rejoin can be driven"[^>]*>\s*<error message="needs the user" type="inconclusive">/,
    );
    expect(junit).toContain(
      '<property name="Implementation under test" value="Acme 4.2 (on the wire: acme-cpm/4.2), client alice, driven in mode control"/>',
    );
    expect(junit).toContain(`<property name="cpm-lab" value="0.9.0 (commit ${'a'.repeat(40)})"/>`);
    expect(junit).toMatch(
      /<property name="Specification" value="OMA CPM Conversation Functions TS, section 7\.3\.11/,
    );
    expect(junit).toMatch(/<testsuite name="clauses" tests="3" failures="1" errors="1" skipped="0"/);
  });

  it('markdown and the terminal summary: the IUT first, inconclusive counted apart from failures', () => {
    const md = renderMarkdown(report);
    expect(md).toMatch(
      /- Implementation under test: Acme 4\.2 \(on the wire: acme-cpm\/4\.2\), client alice/,
    );
    expect(md).toMatch(/### R3 — ❔ inconclusive/);
    expect(md).toMatch(/- ➖ `deferred-inactive`: alice follows the object/);
    expect(reportHeadline(report)).toBe(
      'FAIL — 1 of 3 clauses pass, 1 fail, 1 inconclusive, 0 not covered; 1 of 2 checks judged pass (1 not judged)',
    );
    expect(summaryTable(report).split('\n')[0]).toBe(
      'Implementation under test: Acme 4.2 (on the wire: acme-cpm/4.2), client alice, driven in mode control',
    );
    expect(summaryTable(report)).toMatch(/^R3 +INCONCLUSIVE /m);
  });
});
