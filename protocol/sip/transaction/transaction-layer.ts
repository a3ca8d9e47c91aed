// The transaction layer (RFC 3261 §17) on top of a SipTransport: creates client transactions for
// outgoing requests, server transactions for incoming ones, matches messages to them (§17.1.3, §17.2.3),
// handles CANCEL (§9.2) and hands the rest (stray responses, ACKs for 2xx) to the TU.
import { newBranch } from '../builders.js';
import { parseMessage } from '../parser.js';
import { serializeMessage } from '../serializer.js';
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import {
  type FlowInfo,
  type MessageSource,
  type SendTarget,
  type SentInfo,
  type SipTransport,
  TransportError,
  type TransportKind,
  hostForVia,
  replaceTopVia,
} from '../transport/index.js';
import { viaBranch } from '../via.js';
import { buildCancel } from './cancel.js';
import type { ClientTransactionEnv, ResponseListener } from './client-transaction.js';
import { InviteClientState, InviteClientTransaction } from './invite-client.js';
import { InviteServerState, InviteServerTransaction } from './invite-server.js';
import { clientKey, clientKeyOfResponse, serverKey } from './matching.js';
import { NonInviteClientTransaction } from './non-invite-client.js';
import { NonInviteServerState, NonInviteServerTransaction } from './non-invite-server.js';
import type { ServerTransactionEnv } from './server-transaction.js';
import { DEFAULT_TIMERS, ExpiryQueue, type TimerSettings } from './timers.js';
import type { ClientWait, ServerWait } from './wait-state.js';

export type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;
export type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;

export interface TransactionLayerOptions {
  /** T1, T2, T4 (and Timer D) in ms; defaults 500 / 4000 / 5000 (RFC 3261 §17.1.1.1). */
  timers?: Partial<TimerSettings>;
  /**
   * §9.2: after answering 200 to a matching CANCEL, answer 487 to the INVITE if it is still
   * proceeding. Default true (UAS behaviour); a proxy sets false and cancels its branches (§16.10).
   */
  autoRespond487?: boolean;
  /** RFC 3581 §3: add an empty `rport` to the Vias this layer writes. Default true. */
  rport?: boolean;
}

export interface SendRequestOptions {
  /** Every 1xx passed to the TU. */
  onProvisional?: ResponseListener;
  /** INVITE only, RFC 6026 §7.2: further 2xx (forks) after the first. */
  onAdditional2xx?: ResponseListener;
}

/** A new request and its server transaction; respond with `transaction.respond()` / `reply()`. */
export type RequestHandler = (request: SipRequest, transaction: ServerTransaction) => void | Promise<void>;
/**
 * An ACK that is the TU's: for a 2xx (no matching transaction, or RFC 6026 Accepted). `matched` is set when it
 * matched an INVITE server transaction in Accepted; its `transaction` is that transaction while anyone (the TU)
 * still holds it.
 */
export type AckHandler = (
  ack: SipRequest,
  source: MessageSource,
  matched?: { transaction: InviteServerTransaction | undefined },
) => void;
/** A response matching no client transaction (2xx retransmissions to INVITE, responses a proxy forwards). */
export type StrayResponseHandler = (response: SipResponse, source: MessageSource) => void;

/**
 * A transaction in a wait state (wait-state.ts): one object with the wait's fields, against which the layer
 * matches retransmissions (a proxy keeps three per call for 64*T1). The transaction object is held weakly, so
 * that one nobody else holds is freed at once, and one the TU holds still reaches Terminated when the wait ends.
 */
type WaitRecord = ServerWaitRecord | ClientWaitRecord;
type ServerWaitRecord = { side: 'server'; key: string; tx: WeakRef<ServerTransaction> } & CompactServerWait;
type ClientWaitRecord = { side: 'client'; key: string; tx: WeakRef<ClientTransaction> } & CompactClientWait;

/**
 * A ServerWait as kept: the final response of Completed as its wire text (latin1), parsed again only for a
 * retransmitted request (a parsed response keeps a dozen header objects and the datagram it came in), with
 * where it goes; the other states send nothing.
 */
type CompactServerWait =
  | Exclude<ServerWait, { state: 'completed' }>
  | { state: 'completed'; wire: string; source: MessageSource };

/** A ClientWait as kept: Accepted's listeners as an array (a Set costs a hash table). */
type CompactClientWait =
  | Exclude<ClientWait, { state: 'accepted' }>
  | { state: 'accepted'; additional2xx: readonly ResponseListener[] };

