// One TCP connection = one flow (RFC 5626 §3.1): a socket, its stream parser and its write bound.
import type { Socket } from 'node:net';
import { SipStreamParser } from '../parser.js';
import { TransportError } from './errors.js';
import type { Endpoint, FlowInfo } from './types.js';
import { normalizeAddress } from './via-processing.js';

/** How long a connection closed after a fatal framing error may linger half-closed. */
const CLOSE_GRACE_MS = 1000;

/**
 * Why a flow closed: peer FIN/RST, idle timeout, socket error, lost framing, closeFlow(), close(); `stalled`: a
 * message started but did not complete in time (or none came after connecting); `evicted`: closed to make room,
 * at the connection cap, for a newer connection (it had not sent a complete message yet).
 */
export type FlowCloseReason =
  | 'peer'
  | 'idle'
  | 'error'
  | 'framing'
  | 'local'
  | 'shutdown'
  | 'stalled'
  | 'evicted';

export class TcpFlow {
  readonly info: FlowInfo;
  closeReason: FlowCloseReason | undefined;
  readonly parser: SipStreamParser;
  /** When the flow was adopted (ms, performance.now): the oldest unproven flow is evicted first. */
  readonly openedAt = performance.now();
  /** A complete SIP message (or a keep-alive) arrived: the peer speaks SIP, the flow is no longer evictable. */
  proven = false;
  /** Armed while the parser holds part of a message, or until the first message of an inbound flow. */
  stallTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    readonly socket: Socket,
    flowId: string,
    direction: 'inbound' | 'outbound',
    maxMessageSize: number,
    private readonly maxWriteBuffer: number,
  ) {
    this.parser = new SipStreamParser({ maxMessageSize });
    this.info = {
      flowId,
      transport: 'tcp',
      direction,
      local: endpoint(socket.localAddress, socket.localPort),
      remote: endpoint(socket.remoteAddress, socket.remotePort),
    };
  }

  get id(): string {
    return this.info.flowId;
  }

  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }

  markClosed(): void {
    this.#closed = true;
  }

  /**
   * Write bytes; rejects with TransportError('flow-closed' | 'send-failed' | 'message-too-large').
   * One socket write per message, on purpose: coalescing the messages of a turn into one write (tried twice,
   * -10% CPU under REGISTER load) stalls SIPp over TCP, which mis-frames several SIP messages in one segment
   * (SIPp issue #675); a lab must not depend on its peers' framers being right.
   */
  write(data: Buffer): Promise<void> {
    const context = {
      transport: 'tcp' as const,
      flowId: this.id,
      address: this.info.remote.address,
      port: this.info.remote.port,
    };
    if (this.closed || !this.socket.writable) {
      return Promise.reject(new TransportError('flow-closed', `flow ${this.id} is closed`, context));
    }
    if (this.socket.writableLength + data.length > this.maxWriteBuffer) {
      // A peer that does not read must not grow our memory without bound.
      return Promise.reject(
        new TransportError('message-too-large', `write buffer of flow ${this.id} is full`, context),
      );
    }
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => {
        if (err)
          reject(
            new TransportError('send-failed', `write on flow ${this.id} failed`, context, { cause: err }),
          );
        else resolve();
      });
    });
  }

  /** Close after flushing pending writes; destroy if the peer does not finish closing in time. */
  end(): void {
    if (this.socket.destroyed) return;
    this.#closed = true;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    this.socket.once('close', () => clearTimeout(timer));
  }

  destroy(): void {
    this.#closed = true;
    this.socket.destroy();
  }
}

function endpoint(address: string | undefined, port: number | undefined): Endpoint {
  return { address: normalizeAddress(address ?? ''), port: port ?? 0 };
}
