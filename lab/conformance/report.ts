// The conformance report (issue 8): a verdict per clause of the CR (every ID of docs/clauses.md)
// drawn from the scenarios' checks, and each scenario's own result with its wire evidence.
import type { Hop } from '../trace/index.js';
import { describeMessage } from '../trace/index.js';
import {
  type Check,
  CLAUSE_IDS,
  type ClauseId,
  checkVerdict,
  type ScenarioResult,
} from '../scenarios/types.js';
import { CLAUSES, type NormativeLevel, SPEC_DOCUMENT } from '../../protocol/cpm/index.js';
import type { SutMode, SutSide } from '../sut/index.js';
import { CLAUSE_TITLES } from './clauses.js';

/**
 * pass: every check judged for the clause passed; fail: one did not; inconclusive: it could not be judged in
 * this run (a step could not be driven, the run stopped early against a SUT, or every check reads state the
 * wire does not show); not-covered: no check names it (a failure); not-applicable: every scenario for it does
 * not apply to this lab (ScenarioResult.notApplicable), so it was not judged (the report says why).
 */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'not-covered' | 'not-applicable';

/** The implementation under test, as the report names it (docs/sut.md). */
export interface ImplementationUnderTest {
  side: SutSide;
  mode: SutMode;
  /** The name given on the command line (`--sut-name`). */
  name?: string;
  /** What it says it is on the wire: its User-Agent (requests) or Server (responses) header. */
  product?: string;
  /** A client: its user (sip:<user>@<domain>) and the scenarios' role it plays. */
  user?: string;
  role?: string;
  /** A PF: where it takes SIP. */
  sip?: string;
}

/** One check of one scenario, as evidence for a clause. */
export interface ClauseEvidence {
  scenario: string;
  check: Check;
}

export interface ClauseVerdict {
  clause: ClauseId;
  title: string;
  /** Normative level of the clause (protocol/cpm/clauses.ts): SHALL, SHALL NOT, MAY / SHOULD NOT, … */
  level: NormativeLevel;
  verdict: Verdict;
  /** Every check that names the clause, in scenario order. */
  checks: ClauseEvidence[];
  /** Scenarios with a check for the clause or that claim it (Scenario.clauses). */
  scenarios: string[];
  /** Why the verdict is not pass, one line each: failed checks, scenarios that did not run to their end. */
  reasons: string[];
}

export interface ConformanceReport {
  /** ISO 8601 time the run started. */
  startedAt: string;
  durationMs: number;
  /** The lab API the scenarios ran against. */
  labUrl?: string;
  /** The cpm-lab version that judged. */
  labVersion?: string;
  /** The commit of that version (when known: a checkout, or CPM_LAB_COMMIT in an image). */
  labCommit?: string;
  /** The normative document the clauses come from. */
  specification: string;
  /** The implementation under test; absent when the run judges the lab's own nodes. */
  iut?: ImplementationUnderTest;
  /** Which SIP server was the CSCF: `the lab's own (mock)` or `Kamailio 5.6.3 at 127.0.0.1:5060 (…)`. */
  cscf?: string;
  /** The PF's SIP engine: `cpm-lab built-in SIP stack` or `drachtio-server 1.0.0 (…), drachtio-srf 5.0.29`. */
  pfSipEngine?: string;
  /** True when every clause passed (not-covered counts as a failure). */
  passed: boolean;
  clauses: ClauseVerdict[];
  scenarios: ScenarioResult[];
  totals: {
    pass: number;
    fail: number;
    inconclusive: number;
    notCovered: number;
    notApplicable: number;
    checks: number;
    passedChecks: number;
    failedChecks: number;
    /** Checks not judged: inconclusive or not applicable. */
    unjudgedChecks: number;
  };
}

export interface ReportMeta {
  startedAt: string;
  durationMs: number;
  labUrl?: string;
  labVersion?: string;
  labCommit?: string;
  cscf?: string;
  pfSipEngine?: string;
  iut?: ImplementationUnderTest;
  /** Judge only these clauses (a run of chosen scenarios judges what they cover); default every clause. */
  clauses?: readonly ClauseId[];
}

/**
 * Verdicts from scenario results. A clause fails when any check for it failed, or (the lab's own nodes) when a
 * scenario that claims it did not run to its end (its missing checks might have failed). Against an
 * implementation under test such a scenario makes the clause inconclusive instead, unless a check shows the
 * failure on the wire, and so does a scenario a step of which could not be driven. It is not covered when no
 * check names it.
 */
