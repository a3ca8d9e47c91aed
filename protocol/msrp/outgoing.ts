// One message being sent (RFC 4975 §7.1.1-§7.1.2): chunking, several chunks in flight, the response
// and Success-Report/Failure-Report semantics, abort with `#`. An explicit state machine.
import { formatByteRange } from './byte-range.js';
import { MsrpSendError } from './errors.js';
import type { MsrpHeader, MsrpRequest, ReportPolicy } from './frame.js';
import { H } from './frame.js';
import { buildRequest } from './serializer.js';
import type { TransactionOutcome } from './transaction.js';

export type OutgoingState =
  /** Chunks remain to be written. */
  | 'sending'
  /** Every chunk written; waiting for their responses (Failure-Report: yes). */
  | 'awaiting-responses'
  /** Every chunk confirmed; waiting for the success REPORT (Success-Report: yes). */
  | 'awaiting-report'
  | 'succeeded'
  | 'failed';

export type OutgoingEvent =
  | { kind: 'progress' }
  | { kind: 'chunk-failed'; status: number }
  | { kind: 'timeout' }
  | { kind: 'connection-lost' }
  | { kind: 'report'; status: number }
  | { kind: 'abort' };

interface Progress {
  allSent: boolean;
  /** Chunks written whose responses are still awaited. */
  inFlight: number;
  expectResponses: boolean;
  successReport: boolean;
  reportOk: boolean;
}

/** The message's one transition function. Terminal states never move. */
export function outgoingTransition(state: OutgoingState, event: OutgoingEvent, p: Progress): OutgoingState {
  if (state === 'succeeded' || state === 'failed') return state;
  switch (event.kind) {
    case 'chunk-failed':
    case 'timeout':
    case 'connection-lost':
    case 'abort':
      return 'failed';
    case 'report':
      // RFC 4975 §7.1.2: a REPORT with an error Status means the message was not delivered.
      if (event.status !== 200) return 'failed';
      break;
    case 'progress':
      break;
  }
  if (!p.allSent) return 'sending';
  if (p.expectResponses && p.inFlight > 0) return 'awaiting-responses';
  if (p.successReport && !p.reportOk) return 'awaiting-report';
  return 'succeeded';
}

export interface SendOptions {
  contentType: string;
  /** RFC 4975 §7.1.1: a fresh one is made when absent. */
  messageId?: string;
  /** RFC 4975 §7.1.2 Success-Report: yes → the promise also waits for the success REPORT. */
  successReport?: boolean;
  /** RFC 4975 §7.1.2 Failure-Report: `no` → no responses expected, `partial` → only errors. */
  failureReport?: ReportPolicy;
  /** Extra header fields for every chunk (placed before Content-Type). */
  headers?: MsrpHeader[];
}

export interface SendResult {
  messageId: string;
  bytes: number;
  chunks: number;
}

/** What an outgoing message needs from its session. */
export interface OutgoingPort {
  readonly toPath: string;
  readonly fromPath: string;
  /** Send a request expecting a response; false when there is no connection. */
  request(req: MsrpRequest, onOutcome: (outcome: TransactionOutcome) => void): boolean;
  /**
   * Send a request without a transaction; with `message`, a later error response to it is routed to
   * that message (Failure-Report: partial).
   */
  send(req: MsrpRequest, message?: OutgoingMessage): boolean;
  startTimer(ms: number, fn: () => void): NodeJS.Timeout;
  readonly timeoutMs: number;
  readonly chunkSize: number;
  readonly maxInFlight: number;
  finished(message: OutgoingMessage): void;
}

export class OutgoingMessage {
  readonly messageId: string;
  readonly done: Promise<SendResult>;
  #state: OutgoingState = 'sending';
  readonly #port: OutgoingPort;
  readonly #body: Buffer;
  readonly #options: SendOptions;
  readonly #expectResponses: boolean;
  /** Next body octet to send, 0-based. */
  #offset = 0;
  #inFlight = 0;
  #chunks = 0;
  #reportOk = false;
  #timer: NodeJS.Timeout | undefined;
  #resolve!: (r: SendResult) => void;
  #reject!: (e: MsrpSendError) => void;
  #error: MsrpSendError | undefined;

