// Typed errors of the MSRP stack. Nothing here is thrown past a socket handler: the parser reports
// errors as values, sends reject with MsrpSendError, and connection trouble surfaces as events.

export type MsrpUriErrorCode = 'scheme' | 'authority' | 'session-id' | 'transport' | 'syntax';

/** A malformed `msrp:`/`msrps:` URI (RFC 4975 §9). */
export class MsrpUriError extends Error {
  override readonly name = 'MsrpUriError';
  constructor(
    readonly code: MsrpUriErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A value the serializer refuses to put on the wire (a programming error, never a peer's fault). */
export class MsrpSerializeError extends Error {
  override readonly name = 'MsrpSerializeError';
}

/** Why a send failed. */
export type MsrpSendFailure =
  /** No response (or no success REPORT) within the transaction timeout: status 408 (RFC 4975 §7.1.1). */
  | 'timeout'
  /** The peer answered a chunk with an error response; `status` is its code. */
  | 'response'
  /** The peer (or a relay) sent a REPORT with an error Status; `status` is its code. */
  | 'report'
  /** The connection closed or failed before the message was confirmed. */
  | 'connection-lost'
  /** The session was not bound to a connection (not started, or closed). */
  | 'not-connected'
  /** The application aborted the message (continuation flag `#`). */
  | 'aborted';

export class MsrpSendError extends Error {
  override readonly name = 'MsrpSendError';
  constructor(
    readonly failure: MsrpSendFailure,
    /** The MSRP status code: 408 for timeouts, the peer's code for responses and REPORTs. */
    readonly status: number | undefined,
    readonly messageId: string,
    message: string,
  ) {
    super(message);
  }
}

/** Raised by `session.start()` when the session could not be bound to a connection. */
export class MsrpConnectError extends Error {
  override readonly name = 'MsrpConnectError';
  constructor(
    message: string,
    /** MSRP status of the binding SEND's response, when the peer answered with an error. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
