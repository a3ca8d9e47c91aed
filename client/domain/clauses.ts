// Clause identifiers of docs/clauses.md, used verbatim in decisions, commands and test names.

export type ClauseId =
  | 'D1.a'
  | 'D1.i'
  | 'D1.ii'
  | 'D1.iii'
  | 'D1.iv'
  | 'D1.v'
  | 'D1.v.1'
  | 'D1.v.2'
  | 'D1.vi'
  | 'D1.vii'
  | 'D1.viii'
  | 'A2.a'
  | 'A2.i'
  | 'A2.ii'
  | 'R3'
  | 'PF';

/** A clause ID, or a reference to where the lab profile / an RFC fixes what the CR leaves open. */
export type ClauseRef = ClauseId | `RFC ${string}` | `protocol-notes §${string}` | `OMA CPM ${string}`;