export function buildReport(results: readonly ScenarioResult[], meta: ReportMeta): ConformanceReport {
  const judged =
    meta.clauses === undefined ? CLAUSE_IDS : CLAUSE_IDS.filter((c) => meta.clauses!.includes(c));
  const clauses = judged.map((clause): ClauseVerdict => {
    const checks: ClauseEvidence[] = [];
    const scenarios: string[] = [];
    const reasons: string[] = [];
    const unjudged: string[] = [];
    const inapplicable: string[] = [];
    for (const result of results) {
      if (result.notApplicable !== undefined) {
        if (result.clauses.includes(clause)) inapplicable.push(`${result.name}: ${result.notApplicable}`);
        continue;
      }
      const own = result.checks.filter((c) => c.clause === clause);
      const claims = result.clauses.includes(clause);
      if (own.length === 0 && !claims) continue;
      if (!scenarios.includes(result.name)) scenarios.push(result.name);
      for (const check of own) {
        checks.push({ scenario: result.name, check });
        const line = `${result.name}: ${check.description}${check.detail ? ` — ${check.detail}` : ''}`;
        const v = checkVerdict(check);
        if (v === 'fail') reasons.push(line);
        else if (v === 'inconclusive') unjudged.push(line);
      }
      if (result.inconclusive !== undefined && claims)
        unjudged.push(`${result.name} could not be driven: ${result.inconclusive}`);
      if (result.error !== undefined && claims) {
        const line = `${result.name} did not run to its end: ${result.error}`;
        (meta.iut ? unjudged : reasons).push(line);
      }
    }
    const judgedPass = checks.some((e) => e.check.passed);
    let verdict: Verdict =
      reasons.length > 0
        ? 'fail'
        : unjudged.length > 0
          ? 'inconclusive'
          : checks.length === 0
            ? 'not-covered'
            : judgedPass
              ? 'pass'
              : 'inconclusive';
    if (verdict === 'fail') reasons.push(...unjudged);
    else if (verdict === 'inconclusive') {
      reasons.push(...unjudged);
      if (unjudged.length === 0)
        reasons.push('no check of this clause could be judged from the wire in this run (see the checks)');
    }
    if (verdict === 'not-covered' && scenarios.length === 0 && inapplicable.length > 0) {
      verdict = 'not-applicable';
      reasons.push(...inapplicable);
    } else if (verdict === 'not-covered') {
      reasons.push(
        scenarios.length === 0
          ? 'no scenario checks this clause'
          : `claimed by ${scenarios.join(', ')} but no check names it`,
      );
    }
    return {
      clause,
      title: CLAUSE_TITLES[clause],
      level: CLAUSES[clause].level,
      verdict,
      checks,
      scenarios,
      reasons,
    };
  });
  const count = (v: Verdict) => clauses.filter((c) => c.verdict === v).length;
  const allChecks = results.flatMap((r) => r.checks);
  const report: ConformanceReport = {
    startedAt: meta.startedAt,
    durationMs: meta.durationMs,
    specification: SPEC_DOCUMENT,
    passed: clauses.every((c) => c.verdict === 'pass' || c.verdict === 'not-applicable'),
    clauses,
    scenarios: [...results],
    totals: {
      pass: count('pass'),
      fail: count('fail'),
      inconclusive: count('inconclusive'),
      notCovered: count('not-covered'),
      notApplicable: count('not-applicable'),
      checks: allChecks.length,
      passedChecks: allChecks.filter((c) => checkVerdict(c) === 'pass').length,
      failedChecks: allChecks.filter((c) => checkVerdict(c) === 'fail').length,
      unjudgedChecks: allChecks.filter((c) => c.verdict !== undefined).length,
    },
  };
  if (meta.iut !== undefined) report.iut = meta.iut;
  if (meta.labCommit !== undefined) report.labCommit = meta.labCommit;
  if (meta.labUrl !== undefined) report.labUrl = meta.labUrl;
  if (meta.cscf !== undefined) report.cscf = meta.cscf;
  if (meta.pfSipEngine !== undefined) report.pfSipEngine = meta.pfSipEngine;
  if (meta.labVersion !== undefined) report.labVersion = meta.labVersion;
  return report;
}

/** A hop of a scenario and its position in ScenarioResult.hops (what Check.evidence counts). */
export interface PlacedHop {
  at: number;
  hop: Hop;
}

/** A check's evidence hops (indexes into result.hops; out-of-range indexes are left out). */
export function evidenceHops(result: ScenarioResult, check: Check): PlacedHop[] {
  return check.evidence.flatMap((at) => {
    const hop = result.hops[at];
    return hop === undefined ? [] : [{ at, hop }];
  });
}

/** `#3 pf → cscf  INVITE (cpm.deferred, sendonly)  [INVITE sip:alice@ims.lab SIP/2.0]` */
export function hopLine({ at, hop }: PlacedHop): string {
  return `#${at} ${hop.from} → ${hop.to}  ${describeMessage(hop)}  [${hop.startLine}]`;
}

