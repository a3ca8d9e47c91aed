// Where a request goes next (RFC 3261 §8.1.2, §12.2.1.1, §16.12 loose routing): the top Route if any,
// else the Request-URI; host/port/transport from that SIP URI (RFC 3263 without DNS: the lab uses IPs).
import {
  DEFAULT_SIP_PORT,
  type SendTarget,
  type TransportKind,
  normalizeAddress,
} from '../transport/index.js';
import type { SipRequest } from '../message.js';
import { parseNameAddr } from '../name-addr.js';
import { formatUri, isSipUri, parseUri } from '../uri.js';

/** A SendTarget from a SIP URI: its host and port (default 5060), `transport=` param, else `fallback`. */
export function targetOfUri(uriText: string, fallback: TransportKind): SendTarget {
  const uri = parseUri(uriText);
  if (!isSipUri(uri)) throw new Error(`cannot route to non-SIP URI ${uriText}`);
  const param = uri.params.get('transport');
  const transport =
    typeof param === 'string' && param.toLowerCase() === 'tcp' ? 'tcp' : param ? 'udp' : fallback;
  return { transport, address: normalizeAddress(uri.host), port: uri.port ?? DEFAULT_SIP_PORT };
}

/** §8.1.2 / §12.2.1.1: the URI the request is sent to — the top Route's URI when present, else the R-URI. */
export function firstHopUri(request: SipRequest): string {
  const route = request.getAll('route')[0];
  if (route === undefined) return request.uri;
  const na = parseNameAddr(route);
  return isSipUri(na.uri) ? formatUri(na.uri) : request.uri;
}

/** An outbound proxy / fixed next hop given as a URI (`sip:127.0.0.1:5060;transport=tcp`) or a SendTarget. */
export type HopTarget = string | SendTarget;

export function resolveNextHop(hop: HopTarget, fallback: TransportKind): SendTarget {
  return typeof hop === 'string' ? targetOfUri(hop, fallback) : { ...hop };
}

export function sameEndpoint(
  a: { address: string; port: number },
  b: { address: string; port: number },
): boolean {
  return normalizeAddress(a.address) === normalizeAddress(b.address) && a.port === b.port;
}
