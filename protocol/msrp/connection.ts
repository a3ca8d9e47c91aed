// One MSRP TCP connection (RFC 4975 §6, RFC 6135): a stream parser, frame writes, client transactions
// and the wire trace. Socket errors and peer garbage become events; nothing throws out of a handler.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { WireAddress, WireTrace } from '../trace/index.js';
import { traceTime } from '../trace/index.js';
import type { MsrpFrame, MsrpRequest, MsrpResponse } from './frame.js';
import { H, failureReportOf, getHeader } from './frame.js';
import { type MsrpParserLimits, MsrpParser, type ParseEvent } from './parser.js';
import { buildResponse, serializeFrame } from './serializer.js';
import { type TransactionOutcome, TransactionTable } from './transaction.js';

export interface MsrpProtocolError {
  reason: string;
  /** The transaction of the malformed frame, when it could be read. */
  transactionId?: string;
  /** The status answered (400, 413), if a response was sent. */
  status?: number;
  /** True when the connection was closed because of it. */
  fatal: boolean;
}

export interface MsrpConnectionEvents {
  request: [request: MsrpRequest];
  /** A response that matched no pending transaction. */
  'stray-response': [response: MsrpResponse];
  'protocol-error': [error: MsrpProtocolError];
  'socket-error': [error: Error];
  close: [];
}

export interface MsrpConnectionOptions {
  limits?: Partial<MsrpParserLimits>;
  trace?: WireTrace;
  /**
   * Bytes queued for the peer beyond which we stop reading from it until it drains (a peer that sends but
   * does not read our answers must not grow our memory); default 1 MiB. Past 4 times this plus 1 MiB (room for
   * the answers to what one read already held), the connection is closed.
   */
  maxWriteBuffer?: number;
}

let nextConnectionId = 1;

export class MsrpConnection extends EventEmitter<MsrpConnectionEvents> {
  readonly id = nextConnectionId++;
  readonly local: WireAddress;
  readonly remote: WireAddress;
  readonly #socket: Socket;
  readonly #parser: MsrpParser;
  readonly #trace: WireTrace | undefined;
  readonly #transactions = new TransactionTable();
  readonly #maxWriteBuffer: number;
  #paused = false;
  #closed = false;
  #corked = false;

