// What the CPM client puts on the wire (protocol-notes §2, §4, §6, §7): its registration Contact, the headers
// and bodies of the INVITEs it sends (create, re-join, restart), its SDP offers and answers, and the CPIM of
// the chat messages it sends. Pure builders; the client executes them with the SIP and MSRP stacks.
import { createHash } from 'node:crypto';
import {
  type BodyPart,
  buildMultipart,
  buildResourceLists,
  RESOURCE_LISTS_CONTENT_TYPE,
  recipientList,
} from '../../protocol/bodies/index.js';
import { CPIM_CONTENT_TYPE, createCpim, serializeCpim } from '../../protocol/cpim/index.js';
import {
  CONTRIBUTION_ID,
  CONVERSATION_ID,
  formatAcceptContact,
  formatIcsiRefParam,
  formatSipInstanceParam,
  ICSI_CPM_DEFERRED,
  ICSI_CPM_MSG,
  ICSI_CPM_SESSION,
} from '../../protocol/cpm/index.js';
import { type DispositionRequest, IMDN_NS_DECLARATION, imdnHeaders } from '../../protocol/imdn/index.js';
import { buildMsrpSdp, type Direction } from '../../protocol/sdp/index.js';
import type { Participant } from '../domain/index.js';

/** protocol-notes §4: what the client's MSRP endpoint accepts (group state objects and CPIM). */
export const CLIENT_ACCEPT_TYPES = ['message/cpim', 'application/group-state-object+xml'];
export const CLIENT_ACCEPT_WRAPPED_TYPES = ['text/plain', 'message/imdn+xml'];
/** Dispositions the client asks for on the chat messages it sends (RFC 5438 §6.2). */
export const REQUESTED_DISPOSITIONS: DispositionRequest[] = ['positive-delivery', 'display'];

