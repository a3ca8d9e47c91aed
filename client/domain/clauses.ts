// Clause identifiers (protocol/cpm/clauses.ts, docs/clauses.md) as the client's decisions name them: a clause
// or one of D1.v's two refusals, or where the lab profile or an RFC fixes what the CR leaves open.
import type { ClauseId as CpmClauseId, SubClauseId } from '../../protocol/cpm/index.js';

export type ClauseId = CpmClauseId | SubClauseId;

/** A clause ID, or a reference to where the lab profile / an RFC fixes what the CR leaves open. */
export type ClauseRef = ClauseId | `RFC ${string}` | `protocol-notes §${string}` | `OMA CPM ${string}`;
