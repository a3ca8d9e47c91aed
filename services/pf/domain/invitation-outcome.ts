// What the PF does with the answer to a delivery invitation (protocol-notes §4; D1.iv, D1.v, A2.ii). Pure: the
// decision is a list of store effects (applied in one transaction by store/apply-effects.ts) and node effects
// (executed by the SIP/MSRP layer).
import type { DeliveryInvitation } from './delivery-planner.js';
import type { DeliveryStatus } from './delivery.js';
import { type Group, members, removeParticipant } from './groups.js';

/** How an invitation (and, after 200, its delivery) ended. */
export type InvitationResult =
  /** A final SIP response to the INVITE (200..699). */
  | { kind: 'response'; status: number; reason?: string }
  /** No response at all: flow gone, connection refused, transaction timeout (RFC 3261 §17.1.1.2 Timer B). */
  | { kind: 'transport-failure'; detail: string }
  /** After 200: the MSRP connection dropped or the session ended before every item got its 200 OK. */
  | { kind: 'delivery-interrupted'; detail: string }
  /** Every stored item was acknowledged by MSRP 200 OK (and, for a deferred session, BYE was sent). */
  | { kind: 'delivery-complete' };

export type StoreEffect =
  | {
      type: 'set-delivery-status';
      recipient: string;
      groupId: string;
      status: DeliveryStatus;
      outcome: string;
      reason?: string;
      /** Count one more invitation attempt. */
      countAttempt: boolean;
    }
  /** protocol-notes §4: 603 removes the user from the group. */
  | { type: 'remove-participant'; groupId: string; participant: string }
  /** 603: the user refused the deferred messages; they are dropped with the delivery record. */
  | { type: 'drop-backlog'; recipient: string; groupId: string }
  /** Backlog flushed: forget the delivery record (or back to pending if items arrived meanwhile). */
  | { type: 'finish-delivery'; recipient: string; groupId: string };

export type NodeEffect =
  /** Wait for ACK and the client's MSRP connection, then send per the invitation's flags. */
  | { type: 'start-delivery'; invitation: DeliveryInvitation }
  /**
   * Tell the remaining members that `removed` left (protocol-notes §4 "tells the others"): a conference-info
   * partial NOTIFY to subscribers of an active session (participantRemovedNotice) and/or the group state object
   * over MSRP to connected members; offline members get the new list with their next deferred delivery.
   */
  | { type: 'notify-participant-removed'; group: Group; removed: string; notify: string[] }
  /** Nothing more for this group until the user's next registration (third-party REGISTER). */
  | { type: 'retry-at-next-registration'; recipient: string; groupId: string; reason: string }
  /** 481: record and stop (visible in /state). */
  | { type: 'delivery-stopped'; recipient: string; groupId: string; reason: string };

export type OutcomeDisposition = 'deliver' | 'removed' | 'retry-later' | 'stopped' | 'done';

export interface OutcomeDecision {
  disposition: OutcomeDisposition;
  storeEffects: StoreEffect[];
  nodeEffects: NodeEffect[];
}

export interface OutcomeInput {
  invitation: DeliveryInvitation;
  /** The group as stored now (needed to tell the others after a 603). */
  group: Group;
  result: InvitationResult;
  now: number;
}

/** The outcome label recorded in the delivery record (`200`, `480`, `transport-failure`...). */
export function outcomeLabel(result: InvitationResult): string {
  return result.kind === 'response' ? String(result.status) : result.kind;
}

/**
 * Decide what follows from an invitation's result (protocol-notes §4, the client's answers per D1.iv/D1.v):
 * - 2xx → deliver (status `delivering`);
 * - 603 → remove the user from the group, drop its backlog, tell the remaining members;
 * - 481 → stop delivery for this group to this user and record why (`stopped-481`);
 * - 480, 408, any other failure, no response, or a delivery interrupted after 200 → keep every unacknowledged
 *   item, back to `pending`, retry at the next registration (protocol-notes §3: the PF treats 480/408 as
 *   "offline: keep the messages");
 * - delivery complete → forget the delivery record.
 * Throws RangeError for a provisional (1xx) or out-of-range status: only final responses end an INVITE.
 */
export function decideInvitationOutcome(input: OutcomeInput): OutcomeDecision {
  const { invitation, result } = input;
  const { recipient, groupId } = invitation;
  const outcome = outcomeLabel(result);
  // An attempt is counted once per INVITE transaction: for its final response or its failure.
  const retry = (reason: string, countAttempt: boolean): OutcomeDecision => ({
    disposition: 'retry-later',
    storeEffects: [
      { type: 'set-delivery-status', recipient, groupId, status: 'pending', outcome, reason, countAttempt },
    ],
    nodeEffects: [{ type: 'retry-at-next-registration', recipient, groupId, reason }],
  });

  switch (result.kind) {
    case 'transport-failure':
      return retry(`no response: ${result.detail}`, true);
    case 'delivery-interrupted':
      return retry(`delivery interrupted: ${result.detail}`, false);
    case 'delivery-complete':
      return {
        disposition: 'done',
        storeEffects: [{ type: 'finish-delivery', recipient, groupId }],
        nodeEffects: [],
      };
    case 'response':
      break;
  }

  const { status } = result;
  if (!Number.isInteger(status) || status < 200 || status > 699) {
    throw new RangeError(`not a final SIP status: ${status}`);
  }
  const reason = `${status}${result.reason ? ` ${result.reason}` : ''}`;
  if (status < 300) {
    // D1.v: 200 OK, then MSRP after ACK.
    return {
      disposition: 'deliver',
      storeEffects: [
        {
          type: 'set-delivery-status',
          recipient,
          groupId,
          status: 'delivering',
          outcome,
          reason,
          countAttempt: true,
        },
      ],
      nodeEffects: [{ type: 'start-delivery', invitation }],
    };
  }
  if (status === 603) {
    // D1.v.1: the user refuses deferred messages and leaves the group.
    const updated = removeParticipant(input.group, recipient, input.now);
    return {
      disposition: 'removed',
      storeEffects: [
        { type: 'remove-participant', groupId, participant: recipient },
        { type: 'drop-backlog', recipient, groupId },
      ],
      nodeEffects: [
        {
          type: 'notify-participant-removed',
          group: updated,
          removed: recipient,
          notify: members(updated).map((p) => p.uri),
        },
      ],
    };
  }
  if (status === 481) {
    // D1.iv / A2.ii: the client does not know the group session.
    return {
      disposition: 'stopped',
      storeEffects: [
        {
          type: 'set-delivery-status',
          recipient,
          groupId,
          status: 'stopped-481',
          outcome,
          reason,
          countAttempt: true,
        },
      ],
      nodeEffects: [{ type: 'delivery-stopped', recipient, groupId, reason }],
    };
  }
  // D1.v.2 480 (not now), 408 / 5xx / other failures (protocol-notes §3): keep and retry.
  return retry(reason, true);
}
