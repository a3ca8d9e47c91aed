// Incoming INVITE from the Participating Function: the client's decision (7.3.11 cases 1 and 2,
// protocol-notes §4 "Client decision"). Pure: reads the request and the known groups, mutates nothing.
//
// Combinations the CR leaves open, and the lab client's answer:
// - deferred tag + a=sendrecv: deferred (tag wins, D1.iii), answered recvonly (legal per RFC 3264 §6.1).
// - session tag + a=sendonly: the direction says inactive (A2.i), so handled as deferred delivery: recvonly,
//   IMDNs over SIP MESSAGE, no replies on it, no conference SUBSCRIBE. Active only if tag AND SDP say so.
// - both tags: the SDP direction picks (sendrecv → session); neither (nor in P-Asserted-Service) → 488.
// - IDs absent: the group is matched by conference URI (Contact;isfocus, else From). Unknown + deferred →
//   481 (nothing to deliver into); unknown + session → new group invitation (7.3.2), per policy.
// - IDs present but unknown + session tag + Referred-By → new group invitation (protocol-notes §7: the
//   Controlling Function invites with Referred-By = creator; the PF's reconnect INVITE of §4 has none).
// - one ID only, or none: an ordinary 7.3.2 invitation, matched by that ID or the conference URI; IDs are
//   opaque tokens compared exactly, so an ID of any format that matches nothing is "unknown", never 400.
// - recvonly/inactive offer or no SDP → 488; unparsable SDP → 400. Any a=setup is served (RFC 4145 §4.1):
//   active to actpass/passive, passive to active or to no a=setup. SDP problems are checked after the policy (a 603/480 needs no SDP).
// - per-client policy applies to every accepted kind (deferred, reconnect, new group), per-group override wins.
import {
  allEntries,
  parseResourceLists,
  RESOURCE_LISTS_CONTENT_TYPE,
  bodyOfType,
} from '../../protocol/bodies/index.js';
import {
  CONTRIBUTION_ID,
  CONVERSATION_ID,
  ICSI_CPM_DEFERRED,
  ICSI_CPM_SESSION,
  ICSI_REF_TAG,
  isValidCpmId,
  parseCallerPreferences,
  parseServiceHeader,
} from '../../protocol/cpm/index.js';
import {
  answerSetup,
  type Direction,
  type MsrpMediaDescription,
  parseMsrpSdp,
  SdpParseError,
} from '../../protocol/sdp/index.js';
import { aorOf, parseNameAddr, type SipRequest } from '../../protocol/sip/index.js';
import type { ClauseRef } from './clauses.js';
import {
  findGroupByConferenceUri,
  findGroupByOneId,
  findGroupByIds,
  type GroupRecord,
  type GroupSessionState,
  groupKey,
  normalizeAor,
  type Participant,
} from './group.js';
import { type InvitationPolicy, type PolicySettings, policyFor } from './policy.js';

export interface InvitationContext {
  /** The groups this user knows (the group store's contents). */
  groups: readonly GroupRecord[];
  policy: PolicySettings;
}

/** Which CPM feature tag the invitation carries (after the rules of classifyService). */
export type InvitationService = 'deferred' | 'session';

/**
 * - `deferred-delivery`: 7.3.11 case 1, the PF delivers stored messages of an inactive group session (D1.*).
 * - `reconnect`: 7.3.11 case 2, the PF reconnects the client to the still-active group session (A2.*).
 * - `new-group`: an invitation to a group this client does not know yet (7.3.2).
 */
export type InvitationKind = 'deferred-delivery' | 'reconnect' | 'new-group';

/** Something the wiring layer must do locally because of the decision. */
export type LocalEffect = { type: 'leave-group'; groupKey: string; clause: 'D1.v.1' };

export interface RejectDecision {
  action: 'reject';
  status: 400 | 480 | 481 | 488 | 603;
  /** The SIP reason phrase for the response. */
  reason: string;
  /** Why, for logs and the trace. */
  detail: string;
  /** The clause that mandates (or, for the lab-profile cases, motivates) this answer. */
  clause: ClauseRef;
  clauses: ClauseRef[];
  service?: InvitationService;
  /** The group the invitation was for, when known. */
  group?: GroupRecord;
  effects: LocalEffect[];
}

