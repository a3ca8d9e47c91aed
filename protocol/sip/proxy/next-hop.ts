// Where a request goes next (RFC 3261 §16.6 step 7, §16.4; RFC 5658 double Record-Route) and the
// default URI → transport target mapping (RFC 3263 §4 without DNS: transport param, maddr, port 5060).
import type { SipRequest } from '../message.js';
import type { MessageSource, SendTarget } from '../transport/index.js';
import { DEFAULT_SIP_PORT, normalizeAddress } from '../transport/index.js';
import type { SipUri, Uri } from '../uri.js';
import { nextHopUri } from './request-processing.js';

/** What a next-hop resolver is told about a request whose target comes from Route / Request-URI. */
export interface NextHop {
  /** The top Route (after our own were removed) or the Request-URI (§16.6 step 6–7). */
  uri: SipUri;
  request: SipRequest;
  /** Our own Route entries removed by §16.4 (several with RFC 5658 double record-routing), in order. */
  removedRoutes: Uri[];
  /** Where the request came from (in-dialog requests: which side of the dialog sent it). */
  source?: MessageSource;
}

/** Maps a next hop to a transport target; undefined → the default mapping (defaultSendTarget). */
export type NextHopResolver = (hop: NextHop) => SendTarget | undefined;

/** RFC 3263 §4.1–4.2 without DNS: `transport` parameter (sips → tcp, default udp), maddr or host, port 5060. */
export function defaultSendTarget(uri: SipUri): SendTarget | undefined {
  const param = uri.params.get('transport');
  const transport = typeof param === 'string' ? param.toLowerCase() : uri.scheme === 'sips' ? 'tcp' : 'udp';
  if (transport !== 'udp' && transport !== 'tcp') return undefined;
  const maddr = uri.params.get('maddr');
  const host = typeof maddr === 'string' && maddr ? maddr : uri.host;
  return { transport, address: normalizeAddress(host), port: uri.port ?? DEFAULT_SIP_PORT };
}

/** §16.6 step 6–7 then the resolver: the transport target of `request`, or undefined (no SIP next hop). */
export function resolveNextHop(
  request: SipRequest,
  removedRoutes: Uri[],
  resolver: NextHopResolver | undefined,
  source?: MessageSource,
): SendTarget | undefined {
  let uri: SipUri | undefined;
  try {
    uri = nextHopUri(request);
  } catch {
    return undefined;
  }
  if (!uri) return undefined;
  const hop: NextHop = { uri, request, removedRoutes };
  if (source) hop.source = source;
  return resolver?.(hop) ?? defaultSendTarget(uri);
}
