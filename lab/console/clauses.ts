// The console's clause checklist: the clause IDs of docs/clauses.md, each lit when the merged
// trace shows a flow that exercises it. These are heuristics for a live demo (what the wire shows), not
// the conformance verdicts of the scenarios; each one says in `heuristic` what it looks for.
import type { NodeRole } from '../api/index.js';
import { CLAUSE_IDS, CLAUSES as CLAUSE_REGISTRY, type ClauseId } from '../../protocol/cpm/index.js';
import {
  conversationIdOf,
  type Hop,
  messageDetails,
  msrpSessionIds,
  sdpMsrpSessionIds,
} from '../trace/index.js';

export interface ClauseInfo {
  id: ClauseId;
  /** The clause's title from the registry (protocol/cpm/clauses.ts). */
  text: string;
  /** What lights it, for the page. */
  heuristic: string;
}

export interface ClauseLight {
  id: ClauseId;
  lit: boolean;
  /** Timeline indexes of the hops that lit it (the first flow that did). */
  evidence: number[];
}

/** What lights each clause on the page (the console's own heuristics over the wire). */
const HEURISTICS: Readonly<Record<ClauseId, string>> = {
  'D1.a':
    'An INVITE that the PF started, asking for cpm.deferred, reaches a client and the client answers it with a final response.',
  'D1.i':
    'A cpm.deferred INVITE offering a=sendonly is answered 200 OK by the client, and the PF then sends a chat message (MSRP SEND with a body) to the client in that MSRP session.',
  'D1.ii':
    'After accepting a cpm.deferred INVITE, the client sends a SIP MESSAGE carrying message/imdn+xml with the same Conversation-ID.',
  'D1.iii':
    'An INVITE with both cpm.deferred and a=sendonly is answered by the client with 200 OK a=recvonly (it does not offer to send), or declined (603/480/481).',
  'D1.iv': 'The client answers a cpm.deferred INVITE with 481.',
  'D1.v':
    'The client answers a cpm.deferred INVITE with 200 OK and the first MSRP message of that session follows the ACK; or it answers 603 or 480.',
  'D1.vi':
    'A deferred session the client accepted has ended (BYE) and the client sent no SUBSCRIBE between its 200 OK and the BYE.',
  'D1.vii':
    'The PF sends an MSRP SEND with application/group-state-object+xml to a client and the client answers MSRP 200.',
  'D1.viii':
    'After the BYE of a deferred session, the same client sends an INVITE (cpm.session) with that group\u2019s Conversation-ID.',
  'A2.a':
    'After a client comes back (a new REGISTER), the PF invites it with cpm.session and the client answers with a final response.',
  'A2.i':
    'That cpm.session INVITE to a returning client offers a=sendrecv and the client answers 200 OK a=sendrecv.',
  'A2.ii': 'The client answers a cpm.session INVITE from the PF with 481.',
  R3: 'A client\u2019s new REGISTER (after a de-REGISTER, or with a new Call-ID) is followed by an invitation from the PF, and the client sent no INVITE of its own in between (it did not re-join by itself).',
  PF: 'A client\u2019s new REGISTER (after a de-REGISTER, or with a new Call-ID) is followed by an INVITE from the PF to that client, cpm.deferred or cpm.session.',
};

/** The clause registry (protocol/cpm/clauses.ts), with the console's heuristics. */
export const CLAUSES: readonly ClauseInfo[] = CLAUSE_IDS.map((id) => ({
  id,
  text: CLAUSE_REGISTRY[id].title,
  heuristic: HEURISTICS[id],
}));

if (CLAUSES.map((c) => c.id).join() !== CLAUSE_IDS.join()) {
  throw new Error('lab/console CLAUSES must list the clause IDs of lab/scenarios in order');
}

/** A dialog the PF started with a client (the INVITE as it reached the client). */
interface PfInvitation {
  client: string;
  callId: string;
  icsi: 'deferred' | 'session' | undefined;
  direction: string | undefined;
  invite: Hop;
  conversationId: string | undefined;
  answer?: Hop;
  status?: number;
  answerDirection?: string;
  ack?: Hop;
  bye?: Hop;
  msrpSessions: string[];
}

interface Registration {
  client: string;
  hop: Hop;
  /** A new registration of a client seen before (after a de-REGISTER or with a new Call-ID). */
  returning: boolean;
}