/** The scenario result of this name. */
export function scenarioOf(report: ConformanceReport, name: string): ScenarioResult | undefined {
  return report.scenarios.find((s) => s.name === name);
}

/** The verdict of one clause. */
export function clauseVerdict(report: ConformanceReport, clause: ClauseId): ClauseVerdict {
  return report.clauses.find((c) => c.clause === clause)!;
}

/**
 * A failure message for one clause: its reasons, each failed check with the start lines of its evidence
 * hops, and the errors of the scenarios that claim it.
 */
export function explainClause(report: ConformanceReport, clause: ClauseId): string {
  const v = clauseVerdict(report, clause);
  const lines = [`${clause} ${v.verdict}: ${v.title}`, ...v.reasons.map((r) => `  - ${r}`)];
  for (const { scenario, check } of v.checks) {
    if (checkVerdict(check) !== 'fail') continue;
    const result = scenarioOf(report, scenario)!;
    lines.push(`  ✗ ${scenario}: ${check.description}${check.detail ? ` — ${check.detail}` : ''}`);
    for (const placed of evidenceHops(result, check)) lines.push(`      ${hopLine(placed)}`);
  }
  for (const name of v.scenarios) {
    const result = scenarioOf(report, name)!;
    if (result.error === undefined) continue;
    lines.push(`  scenario ${name} error: ${result.error}; its last messages:`);
    for (const placed of lastHops(result)) lines.push(`      ${hopLine(placed)}`);
  }
  return lines.join('\n');
}

/** The last messages of a scenario (what it saw before it stopped). */
export function lastHops(result: ScenarioResult, count = 8): PlacedHop[] {
  const from = Math.max(0, result.hops.length - count);
  return result.hops.slice(from).map((hop, i) => ({ at: from + i, hop }));
}

/** `Acme 4.2 (User-Agent: acme-cpm/4.2), client alice`: the implementation under test in one line. */
export function describeIut(iut: ImplementationUnderTest): string {
  const name = iut.name ?? iut.product ?? 'unnamed implementation';
  const product = iut.name !== undefined && iut.product !== undefined ? ` (on the wire: ${iut.product})` : '';
  const what =
    iut.side === 'client'
      ? `client ${iut.user}${iut.role && iut.role !== iut.user ? ` as ${iut.role}` : ''}`
      : `PF at ${iut.sip}`;
  return `${name}${product}, ${what}, driven in mode ${iut.mode}`;
}

/** `PASS`/`FAIL` and the counts, in one line (the same words in every format). */
export function reportHeadline(report: ConformanceReport): string {
  const t = report.totals;
  const clauses = [
    `${t.pass} of ${report.clauses.length} clauses pass`,
    `${t.fail} fail`,
    ...(t.inconclusive ? [`${t.inconclusive} inconclusive`] : []),
    `${t.notCovered} not covered`,
    ...(t.notApplicable ? [`${t.notApplicable} not applicable`] : []),
  ].join(', ');
  const judged = t.checks - t.unjudgedChecks;
  const checks = `${t.passedChecks} of ${judged} checks judged pass${t.unjudgedChecks ? ` (${t.unjudgedChecks} not judged)` : ''}`;
  return `${report.passed ? 'PASS' : 'FAIL'} — ${clauses}; ${checks}`;
}

/** The facts a conformance engineer files with the verdicts: what was tested, by what, against which text. */
export function reportFacts(report: ConformanceReport): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  if (report.iut !== undefined) facts.push(['Implementation under test', describeIut(report.iut)]);
  facts.push(['Specification', `${report.specification}; clause IDs of docs/clauses.md`]);
  if (report.labVersion !== undefined)
    facts.push(['cpm-lab', `${report.labVersion}${report.labCommit ? ` (commit ${report.labCommit})` : ''}`]);
  facts.push(['Started', report.startedAt]);
  if (report.labUrl !== undefined) facts.push(['Lab', report.labUrl]);
  if (report.cscf !== undefined) facts.push(['CSCF', report.cscf]);
  if (report.pfSipEngine !== undefined) facts.push(['PF SIP engine', report.pfSipEngine]);
  return facts;
}

export type ScenarioVerdict = 'pass' | 'fail' | 'inconclusive' | 'not-applicable';

/** A scenario's own verdict: not applicable, inconclusive (not driven, or stopped without a failed check), pass, fail. */
export function scenarioVerdict(result: ScenarioResult): ScenarioVerdict {
  if (result.notApplicable !== undefined) return 'not-applicable';
  if (result.passed) return 'pass';
  if (result.checks.some((c) => checkVerdict(c) === 'fail')) return 'fail';
  if (result.inconclusive !== undefined) return 'inconclusive';
  return 'fail';
}