function compactServerWait(wait: ServerWait, source: MessageSource): CompactServerWait | undefined {
  if (wait.state !== 'completed') return wait;
  try {
    return { state: 'completed', wire: serializeMessage(wait.response).toString('latin1'), source };
  } catch {
    return undefined; // it could not have been sent either: nothing to send again
  }
}

function compactClientWait(wait: ClientWait): CompactClientWait {
  if (wait.state !== 'accepted') return wait;
  // An array of exactly their number (a spread grows one with room for 16).
  const listeners = new Array<ResponseListener>(wait.additional2xx.size);
  let i = 0;
  for (const listener of wait.additional2xx) listeners[i++] = listener;
  return { state: 'accepted', additional2xx: listeners };
}

export class TransactionLayer {
  readonly timers: TimerSettings;
  readonly #transport: SipTransport;
  readonly #autoRespond487: boolean;
  readonly #rport: boolean;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  readonly #clientWaits = new Map<string, ClientWaitRecord>();
  readonly #serverWaits = new Map<string, ServerWaitRecord>();
  /** One FIFO per wait duration (T4, 64*T1, Timer D): a slot per waiting transaction, no Timeout each. */
  readonly #expiries = new Map<number, ExpiryQueue<WaitRecord>>();
  #requestHandler: RequestHandler | undefined;
  #ackHandler: AckHandler | undefined;
  #strayHandler: StrayResponseHandler | undefined;
  #errorHandler: ((error: unknown) => void) | undefined;
  #closed = false;

