// Reading the merged trace for scenario checks: SIP messages parsed with our own parser, MSRP frames
// with our MSRP parser, SDP with protocol/sdp. Hops that do not parse are skipped (they are evidence of
// something else, and the trace keeps their bytes).
import { parseCpim } from '../../protocol/cpim/index.js';
import { decodeFeatureValues, ICSI_CPM_DEFERRED, ICSI_CPM_SESSION } from '../../protocol/cpm/index.js';
import { getHeader, type MsrpFrame, MsrpParser } from '../../protocol/msrp/index.js';
import { parseMsrpSdp } from '../../protocol/sdp/index.js';
import {
  parseMessage,
  type SipMessage,
  type SipRequest,
  type SipResponse,
  serverKey,
} from '../../protocol/sip/index.js';
import { byConversation, type Hop } from '../trace/index.js';

export interface SipHop {
  index: number;
  hop: Hop;
  message: SipMessage;
}

export interface MsrpHop {
  index: number;
  hop: Hop;
  frame: MsrpFrame;
}

/** `index` is the hop's place in the merged timeline (Hop.index), so it orders hops across filtered lists. */
export function sipHops(hops: readonly Hop[]): SipHop[] {
  const out: SipHop[] = [];
  hops.forEach((hop) => {
    if (hop.protocol !== 'sip') return;
    try {
      out.push({ index: hop.index, hop, message: parseMessage(hop.raw) });
    } catch {
      // CRLF keep-alives and anything malformed are not SIP messages to check.
    }
  });
  return out;
}

export function msrpHops(hops: readonly Hop[]): MsrpHop[] {
  const out: MsrpHop[] = [];
  hops.forEach((hop) => {
    if (hop.protocol !== 'msrp') return;
    for (const event of new MsrpParser().push(hop.raw)) {
      if (event.type === 'frame') out.push({ index: hop.index, hop, frame: event.frame });
    }
  });
  return out;
}

/**
 * The hops of one group: its Conversation-ID dialogs and the MSRP sessions they set up (lab/trace byConversation),
 * plus the dialogs addressed to its conference URI (SUBSCRIBE/NOTIFY carry no Conversation-ID). A user who
 * registers is reconnected to every active session of its groups, so a scenario's checks look at its own group.
 */
export function groupHops(
  hops: readonly Hop[],
  group: { conversationId: string; conferenceUri: string },
): Hop[] {
  const inGroup = new Set(byConversation(hops, group.conversationId));
  const conferenceCalls = new Set(
    sipHops(hops)
      .filter((h) => h.message.isRequest && h.message.uri.startsWith(group.conferenceUri))
      .map((h) => h.message.callId),
  );
  return hops.filter((h) => inGroup.has(h) || (h.callId !== undefined && conferenceCalls.has(h.callId)));
}

export interface RequestFilter {
  method: string;
  from?: string;
  to?: string;
  /** Request-URI starts with this. */
  uri?: string;
}

export function requestHops(
  hops: readonly Hop[],
  filter: RequestFilter,
): Array<SipHop & { message: SipRequest }> {
  return sipHops(hops).filter(
    (h): h is SipHop & { message: SipRequest } =>
      h.message.isRequest &&
      h.message.method === filter.method &&
      (filter.from === undefined || h.hop.from === filter.from) &&
      (filter.to === undefined || h.hop.to === filter.to) &&
      (filter.uri === undefined || h.message.uri.startsWith(filter.uri)),
  );
}

/**
 * The last request of a list in timeline order, as first sent: a retransmission matches the same server
 * transaction (RFC 3261 §17.2.3) and is the same request, not a later one, so "the last REGISTER" is the first
 * copy of the last transaction.
 */
export function lastTransaction<T extends { message: SipRequest }>(requests: readonly T[]): T | undefined {
  const last = requests.at(-1);
  if (!last) return undefined;
  const key = transactionKey(last.message);
  if (key === undefined) return last;
  return requests.find((r) => transactionKey(r.message) === key) ?? last;
}

/** The request's server transaction key (§17.2.3); undefined when its headers do not parse (a request of its own). */
function transactionKey(request: SipRequest): string | undefined {
  try {
    return serverKey(request);
  } catch {
    return undefined;
  }
}

