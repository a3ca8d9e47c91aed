/**
 * Public surface of protocol/sip/transaction: the RFC 3261 §17 transaction layer.
 *
 * ```ts
 * const transport = await SipTransportLayer.listen({ udp: { port: 0 }, tcp: { port: 0 } });
 * const layer = new TransactionLayer(transport, { timers: { t1: 500 } });
 *
 * // UAS / proxy side: new requests with their server transaction.
 * layer.onRequest(async (request, tx) => {
 *   if (tx.kind === 'invite') tx.onCancel(() => stopRinging());
 *   await tx.reply(200, { headers: [['Contact', '<sip:pf@10.0.0.2>']] });
 * });
 * layer.onAck((ack, source) => dialogs.ack(ack));             // ACKs for 2xx (§13.3.1.4)
 * layer.onStrayResponse((response) => dialogs.retransmitted2xx(response)); // §13.2.2.4
 *
 * // UAC side: a client transaction; `final` never rejects.
 * const tx = layer.sendRequest(invite, { transport: 'tcp', address, port, flowId }, {
 *   onProvisional: (r) => console.log(r.status),
 * });
 * const response = await tx.final;         // received, or a local 408 (timeout) / 503 (transport error)
 * if (localFailureOf(response)) markUnreachable();
 * await layer.cancel(tx);                  // §9.1; 487 then arrives on tx.final
 * ```
 *
 * Behaviour, by RFC rule:
 * - Client transactions (§17.1.1 INVITE, §17.1.2 non-INVITE): retransmit over UDP only (A doubling;
 *   E doubling to T2), time out with B / F (→ local 408), build and (re)send the ACK for non-2xx
 *   (§17.1.1.3), Timer D / K (zero on TCP). A 2xx to INVITE moves the transaction to RFC 6026 Accepted:
 *   further 2xx (forks) go to `onAdditional2xx` until Timer M; later 2xx retransmissions go to
 *   `onStrayResponse`. The ACK for a 2xx is the TU's (send it with `sendStateless`).
 * - Server transactions (§17.2.1 INVITE, §17.2.2 non-INVITE): an INVITE gets 100 Trying at once (not
 *   after 200 ms); retransmitted requests get the last response again (or are absorbed); a non-2xx
 *   final to INVITE is retransmitted on UDP (Timer G) until the ACK (→ Confirmed, Timer I) or Timer H
 *   (→ `onTimeout`); a 2xx moves it to RFC 6026 Accepted (Timer L): INVITE retransmissions absorbed, ACK
 *   to `onAck` as matched. Non-INVITE: Timer J (zero on TCP). No automatic 100 for non-INVITE.
 * - Wait states (D, I, J, K, L, M) are kept by the layer as small records (`wait-state.ts`); the transaction
 *   object is held weakly from then on: it reaches Terminated on time if the TU keeps it, else it is freed.
 * - Matching: responses by top-Via branch + CSeq method (§17.1.3); requests by branch + sent-by + method
 *   with ACK matching INVITE (§17.2.3), and the RFC 2543 fallback for branches without the magic cookie
 *   (the ACK's To tag is not compared with the response's).
 * - CANCEL (§9.2): 481 if no INVITE transaction matches; else 200 (To tag of the INVITE transaction),
 *   `onCancel` listeners, then 487 to the INVITE if still proceeding (`autoRespond487: false` for a proxy).
 * - Transport errors (§8.1.3.1, §17.1.1.2): a failed send, or the close of the TCP flow the request went on,
 *   ends a pending client transaction with a local 503 (`transportError` set; `localFailureOf` says
 *   'transport-error'). A failed response send ends a server transaction (`onTransportError`).
 * - Timers (RFC 3261 Table 4): T1 500 ms, T2 4 s, T4 5 s by default; D ≥ 32 s on UDP; D/I/J/K are zero
 *   and A/E/G unused when the transport is TCP.
 */
export { buildCancel } from './cancel.js';
export {
  type LocalFailure,
  type ResponseListener,
  localFailureOf,
  markLocalFailure,
  localResponse,
} from './client-transaction.js';
export { buildAckForNon2xx, InviteClientState, InviteClientTransaction } from './invite-client.js';
export { InviteServerState, InviteServerTransaction } from './invite-server.js';
export { clientKey, clientKeyOfResponse, serverKey } from './matching.js';
export { NonInviteClientState, NonInviteClientTransaction } from './non-invite-client.js';
export { NonInviteServerState, NonInviteServerTransaction } from './non-invite-server.js';
export type { ReplyOptions } from './server-transaction.js';
export { DEFAULT_TIMERS, ExpiryQueue, type TimerSettings, type TimerValues, timerValues } from './timers.js';
export {
  type AckHandler,
  type ClientTransaction,
  type RequestHandler,
  type SendRequestOptions,
  type ServerTransaction,
  type StrayResponseHandler,
  TransactionLayer,
  type TransactionLayerOptions,
} from './transaction-layer.js';
export { IllegalTransitionError } from './illegal-transition.js';