  readonly #onMessage = (message: SipMessage, source: MessageSource): void => {
    try {
      if (message.isRequest) this.#receiveRequest(message, source);
      else this.#receiveResponse(message, source);
    } catch (err) {
      // Never past the transport's socket handler: unreadable headers → drop (the transport already
      // validated what it could), TU bugs → onError.
      this.#reportError(err);
    }
  };

  readonly #onFlowClosed = (flow: FlowInfo): void => {
    // RFC 5626 §4.3 / RFC 3261 §17.1.1.2: a request whose flow died can get no response on it.
    const error = new TransportError('flow-closed', `flow ${flow.flowId} closed`, {
      transport: 'tcp',
      flowId: flow.flowId,
      address: flow.remote.address,
      port: flow.remote.port,
    });
    for (const tx of [...this.#clients.values()]) {
      if (tx.flowId === flow.flowId && tx.finalResponse === undefined) tx.receiveTransportError(error);
    }
  };

  constructor(transport: SipTransport, options: TransactionLayerOptions = {}) {
    this.#transport = transport;
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.#autoRespond487 = options.autoRespond487 ?? true;
    this.#rport = options.rport ?? true;
    transport.on('message', this.#onMessage);
    transport.on('flow-closed', this.#onFlowClosed);
  }

  /** The handler for new requests (not retransmissions, not ACK, not CANCEL). */
  onRequest(handler: RequestHandler): this {
    this.#requestHandler = handler;
    return this;
  }

  onAck(handler: AckHandler): this {
    this.#ackHandler = handler;
    return this;
  }

  onStrayResponse(handler: StrayResponseHandler): this {
    this.#strayHandler = handler;
    return this;
  }

  /** Errors thrown by TU callbacks and internal failures that have no other place to go. */
  onError(handler: (error: unknown) => void): this {
    this.#errorHandler = handler;
    return this;
  }

  /** Transactions not yet Terminated, wait states included (for diagnostics and tests). */
  get size(): { client: number; server: number } {
    return {
      client: this.#clients.size + this.#clientWaits.size,
      server: this.#servers.size + this.#serverWaits.size,
    };
  }

  /**
   * Send `request` in a new client transaction (INVITE → §17.1.1, others → §17.1.2). Adds the top Via
   * (sent-by from the transport, new branch, rport) if absent; otherwise sets its transport (§18.1.1) and
   * a branch if it has none. ACK is not a transaction: use sendStateless. Throws on a duplicate branch.
   */
  sendRequest(request: SipRequest, target: SendTarget, options: SendRequestOptions = {}): ClientTransaction {
    if (this.#closed) throw new TransportError('closed', 'transaction layer is closed');
    if (request.method === 'ACK') throw new Error('ACK is not sent in a transaction; use sendStateless()');
    const branch = this.#prepareVia(request, target.transport);
    const key = clientKey(branch, request.method);
    if (this.#clients.has(key) || this.#clientWaits.has(key))
      throw new Error(`a client transaction with branch ${branch} exists`);
    let tx: ClientTransaction;
    const env: ClientTransactionEnv = {
      send: (message, to) => this.#transport.send(message, to),
      target: { ...target },
      timers: this.timers,
      onTerminated: () => {
        if (this.#clients.get(key) === tx) this.#clients.delete(key);
        if (this.#clientWaits.get(key)?.tx.deref() === tx) this.#clientWaits.delete(key);
      },
      linger: (ms, wait) => {
        if (this.#clients.get(key) === tx) this.#clients.delete(key);
        this.#startWait(ms, { side: 'client', key, tx: new WeakRef(tx), ...compactClientWait(wait) });
      },
      onError: (err) => this.#reportError(err),
    };
    if (request.method === 'INVITE') {
      const invite = new InviteClientTransaction(request, branch, env);
      if (options.onAdditional2xx) invite.onAdditional2xx(options.onAdditional2xx);
      tx = invite;
    } else {
      tx = new NonInviteClientTransaction(request, branch, env);
    }
    if (options.onProvisional) tx.onProvisional(options.onProvisional);
    this.#clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * §9.1: cancel a pending INVITE. Waits for a provisional response if none came yet; sends nothing
   * (resolves undefined) if the INVITE already has a final response. Resolves with the CANCEL's final
   * response; the INVITE's own outcome (normally 487) arrives on its `final`. After the CANCEL, the INVITE
   * transaction gives up with a local 408 if no final response comes within 64*T1.
   */
  async cancel(
    invite: ClientTransaction,
    options: { headers?: Array<[string, string]> } = {},
  ): Promise<SipResponse | undefined> {
    if (invite.kind !== 'invite') throw new Error('only INVITE transactions can be cancelled');
    if (invite.state === InviteClientState.Calling) {
      const first = await Promise.race([
        new Promise<'provisional'>((resolve) => invite.onProvisional(() => resolve('provisional'))),
        invite.final.then(() => 'final' as const),
      ]);
      if (first === 'final') return undefined;
    }
    if (invite.state !== InviteClientState.Proceeding || this.#closed) return undefined;
    const cancel = buildCancel(invite.request);
    for (const [name, value] of options.headers ?? []) cancel.append(name, value);
    invite.armCancelTimeout();
    return this.sendRequest(cancel, invite.target).final;
  }

  /**
   * Send a request outside any transaction (ACK for a 2xx, §13.2.2.4; stateless forwarding) or a
   * response statelessly. A request without Via gets one as in sendRequest. Rejects with TransportError.
   */
  sendStateless(message: SipMessage, target: SendTarget): Promise<SentInfo> {
    if (message.isRequest) this.#prepareVia(message, target.transport);
    return this.#transport.send(message, target);
  }

  /**
   * The INVITE server transaction a request (e.g. a CANCEL) refers to, by §17.2.3 matching with method INVITE
   * (in a wait state: while anyone still holds it).
   */
  findInviteServerTransaction(request: SipRequest): InviteServerTransaction | undefined {
    const key = serverKey(request, 'INVITE');
    const tx = this.#servers.get(key) ?? this.#serverWaits.get(key)?.tx.deref();
    return tx?.kind === 'invite' ? tx : undefined;
  }

  /** Terminate every transaction (pending client transactions settle with a local 503) and detach. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#transport.off('message', this.#onMessage);
    this.#transport.off('flow-closed', this.#onFlowClosed);
    for (const tx of [...this.#clients.values()]) tx.terminate();
    for (const tx of [...this.#servers.values()]) tx.terminate();
    for (const record of [...this.#clientWaits.values(), ...this.#serverWaits.values()])
      record.tx.deref()?.terminate();
    this.#clients.clear();
    this.#servers.clear();
    this.#clientWaits.clear();
    this.#serverWaits.clear();
    for (const queue of this.#expiries.values()) queue.clear();
  }

  // ---- incoming ----

  #receiveResponse(response: SipResponse, source: MessageSource): void {
    let key: string | undefined;
    try {
      key = clientKeyOfResponse(response);
    } catch {
      return; // §18.1.2: unreadable Via/CSeq → discard
    }
    const tx = key === undefined ? undefined : this.#clients.get(key);
    if (tx) {
      tx.receiveResponse(response);
      return;
    }
    const waiting = key === undefined ? undefined : this.#clientWaits.get(key);
    if (waiting) {
      this.#responseInWait(waiting, response);
      return;
    }
    // §17.1.3 no match: the core gets it (2xx retransmissions to INVITE, §13.2.2.4; proxies, §16.7).
    this.#callHook(() => this.#strayHandler?.(response, source));
  }

  #receiveRequest(request: SipRequest, source: MessageSource): void {
    let key: string;
    try {
      key = serverKey(request);
    } catch {
      return;
    }
    const existing = this.#servers.get(key);
    const waiting = existing ? undefined : this.#serverWaits.get(key);
    if (request.method === 'ACK') {
      if (existing?.kind === 'invite') {
        // §17.2.1: ACK for our non-2xx → Confirmed; RFC 6026 §7.1: ACK in Accepted → TU.
        if (existing.receiveAck())
          this.#callHook(() => this.#ackHandler?.(request, source, { transaction: existing }));
        return;
      }
      if (waiting && waiting.state !== 'completed') {
        // §17.2.1 Confirmed: absorbed; RFC 6026 §7.1 Accepted: the TU's.
        if (waiting.state === 'accepted') {
          const transaction = waiting.tx.deref();
          this.#callHook(() =>
            this.#ackHandler?.(request, source, {
              transaction: transaction?.kind === 'invite' ? transaction : undefined,
            }),
          );
        }
        return;
      }
      // §17.2.3 no match: an ACK for a 2xx, the TU's (§13.3.1.4).
      this.#callHook(() => this.#ackHandler?.(request, source));
      return;
    }
    if (existing) {
      existing.receiveRequest(request); // §17.2.1 / §17.2.2: retransmission, absorbed or re-answered
      return;
    }
    if (waiting) {
      this.#requestInWait(waiting);
      return;
    }
    if (this.#closed) return;
    const tx = this.#createServerTransaction(key, request, source);
    if (request.method === 'CANCEL') {
      this.#handleCancel(request, tx as NonInviteServerTransaction);
      return;
    }
    const handler = this.#requestHandler;
    if (!handler) {
      void tx.reply(500, { reason: 'No Request Handler' });
      return;
    }
    try {
      const result = handler(request, tx);
      if (result && typeof result.then === 'function') {
        result.then(undefined, (err: unknown) => this.#handlerFailed(tx, err));
      }
    } catch (err) {
      this.#handlerFailed(tx, err);
    }
  }

  #createServerTransaction(key: string, request: SipRequest, source: MessageSource): ServerTransaction {
    let tx: ServerTransaction;
    const env: ServerTransactionEnv = {
      sendResponse: (response, to) => this.#transport.sendResponse(response, to),
      source,
      timers: this.timers,
      onTerminated: () => {
        if (this.#servers.get(key) === tx) this.#servers.delete(key);
        if (this.#serverWaits.get(key)?.tx.deref() === tx) this.#serverWaits.delete(key);
      },
      linger: (ms, wait) => {
        if (this.#servers.get(key) === tx) this.#servers.delete(key);
        const kept = compactServerWait(wait, source);
        if (!kept) {
          tx.terminate();
          return;
        }
        this.#startWait(ms, { side: 'server', key, tx: new WeakRef(tx), ...kept });
      },
      onError: (err) => this.#reportError(err),
    };
    tx =
      request.method === 'INVITE'
        ? new InviteServerTransaction(request, env)
        : new NonInviteServerTransaction(request, env);
    this.#servers.set(key, tx);
    tx.start();
    return tx;
  }

  // §9.2: 481 if no INVITE transaction matches; else 200 to the CANCEL (same To tag), then 487 to the
  // INVITE if it has no final response yet.
  #handleCancel(cancel: SipRequest, tx: NonInviteServerTransaction): void {
    const waiting = this.#serverWaits.get(serverKey(cancel, 'INVITE'));
    if (waiting && waiting.state !== 'completed') {
      // The INVITE was answered (Confirmed / Accepted): 200, and the CANCEL changes nothing (§9.2).
      void tx.reply(200, { toTag: waiting.toTag });
      const invite = waiting.tx.deref();
      if (invite?.kind === 'invite') invite.cancel(cancel);
      return;
    }
    const invite = this.findInviteServerTransaction(cancel);
    if (!invite || invite.state === InviteServerState.Terminated) {
      void tx.reply(481);
      return;
    }
    void tx.reply(200, { toTag: invite.toTag });
    const pending = invite.cancel(cancel);
    if (pending && this.#autoRespond487) void invite.reply(487);
  }

  #handlerFailed(tx: ServerTransaction, err: unknown): void {
    this.#reportError(err);
    const unanswered =
      tx.kind === 'invite'
        ? tx.state === InviteServerState.Proceeding
        : tx.state === NonInviteServerState.Trying || tx.state === NonInviteServerState.Proceeding;
    if (unanswered) void tx.reply(500);
  }

  // ---- wait states (wait-state.ts) ----

  /** Keep `record` for `ms`: matched by its key until then (one FIFO per duration). */
  #startWait(ms: number, record: WaitRecord): void {
    if (record.side === 'client') this.#clientWaits.set(record.key, record);
    else this.#serverWaits.set(record.key, record);
    let queue = this.#expiries.get(ms);
    if (!queue) {
      queue = new ExpiryQueue(ms, (expired) => this.#endWait(expired, 'expired'));
      this.#expiries.set(ms, queue);
    }
    queue.add(record);
  }

  /**
   * Forget the record; a transaction someone still holds becomes Terminated: its wait state's timer fired, or
   * a send in it failed (a transport failure ends the transaction, §17.1.1.2, §17.2.4).
   */
  #endWait(record: WaitRecord, why: 'expired' | 'failed'): void {
    const waits = record.side === 'client' ? this.#clientWaits : this.#serverWaits;
    if (waits.get(record.key) === record) waits.delete(record.key);
    try {
      const tx = record.tx.deref();
      if (why === 'expired') tx?.endWait();
      else tx?.terminate();
    } catch (err) {
      this.#reportError(err);
    }
  }

  /** §17.2.1, §17.2.2: a retransmitted request for an answered transaction. */
  #requestInWait(wait: ServerWaitRecord): void {
    if (wait.state !== 'completed') return; // Confirmed, Accepted: absorbed
    let response: SipMessage;
    try {
      response = parseMessage(Buffer.from(wait.wire, 'latin1'), { maxMessageSize: wait.wire.length });
    } catch (err) {
      this.#reportError(err); // our own serialization, read back: cannot fail unless the stack is broken
      return;
    }
    if (response.isRequest) return;
    this.#transport.sendResponse(response, wait.source).catch(() => this.#endWait(wait, 'failed'));
  }

  /** §17.1.1.2, §17.1.2.2, RFC 6026 §7.2: a response for a client transaction in a wait state. */
  #responseInWait(wait: ClientWaitRecord, response: SipResponse): void {
    switch (wait.state) {
      case 'completed':
        return; // Timer K: absorbed
      case 'completed-invite':
        // Timer D: a retransmitted final response gets the ACK again, and is not passed up.
        if (response.status >= 300)
          this.#transport.send(wait.ack, wait.target).catch(() => this.#endWait(wait, 'failed'));
        return;
      case 'accepted':
        // Timer M: further 2xx go to the TU; anything else is discarded.
        if (response.status < 200 || response.status >= 300) return;
        for (const listener of wait.additional2xx) this.#callHook(() => listener(response));
        return;
    }
  }

  // ---- helpers ----

  /** §18.1.1 / §8.1.1.7: make sure the top Via names the transport used and carries a branch. */
  #prepareVia(request: SipRequest, transport: TransportKind): string {
    if (request.getAll('via').length === 0) {
      const sentBy =
        this.#transport.sentBy(transport) ?? this.#transport.sentBy(transport === 'udp' ? 'tcp' : 'udp');
      // Without any listener, a placeholder sent-by: responses come back on the connection (§18.2.2).
      const hostPort = sentBy ? `${hostForVia(sentBy.address)}:${sentBy.port}` : 'cpm-lab.invalid';
      const branch = newBranch();
      const value = `SIP/2.0/${transport.toUpperCase()} ${hostPort};branch=${branch}${this.#rport ? ';rport' : ''}`;
      request.headers.unshift({ name: 'Via', value });
      return branch;
    }
    const via = request.topVia;
    via.transport = transport.toUpperCase();
    let branch = viaBranch(via);
    if (!branch) {
      branch = newBranch();
      via.params.set('branch', branch);
    }
    replaceTopVia(request, via);
    return branch;
  }

  #callHook(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#reportError(err);
    }
  }

  #reportError(err: unknown): void {
    try {
      this.#errorHandler?.(err);
    } catch {
      // the error sink itself failed; nothing left to tell
    }
  }
}
