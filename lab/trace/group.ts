// Grouping and filtering of a merged timeline: by SIP Call-ID, by MSRP session, by CPM group
// (Conversation-ID), by time range, and into flows (everything that belongs together).

import { isValidCpmId, normalizeCpmId } from '../../protocol/cpm/index.js';
import type { Hop } from './merge.js';
import { header, msrpPath, msrpSessionId, sdpFacts, viewMessage } from './message.js';

/** Hops of one SIP dialog or transaction: Call-ID (RFC 3261 §20.8), compared exactly. */
export function byCallId(hops: readonly Hop[], callId: string): Hop[] {
  return hops.filter((h) => h.callId === callId);
}

/** SIP hops by Call-ID, in timeline order; keys in order of first appearance. */
export function groupByCallId(hops: readonly Hop[]): Map<string, Hop[]> {
  return groupBy(hops, (h) => (h.callId === undefined ? [] : [h.callId]));
}

/** Session ids of the To-Path and From-Path URIs of an MSRP hop (RFC 4975 §9); empty for SIP. */
export function msrpSessionIds(hop: Hop): string[] {
  if (hop.protocol !== 'msrp') return [];
  const view = viewMessage('msrp', hop.raw);
  const uris = [...msrpPath(header(view, 'to-path')), ...msrpPath(header(view, 'from-path'))];
  return unique(uris.map(msrpSessionId).filter((id): id is string => id !== undefined));
}

/**
 * Key of the MSRP session a hop belongs to: the session ids of the two endpoints (the last URI of To-Path
 * and of From-Path, RFC 4975 §5.2 — relays sit in front), sorted and joined by a space.
 */
export function msrpSessionKey(hop: Hop): string | undefined {
  const ends = msrpEndSessionIds(hop);
  if (ends?.to === undefined || ends.from === undefined) return undefined;
  return [ends.to, ends.from].sort().join(' ');
}

/** Session ids of the two endpoints of an MSRP hop: the last URI of To-Path and of From-Path (RFC 4975 §5.2). */
export function msrpEndSessionIds(hop: Hop): { to?: string; from?: string } | undefined {
  if (hop.protocol !== 'msrp') return undefined;
  const view = viewMessage('msrp', hop.raw);
  const idOf = (value: string | undefined) => {
    const uri = msrpPath(value).at(-1);
    return uri === undefined ? undefined : msrpSessionId(uri);
  };
  const to = idOf(header(view, 'to-path'));
  const from = idOf(header(view, 'from-path'));
  return { ...(to !== undefined ? { to } : {}), ...(from !== undefined ? { from } : {}) };
}

/** MSRP hops whose To-Path or From-Path carries this session id. */
export function byMsrpSession(hops: readonly Hop[], sessionId: string): Hop[] {
  return hops.filter((h) => msrpSessionIds(h).includes(sessionId));
}

/** MSRP hops by msrpSessionKey. */
export function groupByMsrpSession(hops: readonly Hop[]): Map<string, Hop[]> {
  return groupBy(hops, (h) => {
    const key = msrpSessionKey(h);
    return key === undefined ? [] : [key];
  });
}

/** MSRP session ids announced in the SDP a=path lines (RFC 4975 §8.2) of a SIP hop. */
export function sdpMsrpSessionIds(hop: Hop): string[] {
  if (hop.protocol !== 'sip') return [];
  const sdp = sdpFacts(viewMessage('sip', hop.raw).body);
  return unique((sdp?.paths ?? []).map(msrpSessionId).filter((id): id is string => id !== undefined));
}

/** The Conversation-ID header of a SIP hop (protocol profile §1: an opaque token), trimmed. */
export function conversationIdOf(hop: Hop): string | undefined {
  if (hop.protocol !== 'sip') return undefined;
  const value = header(viewMessage('sip', hop.raw), 'conversation-id');
  return value === undefined || value === '' ? undefined : normalizeId(value);
}

function normalizeId(value: string): string {
  return isValidCpmId(value) ? normalizeCpmId(value) : value.trim();
}

/**
 * Everything of one CPM group: SIP hops with its Conversation-ID, every hop sharing a Call-ID with them
 * (responses, ACK, BYE need not repeat the header), and the MSRP sessions those dialogs set up (session
 * ids in their SDP a=path).
 */
