// What the SUT suites assert of a report, once.
import { expect, it } from 'vitest';
import type { ConformanceOutcome } from '../../cli/commands/conformance.js';
import { explainClause } from '../../lab/conformance/index.js';
import { CLAUSE_IDS } from '../../lab/scenarios/types.js';

/** One test per clause of the registry: it passes (a failure prints the clause's reasons and evidence). */
export function everyClausePasses(
  outcome: () => ConformanceOutcome | undefined,
  printed: readonly string[],
): void {
  for (const clause of CLAUSE_IDS) {
    it(`${clause} passes, judged from the wire`, () => {
      const report = outcome()?.report;
      expect(report, printed.join('\n')).toBeDefined();
      expect(report!.clauses.find((c) => c.clause === clause)?.verdict, explainClause(report!, clause)).toBe(
        'pass',
      );
    });
  }
}
