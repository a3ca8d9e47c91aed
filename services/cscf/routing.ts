// Where the CSCF sends a request (protocol-notes §2 "Caller preferences at the CSCF", §3): home-domain
// users through the registrar and RFC 3841 caller preferences, the PF's service URIs to the PF.
import { CpmParseError, selectContacts } from '../../protocol/cpm/index.js';
import { aorOf, isSipUri, type SipRequest, type Uri } from '../../protocol/sip/index.js';
import type { Binding, Registrar } from './registrar.js';

export interface ServiceRoute {
  /** Matches the user part of a home-domain Request-URI (e.g. conference factory and group URIs). */
  userPattern: RegExp;
  /** The application server's address: `sip:127.0.0.1:5070;transport=tcp`. */
  uri: string;
}

export type RouteDecision =
  /** Fork in parallel to these bindings (RFC 3841 §7.2 filtered, reachable). */
  | { kind: 'users'; aor: string; bindings: Binding[] }
  /** A PSI hosted by an application server (the PF). */
  | { kind: 'service'; route: ServiceRoute }
  /** Answer locally with this status. */
  | { kind: 'reject'; status: number; reason?: string }
  /** Bindings exist but the network was told to make the UE unreachable: the request times out. */
  | { kind: 'blackhole'; aor: string };

export interface RoutingContext {
  domain: string;
  registrar: Registrar;
  services: readonly ServiceRoute[];
  /** AoRs made unreachable by fault injection. */
  unreachable: ReadonlySet<string>;
}

/** Decide the targets of an out-of-dialog request addressed to `uri`. */
export function route(request: SipRequest, uri: Uri, ctx: RoutingContext): RouteDecision {
  if (!isSipUri(uri)) return { kind: 'reject', status: 404, reason: 'Not Found' };
  if (uri.host.toLowerCase() !== ctx.domain.toLowerCase()) {
    return { kind: 'reject', status: 404, reason: 'Not Found' }; // the lab has no other domains
  }
  const user = uri.user === undefined ? '' : decodeURIComponent(uri.user);
  const service = ctx.services.find((s) => s.userPattern.test(user));
  if (service) return { kind: 'service', route: service };
  const aor = aorOf(uri);
  if (!ctx.registrar.isKnownUser(aor)) return { kind: 'reject', status: 404, reason: 'Not Found' };
  const registered = ctx.registrar.lookup(aor);
  if (registered.length === 0) return unregistered(request, ctx); // §2 step 4
  let selected: Binding[];
  try {
    selected = selectContacts(registered, {
      acceptContact: request.getAll('accept-contact'),
      rejectContact: request.getAll('reject-contact'),
    });
  } catch (err) {
    if (err instanceof CpmParseError)
      return { kind: 'reject', status: 400, reason: 'Bad Caller Preferences' };
    throw err;
  }
  if (selected.length === 0) return { kind: 'reject', status: 480, reason: 'Temporarily Unavailable' }; // §2 step 4
  if (ctx.unreachable.has(aor)) return { kind: 'blackhole', aor };
  const reachable = selected.filter((b) => b.reachable);
  if (reachable.length === 0) return unregistered(request, ctx); // §3 flow gone
  return { kind: 'users', aor, bindings: reachable };
}

/**
 * A known user with no reachable contact. A group chat MESSAGE (Conversation-ID: a D1.ii disposition
 * notification to an offline original sender) goes to the PF, which stores it like any deferred item
 * (protocol-notes §6: no notification is ever dropped) — as an S-CSCF applies terminating-unregistered
 * filter criteria toward an application server. Everything else: 480.
 */
function unregistered(request: SipRequest, ctx: RoutingContext): RouteDecision {
  const as = ctx.services[0];
  if (request.method === 'MESSAGE' && request.has('conversation-id') && as)
    return { kind: 'service', route: as };
  return { kind: 'reject', status: 480, reason: 'Temporarily Unavailable' };
}
