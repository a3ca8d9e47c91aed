/**
 * Public surface of protocol/sip/ua: the SIP user agent (RFC 3261 §8, §10, §12–§15; RFC 3428; RFC 6665).
 *
 * ```ts
 * const ua = await UserAgent.listen({
 *   aor: 'sip:alice@ims.lab',
 *   transport: { tcp: { port: 0 } },
 *   outboundProxy: { transport: 'tcp', address: '127.0.0.1', port: 5060 }, // everything via the CSCF flow
 *   credentials: { username: 'alice', password: 'secret' },
 * });
 * // Registration (§10.2): 401/407 answered once, 423 → Min-Expires, refresh at half the granted expires.
 * const reg = ua.registration({ registrar: 'sip:ims.lab', expires: 600, contactParams: ';+g.3gpp.icsi-ref="..."' });
 * reg.on('failed', (err) => log(err.status));
 * const ok = await reg.register();                 // the 200, or throws SipRequestError { status, response }
 *
 * // UAS: 100 Trying comes from the transaction layer; accept() sends the 2xx and waits for the ACK.
 * ua.on('INVITE', async (req, res) => {
 *   await res.progress(180);
 *   const session = await res.accept({ body: answerSdp, contentType: 'application/sdp' });
 *   await session.acked;                           // D1.v: start MSRP only now
 *   session.on('bye', () => stopMsrp());
 * });
 * // UAC: ACK (and re-ACK of 2xx retransmissions) is automatic; non-2xx rejects with SipRequestError.
 * const call = ua.invite('sip:conf@ims.lab', { body: offerSdp, contentType: 'application/sdp' });
 * const session = await call.session;              // or: await call.cancel() → rejects with 487
 * await session.bye();
 * // Pager mode (RFC 3428)
 * await ua.message('sip:bob@ims.lab', cpimBody, { contentType: 'message/cpim' });
 * ua.on('MESSAGE', (req, res) => void res.send(200));
 * ```
 *
 * Requests with a To tag go to their dialog (481 if unknown, 500 if the CSeq is out of order, §12.2.2);
 * others to the handler of their method (405 + Allow without one, §8.2.1; 420 for unsupported Require).
 */
export type { DialogPath, OutOfDialogOptions } from './core.js';
export { SipRequestError, UaError, type UaErrorCode } from './errors.js';
export type { InDialogOptions } from './in-dialog.js';
export { type InviteOptions, OutgoingInvite } from './invite-client.js';
export { InviteServerResponse } from './invite-server.js';
export {
  type RegisterOptions,
  Registration,
  type RegistrationEvents,
  type RegistrationState,
} from './registration.js';
export { type SendOptions, ServerResponse } from './server-response.js';
export { InviteSession, type SessionEvents, type SessionState, type TerminationReason } from './session.js';
export {
  type NotifierEvents,
  NotifierSubscription,
  type NotifyOptions,
  SubscribeServerResponse,
  type SubscribeOptions,
  Subscription,
  type SubscriptionEvents,
  type SubscriptionState,
  type SubscriptionStateValue,
  parseSubscriptionState,
} from './subscription.js';
export { type HopTarget, firstHopUri, targetOfUri } from './target.js';
export { type Credentials, authorizedRetry } from './uac-request.js';
export { type ListenOptions, type UaRequestHandler, UserAgent, type UserAgentOptions } from './user-agent.js';
