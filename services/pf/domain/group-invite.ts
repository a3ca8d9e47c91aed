// What the PF (as Controlling Function) does with an INVITE addressed to the conference factory or to a group's
// conference URI (protocol-notes §7 "Create", "Re-join / restart"; R3, D1.viii). Pure: lookups and the runtime
// state (session state, who is registered) are passed in.
import { isValidCpmId, sameCpmId } from '../../../protocol/cpm/index.js';
import { aorKey } from './addresses.js';
import { type Group, isMember, members, type SessionState } from './groups.js';

export const CONFERENCE_FACTORY_URI = 'sip:conference-factory@ims.lab';

export interface GroupInvite {
  /** Request-URI of the INVITE. */
  requestUri: string;
  /** The inviting user (From / P-Asserted-Identity). */
  from: string;
  conversationId?: string;
  contributionId?: string;
  /** A recipient-list (resource-lists) body is present (creation, protocol-notes §7 "Create"). */
  hasRecipientList: boolean;
}

export interface GroupLookup {
  byConferenceUri(uri: string): Group | undefined;
  byConversationId(conversationId: string): Group | undefined;
  sessionState(groupId: string): SessionState;
  isRegistered(user: string): boolean;
}

export type GroupInviteDecision =
  /** Factory URI, no known Conversation-ID: create a group from the recipient list. */
  | { action: 'create' }
  /** Conference URI, session active: add the user to the running session. */
  | { action: 'join'; group: Group }
  /**
   * Session inactive (conference URI), or a restart through the factory with the IDs of a known group (the
   * group is revived): start a new session, invite the registered members (sendrecv), store messages for
   * the others.
   */
  | { action: 'restart'; group: Group; invite: string[]; storeFor: string[]; revived: boolean }
  | { action: 'reject'; status: 400 | 403 | 404; reason: string };

/** Classify an INVITE to the factory or a conference URI. `factoryUri` defaults to the lab's. */
export function classifyGroupInvite(
  invite: GroupInvite,
  lookup: GroupLookup,
  factoryUri: string = CONFERENCE_FACTORY_URI,
): GroupInviteDecision {
  const from = aorKey(invite.from);
  for (const id of [invite.conversationId, invite.contributionId]) {
    if (id !== undefined && !isValidCpmId(id)) return { action: 'reject', status: 400, reason: 'Bad CPM ID' };
  }
  if (aorKey(invite.requestUri) === aorKey(factoryUri)) {
    // protocol-notes §7: after a 404 the client restarts through the factory with the same IDs.
    const known =
      invite.conversationId === undefined ? undefined : lookup.byConversationId(invite.conversationId);
    if (!known) {
      return invite.hasRecipientList
        ? { action: 'create' }
        : { action: 'reject', status: 400, reason: 'Recipient list missing' };
    }
    if (!isMember(known, from)) return { action: 'reject', status: 403, reason: 'Not a participant' };
    return restart(known, from, lookup, true);
  }
  const group = lookup.byConferenceUri(invite.requestUri);
  // protocol-notes §7: unknown conference URI → 404 (the client then restarts through the factory).
  if (!group) return { action: 'reject', status: 404, reason: 'Not Found' };
  if (invite.conversationId !== undefined && !sameCpmId(invite.conversationId, group.conversationId)) {
    return { action: 'reject', status: 404, reason: 'Not Found' };
  }
  if (!isMember(group, from)) return { action: 'reject', status: 403, reason: 'Not a participant' };
  if (lookup.sessionState(group.id) === 'active') return { action: 'join', group };
  return restart(group, from, lookup, false);
}

function restart(group: Group, from: string, lookup: GroupLookup, revived: boolean): GroupInviteDecision {
  const others = members(group)
    .map((p) => p.uri)
    .filter((uri) => uri !== from);
  return {
    action: 'restart',
    group,
    invite: others.filter((uri) => lookup.isRegistered(uri)),
    storeFor: others.filter((uri) => !lookup.isRegistered(uri)),
    revived,
  };
}
