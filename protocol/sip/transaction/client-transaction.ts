// What INVITE and non-INVITE client transactions share (RFC 3261 §17.1): the TU-facing surface
// (provisional listeners, the final-response promise) and locally generated failure responses (§8.1.3.1).
import { createResponse } from '../builders.js';
import type { SipMessage, SipRequest, SipResponse } from '../message.js';
import type { SendTarget, SentInfo, TransportError } from '../transport/index.js';
import { Termination } from './termination.js';
import { type TimerSettings, type TimerValues, timerValues } from './timers.js';
import type { ClientWait } from './wait-state.js';

/** Why a final response was generated locally instead of received (RFC 3261 §8.1.3.1). */
export type LocalFailure = 'timeout' | 'transport-error' | 'closed';

const localFailures = new WeakMap<SipResponse, LocalFailure>();

/** 'timeout' (408), 'transport-error' / 'closed' (503) for responses the stack made up; undefined for real ones. */
export function localFailureOf(response: SipResponse): LocalFailure | undefined {
  return localFailures.get(response);
}

/**
 * Mark a response another SIP engine generated locally (§8.1.3.1), so the roles read it as a local failure
 * like one of ours (e.g. the PF on drachtio-server, whose stack answers a timeout with its own 408).
 */
export function markLocalFailure(response: SipResponse, failure: LocalFailure): SipResponse {
  localFailures.set(response, failure);
  return response;
}

/** §8.1.3.1: a timeout is treated as 408, a transport error as 503. */
export function localResponse(request: SipRequest, failure: LocalFailure): SipResponse {
  const response =
    failure === 'timeout'
      ? createResponse(request, 408)
      : createResponse(request, 503, 'Service Unavailable');
  localFailures.set(response, failure);
  return response;
}

export interface ClientTransactionEnv {
  send(message: SipMessage, target: SendTarget): Promise<SentInfo>;
  target: SendTarget;
  timers: TimerSettings;
  /** The layer forgets the transaction. */
  onTerminated(): void;
  /** Entering a wait state: the layer keeps `wait` and matches responses to it, and calls endWait() after `ms`. */
  linger(ms: number, wait: ClientWait): void;
  /** A TU listener threw, or the transaction broke its own state machine (IllegalTransitionError). */
  onError(err: unknown): void;
}

export type ResponseListener = (response: SipResponse) => void;

export abstract class ClientTransactionBase<State extends string> {
  readonly request: SipRequest;
  /** The top Via branch: the transaction ID (§17.1.3 with the CSeq method). */
  readonly branch: string;
  /** Settles with the first final response: received, or a local 408/503 (see localFailureOf). Never rejects. */
  readonly final: Promise<SipResponse>;
  /** The transport error that ended the transaction, if any. */
  transportError: TransportError | undefined;

  protected readonly env: ClientTransactionEnv;
  protected readonly timerValues: TimerValues;
  protected abstract state_: State;
  readonly #provisional = new Set<ResponseListener>();
  #resolveFinal!: (response: SipResponse) => void;
  readonly #termination = new Termination();
  #finalResponse: SipResponse | undefined;
  #flowId: string | undefined;

  /**
   * Entering a wait state (Timer D, K, M): the layer keeps `wait` for `ms` and matches responses to it; this
   * object is then kept only by whoever else holds it (see wait-state.ts).
   */
  protected linger(ms: number, wait: ClientWait): void {
    this.request.releaseParsed();
    this.#finalResponse?.releaseParsed();
    this.#provisional.clear(); // no 1xx can reach the TU any more
    this.env.linger(ms, wait);
  }

  /** The layer's timer of the wait state fired (Timer D, K or M): Terminated. */
  abstract endWait(): void;

  constructor(request: SipRequest, branch: string, env: ClientTransactionEnv) {
    this.request = request;
    this.branch = branch;
    this.env = env;
    this.timerValues = timerValues(env.timers, env.target.transport === 'tcp');
    this.final = new Promise((resolve) => {
      this.#resolveFinal = resolve;
    });
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

  /** Where the request goes; once sent over TCP it names the flow used, so ACK/CANCEL follow it. */
  get target(): SendTarget {
    const target = { ...this.env.target };
    if (this.#flowId !== undefined) target.flowId = this.#flowId;
    return target;
  }

  /** The TCP flow the request went out on, if any. */
  get flowId(): string | undefined {
    return this.#flowId;
  }

  get finalResponse(): SipResponse | undefined {
    return this.#finalResponse;
  }

  get reliable(): boolean {
    return this.timerValues.reliable;
  }

  /** Called for every 1xx passed to the TU (§17.1.1.2, §17.1.2.2). */
  onProvisional(listener: ResponseListener): this {
    this.#provisional.add(listener);
    return this;
  }

  /** Send the request and start the timers. Called once by the layer. */
  abstract start(): void;
  /** A response matched to this transaction (§17.1.3). */
  abstract receiveResponse(response: SipResponse): void;
  /** §17.1.1.2, §17.1.2.2: a fatal transport error. */
  abstract receiveTransportError(error: TransportError): void;
  /** Stop at once (layer shutdown); the TU gets a local 503 if no final response came yet. */
  abstract terminate(): void;

  protected sendMessage(message: SipMessage, onError: (error: TransportError) => void): void {
    this.env.send(message, this.target).then(
      (info) => {
        if (info.flowId !== undefined) this.#flowId ??= info.flowId;
      },
      (err: TransportError) => onError(err),
    );
  }

  protected notifyProvisional(response: SipResponse): void {
    for (const listener of this.#provisional) this.callListener(listener, response);
  }

  protected settleFinal(response: SipResponse): void {
    if (this.#finalResponse) return;
    this.#finalResponse = response;
    this.#resolveFinal(response);
  }

  protected settleTerminated(): void {
    this.#termination.settle();
    this.env.onTerminated();
  }

  protected callListener(listener: ResponseListener, response: SipResponse): void {
    try {
      listener(response);
    } catch (err) {
      this.env.onError(err);
    }
  }
}
