// What the PF puts on the wire when it invites a user (protocol-notes §4 header list, §7 "Create"), and its MSRP
// media descriptions (protocol-notes §4 SDP offer; RFC 4975 §8, RFC 6135). Pure.
import {
  CONTRIBUTION_ID,
  CONVERSATION_ID,
  formatAcceptContact,
  type ICSI_CPM_DEFERRED,
  ICSI_CPM_MSG,
  type ICSI_CPM_SESSION,
} from '../../protocol/cpm/index.js';
import { GROUP_STATE_CONTENT_TYPE } from '../../protocol/bodies/index.js';
import { CPIM_CONTENT_TYPE } from '../../protocol/cpim/index.js';
import {
  buildMsrpAnswer,
  buildMsrpSdp,
  type Direction,
  type MsrpMediaDescription,
} from '../../protocol/sdp/index.js';
import { IMDN_CONTENT_TYPE } from '../../protocol/imdn/index.js';
import type { Group } from './domain/index.js';

/** protocol-notes §4: a=accept-types of the PF. */
export const PF_ACCEPT_TYPES = [CPIM_CONTENT_TYPE, GROUP_STATE_CONTENT_TYPE];
/** protocol-notes §4: a=accept-wrapped-types of the PF. */
export const PF_ACCEPT_WRAPPED_TYPES = ['text/plain', IMDN_CONTENT_TYPE];

export type InvitationIcsi = typeof ICSI_CPM_SESSION | typeof ICSI_CPM_DEFERRED;

export interface InvitationInit {
  group: Pick<Group, 'conferenceUri' | 'conversationId' | 'contributionId' | 'subject'>;
  icsi: InvitationIcsi;
  /** protocol-notes §7 "Create": the creator, on invitations to a newly created group only. */
  referredBy?: string;
}

/** `Contact: <conference URI>;isfocus` (RFC 4579 §3.1: the focus marks its Contact with isfocus). */
export function focusContact(conferenceUri: string): string {
  return `<${conferenceUri}>;isfocus`;
}

/**
 * The header fields of a PF INVITE besides RFC 3261's (protocol-notes §4): Contact with isfocus,
 * Accept-Contact (require, explicit), P-Asserted-Service (RFC 6050, literal URN), the group's
 * Conversation-ID / Contribution-ID, Subject, and Referred-By (RFC 3892) for a new group's invitations.
 */
export function invitationHeaders(init: InvitationInit): Array<[string, string]> {
  const { group } = init;
  const headers: Array<[string, string]> = [
    ['Contact', focusContact(group.conferenceUri)],
    ['Accept-Contact', formatAcceptContact([init.icsi], { require: true, explicit: true })],
    ['P-Asserted-Service', init.icsi],
    [CONVERSATION_ID, group.conversationId],
    [CONTRIBUTION_ID, group.contributionId],
  ];
  if (group.subject !== '') headers.push(['Subject', group.subject]);
  if (init.referredBy !== undefined) headers.push(['Referred-By', `<${init.referredBy}>`]);
  return headers;
}

/** Headers of a SIP MESSAGE carrying a notification from the PF to an original sender (protocol-notes §6). */
export function notificationMessageHeaders(
  group: Pick<Group, 'conferenceUri' | 'conversationId' | 'contributionId'>,
): Array<[string, string]> {
  return [
    ['Accept-Contact', formatAcceptContact([ICSI_CPM_MSG])],
    ['P-Asserted-Service', ICSI_CPM_MSG],
    [CONVERSATION_ID, group.conversationId],
    [CONTRIBUTION_ID, group.contributionId],
  ];
}

export interface LocalMsrp {
  address: string;
  port: number;
  path: string;
  maxSize?: number;
}

function localDescription(local: LocalMsrp): Omit<MsrpMediaDescription, 'direction' | 'setup'> {
  const desc: Omit<MsrpMediaDescription, 'direction' | 'setup'> = {
    address: local.address,
    port: local.port,
    transport: 'TCP/MSRP',
    path: [local.path],
    acceptTypes: PF_ACCEPT_TYPES,
    acceptWrappedTypes: PF_ACCEPT_WRAPPED_TYPES,
  };
  if (local.maxSize !== undefined) desc.maxSize = local.maxSize;
  return desc;
}

/** protocol-notes §4: the PF's offer: `a=setup:actpass`, the PF's path, types, and the direction. */
export function offerSdp(local: LocalMsrp, direction: Direction): string {
  return buildMsrpSdp({ ...localDescription(local), direction, setup: 'actpass' });
}

/** The PF's answer to a client's offer (re-join / create): RFC 3264 §6.1 direction, RFC 4145/6135 setup. */
export function answerSdp(
  offer: MsrpMediaDescription,
  local: LocalMsrp,
): { sdp: string; desc: MsrpMediaDescription } {
  const desc = buildMsrpAnswer(offer, localDescription(local));
  return { sdp: buildMsrpSdp(desc), desc };
}