export interface AcceptDecision {
  action: 'accept';
  status: 200;
  kind: InvitationKind;
  service: InvitationService;
  /**
   * The group with what the invitation taught: for a known group its record with the new session state; for
   * `new-group` a fresh record to add to the store (`isNewGroup`).
   */
  group: GroupRecord;
  isNewGroup: boolean;
  /** `deferred`: receive-only session that the PF ends with BYE; `active`: the live group session. */
  sessionKind: 'deferred' | 'active';
  /** D1.iii / A2.i: the group session state indicated by the feature tag and the SDP direction. */
  groupSessionState: GroupSessionState;
  /**
   * RFC 3264 §6.1 answer direction; RFC 4145 §4.1 / RFC 6135 §4.2 setup: active (we connect) to actpass or
   * passive, passive (we listen) to active or to an offer without a=setup (RFC 4145 default: active).
   */
  answer: { direction: Direction; setup: 'active' | 'passive' };
  /** The parsed SDP offer (the PF's MSRP path for the connection). */
  offer: MsrpMediaDescription;
  /** D1.ii: SIP MESSAGE for notifications about messages received on this session; A2.i: MSRP. */
  imdnChannel: 'sip-message' | 'msrp';
  /** Whether new chat messages may be sent on this session (A2.i.3); never on a deferred one (D1.viii). */
  mayReply: boolean;
  /** Whether the client may SUBSCRIBE to the conference event package (D1.vi: not in the deferred case). */
  subscribeConference: boolean;
  clauses: ClauseRef[];
  /** Explanations for tolerated odd combinations (e.g. a sendrecv offer with the deferred tag). */
  notes: string[];
}

export type InvitationDecision = RejectDecision | AcceptDecision;

const REASONS = {
  400: 'Bad Request',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  488: 'Not Acceptable Here',
  603: 'Decline',
} as const;

function reject(
  status: RejectDecision['status'],
  clause: ClauseRef,
  detail: string,
  extra: Partial<Pick<RejectDecision, 'service' | 'group' | 'effects' | 'clauses'>> = {},
): RejectDecision {
  const decision: RejectDecision = {
    action: 'reject',
    status,
    reason: REASONS[status],
    detail,
    clause,
    clauses: extra.clauses ?? [clause],
    effects: extra.effects ?? [],
  };
  if (extra.service !== undefined) decision.service = extra.service;
  if (extra.group !== undefined) decision.group = extra.group;
  return decision;
}

/**
 * The CPM ICSIs an invitation carries in Accept-Contact (encoded or literal, case-insensitive).
 * Throws CpmParseError('caller-prefs') on a malformed Accept-Contact.
 */
export function invitationIcsis(invite: SipRequest): { deferred: boolean; session: boolean } {
  // Raw field values: parseCallerPreferences splits on commas itself, honouring quoted ICSI lists.
  const predicates = parseCallerPreferences(invite.fields('accept-contact').map((f) => f.value));
  const values = predicates.flatMap((p) => p.features.get(ICSI_REF_TAG) ?? []);
  return {
    deferred: values.includes(ICSI_CPM_DEFERRED.toLowerCase()),
    session: values.includes(ICSI_CPM_SESSION.toLowerCase()),
  };
}

/** P-Asserted-Service (RFC 6050), the fallback when Accept-Contact names neither CPM ICSI. */
function assertedIcsis(invite: SipRequest): { deferred: boolean; session: boolean } {
  const values = invite
    .getAll('p-asserted-service')
    .flatMap(parseServiceHeader)
    .map((v) => v.toLowerCase());
  return {
    deferred: values.includes(ICSI_CPM_DEFERRED.toLowerCase()),
    session: values.includes(ICSI_CPM_SESSION.toLowerCase()),
  };
}

type Offer = { ok: true; offer: MsrpMediaDescription } | { ok: false; status: 400 | 488; detail: string };

function sdpPart(invite: SipRequest): { body: Buffer } | { error: Offer } {
  const type = invite.mediaType;
  if (invite.body.length === 0 || type === undefined) {
    return {
      error: { ok: false, status: 488, detail: 'no SDP offer in the INVITE (late offer unsupported)' },
    };
  }
  let sdp: Buffer | undefined;
  try {
    sdp = bodyOfType(invite.body, invite.contentType ?? type, 'application/sdp');
  } catch (err) {
    return { error: { ok: false, status: 400, detail: `bad multipart body: ${(err as Error).message}` } };
  }
  if (sdp) return { body: sdp };
  return { error: { ok: false, status: 488, detail: `no application/sdp body (Content-Type ${type})` } };
}

