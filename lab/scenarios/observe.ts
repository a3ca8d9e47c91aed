// What the wire shows of a party, for waits on an implementation under test (docs/sut.md): the lab cannot read
// a SUT's state, so a step that waits for "alice received X" or "the PF stored X" waits for the messages that
// show it. Hops are a scenario's merged trace with parties named by their roles (Steps.asRoles).
import { parseCpim } from '../../protocol/cpim/index.js';
import type { Hop } from '../trace/index.js';
import { escapeRegExp, msrpHops, msrpSends, requestHops, responsesTo } from './wire.js';

/** `sip:alice@…` (or sips:) anywhere in a header or at the start of a URI. */
function userUri(user: string): RegExp {
  return new RegExp(`sips?:${escapeRegExp(user)}@`, 'i');
}

/** MSRP transaction ids that `from` answered 200 (RFC 4975 §7.2: a response names its request's transaction). */
function msrpAcknowledged(hops: readonly Hop[], from: string): Set<string> {
  return new Set(
    msrpHops(hops)
      .filter((h) => h.frame.kind === 'response' && h.frame.status === 200 && h.hop.from === from)
      .map((h) => h.frame.transactionId),
  );
}

/** The chat texts the PF sent `user` over MSRP (CPIM text/plain, RFC 3862). */
export function textsReceived(hops: readonly Hop[], user: string): string[] {
  return msrpSends(hops, { from: 'pf', to: user })
    .filter((x) => x.inner?.contentType.startsWith('text/plain'))
    .map((x) => x.inner!.text);
}

/** The chat texts `user` sent the PF over MSRP that the PF acknowledged (200). */
export function textsSentAndAcknowledged(hops: readonly Hop[], user: string): string[] {
  const acked = msrpAcknowledged(hops, 'pf');
  return msrpSends(hops, { from: user, to: 'pf' })
    .filter((x) => x.inner?.contentType.startsWith('text/plain') && acked.has(x.frame.transactionId))
    .map((x) => x.inner!.text);
}

/**
 * Messages the PF took for `user` while the user was away: chat SENDs of the others into the PF that it
 * acknowledged, and SIP MESSAGEs for the user (a notification to an offline sender) it answered 2xx.
 */
export function acceptedByPfFor(hops: readonly Hop[], user: string): number {
  const acked = msrpAcknowledged(hops, 'pf');
  const sends = msrpSends(hops, { to: 'pf' }).filter(
    (x) =>
      x.hop.from !== user &&
      x.inner?.contentType.startsWith('text/plain') &&
      acked.has(x.frame.transactionId),
  ).length;
  const messages = requestHops(hops, { method: 'MESSAGE', to: 'pf' }).filter(
    (m) =>
      userUri(user).test(m.message.uri) &&
      responsesTo(hops, m.message, 'pf').some((r) => r.message.status >= 200 && r.message.status < 300),
  ).length;
  return sends + messages;
}

/**
 * The PF's latest initial INVITE as it reaches `user` (through the CSCF: only the PF invites a user here) and the
 * user's final answer (either may be missing).
 */
export function lastInvitation(hops: readonly Hop[], user: string) {
  const invite = requestHops(hops, { method: 'INVITE', to: user })
    .filter((h) => h.message.toTag === undefined)
    .at(-1);
  const answer = invite ? responsesTo(hops, invite.message, user)[0] : undefined;
  return { invite, answer };
}

/**
 * The PF's latest invitation to `user` is over: answered with a refusal, or answered 2xx and its dialog ended
 * with BYE (a deferred session ends once the backlog is flushed).
 */
export function invitationFinished(hops: readonly Hop[], user: string): boolean {
  const { invite, answer } = lastInvitation(hops, user);
  if (!invite || !answer) return false;
  if (answer.message.status >= 300) return true;
  return requestHops(hops, { method: 'BYE' }).some(
    (b) => b.message.callId === invite.message.callId && b.index > answer.index,
  );
}

/** The CSCF told the PF that `user` de-registered: a third-party REGISTER with expiry 0 the PF answered 2xx. */
export function deregisteredAtPf(hops: readonly Hop[], user: string): boolean {
  return requestHops(hops, { method: 'REGISTER', to: 'pf' }).some((r) => {
    if (!userUri(user).test(r.message.get('to') ?? '')) return false;
    const expires = r.message.get('expires');
    const contact = r.message.get('contact') ?? '';
    const zero = expires?.trim() === '0' || /;\s*expires\s*=\s*0\b/i.test(contact);
    return zero && responsesTo(hops, r.message, 'pf').some((x) => x.message.status < 300);
  });
}

/**
 * A disposition notification for `user` from `from` on the wire: a SIP MESSAGE to the user or an MSRP SEND
 * from the PF to the user, whose CPIM body is message/imdn+xml from `from` (RFC 5438).
 */
export function notificationTo(hops: readonly Hop[], user: string, from: string): boolean {
  const fromUri = userUri(from);
  const isImdnFrom = (body: Buffer | undefined): boolean => {
    if (!body || body.length === 0) return false;
    try {
      const cpim = parseCpim(body);
      const type = cpim.contentHeaders.find((h) => h.name.toLowerCase() === 'content-type')?.value ?? '';
      const sender = cpim.headers.find((h) => h.name.toLowerCase() === 'from')?.value ?? '';
      return type.toLowerCase().startsWith('message/imdn+xml') && fromUri.test(sender);
    } catch {
      return false;
    }
  };
  return (
    requestHops(hops, { method: 'MESSAGE', to: user }).some((m) => isImdnFrom(m.message.body)) ||
    msrpSends(hops, { from: 'pf', to: user }).some((x) => isImdnFrom(x.frame.body))
  );
}
