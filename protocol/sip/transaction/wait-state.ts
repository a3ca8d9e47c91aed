// What a transaction still does in a wait state (RFC 3261 §17 Timers D, I, J, K; RFC 6026 §7.1, §7.2 Timers L, M).
// The transaction hands this to the layer when it enters the state, and the layer alone matches retransmissions
// to it from then on, so the transaction object (its request, responses, listeners, timers) is not kept 32 s for
// every message exchange. A proxied call used to hold ~30 KB that way (issue 20, row 5).
import type { SipRequest, SipResponse } from '../message.js';
import type { SendTarget } from '../transport/index.js';
import type { ResponseListener } from './client-transaction.js';

export type ServerWait =
  /** §17.2.2 Completed (Timer J): a retransmitted request gets the final response again. */
  | { state: 'completed'; response: SipResponse }
  /** §17.2.1 Confirmed (Timer I): ACKs and INVITE retransmissions are absorbed; a CANCEL still matches (§9.2). */
  | { state: 'confirmed'; toTag: string }
  /** RFC 6026 §7.1 Accepted (Timer L): INVITE retransmissions are absorbed, ACKs go to the TU. */
  | { state: 'accepted'; toTag: string };

export type ClientWait =
  /** §17.1.2.2 Completed (Timer K): retransmitted responses are absorbed. */
  | { state: 'completed' }
  /** §17.1.1.2 Completed (Timer D): a retransmitted final response gets the ACK again. */
  | { state: 'completed-invite'; ack: SipRequest; target: SendTarget }
  /** RFC 6026 §7.2 Accepted (Timer M): further 2xx go to the TU. */
  | { state: 'accepted'; additional2xx: ReadonlySet<ResponseListener> };