/** RFC 5626 §4.1: a stable instance URN per user (derived, so it survives restarts without extra state). */
export function stableInstanceId(aor: string, salt = ''): string {
  const h = createHash('sha256').update(`cpm-lab:${aor}:${salt}`).digest('hex');
  // RFC 4122 §4.4 layout (version 4 / variant bits set) over hash octets.
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The CPM services the client implements, and so registers (RFC 3840 §9: a Contact advertises what the UA
 * supports): sessions, deferred delivery and pager-mode MESSAGE (its IMDNs). Not cpm.largemsg: the client has
 * no large-message mode.
 */
export const CLIENT_ICSIS: readonly string[] = [ICSI_CPM_SESSION, ICSI_CPM_DEFERRED, ICSI_CPM_MSG];

/** Protocol profile §2: the client's ICSIs in ONE quoted +g.3gpp.icsi-ref, plus +sip.instance (`;a;b`). */
export function registrationContactParams(instanceId: string): string {
  return `;${formatIcsiRefParam(CLIENT_ICSIS)};${formatSipInstanceParam(instanceId)}`;
}

/**
 * The Contact of the client's CPM session dialogs (RFC 3840 §9, 7.3.2): our URI with the CPM ICSI and the
 * instance. The same on the INVITEs it sends and on its 2xx to the PF's INVITEs, so that the PF's (and the
 * CSCF's) view of the dialog peer matches the registration.
 */
export function sessionContact(
  contactUri: string,
  instanceId: string,
  icsi: string = ICSI_CPM_SESSION,
): string {
  return `<${contactUri}>;${formatIcsiRefParam([icsi])};${formatSipInstanceParam(instanceId)}`;
}

export interface GroupIds {
  conversationId?: string;
  contributionId?: string;
  subject?: string;
}

/** protocol-notes §7: headers of a re-join / restart / create INVITE (ICSI cpm.session, the group's IDs). */
export function sessionInviteHeaders(
  ids: GroupIds,
  contact: string,
  extra: Array<[string, string]> = [],
): Array<[string, string]> {
  const headers: Array<[string, string]> = [
    ['Contact', contact],
    ['Accept-Contact', formatAcceptContact([ICSI_CPM_SESSION], { require: true, explicit: true })],
    // RFC 6050 §4: the literal URN.
    ['P-Preferred-Service', ICSI_CPM_SESSION],
  ];
  if (ids.conversationId !== undefined) headers.push([CONVERSATION_ID, ids.conversationId]);
  if (ids.contributionId !== undefined) headers.push([CONTRIBUTION_ID, ids.contributionId]);
  if (ids.subject !== undefined) headers.push(['Subject', ids.subject]);
  return [...headers, ...extra];
}

/**
 * Headers of a SIP MESSAGE carrying an IMDN (D1.ii): the pager-mode ICSI as the CPM feature tag in
 * Accept-Contact (RFC 3841, a preference: a recipient that did not register cpm.msg is still reached) and in
 * P-Preferred-Service (RFC 6050), and the group's IDs.
 */
export function imdnMessageHeaders(ids: Array<{ name: string; value: string }>): Array<[string, string]> {
  return [
    ['Accept-Contact', formatAcceptContact([ICSI_CPM_MSG])],
    ['P-Preferred-Service', ICSI_CPM_MSG],
    ...ids.map((h): [string, string] => [h.name, h.value]),
  ];
}

export interface LocalMsrp {
  host: string;
  port: number;
  path: string;
}

/**
 * Our MSRP media description. Offers (re-join, create) say a=setup:active: RFC 4145 §4.1 / RFC 6135 §4.2 make
 * the answerer passive, so the client connects. Answers carry the role answerSetup chose for the offer (active
 * to the PF's actpass; passive when the offerer connects).
 */
export function msrpSdp(
  local: LocalMsrp,
  direction: Direction,
  setup: 'active' | 'passive' = 'active',
): string {
  return buildMsrpSdp(
    {
      address: local.host,
      port: local.port,
      transport: 'TCP/MSRP',
      path: [local.path],
      acceptTypes: CLIENT_ACCEPT_TYPES,
      acceptWrappedTypes: CLIENT_ACCEPT_WRAPPED_TYPES,
      direction,
      setup,
    },
    { username: '-' },
  );
}

/**
 * protocol-notes §7 "Create" (and restart through the factory): multipart/mixed with the SDP offer and the
 * recipient list (`Content-Disposition: recipient-list`, RFC 5366 §4).
 */
export function recipientListBody(
  sdp: string,
  recipients: Participant[],
): { contentType: string; body: Buffer } {
  const parts: BodyPart[] = [
    { headers: [{ name: 'Content-Type', value: 'application/sdp' }], body: Buffer.from(sdp, 'utf8') },
    {
      headers: [
        { name: 'Content-Type', value: RESOURCE_LISTS_CONTENT_TYPE },
        { name: 'Content-Disposition', value: 'recipient-list' },
      ],
      body: buildResourceLists(
        recipientList(
          recipients.map((p) =>
            p.name !== undefined ? { uri: p.uri, displayName: p.name } : { uri: p.uri },
          ),
        ),
      ),
    },
  ];
  const { contentType, body } = buildMultipart(parts, { subtype: 'mixed' });
  return { contentType, body };
}

/** protocol-notes §6: a chat message in CPIM, From = the user, To = the conference URI, IMDN requested. */
export function chatCpim(init: {
  self: string;
  conferenceUri: string;
  messageId: string;
  text: string;
  dateTime: Date;
}): { body: Buffer; contentType: typeof CPIM_CONTENT_TYPE } {
  const cpim = createCpim({
    from: { uri: init.self },
    to: { uri: init.conferenceUri },
    namespaces: [IMDN_NS_DECLARATION],
    headers: imdnHeaders(init.messageId, REQUESTED_DISPOSITIONS),
    dateTime: init.dateTime,
    contentType: 'text/plain;charset=utf-8',
    content: Buffer.from(init.text, 'utf8'),
  });
  return { body: serializeCpim(cpim), contentType: CPIM_CONTENT_TYPE };
}
