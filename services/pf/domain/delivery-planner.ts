// Which invitations the PF sends when a user's registration changes (spec clause PF; protocol-notes §3, §4).
// Pure: the node supplies the groups holding a backlog for the user, their session state and delivery records.
import { ICSI_CPM_DEFERRED, ICSI_CPM_SESSION } from '../../../protocol/cpm/index.js';
import { aorKey } from './addresses.js';
import type { DeliveryRecord } from './delivery.js';
import { type Group, isMember, type SessionState } from './groups.js';

/** Protocol profile §3: a third-party REGISTER with Expires > 0 (online) or 0 (offline). */
export interface RegistrationChange {
  user: string;
  state: 'online' | 'offline';
  /**
   * The user was not registered before this REGISTER (first registration, or back after losing coverage):
   * the moment the PF reconnects it to its active group sessions even with nothing stored (clause PF).
   * A refresh of a live registration is not a return.
   */
  returning?: boolean;
}

export interface BacklogGroup {
  group: Group;
  /** Items stored for the user in this group. */
  pending: number;
  /** The group session's runtime state. */
  session: SessionState;
  delivery?: DeliveryRecord;
}

export type MediaDirection = 'sendrecv' | 'sendonly';

/** One INVITE the PF sends to the returning user (protocol-notes §4 header list). */
export interface DeliveryInvitation {
  /** The user's AoR: Request-URI and To. */
  recipient: string;
  groupId: string;
  /** From and Contact (`;isfocus`). */
  conferenceUri: string;
  conversationId: string;
  contributionId: string;
  subject: string;
  /** Accept-Contact (require, explicit) and P-Asserted-Service. */
  icsi: typeof ICSI_CPM_SESSION | typeof ICSI_CPM_DEFERRED;
  /** SDP direction attribute of the offer. */
  direction: MediaDirection;
  /** Send the group state object before the backlog (D1.vii). */
  sendGroupStateFirst: boolean;
  /** End the session with BYE once the backlog is flushed (deferred session only). */
  byeAfterBacklog: boolean;
  /** Items waiting when the plan was made. */
  pending: number;
}

export type SkipReason = 'no-backlog' | 'not-a-member' | 'stopped-481' | 'already-delivering';

export interface DeliveryPlan {
  invitations: DeliveryInvitation[];
  skipped: { groupId: string; reason: SkipReason }[];
}

/**
 * Plan the invitations for a registration change (clause PF). Offline: nothing. Online, per group in input order:
 * - no stored item → no invitation, except a returning user and an active session: the PF reconnects it
 *   (clause PF, second half: "re-connect the CPM Client into the CPM Group Session if it is still active");
 * - user removed from (or not in) the group, delivery stopped by a 481, or a delivery already in flight (a
 *   registration refresh while delivering) → skipped;
 * - session active → `cpm.session` + `a=sendrecv`: the user joins the live session, backlog first, then live
 *   traffic (A2.i);
 * - session inactive → `cpm.deferred` + `a=sendonly`: group state object, backlog, then BYE (D1.i, D1.iii, D1.vii).
 */
export function planDeliveries(change: RegistrationChange, groups: readonly BacklogGroup[]): DeliveryPlan {
  const plan: DeliveryPlan = { invitations: [], skipped: [] };
  if (change.state === 'offline') return plan;
  const user = aorKey(change.user);
  for (const entry of groups) {
    const reason = skipReason(user, entry, change.returning === true);
    if (reason) {
      plan.skipped.push({ groupId: entry.group.id, reason });
      continue;
    }
    plan.invitations.push(invitationFor(user, entry));
  }
  return plan;
}

function skipReason(user: string, entry: BacklogGroup, returning: boolean): SkipReason | undefined {
  if (entry.pending <= 0 && !(returning && entry.session === 'active')) return 'no-backlog';
  if (!isMember(entry.group, user)) return 'not-a-member';
  if (entry.delivery?.status === 'stopped-481') return 'stopped-481';
  if (entry.delivery?.status === 'delivering') return 'already-delivering';
  return undefined;
}

/** The invitation for one group, by session state (clause PF; protocol-notes §4). */
export function invitationFor(user: string, entry: BacklogGroup): DeliveryInvitation {
  const { group } = entry;
  const active = entry.session === 'active';
  return {
    recipient: aorKey(user),
    groupId: group.id,
    conferenceUri: group.conferenceUri,
    conversationId: group.conversationId,
    contributionId: group.contributionId,
    subject: group.subject,
    icsi: active ? ICSI_CPM_SESSION : ICSI_CPM_DEFERRED,
    direction: active ? 'sendrecv' : 'sendonly',
    sendGroupStateFirst: !active,
    byeAfterBacklog: !active,
    pending: entry.pending,
  };
}