export function byConversation(hops: readonly Hop[], conversationId: string): Hop[] {
  return groupByConversation(hops).get(normalizeId(conversationId)) ?? [];
}

/** Hops by Conversation-ID (see byConversation); a hop outside every group is in no entry. */
export function groupByConversation(hops: readonly Hop[]): Map<string, Hop[]> {
  const conversationsOfCall = new Map<string, Set<string>>();
  for (const h of hops) {
    const id = conversationIdOf(h);
    if (id === undefined || h.callId === undefined) continue;
    addTo(conversationsOfCall, h.callId, id);
  }
  const conversationsOfSession = new Map<string, Set<string>>();
  for (const h of hops) {
    const ids = h.callId === undefined ? undefined : conversationsOfCall.get(h.callId);
    if (!ids) continue;
    for (const session of sdpMsrpSessionIds(h))
      for (const id of ids) addTo(conversationsOfSession, session, id);
  }
  return groupBy(hops, (h) => {
    const own = conversationIdOf(h);
    const ids = new Set<string>(own === undefined ? [] : [own]);
    if (h.callId !== undefined) for (const id of conversationsOfCall.get(h.callId) ?? []) ids.add(id);
    for (const session of msrpSessionIds(h))
      for (const id of conversationsOfSession.get(session) ?? []) ids.add(id);
    return [...ids];
  });
}

/** Hops with from ≤ time ≤ to (ms since the epoch, either bound optional). */
export function inTimeRange(hops: readonly Hop[], range: { from?: number; to?: number }): Hop[] {
  const from = range.from ?? Number.NEGATIVE_INFINITY;
  const to = range.to ?? Number.POSITIVE_INFINITY;
  return hops.filter((h) => h.time >= from && h.time <= to);
}

/** A set of hops that belong together: one group, or one dialog with its MSRP sessions. */
export interface Flow {
  /** `conversation:<id>`, `call:<Call-ID>`, `msrp:<session key>`, or `hop:<index>` for a lone hop. */
  key: string;
  conversationIds: string[];
  callIds: string[];
  msrpSessions: string[];
  hops: Hop[];
}

/**
 * Splits a timeline into flows: hops are joined when they share a Call-ID, a Conversation-ID, or an MSRP
 * session (including the SDP a=path that announced it). Flows come in order of their first hop.
 */
export function splitFlows(hops: readonly Hop[]): Flow[] {
  const parent = hops.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const firstWith = new Map<string, number>();
  const join = (i: number, key: string): void => {
    const first = firstWith.get(key);
    if (first === undefined) firstWith.set(key, i);
    else {
      const a = find(first);
      const b = find(i);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  };
  hops.forEach((h, i) => {
    if (h.callId !== undefined) join(i, `call:${h.callId}`);
    const conversation = conversationIdOf(h);
    if (conversation !== undefined) join(i, `conversation:${conversation}`);
    for (const id of [...msrpSessionIds(h), ...sdpMsrpSessionIds(h)]) join(i, `msrp:${id}`);
  });
  const flows = new Map<number, Hop[]>();
  hops.forEach((h, i) => {
    const root = find(i);
    const list = flows.get(root);
    if (list) list.push(h);
    else flows.set(root, [h]);
  });
  return [...flows.values()].map(describeFlow);
}

function describeFlow(hops: Hop[]): Flow {
  const conversationIds = unique(hops.map(conversationIdOf).filter((x): x is string => x !== undefined));
  const callIds = unique(hops.map((h) => h.callId).filter((x): x is string => x !== undefined));
  const msrpSessions = unique(hops.map(msrpSessionKey).filter((x): x is string => x !== undefined));
  const key =
    conversationIds[0] !== undefined
      ? `conversation:${conversationIds[0]}`
      : callIds[0] !== undefined
        ? `call:${callIds[0]}`
        : msrpSessions[0] !== undefined
          ? `msrp:${msrpSessions[0]}`
          : `hop:${hops[0]!.index}`;
  return { key, conversationIds, callIds, msrpSessions, hops };
}

function groupBy(hops: readonly Hop[], keys: (h: Hop) => string[]): Map<string, Hop[]> {
  const groups = new Map<string, Hop[]>();
  for (const h of hops) {
    for (const key of keys(h)) {
      const list = groups.get(key);
      if (list) list.push(h);
      else groups.set(key, [h]);
    }
  }
  return groups;
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
