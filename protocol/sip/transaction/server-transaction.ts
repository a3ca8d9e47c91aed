// What INVITE and non-INVITE server transactions share (RFC 3261 §17.2): the TU-facing respond/reply,
// the To tag of the UAS (§8.2.6.2), transport-error reporting (§17.2.4).
import { createResponse, newTag } from '../builders.js';
import type { SipRequest, SipResponse } from '../message.js';
import { TransportError } from '../transport/index.js';
import type { MessageSource, SentInfo } from '../transport/index.js';
import { Termination } from './termination.js';
import { type TimerSettings, type TimerValues, timerValues } from './timers.js';
import type { ServerWait } from './wait-state.js';

export interface ServerTransactionEnv {
  sendResponse(response: SipResponse, source: MessageSource): Promise<SentInfo>;
  source: MessageSource;
  timers: TimerSettings;
  onTerminated(): void;
  /** Entering a wait state: the layer keeps `wait` and matches retransmissions to it, and calls endWait() after `ms`. */
  linger(ms: number, wait: ServerWait): void;
  /** A TU listener threw, or the transaction broke its own state machine (IllegalTransitionError). */
  onError(err: unknown): void;
}

export interface ReplyOptions {
  /** Reason phrase; default from the status table. */
  reason?: string;
  /** To tag for a request without one (§8.2.6.2); default: this transaction's `toTag`. */
  toTag?: string;
  /** Extra header fields, appended in order (e.g. Contact, Record-Route handled by createResponse). */
  headers?: Array<[string, string | number]>;
  body?: Buffer;
  contentType?: string;
}

export abstract class ServerTransactionBase<State extends string> {
  readonly request: SipRequest;
  /** Where the request came from; responses go back per RFC 3261 §18.2.2. */
  readonly source: MessageSource;
  transportError: TransportError | undefined;

  protected readonly env: ServerTransactionEnv;
  protected readonly timerValues: TimerValues;
  protected abstract state_: State;
  protected lastResponse_: SipResponse | undefined;
  readonly #transportErrorListeners = new Set<(error: TransportError) => void>();
  readonly #termination = new Termination();
  #toTag: string | undefined;

  /**
   * Entering a wait state (Timer I, J, L): the layer keeps `wait` for `ms` and answers retransmissions from it;
   * this object is then kept only by whoever else holds it (see wait-state.ts).
   */
  protected linger(ms: number, wait: ServerWait): void {
    this.request.releaseParsed();
    this.lastResponse_?.releaseParsed();
    this.env.linger(ms, wait);
  }

  /** The layer's timer of the wait state fired (Timer I, J or L): Terminated. */
  abstract endWait(): void;

  constructor(request: SipRequest, env: ServerTransactionEnv) {
    this.request = request;
    this.source = env.source;
    this.env = env;
    this.timerValues = timerValues(env.timers, env.source.transport === 'tcp');
  }

  /** Settles when the transaction reaches Terminated. */
  get terminated(): Promise<void> {
    return this.#termination.promise;
  }

  get state(): State {
    return this.state_;
  }

  get method(): string {
    return this.request.method;
  }

  /** The last response sent (what a retransmitted request gets again). */
  get lastResponse(): SipResponse | undefined {
    return this.lastResponse_;
  }

  /** The UAS To tag: learned from the first tagged response passed to respond(), else generated once. */
  get toTag(): string {
    this.#toTag ??= this.request.toTag ?? newTag();
    return this.#toTag;
  }

  /** §17.2.4: the transport could not deliver a response; the transaction is then Terminated. */
  onTransportError(listener: (error: TransportError) => void): this {
    this.#transportErrorListeners.add(listener);
    return this;
  }

  /**
   * Pass a response from the TU (§17.2.1, §17.2.2). Responses the state machine does not accept in the
   * current state are discarded. Resolves once handed to the transport; never rejects (transport
   * failures go to onTransportError).
   */
  abstract respond(response: SipResponse): Promise<void>;
  /** A retransmission of the request (or an ACK for an INVITE transaction) matched this transaction. */
  abstract receiveRequest(request: SipRequest): void;
  /** Stop at once (layer shutdown). */
  abstract terminate(): void;

  /** Build a response with createResponse (§8.2.6) plus options, and respond() with it. */
  reply(status: number, options: ReplyOptions = {}): Promise<void> {
    const response = createResponse(
      this.request,
      status,
      options.reason,
      status === 100 ? undefined : (options.toTag ?? this.toTag),
    );
    for (const [name, value] of options.headers ?? []) response.append(name, value);
    if (options.body) {
      response.body = options.body;
      if (options.contentType) response.set('Content-Type', options.contentType);
    }
    return this.respond(response);
  }

  protected learnTag(response: SipResponse): void {
    if (this.#toTag !== undefined || response.status === 100) return;
    try {
      const tag = response.toTag;
      if (tag !== undefined) this.#toTag = tag;
    } catch {
      // an unreadable To is the TU's business; the tag is generated instead
    }
  }

  /** Send through the transport; a failure is reported and handed to `onError` (→ Terminated). */
  protected transmit(response: SipResponse, onError: () => void): Promise<void> {
    return this.env.sendResponse(response, this.source).then(
      () => undefined,
      (err: unknown) => {
        const error =
          err instanceof TransportError
            ? err
            : new TransportError('send-failed', String(err), {}, { cause: err });
        if (this.transportError) return;
        this.transportError = error;
        for (const listener of this.#transportErrorListeners) {
          try {
            listener(error);
          } catch (e) {
            this.env.onError(e);
          }
        }
        onError();
      },
    );
  }

  protected settleTerminated(): void {
    this.#termination.settle();
    this.env.onTerminated();
  }
}
