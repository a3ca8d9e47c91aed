// One-line titles of the CR's clauses (docs/clauses.md, shortened further) for reports and test
// names: `D1.i: a=sendonly offer, recvonly answer, deferred messages received on the session`.
import type { ClauseId } from '../scenarios/types.js';

export const CLAUSE_TITLES: Readonly<Record<ClauseId, string>> = {
  'D1.a': 'INVITE with cpm.deferred in Accept-Contact is handled as a CPM session invitation (7.3.2)',
  'D1.i': 'a=sendonly offer, recvonly answer, deferred messages received on the session',
  'D1.ii': 'disposition notifications requested for deferred messages go back over SIP MESSAGE',
  'D1.iii': 'SDP direction and the deferred feature tag tell the client the group session is inactive',
  'D1.iv': 'Conversation-ID and Contribution-ID present but unknown to the client: 481',
  'D1.v': '200 OK then MSRP after ACK; 603 Decline (user leaves the group) or 480 (messages kept for later)',
  'D1.vi': 'no SUBSCRIBE to the conference event package in the deferred case',
  'D1.vii': 'a group state object received in MSRP SEND updates the participant information',
  'D1.viii': 'a reply typed after the deferred session starts a new CPM session (re-join)',
  'A2.a': 'INVITE with cpm.session in Accept-Contact is handled as a CPM session invitation (7.3.2)',
  'A2.i': 'a=sendrecv: deferred messages in, notifications and new messages out on one active session',
  'A2.ii': 'Conversation-ID and Contribution-ID present but unknown (active session invitation): 481',
  R3: 'after registering again the client re-joins only when the user has a message to send',
  PF: 'the PF invites a returning client to deliver deferred messages or to reconnect to the active session',
};

/** `D1.i: a=sendonly offer, …`: the clause ID followed by its title. */
export function clauseHeading(clause: ClauseId): string {
  return `${clause}: ${CLAUSE_TITLES[clause]}`;
}
