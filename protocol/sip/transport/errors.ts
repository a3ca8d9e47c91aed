// Typed transport failures (RFC 3261 §18.4, §8.1.3.1: the TU learns of them as transport errors).

export type TransportErrorCode =
  /** The flow (TCP connection) named by a flowId is gone (RFC 5626 §4.3: the binding is unreachable). */
  | 'flow-closed'
  /** A new TCP connection could not be established. */
  | 'connect-failed'
  /** The socket refused or failed the write. */
  | 'send-failed'
  /** No listener/socket exists for the requested transport. */
  | 'no-transport'
  /** maxConnections reached; no new connection was opened. */
  | 'too-many-connections'
  /** The message exceeds what the transport can carry (UDP datagram limit, write-buffer bound). */
  | 'message-too-large'
  /** The transport layer has been closed. */
  | 'closed'
  /** A socket-level error reported as an 'error' event (listener failure, connection reset...). */
  | 'socket-error';

export interface TransportErrorContext {
  transport?: 'udp' | 'tcp';
  address?: string;
  port?: number;
  flowId?: string;
}

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    readonly context: TransportErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