  constructor(socket: Socket, options: MsrpConnectionOptions = {}) {
    super();
    this.#socket = socket;
    this.#trace = options.trace;
    this.#maxWriteBuffer = options.maxWriteBuffer ?? 1024 * 1024;
    this.#parser = new MsrpParser({ limits: options.limits ?? {}, keepRaw: options.trace !== undefined });
    this.local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.#onData(data));
    socket.on('error', (err) => this.#safeEmit('socket-error', err));
    socket.on('close', () => this.#onClose());
    socket.on('drain', () => {
      if (!this.#paused) return;
      this.#paused = false;
      socket.resume();
    });
  }

  /** True while reading is paused because the peer does not read what we write (backpressure). */
  get readPaused(): boolean {
    return this.#paused;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Client transactions waiting for a response. */
  get pendingTransactions(): number {
    return this.#transactions.size;
  }

  /** Write one frame. False if the connection is closed (the frame is dropped). */
  send(frame: MsrpFrame): boolean {
    if (this.#closed) return false;
    const bytes = serializeFrame(frame);
    this.#publish('out', bytes);
    this.#cork();
    this.#socket.write(bytes);
    const queued = this.#socket.writableLength;
    if (queued > 4 * this.#maxWriteBuffer + 1024 * 1024) {
      // The peer has stopped reading altogether: nothing more is queued for it.
      this.destroy();
      return false;
    }
    if (queued > this.#maxWriteBuffer && !this.#paused) {
      // Backpressure: stop reading from a peer that does not read our answers, until it drains.
      this.#paused = true;
      this.#socket.pause();
    }
    return true;
  }

  /**
   * The frames written in one turn of the event loop (the 200s to what one read held, a burst of SENDs) leave
   * in one write: MSRP is a byte stream (RFC 4975 §7: frames are delimited by their end-line, never by
   * segments), and a write per frame cost a system call each.
   */
  #cork(): void {
    if (this.#corked) return;
    this.#corked = true;
    this.#socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      this.#socket.uncork();
    });
  }

  /**
   * Send a request and wait for its response (RFC 4975 §7.1.1); `onOutcome` runs exactly once with
   * the response, a timeout, or the loss of the connection.
   */
  request(req: MsrpRequest, timeoutMs: number, onOutcome: (outcome: TransactionOutcome) => void): void {
    if (this.#closed) {
      queueMicrotask(() => onOutcome({ kind: 'connection-lost' }));
      return;
    }
    this.#transactions.start(req.transactionId, timeoutMs, onOutcome);
    this.send(req);
  }

  /** Close after flushing what was written. */
  close(): void {
    if (this.#closed) return;
    this.#socket.end(() => this.#socket.destroy());
  }

  /** Close at once (what was written before goes out first, as it would have without the cork). */
  destroy(): void {
    if (this.#corked) this.#socket.uncork();
    this.#socket.destroy();
  }

  #publish(direction: 'in' | 'out', raw: Buffer): void {
    const trace = this.#trace;
    if (!trace) return;
    trace.publish({
      time: traceTime(),
      protocol: 'msrp',
      direction,
      transport: 'tcp',
      local: this.local,
      remote: this.remote,
      raw,
    });
  }

  #onData(data: Buffer): void {
    // Never throw past the socket handler: a failing listener is reported, not propagated.
    try {
      for (const event of this.#parser.push(data)) {
        if (this.#closed) break;
        this.#onParseEvent(event);
      }
    } catch (err) {
      this.#safeEmit('socket-error', err instanceof Error ? err : new Error(String(err)));
    }
  }

  #onParseEvent(event: ParseEvent): void {
    switch (event.type) {
      case 'frame': {
        if (event.raw) this.#publish('in', event.raw);
        const frame = event.frame;
        if (frame.kind === 'response') {
          if (!this.#transactions.answer(frame)) this.#safeEmit('stray-response', frame);
        } else {
          this.#safeEmit('request', frame);
        }
        return;
      }
      case 'error': {
        if (event.raw) this.#publish('in', event.raw);
        // RFC 4975 §7.3: a malformed request gets 400 (413 when too large); never answer REPORT or
        // responses, nor requests that asked for no failure reports (§7.1.2).
        const answer =
          event.isRequest &&
          event.method !== 'REPORT' &&
          failureReportOf({ headers: event.headers }) !== 'no';
        const from = getHeader({ headers: event.headers }, H.fromPath);
        const to = getHeader({ headers: event.headers }, H.toPath)?.trim().split(/\s+/)[0];
        if (answer && (from === undefined || to === undefined)) {
          // No path to answer on: the frame cannot be responded to, so the connection goes.
          this.#safeEmit('protocol-error', {
            reason: event.reason,
            transactionId: event.transactionId,
            fatal: true,
          });
          this.destroy();
          return;
        }
        if (answer) this.send(buildResponse(event.transactionId, event.status, from!, to!));
        const err: MsrpProtocolError = {
          reason: event.reason,
          transactionId: event.transactionId,
          fatal: false,
        };
        if (answer) err.status = event.status;
        this.#safeEmit('protocol-error', err);
        return;
      }
      case 'fatal':
        // RFC 4975 §7.3: no transaction to answer; the stream cannot be trusted any further.
        this.#safeEmit('protocol-error', { reason: event.reason, fatal: true });
        this.destroy();
        return;
    }
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#transactions.failAll();
    } catch (err) {
      this.#safeEmit('socket-error', err instanceof Error ? err : new Error(String(err)));
    }
    this.#safeEmit('close');
  }

  #safeEmit<K extends keyof MsrpConnectionEvents>(name: K, ...args: MsrpConnectionEvents[K]): void {
    try {
      (this.emit as (n: K, ...a: unknown[]) => boolean)(name, ...args);
    } catch {
      // A listener threw: the protocol path must carry on regardless.
    }
  }
}