function readOffer(invite: SipRequest): Offer {
  const part = sdpPart(invite);
  if ('error' in part) return part.error;
  let offer: MsrpMediaDescription;
  try {
    offer = parseMsrpSdp(part.body);
  } catch (err) {
    // A syntactically broken SDP is a bad request; a well-formed SDP without usable MSRP media is not acceptable.
    const status =
      !(err instanceof SdpParseError) || err.code === 'malformed' || err.code === 'too-large' ? 400 : 488;
    return { ok: false, status, detail: `SDP offer: ${(err as Error).message}` };
  }
  // RFC 3264 §6.1: the client only receives on a sendonly offer and sends+receives on sendrecv; a recvonly or
  // inactive offer gives it nothing to receive deferred or live messages on.
  if (offer.direction === 'recvonly' || offer.direction === 'inactive') {
    return { ok: false, status: 488, detail: `SDP offer a=${offer.direction}: nothing to receive on` };
  }
  return { ok: true, offer };
}

/** The conference URI of the group: Contact with `isfocus` (RFC 4579 §3.1), else From (protocol-notes §4). */
function conferenceUriOf(invite: SipRequest): string | undefined {
  try {
    const focus = invite.contacts.find((c) => c.params.has('isfocus'));
    if (focus) return aorOf(focus.uri);
  } catch {
    // A malformed Contact is not fatal here: the From of a PF invitation is the conference URI too.
  }
  try {
    return aorOf(invite.from.uri);
  } catch {
    return undefined;
  }
}

/** Participants of a new group from a recipient-list body part (protocol-notes §7) plus Referred-By. */
function newGroupParticipants(invite: SipRequest): Participant[] {
  const out: Participant[] = [];
  if (invite.mediaType?.startsWith('multipart/')) {
    try {
      const list = bodyOfType(invite.body, invite.contentType, RESOURCE_LISTS_CONTENT_TYPE);
      if (list) {
        for (const e of allEntries(parseResourceLists(list))) {
          out.push(e.displayName !== undefined ? { uri: e.uri, name: e.displayName } : { uri: e.uri });
        }
      }
    } catch {
      // The participant list is informative; the group state object / conference state will fill it in.
    }
  }
  const referredBy = invite.get('referred-by');
  if (referredBy !== undefined) {
    try {
      const uri = aorOf(parseNameAddr(referredBy).uri);
      if (!out.some((p) => normalizeAor(p.uri) === uri)) out.push({ uri });
    } catch {
      // Ignore a malformed Referred-By; it only seeds the participant list.
    }
  }
  return out;
}

/**
 * The IDs an invitation carries (docs/protocol-profile.md §1): opaque, trimmed, compared exactly. Any value is
 * taken, token or not: a present ID that matches no known group makes the group unknown, it never makes the
 * request bad (D1.iv / A2.ii: 481, never 400).
 */
type Ids =
  | { kind: 'both'; conversationId: string; contributionId: string }
  | { kind: 'one'; conversationId?: string; contributionId?: string }
  | { kind: 'none' };

function readIds(invite: SipRequest): Ids {
  const conv = invite.get(CONVERSATION_ID)?.trim() || undefined;
  const contrib = invite.get(CONTRIBUTION_ID)?.trim() || undefined;
  if (conv !== undefined && contrib !== undefined) {
    return { kind: 'both', conversationId: conv, contributionId: contrib };
  }
  if (conv !== undefined) return { kind: 'one', conversationId: conv };
  if (contrib !== undefined) return { kind: 'one', contributionId: contrib };
  return { kind: 'none' };
}

/** 7.3.2 with one ID or none: the group named by the ID that is there, else by its conference URI. */
function matchOrdinary(
  groups: readonly GroupRecord[],
  ids: Ids,
  conferenceUri: string | undefined,
): { group: GroupRecord; by: string } | undefined {
  if (ids.kind === 'one') {
    const byId =
      ids.conversationId !== undefined
        ? findGroupByOneId(groups, 'conversationId', ids.conversationId)
        : findGroupByOneId(groups, 'contributionId', ids.contributionId!);
    if (byId)
      return { group: byId, by: ids.conversationId !== undefined ? CONVERSATION_ID : CONTRIBUTION_ID };
  }
  const byUri = conferenceUri !== undefined ? findGroupByConferenceUri(groups, conferenceUri) : undefined;
  return byUri ? { group: byUri, by: 'conference URI' } : undefined;
}

