// The clauses of OMA CPM 7.3.11 ("Handling Deferred CPM Group Session Message Delivery", the change request
// to the CPM Conversation Functions specification) as this lab names them: one registry for the client, the
// scenarios, the conformance report and the console (docs/clauses.md is the same table in prose). Each
// entry is the ID, a one-line title in our words, and the normative level of the clause.

/**
 * The normative document the clauses come from, as a conformance report names it (the CR has no published
 * document number: it is cited by the specification it changes and the section it adds).
 */
export const SPEC_DOCUMENT =
  'OMA CPM Conversation Functions TS, section 7.3.11 "Handling Deferred CPM Group Session Message Delivery" (change request)';

export const CLAUSE_IDS = [
  'D1.a',
  'D1.i',
  'D1.ii',
  'D1.iii',
  'D1.iv',
  'D1.v',
  'D1.vi',
  'D1.vii',
  'D1.viii',
  'A2.a',
  'A2.i',
  'A2.ii',
  'R3',
  'PF',
] as const;

export type ClauseId = (typeof CLAUSE_IDS)[number];

/** D1.v's two refusals, named in the client's decisions: 603 Decline (D1.v.1) and 480 (D1.v.2). */
export type SubClauseId = 'D1.v.1' | 'D1.v.2';

/** RFC 2119 level of a clause; `describes` for text that states what the PF does without a keyword. */
export type NormativeLevel = 'SHALL' | 'SHALL NOT' | 'SHOULD NOT' | 'MAY / SHOULD NOT' | 'describes';

export interface Clause {
  id: ClauseId;
  title: string;
  level: NormativeLevel;
}

export const CLAUSES: Readonly<Record<ClauseId, Clause>> = {
  'D1.a': {
    id: 'D1.a',
    title: 'INVITE with cpm.deferred in Accept-Contact is handled as a CPM session invitation (7.3.2)',
    level: 'SHALL',
  },
  'D1.i': {
    id: 'D1.i',
    title: 'a=sendonly offer, recvonly answer, deferred messages received on the session',
    level: 'SHALL',
  },
  'D1.ii': {
    id: 'D1.ii',
    title: 'disposition notifications requested for deferred messages go back over SIP MESSAGE',
    level: 'SHALL',
  },
  'D1.iii': {
    id: 'D1.iii',
    title: 'SDP direction and the deferred feature tag tell the client the group session is inactive',
    level: 'SHALL',
  },
  'D1.iv': {
    id: 'D1.iv',
    title: 'Conversation-ID and Contribution-ID present but unknown to the client: 481',
    level: 'SHALL',
  },
  'D1.v': {
    id: 'D1.v',
    title: '200 OK then MSRP after ACK; 603 Decline (user leaves the group) or 480 (messages kept for later)',
    level: 'SHALL',
  },
  'D1.vi': {
    id: 'D1.vi',
    title: 'no SUBSCRIBE to the conference event package in the deferred case',
    level: 'SHALL NOT',
  },
  'D1.vii': {
    id: 'D1.vii',
    title: 'a group state object received in MSRP SEND updates the participant information',
    level: 'SHALL',
  },
  'D1.viii': {
    id: 'D1.viii',
    title: 'a reply typed after the deferred session starts a new CPM session (re-join)',
    level: 'SHALL',
  },
  'A2.a': {
    id: 'A2.a',
    title: 'INVITE with cpm.session in Accept-Contact is handled as a CPM session invitation (7.3.2)',
    level: 'SHALL',
  },
  'A2.i': {
    id: 'A2.i',
    title: 'a=sendrecv: deferred messages in, notifications and new messages out on one active session',
    level: 'SHALL',
  },
  'A2.ii': {
    id: 'A2.ii',
    title: 'Conversation-ID and Contribution-ID present but unknown (active session invitation): 481',
    level: 'SHALL',
  },
  R3: {
    id: 'R3',
    title: 'after registering again the client re-joins only when the user has a message to send',
    level: 'MAY / SHOULD NOT',
  },
  PF: {
    id: 'PF',
    title:
      'the PF invites a returning client to deliver deferred messages or to reconnect to the active session',
    level: 'describes',
  },
};

/** `D1.i: a=sendonly offer, …`: the clause ID followed by its title. */
export function clauseHeading(clause: ClauseId): string {
  return `${clause}: ${CLAUSES[clause].title}`;
}
