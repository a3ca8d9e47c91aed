// Collecting a scenario's checks.
import type { Hop } from '../trace/index.js';
import type { Check, ClauseId } from './types.js';

export class Checks {
  readonly list: Check[] = [];

  /** Record a check; `evidence` are the hops (or their indexes) that show it. */
  add(
    clause: ClauseId | undefined,
    description: string,
    passed: boolean,
    detail?: string,
    evidence: Array<Hop | number | undefined> = [],
  ): boolean {
    const check: Check = {
      description,
      passed,
      evidence: evidence
        .filter((e): e is Hop | number => e !== undefined)
        .map((e) => (typeof e === 'number' ? e : e.index)),
    };
    if (clause !== undefined) check.clause = clause;
    if (detail !== undefined) check.detail = detail;
    this.list.push(check);
    return passed;
  }

  /** A check that was not judged: `not-applicable` or `inconclusive`, with the reason. */
  skip(
    clause: ClauseId | undefined,
    description: string,
    verdict: 'inconclusive' | 'not-applicable',
    reason: string,
    evidence: Array<Hop | number | undefined> = [],
  ): void {
    this.add(clause, description, false, reason, evidence);
    this.list.at(-1)!.verdict = verdict;
  }

  /** No judged check failed (checks not judged do not count). */
  get passed(): boolean {
    return this.list.every((c) => c.passed || c.verdict !== undefined);
  }
}