/**
 * Decide how to answer an initial INVITE from the PF. Order (protocol profile §4): malformed → 400; no CPM
 * deferred/session feature tag → 488; both IDs present and unknown → 481 (D1.iv / A2.ii); policy decline → 603
 * (D1.v.1); policy later → 480 (D1.v.2); SDP offer unusable → 400/488; else 200 (D1.v / A2.a). Never throws on
 * malformed input.
 */
export function decideInvitation(invite: SipRequest, ctx: InvitationContext): InvitationDecision {
  if (invite.method !== 'INVITE') {
    return reject(400, 'RFC 3261 §13.3.1', `not an INVITE: ${invite.method}`);
  }

  // D1.a / A2.a: the feature tag in Accept-Contact selects the case.
  let tags: { deferred: boolean; session: boolean };
  try {
    tags = invitationIcsis(invite);
  } catch (err) {
    return reject(400, 'RFC 3841 §9.2', `malformed Accept-Contact: ${(err as Error).message}`);
  }
  const notes: string[] = [];
  if (!tags.deferred && !tags.session) {
    tags = assertedIcsis(invite);
    if (tags.deferred || tags.session)
      notes.push('CPM ICSI taken from P-Asserted-Service (none in Accept-Contact)');
  }
  const offer = readOffer(invite);
  const service = classifyService(tags, offer, notes);
  if (service === undefined) {
    return reject(488, 'D1.a', 'neither the cpm.deferred nor the cpm.session feature tag is present', {
      clauses: ['D1.a', 'A2.a'],
    });
  }
  const caseClause: ClauseRef = service === 'deferred' ? 'D1.a' : 'A2.a';
  const unknownClause: ClauseRef = service === 'deferred' ? 'D1.iv' : 'A2.ii';

  const ids = readIds(invite);
  const conferenceUri = conferenceUriOf(invite);

  // D1.iv / A2.ii: only when BOTH IDs are present must the group session be known with both identical.
  let group: GroupRecord | undefined;
  let kind: InvitationKind;
  if (ids.kind === 'both') {
    group = findGroupByIds(ctx.groups, ids.conversationId, ids.contributionId);
    if (group) {
      kind = service === 'deferred' ? 'deferred-delivery' : 'reconnect';
    } else if (service === 'session' && invite.has('referred-by')) {
      // 7.3.2: a new group invitation from the Controlling Function carries the creator in Referred-By
      // (protocol profile §7); the PF's reconnect invitation (§4) never does.
      kind = 'new-group';
      notes.push('unknown IDs with Referred-By: invitation to a new group (7.3.2), not a reconnect');
    } else {
      return reject(
        481,
        unknownClause,
        `no known group session with Conversation-ID ${ids.conversationId} and Contribution-ID ${ids.contributionId}`,
        { service, clauses: [caseClause, unknownClause] },
      );
    }
  } else {
    // One ID or none: D1.iv / A2.ii do not apply; an ordinary 7.3.2 invitation.
    const match = matchOrdinary(ctx.groups, ids, conferenceUri);
    group = match?.group;
    if (match) {
      kind = service === 'deferred' ? 'deferred-delivery' : 'reconnect';
      notes.push(
        `${ids.kind === 'one' ? 'one of Conversation-ID/Contribution-ID' : 'no Conversation-ID/Contribution-ID'}: group matched by ${match.by}`,
      );
    } else if (service === 'session' && conferenceUri !== undefined) {
      kind = 'new-group';
      notes.push('unknown group without both IDs: new group invitation (7.3.2)');
    } else {
      // Deferred delivery needs a group to deliver into; nothing known matches (same answer as D1.iv).
      return reject(
        481,
        unknownClause,
        `no known group for ${ids.kind === 'one' ? `${ids.conversationId !== undefined ? `Conversation-ID ${ids.conversationId}` : `Contribution-ID ${ids.contributionId}`} or ` : ''}conference URI ${conferenceUri ?? '(none)'}`,
        { service, clauses: [caseClause, unknownClause] },
      );
    }
  }

  const policy: InvitationPolicy = policyFor(ctx.policy, group?.key);
  if (policy === 'decline') {
    // D1.v.1: the user refuses the deferred messages and leaves the group.
    return reject(603, 'D1.v.1', 'user policy: decline (leave the group)', {
      service,
      clauses: [caseClause, 'D1.v', 'D1.v.1'],
      ...(group ? { group, effects: [{ type: 'leave-group', groupKey: group.key, clause: 'D1.v.1' }] } : {}),
    });
  }
  if (policy === 'later') {
    // D1.v.2: the user refuses the deferred messages for now; the PF keeps them.
    return reject(480, 'D1.v.2', 'user policy: later', {
      service,
      clauses: [caseClause, 'D1.v', 'D1.v.2'],
      ...(group ? { group } : {}),
    });
  }

  if (!offer.ok) {
    return reject(
      offer.status,
      offer.status === 400 ? 'RFC 3261 §21.4.1' : 'RFC 3261 §21.4.26',
      offer.detail,
      {
        service,
        clauses: [caseClause, offer.status === 400 ? 'RFC 3261 §21.4.1' : 'RFC 3261 §21.4.26'],
        ...(group ? { group } : {}),
      },
    );
  }

  // D1.iii / A2.i: the session is active only when the tag AND the SDP direction say so; any disagreement is
  // handled as deferred (receive only), the conservative reading.
  const active = service === 'session' && offer.offer.direction === 'sendrecv';
  if (service === 'deferred' && offer.offer.direction === 'sendrecv') {
    notes.push('cpm.deferred with a=sendrecv: treated as deferred, answered recvonly (RFC 3264 §6.1)');
  }
  if (service === 'session' && offer.offer.direction === 'sendonly') {
    notes.push(
      'cpm.session with a=sendonly: the direction says inactive (A2.i), handled as deferred delivery',
    );
  }
  const groupSessionState: GroupSessionState = active ? 'active' : 'inactive';
  const record: GroupRecord = group
    ? { ...group, sessionState: groupSessionState }
    : newGroupRecord(invite, ids, conferenceUri!, groupSessionState);

  if (!group && conferenceUri === undefined) {
    return reject(400, 'RFC 4579 §3.1', 'new group invitation without a usable conference URI', { service });
  }
  const clauses: ClauseRef[] = active
    ? [caseClause, ...(ids.kind === 'both' && kind !== 'new-group' ? ['A2.ii' as const] : []), 'A2.i']
    : [
        caseClause,
        ...(ids.kind === 'both' && kind !== 'new-group' ? [unknownClause] : []),
        'D1.v',
        'D1.i',
        'D1.ii',
        'D1.iii',
        'D1.vi',
      ];

  return {
    action: 'accept',
    status: 200,
    kind,
    service,
    group: record,
    isNewGroup: group === undefined,
    sessionKind: active ? 'active' : 'deferred',
    groupSessionState,
    // RFC 3264 §6.1: sendonly → recvonly; a sendrecv offer may be answered recvonly when we will not send.
    answer: { direction: active ? 'sendrecv' : 'recvonly', setup: answerSetup(offer.offer.setup) },
    offer: offer.offer,
    imdnChannel: active ? 'msrp' : 'sip-message',
    mayReply: active,
    subscribeConference: active,
    clauses,
    notes,
  };
}

