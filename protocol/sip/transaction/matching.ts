// Transaction keys: responses → client transactions (RFC 3261 §17.1.3), requests → server transactions
// (§17.2.3, with the RFC 2543 fallback of §17.2.3 when the branch lacks the magic cookie).
import type { SipRequest, SipResponse } from '../message.js';
import { BRANCH_MAGIC_COOKIE, formatVia, viaBranch } from '../via.js';

/** §17.1.3: top Via branch + CSeq method. Throws SipParseError if either is unreadable. */
export function clientKeyOfResponse(response: SipResponse): string | undefined {
  const branch = viaBranch(response.topVia);
  if (!branch) return undefined;
  return clientKey(branch, response.cseq.method);
}

// Keys are built with join(), which makes a flat string: a template literal makes a tree of concatenations that
// keeps every piece (and the message text the branch was sliced from) for as long as the key lives.
export function clientKey(branch: string, method: string): string {
  return [branch, method.toUpperCase()].join('|');
}

/**
 * §17.2.3: branch + sent-by + method, where ACK matches INVITE. Without the magic cookie (RFC 2543
 * peers): Request-URI, From tag, Call-ID, CSeq number, top Via and method (ACK as INVITE); the ACK's
 * To tag is not compared with the response's. Throws SipParseError if the headers are unreadable.
 */
export function serverKey(request: SipRequest, method: string = request.method): string {
  const via = request.topVia;
  const m = (method === 'ACK' ? 'INVITE' : method).toUpperCase();
  const branch = viaBranch(via);
  if (branch?.startsWith(BRANCH_MAGIC_COOKIE)) {
    return [branch, via.host.toLowerCase(), via.port ?? '', m].join('|');
  }
  const cseq = request.cseq;
  return ['2543', request.uri, request.fromTag ?? '', request.callId, cseq.seq, formatVia(via), m].join('|');
}
