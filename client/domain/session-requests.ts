// What the wiring layer sends for the outbox commands: re-join (R3, D1.viii) and restart through the
// conference factory (protocol-notes §7). Descriptions only; the SIP stack builds the requests.
import { ICSI_CPM_SESSION } from '../../protocol/cpm/index.js';
import type { ClauseRef } from './clauses.js';
import { type GroupRecord, type Participant, sameAor } from './group.js';

/** protocol-notes §1: the PF's conference factory. */
export const DEFAULT_CONFERENCE_FACTORY_URI = 'sip:conference-factory@ims.lab';

export interface RejoinRequest {
  kind: 'rejoin';
  /** R3 / protocol-notes §7: INVITE to the group's conference URI. */
  requestUri: string;
  conversationId?: string;
  contributionId?: string;
  subject?: string;
  /** Accept-Contact / P-Preferred-Service ICSI: cpm.session. */
  icsi: string;
  /** SDP offer direction: sendrecv, no resource list. */
  direction: 'sendrecv';
  clauses: ClauseRef[];
}

export interface FactoryRestartRequest {
  kind: 'restart-via-factory';
  /** protocol-notes §7: INVITE to the conference factory URI with `Require: recipient-list-invite`. */
  requestUri: string;
  conversationId?: string;
  contributionId?: string;
  subject?: string;
  icsi: string;
  direction: 'sendrecv';
  /** The stored participants for the recipient-list body part, without the user themself. */
  recipients: Participant[];
  require: 'recipient-list-invite';
  clauses: ClauseRef[];
}

function ids(group: GroupRecord): Pick<RejoinRequest, 'conversationId' | 'contributionId' | 'subject'> {
  const out: Pick<RejoinRequest, 'conversationId' | 'contributionId' | 'subject'> = {};
  if (group.conversationId !== undefined) out.conversationId = group.conversationId;
  if (group.contributionId !== undefined) out.contributionId = group.contributionId;
  if (group.subject !== undefined) out.subject = group.subject;
  return out;
}

/** R3 / D1.viii: re-join the group session with the group's IDs, cpm.session, a=sendrecv. */
export function rejoinRequest(group: GroupRecord): RejoinRequest {
  return {
    kind: 'rejoin',
    requestUri: group.conferenceUri,
    ...ids(group),
    icsi: ICSI_CPM_SESSION,
    direction: 'sendrecv',
    clauses: ['R3', 'D1.viii', 'protocol-notes §7'],
  };
}

/** protocol-notes §7: after a re-join 404, restart through the factory with the same IDs and participants. */
export function factoryRestartRequest(
  group: GroupRecord,
  self: string,
  factoryUri: string = DEFAULT_CONFERENCE_FACTORY_URI,
): FactoryRestartRequest {
  return {
    kind: 'restart-via-factory',
    requestUri: factoryUri,
    ...ids(group),
    icsi: ICSI_CPM_SESSION,
    direction: 'sendrecv',
    recipients: group.participants.filter((p) => !sameAor(p.uri, self)),
    require: 'recipient-list-invite',
    clauses: ['R3', 'protocol-notes §7'],
  };
}