/**
 * The service an invitation is for. One tag: that tag. Both tags (ambiguous): the SDP direction decides
 * (sendrecv → session, otherwise deferred). Neither: undefined (not a 7.3.11 invitation).
 */
function classifyService(
  tags: { deferred: boolean; session: boolean },
  offer: Offer,
  notes: string[],
): InvitationService | undefined {
  if (tags.deferred && tags.session) {
    const sendrecv = offer.ok && offer.offer.direction === 'sendrecv';
    notes.push(
      `both cpm.deferred and cpm.session tags: SDP direction decides (${sendrecv ? 'session' : 'deferred'})`,
    );
    return sendrecv ? 'session' : 'deferred';
  }
  if (tags.deferred) return 'deferred';
  if (tags.session) return 'session';
  return undefined;
}

function newGroupRecord(
  invite: SipRequest,
  ids: Ids,
  conferenceUri: string,
  sessionState: GroupSessionState,
): GroupRecord {
  const record: GroupRecord = {
    key: groupKey(ids.kind === 'none' ? undefined : ids.conversationId, conferenceUri),
    conferenceUri,
    participants: newGroupParticipants(invite),
    sessionState,
    left: false,
  };
  // Kept only when they can go back on the wire as header values (RFC 3261 tokens).
  if (ids.kind !== 'none') {
    if (ids.conversationId !== undefined && isValidCpmId(ids.conversationId))
      record.conversationId = ids.conversationId;
    if (ids.contributionId !== undefined && isValidCpmId(ids.contributionId))
      record.contributionId = ids.contributionId;
  }
  const subject = invite.get('subject')?.trim();
  if (subject) record.subject = subject;
  return record;
}