/** Which clauses the timeline shows, by the heuristics of CLAUSES. */
export function evaluateClauses(
  hops: readonly Hop[],
  roles: Readonly<Record<string, NodeRole>>,
): ClauseLight[] {
  const facts = new Facts(hops, roles);
  const found = new Map<ClauseId, number[]>();
  const light = (id: ClauseId, evidence: (Hop | undefined)[]): void => {
    if (found.has(id)) return;
    found.set(
      id,
      evidence.filter((h): h is Hop => h !== undefined).map((h) => h.index),
    );
  };

  for (const inv of facts.invitations) {
    const final = inv.status !== undefined && inv.status >= 200;
    if (inv.icsi === 'deferred') {
      if (final) light('D1.a', [inv.invite, inv.answer]);
      if (inv.status === 481) light('D1.iv', [inv.invite, inv.answer]);
      if (inv.status === 603 || inv.status === 480) light('D1.v', [inv.invite, inv.answer]);
      if (inv.direction === 'sendonly') {
        const declined = inv.status === 603 || inv.status === 480 || inv.status === 481;
        if ((inv.status === 200 && inv.answerDirection === 'recvonly') || declined) {
          light('D1.iii', [inv.invite, inv.answer]);
        }
      }
      if (inv.status === 200) {
        const firstMsrp = facts.msrpOf(inv)[0];
        if (inv.ack && firstMsrp && firstMsrp.index > inv.ack.index) {
          light('D1.v', [inv.invite, inv.answer, inv.ack, firstMsrp]);
        }
        const chat = facts
          .msrpOf(inv)
          .find(
            (h) =>
              roles[h.from] === 'pf' &&
              h.to === inv.client &&
              h.label === 'MSRP SEND' &&
              !messageDetails(h).includes('empty'),
          );
        if (inv.direction === 'sendonly' && chat) light('D1.i', [inv.invite, inv.answer, chat]);
        const imdn = hops.find(
          (h) =>
            h.index > inv.answer!.index &&
            h.from === inv.client &&
            h.label === 'MESSAGE' &&
            messageDetails(h).some((d) => d.includes('message/imdn+xml')) &&
            (inv.conversationId === undefined || conversationIdOf(h) === inv.conversationId),
        );
        if (imdn) light('D1.ii', [inv.invite, inv.answer, imdn]);
        if (inv.bye) {
          const subscribed = hops.some(
            (h) =>
              h.index > inv.answer!.index &&
              h.index < inv.bye!.index &&
              h.from === inv.client &&
              h.label === 'SUBSCRIBE',
          );
          if (!subscribed) light('D1.vi', [inv.invite, inv.answer, inv.bye]);
          const rejoin = facts.clientInvites.find(
            (h) =>
              h.index > inv.bye!.index &&
              h.from === inv.client &&
              messageDetails(h).includes('cpm.session') &&
              (inv.conversationId === undefined || conversationIdOf(h) === inv.conversationId),
          );
          if (rejoin) light('D1.viii', [inv.bye, rejoin]);
        }
      }
    }
    if (inv.icsi === 'session' && inv.status === 481) light('A2.ii', [inv.invite, inv.answer]);
  }

  for (const send of hops) {
    if (send.label !== 'MSRP SEND' || roles[send.from] !== 'pf' || roles[send.to] !== 'client') continue;
    if (!messageDetails(send).includes('application/group-state-object+xml')) continue;
    const ok = hops.find(
      (h) =>
        h.index > send.index &&
        h.from === send.to &&
        h.label === 'MSRP 200' &&
        h.msrpTransactionId === send.msrpTransactionId,
    );
    if (ok) light('D1.vii', [send, ok]);
  }

  for (const reg of facts.registrations) {
    if (!reg.returning) continue;
    const next = facts.invitations.find(
      (inv) => inv.client === reg.client && inv.invite.index > reg.hop.index,
    );
    if (!next) continue;
    // The PF's invitation must be the answer to this registration, not to a later one.
    const later = facts.registrations.find(
      (r) => r.client === reg.client && r.hop.index > reg.hop.index && r.hop.index < next.invite.index,
    );
    if (later) continue;
    const thirdParty = hops.find(
      (h) =>
        h.index > reg.hop.index && roles[h.from] === 'cscf' && roles[h.to] === 'pf' && h.label === 'REGISTER',
    );
    light('PF', [reg.hop, thirdParty, next.invite]);
    const ownInvite = facts.clientInvites.some(
      (h) => h.from === reg.client && h.index > reg.hop.index && h.index < next.invite.index,
    );
    if (!ownInvite) light('R3', [reg.hop, next.invite, next.answer]);
    if (next.icsi === 'session' && next.status !== undefined && next.status >= 200) {
      light('A2.a', [reg.hop, next.invite, next.answer]);
      if (next.direction === 'sendrecv' && next.status === 200 && next.answerDirection === 'sendrecv') {
        light('A2.i', [reg.hop, next.invite, next.answer]);
      }
    }
  }

  return CLAUSE_IDS.map((id) => ({ id, lit: found.has(id), evidence: found.get(id) ?? [] }));
}

