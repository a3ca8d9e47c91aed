// Proxy request handling that needs no transaction state (RFC 3261 §16.3, §16.4, §16.6, §16.12).
import { newBranch } from '../builders.js';
import type { SipRequest } from '../message.js';
import { parseNameAddr } from '../name-addr.js';
import { formatUri, isSipUri, type SipUri, type Uri } from '../uri.js';

export interface ValidationFailure {
  status: number;
  reason?: string;
}

/** RFC 3261 §16.3: request validation a proxy performs before routing (steps 1–3, 5; loops are §16.3 step 4). */
export function validateProxiedRequest(request: SipRequest): ValidationFailure | undefined {
  const uri = request.requestUri;
  if (!isSipUri(uri) && uri.scheme !== 'tel') return { status: 416 }; // §16.3 step 2: URI scheme
  const mf = request.get('max-forwards');
  if (mf !== undefined) {
    const hops = Number(mf.trim());
    if (!/^\d{1,3}$/.test(mf.trim())) return { status: 400, reason: 'Bad Max-Forwards' };
    if (hops === 0) return { status: 483 }; // §16.3 step 3
  }
  return undefined;
}

/**
 * RFC 3261 §16.4: route information preprocessing. `isOwnUri` tells whether a URI designates this proxy.
 * - If the Request-URI is one we put in a Record-Route (a strict router sent it), restore the last Route.
 * - If the top Route designates us, remove it; repeat while the next one does too (RFC 5658 §3: a proxy
 *   that record-routed twice, once per side, finds both of its entries on top).
 * Mutates `request`; returns the removed Route URIs in order.
 */
export function preprocessRoute(request: SipRequest, isOwnUri: (uri: Uri) => boolean): Uri[] {
  if (isOwnUri(request.requestUri)) {
    const routes = request.getAll('route');
    const last = routes[routes.length - 1];
    if (last !== undefined && isStrictRouterRestore(request)) {
      request.uri = routeUri(last);
      dropLastRoute(request);
    }
  }
  const removed: Uri[] = [];
  for (;;) {
    const top = request.getAll('route')[0];
    if (top === undefined) break;
    let uri: Uri | undefined;
    try {
      uri = parseNameAddr(top).uri;
    } catch {
      uri = undefined;
    }
    if (!uri || !isOwnUri(uri)) break;
    request.removeFirstValue('route');
    removed.push(uri);
  }
  return removed;
}

/** Only restore when the Request-URI has no user part: our Record-Route URIs never carry one. */
function isStrictRouterRestore(request: SipRequest): boolean {
  const uri = request.requestUri;
  return isSipUri(uri) && uri.user === undefined;
}

function routeUri(route: string): string {
  return formatUri(parseNameAddr(route).uri);
}

function dropLastRoute(request: SipRequest): void {
  const values = request.getAll('route');
  values.pop();
  request.remove('route');
  if (values.length) request.append('Route', values.join(', '));
}

export interface ForwardOptions {
  /** New Request-URI (a target from location service), or undefined to keep it. */
  target?: string;
  /** Our Via sent-by and transport for the outgoing branch (RFC 3261 §16.6 step 8). */
  via: { transport: string; host: string; port: number };
  /** Add `Record-Route: <recordRoute>` (must carry `;lr`) to stay on the dialog path (§16.6 step 4). */
  recordRoute?: string;
  /** Branch for the new Via; a fresh one by default. */
  branch?: string;
}

/**
 * RFC 3261 §16.6 steps 1–8: copy the request, set the Request-URI, decrement Max-Forwards (adding 70 when
 * absent), add Record-Route, push our Via with a fresh branch. Returns the copy.
 */
export function prepareForward(request: SipRequest, options: ForwardOptions): SipRequest {
  const copy = request.clone();
  if (options.target !== undefined) copy.uri = options.target; // §16.6 step 2
  const mf = copy.get('max-forwards');
  copy.set('Max-Forwards', mf === undefined ? 70 : Math.max(0, Number(mf.trim()) - 1)); // §16.6 step 3
  if (options.recordRoute !== undefined) copy.prepend('Record-Route', `<${options.recordRoute}>`); // step 4
  const branch = options.branch ?? newBranch();
  copy.prepend(
    'Via',
    `SIP/2.0/${options.via.transport.toUpperCase()} ${options.via.host}:${options.via.port};branch=${branch};rport`,
  );
  return copy;
}

/**
 * RFC 3261 §16.6 step 6–7: the URI the request goes to next: the top Route when it is a loose router
 * (`;lr`), otherwise the Request-URI. (Strict routers are not rewritten; a strict top Route is used as is.)
 */
export function nextHopUri(request: SipRequest): SipUri | undefined {
  const top = request.getAll('route')[0];
  const uri: Uri = top !== undefined ? parseNameAddr(top).uri : request.requestUri;
  return isSipUri(uri) ? uri : undefined;
}

/** RFC 3261 §16.7 step 3: remove the top Via from a response before forwarding it upstream. */
export function popOwnVia(response: {
  removeFirstValue(name: string): string | undefined;
}): string | undefined {
  return response.removeFirstValue('via');
}
