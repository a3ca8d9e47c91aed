// Clause titles for reports and test names come from the one registry (protocol/cpm/clauses.ts).
import { CLAUSES, type ClauseId, clauseHeading } from '../../protocol/cpm/index.js';

export { clauseHeading };

export const CLAUSE_TITLES: Readonly<Record<ClauseId, string>> = Object.fromEntries(
  Object.values(CLAUSES).map((c) => [c.id, c.title]),
) as Record<ClauseId, string>;
