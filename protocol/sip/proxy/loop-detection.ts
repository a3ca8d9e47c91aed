// Loop detection with spiral tolerance (RFC 3261 §16.3 step 4, §16.6 step 8): our branch carries a hash of
// the fields that steer routing, so a request that comes back unchanged is a loop, a changed one a spiral.
import { createHash } from 'node:crypto';
import { newBranch } from '../builders.js';
import type { SipRequest } from '../message.js';
import { BRANCH_MAGIC_COOKIE, viaBranch } from '../via.js';

const SEPARATOR = '.lp';

/**
 * §16.6 step 8: hash of Request-URI (as received), To tag, From tag, Call-ID, CSeq number, Route,
 * Proxy-Require and Proxy-Authorization. The received top Via is left out on purpose: a looped request
 * always arrives with a different top Via, which would make every loop look like a spiral.
 */
export function loopHash(request: SipRequest): string {
  const h = createHash('sha1');
  const parts = [
    request.uri,
    request.toTag ?? '',
    request.fromTag ?? '',
    request.callId,
    String(request.cseq.seq),
    request.getAll('route').join(','),
    request.getAll('proxy-require').join(','),
    request.getAll('proxy-authorization').join(','),
  ];
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** §16.6 step 8: a branch in two parts, the §8.1.1.7 unique part and the loop-detection hash. */
export function loopDetectingBranch(request: SipRequest): string {
  return `${newBranch()}${SEPARATOR}${loopHash(request)}`;
}

/**
 * §16.3 step 4: the request carries a Via of ours whose loop hash equals the request's hash now: it came
 * back unchanged (a loop → 482). A Via of ours with another hash is a spiral and is allowed.
 */
export function isLoop(
  request: SipRequest,
  isOwnSentBy: (host: string, port: number | undefined) => boolean,
): boolean {
  let hash: string | undefined;
  for (const via of request.vias) {
    if (!isOwnSentBy(via.host, via.port)) continue;
    const branch = viaBranch(via);
    if (!branch?.startsWith(BRANCH_MAGIC_COOKIE)) continue;
    const at = branch.lastIndexOf(SEPARATOR);
    if (at < 0) continue;
    hash ??= loopHash(request);
    if (branch.slice(at + SEPARATOR.length) === hash) return true;
  }
  return false;
}

/**
 * §16.11: a stateless forward of the same request must carry the same branch every time, so it is
 * derived from the received top Via branch (plus the Request-URI, for requests without an RFC 3261 branch).
 */
export function statelessBranch(request: SipRequest): string {
  const received = viaBranch(request.topVia) ?? '';
  const h = createHash('sha1').update(received).update('\0').update(request.uri);
  if (!received.startsWith(BRANCH_MAGIC_COOKIE)) h.update('\0').update(request.callId);
  return `${BRANCH_MAGIC_COOKIE}sl${h.digest('hex').slice(0, 20)}`;
}