  constructor(port: OutgoingPort, body: Buffer, messageId: string, options: SendOptions) {
    this.#port = port;
    this.#body = body;
    this.messageId = messageId;
    this.#options = options;
    this.#expectResponses = (options.failureReport ?? 'yes') === 'yes';
    this.done = new Promise<SendResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  get state(): OutgoingState {
    return this.#state;
  }

  /** Begin (or continue) writing chunks within the in-flight window. */
  pump(): void {
    while (this.#state === 'sending' && this.#inFlight < this.#port.maxInFlight && !this.#allSent)
      this.#sendChunk();
    this.#dispatch({ kind: 'progress' });
  }

  /** RFC 4975 §7.1.2: interrupt the message; the receiver sees `#` and discards what it has. */
  abort(): void {
    if (this.#state === 'succeeded' || this.#state === 'failed') return;
    if (this.#state === 'sending') {
      const total = this.#body.length;
      const next = this.#offset + 1;
      this.#port.send(this.#chunkRequest(Buffer.alloc(0), `${next}-${next - 1}/${total}`, '#'));
    }
    this.#fail(new MsrpSendError('aborted', undefined, this.messageId, 'message aborted'), { kind: 'abort' });
  }

  /** A REPORT for this Message-ID arrived (RFC 4975 §7.1.2). */
  onReport(status: number, comment: string | undefined): void {
    if (status === 200) {
      this.#reportOk = true;
      this.#dispatch({ kind: 'report', status });
      return;
    }
    const text = `peer reported ${status}${comment ? ` ${comment}` : ''}`;
    this.#fail(new MsrpSendError('report', status, this.messageId, text), { kind: 'report', status });
  }

  /** An error response to one of our chunks that arrived outside a transaction (Failure-Report: partial). */
  onErrorResponse(status: number, comment: string | undefined): void {
    const text = `peer answered ${status}${comment ? ` ${comment}` : ''}`;
    this.#fail(new MsrpSendError('response', status, this.messageId, text), { kind: 'chunk-failed', status });
  }

  /** The session lost its connection or was closed. */
  onConnectionLost(): void {
    this.#fail(new MsrpSendError('connection-lost', undefined, this.messageId, 'connection lost'), {
      kind: 'connection-lost',
    });
  }

  get #allSent(): boolean {
    return this.#offset >= this.#body.length && this.#chunks > 0;
  }

  #chunkRequest(body: Buffer, range: string, flag: '$' | '+' | '#'): MsrpRequest {
    const o = this.#options;
    const headers: MsrpHeader[] = [{ name: H.messageId, value: this.messageId }];
    if (o.successReport) headers.push({ name: H.successReport, value: 'yes' });
    if (o.failureReport && o.failureReport !== 'yes')
      headers.push({ name: H.failureReport, value: o.failureReport });
    headers.push({ name: H.byteRange, value: range }, ...(o.headers ?? []));
    return buildRequest({
      method: 'SEND',
      toPath: this.#port.toPath,
      fromPath: this.#port.fromPath,
      headers,
      contentType: o.contentType,
      body,
      flag,
    });
  }

  // RFC 4975 §7.1.2: chunks carry Byte-Range start-end/total; `+` until the last, which is `$`.
  #sendChunk(): void {
    const total = this.#body.length;
    const start = this.#offset;
    const end = Math.min(total, start + this.#port.chunkSize);
    const body = this.#body.subarray(start, end);
    const last = end >= total;
    const req = this.#chunkRequest(body, formatByteRange({ start: start + 1, end, total }), last ? '$' : '+');
    this.#offset = end;
    this.#chunks++;
    if (this.#expectResponses) {
      this.#inFlight++;
      const ok = this.#port.request(req, (outcome) => this.#onOutcome(outcome));
      if (!ok) this.onConnectionLost();
    } else if (!this.#port.send(req, this.#options.failureReport === 'partial' ? this : undefined)) {
      this.onConnectionLost();
    }
  }

  #onOutcome(outcome: TransactionOutcome): void {
    this.#inFlight--;
    switch (outcome.kind) {
      case 'response': {
        const { status, comment } = outcome.response;
        if (status === 200) {
          this.pump();
          return;
        }
        this.onErrorResponse(status, comment);
        return;
      }
      case 'timeout':
        // RFC 4975 §7.1.1: no response within the timeout is treated as 408.
        this.#fail(new MsrpSendError('timeout', 408, this.messageId, 'no response to a chunk (408)'), {
          kind: 'timeout',
        });
        return;
      case 'connection-lost':
        this.onConnectionLost();
        return;
    }
  }

  #fail(error: MsrpSendError, event: OutgoingEvent): void {
    if (this.#state === 'failed' || this.#state === 'succeeded') return;
    this.#error = error;
    this.#dispatch(event);
  }

  #dispatch(event: OutgoingEvent): void {
    const before = this.#state;
    const next = outgoingTransition(before, event, {
      allSent: this.#allSent,
      inFlight: this.#inFlight,
      expectResponses: this.#expectResponses,
      successReport: this.#options.successReport ?? false,
      reportOk: this.#reportOk,
    });
    if (next === before) return;
    this.#state = next;
    this.#onEnter(next);
  }

  #onEnter(state: OutgoingState): void {
    switch (state) {
      case 'awaiting-report':
        // No REPORT in time: the same bound as a transaction, reported as 408.
        this.#timer = this.#port.startTimer(this.#port.timeoutMs, () =>
          this.#fail(new MsrpSendError('timeout', 408, this.messageId, 'no success REPORT (408)'), {
            kind: 'timeout',
          }),
        );
        return;
      case 'succeeded':
        this.#cleanup();
        this.#resolve({ messageId: this.messageId, bytes: this.#body.length, chunks: this.#chunks });
        return;
      case 'failed':
        this.#cleanup();
        this.#reject(this.#error!);
        return;
      case 'sending':
      case 'awaiting-responses':
        return;
    }
  }

  #cleanup(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#port.finished(this);
  }
}
