// The conformance report (issue 8): a verdict per clause of the CR (every ID of docs/clauses.md)
// drawn from the scenarios' checks, and each scenario's own result with its wire evidence.
import type { Hop } from '../trace/index.js';
import { describeMessage } from '../trace/index.js';
import { type Check, CLAUSE_IDS, type ClauseId, type ScenarioResult } from '../scenarios/types.js';
import { CLAUSES, type NormativeLevel } from '../../protocol/cpm/index.js';
import { CLAUSE_TITLES } from './clauses.js';

/**
 * pass: every check for the clause passed; fail: one did not; not-covered: no check names it (a failure);
 * not-applicable: every scenario for it does not apply to this lab (ScenarioResult.notApplicable), so it was
 * not judged (not a failure; the report says why).
 */
export type Verdict = 'pass' | 'fail' | 'not-covered' | 'not-applicable';

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
    notCovered: number;
    notApplicable: number;
    checks: number;
    failedChecks: number;
  };
}

export interface ReportMeta {
  startedAt: string;
  durationMs: number;
  labUrl?: string;
  labVersion?: string;
  cscf?: string;
  pfSipEngine?: string;
  /** Judge only these clauses (a run of chosen scenarios judges what they cover); default every clause. */
  clauses?: readonly ClauseId[];
}

/**
 * Verdicts from scenario results. A clause fails when any check for it failed, or when a scenario that
 * claims it did not run to its end (its missing checks might have failed); it is not covered when no
 * check names it.
 */
export function buildReport(results: readonly ScenarioResult[], meta: ReportMeta): ConformanceReport {
  const judged =
    meta.clauses === undefined ? CLAUSE_IDS : CLAUSE_IDS.filter((c) => meta.clauses!.includes(c));
  const clauses = judged.map((clause): ClauseVerdict => {
    const checks: ClauseEvidence[] = [];
    const scenarios: string[] = [];
    const reasons: string[] = [];
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
        if (!check.passed) {
          reasons.push(`${result.name}: ${check.description}${check.detail ? ` — ${check.detail}` : ''}`);
        }
      }
      if (result.error !== undefined && claims) {
        reasons.push(`${result.name} did not run to its end: ${result.error}`);
      }
    }
    let verdict: Verdict = reasons.length > 0 ? 'fail' : checks.length === 0 ? 'not-covered' : 'pass';
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
    passed: clauses.every((c) => c.verdict === 'pass' || c.verdict === 'not-applicable'),
    clauses,
    scenarios: [...results],
    totals: {
      pass: count('pass'),
      fail: count('fail'),
      notCovered: count('not-covered'),
      notApplicable: count('not-applicable'),
      checks: allChecks.length,
      failedChecks: allChecks.filter((c) => !c.passed).length,
    },
  };
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
    if (check.passed) continue;
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