// RFC 3261 §7.2 as labelled by lab/trace: `200 OK (INVITE)`.
const RESPONSE_LABEL = /^(\d{3})\b.*\((\w+)\)$/;

/** What the heuristics read off the timeline once. */
class Facts {
  readonly invitations: PfInvitation[] = [];
  readonly registrations: Registration[] = [];
  /** INVITEs sent by a client (the hop leaving the client). */
  readonly clientInvites: Hop[] = [];
  readonly #msrpBySession = new Map<string, Hop[]>();

  constructor(hops: readonly Hop[], roles: Readonly<Record<string, NodeRole>>) {
    const isClient = (name: string): boolean => roles[name] === 'client';
    const byCall = new Map<string, Hop[]>();
    for (const h of hops) {
      if (h.protocol === 'msrp') {
        for (const id of msrpSessionIds(h)) {
          const list = this.#msrpBySession.get(id);
          if (list) list.push(h);
          else this.#msrpBySession.set(id, [h]);
        }
        continue;
      }
      if (h.callId === undefined) continue;
      const list = byCall.get(h.callId);
      if (list) list.push(h);
      else byCall.set(h.callId, [h]);
    }
    const lastRegister = new Map<string, { callId: string | undefined; expires: number }>();
    for (const h of hops) {
      if (h.protocol !== 'sip' || !isClient(h.from)) continue;
      if (h.label === 'INVITE') this.clientInvites.push(h);
      if (h.label !== 'REGISTER') continue;
      const expires = Number(
        /^expires=(\d+)$/.exec(messageDetails(h).find((d) => d.startsWith('expires=')) ?? '')?.at(1) ??
          '3600',
      );
      const previous = lastRegister.get(h.from);
      lastRegister.set(h.from, { callId: h.callId, expires });
      if (expires === 0) continue;
      const returning = previous !== undefined && (previous.expires === 0 || previous.callId !== h.callId);
      this.registrations.push({ client: h.from, hop: h, returning });
    }
    for (const [callId, list] of byCall) {
      const first = list.find((h) => h.label === 'INVITE');
      if (!first || roles[first.from] !== 'pf') continue;
      const invite = list.find((h) => h.label === 'INVITE' && isClient(h.to));
      if (!invite) continue;
      const client = invite.to;
      const details = messageDetails(invite);
      const inv: PfInvitation = {
        client,
        callId,
        icsi: details.includes('cpm.deferred')
          ? 'deferred'
          : details.includes('cpm.session')
            ? 'session'
            : undefined,
        direction: details.find((d) => ['sendonly', 'recvonly', 'sendrecv', 'inactive'].includes(d)),
        invite,
        conversationId: conversationIdOf(invite),
        msrpSessions: sdpMsrpSessionIds(invite),
      };
      for (const h of list) {
        if (h.index < invite.index) continue;
        const response = RESPONSE_LABEL.exec(h.label);
        if (response && h.from === client && response[2] === 'INVITE' && Number(response[1]) >= 200) {
          if (inv.answer) continue;
          inv.answer = h;
          inv.status = Number(response[1]);
          inv.answerDirection = messageDetails(h).find((d) =>
            ['sendonly', 'recvonly', 'sendrecv', 'inactive'].includes(d),
          );
        } else if (h.label === 'ACK' && h.to === client && !inv.ack) inv.ack = h;
        else if (h.label === 'BYE' && !inv.bye) inv.bye = h;
      }
      if (inv.answer) inv.msrpSessions.push(...sdpMsrpSessionIds(inv.answer));
      this.invitations.push(inv);
    }
    this.invitations.sort((a, b) => a.invite.index - b.invite.index);
  }

  /** The MSRP hops of an invitation's session, in timeline order. */
  msrpOf(inv: PfInvitation): Hop[] {
    const seen = new Set<Hop>();
    for (const id of inv.msrpSessions) for (const h of this.#msrpBySession.get(id) ?? []) seen.add(h);
    return [...seen].sort((a, b) => a.index - b.index);
  }
}