/** Final responses to the request with this Call-ID and CSeq method, sent by `from` (if given). */
export function responsesTo(
  hops: readonly Hop[],
  request: SipRequest,
  from?: string,
): Array<SipHop & { message: SipResponse }> {
  const callId = request.callId;
  const method = request.cseq.method;
  return sipHops(hops).filter(
    (h): h is SipHop & { message: SipResponse } =>
      !h.message.isRequest &&
      h.message.status >= 200 &&
      h.message.callId === callId &&
      h.message.cseq.method === method &&
      (from === undefined || h.hop.from === from),
  );
}

/** The CPM service of a request: from Accept-Contact (+g.3gpp.icsi-ref), else P-Asserted/Preferred-Service. */
export function cpmServiceOf(message: SipMessage): 'deferred' | 'session' | undefined {
  const values: string[] = [];
  for (const ac of message.getAll('accept-contact')) {
    const m = /\+g\.3gpp\.icsi-ref="?([^";]+)"?/i.exec(ac);
    if (m) values.push(...decodeFeatureValues(m[1]!));
  }
  for (const name of ['p-asserted-service', 'p-preferred-service']) {
    const v = message.get(name);
    if (v) values.push(v.trim());
  }
  const lower = values.map((v) => v.toLowerCase());
  if (lower.includes(ICSI_CPM_DEFERRED.toLowerCase())) return 'deferred';
  if (lower.includes(ICSI_CPM_SESSION.toLowerCase())) return 'session';
  return undefined;
}

/** The `require;explicit` flags of the Accept-Contact that names the deferred/session ICSI. */
export function acceptContactFlags(message: SipMessage): { require: boolean; explicit: boolean } {
  const ac = message.getAll('accept-contact').find((v) => /icsi-ref/i.test(v)) ?? '';
  return { require: /;\s*require\b/i.test(ac), explicit: /;\s*explicit\b/i.test(ac) };
}

/** The SDP direction of an MSRP offer or answer in the body (undefined when there is no SDP). */
export function sdpDirection(message: SipMessage): string | undefined {
  if (message.mediaType !== 'application/sdp' || message.body.length === 0) return undefined;
  try {
    return parseMsrpSdp(message.body).direction;
  } catch {
    return undefined;
  }
}

/** MSRP SENDs with a body, in order, with their content type and (for CPIM) the inner text. */
export function msrpSends(hops: readonly Hop[], filter: { from?: string; to?: string } = {}) {
  return msrpHops(hops)
    .filter(
      (h) =>
        h.frame.kind === 'request' &&
        h.frame.method === 'SEND' &&
        h.frame.body !== undefined &&
        h.frame.body.length > 0 &&
        (filter.from === undefined || h.hop.from === filter.from) &&
        (filter.to === undefined || h.hop.to === filter.to),
    )
    .map((h) => {
      const contentType = (getHeader(h.frame, 'Content-Type') ?? '').toLowerCase();
      let inner: { contentType: string; text: string } | undefined;
      if (contentType.startsWith('message/cpim')) {
        try {
          const cpim = parseCpim(h.frame.body!);
          const type = cpim.contentHeaders.find((x) => x.name.toLowerCase() === 'content-type')?.value ?? '';
          inner = { contentType: type.toLowerCase(), text: cpim.content.toString('utf8') };
        } catch {
          inner = undefined;
        }
      }
      return { ...h, contentType, inner };
    });
}

/** Empty SENDs: the RFC 4975 §5.4 / RFC 6135 connection binding. */
export function msrpBindings(hops: readonly Hop[], from?: string): MsrpHop[] {
  return msrpHops(hops).filter(
    (h) =>
      h.frame.kind === 'request' &&
      h.frame.method === 'SEND' &&
      (h.frame.body === undefined || h.frame.body.length === 0) &&
      (from === undefined || h.hop.from === from),
  );
}

/** A one-line description of a hop for check details. */
export function brief(hop: Hop): string {
  return `#${hop.index} ${hop.from} → ${hop.to}: ${hop.startLine}`;
}

/** `text` matched literally inside a regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
